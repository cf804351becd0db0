// Report model for goroutines, threads and stacks (`mapsleuth goroutines`,
// `mapsleuth stack`), built from the Go runtime model. Writers produce
// text and JSON from it; front ends never look past it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/raw_ostream.h>

#include "report/Summary.h"

namespace ms {

class GoProgram;
struct GoroutineSet;
struct GoroutineInfo;
struct Stack;
class Unwinder;

struct SourceLoc {
  std::string Function, File;
  int64_t Line = 0;
  bool empty() const { return Function.empty(); }
};

struct FrameReport {
  std::string Function, File;
  int64_t Line = 0;
  uint64_t PC = 0, SP = 0, FP = 0, Entry = 0;
  bool Inlined = false, Go = true, Exact = false, SystemStack = false;
  // Part of the signal and throw machinery above the first frame the
  // runtime's own traceback prints (fatal errors start at the caller of
  // runtime.fatalthrow / runtime.fatalpanic).
  bool RuntimeHidden = false;
  bool Runtime = false; // a function of the Go runtime (isRuntimeFunction)
  std::string How;  // frameHowName
  std::string Note;
  // Registers known exactly at this frame (name -> value), when any.
  std::vector<std::pair<std::string, uint64_t>> Registers;
};

struct StackReport {
  std::vector<FrameReport> Frames;
  std::string End;
  bool Complete = false;
  std::vector<std::string> Warnings;
};

struct GoroutineReport {
  int64_t Goid = 0;
  uint64_t G = 0;
  std::string Status, StatusConst, WaitReason;
  std::optional<int> Thread;
  std::optional<int64_t> M;
  bool System = false;
  SourceLoc CreatedBy; // from g.gopc
  std::optional<int64_t> ParentGoid;
  SourceLoc StartFunc; // from g.startpc
  SourceLoc UserFrame; // topmost frame outside the runtime
  std::optional<StackReport> Stack;
};

struct ThreadReport {
  int Tid = 0;
  bool Crashed = false;
  std::optional<int64_t> M;
  std::optional<int64_t> Goroutine;
  std::string What;
  uint64_t PC = 0, SP = 0;
  std::optional<StackReport> Stack; // for threads not running a goroutine
};

struct GoroutinesReport {
  CoreSummary Core;
  ExeSummary Exe;
  std::string Layouts; // where struct layouts came from
  std::string AllgsHow;
  std::optional<int64_t> Faulting; // goroutine on the thread that took the signal
  std::vector<GoroutineReport> Goroutines;
  std::vector<ThreadReport> Threads;
  std::vector<std::string> Warnings;
};

// The name as the runtime's traceback prints it: "panic" for
// runtime.gopanic, type arguments of generic functions collapsed to "[...]"
// (runtime.printFuncName / funcNamePiecesForPrint). From go1.27 a generic
// method of a generic type keeps the text between its two bracket groups
// (Type[...].Method[...]); before, everything from the first '[' to the
// last ']' collapsed.
std::string funcNameForPrint(llvm::StringRef Name, int GoMinor);

// Is this a function of the Go runtime (runtime., internal/runtime/...)?
bool isRuntimeFunction(llvm::StringRef Name);

StackReport makeStackReport(const GoProgram &P, const Stack &S);
// WithStacks: unwind every goroutine (or only those in Only when given).
GoroutinesReport makeGoroutinesReport(const GoProgram &P,
                                      const GoroutineSet &GS,
                                      const Unwinder &U, bool WithStacks,
                                      const std::vector<int64_t> &Only = {});

// JSON: report/Json.h.
// One line per goroutine.
void writeGoroutinesText(const GoroutinesReport &R, llvm::raw_ostream &OS);
// Every goroutine's frames.
void writeStacksText(const GoroutinesReport &R, llvm::raw_ostream &OS);
void writeStackText(const StackReport &S, llvm::raw_ostream &OS,
                    const std::string &Indent = "  ");

} // namespace ms
