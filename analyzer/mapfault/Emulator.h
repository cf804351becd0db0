// Re-executing the caller's code to recover an argument register.
//
// When the value a register held at a CALL was computed in registers (a
// loop counter, a hash of a random state, the result of arithmetic), no
// single load explains it. But the caller's frame is frozen at the call:
// its stack slots hold what they held when it called. So we run the
// caller's own instructions again, concretely, from the point right after
// the previous CALL on the path (where every live value had to be reloaded
// from memory, since Go has no callee-saved registers) up to the call,
// following its branches. Values read from stack slots that the code
// overwrites later on the path are unknown at the time of the read; the
// last store of a register to a slot tells its value there instead
// ("seeds"), and invertible steps (moves, additions, xors with constants)
// carry known values backwards. A run that reaches the call but leaves one
// of the caller's own slots (above the callee's argument area) otherwise
// than the core holds it did not run: a loop's first iteration against its
// back edge is decided by what memory says. Only a value that every
// complete re-run not so ruled out agrees on is returned. Branches one way
// of which ends in morestack or a runtime panic go the other way; a store
// through a pointer the run does not know forgets only the frame slots
// whose address the function takes (and those above them), and the path is
// run again with the pointer seeded from the slot the path stores it to,
// so that the frame stays checked. rep stos (Go's zeroing of large stack
// objects) is executed. A value found is uncertain when another start's
// path, not ruled out, reaches the call without knowing it: that start may
// be where the last call before this one was.
//
// A run right after a map read (v := m[k]) takes what it returned: k
// looked up in the map as the core holds it (the element's address, or the
// zero value's; the ok flag), a value read as memory is now.
//
// A run from the caller's entry may take the registers the caller was
// called with from its own caller (EntryRegisters). A run right after a
// call may take what that call returned: the callee (one without calls of
// its own) is re-executed from its entry on every path to its returns,
// with the argument registers the caller had at that call. amd64 and
// arm64; other architectures give an error. Every run is bounded (steps,
// paths), and callees are followed one level only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "support/Error.h"

namespace ms {

class GoProgram;

struct EmulationResult {
  uint64_t Value = 0;
  bool ReadsHeapOrGlobals = false; // depends on memory others may change
  bool Uncertain = false; // other paths to the call exist that we could not
                          // follow: the re-executed one may not be the one
                          // that ran
  std::string Detail;
};

// What a register held when the caller was entered: its value at the call
// in the caller's own caller (no instruction between changes it), when that
// is known; nullopt otherwise. Asked only for the argument registers and the
// closure context register, and only when a re-execution from the caller's
// entry reads one before writing it (a closure reaching its captured
// variables through the context register, an argument used as it came).
using EntryRegisters = std::function<std::optional<uint64_t>(int Reg)>;

// Instructions re-executed, all runs of one diagnosis together: when it is
// spent, further re-executions give an error saying so (a damaged core or
// a huge function cannot make a diagnosis run long).
struct StepBudget {
  uint64_t Left = 2'000'000;
  uint64_t Spent = 0;
  // The callers and callees decoded for re-execution, kept for the
  // diagnosis (a type of Emulator.cpp's own).
  std::shared_ptr<void> Codes;
  bool take(uint64_t N) {
    Spent += N;
    Left = N > Left ? 0 : Left - N;
    return Left > 0;
  }
};

// The value of register Reg (DWARF number) at the call whose return address
// is ReturnPC, in the caller whose SP at the call was CallerSP.
// Budget: charged with every instruction re-executed (nullptr: unbounded
// but for each run's own limits). WrittenLater: the caller's frame bytes
// its code wrote after that call returned (when the value is wanted for a
// later point): their values in the core are not the ones at the call.
// LaterKnown: of those bytes, the ones whose value at the call the later
// path proves (it loaded them before storing there, and what it stored is
// in the core).
// Hint: when nothing else tells what the call before a run's start
// returned, and that call is not one of the runtime's, take it to have
// returned this string (its data pointer and length in the first two
// result registers), also in the re-executions for the arguments of the
// calls after it; a value found so is uncertain.
struct StringResultHint {
  uint64_t Data = 0, Len = 0;
  std::string Why; // where the string was seen, in words
};
Expected<EmulationResult>
emulateRegisterAtCall(const GoProgram &P, uint64_t ReturnPC, uint64_t CallerSP,
                      int Reg, const EntryRegisters &Entry = nullptr,
                      StepBudget *Budget = nullptr,
                      const std::map<uint64_t, size_t> *WrittenLater = nullptr,
                      const std::map<uint64_t, uint8_t> *LaterKnown = nullptr,
                      const StringResultHint *Hint = nullptr);

// Re-executions already done for one program, by (return PC, caller SP,
// register): one diagnosis asks for the same register of the same frame
// several times (the argument's words, each map function frame handed the
// same arguments, racers sharing a caller), and a failed re-execution costs
// as much as a successful one.
class EmulationCache {
public:
  explicit EmulationCache(const GoProgram &P) : P(P) {}
  ~EmulationCache();
  // emulateRegisterAtCall, or nullopt where it fails. (Entry depends only
  // on the frame, which ReturnPC and CallerSP name.)
  const std::optional<EmulationResult> &
  get(uint64_t ReturnPC, uint64_t CallerSP, int Reg,
      const EntryRegisters &Entry = nullptr);
  // Why get() gave nullopt for these (empty: it did not, or not asked).
  std::string error(uint64_t ReturnPC, uint64_t CallerSP, int Reg,
                    const EntryRegisters &Entry = nullptr) const;
  // The diagnosis's budget, shared by every re-execution asked here.
  StepBudget &budget() { return Budget; }

private:
  const GoProgram &P;
  // (return PC, caller SP, register, with entry registers)
  std::map<std::tuple<uint64_t, uint64_t, int, bool>,
           std::optional<EmulationResult>>
      Done;
  std::map<std::tuple<uint64_t, uint64_t, int, bool>, std::string> Errors;
  StepBudget Budget;
};

} // namespace ms
