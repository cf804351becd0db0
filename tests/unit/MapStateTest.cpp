// Map decoding on the committed corpus of real crash cores (go1.19-1.27,
// classic and Swiss, noswissmap, mapsplitgroup, stripped, PIE, cgo), the
// hash recomputed against the entries' tags and buckets, key lookups of the
// faulting key, header validation, iterators, and maps damaged on purpose.
#include "mapfault/MapState.h"

#include <bit>
#include <chrono>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "Corpus.h"
#include "goruntime/GoValue.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Layouts.h"
#include "support/Memory.h"
#include "mapfault/MapHash.h"
#include "mapfault/MapIter.h"
#include "report/Analysis.h"
#include "report/Json.h"
#include "mapfault/MapKeys.h"

using namespace ms;
using namespace mstest;

namespace {

// ---- helpers -------------------------------------------------------------------

std::optional<int64_t> intField(const llvm::json::Object &O, llvm::StringRef K) {
  if (auto V = O.getInteger(K))
    return *V;
  if (auto B = O.getBoolean(K))
    return *B ? 1 : 0;
  return std::nullopt;
}

// Bytes patched over another memory (a damaged map), and fresh regions
// added where the target has nothing (a map built by the test).
class PatchedMemory : public Memory {
public:
  explicit PatchedMemory(const Memory &Under) : Under(Under) {}
  void patch(uint64_t Addr, llvm::ArrayRef<uint8_t> Bytes) {
    for (size_t I = 0; I < Bytes.size(); ++I)
      Bytes_[Addr + I] = Bytes[I];
  }
  void patch64(uint64_t Addr, uint64_t V) {
    uint8_t B[8];
    memcpy(B, &V, 8);
    patch(Addr, B);
  }
  void patch8(uint64_t Addr, uint8_t V) { patch(Addr, {&V, 1}); }
  void clear() { Bytes_.clear(); }
  Error read(uint64_t Addr, llvm::MutableArrayRef<uint8_t> Out) const override {
    // Fast path: nothing patched in range.
    auto It = Bytes_.lower_bound(Addr);
    if (It == Bytes_.end() || It->first >= Addr + Out.size())
      return Under.read(Addr, Out);
    for (size_t I = 0; I < Out.size(); ++I) {
      auto P = Bytes_.find(Addr + I);
      if (P != Bytes_.end()) {
        Out[I] = P->second;
        continue;
      }
      if (Error E = Under.read(Addr + I, Out.slice(I, 1)))
        return E;
    }
    return Error::success();
  }

private:
  const Memory &Under;
  std::map<uint64_t, uint8_t> Bytes_;
};

const TypeInfo *findType(GoProgram &P, llvm::StringRef Name) {
  auto T = P.types().findByName(Name);
  if (!T) {
    ADD_FAILURE() << Name.str() << ": " << toString(T.takeError());
    return nullptr;
  }
  return *T;
}

// The faulting key of a case, as a value of the map's key type.
std::optional<GoValue> truthKey(GoProgram &P, const TypeInfo &KT,
                                const llvm::json::Object &K) {
  TypeTable &Types = P.types();
  auto Words = [&](const TypeInfo &T,
                   std::vector<uint64_t> W) -> std::optional<GoValue> {
    return decodeValueFromWords(Types, T, W, keyDecodeLimits());
  };
  std::function<std::optional<GoValue>(const TypeInfo &, const llvm::json::Value &,
                                        const llvm::json::Object &)>
      Build = [&](const TypeInfo &T, const llvm::json::Value &V,
                  const llvm::json::Object &Extra) -> std::optional<GoValue> {
    switch (T.K) {
    case Kind::Int64:
    case Kind::Int:
    case Kind::Int32:
    case Kind::Uint32:
    case Kind::Uint64: {
      auto I = V.getAsInteger();
      auto U = V.getAsUINT64();
      uint64_t X = I ? static_cast<uint64_t>(*I) : U ? *U : 0;
      if (T.Size == 4)
        X &= 0xffffffffu;
      return Words(T, {X});
    }
    case Kind::Float64: {
      auto D = V.getAsNumber();
      if (!D)
        return std::nullopt;
      return Words(T, {std::bit_cast<uint64_t>(*D)});
    }
    case Kind::String:
      return Words(T, {hexField(Extra, "data"),
                       static_cast<uint64_t>(*Extra.getInteger("len"))});
    case Kind::Struct: {
      const auto *O = V.getAsObject();
      if (!O)
        return std::nullopt;
      if (T.Name == "main.recKey") {
        uint64_t ID = static_cast<uint32_t>(*O->getInteger("ID"));
        uint64_t Flag = *O->getBoolean("Flag") ? 1 : 0;
        double Score = *O->getNumber("Score");
        return Words(T, {hexField(Extra, "name_data"),
                         static_cast<uint64_t>(*Extra.getInteger("name_len")),
                         ID | Flag << 32, std::bit_cast<uint64_t>(Score)});
      }
      if (T.Name == "main.point") {
        uint64_t X = static_cast<uint32_t>(*O->getInteger("X"));
        uint64_t Y = static_cast<uint32_t>(*O->getInteger("Y"));
        return Words(T, {X | Y << 32});
      }
      return std::nullopt;
    }
    case Kind::Interface: {
      auto DN = Extra.getString("dynamic_type");
      if (!DN)
        return std::nullopt;
      const TypeInfo *DT = findType(P, *DN);
      if (!DT)
        return std::nullopt;
      auto D = Build(*DT, V, Extra);
      if (!D)
        return std::nullopt;
      GoValue I;
      I.VK = GoValue::VKind::Interface;
      I.Type = &T;
      I.DynType = DT;
      I.Dynamic = std::make_unique<GoValue>(std::move(*D));
      return I;
    }
    default:
      return std::nullopt;
    }
  };
  const llvm::json::Value *V = K.get("value");
  if (!V)
    return std::nullopt;
  return Build(KT, *V, K);
}

// Keys each scenario certainly holds (inserted before the race, never
// deleted), as words of the key type; see fixtures/scenarios.
std::vector<uint64_t> certainKeys(llvm::StringRef Scenario) {
  std::vector<uint64_t> K;
  if (Scenario == "i64rw")
    for (int64_t I : {0, 1, 250, 499})
      K.push_back(static_cast<uint64_t>(I * 7919));
  else if (Scenario == "i32rw")
    for (int32_t I : {-300, -1, 0, 299})
      K.push_back(static_cast<uint32_t>(I * 13));
  else if (Scenario == "u32rw")
    for (uint32_t I : {0u, 1u, 200u, 399u})
      K.push_back(static_cast<uint32_t>(I * 2654435761u));
  else if (Scenario == "growing")
    for (int64_t I : {0, 1, 5000, 12287}) // go1.21 fills 6 << 11
      K.push_back(static_cast<uint64_t>(I));
  return K;
}

// Whether the scenario inserted this key (truth.json form) before the race
// and never deletes it.
bool certainlyPresent(llvm::StringRef Scenario, llvm::StringRef GoVersion,
                      const llvm::json::Object &K) {
  const llvm::json::Value *V = K.get("value");
  if (!V)
    return false;
  auto I = V->getAsInteger();
  if (Scenario == "i64rw")
    return I && *I % 7919 == 0 && *I / 7919 >= 0 && *I / 7919 < 500;
  if (Scenario == "i32rw")
    return I && *I % 13 == 0 && *I / 13 >= -300 && *I / 13 < 300;
  if (Scenario == "u32rw") {
    // labels[i * 2654435761] for i < 400 (uint32 arithmetic).
    for (uint32_t X = 0; I && X < 400; ++X)
      if (static_cast<uint32_t>(X * 2654435761u) == static_cast<uint64_t>(*I))
        return true;
    return false;
  }
  if (Scenario == "growing") {
    int64_t Limit = GoVersion.startswith("go1.21") ? 6 << 11 : 13 << 11 >> 1;
    return I && *I >= 0 && *I < Limit;
  }
  if (Scenario == "ifacekey") {
    auto DT = K.getString("dynamic_type");
    if (!DT)
      return false;
    if (*DT == "int")
      return I && ((*I % 7 == 0 && *I >= 0 && *I < 4200) || *I == 3);
    if (*DT == "string")
      return V->getAsString() == llvm::StringRef("seed");
    if (*DT == "main.point") {
      const auto *O = V->getAsObject();
      int64_t X = *O->getInteger("X"), Y = *O->getInteger("Y");
      return (X == 1 && Y == 2) || (X >= 0 && X < 600 && Y == -X);
    }
  }
  return false;
}

// Looks a truth.json key up; returns whether it is present.
void checkTruthKey(GoProgram &P, const MapReader &R, const MapState &S,
                   const llvm::json::Object &KJ, bool Certain, int &Present,
                   int &CertainFound) {
  auto K = truthKey(P, *S.Type->Key, KJ);
  ASSERT_TRUE(K) << "cannot build the key from truth.json";
  auto L = findKey(R, S, *K);
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_NE(L->Result, KeyLookup::Verdict::Unknown)
      << llvm::join(L->Warn.all(), "\n");
  EXPECT_LE(L->Matches.size(), 1u);
  ASSERT_TRUE(L->Home) << L->HomeError;
  {
    llvm::json::Value J = toJSON(keyLocation(S, *L));
    const auto &JO = *J.getAsObject();
    EXPECT_EQ(*JO.getString("result"), verdictName(L->Result));
    EXPECT_EQ(JO.getArray("matches")->size(), L->Matches.size());
    ASSERT_TRUE(JO.getObject("home"));
    EXPECT_EQ(*JO.getObject("home")->getString("hash"), hex(L->Home->Hash));
  }
  if (Certain) {
    EXPECT_TRUE(L->present()) << toGoSyntax(*K) << " was inserted before the race";
    CertainFound += L->present();
  }
  if (L->present()) {
    ++Present;
    EXPECT_EQ(toJSON(L->Matches[0].Key), toJSON(*K));
    EXPECT_TRUE(L->Matches[0].AtHome.value_or(false))
        << L->Matches[0].HomeDetail;
  }
}

// A scenario's statement about a present key's element, or nullopt.
void checkCertainElem(llvm::StringRef Scenario, uint64_t Key,
                      const GoValue &Elem) {
  if (Scenario == "growing") {
    // Pre-filled metrics[i] = i; fresh keys are all >= the limit.
    ASSERT_EQ(Elem.VK, GoValue::VKind::Int);
    EXPECT_EQ(static_cast<uint64_t>(Elem.I), Key);
  } else if (Scenario == "i64rw") {
    // session{user: id / 7919, ...} whoever wrote it last.
    const GoValue *U = Elem.field("user");
    ASSERT_TRUE(U);
    EXPECT_EQ(U->I, static_cast<int64_t>(Key) / 7919);
  }
}

struct Totals {
  int Cases = 0, NilMaps = 0, Classic = 0, Swiss = 0, Growing = 0;
  int CountExact = 0, CountOff = 0;
  uint64_t Entries = 0, Hashed = 0, TagOk = 0, PlaceOk = 0;
  int KeyPresent = 0, KeyAbsent = 0, KeyUnknown = 0, KeyAtHome = 0;
  int CertainFound = 0;
  int Valid = 0, RejectedWrong = 0, MinScore = 100, MaxWrongScore = 0;
  int SlotKeys = 0, SlotKeysPresent = 0, SlotKeysCertain = 0;
  int FaultKeyCertain = 0;
  int Filtered = 0;         // faulting keys with a keyMayEqualFilter
  int FileMapped = 0;       // cases whose core memory is a mapped file
  uint64_t Dropped = 0;     // entries such filtered walks did not keep
  int HashGated = 0;        // ... whose filter used the key's hash tag
  uint64_t ByTag = 0;       // entries left out on their tag alone
};

// A walk that keeps only the entries that may equal K (after the first
// few) answers findKey for K exactly as the full walk does, with far fewer
// entries kept. It also lets the core's mapped pages go every 64 KiB of
// groups (Memory::releaseResident): the entries read after each release,
// and the keys findKey reads afterwards, are the same bytes.
void checkFilteredWalk(const MapReader &R, const TypeInfo &MT, uint64_t Addr,
                       const MapState &Full, const KeyLookup &FullL,
                       const GoValue &K, Totals &Tot) {
  KeyFilterStats Stats;
  auto Keep = keyMayEqualFilter(R, *MT.Key, K, &Stats);
  if (!Keep)
    return;
  ++Tot.Filtered;
  MapLimits Lim;
  Lim.Keep = Keep;
  Lim.KeepFirst = 4;
  Lim.ReleaseEvery = 64 << 10;
  auto S = R.decode(MT, Addr, Lim);
  ASSERT_TRUE(static_cast<bool>(S)) << toString(S.takeError());
  EXPECT_EQ(S->EntriesFound, Full.EntriesFound);
  EXPECT_EQ(S->Entries.size() + S->EntriesDropped, S->EntriesFound);
  EXPECT_EQ(S->Partial, Full.Partial);
  Tot.Dropped += S->EntriesDropped;
  EXPECT_EQ(Stats.ByTag + Stats.ByContent, S->EntriesDropped);
  Tot.HashGated += Stats.HashGate;
  Tot.ByTag += Stats.ByTag;
  // Every faulting map of more than 4 entries has an exact hash in the
  // corpus (the home checks below need it), so the gate is used.
  if (Full.EntriesFound > 4 && !Full.Partial) {
    EXPECT_TRUE(Stats.HashGate) << Stats.NoHashGate;
  }
  // Kept entries are the full walk's, at their places in its order.
  for (const MapEntry &E : S->Entries) {
    ASSERT_LT(E.Ordinal, Full.Entries.size());
    EXPECT_EQ(E.KeyAddr, Full.Entries[E.Ordinal].KeyAddr);
  }
  if (Full.EntriesFound > 4 + 8) {
    EXPECT_LT(S->Entries.size(), 4 + 8u) << "the filter kept too much";
  }
  auto L = findKey(R, *S, K);
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_EQ(L->Result, FullL.Result);
  EXPECT_EQ(L->Compared, FullL.Compared);
  ASSERT_EQ(L->Matches.size(), FullL.Matches.size());
  for (size_t I = 0; I < L->Matches.size(); ++I)
    EXPECT_EQ(S->Entries[L->Matches[I].Entry].Ordinal,
              Full.Entries[FullL.Matches[I].Entry].Ordinal);
}

// Iterators of the iterwrite scenario: `for range` over the map in
// goroutines whose hiter / maps.Iter sits on their stack. Found by
// scanning each stack for the iterator's (type, map) pointer pair.
struct IterStats {
  int Cases = 0, Found = 0, Located = 0, Stale = 0;
};

void checkIterators(CorpusCase &C, const MapReader &R, const MapState &S,
                    const GoroutineSet &Gs, IterStats &St) {
  GoProgram &P = *C.P;
  const TypeInfo *MT = S.Type;
  const uint64_t Addr = S.Addr;
  ++St.Cases;
  const bool Classic = P.mapImpl() == MapImpl::Classic;
  const char *Struct = Classic ? "runtime.hiter" : "internal/runtime/maps.Iter";
  auto TOff = P.layouts().offsetOf(Struct, Classic ? "t" : "typ");
  auto MOff = P.layouts().offsetOf(Struct, Classic ? "h" : "m");
  ASSERT_TRUE(TOff && MOff);
  std::vector<uint64_t> Iters;
  for (const auto &G : Gs.Goroutines) {
    if (G.Dead() || G.StackHi <= G.StackLo || G.StackHi - G.StackLo > (1 << 20))
      continue;
    auto Bytes = P.memory().readBytes(G.StackLo, G.StackHi - G.StackLo);
    if (!Bytes) {
      consumeError(Bytes.takeError());
      continue;
    }
    for (uint64_t Off = 0; Off + 8 <= Bytes->size(); Off += 8) {
      uint64_t X, Y;
      memcpy(&X, Bytes->data() + Off, 8);
      if (X != Addr || Off < *MOff || Off - *MOff + *TOff + 8 > Bytes->size())
        continue;
      memcpy(&Y, Bytes->data() + Off - *MOff + *TOff, 8);
      if (Y == MT->Addr)
        Iters.push_back(G.StackLo + Off - *MOff);
    }
  }
  EXPECT_FALSE(Iters.empty()) << "no (type, map) pair on any stack";
  int FoundBefore = St.Found;
  for (uint64_t IA : Iters) {
    auto It = decodeMapIter(R, IA, &S);
    ASSERT_TRUE(static_cast<bool>(It)) << toString(It.takeError());
    EXPECT_TRUE(It->SameMap);
    if (!It->Consistent) {
      // A (type, map) pair in an argument spill slot or a dead frame.
      ++St.Stale;
      continue;
    }
    ++St.Found;
    EXPECT_TRUE(It->TypeMatches);
    EXPECT_EQ(It->Impl, P.mapImpl());
    EXPECT_FALSE(It->Position.empty());
    if (It->Entry) {
      ++St.Located;
      const MapEntry &E = S.Entries[*It->Entry];
      EXPECT_EQ(E.KeyAddr, It->Key);
      ASSERT_TRUE(It->KeyValue && It->ElemValue);
      EXPECT_FALSE(It->KeyValue->hasErrors());
      EXPECT_EQ(It->Elem, E.ElemAddr);
    }
    {
      llvm::json::Value J = toJSON(*It);
      EXPECT_EQ(*J.getAsObject()->getBoolean("same_map"), true);
      EXPECT_EQ(*J.getAsObject()->getString("position"), It->Position);
    }
    // Without the map: the iterator's own type decodes the entry.
    auto Alone = decodeMapIter(R, IA);
    ASSERT_TRUE(static_cast<bool>(Alone));
    EXPECT_FALSE(Alone->SameMap);
    if (It->KeyValue) {
      ASSERT_TRUE(Alone->KeyValue);
      EXPECT_EQ(toJSON(*Alone->KeyValue), toJSON(*It->KeyValue));
    }
    if (getenv("MS_VERBOSE"))
      printf("%s: iterator at %s: %s key %s; %s\n", C.Name.c_str(),
             hex(IA).c_str(), It->Position.c_str(),
             It->KeyValue ? toGoSyntax(*It->KeyValue).c_str() : "-",
             llvm::join(It->Warn.all(), "; ").c_str());
  }
  EXPECT_GT(St.Found, FoundBefore) << "no live iterator of the map";
}

// ---- the corpus ----------------------------------------------------------------

TEST(MapState, Corpus) {
  auto Start = std::chrono::steady_clock::now();
  Totals Tot;
  IterStats It;
  ASSERT_FALSE(corpusCases().empty());
  int WantIterCases = 0;
  for (const std::string &Name : corpusCases()) {
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    ASSERT_TRUE(C);
    GoProgram &P = *C->P;
    const auto *MJ = C->map();
    ASSERT_TRUE(MJ);
    llvm::StringRef Scenario = *C->truth().getString("scenario");
    ++Tot.Cases;
    WantIterCases += Scenario == "iterwrite";
    const TypeInfo *MT = findType(P, *MJ->getString("type"));
    ASSERT_TRUE(MT);
    ASSERT_TRUE(MT->Map);
    const uint64_t Addr = hexField(*MJ, "address");
    MapReader R(P);
    auto S = R.decode(*MT, Addr);
    ASSERT_TRUE(static_cast<bool>(S)) << toString(S.takeError());
    if (Addr == 0) {
      ++Tot.NilMaps;
      EXPECT_TRUE(S->Nil);
      EXPECT_TRUE(S->Entries.empty());
      auto L = findKey(R, *S, GoValue());
      ASSERT_TRUE(static_cast<bool>(L));
      EXPECT_EQ(L->Result, KeyLookup::Verdict::Absent);
      EXPECT_FALSE(L->Home);
      continue;
    }
    const auto &H = *MJ->getObject("header");
    const bool IsClassic = C->truth().getString("map_impl").getValueOr("") == "hmap";
    ASSERT_EQ(S->Classic.has_value(), IsClassic);
    ASSERT_EQ(S->Swiss.has_value(), !IsClassic);

    // Header fields equal the independent decode.
    if (IsClassic) {
      ++Tot.Classic;
      const ClassicHeader &CH = *S->Classic;
      EXPECT_EQ(CH.Count, uint64_t(*intField(H, "count")));
      EXPECT_EQ(CH.Flags, *intField(H, "flags"));
      EXPECT_EQ(CH.B, *intField(H, "B"));
      EXPECT_EQ(CH.NOverflow, *intField(H, "noverflow"));
      EXPECT_EQ(CH.Hash0, uint64_t(*intField(H, "hash0")));
      EXPECT_EQ(CH.Buckets, hexField(H, "buckets"));
      EXPECT_EQ(CH.OldBuckets, hexField(H, "oldbuckets"));
      EXPECT_EQ(CH.NEvacuate, uint64_t(*intField(H, "nevacuate")));
      EXPECT_EQ(CH.Extra, hexField(H, "extra"));
      EXPECT_EQ(CH.ClearSeq.has_value(), H.get("clearSeq") != nullptr);
      if (CH.ClearSeq) {
        EXPECT_EQ(*CH.ClearSeq, uint64_t(*intField(H, "clearSeq")));
      }
      std::vector<std::string> Names;
      for (auto &N : *H.getArray("flags_names"))
        Names.push_back(N.getAsString()->str());
      EXPECT_EQ(CH.flagNames(), Names);
      // Growth.
      ASSERT_TRUE(S->Growth);
      EXPECT_EQ(S->Growth->Growing, *MJ->getBoolean("growing"));
      EXPECT_EQ(S->Growth->NEvacuate, uint64_t(*intField(*MJ, "nevacuate")));
      if (S->Growth->Growing) {
        ++Tot.Growing;
        EXPECT_EQ(S->Growth->OldBucketCount,
                  uint64_t(*intField(*MJ, "old_bucket_count")));
        // Every old bucket below nevacuate is marked; some above may be
        // too (growWork evacuates the bucket a writer is about to use).
        EXPECT_GE(S->Growth->EvacuatedMarked, S->Growth->NEvacuate);
        EXPECT_LE(S->Growth->EvacuatedMarked, S->Growth->OldBucketCount);
        EXPECT_EQ(S->Growth->OldBucketsRead, S->Growth->OldBucketCount);
      }
      EXPECT_EQ(uint64_t(1) << CH.B, uint64_t(*intField(*MJ, "bucket_count")));
    } else {
      ++Tot.Swiss;
      const SwissHeader &SH = *S->Swiss;
      EXPECT_EQ(SH.Used, uint64_t(*intField(H, "used")));
      EXPECT_EQ(SH.Seed, hexField(H, "seed"));
      EXPECT_EQ(SH.DirPtr, hexField(H, "dirPtr"));
      EXPECT_EQ(SH.DirLen, *intField(H, "dirLen"));
      EXPECT_EQ(SH.GlobalDepth, *intField(H, "globalDepth"));
      EXPECT_EQ(SH.GlobalShift, *intField(H, "globalShift"));
      EXPECT_EQ(SH.Writing, *intField(H, "writing"));
      EXPECT_EQ(SH.ClearSeq, uint64_t(*intField(H, "clearSeq")));
      EXPECT_EQ(SH.TombstonePossible.has_value(),
                H.get("tombstonePossible") != nullptr);
      if (SH.TombstonePossible) {
        EXPECT_EQ(*SH.TombstonePossible, *intField(H, "tombstonePossible"));
      }
      EXPECT_EQ(SH.small(), *H.getBoolean("small"));
      EXPECT_FALSE(S->Growth);
      EXPECT_TRUE(MJ->get("growing")->kind() == llvm::json::Value::Null);
      // Each table once, every directory entry accounted for.
      size_t Refs = 0;
      for (auto &T : S->Tables)
        Refs += T.DirIndexes.size();
      EXPECT_EQ(Refs, static_cast<size_t>(SH.DirLen));
      EXPECT_LE(S->Tables.size(), static_cast<size_t>(SH.DirLen));
    }

    if (getenv("MS_VERBOSE") && !S->Warn.empty())
      printf("%s: %s\n", Name.c_str(), llvm::join(S->Warn.all(), "; ").c_str());
    // The walk is complete and finds (about) the header's count.
    EXPECT_FALSE(S->Partial) << llvm::join(S->Warn.all(), "\n");
    Tot.Entries += S->EntriesFound;
    if (S->countMatches()) {
      ++Tot.CountExact;
    } else {
      ++Tot.CountOff;
      // A race: off by the few writes in flight, and said so.
      uint64_t Hc = S->headerCount(), F = S->EntriesFound;
      EXPECT_LE(Hc > F ? Hc - F : F - Hc, 4u);
      EXPECT_FALSE(S->Warn.empty());
    }

    // The hash: every key's tag and bucket / table + probe agree with it.
    auto V = verifyEntryHashes(R, *S);
    ASSERT_TRUE(static_cast<bool>(V)) << toString(V.takeError());
    Tot.Hashed += V->Checked;
    Tot.TagOk += V->TagMatch;
    Tot.PlaceOk += V->PlaceMatch;
    EXPECT_EQ(V->Checked, S->Entries.size());
    EXPECT_EQ(V->TagMatch, V->Checked) << V->Hasher << "\n"
                                       << llvm::join(V->Mismatches, "\n");
    EXPECT_EQ(V->PlaceMatch, V->Checked) << V->Hasher << "\n"
                                         << llvm::join(V->Mismatches, "\n");

    // The faulting key.
    if (const auto *KJ = C->truth().getObject("key")) {
      auto K = truthKey(P, *MT->Key, *KJ);
      ASSERT_TRUE(K) << "cannot build the key from truth.json";
      auto L = findKey(R, *S, *K);
      ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
      EXPECT_NE(L->Result, KeyLookup::Verdict::Unknown)
          << llvm::join(L->Warn.all(), "\n");
      for (const auto &Rg : P.target().regionMemory().regions())
        if (Rg.FileMapped) {
          ++Tot.FileMapped;
          break;
        }
      checkFilteredWalk(R, *MT, Addr, *S, *L, *K, Tot);
      EXPECT_LE(L->Matches.size(), 1u);
      ASSERT_TRUE(L->Home) << L->HomeError;
      if (certainlyPresent(Scenario, *C->truth().getString("go_version"),
                           *KJ)) {
        ++Tot.FaultKeyCertain;
        EXPECT_TRUE(L->present()) << "inserted before the race";
      }
      if (L->present()) {
        ++Tot.KeyPresent;
        EXPECT_FALSE(L->Home->KeysSource.empty());
        const KeyMatch &M = L->Matches[0];
        EXPECT_EQ(toJSON(M.Key), toJSON(*K));
        EXPECT_FALSE(M.Elem.hasErrors());
        ASSERT_TRUE(M.AtHome.has_value());
        EXPECT_TRUE(*M.AtHome) << M.HomeDetail;
        Tot.KeyAtHome += *M.AtHome;
      } else if (L->Result == KeyLookup::Verdict::Absent) {
        ++Tot.KeyAbsent;
        // An absent key would live at its home: classic bucket in range,
        // swiss probe sequence found its stopping group.
        if (IsClassic) {
          EXPECT_LT(L->Home->Bucket, uint64_t(1) << S->Classic->B);
        } else if (!L->Home->Small) {
          EXPECT_TRUE(L->Home->ProbeComplete);
        }
      } else {
        ++Tot.KeyUnknown;
      }
    }

    // The keys in every worker's slot (racers' keys too).
    if (const auto *Ws = C->truth().getArray("workers"))
      for (const auto &W : *Ws)
        if (const auto *KJ = W.getAsObject()->getObject("slot_key")) {
          ++Tot.SlotKeys;
          checkTruthKey(P, R, *S, *KJ,
                        certainlyPresent(Scenario,
                                         *C->truth().getString("go_version"),
                                         *KJ),
                        Tot.SlotKeysPresent, Tot.SlotKeysCertain);
        }

    // Keys the scenario inserted before the race and never deletes.
    for (uint64_t W : certainKeys(Scenario)) {
      GoValue K = decodeValueFromWords(P.types(), *MT->Key, {W});
      auto L = findKey(R, *S, K);
      ASSERT_TRUE(static_cast<bool>(L));
      ASSERT_TRUE(L->present()) << toGoSyntax(K) << " not found";
      ++Tot.CertainFound;
      ASSERT_TRUE(L->Matches[0].AtHome.value_or(false))
          << L->Matches[0].HomeDetail;
      // The same key given as its bytes.
      uint8_t Raw[8];
      memcpy(Raw, &W, 8);
      auto LB = findKeyBytes(R, *S, llvm::ArrayRef<uint8_t>(Raw, MT->Key->Size));
      ASSERT_TRUE(static_cast<bool>(LB));
      ASSERT_TRUE(LB->present());
      EXPECT_EQ(LB->Matches[0].Entry, L->Matches[0].Entry);
      checkCertainElem(Scenario, W, L->Matches[0].Elem);
    }

    // Validation: the real header passes, wrong addresses do not.
    auto Ok = validateMapHeader(R, *MT, Addr);
    ASSERT_TRUE(static_cast<bool>(Ok));
    EXPECT_TRUE(Ok->Valid) << llvm::join(Ok->reasons(), "\n");
    Tot.Valid += Ok->Valid;
    Tot.MinScore = std::min(Tot.MinScore, Ok->Score);
    bool HashChecked = false;
    for (const auto &Chk : Ok->Checks)
      if (Chk.Name == "sample keys hash to their slots") {
        HashChecked = true;
        EXPECT_TRUE(Chk.Passed) << Chk.Detail;
      }
    EXPECT_TRUE(HashChecked || S->Entries.empty());
    if (getenv("MS_VERBOSE") && Ok->Score < 100)
      printf("%s: score %d: %s\n", Name.c_str(), Ok->Score,
             llvm::join(Ok->reasons(), "; ").c_str());
    std::vector<uint64_t> Wrong = {Addr + 8, Addr + 16};
    if (!S->Entries.empty())
      Wrong.push_back(S->Entries[0].KeyAddr); // a key (a string header,
                                              // an integer, ...)
    if (const auto *KJ = C->truth().getObject("key"))
      if (uint64_t D = hexField(*KJ, "data"))
        Wrong.push_back(D & ~7ull); // string bytes
    Warnings GW;
    auto Gs = readGoroutines(P, GW);
    ASSERT_TRUE(static_cast<bool>(Gs)) << toString(Gs.takeError());
    ASSERT_FALSE(Gs->Goroutines.empty());
    Wrong.push_back(Gs->Goroutines.back().G); // a runtime.g
    for (uint64_t A : Wrong) {
      auto Bad = validateMapHeader(R, *MT, A);
      ASSERT_TRUE(static_cast<bool>(Bad));
      EXPECT_FALSE(Bad->Valid) << "at " << hex(A) << " score " << Bad->Score;
      Tot.RejectedWrong += !Bad->Valid;
      Tot.MaxWrongScore = std::max(Tot.MaxWrongScore, Bad->Score);
    }

    if (Scenario == "iterwrite")
      checkIterators(*C, R, *S, *Gs, It);

    // The JSON view carries the same header and counts.
    {
      llvm::json::Value J = toJSON(*S);
      const auto &JO = *J.getAsObject();
      EXPECT_EQ(*JO.getString("address"), *MJ->getString("address"));
      EXPECT_EQ(*JO.getInteger("entries_found"), int64_t(S->EntriesFound));
      const auto *JH = JO.getObject("header");
      ASSERT_TRUE(JH);
      for (const char *F : {"count", "B", "flags", "used", "dirLen",
                            "globalDepth", "writing"})
        if (H.get(F)) {
          EXPECT_EQ(JH->getInteger(F), H.getInteger(F)) << F;
        }
      for (const char *F : {"buckets", "oldbuckets", "seed", "dirPtr"})
        if (H.get(F)) {
          EXPECT_EQ(JH->getString(F), H.getString(F)) << F;
        }
      EXPECT_EQ(JO.getObject("growth") != nullptr, IsClassic);
      EXPECT_EQ(JO.getArray("tables") != nullptr, !IsClassic);
    }

    // A report sample decodes.
    auto Sample = decodeEntries(R, *S, 5);
    EXPECT_EQ(Sample.size(), std::min<size_t>(5, S->Entries.size()));
    for (auto &E : Sample) {
      EXPECT_FALSE(E.Key.hasErrors()) << toGoSyntax(E.Key);
      EXPECT_FALSE(E.Elem.hasErrors()) << toGoSyntax(E.Elem);
    }
  }
  double Secs = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              Start)
                    .count();
  printf("corpus: %d cases (%d nil maps, %d classic of which %d growing, %d "
         "swiss) in %.1f s\n"
         "  entries %llu; count exact in %d maps, off (race) in %d\n"
         "  hash: %llu keys hashed, tag ok %llu, bucket/probe ok %llu\n"
         "  faulting key: present %d (at home %d, %d of them certain), absent "
         "%d, unknown %d; certain keys found %d\n"
         "  worker slot keys: %d looked up, %d present (%d certain)\n"
         "  validation: %d real headers valid (lowest score %d), %d wrong "
         "addresses rejected (highest score %d)\n",
         Tot.Cases, Tot.NilMaps, Tot.Classic, Tot.Growing, Tot.Swiss, Secs,
         (unsigned long long)Tot.Entries, Tot.CountExact, Tot.CountOff,
         (unsigned long long)Tot.Hashed, (unsigned long long)Tot.TagOk,
         (unsigned long long)Tot.PlaceOk, Tot.KeyPresent, Tot.KeyAtHome,
         Tot.FaultKeyCertain, Tot.KeyAbsent, Tot.KeyUnknown, Tot.CertainFound,
         Tot.SlotKeys, Tot.SlotKeysPresent, Tot.SlotKeysCertain, Tot.Valid,
         Tot.MinScore, Tot.RejectedWrong, Tot.MaxWrongScore);
  printf("  filtered walks: %d faulting keys, %llu entries not kept (%llu "
         "on their tag alone, %d walks with the hash gate); "
         "%d cases' core memory file-mapped (released while walked)\n",
         Tot.Filtered, (unsigned long long)Tot.Dropped,
         (unsigned long long)Tot.ByTag, Tot.HashGated, Tot.FileMapped);
  EXPECT_GT(Tot.FileMapped, 0);
  EXPECT_GT(Tot.Filtered, 0);
  EXPECT_GT(Tot.Dropped, 0u);
  EXPECT_GT(Tot.HashGated, 0);
  EXPECT_GT(Tot.ByTag, Tot.Dropped / 2) << "most entries left out unread";
  // Every iterwrite case reached the iterator check (none was skipped).
  EXPECT_GE(WantIterCases, 15);
  EXPECT_EQ(It.Cases, WantIterCases);
  printf("  iterators: %d iterwrite cases, %d live iterators found on stacks "
         "(%d other (type, map) pairs rejected), %d located at a map entry\n",
         It.Cases, It.Found, It.Stale, It.Located);
}

} // namespace

namespace {

} // namespace

namespace {

// ---- damaged maps ------------------------------------------------------------

struct Damage {
  std::unique_ptr<CorpusCase> C;
  const TypeInfo *MT = nullptr;
  uint64_t Addr = 0;
  std::unique_ptr<PatchedMemory> Mem;
  std::unique_ptr<MapReader> R;
  MapState Orig;

  static std::unique_ptr<Damage> open(const std::string &Name) {
    auto D = std::make_unique<Damage>();
    D->C = openCorpusCase(Name);
    if (!D->C)
      return nullptr;
    D->MT = findType(*D->C->P, *D->C->map()->getString("type"));
    D->Addr = hexField(*D->C->map(), "address");
    if (!D->MT)
      return nullptr;
    MapReader Plain(*D->C->P);
    auto S = Plain.decode(*D->MT, D->Addr);
    if (!S) {
      ADD_FAILURE() << toString(S.takeError());
      return nullptr;
    }
    D->Orig = std::move(*S);
    D->Mem = std::make_unique<PatchedMemory>(D->C->P->memory());
    D->R = std::make_unique<MapReader>(*D->C->P, *D->Mem);
    return D;
  }
  uint64_t off(llvm::StringRef Struct, llvm::StringRef Field) const {
    auto O = C->P->layouts().offsetOf(Struct, Field);
    EXPECT_TRUE(static_cast<bool>(O));
    return O ? *O : 0;
  }
  // Decodes through the patched memory; must not fail, must be quick.
  MapState decode(const MapLimits &L = {}) {
    auto T0 = std::chrono::steady_clock::now();
    auto S = R->decode(*MT, Addr, L);
    double Secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - T0)
                      .count();
    EXPECT_LT(Secs, 5.0);
    if (!S) {
      ADD_FAILURE() << toString(S.takeError());
      return {};
    }
    return std::move(*S);
  }
  bool valid() {
    auto V = validateMapHeader(*R, *MT, Addr);
    EXPECT_TRUE(static_cast<bool>(V));
    return V && V->Valid;
  }
  int score() {
    auto V = validateMapHeader(*R, *MT, Addr);
    EXPECT_TRUE(static_cast<bool>(V));
    return V ? V->Score : -1;
  }
};

bool hasWarning(const MapState &S, llvm::StringRef Part) {
  for (const auto &W : S.Warn.all())
    if (llvm::StringRef(W).contains(Part))
      return true;
  return false;
}
std::string warnings(const MapState &S) { return llvm::join(S.Warn.all(), "\n"); }

// The hash the process used decides every home: when it cannot be told
// (useAeshash off but no fallback key) or the one computed does not place
// the map's own keys (wrong key), no home is reported.
TEST(MapDamage, NoHomeWithoutTheRightHash) {
  for (const char *Name : {"go1.22-default/strkeys", "go1.26-default/strkeys"}) {
    SCOPED_TRACE(Name);
    auto D = Damage::open(Name);
    ASSERT_TRUE(D);
    MapState S = D->decode();
    ASSERT_FALSE(S.Entries.empty());
    const TypeInfo &KT = *D->MT->Key;
    GoValue K = decodeValue(D->C->P->types(), KT, S.Entries[0].KeyAddr,
                            keyDecodeLimits());
    {
      MapReader R(*D->C->P, *D->Mem);
      auto L = findKey(R, S, K);
      ASSERT_TRUE(static_cast<bool>(L));
      ASSERT_TRUE(L->Home) << L->HomeError;
      EXPECT_EQ(L->Home->HashAlgorithm, "aes-amd64");
    }
    auto HK = readHashKeys(*D->C->P);
    ASSERT_TRUE(static_cast<bool>(HK)) << toString(HK.takeError());
    // useAeshash cleared: the fallback's key (zero in an AES process) is
    // no key, the algorithm is unknown.
    D->Mem->patch8(HK->UseAESAddr, 0);
    {
      MapReader R(*D->C->P, *D->Mem);
      auto L = findKey(R, S, K);
      ASSERT_TRUE(static_cast<bool>(L));
      EXPECT_FALSE(L->Home);
      EXPECT_NE(L->HomeError.find("hashkey"), std::string::npos) << L->HomeError;
      EXPECT_EQ(L->Result, KeyLookup::Verdict::Present); // found by comparison
    }
    // And a made-up fallback key: a hash, but not this process's.
    auto HKA = D->C->P->globalAddress(std::string("runtime.hashkey"));
    ASSERT_TRUE(static_cast<bool>(HKA));
    for (int I = 0; I < 4; ++I)
      D->Mem->patch64(*HKA + 8 * I, 0x9e3779b97f4a7c15ull * (I + 1));
    {
      MapReader R(*D->C->P, *D->Mem);
      auto L = findKey(R, S, K);
      ASSERT_TRUE(static_cast<bool>(L));
      EXPECT_FALSE(L->Home);
      EXPECT_NE(L->HomeError.find("not the hash this process used"),
                std::string::npos)
          << L->HomeError;
    }
  }
}

// The hash-tag gate of a filtered walk: an entry whose slot tag is not the
// key's hash tag is left out unread, except in the key's home, where a
// slot two racing writers left with one key's tag and another key is
// still compared (and found) by content.
TEST(MapDamage, FilterComparesTheKeysHomeByContent) {
  for (const char *Name : {"go1.22-default/strkeys", "go1.26-default/strkeys"}) {
    SCOPED_TRACE(Name);
    auto D = Damage::open(Name);
    ASSERT_TRUE(D);
    ASSERT_GT(D->Orig.Entries.size(), 16u);
    const MapEntry &X = D->Orig.Entries[D->Orig.Entries.size() / 2];
    GoValue K = decodeValue(D->C->P->types(), *D->MT->Key, X.KeyAddr,
                            keyDecodeLimits());
    ASSERT_FALSE(K.hasErrors());
    // Another valid tag in X's slot (classic tophash >= 5; swiss H2 < 0x80).
    const uint8_t Other = X.Tag == 0x20 ? 0x21 : 0x20;
    const uint64_t TagAddr = X.BucketAddr + X.Slot; // tophash[] / ctrl word
    for (bool Damaged : {false, true}) {
      SCOPED_TRACE(Damaged ? "tag damaged" : "intact");
      D->Mem->clear();
      if (Damaged)
        D->Mem->patch8(TagAddr, Other);
      KeyFilterStats Stats;
      MapLimits Lim;
      Lim.Keep = keyMayEqualFilter(*D->R, *D->MT->Key, K, &Stats);
      ASSERT_TRUE(static_cast<bool>(Lim.Keep));
      Lim.KeepFirst = 4;
      MapState S = D->decode(Lim);
      EXPECT_TRUE(Stats.HashGate) << Stats.NoHashGate;
      EXPECT_GT(Stats.ByTag, D->Orig.Entries.size() / 2);
      EXPECT_EQ(S.EntriesFound, D->Orig.EntriesFound);
      auto L = findKey(*D->R, S, K);
      ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
      EXPECT_TRUE(L->present());
      ASSERT_EQ(L->Matches.size(), 1u);
      EXPECT_EQ(S.Entries[L->Matches[0].Entry].KeyAddr, X.KeyAddr);
      EXPECT_EQ(S.Entries[L->Matches[0].Entry].Tag, Damaged ? Other : X.Tag);
    }
  }
}

TEST(MapDamage, ClassicHeader) {
  auto D = Damage::open("go1.22-default/growing");
  ASSERT_TRUE(D);
  const uint64_t BOff = D->off("runtime.hmap", "B");
  const uint64_t FOff = D->off("runtime.hmap", "flags");
  const uint64_t COff = D->off("runtime.hmap", "count");
  ASSERT_TRUE(D->valid());
  EXPECT_EQ(D->score(), 100);

  // Another seed: the keys no longer hash to their buckets. Plausible
  // still, but ranked below the real header.
  const uint64_t HOff = D->off("runtime.hmap", "hash0");
  D->Mem->patch(D->Addr + HOff, {0x11, 0x22, 0x33, 0x44});
  EXPECT_LT(D->score(), 100);
  auto HV = verifyEntryHashes(*D->R, D->decode());
  ASSERT_TRUE(static_cast<bool>(HV));
  EXPECT_LT(HV->TagMatch, HV->Checked / 10);
  D->Mem->patch(D->Addr + HOff,
                *D->C->P->memory().readBytes(D->Addr + HOff, 4));
  EXPECT_EQ(D->score(), 100);

  // B beyond any real map: nothing walked, a warning, invalid.
  D->Mem->patch8(D->Addr + BOff, 200);
  MapState S = D->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "above the cap")) << warnings(S);
  EXPECT_EQ(S.EntriesFound, 0u);
  EXPECT_FALSE(D->valid());

  // B = 30 over the real (2^13-bucket) array: bounded by the unreadable
  // run and the bucket cap.
  D->Mem->patch8(D->Addr + BOff, 30);
  MapLimits L;
  L.MaxBuckets = 1 << 16;
  S = D->decode(L);
  EXPECT_TRUE(S.Partial);
  EXPECT_LE(S.BucketsVisited, L.MaxBuckets);
  EXPECT_FALSE(S.countMatches());
  EXPECT_FALSE(S.Warn.empty());
  EXPECT_FALSE(D->valid());

  // Unknown flag bits, absurd count.
  D->Mem->patch8(D->Addr + BOff, D->Orig.Classic->B);
  D->Mem->patch8(D->Addr + FOff, 0x44);
  D->Mem->patch64(D->Addr + COff, 1ull << 40);
  S = D->decode();
  EXPECT_FALSE(S.Partial) << warnings(S);
  EXPECT_EQ(S.EntriesFound, D->Orig.EntriesFound);
  EXPECT_TRUE(hasWarning(S, "unknown bits")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "header says")) << warnings(S);
  EXPECT_EQ(S.Classic->flagNames(),
            (std::vector<std::string>{"hashWriting", "0x40"}));
  EXPECT_FALSE(D->valid());
}

TEST(MapDamage, ClassicPointers) {
  auto D = Damage::open("go1.22-default/growing");
  ASSERT_TRUE(D);
  const ClassicHeader &H = *D->Orig.Classic;
  ASSERT_TRUE(D->Orig.Growth->Growing);
  const uint64_t BS = D->MT->Map->BucketSize;
  const uint64_t Ovf = BS - 8;

  // An overflow pointer to its own bucket: a cycle, cut once.
  D->Mem->patch64(H.Buckets + 5 * BS + Ovf, H.Buckets + 5 * BS);
  MapState S = D->decode();
  EXPECT_TRUE(hasWarning(S, "a second time")) << warnings(S);
  EXPECT_EQ(S.EntriesFound, D->Orig.EntriesFound);

  // An overflow pointer into nothing.
  D->Mem->patch64(H.Buckets + 5 * BS + Ovf, 0x10);
  S = D->decode();
  EXPECT_TRUE(hasWarning(S, "cannot be read")) << warnings(S);
  EXPECT_TRUE(S.Partial);

  // A chain through the array (10 buckets linked in a row) with a short
  // chain cap: cut, and the linked buckets are not walked twice.
  for (uint64_t I = 20; I < 30; ++I)
    D->Mem->patch64(H.Buckets + I * BS + Ovf, H.Buckets + (I + 1) * BS);
  MapLimits L;
  L.MaxOverflowChain = 3;
  S = D->decode(L);
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "longer than 3")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "a second time")) << warnings(S);

  // buckets and oldbuckets pointing at unreadable and misaligned places.
  auto D2 = Damage::open("go1.22-default/growing");
  ASSERT_TRUE(D2);
  D2->Mem->patch64(D2->Addr + D2->off("runtime.hmap", "buckets"), 0x1000);
  D2->Mem->patch64(D2->Addr + D2->off("runtime.hmap", "oldbuckets"),
                   H.OldBuckets + 3);
  S = D2->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "unreadable bucket")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "misaligned")) << warnings(S);
  EXPECT_EQ(S.EntriesFound, 0u);
  EXPECT_FALSE(D2->valid());
}

TEST(MapDamage, ClassicTophash) {
  auto D = Damage::open("go1.23-default/strkeys");
  ASSERT_TRUE(D);
  const ClassicHeader &H = *D->Orig.Classic;
  // Evacuation marks in the current array and a live slot after emptyRest.
  const uint64_t BS = D->MT->Map->BucketSize;
  D->Mem->patch8(H.Buckets + 0 * BS + 0, 3);
  for (uint64_t I = 1; I < (1u << H.B); ++I) {
    auto T = D->C->P->memory().readBytes(H.Buckets + I * BS, 8);
    ASSERT_TRUE(static_cast<bool>(T));
    if ((*T)[0] >= 5 && (*T)[1] >= 5) {
      D->Mem->patch8(H.Buckets + I * BS, 0);
      break;
    }
  }
  MapState S = D->decode();
  EXPECT_TRUE(hasWarning(S, "evacuation mark")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "after an emptyRest")) << warnings(S);
  EXPECT_FALSE(S.countMatches());
}

TEST(MapDamage, SwissDirectory) {
  auto D = Damage::open("go1.25-default/growing");
  ASSERT_TRUE(D);
  ASSERT_GT(D->Orig.Tables.size(), 4u);
  const char *M = "internal/runtime/maps.Map";
  const uint64_t DL = D->off(M, "dirLen"), DP = D->off(M, "dirPtr"),
                 GD = D->off(M, "globalDepth"), SD = D->off(M, "seed");
  ASSERT_TRUE(D->valid());
  EXPECT_EQ(D->score(), 100);
  // Another seed: keys off their homes, score lower.
  D->Mem->patch64(D->Addr + SD, D->Orig.Swiss->Seed ^ 0x5555);
  EXPECT_LT(D->score(), 100);
  D->Mem->patch64(D->Addr + SD, D->Orig.Swiss->Seed);

  // A directory length far beyond the real one.
  D->Mem->patch64(D->Addr + DL, 1ull << 40);
  MapState S = D->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "not 1 << globalDepth")) << warnings(S);
  EXPECT_FALSE(D->valid());

  // Negative.
  D->Mem->patch64(D->Addr + DL, static_cast<uint64_t>(-5));
  S = D->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "negative")) << warnings(S);
  EXPECT_EQ(S.EntriesFound, 0u);
  EXPECT_FALSE(D->valid());

  // The directory elsewhere (unreadable), then misaligned.
  D->Mem->patch64(D->Addr + DL, D->Orig.Swiss->DirLen);
  D->Mem->patch64(D->Addr + DP, 0x2000);
  S = D->decode();
  EXPECT_TRUE(hasWarning(S, "cannot be read")) << warnings(S);
  EXPECT_FALSE(D->valid());
  D->Mem->patch64(D->Addr + DP, D->Orig.Swiss->DirPtr + 4);
  S = D->decode();
  EXPECT_TRUE(hasWarning(S, "misaligned")) << warnings(S);

  // globalDepth that disagrees with dirLen: still walked, with a warning.
  D->Mem->patch64(D->Addr + DP, D->Orig.Swiss->DirPtr);
  D->Mem->patch8(D->Addr + GD, D->Orig.Swiss->GlobalDepth + 1);
  S = D->decode();
  EXPECT_TRUE(hasWarning(S, "not 1 << globalDepth")) << warnings(S);
  EXPECT_EQ(S.EntriesFound, D->Orig.EntriesFound);
}

TEST(MapDamage, SwissTables) {
  auto D = Damage::open("go1.27-mapsplitgroup/strkeys");
  ASSERT_TRUE(D);
  const MapState &O = D->Orig;
  ASSERT_GE(O.Tables.size(), 2u);
  const uint64_t Dir = O.Swiss->DirPtr;
  const char *T = "internal/runtime/maps.table";
  const SwissTable &T0 = O.Tables[0], &T1 = O.Tables[1];

  // A directory entry to garbage, one to nil.
  D->Mem->patch64(Dir + 8 * T1.DirIndexes[0], 0x3000);
  D->Mem->patch64(Dir + 8 * T1.DirIndexes.back(), 0);
  // Table 0: a huge lengthMask; an invalid control byte.
  D->Mem->patch64(T0.Addr + D->off(T, "groups.lengthMask"), 0xffffffffull);
  D->Mem->patch8(T0.GroupsData + 0, 0x81);
  MapState S = D->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "lengthMask")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "not a table pointer")) << warnings(S);
  EXPECT_TRUE(hasWarning(S, "neither empty, deleted nor full")) << warnings(S);
  EXPECT_LT(S.EntriesFound, O.EntriesFound);
  EXPECT_FALSE(D->valid());

  // Groups of a table unreadable.
  auto D2 = Damage::open("go1.27-mapsplitgroup/strkeys");
  ASSERT_TRUE(D2);
  D2->Mem->patch64(D2->Orig.Tables[0].Addr + D2->off(T, "groups.data"),
                   0x4000);
  S = D2->decode();
  EXPECT_TRUE(S.Partial);
  EXPECT_TRUE(hasWarning(S, "groups cannot be read") ||
              hasWarning(S, "unreadable groups"))
      << warnings(S);
  EXPECT_FALSE(D2->valid());
  // The lookup of a key that is there says "unknown", not "absent", when
  // the walk was partial and the key was not found.
  GoValue K = decodeValue(D2->C->P->types(), *D2->MT->Key,
                          D2->Orig.Entries[0].KeyAddr, keyDecodeLimits());
  auto L = findKey(*D2->R, S, K);
  ASSERT_TRUE(static_cast<bool>(L));
  EXPECT_NE(L->Result, KeyLookup::Verdict::Absent);
}

// Random damage: bytes of the header, the first buckets or the directory,
// tables and groups overwritten with random values or with pointers into
// the map's own structures. Whatever comes out, decoding, validation,
// lookups and hash checks return (bounded) and report.
TEST(MapDamage, RandomCorruption) {
  for (const char *Case : {"go1.23-default/u32rw", "go1.25-default/strkeys",
                           "go1.27-mapsplitgroup/structkey"}) {
    SCOPED_TRACE(Case);
    auto D = Damage::open(Case);
    ASSERT_TRUE(D);
    const MapState &O = D->Orig;
    // Places worth hitting and pointers worth planting.
    std::vector<std::pair<uint64_t, uint64_t>> Areas = {{D->Addr, 56}};
    std::vector<uint64_t> Ptrs = {D->Addr, 0, 8};
    if (O.Classic) {
      const uint64_t BS = D->MT->Map->BucketSize;
      Areas.push_back({O.Classic->Buckets, 4 * BS});
      if (O.Classic->OldBuckets)
        Areas.push_back({O.Classic->OldBuckets, 4 * BS});
      Ptrs.push_back(O.Classic->Buckets);
      Ptrs.push_back(O.Classic->Buckets + BS);
      Ptrs.push_back(O.Classic->OldBuckets);
    } else {
      Areas.push_back({O.Swiss->DirPtr, 8 * std::min<uint64_t>(4, O.Swiss->DirLen)});
      for (size_t I = 0; I < O.Tables.size() && I < 2; ++I) {
        Areas.push_back({O.Tables[I].Addr, 32});
        Areas.push_back({O.Tables[I].GroupsData, 2 * D->MT->Map->GroupSize});
        Ptrs.push_back(O.Tables[I].Addr);
        Ptrs.push_back(O.Tables[I].GroupsData);
      }
      Ptrs.push_back(O.Swiss->DirPtr);
    }
    GoValue Known = decodeValue(D->C->P->types(), *D->MT->Key,
                                O.Entries[0].KeyAddr, keyDecodeLimits());
    uint64_t X = 0x9e3779b97f4a7c15;
    auto Rnd = [&] {
      X ^= X << 13;
      X ^= X >> 7;
      X ^= X << 17;
      return X;
    };
    MapLimits L;
    L.MaxBuckets = 1 << 15;
    L.MaxGroups = 1 << 15;
    L.MaxDirLen = 1 << 12;
    L.MaxTables = 256;
    L.MaxBytes = 16 << 20;
    int Partial = 0, Warned = 0;
    auto T0 = std::chrono::steady_clock::now();
    for (int Round = 0; Round < 150; ++Round) {
      D->Mem->clear();
      for (int K = 0; K < 6; ++K) {
        auto [Base, Len] = Areas[Rnd() % Areas.size()];
        uint64_t At = (Base + Rnd() % Len) & ~7ull;
        switch (Rnd() % 3) {
        case 0:
          D->Mem->patch8(At + Rnd() % 8, static_cast<uint8_t>(Rnd()));
          break;
        case 1:
          D->Mem->patch64(At, Rnd());
          break;
        default:
          D->Mem->patch64(At, Ptrs[Rnd() % Ptrs.size()] + 8 * (Rnd() % 3));
        }
      }
      auto S = D->R->decode(*D->MT, D->Addr, L);
      if (!S) {
        consumeError(S.takeError()); // only an unreadable header
        continue;
      }
      Partial += S->Partial;
      Warned += !S->Warn.empty();
      EXPECT_LE(S->BucketsVisited, L.MaxBuckets + L.MaxOverflowChain);
      EXPECT_LE(S->GroupsVisited, L.MaxGroups + 8);
      auto V = validateMapHeader(*D->R, *D->MT, D->Addr);
      ASSERT_TRUE(static_cast<bool>(V));
      auto F = findKey(*D->R, *S, Known);
      ASSERT_TRUE(static_cast<bool>(F));
      auto H = verifyEntryHashes(*D->R, *S, 2000);
      if (!H)
        consumeError(H.takeError());
      (void)toJSON(*S);
    }
    double Secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - T0)
                      .count();
    EXPECT_GT(Warned, 50);
    printf("%s: 150 random corruptions in %.1f s, %d with warnings, %d "
           "partial\n",
           Case, Secs, Warned, Partial);
  }
}

// ---- maps built from real parts ------------------------------------------------
// Shapes the corpus lacks, assembled in patched memory from a real core's
// keys, elements, seeds and type descriptors.

const char *const SwissMap = "internal/runtime/maps.Map";

// Writes at NewMap a copy of a real Swiss map header, Hdr, made a small
// map: Used entries in the one group at Group (dirPtr), dirLen,
// globalDepth, globalShift and writing 0.
void patchSmallSwissMap(Damage &D, uint64_t NewMap, llvm::ArrayRef<uint8_t> Hdr,
                        uint64_t Used, uint64_t Group) {
  D.Mem->patch(NewMap, Hdr);
  D.Mem->patch64(NewMap + D.off(SwissMap, "used"), Used);
  D.Mem->patch64(NewMap + D.off(SwissMap, "dirPtr"), Group);
  D.Mem->patch64(NewMap + D.off(SwissMap, "dirLen"), 0);
  D.Mem->patch8(NewMap + D.off(SwissMap, "globalDepth"), 0);
  D.Mem->patch8(NewMap + D.off(SwissMap, "globalShift"), 0);
  D.Mem->patch8(NewMap + D.off(SwissMap, "writing"), 0);
}

// A small Swiss map (dirLen 0, dirPtr one group) built from a real table's
// group: the corpus has none (its maps all outgrew 8 entries).
TEST(MapBuilt, SwissSmallMap) {
  auto D = Damage::open("go1.26-default/strkeys");
  ASSERT_TRUE(D);
  const MapState &O = D->Orig;
  const MapTypeInfo &MI = *D->MT->Map;
  // A group with several full slots.
  const MapEntry *First = &O.Entries[0];
  uint64_t Full = 0;
  for (const auto &E : O.Entries)
    if (E.BucketAddr == First->BucketAddr)
      ++Full;
  auto G = D->C->P->memory().readBytes(First->BucketAddr, MI.GroupSize);
  ASSERT_TRUE(static_cast<bool>(G));
  auto Hdr = D->C->P->memory().readBytes(D->Addr, 48);
  ASSERT_TRUE(static_cast<bool>(Hdr));
  // Header and group copied to an address the core does not have.
  const uint64_t NewMap = 0x7e0000000000, NewGroup = NewMap + 0x100;
  patchSmallSwissMap(*D, NewMap, *Hdr, Full, NewGroup);
  D->Mem->patch(NewGroup, *G);
  D->Addr = NewMap;
  MapState S = D->decode();
  EXPECT_TRUE(S.Swiss->small());
  EXPECT_FALSE(S.Partial);
  EXPECT_TRUE(S.Warn.empty()) << warnings(S);
  ASSERT_EQ(S.EntriesFound, Full);
  EXPECT_EQ(S.Entries[0].Table, -1);
  EXPECT_TRUE(D->valid());
  auto V = verifyEntryHashes(*D->R, S);
  ASSERT_TRUE(static_cast<bool>(V));
  EXPECT_TRUE(V->allMatch()) << llvm::join(V->Mismatches, "\n");
  GoValue K = decodeValue(D->R->types(), *D->MT->Key, S.Entries[0].KeyAddr,
                          keyDecodeLimits());
  auto L = findKey(*D->R, S, K);
  ASSERT_TRUE(static_cast<bool>(L));
  ASSERT_TRUE(L->present());
  ASSERT_TRUE(L->Home);
  EXPECT_TRUE(L->Home->Small);
  EXPECT_TRUE(L->Matches[0].AtHome.value_or(false));
  // A key from another group of the real map is absent here.
  for (const auto &E : O.Entries)
    if (E.BucketAddr != First->BucketAddr) {
      GoValue K2 = decodeValue(D->R->types(), *D->MT->Key, E.KeyAddr,
                               keyDecodeLimits());
      auto L2 = findKey(*D->R, S, K2);
      ASSERT_TRUE(static_cast<bool>(L2));
      EXPECT_EQ(L2->Result, KeyLookup::Verdict::Absent);
      break;
    }
  // A full small group with used > 8 is flagged.
  D->Mem->patch64(NewMap + D->off(SwissMap, "used"), 9);
  S = D->decode();
  EXPECT_TRUE(hasWarning(S, "small map with used 9")) << warnings(S);
  EXPECT_FALSE(D->valid());
}

TEST(MapDamage, NilAndWrongType) {
  auto C = openCorpusCase("go1.22-default/strkeys");
  ASSERT_TRUE(C);
  GoProgram &P = *C->P;
  const TypeInfo *MT = findType(P, "map[string]int");
  ASSERT_TRUE(MT);
  auto S = decodeMap(P, MT, 0);
  ASSERT_TRUE(static_cast<bool>(S));
  EXPECT_TRUE(S->Nil);
  // Not a map type.
  const TypeInfo *Str = findType(P, "string");
  ASSERT_TRUE(Str);
  auto Bad = decodeMap(P, Str, hexField(*C->map(), "address"));
  EXPECT_FALSE(static_cast<bool>(Bad));
  consumeError(Bad.takeError());
  auto BadV = validateMapHeader(P, Str, hexField(*C->map(), "address"));
  EXPECT_FALSE(static_cast<bool>(BadV));
  consumeError(BadV.takeError());
  // A header the core lacks: an error naming the address.
  auto Missing = decodeMap(P, MT, 0x10);
  ASSERT_FALSE(static_cast<bool>(Missing));
  std::string Msg = toString(Missing.takeError());
  EXPECT_NE(Msg.find("0x10"), std::string::npos) << Msg;
  auto MissingV = validateMapHeader(P, MT, 0x10);
  ASSERT_TRUE(static_cast<bool>(MissingV));
  EXPECT_FALSE(MissingV->Valid);
}

// Indirect keys and elements (keys or elements over 128 bytes are stored
// behind pointers; the corpus keys are all small): a copy of the
// map[string]int type descriptor with both flags set and the slot layout
// they imply, over a group whose slots point at a real map's keys and
// elements.
TEST(MapBuilt, SwissIndirectSlots) {
  auto D = Damage::open("go1.26-default/strkeys");
  ASSERT_TRUE(D);
  const MapState &O = D->Orig;
  const MapTypeInfo &MI = *D->MT->Map;
  ASSERT_FALSE(MI.IndirectKey || MI.IndirectElem);
  const uint64_t NewType = 0x7e1000000000, NewMap = 0x7e2000000000,
                 NewGroup = NewMap + 0x100;
  // go1.26 abi.MapType: GroupSize@80, SlotSize@88, ElemOff@96, Flags@104.
  auto Desc = D->C->P->memory().readBytes(D->MT->Addr, 112);
  ASSERT_TRUE(static_cast<bool>(Desc));
  D->Mem->patch(NewType, *Desc);
  D->Mem->patch64(NewType + 80, 8 + 8 * 16);
  D->Mem->patch64(NewType + 88, 16);
  D->Mem->patch64(NewType + 96, 8);
  uint32_t Flags;
  memcpy(&Flags, Desc->data() + 104, 4);
  Flags |= 4 | 8; // indirect key, indirect elem
  D->Mem->patch(NewType + 104, {reinterpret_cast<uint8_t *>(&Flags), 4});
  auto T = D->R->types().typeAt(NewType);
  ASSERT_TRUE(static_cast<bool>(T)) << toString(T.takeError());
  const TypeInfo *IT = *T;
  ASSERT_TRUE(IT->Map && IT->Map->IndirectKey && IT->Map->IndirectElem);
  EXPECT_EQ(IT->Map->KeyStride, 16u);
  // One group: the first group of the real map's first table, its slots
  // now pointers to the real keys and elements.
  const MapEntry &First = O.Entries[0];
  auto Ctrl = D->C->P->memory().readU64(First.BucketAddr);
  ASSERT_TRUE(static_cast<bool>(Ctrl));
  D->Mem->patch(NewGroup, std::vector<uint8_t>(8 + 8 * 16, 0));
  D->Mem->patch64(NewGroup, *Ctrl);
  uint64_t Full = 0;
  for (const auto &E : O.Entries) {
    if (E.BucketAddr != First.BucketAddr)
      continue;
    ++Full;
    D->Mem->patch64(NewGroup + 8 + 16 * E.Slot, E.KeyAddr);
    D->Mem->patch64(NewGroup + 8 + 16 * E.Slot + 8, E.ElemAddr);
  }
  auto Hdr = D->C->P->memory().readBytes(D->Addr, 48);
  ASSERT_TRUE(static_cast<bool>(Hdr));
  patchSmallSwissMap(*D, NewMap, *Hdr, Full, NewGroup);
  auto S = D->R->decode(*IT, NewMap);
  ASSERT_TRUE(static_cast<bool>(S)) << toString(S.takeError());
  EXPECT_TRUE(S->Warn.empty()) << warnings(*S);
  ASSERT_EQ(S->EntriesFound, Full);
  for (const auto &E : S->Entries) {
    EXPECT_EQ(E.KeySlot, NewGroup + 8 + 16 * E.Slot);
    EXPECT_NE(E.KeyAddr, E.KeySlot); // followed
    EXPECT_EQ(E.ElemSlot, E.KeySlot + 8);
  }
  // The same keys and elements as the real map, found through pointers.
  auto Sample = decodeEntries(*D->R, *S, 8);
  MapReader Plain(*D->C->P);
  for (const auto &DE : Sample) {
    const MapEntry &E = S->Entries[DE.Index];
    GoValue RK = decodeValue(Plain.types(), *D->MT->Key, E.KeyAddr);
    EXPECT_EQ(toJSON(DE.Key), toJSON(RK));
    EXPECT_FALSE(DE.Elem.hasErrors());
  }
  auto V = verifyEntryHashes(*D->R, *S);
  ASSERT_TRUE(static_cast<bool>(V)) << toString(V.takeError());
  EXPECT_TRUE(V->allMatch()) << llvm::join(V->Mismatches, "\n");
  auto L = findKey(*D->R, *S, Sample[0].Key);
  ASSERT_TRUE(static_cast<bool>(L));
  ASSERT_TRUE(L->present());
  EXPECT_EQ(toJSON(L->Matches[0].Elem), toJSON(Sample[0].Elem));
  EXPECT_TRUE(validateMapHeader(*D->R, *IT, NewMap)->Valid);
  // A nil pointer in a live slot is a warning and an unreadable key.
  D->Mem->patch64(NewGroup + 8 + 16 * First.Slot, 0);
  S = D->R->decode(*IT, NewMap);
  ASSERT_TRUE(static_cast<bool>(S));
  EXPECT_TRUE(hasWarning(*S, "indirect key pointer is nil")) << warnings(*S);
  auto L2 = findKey(*D->R, *S, Sample[0].Key);
  ASSERT_TRUE(static_cast<bool>(L2));
  EXPECT_GE(L2->Undecided, 1u);
}

// ---- Go's == on decoded values ---------------------------------------------------

GoValue num(double F) {
  GoValue V;
  V.VK = GoValue::VKind::Float;
  V.F = F;
  return V;
}
GoValue str(const std::string &S, uint64_t Len = ~0ull) {
  GoValue V;
  V.VK = GoValue::VKind::String;
  V.Str = S;
  V.Len = Len == ~0ull ? S.size() : Len;
  V.Truncated = V.Len != S.size();
  return V;
}

TEST(MapKeys, GoEquality) {
  EXPECT_EQ(goKeyEqual(num(1.5), num(1.5)), KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(num(0.0), num(-0.0)), KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(num(std::nan("")), num(std::nan(""))), KeyEq::NotEqual);
  EXPECT_EQ(goKeyEqual(str("abc"), str("abc")), KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(str("abc"), str("abd")), KeyEq::NotEqual);
  EXPECT_EQ(goKeyEqual(str("abc"), str("abc", 5)), KeyEq::NotEqual); // lengths
  EXPECT_EQ(goKeyEqual(str("abc", 5), str("abc", 5)), KeyEq::Unknown); // cut
  EXPECT_EQ(goKeyEqual(str("abd", 5), str("abc", 5)), KeyEq::NotEqual);
  GoValue E;
  E.VK = GoValue::VKind::Error;
  EXPECT_EQ(goKeyEqual(E, str("a")), KeyEq::Unknown);
  // Structs field by field, blank fields ignored.
  auto Rec = [](const std::string &Blank, double F) {
    GoValue V;
    V.VK = GoValue::VKind::Struct;
    GoValue::Field A, B;
    A.Name = "_";
    A.Value = std::make_unique<GoValue>(str(Blank));
    B.Name = "F";
    B.Value = std::make_unique<GoValue>(num(F));
    V.Fields.push_back(std::move(A));
    V.Fields.push_back(std::move(B));
    return V;
  };
  EXPECT_EQ(goKeyEqual(Rec("x", 1), Rec("y", 1)), KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(Rec("x", 1), Rec("x", 2)), KeyEq::NotEqual);
  // Interfaces: dynamic type first, then value; nil only equals nil.
  TypeInfo IntT, StrT;
  IntT.Addr = 0x100;
  IntT.Equal = 1;
  StrT.Addr = 0x200;
  StrT.Equal = 1;
  auto Iface = [](const TypeInfo *T, GoValue D) {
    GoValue V;
    V.VK = GoValue::VKind::Interface;
    V.DynType = T;
    if (T)
      V.Dynamic = std::make_unique<GoValue>(std::move(D));
    return V;
  };
  GoValue One;
  One.VK = GoValue::VKind::Int;
  One.I = 1;
  GoValue One2;
  One2.VK = GoValue::VKind::Int;
  One2.I = 1;
  EXPECT_EQ(goKeyEqual(Iface(&IntT, std::move(One)), Iface(&IntT, std::move(One2))),
            KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(Iface(&IntT, str("1")), Iface(&StrT, str("1"))),
            KeyEq::NotEqual);
  EXPECT_EQ(goKeyEqual(Iface(nullptr, GoValue()), Iface(nullptr, GoValue())),
            KeyEq::Equal);
  EXPECT_EQ(goKeyEqual(Iface(nullptr, GoValue()), Iface(&StrT, str(""))),
            KeyEq::NotEqual);
}

} // namespace
