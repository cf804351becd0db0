// One unwinding step through DWARF CFI (.debug_frame, then .eh_frame).
#include "dwarf/DwarfImpl.h"

#include <cstdlib>

#include <dwarf.h>

#include "support/Memory.h"

namespace ms {

using namespace llvm;

namespace {
struct FrameHolder {
  Dwarf_Frame *F = nullptr;
  ~FrameHolder() { std::free(F); }
};
} // namespace

bool DwarfInfo::hasCfi() const {
  if (!P->CfiLoaded) {
    P->CfiLoaded = true;
    if (P->D)
      P->DebugFrame = dwarf_getcfi(P->D);
    if (P->HasEhFrame)
      P->EhFrame = dwarf_getcfi_elf(P->E);
  }
  return P->DebugFrame || P->EhFrame;
}

Expected<UnwindStep> DwarfInfo::unwind(uint64_t PC, const RegisterSet &Regs,
                                       const Memory &Mem) const {
  if (!hasCfi())
    return makeError("{0} has no call frame information", P->Name);
  if (!P->A)
    return makeError("{0}: unwinding needs the architecture", P->Name);
  FrameHolder FH;
  UnwindStep Step;
  std::string Why;
  if (P->DebugFrame && dwarf_cfi_addrframe(P->DebugFrame, PC, &FH.F) == 0) {
    Step.Source = ".debug_frame";
  } else {
    Why = P->DebugFrame ? dwErr() : "no .debug_frame";
    if (P->EhFrame && dwarf_cfi_addrframe(P->EhFrame, PC, &FH.F) == 0)
      Step.Source = ".eh_frame";
    else
      return makeError("no CFI covers pc {0} in {1} ({2})", hex(PC), P->Name,
                       P->EhFrame ? dwErr() : Why);
  }

  Dwarf_Addr Start = 0, End = 0;
  bool Signal = false;
  int RA = dwarf_frame_info(FH.F, &Start, &End, &Signal);
  if (RA < 0)
    return makeError("CFI at pc {0}: {1}", hex(PC), dwErr());
  Step.ReturnAddressReg = unsigned(RA);
  Step.SignalFrame = Signal;

  Dwarf_Op *CfaOps = nullptr;
  size_t NCfa = 0;
  if (dwarf_frame_cfa(FH.F, &CfaOps, &NCfa) != 0)
    return makeError("CFI at pc {0}: CFA rule: {1}", hex(PC), dwErr());
  if (NCfa == 0)
    return makeError("CFI at pc {0}: the CFA is not known here", hex(PC));
  auto Cfa = evalExpr(CfaOps, NCfa, Regs, std::nullopt, &Mem, P->A);
  if (!Cfa)
    return addContext(Cfa.takeError(), "CFA at pc " + hex(PC));
  if (Cfa->K == ExprResult::Kind::Register) {
    auto V = Regs.get(unsigned(Cfa->V));
    if (!V)
      return makeError("CFA at pc {0}: register {1} not known", hex(PC),
                       P->A->regName(unsigned(Cfa->V)));
    Step.CFA = *V;
  } else {
    Step.CFA = Cfa->V; // a CFA rule is an expression value, not a location
  }

  // Recover one register of the caller. Returns nullopt when undefined.
  auto Recover = [&](unsigned R) -> Expected<std::optional<uint64_t>> {
    Dwarf_Op Mem3[3];
    Dwarf_Op *Ops = nullptr;
    size_t N = 0;
    if (dwarf_frame_register(FH.F, int(R), Mem3, &Ops, &N) != 0)
      return makeError("register {0}: {1}", P->A->regName(R), dwErr());
    if (N == 0 && Ops == nullptr) { // same value
      if (auto V = Regs.get(R))
        return std::optional<uint64_t>(*V);
      return std::optional<uint64_t>();
    }
    if (N == 0) // undefined
      return std::optional<uint64_t>();
    auto Res = evalExpr(Ops, N, Regs, Step.CFA, &Mem, P->A);
    if (!Res)
      return Res.takeError();
    switch (Res->K) {
    case ExprResult::Kind::Value:
      return std::optional<uint64_t>(Res->V);
    case ExprResult::Kind::Register: {
      if (auto V = Regs.get(unsigned(Res->V)))
        return std::optional<uint64_t>(*V);
      return makeError("register {0} is saved in {1}, which is not known",
                       P->A->regName(R), P->A->regName(unsigned(Res->V)));
    }
    case ExprResult::Kind::Address: {
      auto V = Mem.readU64(Res->V);
      if (!V)
        return addContext(V.takeError(),
                          "reading saved " + P->A->regName(R));
      return std::optional<uint64_t>(*V);
    }
    }
    return std::optional<uint64_t>();
  };

  auto RAVal = Recover(Step.ReturnAddressReg);
  if (!RAVal)
    return addContext(RAVal.takeError(), "return address at pc " + hex(PC));
  if (!*RAVal)
    return makeError("CFI at pc {0}: the return address is undefined "
                     "(outermost frame)",
                     hex(PC));
  Step.ReturnAddress = **RAVal;

  for (unsigned R = 0; R < RegisterSet::MaxRegs; ++R) {
    if (!Regs.has(R) || R == Step.ReturnAddressReg)
      continue;
    auto V = Recover(R);
    if (!V) {
      consumeError(V.takeError()); // one unrecoverable register is not fatal
      continue;
    }
    if (*V)
      Step.Caller.set(R, **V);
  }
  Step.Caller.set(P->A->spReg(), Step.CFA);
  Step.Caller.set(P->A->pcReg(), Step.ReturnAddress);
  return Step;
}

} // namespace ms
