// A small DWARF expression evaluator: what CFI rules and simple location
// expressions need, nothing more. Unsupported ops are errors, never guesses.
#include "dwarf/DwarfImpl.h"

#include <dwarf.h>

#include "support/Memory.h"

namespace ms {

namespace {

const char *opName(unsigned Op) {
  switch (Op) {
  case DW_OP_addr: return "DW_OP_addr";
  case DW_OP_deref: return "DW_OP_deref";
  case DW_OP_const1u: return "DW_OP_const1u";
  case DW_OP_const1s: return "DW_OP_const1s";
  case DW_OP_const2u: return "DW_OP_const2u";
  case DW_OP_const2s: return "DW_OP_const2s";
  case DW_OP_const4u: return "DW_OP_const4u";
  case DW_OP_const4s: return "DW_OP_const4s";
  case DW_OP_const8u: return "DW_OP_const8u";
  case DW_OP_const8s: return "DW_OP_const8s";
  case DW_OP_constu: return "DW_OP_constu";
  case DW_OP_consts: return "DW_OP_consts";
  case DW_OP_dup: return "DW_OP_dup";
  case DW_OP_drop: return "DW_OP_drop";
  case DW_OP_swap: return "DW_OP_swap";
  case DW_OP_and: return "DW_OP_and";
  case DW_OP_minus: return "DW_OP_minus";
  case DW_OP_or: return "DW_OP_or";
  case DW_OP_plus: return "DW_OP_plus";
  case DW_OP_plus_uconst: return "DW_OP_plus_uconst";
  case DW_OP_regx: return "DW_OP_regx";
  case DW_OP_fbreg: return "DW_OP_fbreg";
  case DW_OP_bregx: return "DW_OP_bregx";
  case DW_OP_piece: return "DW_OP_piece";
  case DW_OP_nop: return "DW_OP_nop";
  case DW_OP_call_frame_cfa: return "DW_OP_call_frame_cfa";
  case DW_OP_implicit_value: return "DW_OP_implicit_value";
  case DW_OP_stack_value: return "DW_OP_stack_value";
  case DW_OP_addrx: return "DW_OP_addrx";
  case DW_OP_constx: return "DW_OP_constx";
  case DW_OP_entry_value: return "DW_OP_entry_value";
  default: return nullptr;
  }
}

} // namespace

std::string opsToString(const Dwarf_Op *Ops, size_t N) {
  std::string S;
  for (size_t I = 0; I < N && I < MaxExprOps; ++I) {
    if (I)
      S += ", ";
    unsigned Op = Ops[I].atom;
    if (Op >= DW_OP_lit0 && Op <= DW_OP_lit31)
      S += "DW_OP_lit" + std::to_string(Op - DW_OP_lit0);
    else if (Op >= DW_OP_reg0 && Op <= DW_OP_reg31)
      S += "DW_OP_reg" + std::to_string(Op - DW_OP_reg0);
    else if (Op >= DW_OP_breg0 && Op <= DW_OP_breg31)
      S += "DW_OP_breg" + std::to_string(Op - DW_OP_breg0) + " " +
           std::to_string(int64_t(Ops[I].number));
    else if (const char *Name = opName(Op)) {
      S += Name;
      if (Op == DW_OP_fbreg || Op == DW_OP_consts || Op == DW_OP_const1s ||
          Op == DW_OP_const2s || Op == DW_OP_const4s || Op == DW_OP_const8s)
        S += " " + std::to_string(int64_t(Ops[I].number));
      else if (Op == DW_OP_addr || Op == DW_OP_constu ||
               Op == DW_OP_plus_uconst || Op == DW_OP_piece ||
               Op == DW_OP_regx || Op == DW_OP_addrx ||
               (Op >= DW_OP_const1u && Op <= DW_OP_const8u))
        S += " " + std::to_string(Ops[I].number);
    } else
      S += "DW_OP_" + hex(Op);
  }
  if (N > MaxExprOps)
    S += ", ...";
  return S;
}

Expected<ExprResult> evalExpr(const Dwarf_Op *Ops, size_t N,
                              const RegisterSet &Regs,
                              std::optional<uint64_t> CFA, const Memory *Mem,
                              const Arch *A) {
  if (N > MaxExprOps)
    return makeError("DWARF expression of {0} ops is too long", N);
  auto Reg = [&](unsigned R) -> Expected<uint64_t> {
    if (auto V = Regs.get(R))
      return *V;
    return makeError("register {0} is not known",
                     A ? A->regName(R) : std::to_string(R));
  };
  std::vector<uint64_t> St;
  constexpr size_t MaxStack = 64;
  auto Push = [&](uint64_t V) -> Error {
    if (St.size() >= MaxStack)
      return makeError("DWARF expression stack overflow");
    St.push_back(V);
    return Error::success();
  };
  auto Pop = [&]() -> Expected<uint64_t> {
    if (St.empty())
      return makeError("DWARF expression stack underflow ({0})",
                       opsToString(Ops, N));
    uint64_t V = St.back();
    St.pop_back();
    return V;
  };
  // A lone register op names where the value lives.
  if (N == 1 && Ops[0].atom >= DW_OP_reg0 && Ops[0].atom <= DW_OP_reg31)
    return ExprResult{ExprResult::Kind::Register,
                      uint64_t(Ops[0].atom - DW_OP_reg0)};
  if (N == 1 && Ops[0].atom == DW_OP_regx)
    return ExprResult{ExprResult::Kind::Register, Ops[0].number};

  bool IsValue = false;
  for (size_t I = 0; I < N; ++I) {
    const Dwarf_Op &O = Ops[I];
    unsigned Op = O.atom;
    Error Err = Error::success();
    if (Op >= DW_OP_lit0 && Op <= DW_OP_lit31) {
      Err = Push(Op - DW_OP_lit0);
    } else if (Op >= DW_OP_breg0 && Op <= DW_OP_breg31) {
      auto V = Reg(Op - DW_OP_breg0);
      if (!V)
        return V.takeError();
      Err = Push(*V + O.number);
    } else {
      switch (Op) {
      case DW_OP_bregx: {
        auto V = Reg(unsigned(O.number));
        if (!V)
          return V.takeError();
        Err = Push(*V + O.number2);
        break;
      }
      case DW_OP_addr:
      case DW_OP_const1u: case DW_OP_const1s:
      case DW_OP_const2u: case DW_OP_const2s:
      case DW_OP_const4u: case DW_OP_const4s:
      case DW_OP_const8u: case DW_OP_const8s:
      case DW_OP_constu: case DW_OP_consts:
        Err = Push(O.number);
        break;
      case DW_OP_call_frame_cfa:
        if (!CFA)
          return makeError("DW_OP_call_frame_cfa without a CFA");
        Err = Push(*CFA);
        break;
      case DW_OP_plus_uconst: {
        auto V = Pop();
        if (!V)
          return V.takeError();
        Err = Push(*V + O.number);
        break;
      }
      case DW_OP_plus: case DW_OP_minus: case DW_OP_and: case DW_OP_or: {
        auto B = Pop();
        if (!B)
          return B.takeError();
        auto Av = Pop();
        if (!Av)
          return Av.takeError();
        uint64_t R = Op == DW_OP_plus ? *Av + *B
                     : Op == DW_OP_minus ? *Av - *B
                     : Op == DW_OP_and   ? (*Av & *B)
                                         : (*Av | *B);
        Err = Push(R);
        break;
      }
      case DW_OP_dup: {
        if (St.empty())
          return makeError("DW_OP_dup on an empty stack");
        Err = Push(St.back());
        break;
      }
      case DW_OP_drop: {
        auto V = Pop();
        if (!V)
          return V.takeError();
        break;
      }
      case DW_OP_swap:
        if (St.size() < 2)
          return makeError("DW_OP_swap on a short stack");
        std::swap(St[St.size() - 1], St[St.size() - 2]);
        break;
      case DW_OP_deref: {
        auto Addr = Pop();
        if (!Addr)
          return Addr.takeError();
        if (!Mem)
          return makeError("DW_OP_deref without memory");
        auto V = Mem->readU64(*Addr);
        if (!V)
          return V.takeError();
        Err = Push(*V);
        break;
      }
      case DW_OP_stack_value:
        if (I + 1 != N)
          return makeError("DW_OP_stack_value before the end ({0})",
                           opsToString(Ops, N));
        IsValue = true;
        break;
      case DW_OP_nop:
        break;
      default:
        return makeError("unsupported DWARF expression ({0})",
                         opsToString(Ops, N));
      }
    }
    if (Err)
      return Err;
  }
  auto Top = Pop();
  if (!Top)
    return Top.takeError();
  return ExprResult{IsValue ? ExprResult::Kind::Value : ExprResult::Kind::Address,
                    *Top};
}

} // namespace ms
