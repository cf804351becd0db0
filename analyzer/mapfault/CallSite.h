// Call-site dataflow: where did the argument registers of a call get their
// values? Walks back from a CALL instruction in the caller's machine code
// to the instruction that last wrote each register, following register
// moves, and describes the value as an immediate, a constant address
// (LEA of a global or type descriptor), a load from the caller's stack
// frame, a load from a global, or a load through another value. The
// caller's frame is frozen while the callee runs, so a value loaded from
// its stack can be read back from the core exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/STLFunctionalExtras.h>

#include "support/Error.h"

namespace ms {

namespace disasm {
struct Instruction;
}
class GoProgram;

struct ValueExpr {
  enum class Kind {
    Unknown,  // not determined (Why says why)
    Imm,      // Value
    Address,  // a constant address (Value): LEA of a global, a type...
    StackAddr,// caller SP + Offset (LEA of a stack slot)
    Load,     // Size bytes loaded from Base + Offset
    EntryReg, // the value register Reg had when the caller was entered
  };
  Kind K = Kind::Unknown;
  uint64_t Value = 0;
  int64_t Offset = 0;
  unsigned Size = 8;
  int Reg = -1; // EntryReg
  std::shared_ptr<ValueExpr> Base; // Load: the address expression
  bool Joins = false; // a branch target lies between the def and the call
  std::vector<std::string> Trail; // the instructions followed, innermost last
  std::string Why;

  bool known() const;
  // "[sp+0x28]", "type@0x49bd80", "load [[sp+0x40]+0x8]"
  std::string describe() const;
};

struct CallSiteAnalysis {
  uint64_t CallPC = 0;   // address of the CALL instruction
  uint64_t Callee = 0;   // direct target (0 for indirect calls)
  std::string Caller;    // function name
};

// The value register Reg (DWARF number) had at the call whose return
// address is ReturnPC, in the caller function containing it.
Expected<ValueExpr> registerAtCall(const GoProgram &P, uint64_t ReturnPC,
                                   int Reg, CallSiteAnalysis *Info = nullptr);

// The lowest frame offset (from the SP after the prologue) whose address
// some instruction of a function's code computes into a register other
// than the stack and frame pointers: a pointer that may reach that slot
// and those above it. An undecoded instruction may take any (0). nullopt:
// none is taken.
std::optional<uint64_t>
lowestTakenStackOffset(llvm::ArrayRef<disasm::Instruction> Insns, int SP, int FP,
                       bool Arm64);

// Whether Reg still holds its value from function entry at PC (no write to
// it on the straight-line path from entry to PC, and no call in between).
// Used to trust a register of an interrupted frame without DWARF.
Expected<bool> registerUntouchedSinceEntry(const GoProgram &P, uint64_t PC,
                                           int Reg);

// Whether the function containing PC has saved argument register Reg, as
// it was at entry, to the stack word at HomeOff bytes above its entry SP
// (the argument's spill home in the caller's frame) on every path from its
// entry to PC: the store lies on the entry path before any branch but the
// stack check's (whose morestack path starts the function over), and
// nothing else in the function writes that word, except stores of Reg
// itself while it still holds the argument, or takes its address. Returns
// the store's address, nullopt when this cannot be shown. FUNCDATA_ArgInfo
// may call such a slot stale at PC: its liveness is kept per argument, and
// a string argument the function only half spilled on this path counts as
// not spilled.
Expected<std::optional<uint64_t>>
argSavedOnEveryPath(const GoProgram &P, uint64_t PC, int Reg, int64_t HomeOff);

// Evaluates an expression against the target's memory: CallerSP is the
// caller's stack pointer at the call (the callee frame's CFA on amd64).
// Loads from the stack read the frozen frame; loads from globals read the
// value at crash time (which may have changed since the call).
struct EvalResult {
  uint64_t Value = 0;
  bool FromGlobal = false; // a global was read: may have changed since
  bool Exact = false;      // immediate or constant address
};
Expected<EvalResult> evaluate(const GoProgram &P, const ValueExpr &E,
                              uint64_t CallerSP);
// The same, resolving registers the caller received from its own caller
// (EntryReg) through Resolve, which returns nullopt when it cannot.
Expected<EvalResult>
evaluate(const GoProgram &P, const ValueExpr &E, uint64_t CallerSP,
         llvm::function_ref<std::optional<uint64_t>(int Reg)> Resolve);

} // namespace ms
