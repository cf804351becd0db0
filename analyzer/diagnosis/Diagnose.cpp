#include "diagnosis/Diagnose.h"
#include "mapfault/Shapes.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

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

// Whether two candidates' values were found independently: stack_scan
// builds on the spill slot's pointer, so their agreement proves nothing;
// data_extent is a reading of the bytes that seconds nothing.
bool independent(const Candidate &A, const Candidate &B) {
  auto Pair = [](Source X, Source Y) {
    return X == Source::StackScan && Y == Source::SpillSlot;
  };
  if (A.Src == Source::DataExtent || B.Src == Source::DataExtent)
    return false;
  return !Pair(A.Src, B.Src) && !Pair(B.Src, A.Src);
}

// Validates candidates in order and picks one: the most trusted valid one,
// its confidence raised by agreement and lowered by disagreement.
template <typename Validate>
std::optional<std::pair<Candidate, ProvenanceReport>>
choose(const std::vector<Candidate> &Cs, Validate V) {
  std::vector<const Candidate *> Valid;
  std::vector<std::string> Rejected;
  for (const auto &C : Cs) {
    std::string Why = C.Refuted;
    if (Why.empty() && V(C, Why))
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
  // A stale slot (probably an earlier call's value) wins no tie against a
  // value that is not stale.
  if (W->Stale)
    for (const Candidate *C : Valid)
      if (!C->Stale && C->Conf == W->Conf) {
        W = C;
        break;
      }
  Candidate Win = *W;
  ProvenanceReport P = provOf(Win);
  P.Rejected = Rejected;
  bool Doubted = false;
  std::optional<Source> Seconded; // a low source of another kind agreeing
  for (const Candidate *C : Valid) {
    if (C == W)
      continue;
    if (C->Words == W->Words) {
      P.Agreeing.push_back(C->Src);
      if (C->Conf > Win.Conf && Win.Conf != Confidence::Exact)
        Win.Conf = std::min(C->Conf, Confidence::High);
      if (C->Src != W->Src && (!C->Stale || !W->Stale) && independent(*C, *W))
        Seconded = C->Src;
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
  // Two low sources of different kinds that fail in unrelated ways (a
  // spill slot an earlier call may have left, memory read as it is now, a
  // path that may not be the one that ran) and still give the same value.
  if (Win.Conf == Confidence::Low && Seconded && !Doubted) {
    Win.Conf = Confidence::High;
    P.Detail += "; high because " + sourceName(*Seconded).str() +
                ", which could be wrong for other reasons, gives the same";
  }
  if (Doubted && Win.Conf != Confidence::Exact)
    Win.Conf = Confidence::Low;
  P.Conf = Win.Conf;
  P.Stale = Win.Stale && Win.Conf == Confidence::Low;
  return std::make_pair(Win, P);
}

// choose() over an argument's candidates (Args: FrameArgs or OpArgs),
// asking DWARF only when the other sources do not settle it: no valid
// candidate, or none at high confidence or better. DWARF is opened on
// first use, so an analysis that never needs it never inflates it.
template <typename Args, typename Validate>
std::optional<std::pair<Candidate, ProvenanceReport>>
chooseArg(const Args &FA, const ArgSpec &A, Validate V) {
  auto Pick = choose(FA.candidates(A, /*WithDwarf=*/false), V);
  if (Pick && Pick->second.Conf >= Confidence::High)
    return Pick;
  return choose(FA.candidates(A, /*WithDwarf=*/true), V);
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
  // Why the first frame's caller gave no value for A.
  std::string whyNoDataflow(const ArgSpec &A) const {
    return Frames.empty() ? std::string() : Frames.front().whyNoDataflow(A);
  }
  std::vector<Candidate> candidates(const ArgSpec &A,
                                    bool WithDwarf = true) const {
    std::vector<Candidate> Out;
    for (size_t I = 0; I < Frames.size(); ++I) {
      for (Candidate C : Frames[I].candidates(A, WithDwarf)) {
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

// The iterator of an iteration fault, its decoded key and element detached
// from the program's types (the report outlives them).
IteratorReport iteratorReport(uint64_t Address,
                              std::optional<ProvenanceReport> Provenance,
                              MapIterState State) {
  IteratorReport IR;
  IR.Address = Address;
  IR.Provenance = std::move(Provenance);
  IR.State = std::move(State);
  if (IR.State->KeyValue)
    IR.State->KeyValue = IR.State->KeyValue->detached();
  if (IR.State->ElemValue)
    IR.State->ElemValue = IR.State->ElemValue->detached();
  return IR;
}

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
    std::optional<KeyMissingReport> KeyMissing;
    std::shared_ptr<GoValue> KeyValue; // the decoded key, for lookups
    std::optional<uint64_t> Iter;
    std::optional<ProvenanceReport> IterProv;
  };

  // The steps of run(): the fault, the racers, growth, warnings.
  void diagnoseFault(const GoroutineInfo &G, AnalysisReport &R);
  void describeNonMapFault(const Stack &St, FaultReport &F);
  void describeMapFault(const Stack &St, const MapBlock &B,
                        const GoroutineInfo &G, FaultReport &F);
  void reportFaultingMap(const Stack &St, const MapBlock &B,
                         AnalysisReport &R);
  void concretizeShapes(const Stack &St, const MapBlock &B, MapReport &M);
  bool mayBeInMapCode(const GoroutineInfo &G);
  std::optional<RacerReport> racerOf(const GoroutineInfo &Other,
                                     const AnalysisReport &R);
  void findGrowthStep(const Stack &St, const MapBlock &B, RacerReport &Racer);
  void attributeGrowth(AnalysisReport &R);
  void collectWarnings(AnalysisReport &R);

  // NilOK: whether a nil map is a possible answer (not for a goroutine that
  // died of a concurrent access: the runtime never flags a nil map).
  Recovered recover(const Stack &St, const MapBlock &B, bool NilOK);
  void recoverFromIterator(const Stack &St, size_t Frame, const MapFuncInfo &MF,
                           Recovered &R);
  std::optional<KeyReport> recoverKey(const OpArgs &FA, const MapFuncInfo &MF,
                                      const TypeInfo *KeyType,
                                      std::shared_ptr<GoValue> &Value,
                                      std::optional<KeyMissingReport> &Missing);
  void describeMap(MapReport &M, const Recovered &Found, AnalysisReport &R);
  static MapLimits entryLimits(const MapReader &Reader, const Recovered &Found,
                               const AnalysisReport &R);
  void locateKey(const MapReader &Reader, const MapState &Decoded,
                 const GoValue &KeyValue, MapReport &M, KeyReport &K);
  void faultMessage(const Stack &St, const MapBlock &B, FaultReport &F,
                    const GoroutineInfo &G);
  void panicMessage(const GoroutineInfo &G, FaultReport &F);
  std::optional<std::string> messageLoadedBeforeCall(const StackFrame &CF);
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
  // PCs seen on parked goroutines' stacks: in a map function or not.
  std::unordered_map<uint64_t, bool> MapPCs;
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
    auto Validation =
        validateMapHeader(const_cast<GoProgram &>(P), CurMapType, V);
    if (!Validation) {
      Why = errorText(Validation.takeError());
      return false;
    }
    if (!Validation->Valid) {
      auto Reasons = Validation->reasons();
      Why = "not a " + CurMapType->Name + " (" +
            (Reasons.empty() ? std::string("invalid") : Reasons.front()) + ")";
      return false;
    }
    return true;
  }
  const char *Struct = P.mapImpl() == MapImpl::Swiss
                           ? "internal/runtime/maps.Map"
                           : "runtime.hmap";
  auto Header = StructView::read(P.memory(), P.layouts(), Struct, V);
  if (!Header) {
    Why = errorText(Header.takeError());
    return false;
  }
  if (P.mapImpl() == MapImpl::Classic) {
    uint64_t B = Header->getOr("B", 255), Flags = Header->getOr("flags", 255);
    if (B > 60 || Flags > 15) {
      Why = "not a map header (B=" + std::to_string(B) +
            ", flags=" + std::to_string(Flags) + ")";
      return false;
    }
  } else {
    uint64_t DirLen = Header->getOr("dirLen", ~0ull);
    uint64_t Depth = Header->getOr("globalDepth", 255);
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
  const bool Swiss = P.mapImpl() == MapImpl::Swiss;
  const char *IterStruct = Swiss ? "internal/runtime/maps.Iter" : "runtime.hiter";
  const char *TypeField = Swiss ? "typ" : "t", *MapField = Swiss ? "m" : "h";
  auto Pick = chooseArg(FA, ArgSpec{MF.IterWord, 1, "it", 0},
                        [&](const Candidate &C, std::string &Why) {
    auto Iter = StructView::read(P.memory(), P.layouts(), IterStruct, C.Words[0]);
    if (!Iter) {
      Why = errorText(Iter.takeError());
      return false;
    }
    return validMapType(Iter->getOr(TypeField, 0), Why);
  });
  if (!Pick)
    return;
  R.Iter = Pick->first.Words[0];
  R.IterProv = Pick->second;
  // (Read once already, by the validation above.)
  auto Iter = probe(StructView::read(P.memory(), P.layouts(), IterStruct, *R.Iter));
  if (!Iter)
    return;
  uint64_t TypeAddr = Iter->getOr(TypeField, 0);
  uint64_t MapAddr = Iter->getOr(MapField, 0);
  if (auto Type = probe(Types.typeAt(TypeAddr)))
    R.MapType = *Type;
  CurMapType = R.MapType;
  // What the iterator's fields say, and how the iterator itself was found.
  auto FieldOfIterator = [&](const char *Field) {
    return std::string("field ") + Field + " of the iterator at " +
           hex(*R.Iter) + " (" + sourceName(Pick->second.Src).str() + ": " +
           Pick->second.Detail + ")";
  };
  ProvenanceReport Prov = Pick->second;
  Prov.Src = Source::Memory;
  Prov.Detail = FieldOfIterator(TypeField);
  R.TypeProv = Prov;
  std::string Why;
  bool MapOK = validMapHeader(MapAddr, false, Why);
  CurMapType = nullptr;
  if (MapOK) {
    R.Map = MapAddr;
    Prov.Detail = FieldOfIterator(MapField);
    R.MapProv = Prov;
  }
}

std::optional<KeyReport> Diagnoser::recoverKey(const OpArgs &FA,
                                               const MapFuncInfo &MF,
                                               const TypeInfo *KeyType,
                                               std::shared_ptr<GoValue> &Value,
                                               std::optional<KeyMissingReport> &Missing) {
  if (MF.KeyWord < 0 || MF.Key == KeyPass::None || !KeyType)
    return std::nullopt;
  ArgSpec A{MF.KeyWord, MF.Key == KeyPass::String ? 2 : 1, "key", 2};
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
  auto Valid = [&](const Candidate &C, std::string &Why) {
    if (!C.Refuted.empty()) { // (choose() never takes one; the reasons list)
      Why = C.Refuted;
      return false;
    }
    if (C.Words.size() != static_cast<size_t>(A.NumWords)) {
      Why = "incomplete";
      return false;
    }
    // Half this call's: the pointer was saved on every path, the length
    // word was not (an earlier call's length beside this call's bytes).
    if (MF.Key == KeyPass::String && C.Src == Source::SpillSlot &&
        C.KnownWords == 1u) {
      Why = "its data pointer is this call's but its length word (" +
            std::to_string(C.Words[1]) + ") is not";
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
    // Long runs of NULs are zeroed memory, not a key anyone wrote.
    if (V.VK == GoValue::VKind::String && V.Str.size() >= 64 &&
        V.Str.find_first_not_of('\0') == std::string::npos) {
      Why = "a string of " + std::to_string(V.Len) + " NUL bytes is implausible";
      return false;
    }
    return true;
  };
  auto Pick = chooseArg(FA, A, Valid);
  if (!Pick || Pick->second.Stale) {
    // Say what each source had, so "not recovered" has its reasons.
    KeyMissingReport KM;
    KM.Type = KeyType->Name;
    bool SawSpill = false;
    for (const Candidate &C : FA.candidates(A, /*WithDwarf=*/true)) {
      std::string Why;
      SawSpill |= C.Src == Source::SpillSlot;
      if (!Valid(C, Why))
        KM.Reasons.push_back(sourceName(C.Src).str() + ": rejected, " + Why +
                             " (" + C.Detail + ")");
      else if (C.Stale)
        KM.Reasons.push_back(sourceName(C.Src).str() + ": " + C.Detail +
                             ", probably an earlier call's key");
    }
    if (!SawSpill)
      KM.Reasons.push_back("spill_slot: the map function keeps no record of "
                           "where it saves its register arguments at this pc");
    // A string whose data pointer is known but not its length: say where
    // the bytes are and how they begin.
    for (const Candidate &C : FA.candidates(A, /*WithDwarf=*/false)) {
      if (C.Src != Source::SpillSlot || MF.Key != KeyPass::String ||
          C.KnownWords != 1u || C.Words.empty())
        continue;
      constexpr uint64_t Show = 32;
      auto Bytes = P.memory().readBytes(C.Words[0], Show);
      std::string Begin = Bytes ? quoteGoString(llvm::StringRef(
                                      reinterpret_cast<const char *>(Bytes->data()),
                                      Bytes->size()))
                                : std::string();
      if (!Bytes)
        llvm::consumeError(Bytes.takeError());
      KM.Data = C.Words[0];
      KM.Reasons.push_back(
          "the key's data is at " + hex(C.Words[0]) +
          " (this call's pointer, from the spill slot); its length is in no "
          "slot found" +
          (Begin.empty() ? std::string(" and the bytes there are not in the core")
                         : ", and the " + std::to_string(Show) +
                               " bytes there are " + Begin));
      break;
    }
    std::string NoFlow = FA.whyNoDataflow(A);
    if (!NoFlow.empty())
      KM.Reasons.push_back("callsite_dataflow: " + NoFlow);
    Missing = std::move(KM);
  }
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
    auto Pick = chooseArg(FA, ArgSpec{MF->TypeWord, 1, "t", 0},
                       [&](const Candidate &C, std::string &Why) {
                         return validMapType(C.Words[0], Why);
                       });
    // (validMapType read the type already.)
    if (Pick) {
      if (auto T = probe(Types.typeAt(Pick->first.Words[0]))) {
        R.MapType = *T;
        R.TypeProv = Pick->second;
      }
    }
  }
  CurMapType = R.MapType;
  auto Pick = chooseArg(FA, ArgSpec{MF->MapWord, 1, "h", 1},
                     [&](const Candidate &C, std::string &Why) {
                       return validMapHeader(C.Words[0], NilOK, Why);
                     });
  CurMapType = nullptr;
  if (Pick) {
    R.Map = Pick->first.Words[0];
    R.MapProv = Pick->second;
  }
  if (R.MapType)
    R.Key = recoverKey(FA, *MF, R.MapType->Key, R.KeyValue, R.KeyMissing);
  return R;
}

// The panic value: g._panic.arg.
void Diagnoser::panicMessage(const GoroutineInfo &G, FaultReport &F) {
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
  auto TypeWord = P.memory().readU64(*ArgAddr);
  auto DataWord = P.memory().readU64(*ArgAddr + 8);
  if (!TypeWord || !DataWord) {
    if (!TypeWord)
      W.add(TypeWord.takeError(), "panic value");
    if (!DataWord)
      W.add(DataWord.takeError(), "panic value");
    return;
  }
  auto T = Types.typeAt(*TypeWord);
  if (!T)
    return W.add(T.takeError(), "panic value type");
  GoValue V = (*T)->DirectIface
                  ? decodeValueFromWords(Types, **T, {*DataWord})
                  : decodeValue(Types, **T, *DataWord);
  F.Message = V.VK == GoValue::VKind::String ? V.Str : toGoSyntax(V);
  F.MessageSource = "panic value (g._panic.arg, " + (*T)->Name + ")";
}

// fatal(s)/throw(s): the string loaded into the first two argument
// registers before the call in the map function CF. Not found (the code
// does not show it, or the memory is not in the core): nullopt, and the
// caller looks elsewhere.
std::optional<std::string>
Diagnoser::messageLoadedBeforeCall(const StackFrame &CF) {
  const auto Regs = P.arch().goIntArgRegs();
  auto PtrExpr = probe(registerAtCall(P, CF.PC, static_cast<int>(Regs[0])));
  auto LenExpr = probe(registerAtCall(P, CF.PC, static_cast<int>(Regs[1])));
  if (!PtrExpr || !LenExpr || !PtrExpr->known() || !LenExpr->known())
    return std::nullopt;
  auto Ptr = probe(evaluate(P, *PtrExpr, CF.SP));
  auto Len = probe(evaluate(P, *LenExpr, CF.SP));
  if (!Ptr || !Len || Len->Value >= 4096)
    return std::nullopt;
  return probe(P.memory().readString(Ptr->Value, Len->Value));
}

void Diagnoser::faultMessage(const Stack &St, const MapBlock &B,
                             FaultReport &F, const GoroutineInfo &G) {
  if (!B.Throw)
    return;
  const StackFrame &TF = St.Frames[*B.Throw];
  llvm::StringRef TN = TF.Function;
  if (TN == "runtime.gopanic" || TN == "panic")
    return panicMessage(G, F);
  const StackFrame &CF = St.Frames[physicalOf(St, B.Check)];
  if (auto S = messageLoadedBeforeCall(CF)) {
    F.Message = *S;
    F.MessageSource = "code (string loaded before the call at " +
                      hex(CF.PC) + ")";
    return;
  }
  // Fall back to the throw frame's spilled argument.
  FrameArgs FA(P, St, physicalOf(St, *B.Throw), &Emu);
  for (const Candidate &C : FA.candidates({0, 2, "s", 0})) {
    if (C.Words.size() != 2 || C.Words[1] > 4096)
      continue;
    auto S = probe(P.memory().readString(C.Words[0], C.Words[1]));
    if (!S)
      continue;
    F.Message = *S;
    F.MessageSource = sourceName(C.Src).str() + " of " + TF.Function;
    return;
  }
}

namespace {
// A call to a throw function in a map function, by source line.
struct ThrowSite {
  int64_t Line;
  uint64_t Next; // the return address
};

// The calls to runtime.fatal/throw (maps.fatal) in the function of a
// decoded frame, ordered by source line. A call whose callee or line is
// not known is not one of them.
std::vector<ThrowSite> throwSites(const GoProgram &P, const Func &Fn,
                                  const GoProgram::DecodedFunction &DF) {
  std::vector<ThrowSite> Sites;
  for (const auto &I : DF.Insns) {
    if (I.Class != disasm::InsnClass::Call || !I.Target)
      continue;
    auto Callee = probe(P.pclntab().findFunc(*I.Target));
    if (!Callee)
      continue;
    if (Callee->Name != "runtime.fatal" && Callee->Name != "runtime.throw" &&
        Callee->Name != "internal/runtime/maps.fatal")
      continue;
    auto FL = probe(P.pclntab().fileLine(Fn, I.Addr));
    if (!FL)
      continue;
    Sites.push_back({FL->Line, I.next()});
  }
  std::stable_sort(
      Sites.begin(), Sites.end(),
      [](const ThrowSite &A, const ThrowSite &B) { return A.Line < B.Line; });
  return Sites;
}

// What a concurrent-access check at a map function's entry found the flag
// to say, by fault kind (nullptr for a fault that is not one).
const char *entryCheckFinding(FaultKind K) {
  switch (K) {
  case FaultKind::ConcurrentMapWrites:
    return " was already set when this write began: another write was in "
           "progress";
  case FaultKind::ConcurrentMapReadAndWrite:
    return " was set while this read looked the key up: a write was in "
           "progress";
  case FaultKind::ConcurrentMapIterationAndWrite:
    return " was set when the iterator advanced: the map was being written "
           "during the range loop";
  case FaultKind::ConcurrentMapCloneAndWrite:
    return " was set while the map was cloned";
  case FaultKind::NilMapWrite:
  case FaultKind::Other:
    break;
  }
  return nullptr;
}
} // namespace

void Diagnoser::checkWhich(const Stack &St, const MapBlock &B, FaultReport &F) {
  const StackFrame &CF = St.Frames[physicalOf(St, B.Check)];
  auto Fn = probe(P.pclntab().findFunc(CF.PC));
  if (!Fn)
    return;
  auto DF = probe(P.decodedFunction(CF.PC));
  if (!DF)
    return;
  const std::vector<ThrowSite> Sites = throwSites(P, *Fn, **DF);
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
  } else if (const char *Finding = entryCheckFinding(F.Kind)) {
    C.Which = CheckWhich::Entry;
    C.Explanation = std::string(Flag) + Finding;
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


// What the diagnosis keeps of a map's entries: a few for the checks that
// sample them, those that may equal the key (when a quick test exists for
// its type), and the one the iterator points at; a million-entry map is
// still walked whole (counts, growth, checks) without keeping every entry.
MapLimits Diagnoser::entryLimits(const MapReader &Reader, const Recovered &Found,
                                 const AnalysisReport &R) {
  MapLimits L;
  std::function<bool(const MapEntry &, const MapState &)> MayBeKey;
  if (R.Key && Found.KeyValue && Found.MapType->Key)
    MayBeKey = keyMayEqualFilter(Reader, *Found.MapType->Key, *Found.KeyValue);
  if (!MayBeKey && R.Key && Found.KeyValue)
    return L; // the key is compared with every entry
  uint64_t IterKey = 0;
  if (Found.Iter) {
    if (auto It = decodeMapIter(Reader, *Found.Iter))
      IterKey = It->Key;
    else
      consumeError(It.takeError()); // decoded again, with the map, below
  }
  L.Keep = [MayBeKey = std::move(MayBeKey), IterKey](const MapEntry &E,
                                                     const MapState &S) {
    return (IterKey && E.KeyAddr == IterKey) || (MayBeKey && MayBeKey(E, S));
  };
  return L;
}

void Diagnoser::describeMap(MapReport &M, const Recovered &Found,
                            AnalysisReport &R) {
  if (!Found.MapType)
    return;
  GoProgram &GP = const_cast<GoProgram &>(P);
  MapReader Reader(GP);
  auto Decoded = Reader.decode(*Found.MapType, M.Address,
                               entryLimits(Reader, Found, R));
  if (!Decoded) {
    M.Warnings.push_back("decoding the map: " + errorText(Decoded.takeError()));
    return;
  }
  if (Decoded->Classic)
    M.Hmap = Decoded->Classic;
  if (Decoded->Swiss)
    M.Swiss = Decoded->Swiss;
  if (!Decoded->Nil)
    M.Walk = walkOf(*Decoded);
  if (Decoded->Growth) {
    M.Growth = Decoded->Growth;
    M.Growth->OldEvacuated.clear();
    M.Growth->OldEvacuated.shrink_to_fit();
  }
  if (!Decoded->Nil) {
    M.Count = static_cast<int64_t>(Decoded->headerCount());
    M.EntriesFound = static_cast<int64_t>(Decoded->EntriesFound);
    if (Decoded->Growth)
      M.Growing = Decoded->Growth->Growing;
  }
  for (const auto &Wn : Decoded->Warn.all())
    M.Warnings.push_back(Wn);
  if (!Decoded->Nil && !Decoded->countMatches())
    M.Warnings.push_back("the header counts " + std::to_string(Decoded->headerCount()) +
                         " entries but " + std::to_string(Decoded->EntriesFound) +
                         " were found (the race may have damaged the map)");
  if (R.Key && Found.KeyValue)
    locateKey(Reader, *Decoded, *Found.KeyValue, M, *R.Key);
  // The iterator, for iteration faults.
  if (Found.Iter) {
    auto It = decodeMapIter(Reader, *Found.Iter, &*Decoded);
    if (It)
      R.Iterator = iteratorReport(*Found.Iter, Found.IterProv, std::move(*It));
    else
      M.Warnings.push_back("decoding the iterator: " + errorText(It.takeError()));
  }
  // The tables last: the key's home and the iterator read their control
  // words, which stay with the walk.
  if (Decoded->Swiss) {
    M.Tables = std::move(Decoded->Tables);
    for (SwissTable &T : M.Tables) {
      T.Ctrl.clear();
      T.Ctrl.shrink_to_fit();
      T.CtrlRead.clear();
      T.CtrlRead.shrink_to_fit();
    }
  }
}

// The key: is it in the map, and where does (or would) it live?
void Diagnoser::locateKey(const MapReader &Reader, const MapState &Decoded,
                          const GoValue &KeyValue, MapReport &M, KeyReport &K) {
  auto L = findKey(Reader, Decoded, KeyValue);
  if (!L) {
    M.Warnings.push_back("looking the key up: " + errorText(L.takeError()));
    return;
  }
  if (L->Result != KeyLookup::Verdict::Unknown)
    K.InMap = L->present();
  if (!L->Home && !L->HomeError.empty())
    M.Warnings.push_back("the key's home is not reported: " + L->HomeError);
  K.Location = keyLocation(Decoded, std::move(*L));
}

// ---- the steps of a diagnosis ------------------------------------------------

// A faulting goroutine outside map code: the first frame that is neither
// a throw nor unnamed, and the user's frame.
void Diagnoser::describeNonMapFault(const Stack &St, FaultReport &F) {
  const int Minor = P.version().Minor;
  F.Kind = FaultKind::Other;
  F.Message = "the faulting goroutine is not in a map operation";
  F.UserFrame = userFrameBelow(St, 0, Minor);
  for (const auto &Frame : St.Frames)
    if (Frame.Go && !Frame.Function.empty() && !isThrowFunction(Frame.Function)) {
      F.Frame = refOf(Frame, Minor);
      break;
    }
}

// The map operation that faulted: its frames, the message, the kind, and
// which check fired.
void Diagnoser::describeMapFault(const Stack &St, const MapBlock &B,
                                 const GoroutineInfo &G, FaultReport &F) {
  const int Minor = P.version().Minor;
  F.Frame = refOf(St.Frames[B.Check], Minor);
  F.Frame.PC = St.Frames[physicalOf(St, B.Check)].PC;
  F.EntryFunction = St.Frames[B.Entry].Function;
  if (auto MF = classifyMapFunction(St.Frames[B.Entry].Function))
    F.Operation = MF->Op;
  F.UserFrame = userFrameBelow(St, B.Entry + 1, Minor);
  faultMessage(St, B, F, G);
  F.Kind = faultKindOfMessage(F.Message);
  if (F.Kind != FaultKind::Other)
    checkWhich(St, B, F);
}

// A shape type (Go 1.19's generic code): the type arguments from the
// dictionary the generic function's caller passed it.
void Diagnoser::concretizeShapes(const Stack &St, const MapBlock &B,
                                 MapReport &M) {
  if (!hasShapeType(M.Type))
    return;
  // The generic function: the user's frame above the map function, a
  // frame of its own; its caller's call passed the dictionary.
  for (size_t I = B.Entry + 1; I < St.Frames.size(); ++I) {
    const StackFrame &F = St.Frames[I];
    if (!F.Go || isRuntimeFunction(F.Function))
      continue;
    if (F.Inlined)
      return;
    for (size_t C = I + 1; C < St.Frames.size(); ++C) {
      if (St.Frames[C].Inlined)
        continue;
      concretizeMapShapes(P, Types, St.Frames[C].PC, M);
      return;
    }
    return;
  }
}

// The faulting operation's map, key and iterator.
void Diagnoser::reportFaultingMap(const Stack &St, const MapBlock &B,
                                  AnalysisReport &R) {
  const bool NilMap = R.Fault.Kind == FaultKind::NilMapWrite;
  Recovered Found = recover(St, B, !R.MapFault || NilMap);
  R.Key = std::move(Found.Key);
  R.KeyMissing = std::move(Found.KeyMissing);
  if (!Found.Map && !NilMap)
    return;
  MapReport M;
  M.Address = Found.Map.value_or(0);
  if (Found.MapProv) {
    M.Provenance = *Found.MapProv;
  } else {
    M.Provenance.Src = Source::None;
    M.Provenance.Conf = Confidence::Low;
  }
  if (Found.MapType) {
    M.Type = Found.MapType->Name;
    M.KeyType = Found.MapType->Key ? Found.MapType->Key->Name : "";
    M.ElemType = Found.MapType->Elem ? Found.MapType->Elem->Name : "";
    if (Found.TypeProv)
      M.TypeProvenance = *Found.TypeProv;
    concretizeShapes(St, B, M);
  }
  M.Impl = P.mapImpl();
  if (Found.Iter) {
    IteratorReport It;
    It.Address = *Found.Iter;
    It.Provenance = Found.IterProv;
    R.Iterator = std::move(It);
  }
  describeMap(M, Found, R);
  R.Map = std::move(M);
}

void Diagnoser::diagnoseFault(const GoroutineInfo &G, AnalysisReport &R) {
  R.Fault.Goroutine = G.Goid;
  Stack St = U.unwindGoroutine(G);
  if (O.FaultingStack)
    R.FaultingStack = makeStackReport(P, St);
  auto B = findMapBlock(St);
  if (!B)
    return describeNonMapFault(St, R.Fault);
  describeMapFault(St, *B, G, R.Fault);
  R.MapFault = R.Fault.Kind != FaultKind::Other;
  reportFaultingMap(St, *B, R);
}

// Which growth step a racer is in, and (swiss) on which table: the
// receiver of (*table).rehash/grow/split.
void Diagnoser::findGrowthStep(const Stack &St, const MapBlock &B,
                               RacerReport &Racer) {
  for (size_t I = B.Check; I <= B.Entry; ++I) {
    llvm::StringRef N = St.Frames[I].Function;
    if (!isMapGrowthFunction(N))
      continue;
    if (Racer.GrowthFunction.empty())
      Racer.GrowthFunction = N.str();
    if (!N.contains(".(*table).") || St.Frames[I].Inlined)
      continue;
    Racer.GrowthFunction = N.str();
    FrameArgs GA(P, St, I);
    auto Pick = chooseArg(GA, ArgSpec{0, 1, "t", 0},
                       [&](const Candidate &C, std::string &Why) {
                         auto Table = StructView::read(
                             P.memory(), P.layouts(),
                             "internal/runtime/maps.table", C.Words[0]);
                         if (!Table) {
                           Why = errorText(Table.takeError());
                           return false;
                         }
                         return true;
                       });
    if (Pick && Pick->first.Conf != Confidence::Low)
      Racer.GrowthTable = Pick->first.Words[0];
    break;
  }
}

// Another goroutine inside a map operation (nullopt when it is not in
// one): what it does, where, and on which map. R: the report so far (the
// faulting map, to compare with).
// Whether G may be inside a map function, decided without unwinding it
// where its possible frame PCs are bounded (a parked goroutine: see
// Unwinder::possibleFramePCs): false only when none of them is in one.
bool Diagnoser::mayBeInMapCode(const GoroutineInfo &G) {
  bool Hit = false;
  const bool Bounded = U.possibleFramePCs(G, [&](uint64_t PC) {
    if (Hit)
      return;
    auto [It, New] = MapPCs.try_emplace(PC, false);
    if (New)
      U.functionsAt(PC, [&, &InMap = It->second](llvm::StringRef F) {
        InMap = InMap || isMapFunction(F);
      });
    Hit = It->second;
  });
  return !Bounded || Hit;
}

std::optional<RacerReport> Diagnoser::racerOf(const GoroutineInfo &Other,
                                              const AnalysisReport &R) {
  Stack St = U.unwindGoroutine(Other);
  auto B = findMapBlock(St);
  if (!B)
    return std::nullopt;
  RacerReport Racer;
  Racer.Goroutine = Other.Goid;
  Racer.Status = Other.Status;
  Racer.Thread = Other.Tid;
  Racer.Function = St.Frames[B->Check].Function;
  Racer.EntryFunction = St.Frames[B->Entry].Function;
  if (auto MF = classifyMapFunction(Racer.EntryFunction))
    Racer.Operation = MF->Op;
  Racer.UserFrame = userFrameBelow(St, B->Entry + 1, P.version().Minor);
  if (B->Throw) {
    llvm::StringRef Thrower = St.Frames[*B->Throw].Function;
    Racer.AlsoFaulted = Thrower == "runtime.fatal" ||
                        Thrower == "runtime.throw" ||
                        Thrower == "internal/runtime/maps.fatal";
  }
  Racer.Growing = B->Growing;
  if (Racer.Growing)
    findGrowthStep(St, *B, Racer);
  Recovered Found = recover(St, *B, true);
  if (Found.Map) {
    Racer.Map = *Found.Map;
    Racer.MapProvenance = Found.MapProv;
    if (R.Map && Found.MapProv)
      Racer.SameMap = *Found.Map == R.Map->Address;
  }
  Racer.Key = std::move(Found.Key);
  if (O.RacerStacks)
    Racer.Stack = makeStackReport(P, St);
  return Racer;
}

// Growth in progress: goroutines inside growth code for this map.
void Diagnoser::attributeGrowth(AnalysisReport &R) {
  if (!R.Map)
    return;
  for (const auto &Racer : R.Racers)
    if (Racer.Growing && Racer.SameMap.value_or(false))
      R.Map->GrowthBy.push_back({Racer.Goroutine,
                                 Racer.GrowthFunction.empty()
                                     ? Racer.Function
                                     : Racer.GrowthFunction,
                                 Racer.GrowthTable});
  // Swiss tables grow inside one write: a goroutine in growth code is the
  // growth in progress, and none means no growth.
  if (R.Map->Impl == MapImpl::Swiss)
    R.Map->Growing = !R.Map->GrowthBy.empty() || R.Map->Growing.value_or(false);
}

void Diagnoser::collectWarnings(AnalysisReport &R) {
  R.Warnings = P.target().warnings().all();
  for (const auto &X : P.warnings())
    R.Warnings.push_back(X);
  for (const auto &X : W.all())
    R.Warnings.push_back(X);
}

AnalysisReport Diagnoser::run() {
  AnalysisReport R;
  R.Core = summarizeCore(P.target());
  R.Exe = summarizeExe(P.target(), &P.buildInfo());
  R.Layouts = P.layouts().source();

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
  diagnoseFault(*G, R);
  // The other party: every other goroutine inside a map operation.
  size_t Seen = 0;
  for (const auto &Other : GS.Goroutines) {
    // Thousands of stacks: their pages need not stay in RAM.
    if (++Seen % ReleaseEveryGoroutines == 0)
      P.memory().releaseResident();
    if (Other.Dead() || Other.G == G->G || !mayBeInMapCode(Other))
      continue;
    auto Racer = racerOf(Other, R);
    if (!Racer)
      continue;
    if (Racer->AlsoFaulted)
      R.Fault.AlsoFaulted.push_back(Racer->Goroutine);
    R.Racers.push_back(std::move(*Racer));
  }
  attributeGrowth(R);
  // Racers on the same map first, then by goroutine id.
  std::stable_sort(R.Racers.begin(), R.Racers.end(),
                   [](const RacerReport &A, const RacerReport &B) {
                     return A.SameMap.value_or(false) > B.SameMap.value_or(false);
                   });
  collectWarnings(R);
  return R;
}

} // namespace

AnalysisReport diagnose(const GoProgram &P, const GoroutineSet &GS,
                        const Unwinder &U, const DiagnoseOptions &O) {
  return Diagnoser(P, GS, U, O).run();
}

void concretizeMapShapes(const GoProgram &P, TypeTable &Types,
                         uint64_t ReturnPC, MapReport &M) {
  std::string How;
  auto Args = typeArgumentsAtCall(P, Types, M.Type, ReturnPC, How);
  if (!Args)
    return;
  M.TypeProvenance.Detail += "; shape type " + M.Type + ": " + How;
  M.Type = substituteShapes(M.Type, *Args);
  M.KeyType = substituteShapes(M.KeyType, *Args);
  M.ElemType = substituteShapes(M.ElemType, *Args);
}

} // namespace ms
