#include "arch/Arch.h"

#include <iterator>

#include <llvm/BinaryFormat/ELF.h>

#include "arch/ArchImpl.h"

#include "support/Memory.h"

namespace ms {

namespace {

// DWARF register numbers for x86-64 (System V psABI).
enum : unsigned {
  RAX = 0, RDX = 1, RCX = 2, RBX = 3, RSI = 4, RDI = 5, RBP = 6, RSP = 7,
  R8 = 8, R9, R10, R11, R12, R13, R14, R15,
  RIP = 16, EFLAGS = 49, FS_BASE = 58, GS_BASE = 59,
};

const char *const Names[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi",
                             "rbp", "rsp", "r8",  "r9",  "r10", "r11",
                             "r12", "r13", "r14", "r15", "rip"};
struct NamedReg {
  const char *Name;
  unsigned Reg;
};
// Registers past rip with a name, then the generic aliases.
const NamedReg OtherNames[] = {
    {"eflags", EFLAGS}, {"fs_base", FS_BASE}, {"gs_base", GS_BASE}};
const NamedReg Aliases[] = {{"pc", RIP}, {"sp", RSP}, {"fp", RBP}};

// user_regs_struct order in NT_PRSTATUS.
const unsigned PrRegOrder[] = {
    R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI,
    NoReg /*orig_rax*/, RIP, NoReg /*cs*/, EFLAGS, RSP, NoReg /*ss*/, FS_BASE,
    GS_BASE, NoReg, NoReg, NoReg, NoReg /*ds es fs gs*/};

// struct sigcontext (in uc_mcontext) order: r8..r15, rdi, rsi, rbp, rbx,
// rdx, rax, rcx, rsp, rip, eflags.
const unsigned SigcontextOrder[] = {R8,  R9,  R10, R11, R12, R13,
                                    R14, R15, RDI, RSI, RBP, RBX,
                                    RDX, RAX, RCX, RSP, RIP, EFLAGS};

class Amd64 final : public Arch {
public:
  llvm::StringRef goName() const override { return "amd64"; }
  uint16_t elfMachine() const override { return llvm::ELF::EM_X86_64; }
  unsigned pcReg() const override { return RIP; }
  unsigned spReg() const override { return RSP; }
  unsigned fpReg() const override { return RBP; }
  unsigned numIntRegs() const override { return 16; }
  std::optional<unsigned> goZeroVectorReg() const override { return 17 + 15; }
  std::string regName(unsigned R) const override {
    if (R < std::size(Names))
      return Names[R];
    for (const NamedReg &N : OtherNames)
      if (N.Reg == R)
        return N.Name;
    return "r" + std::to_string(R);
  }
  std::optional<unsigned> regByName(llvm::StringRef N) const override {
    for (unsigned R = 0; R < std::size(Names); ++R)
      if (N == Names[R])
        return R;
    for (const NamedReg &Named : Aliases)
      if (N == Named.Name)
        return Named.Reg;
    for (const NamedReg &Named : OtherNames)
      if (N == Named.Name)
        return Named.Reg;
    return std::nullopt;
  }
  std::vector<unsigned> displayRegs() const override {
    return {RIP, RSP, RBP, RAX, RBX, RCX, RDX, RSI, RDI, R8, R9,
            R10, R11, R12, R13, R14, R15, FS_BASE};
  }
  size_t prRegSize() const override { return std::size(PrRegOrder) * 8; }
  Expected<RegisterSet> parsePrRegs(llvm::ArrayRef<uint8_t> B) const override {
    return registersFromWords(B, PrRegOrder, "x86-64 register block");
  }
  std::vector<unsigned> goIntArgRegs() const override {
    return {RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11};
  }
  unsigned goClosureContextReg() const override { return RDX; }
  std::optional<unsigned> goGReg() const override { return R14; }
  std::optional<uint64_t> tlsGSlot(const RegisterSet &R) const override {
    // Go on linux/amd64 keeps g at -8(FS) (runtime.tlsg offset).
    if (auto FS = R.get(FS_BASE); FS && *FS >= 8)
      return *FS - 8;
    return std::nullopt;
  }
  bool callPushesReturnAddress() const override { return true; }
  unsigned minFrameSize() const override { return 0; }
  uint64_t goArenaBaseOffset() const override { return 0xffff800000000000ULL; }
  uint64_t ucontextOffsetFromHandlerSP() const override {
    // rt_sigframe: pretcode (8 bytes), then struct ucontext.
    return 8;
  }
  Expected<RegisterSet> regsFromAsyncPreempt(const Memory &M, uint64_t FrameSP,
                                             uint64_t CallerSP,
                                             uint64_t ResumePC) const override {
    // src/runtime/preempt_amd64.s (the same in go1.19..go1.27): PUSHQ BP;
    // PUSHFQ; ADJSP; then AX CX DX BX SI DI R8..R15 at 0..104(SP).
    static const unsigned Order[] = {RAX, RCX, RDX, RBX, RSI, RDI, R8,  R9,
                                     R10, R11, R12, R13, R14, R15};
    auto Regs = readRegisterWords(M, FrameSP, Order,
                                  "asyncPreempt's saved registers");
    if (!Regs)
      return Regs.takeError();
    // The interrupted BP was pushed first, right below the resume PC.
    auto BP = M.readU64(CallerSP - 16);
    if (!BP)
      return addContext(BP.takeError(), "reading asyncPreempt's saved BP");
    Regs->set(RBP, *BP);
    Regs->set(RSP, CallerSP);
    Regs->set(RIP, ResumePC);
    return Regs;
  }
  std::optional<uint64_t> savedFramePointerSlot(uint64_t SP,
                                                uint64_t CallerSP) const override {
    if (CallerSP < SP + 16)
      return std::nullopt; // no frame: BP was not pushed
    return CallerSP - 16;
  }
  Expected<RegisterSet> regsFromUcontext(const Memory &M,
                                         uint64_t Uc) const override {
    // ucontext_t: uc_flags(8) uc_link(8) uc_stack(24) uc_mcontext.
    return readRegisterWords(M, Uc + 40, SigcontextOrder, "signal context");
  }
};

} // namespace

const Arch &amd64Arch() {
  static const Amd64 A;
  return A;
}

} // namespace ms
