#include "mapfault/CallSite.h"

#include <algorithm>
#include <set>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/BinaryFormat/ELF.h>

#include "disasm/Disassembler.h"
#include "goruntime/GoProgram.h"

namespace ms {

using namespace disasm;

bool ValueExpr::known() const {
  if (K == Kind::Unknown || K == Kind::EntryReg)
    return false;
  if (K == Kind::Load)
    return Base && Base->known();
  return true;
}

std::string ValueExpr::describe() const {
  switch (K) {
  case Kind::Unknown: return "unknown (" + Why + ")";
  case Kind::EntryReg: return "register " + std::to_string(Reg) + " at entry";
  case Kind::Imm: return "immediate " + hex(Value);
  case Kind::Address: return "address " + hex(Value);
  case Kind::StackAddr:
    return "sp" + std::string(Offset < 0 ? "-" : "+") +
           hex(static_cast<uint64_t>(Offset < 0 ? -Offset : Offset));
  case Kind::Load: {
    std::string B = Base ? Base->describe() : "?";
    std::string O = Offset ? (Offset < 0 ? "-" : "+") +
                                 hex(static_cast<uint64_t>(Offset < 0 ? -Offset : Offset))
                           : "";
    return "[" + B + O + "]";
  }
  }
  return "?";
}

namespace {


struct FuncCode {
  // The program's decoded function (GoProgram::decodedFunction), not a copy.
  llvm::ArrayRef<Instruction> Insns;
  const GoProgram::DecodedFunction *DF = nullptr; // (its branch targets)
  std::string Name;
  uint64_t Entry = 0;
  // lowestTakenStackOffset of Insns, once asked.
  mutable std::optional<std::optional<uint64_t>> Taken;
  // The index of the instruction whose register is traced (the call):
  // a stack slot read back for a register must hold from the store to it.
  size_t UseIdx = SIZE_MAX;
};

Expected<FuncCode> decodeFunction(const GoProgram &P, uint64_t PC) {
  auto DF = P.decodedFunction(PC);
  if (!DF)
    return DF.takeError();
  FuncCode C;
  C.Name = (*DF)->Name;
  C.Entry = (*DF)->Entry;
  C.Insns = (*DF)->Insns;
  C.DF = *DF;
  return C;
}

int spOf(const GoProgram &P) { return static_cast<int>(P.arch().spReg()); }

ValueExpr defOf(const GoProgram &P, const FuncCode &C, size_t Idx, int Reg,
                unsigned Depth);

// An instruction that writes the register being traced, and what is
// known at it: the trail so far (E) and whether a join lies between it
// and the use.
struct DefSite {
  const GoProgram &P;
  const FuncCode &C;
  size_t J; // its index
  int Reg;  // the register it writes
  unsigned Depth;
  int SP;
  const Instruction &I;
  unsigned Size; // of the destination
  const ValueExpr &E;
  bool Joins;
  // A definition found further back, with this instruction's trail first.
  ValueExpr finish(ValueExpr V) const {
    V.Trail.insert(V.Trail.begin(), E.Trail.begin(), E.Trail.end());
    V.Joins |= Joins;
    return V;
  }
};

// The definition at D when it is xor of the register with itself: zero; nullopt otherwise.
std::optional<ValueExpr> xorDef(const DefSite &D) {
  const auto &Ops = D.I.Ops;
  ValueExpr E = D.E;
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Reg && Ops[1].Reg == D.Reg) {
    E.K = ValueExpr::Kind::Imm;
    E.Value = 0;
    return E;
  }
  return std::nullopt;
}

// The definition at D when it is a register, an immediate or the zero register moved in; nullopt otherwise.
std::optional<ValueExpr> moveDef(const DefSite &D) {
  const auto &Ops = D.I.Ops;
  ValueExpr E = D.E;
  // arm64 "orr x1, xzr, #imm": a move of the immediate.
  if (Ops.size() == 3 && Ops[1].Kind == OpKind::Reg &&
      Ops[1].Reg == ZeroReg && Ops[2].Kind == OpKind::Imm) {
    E.K = ValueExpr::Kind::Imm;
    E.Value = static_cast<uint64_t>(Ops[2].Imm);
    if (D.Size == 4)
      E.Value &= 0xffffffffu;
    return E;
  }
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Reg && Ops[1].Reg == ZeroReg) {
    E.K = ValueExpr::Kind::Imm;
    E.Value = 0;
    return E;
  }
  if (Ops.size() >= 2 && Ops[1].Kind == OpKind::Imm) {
    E.K = ValueExpr::Kind::Imm;
    E.Value = static_cast<uint64_t>(Ops[1].Imm);
    if (D.Size == 4)
      E.Value &= 0xffffffffu;
    return E;
  }
  if (Ops.size() >= 2 && Ops[1].Kind == OpKind::Reg && Ops[1].Reg >= 0) {
    if (Ops[1].Reg == D.SP) {
      E.K = ValueExpr::Kind::StackAddr;
      E.Offset = 0;
      return E;
    }
    return D.finish(defOf(D.P, D.C, D.J, Ops[1].Reg, D.Depth + 1));
  }
  return std::nullopt;
}

// The definition at D when it is an address computed (lea; arm64 adr/adrp); nullopt otherwise.
std::optional<ValueExpr> leaDef(const DefSite &D) {
  const auto &Ops = D.I.Ops;
  ValueExpr E = D.E;
  // arm64 adrp/adr: the (page) address itself.
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Imm) {
    E.K = ValueExpr::Kind::Address;
    E.Value = static_cast<uint64_t>(Ops[1].Imm);
    return E;
  }
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Mem) {
    const MemOperand &M = Ops[1].Mem;
    if (M.Absolute) {
      E.K = ValueExpr::Kind::Address;
      E.Value = *M.Absolute;
      return E;
    }
    if (M.Index == NoReg && M.Base == D.SP) {
      E.K = ValueExpr::Kind::StackAddr;
      E.Offset = M.Disp;
      return E;
    }
    if (M.Index == NoReg && M.Base >= 0) {
      ValueExpr B = defOf(D.P, D.C, D.J, M.Base, D.Depth + 1);
      if (B.K == ValueExpr::Kind::StackAddr || B.K == ValueExpr::Kind::Address ||
          B.K == ValueExpr::Kind::Imm) {
        B.Offset += M.Disp;
        B.Value += static_cast<uint64_t>(M.Disp);
        if (B.K == ValueExpr::Kind::StackAddr)
          B.Value = 0;
        return D.finish(B);
      }
    }
  }
  return std::nullopt;
}

// The definition at D when it is a load: from an absolute address, the stack or a register; nullopt otherwise.
std::optional<ValueExpr> loadDef(const DefSite &D) {
  const auto &Ops = D.I.Ops;
  ValueExpr E = D.E;
  // arm64 "ldr x0, =lit": a load from the literal's absolute address.
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Imm) {
    E.K = ValueExpr::Kind::Load;
    E.Size = D.Size;
    auto B = std::make_shared<ValueExpr>();
    B->K = ValueExpr::Kind::Address;
    B->Value = static_cast<uint64_t>(Ops[1].Imm);
    E.Base = B;
    return E;
  }
  if (Ops.size() == 2 && Ops[1].Kind == OpKind::Mem) {
    const MemOperand &M = Ops[1].Mem;
    E.K = ValueExpr::Kind::Load;
    E.Size = Ops[1].Size ? Ops[1].Size : D.Size;
    if (M.FsSegment) {
      E.K = ValueExpr::Kind::Unknown;
      E.Why = "TLS load";
      return E;
    }
    if (M.Absolute) {
      auto B = std::make_shared<ValueExpr>();
      B->K = ValueExpr::Kind::Address;
      B->Value = *M.Absolute;
      E.Base = B;
      return E;
    }
    if (M.Index != NoReg) {
      E.K = ValueExpr::Kind::Unknown;
      E.Why = "indexed load " + D.I.text();
      return E;
    }
    if (M.Base == D.SP) {
      auto B = std::make_shared<ValueExpr>();
      B->K = ValueExpr::Kind::StackAddr;
      B->Offset = 0;
      E.Base = B;
      E.Offset = M.Disp;
      return E;
    }
    if (M.Base >= 0) {
      E.Base = std::make_shared<ValueExpr>(defOf(D.P, D.C, D.J, M.Base, D.Depth + 1));
      E.Offset = M.Disp;
      E.Joins |= E.Base->Joins;
      return E;
    }
  }
  return std::nullopt;
}

// The definition at D when it is an immediate added to or subtracted from a register; nullopt otherwise.
std::optional<ValueExpr> addSubImmDef(const DefSite &D) {
  const auto &Ops = D.I.Ops;
  ValueExpr E = D.E;
  // "add r, imm" (amd64: the register is also the source) or
  // "add rd, rn, #imm" (arm64).
  if ((Ops.size() == 2 && Ops[1].Kind == OpKind::Imm) ||
      (Ops.size() == 3 && Ops[1].Kind == OpKind::Reg && Ops[1].Reg >= 0 &&
       Ops[2].Kind == OpKind::Imm)) {
    const int Src = Ops.size() == 3 ? Ops[1].Reg : D.Reg;
    const int64_t Imm = Ops.back().Imm;
    if (Src == D.SP) {
      E.K = ValueExpr::Kind::StackAddr;
      E.Offset = D.I.Mnemonic == "sub" ? -Imm : Imm;
      return E;
    }
    ValueExpr B = defOf(D.P, D.C, D.J, Src, D.Depth + 1);
    const int64_t Delta = D.I.Mnemonic == "sub" ? -Imm : Imm;
    if (B.K == ValueExpr::Kind::Imm || B.K == ValueExpr::Kind::Address) {
      B.Value += static_cast<uint64_t>(Delta);
      return D.finish(B);
    }
    if (B.K == ValueExpr::Kind::StackAddr) {
      B.Offset += Delta;
      return D.finish(B);
    }
  }
  return std::nullopt;
}

// Whether I only reads its memory operands.
bool readsMemoryOnly(const Instruction &I) {
  if (I.Class == InsnClass::Load || I.Class == InsnClass::Lea ||
      I.Class == InsnClass::Nop)
    return true;
  llvm::StringRef M(I.Mnemonic);
  return M.startswith("cmp") || M.startswith("test") || M.startswith("ucomis") ||
         M.startswith("prefetch");
}

// The stack offset (from the SP after the prologue) to which I stores all
// 8 bytes of Reg: amd64 mov [sp+off], reg; arm64 str reg, [sp, #off].
std::optional<int64_t> storesRegToStack(const Instruction &I, int Reg, int SP) {
  if (I.Class != InsnClass::Store || I.Ops.size() != 2 || I.Writeback)
    return std::nullopt;
  const Operand *R = nullptr, *M = nullptr;
  for (const Operand &O : I.Ops) {
    if (O.Kind == OpKind::Reg)
      R = &O;
    else if (O.Kind == OpKind::Mem)
      M = &O;
  }
  if (!R || !M || R->Reg != Reg || (R->Size && R->Size != 8) ||
      M->Mem.Base != SP || M->Mem.Index != NoReg || (M->Size && M->Size != 8))
    return std::nullopt;
  return M->Mem.Disp;
}

// Whether an instruction of [From, To) may write the 8 stack bytes at Off:
// through SP, or through a pointer to a slot at or below Off (one whose
// address the function takes).
bool stackSlotWritten(const GoProgram &P, const FuncCode &C, size_t From,
                      size_t To, int64_t Off) {
  const int SP = spOf(P);
  if (!C.Taken)
    C.Taken = lowestTakenStackOffset(C.Insns, SP, static_cast<int>(P.arch().fpReg()),
                                     P.arch().elfMachine() == llvm::ELF::EM_AARCH64);
  const bool Reachable = *C.Taken && static_cast<int64_t>(**C.Taken) <= Off;
  for (size_t K = From; K < To; ++K) {
    const Instruction &I = C.Insns[K];
    if (I.Undecoded || I.Class == InsnClass::Push || I.Class == InsnClass::Pop)
      return true;
    if (readsMemoryOnly(I))
      continue;
    for (const Operand &O : I.Ops) {
      if (O.Kind != OpKind::Mem)
        continue;
      if (O.Mem.Base != SP) {
        if (Reachable && !O.Mem.Absolute && !O.Mem.PCRelative)
          return true;
        continue;
      }
      if (O.Mem.Index != NoReg)
        return true;
      const int64_t Size = std::max<int64_t>(O.Size, 8) * (I.Ops.size() == 3 ? 2 : 1);
      if (O.Mem.Disp < Off + 8 && Off < O.Mem.Disp + Size)
        return true;
    }
    // A write through SP the operands do not show (arm64 writeback).
    if (I.Writeback || I.writes(SP))
      return true;
  }
  return false;
}

// Backward search from index Idx (exclusive) for the definition of Reg.
ValueExpr defOf(const GoProgram &P, const FuncCode &C, size_t Idx, int Reg,
                unsigned Depth) {
  ValueExpr E;
  if (Depth > 6) {
    E.Why = "dataflow too deep";
    return E;
  }
  const int SP = spOf(P);
  bool Joins = false;
  for (size_t J = Idx; J-- > 0;) {
    const Instruction &I = C.Insns[J];
    if (C.DF->isBranchTarget(C.Insns[J + 1 < C.Insns.size() ? J + 1 : J].Addr) &&
        J + 1 <= Idx)
      Joins = true;
    if (I.Class == InsnClass::Call) {
      E.Why = "the register was clobbered by the call at " + hex(I.Addr);
      return E;
    }
    // On the straight path to the use the register was stored to a stack
    // slot nothing wrote since: the frozen slot holds its value (whatever
    // joins lie before the store).
    if (!Joins) {
      auto Off = storesRegToStack(I, Reg, SP);
      if (Off && !stackSlotWritten(P, C, J + 1, std::min(C.UseIdx, C.Insns.size()), *Off)) {
        E.Trail.push_back(hex(I.Addr) + ": " + I.text() +
                          " (stored there, not overwritten before the use)");
        E.K = ValueExpr::Kind::Load;
        E.Size = 8;
        auto B = std::make_shared<ValueExpr>();
        B->K = ValueExpr::Kind::StackAddr;
        B->Offset = 0;
        E.Base = B;
        E.Offset = *Off;
        return E;
      }
    }
    if (!I.writes(Reg))
      continue;
    E.Trail.push_back(hex(I.Addr) + ": " + I.text());
    E.Joins = Joins;
    const auto &Ops = I.Ops;
    bool DestIsReg = !Ops.empty() && Ops[0].Kind == OpKind::Reg && Ops[0].Reg == Reg;
    if (!DestIsReg) {
      E.Why = "written implicitly by " + I.text();
      return E;
    }
    const unsigned Size = Ops[0].Size ? Ops[0].Size : 8u;
    const DefSite Site{P, C, J, Reg, Depth, SP, I, Size, E, Joins};
    std::optional<ValueExpr> Def;
    switch (I.Class) {
    case InsnClass::Xor:
      Def = xorDef(Site);
      break;
    case InsnClass::Move:
      Def = moveDef(Site);
      break;
    case InsnClass::Lea:
      Def = leaDef(Site);
      break;
    case InsnClass::Load:
      Def = loadDef(Site);
      break;
    case InsnClass::AddSubImm:
      Def = addSubImmDef(Site);
      break;
    default:
      break;
    }
    if (Def)
      return std::move(*Def);
    E.K = ValueExpr::Kind::Unknown;
    E.Why = "computed by " + I.text();
    return E;
  }
  E.K = ValueExpr::Kind::EntryReg;
  E.Reg = Reg;
  E.Joins = Joins;
  E.Why = "not written in the caller before the call (a value from the "
          "caller's own caller)";
  return E;
}

} // namespace

Expected<ValueExpr> registerAtCall(const GoProgram &P, uint64_t ReturnPC,
                                   int Reg, CallSiteAnalysis *Info) {
  auto C = decodeFunction(P, ReturnPC - 1);
  if (!C)
    return C.takeError();
  // The CALL is the instruction that ends at ReturnPC.
  size_t Idx = C->Insns.size();
  for (size_t I = 0; I < C->Insns.size(); ++I)
    if (C->Insns[I].next() == ReturnPC) {
      Idx = I;
      break;
    }
  if (Idx == C->Insns.size() || C->Insns[Idx].Class != InsnClass::Call)
    return makeError("no call instruction ends at {0} in {1}", hex(ReturnPC),
                     C->Name);
  C->UseIdx = Idx;
  if (Info) {
    Info->CallPC = C->Insns[Idx].Addr;
    Info->Callee = C->Insns[Idx].Target.value_or(0);
    Info->Caller = C->Name;
  }
  return defOf(P, *C, Idx, Reg, 0);
}

// The lowest frame offset whose address some instruction of Insns computes
// from the stack pointer into a register other than the stack and frame
// pointers (whose prologue and epilogue moves are the frame's own
// bookkeeping): amd64 lea off(rsp) with off >= 0 (a negative one is the
// prologue's stack-bound check, below the frame) or a move of rsp; arm64
// add/sub/mov from sp. An undecoded instruction might take any. nullopt:
// none is taken.
std::optional<uint64_t> lowestTakenStackOffset(llvm::ArrayRef<Instruction> Insns,
                                               int SP, int FP, bool Arm64) {
  std::optional<uint64_t> Low;
  auto Take = [&](int64_t Off) {
    if (Off < 0)
      return;
    if (!Low || static_cast<uint64_t>(Off) < *Low)
      Low = static_cast<uint64_t>(Off);
  };
  for (const auto &I : Insns) {
    if (I.Undecoded) {
      Take(0);
      continue;
    }
    if (I.Ops.size() < 2 || I.Ops[0].Kind != OpKind::Reg)
      continue;
    const int Dest = I.Ops[0].Reg;
    if (Dest == SP || Dest == FP)
      continue;
    const Operand &Src = I.Ops[1];
    if (I.Class == InsnClass::Lea && Src.Kind == OpKind::Mem &&
        Src.Mem.Base == SP && Src.Mem.Index == NoReg) {
      Take(Src.Mem.Disp);
      continue;
    }
    for (size_t K = 1; K < I.Ops.size(); ++K) {
      const Operand &O = I.Ops[K];
      if ((O.Kind == OpKind::Reg && O.Reg == SP) ||
          (I.Class == InsnClass::Lea && O.Kind == OpKind::Mem &&
           (O.Mem.Base == SP || O.Mem.Base == FP))) {
        // arm64 add xN, sp, #off: the immediate is the offset; sub xN, sp,
        // #n points below the frame (the prologue's stack-bound check).
        int64_t Off = 0;
        if (Arm64 && I.Ops.size() == 3 && K == 1 &&
            I.Ops[2].Kind == OpKind::Imm &&
            (I.Mnemonic == "add" || I.Mnemonic == "sub"))
          Off = I.Mnemonic == "add" ? I.Ops[2].Imm : -I.Ops[2].Imm;
        Take(Off);
        break;
      }
    }
  }
  return Low;
}

Expected<bool> registerUntouchedSinceEntry(const GoProgram &P, uint64_t PC,
                                           int Reg) {
  auto C = decodeFunction(P, PC);
  if (!C)
    return C.takeError();
  for (const auto &I : C->Insns) {
    if (I.Addr >= PC)
      break;
    // A backward branch or a branch target before PC means the path is not
    // straight: be conservative.
    if (C->DF->isBranchTarget(I.Addr) && I.Addr != C->Entry)
      return false;
    if (I.Class == InsnClass::Call || I.writes(Reg))
      return false;
  }
  return true;
}

namespace {
// The instructions from index J on that reach a call of runtime.morestack*
// before any branch or return: the stack check's slow path, which saves
// the argument registers, grows the stack and starts the function over.
// Returns the index past that path's closing jump, or nullopt.
std::optional<size_t> morestackPathEnd(const GoProgram &P, const FuncCode &C,
                                       size_t J) {
  bool Called = false;
  for (size_t K = J; K < C.Insns.size() && K < J + 16; ++K) {
    const Instruction &I = C.Insns[K];
    if (I.Undecoded || I.Class == InsnClass::CondJump ||
        I.Class == InsnClass::Ret)
      return std::nullopt;
    if (I.Class == InsnClass::Call) {
      if (!I.Target)
        return std::nullopt;
      auto Callee = P.pclntab().findFunc(*I.Target);
      if (!Callee) {
        llvm::consumeError(Callee.takeError());
        return std::nullopt;
      }
      if (!llvm::StringRef(Callee->Name).startswith("runtime.morestack"))
        return std::nullopt;
      Called = true;
    }
    if (I.Class == InsnClass::Jump)
      return Called && I.Target == C.Entry ? std::optional<size_t>(K + 1)
                                           : std::nullopt;
  }
  return std::nullopt;
}

} // namespace

Expected<std::optional<uint64_t>>
argSavedOnEveryPath(const GoProgram &P, uint64_t PC, int Reg, int64_t HomeOff) {
  auto C = decodeFunction(P, PC);
  if (!C)
    return C.takeError();
  auto Fn = P.pclntab().findFunc(PC);
  if (!Fn)
    return Fn.takeError();
  auto Runs = P.pclntab().pcValueRuns(*Fn, Fn->PcSp);
  if (!Runs)
    return Runs.takeError();
  // An instruction's SP relative to the entry SP (nullopt: not recorded).
  auto SPAt = [&](uint64_t A) -> std::optional<int64_t> {
    for (const auto &R : *Runs)
      if (A >= R.Start && A < R.End)
        return -static_cast<int64_t>(R.Value);
    return std::nullopt;
  };
  const int SP = spOf(P);
  const int FP = static_cast<int>(P.arch().fpReg());
  // The entry-SP-relative bytes [Lo, Hi) a memory operand may touch;
  // nullopt when it is not SP-based (then it cannot be the home: Go code
  // reaches a frame slot only through SP, or through an address taken
  // from SP, which is checked separately).
  struct Range { int64_t Lo, Hi; };
  auto Touches = [&](const Instruction &I, const Operand &O)
      -> std::optional<Range> {
    if (O.Kind != OpKind::Mem || O.Mem.Base != SP)
      return std::nullopt;
    auto S = SPAt(I.Addr);
    if (!S)
      return Range{INT64_MIN / 2, INT64_MAX / 2};
    int64_t Lo = *S + O.Mem.Disp;
    // A pre-indexed store (arm64 str x30, [sp, #-n]!) writes at the new SP.
    int64_t Size = std::max<int64_t>(O.Size, 8);
    if (I.Class == InsnClass::Store && I.Ops.size() == 3 &&
        I.Ops[1].Kind == OpKind::Reg)
      Size *= 2; // a pair
    if (O.Mem.Index != NoReg)
      return Range{INT64_MIN / 2, INT64_MAX / 2};
    return Range{Lo, Lo + Size};
  };
  auto IsHome = [&](const Range &R) {
    return R.Lo < HomeOff + 8 && HomeOff < R.Hi;
  };
  // A store of Reg, as one word at exactly the home.
  auto StoresRegToHome = [&](const Instruction &I) {
    if (I.Class != InsnClass::Store || I.Writeback || I.Ops.size() < 2 ||
        I.Ops.back().Kind != OpKind::Mem)
      return false;
    auto R = Touches(I, I.Ops.back());
    if (!R)
      return false;
    // str reg, [sp, #home]; stp r1, r2, [sp, #off] with reg one of the pair.
    if (I.Ops.size() == 2)
      return I.Ops[0].Kind == OpKind::Reg && I.Ops[0].Reg == Reg &&
             R->Lo == HomeOff && R->Hi == HomeOff + 8;
    if (I.Ops.size() == 3 && I.Ops[0].Kind == OpKind::Reg &&
        I.Ops[1].Kind == OpKind::Reg)
      return (I.Ops[0].Reg == Reg && R->Lo == HomeOff) ||
             (I.Ops[1].Reg == Reg && R->Lo + 8 == HomeOff);
    return false;
  };
  auto AmdStoresRegToHome = [&](const Instruction &I) {
    // amd64 operand order: destination first.
    if (I.Class != InsnClass::Store || I.Ops.size() != 2 ||
        I.Ops[1].Kind != OpKind::Reg || I.Ops[1].Reg != Reg ||
        I.Ops[0].Kind != OpKind::Mem || I.Ops[0].Size != 8)
      return false;
    auto R = Touches(I, I.Ops[0]);
    return R && R->Lo == HomeOff && R->Hi == HomeOff + 8;
  };
  const bool Arm64 = P.arch().elfMachine() == llvm::ELF::EM_AARCH64;
  auto SavesReg = [&](const Instruction &I) {
    return Arm64 ? StoresRegToHome(I) : AmdStoresRegToHome(I);
  };

  // The entry path: from the entry, through the stack check, to the first
  // join or other branch. Reg holds the argument until written.
  std::optional<uint64_t> Saved;
  std::set<size_t> Allowed; // stores of Reg known to hold the argument
  std::vector<std::pair<size_t, size_t>> Stubs; // morestack paths [from, to)
  bool RegIntact = true;
  size_t K = 0;
  for (; K < C->Insns.size(); ++K) {
    const Instruction &I = C->Insns[K];
    if (I.Addr >= PC && !Saved)
      return std::optional<uint64_t>();
    if (K > 0 && C->DF->isBranchTarget(I.Addr))
      break;
    if (I.Undecoded || I.Class == InsnClass::Call || I.Class == InsnClass::Ret ||
        I.Class == InsnClass::Jump)
      break;
    if (RegIntact && SavesReg(I)) {
      Allowed.insert(K);
      if (!Saved)
        Saved = I.Addr;
    }
    if (I.writes(Reg))
      RegIntact = false;
    if (I.Class == InsnClass::CondJump) {
      if (!I.Target)
        break;
      auto T = std::find_if(C->Insns.begin(), C->Insns.end(),
                            [&](const Instruction &X) { return X.Addr == *I.Target; });
      auto End = T == C->Insns.end()
                     ? std::nullopt
                     : morestackPathEnd(P, *C, static_cast<size_t>(T - C->Insns.begin()));
      if (End) {
        size_t From = static_cast<size_t>(T - C->Insns.begin());
        Stubs.push_back({From, *End});
        // The stub saves the registers as they were at entry.
        for (size_t S = From; S < *End; ++S)
          if (SavesReg(C->Insns[S]))
            Allowed.insert(S);
        continue;
      }
      // A branch away: later stores are not on every path. Keep walking
      // the fall-through only to allow its stores of the intact register.
      if (!Saved)
        return std::optional<uint64_t>();
    }
  }
  if (!Saved)
    return std::optional<uint64_t>();
  // PC must not be in a morestack path (there the store may not have run).
  for (const auto &[From, To] : Stubs)
    if (PC >= C->Insns[From].Addr && PC < C->Insns[To - 1].next())
      return std::optional<uint64_t>();
  // Nothing else writes the home or takes an address that could.
  for (size_t J = 0; J < C->Insns.size(); ++J) {
    const Instruction &I = C->Insns[J];
    if (Allowed.count(J))
      continue;
    if (I.Undecoded)
      return std::optional<uint64_t>();
    for (const Operand &O : I.Ops) {
      if (O.Kind == OpKind::Mem && O.Mem.Base == FP && FP != SP &&
          !readsMemoryOnly(I))
        return std::optional<uint64_t>();
      auto R = Touches(I, O);
      if (!R || !IsHome(*R))
        continue;
      if (I.Class == InsnClass::Lea || !readsMemoryOnly(I))
        return std::optional<uint64_t>();
    }
    // arm64 add xN, sp, #off pointing at the home.
    if (Arm64 && I.Ops.size() == 3 && I.Ops[1].Kind == OpKind::Reg &&
        I.Ops[1].Reg == SP && I.Ops[2].Kind == OpKind::Imm &&
        I.Mnemonic == "add") {
      auto S = SPAt(I.Addr);
      if (!S || *S + I.Ops[2].Imm == HomeOff)
        return std::optional<uint64_t>();
    }
  }
  return Saved;
}

Expected<EvalResult> evaluate(const GoProgram &P, const ValueExpr &E,
                              uint64_t CallerSP) {
  return evaluate(P, E, CallerSP, [](int) { return std::nullopt; });
}

Expected<EvalResult>
evaluate(const GoProgram &P, const ValueExpr &E, uint64_t CallerSP,
         llvm::function_ref<std::optional<uint64_t>(int Reg)> Resolve) {
  EvalResult R;
  switch (E.K) {
  case ValueExpr::Kind::Unknown:
    return makeError("value not determined: {0}", E.Why);
  case ValueExpr::Kind::EntryReg: {
    if (E.Joins)
      return makeError("value not determined: {0}", E.Why);
    auto V = Resolve(E.Reg);
    if (!V)
      return makeError("value not determined: {0}", E.Why);
    R.Value = *V;
    return R;
  }
  case ValueExpr::Kind::Imm:
  case ValueExpr::Kind::Address:
    R.Value = E.Value;
    R.Exact = true;
    return R;
  case ValueExpr::Kind::StackAddr:
    R.Value = CallerSP + static_cast<uint64_t>(E.Offset);
    return R;
  case ValueExpr::Kind::Load: {
    if (!E.Base)
      return makeError("load without an address");
    auto B = evaluate(P, *E.Base, CallerSP, Resolve);
    if (!B)
      return B.takeError();
    uint64_t Addr = B->Value + static_cast<uint64_t>(E.Offset);
    auto V = P.memory().readUint(Addr, E.Size == 1 || E.Size == 2 ||
                                               E.Size == 4 ? E.Size : 8);
    if (!V)
      return V.takeError();
    R.Value = *V;
    // A load through anything but the caller's own stack reads memory as
    // it is now, which others may have changed since the call.
    R.FromGlobal = B->FromGlobal || E.Base->K != ValueExpr::Kind::StackAddr;
    return R;
  }
  }
  return makeError("bad expression");
}

} // namespace ms
