// Is there a map at an address? The checks of a candidate header, one
// class per map implementation on a base that records checks, scores
// them, and samples a short walk of the map.
#include <algorithm>
#include <unordered_set>

#include "goruntime/GoProgram.h"
#include "goruntime/StructView.h"
#include "mapfault/MapKeys.h"
#include "mapfault/MapWalk.h"
#include "support/ByteReader.h"
#include "support/Memory.h"

namespace ms {

using namespace llvm;
using namespace mapwalk;

std::vector<std::string> MapValidation::reasons() const {
  std::vector<std::string> Out;
  for (const auto &C : Checks)
    if (!C.Passed)
      Out.push_back(C.Name + ": " + C.Detail);
  return Out;
}

namespace {

constexpr int PassScore = 50;

// What a read gives: OkText when it worked, else its error's text (the
// error consumed; the caller stops there).
template <typename T>
std::string readText(Expected<T> &V, std::string OkText) {
  return V ? std::move(OkText) : errorText(V.takeError());
}

// The checks of one candidate, with their penalties.
class Checks {
public:
  Checks(const MapReader &R, const TypeInfo &T, uint64_t Addr)
      : R(R), T(T), MI(*T.Map), Addr(Addr) {}

  // Valid: no hard check failed and the score passes.
  MapValidation result() {
    V.Score = std::max(0, 100 - Penalty);
    V.Valid = !hardFailure() && V.Score >= PassScore;
    return std::move(V);
  }

protected:
  // Records a check; returns Ok.
  bool check(const std::string &Name, bool Ok, bool Hard, int Pen,
             std::string Detail) {
    V.Checks.push_back({Name, Ok, Hard, std::move(Detail)});
    if (!Ok)
      Penalty += Hard ? 100 : Pen;
    return Ok;
  }
  bool readable(uint64_t A, uint64_t N) { return R.memory().isReadable(A, N); }
  bool hardFailure() const {
    for (auto &C : V.Checks)
      if (C.Hard && !C.Passed)
        return true;
    return false;
  }
  // The header at Addr (ReadHeader; What names its struct) when it is
  // aligned and readable, both recorded as hard checks.
  template <typename Header>
  std::optional<Header>
  header(Expected<Header> (*ReadHeader)(const MapReader &, uint64_t),
         const char *What) {
    if (!check("header aligned", Addr % 8 == 0 && Addr != 0, true, 0,
               "address " + hex(Addr)))
      return std::nullopt;
    auto H = ReadHeader(R, Addr);
    if (!check("header readable", bool(H), true, 0,
               readText(H, std::string(What) + " at " + hex(Addr))))
      return std::nullopt;
    return std::move(*H);
  }
  // Decodes a small sample of the map and compares with the header
  // (Expect: the count it announces).
  void sample(uint64_t Expect);

  const MapReader &R;
  const TypeInfo &T;
  const MapTypeInfo &MI;
  const uint64_t Addr;

private:
  // The strongest evidence: sampled keys sit where their hash (with this
  // header's seed) puts them. Skipped when the hash cannot be computed.
  void sampleHomes(const MapState &S);

  MapValidation V;
  int Penalty = 0;
};

void Checks::sample(uint64_t Expect) {
  MapLimits L;
  L.MaxBuckets = 128;
  L.MaxBucketsPerArray = 48; // old buckets too, while growing
  L.MaxGroups = 64;
  L.MaxTables = 8;
  L.MaxDirLen = 1024;
  L.MaxBytes = 1 << 20;
  L.MaxEntries = 512;
  auto S = R.decode(T, Addr, L);
  if (!S) {
    check("sample walk", false, false, 30, errorText(S.takeError()));
    return;
  }
  if (!S->Partial)
    check("walk finds count entries", S->EntriesFound == Expect, false,
          S->EntriesFound > Expect + 8 || S->EntriesFound + 8 < Expect ? 30 : 5,
          "header " + std::to_string(Expect) + ", found " +
              std::to_string(S->EntriesFound));
  // Keys of the sample decode without errors.
  DecodeLimits DL;
  DL.MaxStringBytes = 256;
  DL.MaxNodes = 256;
  unsigned Bad = 0, N = 0;
  for (const auto &E : S->Entries) {
    if (N == 8)
      break;
    ++N;
    GoValue K = decodeValue(R.types(), *T.Key, E.KeyAddr, DL);
    Bad += K.hasErrors();
  }
  if (N)
    check("sample keys decode", Bad == 0, false, 20,
          std::to_string(Bad) + " of " + std::to_string(N) +
              " sampled keys have unreadable parts");
  sampleHomes(*S);
}

void Checks::sampleHomes(const MapState &S) {
  if (S.Entries.empty() || !probe(R.hasher(T)))
    return;
  unsigned Hashed = 0, AtHome = 0;
  for (const auto &E : S.Entries) {
    if (Hashed == 8)
      break;
    GoValue K = decodeValue(R.types(), *T.Key, E.KeyAddr, keyDecodeLimits());
    // A key whose home cannot be computed is no evidence either way.
    auto H = probe(keyHome(R, S, K));
    if (!H)
      continue;
    ++Hashed;
    AtHome += homeMismatch(S, E, *H).empty();
  }
  if (Hashed)
    check("sample keys hash to their slots", AtHome * 2 > Hashed, false, 40,
          std::to_string(AtHome) + " of " + std::to_string(Hashed) +
              " sampled keys are where their hash puts them");
}

// A classic hmap: its fields against each other, its bucket arrays
// readable.
class ClassicChecks : public Checks {
public:
  using Checks::Checks;
  void run();

private:
  void arrays(const ClassicHeader &H);
};

void ClassicChecks::arrays(const ClassicHeader &H) {
  const uint64_t BS = MI.BucketSize;
  const uint64_t NB = 1ull << H.B;
  if (H.Buckets) {
    bool Aligned = H.Buckets % 8 == 0;
    check("buckets aligned", Aligned, true, 0, "buckets " + hex(H.Buckets));
    check("buckets readable",
          Aligned && readable(H.Buckets, BS) &&
              readable(H.Buckets + (NB - 1) * BS, BS),
          true, 0,
          std::to_string(NB) + " buckets of " + std::to_string(BS) +
              " bytes at " + hex(H.Buckets));
  }
  bool Same = H.Flags & HFlagSameSizeGrow;
  if (H.OldBuckets != 0) { // growing
    uint64_t ON = Same ? NB : NB >> 1;
    check("oldbuckets", ON && H.OldBuckets % 8 == 0 &&
                            H.OldBuckets != H.Buckets &&
                            readable(H.OldBuckets, BS) &&
                            readable(H.OldBuckets + (ON - 1) * BS, BS),
          true, 0,
          std::to_string(ON) + " old buckets at " + hex(H.OldBuckets));
    check("nevacuate", H.NEvacuate <= ON, true, 0,
          "nevacuate " + std::to_string(H.NEvacuate) + " of " +
              std::to_string(ON));
  } else {
    check("sameSizeGrow only while growing", !Same, false, 20,
          "flags " + hex(H.Flags) + ", oldbuckets nil");
    check("nevacuate", H.NEvacuate <= NB, false, 20,
          "nevacuate " + std::to_string(H.NEvacuate) + " without growth");
  }
}

void ClassicChecks::run() {
  auto H = header(readClassicHeader, "hmap");
  if (!H)
    return;
  check("flags", (H->Flags & 0xf0) == 0, true, 0,
        "flags " + hex(H->Flags) +
            ((H->Flags & 0xf0) ? " has unknown bits" : ""));
  if (!check("B range", H->B <= 40, true, 0, "B = " + std::to_string(H->B)))
    return;
  const uint64_t NB = 1ull << H->B;
  check("count plausible", H->Count <= (8ull << H->B) + 8, true, 0,
        "count " + std::to_string(H->Count) + " for " + std::to_string(NB) +
            " buckets");
  check("load factor", H->Count <= (13ull << H->B) / 2 + 8, false, 20,
        "count " + std::to_string(H->Count) + " for B = " +
            std::to_string(H->B));
  check("buckets present", H->Count == 0 || H->Buckets != 0, true, 0,
        "count " + std::to_string(H->Count) + ", buckets " + hex(H->Buckets));
  arrays(*H);
  check("noverflow", H->NOverflow <= (2u << std::min<unsigned>(H->B, 15)) + 8,
        false, 20, "noverflow " + std::to_string(H->NOverflow));
  if (H->Extra)
    check("extra", H->Extra % 8 == 0 && readable(H->Extra, 24), true, 0,
          "extra " + hex(H->Extra));
  if (hardFailure())
    return;
  sample(H->Count);
}

// A Swiss maps.Map: its fields, the small map's group or the directory
// and a few of its tables.
class SwissChecks : public Checks {
public:
  using Checks::Checks;
  void run();

private:
  void paddingZero(const SwissHeader &H);
  void smallMap(const SwissHeader &H);
  void tables(const SwissHeader &H);
  // One table of the directory (Dir: its bytes; I: the entry naming the
  // table at TP); false when a hard check failed.
  bool table(const SwissHeader &H, const ByteReader &Dir, int64_t I,
             uint64_t TP);
  void ctrlCheck(uint64_t Ctrl, const std::string &What);
};

void SwissChecks::ctrlCheck(uint64_t Ctrl, const std::string &What) {
  unsigned Bad = 0;
  for (unsigned I = 0; I < 8; ++I) {
    uint8_t C = Ctrl >> (8 * I);
    Bad += (C & 0x80) && C != CtrlEmpty && C != CtrlDeleted;
  }
  check("control bytes valid", Bad == 0, true, 0,
        What + " " + hex(Ctrl) + " has " + std::to_string(Bad) +
            " invalid bytes");
}

// Padding after the byte fields is never written.
void SwissChecks::paddingZero(const SwissHeader &H) {
  uint64_t From = H.TombstonePossible ? 36 : 35;
  auto Pad = probe(R.memory().readBytes(Addr + From, 40 - From));
  bool Zero = Pad && std::all_of(Pad->begin(), Pad->end(),
                                 [](uint8_t B) { return B == 0; });
  check("header padding zero", Zero, false, 30,
        "bytes " + std::to_string(From) + "..39 of the header");
}

void SwissChecks::smallMap(const SwissHeader &H) {
  const uint64_t GS = MI.GroupSize;
  bool Ok = H.DirPtr % 8 == 0 && readable(H.DirPtr, GS);
  check("small map group readable", Ok, true, 0,
        "group of " + std::to_string(GS) + " bytes at " + hex(H.DirPtr));
  check("small map depth", H.GlobalDepth == 0, true, 0,
        "globalDepth " + std::to_string(H.GlobalDepth));
  check("small map shift", H.GlobalShift == 0, false, 10,
        "globalShift " + std::to_string(H.GlobalShift));
  if (!Ok)
    return;
  if (auto C = probe(R.memory().readU64(H.DirPtr)))
    ctrlCheck(*C, "small map control word");
}

bool SwissChecks::table(const SwissHeader &H, const ByteReader &Dir, int64_t I,
                        uint64_t TP) {
  const uint64_t GS = MI.GroupSize;
  auto V = StructView::read(R.memory(), R.layouts(),
                            "internal/runtime/maps.table", TP);
  if (!check("table readable", bool(V), true, 0, readText(V, hex(TP))))
    return false;
  uint64_t Cap = V->getOr("capacity", 0), Used = V->getOr("used", 0),
           GrowthLeft = V->getOr("growthLeft", 0),
           LocalDepth = V->getOr("localDepth", 0),
           Data = V->getOr("groups.data", 0),
           Mask = V->getOr("groups.lengthMask", 0);
  int64_t Index = static_cast<int64_t>(V->getOr("index", 0));
  std::string Tn = "table " + hex(TP);
  bool CapOk = Cap >= 8 && Cap <= MaxTableCapacity && (Cap & (Cap - 1)) == 0;
  check("table capacity", CapOk, true, 0,
        Tn + " capacity " + std::to_string(Cap));
  check("table lengthMask", CapOk && Mask == Cap / 8 - 1, true, 0,
        Tn + " lengthMask " + std::to_string(Mask));
  check("table used/growthLeft", Used <= Cap && GrowthLeft <= Cap, true, 0,
        Tn + " used " + std::to_string(Used) + " growthLeft " +
            std::to_string(GrowthLeft));
  check("table localDepth", LocalDepth <= H.GlobalDepth, true, 0,
        Tn + " localDepth " + std::to_string(LocalDepth));
  check("table index",
        Index >= 0 && Index <= I &&
            Dir.word(uint64_t(Index)).value_or(0) == TP,
        false, 20,
        Tn + " index " + std::to_string(Index) + " at entry " +
            std::to_string(I));
  bool GroupsOk = CapOk && Data % 8 == 0 && Data && readable(Data, GS) &&
                  readable(Data + (Cap / 8 - 1) * GS, GS);
  if (!check("table groups readable", GroupsOk, true, 0,
             Tn + " groups at " + hex(Data)))
    return false;
  if (auto C = probe(R.memory().readU64(Data)))
    ctrlCheck(*C, Tn + " group 0 control word");
  return !hardFailure();
}

void SwissChecks::tables(const SwissHeader &H) {
  // (readable() said yes just before.)
  auto D = probe(R.memory().readBytes(H.DirPtr, 8 * H.DirLen));
  if (!D)
    return;
  const ByteReader Dir(*D);
  std::unordered_set<uint64_t> Seen;
  for (int64_t I = 0; I < H.DirLen && Seen.size() < 8; ++I) {
    uint64_t TP = Dir.word(uint64_t(I)).value_or(0);
    if (!check("table pointer", TP && TP % 8 == 0, true, 0,
               "directory[" + std::to_string(I) + "] = " + hex(TP)))
      return;
    if (!Seen.insert(TP).second)
      continue;
    if (!table(H, Dir, I, TP))
      return;
  }
}

void SwissChecks::run() {
  auto H = header(readSwissHeader, "maps.Map");
  if (!H)
    return;
  check("writing is 0 or 1", H->Writing <= 1, true, 0,
        "writing " + std::to_string(H->Writing));
  if (H->TombstonePossible)
    check("tombstonePossible is a bool", *H->TombstonePossible <= 1, true, 0,
          "tombstonePossible " + std::to_string(*H->TombstonePossible));
  paddingZero(*H);
  check("dirLen range", H->DirLen >= 0 && H->DirLen <= (1 << 20), true, 0,
        "dirLen " + std::to_string(H->DirLen));
  check("globalDepth range", H->GlobalDepth < 64, true, 0,
        "globalDepth " + std::to_string(H->GlobalDepth));
  if (hardFailure())
    return;
  // A small map holds at most one group; tables at most 1024 slots each
  // (a little slack for writers racing on used).
  uint64_t MaxUsed = H->DirLen == 0
                         ? 8
                         : uint64_t(H->DirLen) * MaxTableCapacity + 64;
  check("used plausible", H->Used <= MaxUsed, true, 0,
        "used " + std::to_string(H->Used) + " for dirLen " +
            std::to_string(H->DirLen));
  if (H->DirPtr == 0) {
    check("empty map", H->Used == 0 && H->DirLen == 0, true, 0,
          "dirPtr nil with used " + std::to_string(H->Used) + ", dirLen " +
              std::to_string(H->DirLen));
  } else if (H->DirLen == 0) {
    smallMap(*H);
  } else {
    check("dirLen is 1 << globalDepth",
          uint64_t(H->DirLen) == (1ull << H->GlobalDepth), false, 50,
          "dirLen " + std::to_string(H->DirLen) + ", globalDepth " +
              std::to_string(H->GlobalDepth));
    check("globalShift is 64 - globalDepth",
          H->GlobalShift == 64 - H->GlobalDepth, false, 40,
          "globalShift " + std::to_string(H->GlobalShift));
    bool DirOk = H->DirPtr % 8 == 0 && readable(H->DirPtr, 8 * H->DirLen);
    if (!check("directory readable", DirOk, true, 0,
               std::to_string(H->DirLen) + " table pointers at " +
                   hex(H->DirPtr)))
      return;
    tables(*H);
  }
  if (hardFailure())
    return;
  sample(H->Used);
}

} // namespace

Expected<MapValidation> validateMapHeader(const MapReader &R,
                                          const TypeInfo &MapType,
                                          uint64_t Addr) {
  if (Error E = checkMapType(&MapType, R.program().mapImpl()))
    return E;
  if (MapType.Map->Impl == MapImpl::Classic) {
    ClassicChecks C(R, MapType, Addr);
    C.run();
    return C.result();
  }
  SwissChecks C(R, MapType, Addr);
  C.run();
  return C.result();
}

Expected<MapValidation> validateMapHeader(GoProgram &P, const TypeInfo *MapType,
                                          uint64_t Addr) {
  if (!MapType)
    return makeError("no map type given");
  MapReader R(P);
  return validateMapHeader(R, *MapType, Addr);
}

} // namespace ms
