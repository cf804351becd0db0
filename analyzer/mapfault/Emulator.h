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
// carry known values backwards. Only a value that every complete re-run
// agrees on is returned.
//
// amd64 only; other architectures give an error.
#pragma once

#include <cstdint>
#include <map>
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

// The value of register Reg (DWARF number) at the call whose return address
// is ReturnPC, in the caller whose SP at the call was CallerSP.
Expected<EmulationResult> emulateRegisterAtCall(const GoProgram &P,
                                                uint64_t ReturnPC,
                                                uint64_t CallerSP, int Reg);

// Re-executions already done for one program, by (return PC, caller SP,
// register): one diagnosis asks for the same register of the same frame
// several times (the argument's words, each map function frame handed the
// same arguments, racers sharing a caller), and a failed re-execution costs
// as much as a successful one.
class EmulationCache {
public:
  explicit EmulationCache(const GoProgram &P) : P(P) {}
  // emulateRegisterAtCall, or nullopt where it fails.
  const std::optional<EmulationResult> &get(uint64_t ReturnPC,
                                            uint64_t CallerSP, int Reg);

private:
  const GoProgram &P;
  std::map<std::tuple<uint64_t, uint64_t, int>, std::optional<EmulationResult>>
      Done;
};

} // namespace ms
