#include "arch/Arch.h"

#include <array>

#include <llvm/BinaryFormat/ELF.h>

#include "arch/ArchImpl.h"

#include "support/Memory.h"

namespace ms {

namespace {

// DWARF register numbers for AArch64: x0..x30 = 0..30, sp = 31, pc = 32.
// TPIDR_EL0 has no DWARF number in wide use; we keep it at 36.
enum : unsigned { X0 = 0, FP = 29, LR = 30, SP = 31, PC = 32, PSTATE = 33,
                  TPIDR = 36 };

// user_pt_regs (NT_PRSTATUS, and the signal context from regs[0] on):
// x0..x30, sp, pc, pstate, which is DWARF order.
constexpr std::array<unsigned, 34> PrRegOrder = [] {
  std::array<unsigned, 34> Order{};
  for (unsigned I = 0; I < Order.size(); ++I)
    Order[I] = I;
  return Order;
}();

// runtime.asyncPreempt's save area: R0..R17, then R19..R26 (R18 is the
// platform register).
constexpr std::array<unsigned, 26> AsyncPreemptOrder = [] {
  std::array<unsigned, 26> Order{};
  for (unsigned I = 0; I < Order.size(); ++I)
    Order[I] = I < 18 ? I : I + 1;
  return Order;
}();

class Arm64 final : public Arch {
public:
  llvm::StringRef goName() const override { return "arm64"; }
  uint16_t elfMachine() const override { return llvm::ELF::EM_AARCH64; }
  unsigned pcReg() const override { return PC; }
  unsigned spReg() const override { return SP; }
  unsigned fpReg() const override { return FP; }
  unsigned numIntRegs() const override { return 32; }
  std::optional<unsigned> goZeroVectorReg() const override {
    return std::nullopt; // Go uses xzr
  }
  std::optional<unsigned> lrReg() const override { return LR; }
  std::string regName(unsigned R) const override {
    if (R < 29)
      return "x" + std::to_string(R);
    switch (R) {
    case FP: return "fp";
    case LR: return "lr";
    case SP: return "sp";
    case PC: return "pc";
    case PSTATE: return "pstate";
    case TPIDR: return "tpidr_el0";
    }
    return "r" + std::to_string(R);
  }
  std::optional<unsigned> regByName(llvm::StringRef N) const override {
    unsigned X = 0;
    if (llvm::StringRef Num = N; Num.consume_front("x") &&
                                 !Num.getAsInteger(10, X) && X <= 30)
      return X;
    if (N == "fp")
      return FP;
    if (N == "lr")
      return LR;
    if (N == "sp")
      return SP;
    if (N == "pc")
      return PC;
    if (N == "pstate" || N == "cpsr")
      return PSTATE;
    if (N == "tpidr_el0" || N == "tpidr")
      return TPIDR;
    return std::nullopt;
  }
  std::vector<unsigned> displayRegs() const override {
    std::vector<unsigned> V = {PC, SP, FP, LR};
    for (unsigned I = 0; I < 29; ++I)
      V.push_back(I);
    return V;
  }
  size_t prRegSize() const override { return PrRegOrder.size() * 8; }
  Expected<RegisterSet> parsePrRegs(llvm::ArrayRef<uint8_t> B) const override {
    return registersFromWords(B, PrRegOrder, "AArch64 register block");
  }
  std::vector<unsigned> goIntArgRegs() const override {
    std::vector<unsigned> V;
    for (unsigned I = 0; I < 16; ++I)
      V.push_back(I);
    return V;
  }
  unsigned goClosureContextReg() const override { return 26; }
  std::optional<unsigned> goGReg() const override { return 28; }
  std::optional<uint64_t> tlsGSlot(const RegisterSet &) const override {
    // On linux/arm64 g lives in R28; the TLS copy is only used by cgo.
    return std::nullopt;
  }
  bool callPushesReturnAddress() const override { return false; }
  unsigned minFrameSize() const override { return 8; }
  uint64_t goArenaBaseOffset() const override { return 0; }
  uint64_t ucontextOffsetFromHandlerSP() const override {
    // rt_sigframe on arm64: struct siginfo (128 bytes), then ucontext.
    return 128;
  }
  Expected<RegisterSet> regsFromAsyncPreempt(const Memory &M, uint64_t FrameSP,
                                             uint64_t CallerSP,
                                             uint64_t ResumePC) const override {
    // src/runtime/preempt_arm64.s: the save area from 8(RSP), stored in
    // pairs.
    auto Regs = readRegisterWords(M, FrameSP + 8, AsyncPreemptOrder,
                                  "asyncPreempt's saved registers");
    if (!Regs)
      return Regs.takeError();
    // The signal handler injected the call (runtime/signal_arm64.go
    // pushCall): it lowered SP by 16 and saved the interrupted LR at the
    // new SP, which is asyncPreempt's entry SP (CallerSP here).
    auto SavedLR = M.readU64(CallerSP);
    if (!SavedLR)
      return addContext(SavedLR.takeError(),
                        "reading the LR asyncPreempt's caller saved");
    Regs->set(LR, *SavedLR);
    Regs->set(SP, CallerSP + 16);
    Regs->set(PC, ResumePC);
    return Regs;
  }
  std::optional<uint64_t> savedFramePointerSlot(uint64_t SP,
                                                uint64_t) const override {
    // arm64 Go frames keep the caller's FP just below the frame's SP.
    return SP - 8;
  }
  Expected<RegisterSet> regsFromUcontext(const Memory &M,
                                         uint64_t Uc) const override {
    // ucontext: uc_flags(8) uc_link(8) uc_stack(24) uc_sigmask(8)
    // __unused[120] then uc_mcontext (16-byte aligned) at 176:
    // fault_address(8) regs[31] sp pc pstate.
    const uint64_t MC = Uc + 176;
    return readRegisterWords(M, MC + 8, PrRegOrder, "signal context");
  }
};

} // namespace

const Arch &arm64Arch() {
  static const Arm64 A;
  return A;
}

} // namespace ms
