// Stack unwinding for Go programs, through everything a fatal error
// crosses: signal frames (the interrupted registers come from the
// ucontext_t the kernel pushed), systemstack and morestack switches from g0
// back to the goroutine, asmcgocall, async preemption (asyncPreempt saves
// every register on the goroutine's stack). An explicit ordered chain, like
// Breakpad's: the pclntab (frame size from pcsp) for Go code, DWARF CFI for
// non-Go code, frame pointers as the last resort. Every frame records how
// it was found.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/StringRef.h>

#include "arch/Arch.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Pclntab.h"
#include "support/Error.h"

namespace ms {

class GoProgram;

enum class FrameHow {
  Registers,     // the thread's registers (innermost frame)
  Sched,         // the goroutine's saved g.sched (parked goroutine)
  Syscall,       // the goroutine's g.syscallsp/syscallpc
  Pclntab,       // caller found with the frame size from the pclntab
  SignalContext, // registers from the ucontext of a signal frame
  StackSwitch,   // systemstack/morestack/asmcgocall: back to the goroutine
  AsyncPreempt,  // registers saved by runtime.asyncPreempt
  Cfi,           // DWARF call frame information
  FramePointer,  // saved frame pointer chain
};
llvm::StringRef frameHowName(FrameHow H);

struct StackFrame {
  uint64_t PC = 0;    // return address, or the exact PC for the innermost
                      // frame / a frame interrupted by a signal
  uint64_t SP = 0;    // SP in this frame
  uint64_t FP = 0;    // the caller's SP (frame's CFA); 0 when unknown
  uint64_t SymPC = 0; // PC used for function/file/line
  std::string Function;
  uint64_t Entry = 0; // function entry; 0 for unknown code
  std::string File;
  int64_t Line = 0;
  bool Inlined = false; // an inlined call inside the next physical frame
  bool Go = true;       // Go code (found in the pclntab)
  bool Exact = false;   // PC is exact (not a return address)
  FrameHow How = FrameHow::Pclntab;
  uint64_t StackOf = 0; // the g whose stack holds this frame (0: unknown)
  bool SystemStack = false; // on g0 or gsignal
  // Registers known for this frame: complete at the innermost frame and
  // after a signal frame or asyncPreempt, empty otherwise.
  std::optional<RegisterSet> Regs;
  std::string Note; // e.g. "signal SIGABRT delivered here"
};

struct Stack {
  std::vector<StackFrame> Frames;
  std::string End; // why unwinding stopped ("runtime.goexit", "top frame", an error)
  bool Complete = false; // reached a top frame (goexit, mstart, ...)
  std::vector<std::string> Warnings;
};

class Unwinder {
public:
  Unwinder(const GoProgram &P, const GoroutineSet &S) : P(P), S(S) {}

  // The goroutine's stack: from its thread's registers when it is running
  // on one of the core's threads (then the frames on g0/gsignal above its
  // own come first, marked SystemStack), otherwise from g.syscall*/g.sched
  // as the runtime's traceback does.
  Stack unwindGoroutine(const GoroutineInfo &G) const;
  // Everything a thread was doing, from its registers.
  Stack unwindThread(const ThreadInfo &T) const;

  static constexpr size_t MaxFrames = 1024;

  // For passing over goroutines that cannot be in some code without
  // unwinding them (thousands of parked goroutines). A goroutine parked
  // off-thread (waiting, runnable or preempted; not on a core thread, not
  // in a syscall) is unwound from g.sched alone, through return addresses
  // read from its stack above g.sched.sp: every PC a frame of its stack
  // can have is g.sched.pc, g.sched.lr or a word of [g.sched.sp,
  // stack.hi). Calls Each with those that point into Go code and returns
  // true; false (Each not called) when G is not such a goroutine, or that
  // range is not its stack, larger than MaxScanBytes, or unreadable: then
  // only unwinding it tells.
  bool possibleFramePCs(const GoroutineInfo &G,
                        llvm::function_ref<void(uint64_t)> Each) const;
  static constexpr uint64_t MaxScanBytes = 256 << 10;
  // The functions a frame at PC may show (inlined ones included), taking
  // PC both as a return address and as an exact PC.
  void functionsAt(uint64_t PC,
                   llvm::function_ref<void(llvm::StringRef)> Each) const;

private:
  struct Cursor {
    uint64_t PC = 0, SP = 0, LR = 0;
    std::optional<RegisterSet> Regs;
    bool Exact = false;     // PC is not a return address
    bool Innermost = false; // no callee frame below it
    bool FullRegs = false;  // Regs is the complete set (not just SP/FP)
    FrameHow How = FrameHow::Pclntab;
    std::string Note;
  };
  // What the pclntab says about a PC reached by the unwinder: function,
  // source frames at the symbolization PC, frame size. The tables are
  // read-only, so each (PC, exact) is decoded once: thousands of
  // goroutines parked at the same few PCs are the common case.
  struct PCSym {
    bool Go = false; // the pclntab has a function for this PC
    Func F;
    SpecialFunc Special = SpecialFunc::Normal;
    uint64_t SymPC = 0;
    std::vector<SourceFrame> Src;
    std::string SrcWarning; // inline expansion failed: why
    std::optional<int32_t> SpDelta;
    std::string SpDeltaError; // when SpDelta is empty
  };
  const PCSym &symbolize(uint64_t PC, bool Exact) const;

  // The walk: one frame at a time, each handed to an ordered chain of
  // strategies (Breakpad's GetCallerByCFIFrameInfo, ...ByFramePointer...):
  // for Go code the signal frame, the stack switches and then the pclntab;
  // for other code DWARF CFI and then the frame pointer chain. The first
  // strategy that applies finds the caller (its Cursor::How says which)
  // or ends the walk.
  struct Walk; // the stack so far and the frame being unwound
  struct Step {
    std::optional<Cursor> Caller; // empty: the walk ends here
    std::string End;              // then: why
    bool Complete = false;        // then: at a top frame
    // This frame's SP, which the caller of the next Go frame must lie
    // above; 0 when the caller may be on another stack (not checked).
    uint64_t FrameSP = 0;
    static Step to(Cursor Caller, uint64_t FrameSP) {
      Step S;
      S.Caller = std::move(Caller);
      S.FrameSP = FrameSP;
      return S;
    }
    static Step end(std::string Why, bool Complete = false) {
      Step S;
      S.End = std::move(Why);
      S.Complete = Complete;
      return S;
    }
  };
  Stack walk(Cursor C, const MInfo *M, uint64_t UserG) const;
  Step stepGo(Walk &W) const;
  Step stepNonGo(Walk &W) const;
  void pushGoFrames(Walk &W) const;
  void pushNonGoFrame(Walk &W) const;
  // The strategies, in the order they are tried. nullopt: does not apply.
  std::optional<Step> callerBySignalContext(Walk &W) const;
  std::optional<Step> callerByStackSwitch(Walk &W) const;
  Step callerByPclntab(Walk &W) const;
  std::optional<Step> callerByCfi(Walk &W) const;
  std::optional<Step> callerByFramePointer(Walk &W) const;
  // Parts of callerByPclntab.
  bool continueOnGoroutineStack(Walk &W) const;
  Expected<uint64_t> goReturnAddress(const Cursor &C, int32_t FrameSize,
                                     uint64_t CallerSP) const;
  void setCallerRegisters(Walk &W, Cursor &Caller, uint64_t CallerSP,
                          uint64_t ReturnAddress) const;
  uint64_t stackOwner(uint64_t SP, const MInfo *M, uint64_t UserG,
                      bool &System) const;

  const GoProgram &P;
  const GoroutineSet &S;
  mutable std::mutex SymMu;
  // Keyed by PC*2+exact. unordered_map keeps references to its elements
  // valid across insertions; entries are never removed.
  mutable std::unordered_map<uint64_t, PCSym> SymCache;
};

} // namespace ms
