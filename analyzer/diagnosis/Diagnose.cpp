#include "diagnosis/Diagnose.h"

#include <algorithm>
#include <map>
#include <memory>

#include "disasm/Disassembler.h"
#include "goruntime/GoProgram.h"
#include "goruntime/GoValue.h"
#include "goruntime/Goroutines.h"
#include "goruntime/StructView.h"
#include "goruntime/Unwinder.h"
#include "loader/Target.h"
#include "mapfault/CallSite.h"
#include "mapfault/MapFunctions.h"
#include "mapfault/MapIter.h"
#include "mapfault/MapKeys.h"
#include "mapfault/MapState.h"
#include "mapfault/Recover.h"

namespace ms {

namespace {

// Where a map function's block sits in a stack.
struct MapBlock {
  size_t Check = 0; // first (innermost) map function frame
  size_t Entry = 0; // outermost consecutive map function frame
  std::optional<size_t> Throw; // throw frame right above Check
  bool Growing = false;
};

std::optional<MapBlock> findMapBlock(const Stack &St) {
  const auto &F = St.Frames;
  for (size_t I = 0; I < F.size(); ++I) {
    if (!F[I].Go || !isMapFunction(F[I].Function))
      continue;
    MapBlock B;
    B.Check = I;
    size_t E = I;
    while (E + 1 < F.size() && F[E + 1].Go && isMapFunction(F[E + 1].Function))
      ++E;
    B.Entry = E;
    for (size_t J = I; J <= E; ++J)
      B.Growing |= isMapGrowthFunction(F[J].Function);
    for (size_t J = I; J-- > 0;) {
      if (isThrowFunction(F[J].Function)) {
        B.Throw = J;
        break;
      }
    }
    return B;
  }
  return std::nullopt;
}

// The physical frame holding frame I (inlined frames precede theirs).
size_t physicalOf(const Stack &St, size_t I) {
  while (I < St.Frames.size() && St.Frames[I].Inlined)
    ++I;
  return std::min(I, St.Frames.size() - 1);
}

FrameRef refOf(const StackFrame &F, int GoMinor) {
  return {funcNameForPrint(F.Function, GoMinor), F.File, F.Line, F.PC};
}

FrameRef userFrameBelow(const Stack &St, size_t From, int GoMinor) {
  for (size_t I = From; I < St.Frames.size(); ++I)
    if (St.Frames[I].Go && !isRuntimeFunction(St.Frames[I].Function))
      return refOf(St.Frames[I], GoMinor);
  return {};
}

ProvenanceReport provOf(const Candidate &C) {
  ProvenanceReport P;
  P.Src = C.Src;
  P.Conf = C.Conf;
  P.Detail = C.Detail;
  return P;
}

// Validates candidates in order and picks one: the most trusted valid one,
// its confidence raised by agreement and lowered by disagreement.
template <typename Validate>
std::optional<std::pair<Candidate, ProvenanceReport>>
choose(const std::vector<Candidate> &Cs, Validate V) {
  std::vector<const Candidate *> Valid;
  std::vector<std::string> Rejected;
  for (const auto &C : Cs) {
    std::string Why;
    if (V(C, Why))
      Valid.push_back(&C);
    else
      Rejected.push_back(sourceName(C.Src).str() + ": " + Why);
  }
  if (Valid.empty())
    return std::nullopt;
  // The most confident valid candidate; among equals, the most trusted
  // source (candidates come in that order).
  const Candidate *W = Valid.front();
  for (const Candidate *C : Valid)
    if (C->Conf > W->Conf)
      W = C;
  Candidate Win = *W;
  ProvenanceReport P = provOf(Win);
  P.Rejected = Rejected;
  bool Doubted = false;
  for (const Candidate *C : Valid) {
    if (C == W)
      continue;
    if (C->Words == W->Words) {
      P.Agreeing.push_back(C->Src);
      if (C->Conf > Win.Conf && Win.Conf != Confidence::Exact)
        Win.Conf = std::min(C->Conf, Confidence::High);
    } else {
      P.Conflicts.push_back(sourceName(C->Src).str() + " says " +
                            hex(C->Words.empty() ? 0 : C->Words[0]));
      // Only a source that could be trusted on its own casts doubt: a
      // low one (a stale spill slot, likely an earlier call's value) does
      // not.
      if (C->Conf >= Confidence::High)
        Doubted = true;
    }
  }
  if (Doubted && Win.Conf != Confidence::Exact)
    Win.Conf = Confidence::Low;
  P.Conf = Win.Conf;
  return std::make_pair(Win, P);
}

// The argument candidates of one map operation: those of its entry frame,
// then those of inner entry points that were handed the same arguments
// (Go 1.27's mapaccess1 passes (t, h, key) unchanged to mapaccess2;
// reflect_mapassign calls mapassign). An inner frame's spill slot can be
// live where the outer one's is stale. choose() ranks them all.
class OpArgs {
public:
  void add(const GoProgram &P, const Stack &St, size_t Phys,
           EmulationCache &Emu) {
    Frames.emplace_back(P, St, Phys, &Emu);
  }
  std::vector<Candidate> candidates(const ArgSpec &A) const {
    std::vector<Candidate> Out;
    for (size_t I = 0; I < Frames.size(); ++I) {
      for (Candidate C : Frames[I].candidates(A)) {
        if (I > 0)
          C.Detail = "in " + Frames[I].frame().Function + ": " + C.Detail;
        Out.push_back(std::move(C));
      }
    }
    return Out;
  }

private:
  std::vector<FrameArgs> Frames;
};

class Diagnoser {
public:
  Diagnoser(const GoProgram &P, const GoroutineSet &GS, const Unwinder &U,
            const DiagnoseOptions &O)
      : P(P), GS(GS), U(U), O(O), Types(const_cast<GoProgram &>(P).types()),
        Emu(P) {}

  AnalysisReport run();

private:
  struct Recovered {
    const TypeInfo *MapType = nullptr;
    std::optional<ProvenanceReport> TypeProv;
    std::optional<uint64_t> Map;
    std::optional<ProvenanceReport> MapProv;
    std::optional<KeyReport> Key;
    std::shared_ptr<GoValue> KeyValue; // the decoded key, for lookups
    std::optional<uint64_t> Iter;
    std::optional<ProvenanceReport> IterProv;
  };
  // NilOK: whether a nil map is a possible answer (not for a goroutine that
  // died of a concurrent access: the runtime never flags a nil map).
  Recovered recover(const Stack &St, const MapBlock &B, bool NilOK);
  void recoverFromIterator(const Stack &St, size_t Frame, const MapFuncInfo &MF,
                           Recovered &R);
  std::optional<KeyReport> recoverKey(const OpArgs &FA, const MapFuncInfo &MF,
                                      const TypeInfo *KeyType,
                                      std::shared_ptr<GoValue> &Value);
  void describeMap(MapReport &M, const Recovered &Rc, AnalysisReport &R);
  void faultMessage(const Stack &St, const MapBlock &B, FaultReport &F,
                    const GoroutineInfo &G);
  void checkWhich(const Stack &St, const MapBlock &B, FaultReport &F);
  bool validMapType(uint64_t V, std::string &Why);
  bool validMapHeader(uint64_t V, bool NilOK, std::string &Why);

  const GoProgram &P;
  const GoroutineSet &GS;
  const Unwinder &U;
  const DiagnoseOptions &O;
  TypeTable &Types;
  EmulationCache Emu;
  Warnings W;
  const TypeInfo *CurMapType = nullptr; // validates map candidates when known
};

bool Diagnoser::validMapType(uint64_t V, std::string &Why) {
  if (!V) {
    Why = "nil";
    return false;
  }
  auto T = Types.typeAt(V);
  if (!T) {
    Why = errorText(T.takeError());
    return false;
  }
  if ((*T)->K != Kind::Map || !(*T)->Map || !(*T)->Key) {
    Why = hex(V) + " is a " + kindName((*T)->K).str() + " type, not a map type";
    return false;
  }
  return true;
}

bool Diagnoser::validMapHeader(uint64_t V, bool NilOK, std::string &Why) {
  if (!V) {
    Why = "nil map";
    return NilOK;
  }
  if (CurMapType) {
    // A map of this type: the header, a sample of its buckets/groups and
    // that sampled keys hash to where they are.
    auto Vd = validateMapHeader(const_cast<GoProgram &>(P), CurMapType, V);
    if (!Vd) {
      Why = errorText(Vd.takeError());
      return false;
    }
    if (!Vd->Valid) {
      auto Rs = Vd->reasons();
      Why = "not a " + CurMapType->Name + " (" +
            (Rs.empty() ? std::string("invalid") : Rs.front()) + ")";
      return false;
    }
    return true;
  }
  const char *Struct = P.mapImpl() == MapImpl::Swiss
                           ? "internal/runtime/maps.Map"
                           : "runtime.hmap";
  auto SV = StructView::read(P.memory(), P.layouts(), Struct, V);
  if (!SV) {
    Why = errorText(SV.takeError());
    return false;
  }
  if (P.mapImpl() == MapImpl::Classic) {
    uint64_t B = SV->getOr("B", 255), Flags = SV->getOr("flags", 255);
    if (B > 60 || Flags > 15) {
      Why = "not a map header (B=" + std::to_string(B) +
            ", flags=" + std::to_string(Flags) + ")";
      return false;
    }
  } else {
    uint64_t DirLen = SV->getOr("dirLen", ~0ull);
    uint64_t Depth = SV->getOr("globalDepth", 255);
    if (Depth > 63 || (DirLen && (DirLen & (DirLen - 1))) || DirLen > (1ull << Depth)) {
      Why = "not a map header (dirLen=" + std::to_string(DirLen) +
            ", globalDepth=" + std::to_string(Depth) + ")";
      return false;
    }
  }
  return true;
}

void Diagnoser::recoverFromIterator(const Stack &St, size_t Frame,
                                    const MapFuncInfo &MF, Recovered &R) {
  FrameArgs FA(P, St, physicalOf(St, Frame), &Emu);
  auto Cs = FA.candidates({MF.IterWord, 1, "it", 0});
  const bool Swiss = P.mapImpl() == MapImpl::Swiss;
  const char *IterStruct = Swiss ? "internal/runtime/maps.Iter" : "runtime.hiter";
  auto Pick = choose(Cs, [&](const Candidate &C, std::string &Why) {
    auto SV = StructView::read(P.memory(), P.layouts(), IterStruct, C.Words[0]);
    if (!SV) {
      Why = errorText(SV.takeError());
      return false;
    }
    return validMapType(SV->getOr(Swiss ? "typ" : "t", 0), Why);
  });
  if (!Pick)
    return;
  R.Iter = Pick->first.Words[0];
  R.IterProv = Pick->second;
  auto SV = StructView::read(P.memory(), P.layouts(), IterStruct, *R.Iter);
  if (!SV)
    return llvm::consumeError(SV.takeError());
  uint64_t T = SV->getOr(Swiss ? "typ" : "t", 0);
  uint64_t M = SV->getOr(Swiss ? "m" : "h", 0);
  auto TI = Types.typeAt(T);
  if (TI)
    R.MapType = *TI;
  else
    llvm::consumeError(TI.takeError());
  CurMapType = R.MapType;
  ProvenanceReport Prov = Pick->second;
  Prov.Src = Source::Memory;
  Prov.Detail = std::string("field ") + (Swiss ? "typ" : "t") + " of the iterator at " +
                hex(*R.Iter) + " (" + sourceName(Pick->second.Src).str() + ": " +
                Pick->second.Detail + ")";
  R.TypeProv = Prov;
  std::string Why;
  bool MapOK = validMapHeader(M, false, Why);
  CurMapType = nullptr;
  if (MapOK) {
    R.Map = M;
    Prov.Detail = std::string("field ") + (Swiss ? "m" : "h") +
                  " of the iterator at " + hex(*R.Iter) + " (" +
                  sourceName(Pick->second.Src).str() + ": " + Pick->second.Detail + ")";
    R.MapProv = Prov;
  }
}

std::optional<KeyReport> Diagnoser::recoverKey(const OpArgs &FA,
                                               const MapFuncInfo &MF,
                                               const TypeInfo *KeyType,
                                               std::shared_ptr<GoValue> &Value) {
  if (MF.KeyWord < 0 || MF.Key == KeyPass::None || !KeyType)
    return std::nullopt;
  ArgSpec A{MF.KeyWord, MF.Key == KeyPass::String ? 2 : 1, "key", 2};
  auto Cs = FA.candidates(A);
  DecodeLimits L;
  auto Decode = [&](const Candidate &C) -> GoValue {
    switch (MF.Key) {
    case KeyPass::Pointer:
      return decodeValue(Types, *KeyType, C.Words[0], L);
    case KeyPass::Value32:
      return decodeValueFromWords(Types, *KeyType, {C.Words[0] & 0xffffffffu}, L);
    default:
      return decodeValueFromWords(Types, *KeyType, C.Words, L);
    }
  };
  auto Pick = choose(Cs, [&](const Candidate &C, std::string &Why) {
    if (C.Words.size() != static_cast<size_t>(A.NumWords)) {
      Why = "incomplete";
      return false;
    }
    if (MF.Key == KeyPass::String && C.Words[1] > (1u << 24)) {
      Why = "string length " + std::to_string(C.Words[1]) + " is implausible";
      return false;
    }
    GoValue V = Decode(C);
    if (V.hasErrors()) {
      Why = V.isError() ? V.ErrorText : "part of the value is unreadable";
      return false;
    }
    return true;
  });
  if (!Pick)
    return std::nullopt;
  GoValue V = Decode(Pick->first);
  KeyReport K;
  K.Type = KeyType->Name;
  K.Value = V.detached();
  K.GoSyntax = toGoSyntax(V);
  if (V.VK == GoValue::VKind::Interface && V.DynType)
    K.DynamicType = V.DynType->Name;
  if (MF.Key == KeyPass::Pointer)
    K.Address = Pick->first.Words[0];
  K.Provenance = Pick->second;
  Value = std::make_shared<GoValue>(std::move(V));
  return K;
}

Diagnoser::Recovered Diagnoser::recover(const Stack &St, const MapBlock &B,
                                        bool NilOK) {
  Recovered R;
  // Iteration: the iterator is the argument of the frame that checks.
  for (size_t I = B.Check; I <= B.Entry; ++I) {
    auto MF = classifyMapFunction(St.Frames[I].Function);
    if (MF && MF->IterWord >= 0 && (MF->Op == MapOp::IterNext)) {
      recoverFromIterator(St, I, *MF, R);
      return R;
    }
  }
  // Otherwise the entry point's (t, h, key) arguments.
  size_t EntryPhys = physicalOf(St, B.Entry);
  auto MF = classifyMapFunction(St.Frames[EntryPhys].Function);
  if (!MF || MF->MapWord < 0)
    return R;
  OpArgs FA;
  FA.add(P, St, EntryPhys, Emu);
  for (size_t I = EntryPhys; I-- > B.Check;) {
    if (St.Frames[I].Inlined)
      continue;
    auto IF = classifyMapFunction(St.Frames[I].Function);
    if (IF && IF->EntryPoint && IF->TypeWord == MF->TypeWord &&
        IF->MapWord == MF->MapWord && IF->KeyWord == MF->KeyWord &&
        IF->Key == MF->Key)
      FA.add(P, St, I, Emu);
  }
  if (MF->TypeWord >= 0) {
    auto Pick = choose(FA.candidates({MF->TypeWord, 1, "t", 0}),
                       [&](const Candidate &C, std::string &Why) {
                         return validMapType(C.Words[0], Why);
                       });
    if (Pick) {
      auto T = Types.typeAt(Pick->first.Words[0]);
      if (T) {
        R.MapType = *T;
        R.TypeProv = Pick->second;
      } else {
        llvm::consumeError(T.takeError());
      }
    }
  }
  CurMapType = R.MapType;
  auto Pick = choose(FA.candidates({MF->MapWord, 1, "h", 1}),
                     [&](const Candidate &C, std::string &Why) {
                       return validMapHeader(C.Words[0], NilOK, Why);
                     });
  CurMapType = nullptr;
  if (Pick) {
    R.Map = Pick->first.Words[0];
    R.MapProv = Pick->second;
  }
  if (R.MapType)
    R.Key = recoverKey(FA, *MF, R.MapType->Key, R.KeyValue);
  return R;
}

void Diagnoser::faultMessage(const Stack &St, const MapBlock &B,
                             FaultReport &F, const GoroutineInfo &G) {
  if (!B.Throw)
    return;
  const StackFrame &TF = St.Frames[*B.Throw];
  llvm::StringRef TN = TF.Function;
  if (TN == "runtime.gopanic" || TN == "panic") {
    // The panic value: g._panic.arg.
    auto GV = StructView::read(P.memory(), P.layouts(), "runtime.g", G.G);
    if (!GV)
      return W.add(GV.takeError(), "panic value");
    uint64_t Pan = GV->getOr("_panic", 0);
    if (!Pan)
      return;
    auto PV = StructView::read(P.memory(), P.layouts(), "runtime._panic", Pan);
    if (!PV)
      return W.add(PV.takeError(), "panic value");
    auto ArgAddr = PV->fieldAddr("arg");
    if (!ArgAddr)
      return W.add(ArgAddr.takeError(), "panic value");
    auto TW = P.memory().readU64(*ArgAddr), DW = P.memory().readU64(*ArgAddr + 8);
    if (!TW || !DW) {
      if (!TW)
        W.add(TW.takeError(), "panic value");
      if (!DW)
        W.add(DW.takeError(), "panic value");
      return;
    }
    auto T = Types.typeAt(*TW);
    if (!T)
      return W.add(T.takeError(), "panic value type");
    GoValue V = (*T)->DirectIface
                    ? decodeValueFromWords(Types, **T, {*DW})
                    : decodeValue(Types, **T, *DW);
    F.Message = V.VK == GoValue::VKind::String ? V.Str : toGoSyntax(V);
    F.MessageSource = "panic value (g._panic.arg, " + (*T)->Name + ")";
    return;
  }
  // fatal(s)/throw(s): the string loaded into the first two argument
  // registers before the call in the map function.
  const StackFrame &CF = St.Frames[physicalOf(St, B.Check)];
  const auto Regs = P.arch().goIntArgRegs();
  auto PtrE = registerAtCall(P, CF.PC, static_cast<int>(Regs[0]));
  auto LenE = registerAtCall(P, CF.PC, static_cast<int>(Regs[1]));
  if (PtrE && LenE && PtrE->known() && LenE->known()) {
    auto Ptr = evaluate(P, *PtrE, CF.SP), Len = evaluate(P, *LenE, CF.SP);
    if (Ptr && Len && Len->Value < 4096) {
      auto S = P.memory().readString(Ptr->Value, Len->Value);
      if (S) {
        F.Message = *S;
        F.MessageSource = "code (string loaded before the call at " +
                          hex(CF.PC) + ")";
        return;
      }
      llvm::consumeError(S.takeError());
    }
    if (!Ptr)
      llvm::consumeError(Ptr.takeError());
    if (!Len)
      llvm::consumeError(Len.takeError());
  }
  if (!PtrE)
    llvm::consumeError(PtrE.takeError());
  if (!LenE)
    llvm::consumeError(LenE.takeError());
  // Fall back to the throw frame's spilled argument.
  FrameArgs FA(P, St, physicalOf(St, *B.Throw), &Emu);
  for (const Candidate &C : FA.candidates({0, 2, "s", 0})) {
    if (C.Words.size() != 2 || C.Words[1] > 4096)
      continue;
    auto S = P.memory().readString(C.Words[0], C.Words[1]);
    if (!S) {
      llvm::consumeError(S.takeError());
      continue;
    }
    F.Message = *S;
    F.MessageSource = sourceName(C.Src).str() + " of " + TF.Function;
    return;
  }
}

void Diagnoser::checkWhich(const Stack &St, const MapBlock &B, FaultReport &F) {
  const StackFrame &CF = St.Frames[physicalOf(St, B.Check)];
  auto Fn = P.pclntab().findFunc(CF.PC);
  if (!Fn)
    return llvm::consumeError(Fn.takeError());
  auto DF = P.decodedFunction(CF.PC);
  if (!DF)
    return llvm::consumeError(DF.takeError());
  // Calls to the throw functions, ordered by source line.
  struct Site {
    int64_t Line;
    uint64_t Next;
  };
  std::vector<Site> Sites;
  for (const auto &I : (*DF)->Insns) {
    if (I.Class != disasm::InsnClass::Call || !I.Target)
      continue;
    auto Callee = P.pclntab().findFunc(*I.Target);
    if (!Callee) {
      llvm::consumeError(Callee.takeError());
      continue;
    }
    if (Callee->Name != "runtime.fatal" && Callee->Name != "runtime.throw" &&
        Callee->Name != "internal/runtime/maps.fatal")
      continue;
    auto FL = P.pclntab().fileLine(*Fn, I.Addr);
    if (!FL) {
      llvm::consumeError(FL.takeError());
      continue;
    }
    Sites.push_back({FL->Line, I.next()});
  }
  std::stable_sort(Sites.begin(), Sites.end(),
                   [](const Site &A, const Site &B) { return A.Line < B.Line; });
  CheckReport C;
  C.Count = static_cast<int>(Sites.size());
  bool Found = false;
  for (size_t I = 0; I < Sites.size(); ++I)
    if (Sites[I].Next == CF.PC) {
      C.Index = static_cast<int>(I);
      Found = true;
    }
  if (!Found)
    return;
  const bool Writes = F.Kind == FaultKind::ConcurrentMapWrites;
  const bool Swiss = P.mapImpl() == MapImpl::Swiss;
  const char *Flag = Swiss ? "the map's writing flag (Map.writing)"
                           : "the hashWriting flag (hmap.flags)";
  if (Writes && C.Index > 0) {
    C.Which = CheckWhich::EndOfWrite;
    C.Explanation = std::string(Flag) +
                    " was clear when this write finished: another writer ran "
                    "and finished during this write";
  } else if (Writes) {
    C.Which = CheckWhich::Entry;
    C.Explanation = std::string(Flag) +
                    " was already set when this write began: another write "
                    "was in progress";
  } else if (F.Kind == FaultKind::ConcurrentMapReadAndWrite) {
    C.Which = CheckWhich::Entry;
    C.Explanation = std::string(Flag) +
                    " was set while this read looked the key up: a write was "
                    "in progress";
  } else if (F.Kind == FaultKind::ConcurrentMapIterationAndWrite) {
    C.Which = CheckWhich::Entry;
    C.Explanation = std::string(Flag) +
                    " was set when the iterator advanced: the map was being "
                    "written during the range loop";
  } else if (F.Kind == FaultKind::ConcurrentMapCloneAndWrite) {
    C.Which = CheckWhich::Entry;
    C.Explanation = std::string(Flag) + " was set while the map was cloned";
  } else {
    C.Which = C.Count == 1 ? CheckWhich::Only
              : C.Index == 0 ? CheckWhich::Entry
                             : CheckWhich::Later;
  }
  if (Swiss && Writes)
    C.Explanation += " (writers toggle the flag, so its value in the core "
                     "is weak evidence on its own)";
  F.Check = C;
}

void Diagnoser::describeMap(MapReport &M, const Recovered &Rc,
                            AnalysisReport &R) {
  if (!Rc.MapType || (!M.Address && !Rc.MapType))
    return;
  GoProgram &GP = const_cast<GoProgram &>(P);
  MapReader Reader(GP);
  auto St = Reader.decode(*Rc.MapType, M.Address);
  if (!St) {
    M.Warnings.push_back("decoding the map: " + errorText(St.takeError()));
    return;
  }
  if (St->Classic)
    M.Hmap = St->Classic;
  if (St->Swiss) {
    M.Swiss = St->Swiss;
    M.Tables = St->Tables;
    for (SwissTable &T : M.Tables) { // control words stay with the walk
      T.Ctrl.clear();
      T.Ctrl.shrink_to_fit();
      T.CtrlRead.clear();
      T.CtrlRead.shrink_to_fit();
    }
  }
  if (!St->Nil)
    M.Walk = walkOf(*St);
  if (St->Growth) {
    M.Growth = St->Growth;
    M.Growth->OldEvacuated.clear();
    M.Growth->OldEvacuated.shrink_to_fit();
  }
  if (!St->Nil) {
    M.Count = static_cast<int64_t>(St->headerCount());
    M.EntriesFound = static_cast<int64_t>(St->EntriesFound);
    if (St->Growth)
      M.Growing = St->Growth->Growing;
  }
  for (const auto &Wn : St->Warn.all())
    M.Warnings.push_back(Wn);
  if (!St->Nil && !St->countMatches())
    M.Warnings.push_back("the header counts " + std::to_string(St->headerCount()) +
                         " entries but " + std::to_string(St->EntriesFound) +
                         " were found (the race may have damaged the map)");
  // The key: is it in the map, and where does (or would) it live?
  if (R.Key && Rc.KeyValue) {
    auto L = findKey(Reader, *St, *Rc.KeyValue);
    if (L) {
      if (L->Result != KeyLookup::Verdict::Unknown)
        R.Key->InMap = L->present();
      if (!L->Home && !L->HomeError.empty())
        M.Warnings.push_back("the key's home is not reported: " + L->HomeError);
      R.Key->Location = keyLocation(*St, std::move(*L));
    } else {
      M.Warnings.push_back("looking the key up: " + errorText(L.takeError()));
    }
  }
  // The iterator, for iteration faults.
  if (Rc.Iter) {
    auto It = decodeMapIter(Reader, *Rc.Iter, &*St);
    if (It) {
      IteratorReport IR;
      IR.Address = *Rc.Iter;
      IR.Provenance = Rc.IterProv;
      IR.State = std::move(*It);
      if (IR.State->KeyValue)
        IR.State->KeyValue = IR.State->KeyValue->detached();
      if (IR.State->ElemValue)
        IR.State->ElemValue = IR.State->ElemValue->detached();
      R.Iterator = std::move(IR);
    } else {
      M.Warnings.push_back("decoding the iterator: " + errorText(It.takeError()));
    }
  }
}

AnalysisReport Diagnoser::run() {
  AnalysisReport R;
  R.Core = summarizeCore(P.target());
  R.Exe = summarizeExe(P.target(), &P.buildInfo());
  R.Layouts = P.layouts().source();
  const int Minor = P.version().Minor;

  const GoroutineInfo *G = GS.faulting();
  const ThreadInfo *CT = GS.crashedThread();
  if (CT)
    R.Fault.Thread = CT->Tid;
  if (!G) {
    R.Fault.Kind = FaultKind::Other;
    R.Fault.Message = "the thread that took the signal was not running a goroutine";
    if (CT)
      R.FaultingStack = makeStackReport(P, U.unwindThread(*CT));
    return R;
  }
  R.Fault.Goroutine = G->Goid;
  Stack St = U.unwindGoroutine(*G);
  if (O.FaultingStack)
    R.FaultingStack = makeStackReport(P, St);
  auto B = findMapBlock(St);
  if (!B) {
    R.Fault.Kind = FaultKind::Other;
    R.Fault.Message = "the faulting goroutine is not in a map operation";
    R.Fault.UserFrame = userFrameBelow(St, 0, Minor);
    for (const auto &F : St.Frames)
      if (F.Go && !F.Function.empty() && !isThrowFunction(F.Function)) {
        R.Fault.Frame = refOf(F, Minor);
        break;
      }
  } else {
    size_t CheckPhys = physicalOf(St, B->Check);
    R.Fault.Frame = refOf(St.Frames[B->Check], Minor);
    R.Fault.Frame.PC = St.Frames[CheckPhys].PC;
    R.Fault.EntryFunction = St.Frames[B->Entry].Function;
    if (auto MF = classifyMapFunction(St.Frames[B->Entry].Function))
      R.Fault.Operation = MF->Op;
    R.Fault.UserFrame = userFrameBelow(St, B->Entry + 1, Minor);
    faultMessage(St, *B, R.Fault, *G);
    R.Fault.Kind = faultKindOfMessage(R.Fault.Message);
    R.MapFault = R.Fault.Kind != FaultKind::Other;
    if (R.MapFault)
      checkWhich(St, *B, R.Fault);

    Recovered Rc = recover(St, *B, !R.MapFault || R.Fault.Kind == FaultKind::NilMapWrite);
    if (Rc.Map || R.Fault.Kind == FaultKind::NilMapWrite) {
      MapReport M;
      M.Address = Rc.Map.value_or(0);
      if (Rc.MapProv)
        M.Provenance = *Rc.MapProv;
      else {
        M.Provenance.Src = Source::None;
        M.Provenance.Conf = Confidence::Low;
      }
      if (Rc.MapType) {
        M.Type = Rc.MapType->Name;
        M.KeyType = Rc.MapType->Key ? Rc.MapType->Key->Name : "";
        M.ElemType = Rc.MapType->Elem ? Rc.MapType->Elem->Name : "";
        if (Rc.TypeProv)
          M.TypeProvenance = *Rc.TypeProv;
      }
      M.Impl = P.mapImpl();
      R.Key = std::move(Rc.Key);
      if (Rc.Iter) {
        IteratorReport It;
        It.Address = *Rc.Iter;
        It.Provenance = Rc.IterProv;
        R.Iterator = std::move(It);
      }
      describeMap(M, Rc, R);
      R.Map = std::move(M);
    } else {
      R.Key = std::move(Rc.Key);
    }
  }

  // The other party: every other goroutine inside a map operation.
  for (const auto &OG : GS.Goroutines) {
    if (OG.Dead() || OG.G == G->G)
      continue;
    Stack OS = U.unwindGoroutine(OG);
    auto OB = findMapBlock(OS);
    if (!OB)
      continue;
    RacerReport Rr;
    Rr.Goroutine = OG.Goid;
    Rr.Status = OG.Status;
    Rr.Thread = OG.Tid;
    Rr.Function = OS.Frames[OB->Check].Function;
    Rr.EntryFunction = OS.Frames[OB->Entry].Function;
    if (auto MF = classifyMapFunction(Rr.EntryFunction))
      Rr.Operation = MF->Op;
    Rr.UserFrame = userFrameBelow(OS, OB->Entry + 1, Minor);
    Rr.AlsoFaulted = OB->Throw.has_value() &&
                     (OS.Frames[*OB->Throw].Function == "runtime.fatal" ||
                      OS.Frames[*OB->Throw].Function == "runtime.throw" ||
                      OS.Frames[*OB->Throw].Function == "internal/runtime/maps.fatal");
    if (Rr.AlsoFaulted)
      R.Fault.AlsoFaulted.push_back(OG.Goid);
    Rr.Growing = OB->Growing;
    if (Rr.Growing) {
      // Which growth step, and (swiss) on which table: the receiver of
      // (*table).rehash/grow/split.
      for (size_t I = OB->Check; I <= OB->Entry; ++I) {
        llvm::StringRef N = OS.Frames[I].Function;
        if (!isMapGrowthFunction(N))
          continue;
        if (Rr.GrowthFunction.empty())
          Rr.GrowthFunction = N.str();
        if (!N.contains(".(*table).") || OS.Frames[I].Inlined)
          continue;
        Rr.GrowthFunction = N.str();
        FrameArgs GA(P, OS, I);
        auto Pick = choose(GA.candidates({0, 1, "t", 0}),
                           [&](const Candidate &C, std::string &Why) {
                             auto TV = StructView::read(
                                 P.memory(), P.layouts(),
                                 "internal/runtime/maps.table", C.Words[0]);
                             if (!TV) {
                               Why = errorText(TV.takeError());
                               return false;
                             }
                             return true;
                           });
        if (Pick && Pick->first.Conf != Confidence::Low)
          Rr.GrowthTable = Pick->first.Words[0];
        break;
      }
    }
    Recovered ORc = recover(OS, *OB, true);
    if (ORc.Map) {
      Rr.Map = *ORc.Map;
      Rr.MapProvenance = ORc.MapProv;
      if (R.Map && ORc.MapProv)
        Rr.SameMap = *ORc.Map == R.Map->Address;
    }
    Rr.Key = std::move(ORc.Key);
    if (O.RacerStacks)
      Rr.Stack = makeStackReport(P, OS);
    R.Racers.push_back(std::move(Rr));
  }
  // Growth in progress: goroutines inside growth code for this map.
  if (R.Map) {
    for (const auto &X : R.Racers)
      if (X.Growing && X.SameMap.value_or(false))
        R.Map->GrowthBy.push_back(
            {X.Goroutine, X.GrowthFunction.empty() ? X.Function : X.GrowthFunction,
             X.GrowthTable});
    if (!R.Map->GrowthBy.empty()) {
      if (R.Map->Impl == MapImpl::Swiss)
        R.Map->Growing = true;
    } else if (R.Map->Impl == MapImpl::Swiss && !R.Map->Growing) {
      // Swiss tables grow inside one write: no goroutine in growth code
      // means no growth in progress.
      R.Map->Growing = false;
    }
  }
  // Racers on the same map first, then by goroutine id.
  std::stable_sort(R.Racers.begin(), R.Racers.end(),
                   [](const RacerReport &A, const RacerReport &B) {
                     return A.SameMap.value_or(false) > B.SameMap.value_or(false);
                   });
  R.Warnings = P.target().warnings().all();
  for (const auto &X : P.warnings())
    R.Warnings.push_back(X);
  for (const auto &X : W.all())
    R.Warnings.push_back(X);
  return R;
}

} // namespace

AnalysisReport diagnose(const GoProgram &P, const GoroutineSet &GS,
                        const Unwinder &U, const DiagnoseOptions &O) {
  return Diagnoser(P, GS, U, O).run();
}

} // namespace ms
