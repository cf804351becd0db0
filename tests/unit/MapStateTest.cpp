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
#include "loader/Memory.h"
#include "mapfault/MapHash.h"
#include "mapfault/MapIter.h"
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
  int Valid = 0, RejectedWrong = 0;
};

// ---- the corpus ----------------------------------------------------------------

TEST(MapState, Corpus) {
  auto Start = std::chrono::steady_clock::now();
  Totals Tot;
  ASSERT_FALSE(corpusCases().empty());
  for (const std::string &Name : corpusCases()) {
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    ASSERT_TRUE(C);
    GoProgram &P = *C->P;
    const auto *MJ = C->map();
    ASSERT_TRUE(MJ);
    llvm::StringRef Scenario = *C->truth().getString("scenario");
    ++Tot.Cases;
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
      EXPECT_FALSE(static_cast<bool>(findKey(R, *S, GoValue())));
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
      EXPECT_LE(L->Matches.size(), 1u);
      ASSERT_TRUE(L->Home) << L->HomeError;
      if (L->present()) {
        ++Tot.KeyPresent;
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

    // Keys the scenario inserted before the race and never deletes.
    for (uint64_t W : certainKeys(Scenario)) {
      GoValue K = decodeValueFromWords(P.types(), *MT->Key, {W});
      auto L = findKey(R, *S, K);
      ASSERT_TRUE(static_cast<bool>(L));
      ASSERT_TRUE(L->present()) << toGoSyntax(K) << " not found";
      ++Tot.CertainFound;
      ASSERT_TRUE(L->Matches[0].AtHome.value_or(false))
          << L->Matches[0].HomeDetail;
      checkCertainElem(Scenario, W, L->Matches[0].Elem);
    }

    // Validation: the real header passes, wrong addresses do not.
    auto Ok = validateMapHeader(R, *MT, Addr);
    ASSERT_TRUE(static_cast<bool>(Ok));
    EXPECT_TRUE(Ok->Valid) << llvm::join(Ok->reasons(), "\n");
    Tot.Valid += Ok->Valid;
    std::vector<uint64_t> Wrong = {Addr + 8, Addr + 16};
    if (!S->Entries.empty())
      Wrong.push_back(S->Entries[0].KeyAddr); // a key (a string header,
                                              // an integer, ...)
    if (const auto *KJ = C->truth().getObject("key"))
      if (uint64_t D = hexField(*KJ, "data"))
        Wrong.push_back(D & ~7ull); // string bytes
    Warnings GW;
    auto Gs = readGoroutines(P, GW);
    if (Gs && !Gs->Goroutines.empty())
      Wrong.push_back(Gs->Goroutines.back().G); // a runtime.g
    else if (!Gs)
      consumeError(Gs.takeError());
    for (uint64_t A : Wrong) {
      auto Bad = validateMapHeader(R, *MT, A);
      ASSERT_TRUE(static_cast<bool>(Bad));
      EXPECT_FALSE(Bad->Valid) << "at " << hex(A) << " score " << Bad->Score;
      Tot.RejectedWrong += !Bad->Valid;
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
         "  faulting key: present %d (at home %d), absent %d, unknown %d; "
         "certain keys found %d\n"
         "  validation: %d real headers valid, %d wrong addresses rejected\n",
         Tot.Cases, Tot.NilMaps, Tot.Classic, Tot.Growing, Tot.Swiss, Secs,
         (unsigned long long)Tot.Entries, Tot.CountExact, Tot.CountOff,
         (unsigned long long)Tot.Hashed, (unsigned long long)Tot.TagOk,
         (unsigned long long)Tot.PlaceOk, Tot.KeyPresent, Tot.KeyAtHome,
         Tot.KeyAbsent, Tot.KeyUnknown, Tot.CertainFound, Tot.Valid,
         Tot.RejectedWrong);
}

} // namespace

namespace {

// Iterators of the iterwrite scenario: `for range` over the map in
// goroutines whose hiter / maps.Iter sits on their stack. Found by
// scanning each stack for the iterator's (type, map) pointer pair.
TEST(MapState, IteratorsOnCorpusStacks) {
  int Cases = 0, Found = 0, Located = 0, Stale = 0;
  for (const std::string &Name : corpusCases()) {
    if (!llvm::StringRef(Name).endswith("/iterwrite"))
      continue;
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    ASSERT_TRUE(C);
    GoProgram &P = *C->P;
    ++Cases;
    const TypeInfo *MT = findType(P, *C->map()->getString("type"));
    ASSERT_TRUE(MT);
    const uint64_t Addr = hexField(*C->map(), "address");
    MapReader R(P);
    auto S = R.decode(*MT, Addr);
    ASSERT_TRUE(static_cast<bool>(S));
    const bool Classic = P.mapImpl() == MapImpl::Classic;
    const char *Struct = Classic ? "runtime.hiter" : "internal/runtime/maps.Iter";
    auto TOff = P.layouts().offsetOf(Struct, Classic ? "t" : "typ");
    auto MOff = P.layouts().offsetOf(Struct, Classic ? "h" : "m");
    ASSERT_TRUE(TOff && MOff);
    Warnings W;
    auto Gs = readGoroutines(P, W);
    ASSERT_TRUE(static_cast<bool>(Gs)) << toString(Gs.takeError());
    std::vector<uint64_t> Iters;
    for (const auto &G : Gs->Goroutines) {
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
    int FoundBefore = Found;
    for (uint64_t IA : Iters) {
      auto It = decodeMapIter(R, IA, &*S);
      ASSERT_TRUE(static_cast<bool>(It)) << toString(It.takeError());
      EXPECT_TRUE(It->SameMap);
      if (!It->Consistent) {
        // A (type, map) pair in an argument spill slot or a dead frame.
        ++Stale;
        continue;
      }
      ++Found;
      EXPECT_TRUE(It->TypeMatches);
      EXPECT_EQ(It->Impl, P.mapImpl());
      EXPECT_FALSE(It->Position.empty());
      if (It->Entry) {
        ++Located;
        const MapEntry &E = S->Entries[*It->Entry];
        EXPECT_EQ(E.KeyAddr, It->Key);
        ASSERT_TRUE(It->KeyValue && It->ElemValue);
        EXPECT_FALSE(It->KeyValue->hasErrors());
        EXPECT_EQ(It->Elem, E.ElemAddr);
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
        printf("%s: iterator at %s: %s key %s; %s\n", Name.c_str(),
               hex(IA).c_str(), It->Position.c_str(),
               It->KeyValue ? toGoSyntax(*It->KeyValue).c_str() : "-",
               llvm::join(It->Warn.all(), "; ").c_str());
    }
    EXPECT_GT(Found, FoundBefore) << "no live iterator of the map";
  }
  EXPECT_EQ(Cases, 15);
  printf("iterators: %d iterwrite cases, %d live iterators found on stacks "
         "(%d other (type, map) pairs rejected), %d located at a map entry\n",
         Cases, Found, Stale, Located);
}

} // namespace
