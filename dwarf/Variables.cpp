// Functions at a PC and the locations of their variables.
#include "dwarf/DwarfImpl.h"

#include <algorithm>
#include <cstdlib>

#include <dwarf.h>

#include "support/Memory.h"

namespace ms {

using namespace llvm;

// ---- PC -> compilation unit ------------------------------------------------
// Go emits no .debug_aranges, so libdw's dwarf_addrdie finds nothing; keep
// our own table of CU ranges (DW_AT_low_pc/high_pc or DW_AT_ranges).

Error DwarfInfo::Impl::buildRanges() {
  if (RangesBuilt)
    return Error::success();
  if (auto Err = needInfo())
    return Err;
  if (Error E = forEachUnit([&](Dwarf_Die &CuDie) -> Error {
    Dwarf_Addr Base = 0, Lo = 0, Hi = 0;
    ptrdiff_t Off = 0;
    size_t NRanges = 0;
    while ((Off = dwarf_ranges(&CuDie, Off, &Base, &Lo, &Hi)) > 0) {
      if (Hi > Lo)
        CuRanges.push_back({Lo, Hi, dwarf_dieoffset(&CuDie)});
      if (++NRanges > 10'000'000)
        return makeError("{0}: too many ranges in one unit", Name);
    }
    return Error::success();
  }))
    return E;
  std::sort(CuRanges.begin(), CuRanges.end(),
            [](const CuRange &A, const CuRange &B) { return A.Lo < B.Lo; });
  RangesBuilt = true;
  return Error::success();
}

Expected<Dwarf_Die> DwarfInfo::Impl::cuForPC(uint64_t PC) {
  Dwarf_Die CuDie;
  // Producers that emit .debug_aranges: let libdw answer.
  if (dwarf_addrdie(D, PC, &CuDie))
    return CuDie;
  if (auto Err = buildRanges())
    return Err;
  auto It = std::upper_bound(
      CuRanges.begin(), CuRanges.end(), PC,
      [](uint64_t V, const CuRange &R) { return V < R.Lo; });
  // Ranges of different units do not overlap in sane DWARF; look back over
  // a few in case they do.
  for (unsigned Back = 0; It != CuRanges.begin() && Back < 64; ++Back) {
    --It;
    if (PC >= It->Lo && PC < It->Hi) {
      if (!dwarf_offdie(D, It->Cu, &CuDie))
        return makeError("{0}: bad unit DIE: {1}", Name, dwErr());
      return CuDie;
    }
  }
  return makeError("no function in the DWARF of {0} contains pc {1}", Name,
                   hex(PC));
}

Expected<std::vector<Dwarf_Die>> DwarfInfo::Impl::scopesAt(uint64_t PC,
                                                           Dwarf_Die *CuOut) {
  if (auto Err = needInfo())
    return Err;
  auto Cu = cuForPC(PC);
  if (!Cu)
    return Cu.takeError();
  *CuOut = *Cu;
  Dwarf_Off CuOff = dwarf_dieoffset(&*Cu);
  auto It = CuFunctions.find(CuOff);
  if (It == CuFunctions.end()) {
    std::vector<FnRange> Fns;
    Dwarf_Die C;
    int R = dwarf_child(&*Cu, &C);
    uint64_t Count = 0;
    while (R == 0 && ++Count < MaxDiesPerIndex) {
      if (dwarf_tag(&C) == DW_TAG_subprogram) {
        Dwarf_Addr Base = 0, Lo = 0, Hi = 0;
        ptrdiff_t Off = 0;
        unsigned NR = 0;
        while ((Off = dwarf_ranges(&C, Off, &Base, &Lo, &Hi)) > 0 &&
               ++NR < 100'000)
          if (Hi > Lo)
            Fns.push_back({Lo, Hi, dwarf_dieoffset(&C)});
      }
      R = dwarf_siblingof(&C, &C);
    }
    if (R < 0)
      return makeError("{0}: walking unit at {1}: {2}", Name, hex(CuOff),
                       dwErr());
    std::sort(Fns.begin(), Fns.end(),
              [](const FnRange &A, const FnRange &B) { return A.Lo < B.Lo; });
    It = CuFunctions.emplace(CuOff, std::move(Fns)).first;
  }
  const auto &Fns = It->second;
  auto F = std::upper_bound(Fns.begin(), Fns.end(), PC,
                            [](uint64_t V, const FnRange &R) { return V < R.Lo; });
  const FnRange *Hit = nullptr;
  for (unsigned Back = 0; F != Fns.begin() && Back < 64; ++Back) {
    --F;
    if (PC >= F->Lo && PC < F->Hi) {
      Hit = &*F;
      break;
    }
  }
  if (!Hit)
    return makeError("no function in the DWARF of {0} contains pc {1}", Name,
                     hex(PC));
  auto Fn = die(Hit->Die);
  if (!Fn)
    return Fn.takeError();
  // Descend through blocks and inlined calls that contain PC.
  std::vector<Dwarf_Die> Chain{*Fn};
  for (unsigned Depth = 0; Depth < MaxScopes; ++Depth) {
    Dwarf_Die C;
    int R = dwarf_child(&Chain.back(), &C);
    bool Found = false;
    unsigned Count = 0;
    while (R == 0 && ++Count < MaxMembers) {
      int Tag = dwarf_tag(&C);
      if ((Tag == DW_TAG_lexical_block || Tag == DW_TAG_inlined_subroutine) &&
          dwarf_haspc(&C, PC) > 0) {
        Chain.push_back(C);
        Found = true;
        break;
      }
      R = dwarf_siblingof(&C, &C);
    }
    if (!Found)
      break;
  }
  std::reverse(Chain.begin(), Chain.end());
  return Chain;
}

namespace {

// Frame base of a subprogram at PC, as a piece template: Go always uses
// DW_OP_call_frame_cfa; C compilers use a register (+offset).
struct FrameBase {
  enum { None, Cfa, InReg, Bad } K = None;
  unsigned Reg = 0;
  int64_t Off = 0;
  std::string Expr;
};

FrameBase frameBaseOf(Dwarf_Die *Fn, uint64_t PC) {
  FrameBase FB;
  Dwarf_Attribute A0;
  if (!dwarf_attr(Fn, DW_AT_frame_base, &A0))
    return FB;
  Dwarf_Attribute A = exprAttr(A0);
  Dwarf_Op *Exprs[2];
  size_t Lens[2];
  int N = dwarf_getlocation_addr(&A, PC, Exprs, Lens, 2);
  if (N <= 0 || Lens[0] == 0) {
    FB.K = FrameBase::Bad;
    FB.Expr = N < 0 ? dwErr() : "no frame base at this pc";
    return FB;
  }
  const Dwarf_Op *O = Exprs[0];
  size_t L = Lens[0];
  if (L == 1 && O[0].atom == DW_OP_call_frame_cfa) {
    FB.K = FrameBase::Cfa;
  } else if (L == 1 && O[0].atom >= DW_OP_breg0 && O[0].atom <= DW_OP_breg31) {
    FB.K = FrameBase::InReg;
    FB.Reg = O[0].atom - DW_OP_breg0;
    FB.Off = int64_t(O[0].number);
  } else if (L == 1 && O[0].atom >= DW_OP_reg0 && O[0].atom <= DW_OP_reg31) {
    FB.K = FrameBase::InReg;
    FB.Reg = O[0].atom - DW_OP_reg0;
  } else {
    FB.K = FrameBase::Bad;
    FB.Expr = opsToString(O, L);
  }
  return FB;
}

// Decodes one piece's ops (between DW_OP_piece markers).
LocationPiece decodePiece(Dwarf_Attribute *Attr, const Dwarf_Op *O, size_t L,
                          const FrameBase &FB) {
  LocationPiece P;
  auto Unsupported = [&] {
    P.K = LocationPiece::Kind::Unsupported;
    P.Expr = opsToString(O, L);
    return P;
  };
  if (L == 0) {
    P.K = LocationPiece::Kind::Unavailable;
    return P;
  }
  unsigned Op0 = O[0].atom;
  if (L == 1 && Op0 >= DW_OP_reg0 && Op0 <= DW_OP_reg31) {
    P.K = LocationPiece::Kind::Register;
    P.Reg = Op0 - DW_OP_reg0;
    return P;
  }
  if (L == 1 && Op0 == DW_OP_regx) {
    P.K = LocationPiece::Kind::Register;
    P.Reg = unsigned(O[0].number);
    return P;
  }
  if (L == 1 && (Op0 == DW_OP_addr || Op0 == DW_OP_addrx ||
                 Op0 == DW_OP_GNU_addr_index)) {
    P.K = LocationPiece::Kind::Address;
    if (Op0 == DW_OP_addr) {
      P.Addr = O[0].number;
      return P;
    }
    Dwarf_Attribute R;
    Dwarf_Addr Addr = 0;
    if (dwarf_getlocation_attr(Attr, &O[0], &R) == 0 &&
        dwarf_formaddr(&R, &Addr) == 0) {
      P.Addr = Addr;
      return P;
    }
    return Unsupported();
  }
  if (Op0 == DW_OP_call_frame_cfa) {
    // CFA, CFA+k (plus_uconst), CFA k plus (consts/constu).
    if (L == 1) {
      P.K = LocationPiece::Kind::CfaOffset;
      return P;
    }
    if (L == 2 && O[1].atom == DW_OP_plus_uconst) {
      P.K = LocationPiece::Kind::CfaOffset;
      P.Offset = int64_t(O[1].number);
      return P;
    }
    if (L == 3 && (O[1].atom == DW_OP_consts || O[1].atom == DW_OP_constu) &&
        (O[2].atom == DW_OP_plus || O[2].atom == DW_OP_minus)) {
      P.K = LocationPiece::Kind::CfaOffset;
      P.Offset = O[2].atom == DW_OP_plus ? int64_t(O[1].number)
                                         : -int64_t(O[1].number);
      return P;
    }
    return Unsupported();
  }
  if (L == 1 && Op0 == DW_OP_fbreg) {
    int64_t K = int64_t(O[0].number);
    if (FB.K == FrameBase::Cfa) {
      P.K = LocationPiece::Kind::CfaOffset;
      P.Offset = K;
      return P;
    }
    if (FB.K == FrameBase::InReg) {
      P.K = LocationPiece::Kind::RegOffset;
      P.Reg = FB.Reg;
      P.Offset = FB.Off + K;
      return P;
    }
    P.K = LocationPiece::Kind::Unsupported;
    P.Expr = "DW_OP_fbreg with frame base: " +
             (FB.Expr.empty() ? std::string("none") : FB.Expr);
    return P;
  }
  if (L == 1 && Op0 >= DW_OP_breg0 && Op0 <= DW_OP_breg31) {
    P.K = LocationPiece::Kind::RegOffset;
    P.Reg = Op0 - DW_OP_breg0;
    P.Offset = int64_t(O[0].number);
    return P;
  }
  if (L == 1 && Op0 == DW_OP_bregx) {
    P.K = LocationPiece::Kind::RegOffset;
    P.Reg = unsigned(O[0].number);
    P.Offset = int64_t(O[0].number2);
    return P;
  }
  // Constant values: literals/constants followed by DW_OP_stack_value.
  if (L == 2 && O[1].atom == DW_OP_stack_value) {
    if (Op0 >= DW_OP_lit0 && Op0 <= DW_OP_lit31) {
      P.K = LocationPiece::Kind::Value;
      P.Value = Op0 - DW_OP_lit0;
      return P;
    }
    if (Op0 == DW_OP_constu || Op0 == DW_OP_consts ||
        (Op0 >= DW_OP_const1u && Op0 <= DW_OP_const8s)) {
      P.K = LocationPiece::Kind::Value;
      P.Value = O[0].number;
      return P;
    }
  }
  if (L == 1 && Op0 == DW_OP_implicit_value) {
    Dwarf_Block B;
    if (dwarf_getlocation_implicit_value(Attr, &O[0], &B) == 0 &&
        B.length <= 8) {
      uint64_t V = 0;
      for (size_t I = 0; I < B.length; ++I)
        V |= uint64_t(B.data[I]) << (8 * I);
      P.K = LocationPiece::Kind::Value;
      P.Value = V;
      return P;
    }
  }
  return Unsupported();
}

// Fills V's location at PC from DW_AT_location of Die.
void locate(Dwarf_Die *Die, uint64_t PC, const FrameBase &FB,
            VariableLocation &V) {
  Dwarf_Attribute A0;
  if (!dwarf_attr(Die, DW_AT_location, &A0)) {
    V.Available = false;
    return;
  }
  Dwarf_Attribute A = exprAttr(A0);
  Dwarf_Op *Exprs[4];
  size_t Lens[4];
  int N = dwarf_getlocation_addr(&A, PC, Exprs, Lens, 4);
  if (N <= 0 || Lens[0] == 0) {
    V.Available = false;
    return;
  }
  const Dwarf_Op *O = Exprs[0];
  size_t L = std::min(Lens[0], MaxExprOps);
  V.Available = true;
  size_t Start = 0;
  bool SawPiece = false;
  for (size_t I = 0; I < L; ++I) {
    if (O[I].atom != DW_OP_piece)
      continue;
    SawPiece = true;
    LocationPiece P = decodePiece(&A, O + Start, I - Start, FB);
    P.Size = O[I].number;
    V.Pieces.push_back(std::move(P));
    Start = I + 1;
  }
  if (!SawPiece) {
    LocationPiece P = decodePiece(&A, O, L, FB);
    P.Size = V.TypeSize.value_or(0);
    V.Pieces.push_back(std::move(P));
  } else if (Start < L) {
    // Trailing ops without a DW_OP_piece: malformed; keep them visible.
    LocationPiece P;
    P.K = LocationPiece::Kind::Unsupported;
    P.Expr = "trailing ops after the last piece: " +
             opsToString(O + Start, L - Start);
    V.Pieces.push_back(std::move(P));
  }
  // All pieces empty: the variable is not available here.
  if (std::all_of(V.Pieces.begin(), V.Pieces.end(), [](const LocationPiece &P) {
        return P.K == LocationPiece::Kind::Unavailable;
      }))
    V.Available = false;
}

// Collects the parameters and variables directly under SCOPE.
void collectVariables(Dwarf_Die *Scope, uint64_t PC, const FrameBase &FB,
                      std::vector<VariableLocation> &Params,
                      std::vector<VariableLocation> &Locals) {
  Dwarf_Die C;
  int R = dwarf_child(Scope, &C);
  unsigned Count = 0;
  while (R == 0 && ++Count < MaxMembers) {
    int Tag = dwarf_tag(&C);
    if (Tag == DW_TAG_formal_parameter || Tag == DW_TAG_variable) {
      VariableLocation V;
      const char *N = dwarf_diename(&C);
      V.Name = N ? N : "";
      V.IsParameter = Tag == DW_TAG_formal_parameter;
      Dwarf_Attribute VP;
      bool Flag = false;
      if (dwarf_attr_integrate(&C, DW_AT_variable_parameter, &VP) &&
          dwarf_formflag(&VP, &Flag) == 0)
        V.IsResult = Flag; // Go marks results with variable_parameter=1
      Dwarf_Die T;
      if (typeOf(&C, &T)) {
        V.TypeName = typeNameOf(&T);
        V.TypeSize = typeSizeOf(&T);
        V.TypeDie = dwarf_dieoffset(&T);
      }
      locate(&C, PC, FB, V);
      (V.IsParameter ? Params : Locals).push_back(std::move(V));
    }
    R = dwarf_siblingof(&C, &C);
  }
}

} // namespace

Expected<std::pair<std::string, uint64_t>> DwarfInfo::functionAt(uint64_t PC) const {
  Dwarf_Die CuDie;
  auto S = P->scopesAt(PC, &CuDie);
  if (!S)
    return S.takeError();
  Dwarf_Die &Fn = S->back();
  const char *N = dwarf_diename(&Fn);
  Dwarf_Addr Lo = 0;
  if (dwarf_lowpc(&Fn, &Lo) != 0 && dwarf_entrypc(&Fn, &Lo) != 0)
    return makeError("{0}: function {1} has no entry pc", P->Name, N ? N : "?");
  return std::make_pair(std::string(N ? N : "?"), uint64_t(Lo));
}

Expected<FrameVariables> DwarfInfo::variablesAt(uint64_t PC) const {
  Dwarf_Die CuDie;
  auto S = P->scopesAt(PC, &CuDie);
  if (!S)
    return S.takeError();
  // The out-of-line function: its frame base applies to inlined code too.
  int FnIdx = int(S->size()) - 1;
  FrameBase FB = frameBaseOf(&(*S)[FnIdx], PC);

  FrameVariables FV;
  FV.PC = PC;
  // Variables of lexical blocks containing PC, innermost block first,
  // waiting for the function (or inlined call) they belong to.
  std::vector<std::vector<VariableLocation>> Blocks;
  for (int I = 0; I <= FnIdx; ++I) {
    Dwarf_Die *D = &(*S)[I];
    int Tag = dwarf_tag(D);
    if (Tag == DW_TAG_lexical_block) {
      std::vector<VariableLocation> Params, Locals;
      collectVariables(D, PC, FB, Params, Locals);
      for (auto &V : Locals)
        Params.push_back(std::move(V));
      Blocks.push_back(std::move(Params));
      continue;
    }
    if (Tag != DW_TAG_inlined_subroutine && Tag != DW_TAG_subprogram)
      continue;
    ScopeVariables SV;
    const char *N = dwarf_diename(D);
    SV.Function = N ? N : "?";
    SV.Inlined = Tag == DW_TAG_inlined_subroutine;
    Dwarf_Addr Lo = 0;
    if (dwarf_lowpc(D, &Lo) == 0 || dwarf_entrypc(D, &Lo) == 0)
      SV.LowPC = Lo;
    if (SV.Inlined) {
      Dwarf_Attribute A;
      Dwarf_Word Line = 0;
      if (dwarf_attr(D, DW_AT_call_line, &A) && dwarf_formudata(&A, &Line) == 0)
        SV.CallLine = unsigned(Line);
    }
    std::vector<VariableLocation> Params, Locals;
    collectVariables(D, PC, FB, Params, Locals);
    SV.Variables = std::move(Params);
    for (auto &V : Locals)
      SV.Variables.push_back(std::move(V));
    // Outer blocks before inner ones, each in declaration order.
    for (auto It = Blocks.rbegin(); It != Blocks.rend(); ++It)
      for (auto &V : *It)
        SV.Variables.push_back(std::move(V));
    Blocks.clear();
    FV.Scopes.push_back(std::move(SV));
  }
  return FV;
}

Expected<std::vector<uint8_t>> readVariable(const VariableLocation &V,
                                            const RegisterSet &Regs,
                                            std::optional<uint64_t> CFA,
                                            const Memory &Mem, const Arch *A) {
  if (!V.Available)
    return makeError("{0} is not available at this pc", V.Name);
  constexpr uint64_t MaxVariableBytes = 1 << 20;
  std::vector<uint8_t> Out;
  for (size_t I = 0; I < V.Pieces.size(); ++I) {
    const LocationPiece &P = V.Pieces[I];
    uint64_t Size = P.Size;
    if (Size == 0 || Size > MaxVariableBytes ||
        Out.size() + Size > MaxVariableBytes)
      return makeError("{0}: piece {1} has no usable size ({2})", V.Name, I,
                       Size);
    auto Fail = [&](const Twine &Why) {
      return makeError("{0}: piece {1} ({2}): {3}", V.Name, I, P.describe(A),
                       Why.str());
    };
    auto Little = [&](uint64_t Val) -> Error {
      if (Size > 8)
        return Fail("wider than a register");
      for (uint64_t B = 0; B < Size; ++B)
        Out.push_back(uint8_t(Val >> (8 * B)));
      return Error::success();
    };
    auto ReadAt = [&](uint64_t Addr) -> Error {
      auto Bytes = Mem.readBytes(Addr, Size);
      if (!Bytes)
        return addContext(Bytes.takeError(),
                          V.Name + ": piece " + std::to_string(I));
      Out.insert(Out.end(), Bytes->begin(), Bytes->end());
      return Error::success();
    };
    Error E = Error::success();
    switch (P.K) {
    case LocationPiece::Kind::Register: {
      auto R = Regs.get(P.Reg);
      if (!R)
        return Fail("register not known in this frame");
      E = Little(*R);
      break;
    }
    case LocationPiece::Kind::CfaOffset:
      if (!CFA)
        return Fail("needs the CFA");
      E = ReadAt(*CFA + uint64_t(P.Offset));
      break;
    case LocationPiece::Kind::RegOffset: {
      auto R = Regs.get(P.Reg);
      if (!R)
        return Fail("register not known in this frame");
      E = ReadAt(*R + uint64_t(P.Offset));
      break;
    }
    case LocationPiece::Kind::Address:
      E = ReadAt(P.Addr);
      break;
    case LocationPiece::Kind::Value:
      E = Little(P.Value);
      break;
    case LocationPiece::Kind::Unavailable:
      return Fail("optimized out at this pc");
    case LocationPiece::Kind::Unsupported:
      return Fail("unsupported location");
    }
    if (E)
      return E;
  }
  return Out;
}

} // namespace ms
