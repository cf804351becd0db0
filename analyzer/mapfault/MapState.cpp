#include "mapfault/MapState.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "goruntime/GoProgram.h"
#include "goruntime/Layouts.h"
#include "goruntime/StructView.h"
#include "support/Memory.h"
#include "mapfault/MapKeys.h"

namespace ms {

using namespace llvm;

std::vector<std::string> hmapFlagNames(uint8_t Flags) {
  static const char *Names[] = {"iterator", "oldIterator", "hashWriting",
                                "sameSizeGrow"};
  std::vector<std::string> Out;
  for (unsigned I = 0; I < 4; ++I)
    if (Flags & (1u << I))
      Out.push_back(Names[I]);
  if (Flags & 0xf0)
    Out.push_back(hex(Flags & 0xf0));
  return Out;
}

// ---- MapReader ---------------------------------------------------------------

MapReader::MapReader(GoProgram &P) : P(P), M(P.memory()) {}

MapReader::MapReader(GoProgram &P, const Memory &M) : P(P), M(M) {
  if (&M != &P.memory())
    OwnTypes = std::make_unique<TypeTable>(M, P.module(), P.version(),
                                           P.mapImpl());
}

MapReader::~MapReader() = default;

TypeTable &MapReader::types() const {
  return OwnTypes ? *OwnTypes : P.types();
}
const RuntimeLayouts &MapReader::layouts() const { return P.layouts(); }
const GoVersion &MapReader::version() const { return P.version(); }

namespace {
// The function a Hasher closure (funcval) calls, and for
// runtime.memhash_varlen the size stored after the code pointer.
Expected<std::pair<std::string, std::optional<uint64_t>>>
hasherFunction(GoProgram &P, const Memory &M, uint64_t Closure) {
  auto PC = M.readU64(Closure);
  if (!PC)
    return PC.takeError();
  auto F = P.pclntab().findFunc(*PC);
  if (!F)
    return F.takeError();
  std::optional<uint64_t> Size;
  if (F->Name == "runtime.memhash_varlen") {
    auto S = M.readU64(Closure + 8);
    if (!S)
      return S.takeError();
    Size = *S;
  }
  return std::make_pair(F->Name, Size);
}
} // namespace

Expected<const HashKeys *> MapReader::hashKeys() const {
  if (!Keys && KeysError.empty()) {
    auto K = readHashKeys(P, &M);
    if (K)
      Keys = std::move(*K);
    else
      KeysError = errorText(K.takeError());
  }
  if (Keys)
    return &*Keys;
  return makeError("{0}", KeysError);
}

Expected<const KeyHasher *> MapReader::hasher(const TypeInfo &MapType) const {
  if (MapType.K != Kind::Map || !MapType.Key)
    return makeError("{0} is not a map type", typeName(MapType));
  if (auto It = Hashers.find(MapType.Addr); It != Hashers.end())
    return It->second.get();
  if (auto It = HasherErrors.find(MapType.Addr); It != HasherErrors.end())
    return makeError("{0}", It->second);
  auto K = hashKeys();
  if (!K) {
    HasherErrors[MapType.Addr] = errorText(K.takeError());
    return makeError("{0}", HasherErrors[MapType.Addr]);
  }
  auto H = KeyHasher::create(*MapType.Key, version(), **K);
  if (!H) {
    HasherErrors[MapType.Addr] = errorText(H.takeError());
    return makeError("{0}", HasherErrors[MapType.Addr]);
  }
  // The function the type's Hasher closure calls must be the one the plan
  // stands for.
  if (MapType.Map && MapType.Map->Hasher) {
    auto Fn = hasherFunction(P, M, MapType.Map->Hasher);
    if (!Fn) {
      HasherErrors[MapType.Addr] =
          "the map type's hasher cannot be identified: " +
          errorText(Fn.takeError());
      return makeError("{0}", HasherErrors[MapType.Addr]);
    }
    if (Error E = H->checkFunction(Fn->first, Fn->second)) {
      HasherErrors[MapType.Addr] = errorText(std::move(E));
      return makeError("{0}", HasherErrors[MapType.Addr]);
    }
  }
  auto &Slot = Hashers[MapType.Addr];
  Slot = std::make_unique<KeyHasher>(std::move(*H));
  return Slot.get();
}

namespace {

constexpr unsigned SlotsPerBucket = 8; // bucketCnt, abi.MapGroupSlots
constexpr uint8_t EmptyRest = 0, EmptyOne = 1, EvacuatedX = 2,
                  EvacuatedY = 3, EvacuatedEmpty = 4, MinTopHash = 5;
constexpr uint8_t CtrlEmpty = 0x80, CtrlDeleted = 0xfe;
constexpr uint64_t MaxTableCapacity = 1024;

uint64_t le64(ArrayRef<uint8_t> B, uint64_t Off) {
  uint64_t V = 0;
  if (Off + 8 <= B.size())
    memcpy(&V, B.data() + Off, 8);
  return V;
}

// Elements of an array in target memory: one view or copy of the whole
// array when the memory has it in one piece, else element by element (so
// that a hole costs only the elements in it).
class ArrayReader {
public:
  ArrayReader(const Memory &M, uint64_t Base, uint64_t Count, uint64_t Size)
      : M(M), Base(Base), Count(Count), Size(Size) {
    uint64_t Total = Count * Size; // callers cap Count and Size
    if (Count && Size && Total / Size == Count && Base + Total >= Base) {
      Whole = M.view(Base, Total);
      if (Whole.empty() && Total <= (64u << 20)) {
        auto B = M.readBytes(Base, Total);
        if (B) {
          Copy = std::move(*B);
          Whole = Copy;
        } else {
          consumeError(B.takeError());
        }
      }
    }
  }
  uint64_t addr(uint64_t I) const { return Base + I * Size; }
  // Valid until the next call.
  Expected<ArrayRef<uint8_t>> get(uint64_t I) {
    if (!Whole.empty())
      return Whole.slice(I * Size, Size);
    One.resize(Size);
    if (Error E = M.read(addr(I), One))
      return E;
    return ArrayRef<uint8_t>(One);
  }

private:
  const Memory &M;
  uint64_t Base, Count, Size;
  ArrayRef<uint8_t> Whole;
  std::vector<uint8_t> Copy, One;
};

// Repeated anomalies become one warning with a count and the first place.
class Tally {
public:
  void add(const std::string &What, const std::string &Where) {
    auto &E = Items[What];
    if (E.N++ == 0)
      E.First = Where;
  }
  void flush(Warnings &W) {
    for (auto &[What, E] : Items)
      W.addf("{0}: {1} time{2} (first: {3})", What, E.N, E.N == 1 ? "" : "s",
             E.First);
    Items.clear();
  }

private:
  struct Item {
    uint64_t N = 0;
    std::string First;
  };
  std::map<std::string, Item> Items;
};

struct Walker {
  const MapReader &R;
  const Memory &M;
  const MapLimits &L;
  MapState &S;
  const MapTypeInfo &MI;
  Tally T;
  bool BudgetHit = false;

  Walker(const MapReader &R, const MapLimits &L, MapState &S)
      : R(R), M(R.memory()), L(L), S(S), MI(*S.Type->Map) {}

  bool budget(uint64_t Bytes, const char *What) {
    if (S.BytesRead + Bytes > L.MaxBytes) {
      if (!BudgetHit)
        S.Warn.addf("partial walk: byte budget of {0} reached while reading "
                    "{1}",
                    L.MaxBytes, What);
      BudgetHit = S.Partial = true;
      return false;
    }
    S.BytesRead += Bytes;
    return true;
  }

  bool EntryCapHit = false;

  // Where: the slot in words, built only for a warning.
  void addEntry(MapEntry E, ArrayRef<uint8_t> Bytes, uint64_t KeyOff,
                uint64_t ElemOff, function_ref<std::string()> Where) {
    ++S.EntriesFound;
    if (!L.CollectEntries)
      return;
    if (S.Entries.size() >= L.MaxEntries) {
      if (!EntryCapHit)
        S.Warn.addf("partial walk: entry cap of {0} reached", L.MaxEntries);
      EntryCapHit = S.Partial = true;
      return;
    }
    E.KeyAddr = E.KeySlot;
    E.ElemAddr = E.ElemSlot;
    if (MI.IndirectKey) {
      E.KeyAddr = le64(Bytes, KeyOff);
      if (E.KeyAddr == 0)
        T.add("indirect key pointer is nil in a live slot", Where());
    }
    if (MI.IndirectElem) {
      E.ElemAddr = le64(Bytes, ElemOff);
      if (E.ElemAddr == 0)
        T.add("indirect elem pointer is nil in a live slot", Where());
    }
    S.Entries.push_back(E);
  }

  // ---- classic ----

  uint64_t KeysOff = 8, ElemsOff = 0, OvfOff = 0, BSize = 0;
  std::unordered_set<uint64_t> Visited;

  Error classicLayout() {
    BSize = MI.BucketSize;
    const uint64_t KS = MI.KeySize, VS = MI.ValueSize;
    KeysOff = 8;
    ElemsOff = KeysOff + SlotsPerBucket * KS;
    OvfOff = BSize >= 8 ? BSize - 8 : 0;
    if (const TypeInfo *BT = MI.Bucket; BT && !BT->Broken)
      for (const auto &F : BT->Fields) {
        if (F.Name == "keys")
          KeysOff = F.Offset;
        else if (F.Name == "elems")
          ElemsOff = F.Offset;
        else if (F.Name == "overflow")
          OvfOff = F.Offset;
      }
    if (BSize < 16 || BSize > (1u << 16) ||
        KeysOff + SlotsPerBucket * KS > ElemsOff ||
        ElemsOff + SlotsPerBucket * VS > OvfOff || OvfOff + 8 > BSize)
      return makeError("map type {0} has an inconsistent bucket layout "
                       "(bucketsize {1}, keysize {2}, elemsize {3})",
                       typeName(*S.Type), BSize, KS, VS);
    return Error::success();
  }

  // One bucket and its overflow chain. Idx is its index in its array.
  void classicChain(uint64_t Addr, ArrayRef<uint8_t> First, uint64_t Idx,
                    bool Old, bool OldMarked) {
    std::vector<uint8_t> Buf;
    ArrayRef<uint8_t> B = First;
    uint64_t Cur = Addr;
    bool SeenEmptyRest = false;
    bool LiveInMarked = false;
    const char *Arr = Old ? "old bucket" : "bucket";
    for (uint32_t Depth = 0;; ++Depth) {
      if (!Visited.insert(Cur).second) {
        S.Warn.addf("{0} {1}: chain reaches bucket {2} a second time (cycle "
                    "or shared overflow bucket); chain cut",
                    Arr, Idx, hex(Cur));
        S.Partial = true;
        break;
      }
      ++S.BucketsVisited;
      if (Depth)
        ++S.OverflowVisited;
      for (unsigned Slot = 0; Slot < SlotsPerBucket; ++Slot) {
        uint8_t Top = B[Slot];
        if (Top == EmptyRest) {
          SeenEmptyRest = true;
          continue;
        }
        if (Top == EmptyOne)
          continue;
        if (Top < MinTopHash) {
          if (!Old)
            T.add("evacuation mark in a bucket of the current array",
                  "bucket " + std::to_string(Idx) + " at " + hex(Cur));
          continue;
        }
        auto Here = [&] {
          return std::string(Arr) + " " + std::to_string(Idx) + " at " +
                 hex(Cur) + " slot " + std::to_string(Slot);
        };
        if (SeenEmptyRest)
          T.add("live slot after an emptyRest mark (invisible to lookups)",
                Here());
        if (Old && OldMarked)
          LiveInMarked = true;
        MapEntry E;
        E.KeySlot = Cur + KeysOff + Slot * uint64_t(MI.KeySize);
        E.ElemSlot = Cur + ElemsOff + Slot * uint64_t(MI.ValueSize);
        E.BucketAddr = Cur;
        E.Bucket = Idx;
        E.Overflow = Depth;
        E.Slot = static_cast<uint8_t>(Slot);
        E.Tag = Top;
        E.InOld = Old;
        addEntry(E, B, KeysOff + Slot * uint64_t(MI.KeySize),
                 ElemsOff + Slot * uint64_t(MI.ValueSize), Here);
      }
      uint64_t Ovf = le64(B, OvfOff);
      if (Ovf == 0)
        break;
      if (Depth + 1 > L.MaxOverflowChain) {
        S.Warn.addf("partial walk: overflow chain of {0} {1} longer than {2}",
                    Arr, Idx, L.MaxOverflowChain);
        S.Partial = true;
        break;
      }
      if (S.BucketsVisited >= L.MaxBuckets) {
        S.Warn.addf("partial walk: bucket cap of {0} reached in the overflow "
                    "chain of {1} {2}",
                    L.MaxBuckets, Arr, Idx);
        S.Partial = true;
        break;
      }
      if (Ovf % 8) {
        S.Warn.addf("{0} {1}: overflow pointer {2} (at {3}) is misaligned; "
                    "chain cut",
                    Arr, Idx, hex(Ovf), hex(Cur + OvfOff));
        S.Partial = true;
        break;
      }
      if (!budget(BSize, "an overflow bucket"))
        break;
      ArrayRef<uint8_t> V = M.view(Ovf, BSize);
      if (V.empty()) {
        Buf.resize(BSize);
        if (Error E = M.read(Ovf, Buf)) {
          S.Warn.addf("{0} {1}: overflow bucket {2} (pointer at {3}) cannot "
                      "be read: {4}; chain cut",
                      Arr, Idx, hex(Ovf), hex(Cur + OvfOff),
                      errorText(std::move(E)));
          S.Partial = true;
          break;
        }
        V = Buf;
      }
      B = V;
      Cur = Ovf;
    }
    if (LiveInMarked) {
      ++S.Growth->PartiallyEvacuated;
      T.add("old bucket marked evacuated still holds live slots (a writer "
            "was inside evacuate)",
            "old bucket " + std::to_string(Idx) + " at " + hex(Addr));
    }
  }

  // Every bucket of one array (and its chains).
  void classicArray(uint64_t Base, uint64_t N, bool Old) {
    const char *Arr = Old ? "old bucket" : "bucket";
    if (Base % 8) {
      S.Warn.addf("{0} array pointer {1} is misaligned; not walked",
                  Old ? "oldbuckets" : "buckets", hex(Base));
      S.Partial = true;
      return;
    }
    if (Base + N * BSize < Base) {
      S.Warn.addf("{0} array at {1} of {2} buckets wraps the address space; "
                  "not walked",
                  Old ? "oldbuckets" : "buckets", hex(Base), N);
      S.Partial = true;
      return;
    }
    ArrayReader AR(M, Base, N, BSize);
    uint64_t Unreadable = 0, Run = 0;
    std::string FirstBad;
    for (uint64_t I = 0; I < N; ++I) {
      if (I >= L.MaxBucketsPerArray) {
        S.Warn.addf("partial walk: {0} of {1} {2}s walked (cap per array)", I,
                    N, Arr);
        S.Partial = true;
        return;
      }
      if (S.BucketsVisited >= L.MaxBuckets) {
        S.Warn.addf("partial walk: bucket cap of {0} reached at {1} {2} of {3}",
                    L.MaxBuckets, Arr, I, N);
        S.Partial = true;
        return;
      }
      if (!budget(BSize, Arr))
        return;
      auto B = AR.get(I);
      if (!B) {
        if (Unreadable++ == 0)
          FirstBad = errorText(B.takeError());
        else
          consumeError(B.takeError());
        if (Old)
          S.Growth->OldEvacuated.push_back(false);
        if (++Run >= L.MaxUnreadableRun) {
          S.Warn.addf("{0} array at {1}: {2} unreadable {0}s in a row from "
                      "index {3}; the rest is not walked",
                      Arr, hex(Base), Run, I + 1 - Run);
          S.Partial = true;
          break;
        }
        continue;
      }
      Run = 0;
      bool Marked = false;
      if (Old) {
        uint8_t T0 = (*B)[0];
        Marked = T0 > EmptyOne && T0 < MinTopHash;
        ++S.Growth->OldBucketsRead;
        S.Growth->EvacuatedMarked += Marked;
        S.Growth->OldEvacuated.push_back(Marked);
      }
      // *B stays valid until the next get(); the chain reads its overflow
      // buckets into its own buffer.
      classicChain(AR.addr(I), *B, I, Old, Marked);
    }
    if (Unreadable) {
      S.Warn.addf("{0} of {1} {2}s at {3} cannot be read (first: {4})",
                  Unreadable, N, Arr, hex(Base), FirstBad);
      S.Partial = true;
    }
  }

  void classic() {
    const ClassicHeader &H = *S.Classic;
    S.Growth.emplace();
    ClassicGrowth &G = *S.Growth;
    G.Growing = H.OldBuckets != 0;
    G.SameSize = H.Flags & HFlagSameSizeGrow;
    G.NEvacuate = H.NEvacuate;
    if (H.Flags & 0xf0)
      S.Warn.addf("hmap flags {0} have unknown bits", hex(H.Flags));
    if (static_cast<int64_t>(H.Count) < 0)
      S.Warn.addf("hmap count is negative ({0})", static_cast<int64_t>(H.Count));
    if (H.B > L.MaxB) {
      S.Warn.addf("hmap B = {0} is above the cap of {1}: buckets not walked",
                  unsigned(H.B), L.MaxB);
      S.Partial = true;
      return;
    }
    const uint64_t NB = 1ull << H.B;
    if (G.Growing) {
      if (G.SameSize)
        G.OldBucketCount = NB;
      else if (H.B == 0)
        S.Warn.add("hmap is growing to double size but B = 0 (no old half)");
      else
        G.OldBucketCount = NB >> 1;
      if (H.NEvacuate > G.OldBucketCount)
        S.Warn.addf("nevacuate {0} is above the old bucket count {1}",
                    H.NEvacuate, G.OldBucketCount);
    } else if (G.SameSize) {
      S.Warn.add("sameSizeGrow flag set but oldbuckets is nil");
    }
    if (H.Buckets == 0) {
      if (H.Count)
        S.Warn.addf("hmap count is {0} but buckets is nil", H.Count);
      if (G.Growing)
        S.Warn.add("oldbuckets set but buckets is nil");
    } else {
      if (H.Buckets == H.OldBuckets)
        S.Warn.add("buckets and oldbuckets are the same array");
      classicArray(H.Buckets, NB, false);
    }
    if (G.Growing && G.OldBucketCount)
      classicArray(H.OldBuckets, G.OldBucketCount, true);
    if (G.Growing) {
      uint64_t Lim = std::min<uint64_t>(G.NEvacuate, G.OldEvacuated.size());
      for (uint64_t I = 0; I < Lim; ++I)
        if (!G.OldEvacuated[I])
          T.add("old bucket below nevacuate is not marked evacuated",
                "old bucket " + std::to_string(I));
    }
  }

  // ---- swiss ----

  // The 8 slots of one group.
  void swissGroup(ArrayRef<uint8_t> G, uint64_t Addr, uint64_t GroupIdx,
                  int32_t Table, SwissTable *Tab) {
    ++S.GroupsVisited;
    if (Tab) {
      ++Tab->GroupsWalked;
      if (GroupIdx < Tab->Ctrl.size()) {
        Tab->Ctrl[GroupIdx] = le64(G, 0);
        Tab->CtrlRead[GroupIdx] = true;
      }
    }
    for (unsigned Slot = 0; Slot < SlotsPerBucket; ++Slot) {
      uint8_t C = G[Slot];
      if (C == CtrlEmpty) {
        if (Tab)
          ++Tab->Empty;
        continue;
      }
      if (C == CtrlDeleted) {
        if (Tab)
          ++Tab->Deleted;
        continue;
      }
      auto Here = [&] {
        return "group " + std::to_string(GroupIdx) + " at " + hex(Addr) +
               " slot " + std::to_string(Slot);
      };
      if (C & 0x80) {
        if (Tab)
          ++Tab->Invalid;
        T.add("control byte that is neither empty, deleted nor full",
              Here() + " (" + hex(C) + ")");
        continue;
      }
      if (Tab)
        ++Tab->Full;
      MapEntry E;
      E.KeySlot = Addr + MI.KeysOff + Slot * MI.KeyStride;
      E.ElemSlot = Addr + MI.ElemsOff + Slot * MI.ElemStride;
      E.BucketAddr = Addr;
      E.Bucket = GroupIdx;
      E.Slot = static_cast<uint8_t>(Slot);
      E.Tag = C;
      E.Table = Table;
      addEntry(E, G, MI.KeysOff + Slot * MI.KeyStride,
               MI.ElemsOff + Slot * MI.ElemStride, Here);
    }
  }

  Error swissLayout() {
    const uint64_t GS = MI.GroupSize;
    if (GS < 8 || GS > (1u << 20) ||
        MI.KeysOff + SlotsPerBucket * MI.KeyStride > GS ||
        MI.ElemsOff + (SlotsPerBucket - 1) * MI.ElemStride > GS ||
        MI.KeysOff < 8 || MI.ElemsOff < 8)
      return makeError("map type {0} has an inconsistent group layout (group "
                       "size {1}, keys at {2} stride {3}, elems at {4} stride "
                       "{5})",
                       typeName(*S.Type), GS, MI.KeysOff, MI.KeyStride,
                       MI.ElemsOff, MI.ElemStride);
    return Error::success();
  }

  void swissTable(SwissTable &Tab, int32_t TI) {
    const uint64_t GS = MI.GroupSize;
    uint64_t NG = Tab.LengthMask + 1;
    bool Pow2 = Tab.LengthMask != ~0ull && (NG & (NG - 1)) == 0;
    std::string Where = "table " + hex(Tab.Addr);
    if (Tab.Capacity < SlotsPerBucket || (Tab.Capacity & (Tab.Capacity - 1)) ||
        Tab.Capacity > MaxTableCapacity)
      S.Warn.addf("{0}: capacity {1} is not a power of two in [8, {2}]", Where,
                  Tab.Capacity, MaxTableCapacity);
    if (!Pow2 || NG * SlotsPerBucket != Tab.Capacity) {
      S.Warn.addf("{0}: groups.lengthMask {1} does not match capacity {2}",
                  Where, hex(Tab.LengthMask), Tab.Capacity);
      // Walk what both allow, at most a full-size table.
      uint64_t ByCap = Tab.Capacity / SlotsPerBucket;
      NG = std::min<uint64_t>(Pow2 ? NG : ByCap, MaxTableCapacity / SlotsPerBucket);
      if (NG == 0)
        NG = ByCap ? ByCap : 1;
      Tab.Partial = true;
      S.Partial = true;
    }
    if (Tab.LocalDepth > S.Swiss->GlobalDepth)
      S.Warn.addf("{0}: localDepth {1} above globalDepth {2}", Where,
                  unsigned(Tab.LocalDepth), unsigned(S.Swiss->GlobalDepth));
    if (Tab.Used > Tab.Capacity)
      S.Warn.addf("{0}: used {1} above capacity {2}", Where, Tab.Used,
                  Tab.Capacity);
    if (Tab.GroupsData == 0 || Tab.GroupsData % 8) {
      S.Warn.addf("{0}: groups.data {1} is not a group array; not walked",
                  Where, hex(Tab.GroupsData));
      Tab.Partial = S.Partial = true;
      return;
    }
    if (S.GroupsVisited + NG > L.MaxGroups) {
      S.Warn.addf("partial walk: group cap of {0} reached at {1}", L.MaxGroups,
                  Where);
      Tab.Partial = S.Partial = true;
      NG = L.MaxGroups > S.GroupsVisited ? L.MaxGroups - S.GroupsVisited : 0;
    }
    ArrayReader AR(M, Tab.GroupsData, NG, GS);
    // Control words by group index over the whole table (lookups follow
    // probe sequences through it), read or not.
    uint64_t All = Tab.LengthMask < MaxTableCapacity / SlotsPerBucket
                       ? Tab.LengthMask + 1
                       : NG;
    Tab.Ctrl.assign(std::max(All, NG), 0);
    Tab.CtrlRead.assign(std::max(All, NG), false);
    uint64_t Unreadable = 0, Run = 0;
    std::string FirstBad;
    for (uint64_t G = 0; G < NG; ++G) {
      if (!budget(GS, "a group"))
        break;
      auto B = AR.get(G);
      if (!B) {
        if (Unreadable++ == 0)
          FirstBad = errorText(B.takeError());
        else
          consumeError(B.takeError());
        if (++Run >= L.MaxUnreadableRun) {
          S.Warn.addf("{0}: {1} unreadable groups in a row; the rest is not "
                      "walked",
                      Where, Run);
          Tab.Partial = S.Partial = true;
          break;
        }
        continue;
      }
      Run = 0;
      swissGroup(*B, AR.addr(G), G, TI, &Tab);
    }
    if (Unreadable) {
      S.Warn.addf("{0}: {1} of {2} groups cannot be read (first: {3})", Where,
                  Unreadable, NG, FirstBad);
      Tab.Partial = S.Partial = true;
    }
    if (!Tab.Partial && Tab.Full != Tab.Used)
      S.Warn.addf("{0}: used is {1} but {2} slots are full", Where, Tab.Used,
                  Tab.Full);
  }

  void swiss() {
    const SwissHeader &H = *S.Swiss;
    if (H.Writing > 1)
      S.Warn.addf("Map.writing is {0}, not 0 or 1", unsigned(H.Writing));
    if (H.TombstonePossible && *H.TombstonePossible > 1)
      S.Warn.addf("Map.tombstonePossible is {0}, not a bool",
                  unsigned(*H.TombstonePossible));
    if (H.DirPtr == 0) {
      if (H.Used)
        S.Warn.addf("Map.used is {0} but dirPtr is nil", H.Used);
      if (H.DirLen)
        S.Warn.addf("Map.dirLen is {0} but dirPtr is nil", H.DirLen);
      return;
    }
    if (H.DirPtr % 8) {
      S.Warn.addf("Map.dirPtr {0} is misaligned; not walked", hex(H.DirPtr));
      S.Partial = true;
      return;
    }
    if (H.DirLen < 0) {
      S.Warn.addf("Map.dirLen is negative ({0}); not walked", H.DirLen);
      S.Partial = true;
      return;
    }
    if (H.DirLen == 0) { // small map: dirPtr is one group
      if (H.Used > SlotsPerBucket)
        S.Warn.addf("small map with used {0} > 8", H.Used);
      if (!budget(MI.GroupSize, "the small map's group"))
        return;
      auto G = M.readBytes(H.DirPtr, MI.GroupSize);
      if (!G) {
        S.Warn.addf("the small map's group at {0} cannot be read: {1}",
                    hex(H.DirPtr), errorText(G.takeError()));
        S.Partial = true;
        return;
      }
      swissGroup(*G, H.DirPtr, 0, -1, nullptr);
      return;
    }
    if (H.GlobalDepth >= 64 || uint64_t(H.DirLen) != (1ull << H.GlobalDepth))
      S.Warn.addf("Map.dirLen {0} is not 1 << globalDepth ({1})", H.DirLen,
                  unsigned(H.GlobalDepth));
    if (H.GlobalShift != 64 - H.GlobalDepth)
      S.Warn.addf("Map.globalShift {0} is not 64 - globalDepth ({1})",
                  unsigned(H.GlobalShift), 64 - unsigned(H.GlobalDepth));
    uint64_t N = static_cast<uint64_t>(H.DirLen);
    if (N > L.MaxDirLen) {
      S.Warn.addf("partial walk: directory of {0} entries cut to {1}", N,
                  L.MaxDirLen);
      S.Partial = true;
      N = L.MaxDirLen;
    }
    if (!budget(N * 8, "the directory"))
      return;
    auto D = M.readBytes(H.DirPtr, N * 8);
    if (!D) {
      S.Warn.addf("directory of {0} entries at {1} cannot be read: {2}", N,
                  hex(H.DirPtr), errorText(D.takeError()));
      S.Partial = true;
      return;
    }
    std::unordered_map<uint64_t, size_t> Seen;
    const RuntimeLayouts &Lay = R.layouts();
    for (uint64_t I = 0; I < N; ++I) {
      uint64_t TP = le64(*D, 8 * I);
      S.Directory.push_back(TP);
      if (TP == 0 || TP % 8) {
        T.add("directory entry is not a table pointer",
              "index " + std::to_string(I) + " = " + hex(TP));
        continue;
      }
      if (auto It = Seen.find(TP); It != Seen.end()) {
        S.Tables[It->second].DirIndexes.push_back(I);
        continue;
      }
      if (S.Tables.size() >= L.MaxTables) {
        S.Warn.addf("partial walk: table cap of {0} reached", L.MaxTables);
        S.Partial = true;
        break;
      }
      auto V = StructView::read(M, Lay, "internal/runtime/maps.table", TP);
      if (!V) {
        T.add("table cannot be read", "index " + std::to_string(I) + " -> " +
                                          hex(TP) + ": " +
                                          errorText(V.takeError()));
        S.Partial = true;
        continue;
      }
      SwissTable Tab;
      Tab.Addr = TP;
      Tab.Used = static_cast<uint16_t>(V->getOr("used", 0));
      Tab.Capacity = static_cast<uint16_t>(V->getOr("capacity", 0));
      Tab.GrowthLeft = static_cast<uint16_t>(V->getOr("growthLeft", 0));
      Tab.LocalDepth = static_cast<uint8_t>(V->getOr("localDepth", 0));
      Tab.Index = static_cast<int64_t>(V->getOr("index", 0));
      Tab.GroupsData = V->getOr("groups.data", 0);
      Tab.LengthMask = V->getOr("groups.lengthMask", 0);
      Tab.DirIndexes.push_back(I);
      Seen[TP] = S.Tables.size();
      S.Tables.push_back(std::move(Tab));
    }
    for (size_t TI = 0; TI < S.Tables.size(); ++TI) {
      SwissTable &Tab = S.Tables[TI];
      // The directory entries of a table: 1 << (globalDepth - localDepth)
      // consecutive ones starting at its index.
      if (Tab.LocalDepth <= H.GlobalDepth && H.GlobalDepth < 64) {
        uint64_t Want = 1ull << (H.GlobalDepth - Tab.LocalDepth);
        bool Ok = Tab.Index >= 0 && Tab.DirIndexes.size() == Want &&
                  Tab.DirIndexes.front() == uint64_t(Tab.Index) &&
                  Tab.DirIndexes.back() == uint64_t(Tab.Index) + Want - 1;
        if (!Ok && !S.Partial)
          T.add("table's directory entries do not match its index and "
                "localDepth",
                "table " + hex(Tab.Addr) + " index " +
                    std::to_string(Tab.Index));
      }
      swissTable(Tab, static_cast<int32_t>(TI));
    }
    if (!S.Partial) {
      uint64_t Sum = 0;
      for (auto &Tab : S.Tables)
        Sum += Tab.Used;
      if (Sum != H.Used)
        S.Warn.addf("Map.used is {0} but its tables' used add up to {1}",
                    H.Used, Sum);
    }
  }
};

Error checkMapType(const TypeInfo *T, MapImpl Want) {
  if (!T)
    return makeError("no map type given");
  if (T->K != Kind::Map || !T->Map)
    return makeError("{0} is not a map type", typeName(*T));
  if (T->Map->Impl != Want)
    return makeError("map type {0} is {1}, the program uses {2} maps",
                     typeName(*T), mapImplName(T->Map->Impl), mapImplName(Want));
  if (!T->Key || !T->Elem || T->Key->Broken || T->Elem->Broken)
    return makeError("map type {0} has an unreadable key or element type",
                     typeName(*T));
  return Error::success();
}

Expected<ClassicHeader> readClassicHeader(const MapReader &R, uint64_t Addr) {
  auto V = StructView::read(R.memory(), R.layouts(), "runtime.hmap", Addr);
  if (!V)
    return V.takeError();
  ClassicHeader H;
  auto Get = [&](StringRef F) -> Expected<uint64_t> { return V->get(F); };
  for (auto [Name, Dst] :
       std::initializer_list<std::pair<const char *, uint64_t *>>{
           {"count", &H.Count},
           {"buckets", &H.Buckets},
           {"oldbuckets", &H.OldBuckets},
           {"nevacuate", &H.NEvacuate},
           {"extra", &H.Extra}}) {
    auto X = Get(Name);
    if (!X)
      return X.takeError();
    *Dst = *X;
  }
  auto Flags = Get("flags"), B = Get("B"), NO = Get("noverflow"),
       H0 = Get("hash0");
  if (!Flags)
    return Flags.takeError();
  if (!B)
    return B.takeError();
  if (!NO)
    return NO.takeError();
  if (!H0)
    return H0.takeError();
  H.Flags = static_cast<uint8_t>(*Flags);
  H.B = static_cast<uint8_t>(*B);
  H.NOverflow = static_cast<uint16_t>(*NO);
  H.Hash0 = static_cast<uint32_t>(*H0);
  if (V->has("clearSeq"))
    H.ClearSeq = V->getOr("clearSeq", 0);
  return H;
}

void readExtra(const MapReader &R, ClassicHeader &H, Warnings &W) {
  if (!H.Extra)
    return;
  auto V = StructView::read(R.memory(), R.layouts(), "runtime.mapextra", H.Extra);
  if (!V) {
    W.addf("hmap.extra {0} cannot be read: {1}", hex(H.Extra),
           errorText(V.takeError()));
    return;
  }
  H.ExtraRead = true;
  H.Overflow = V->getOr("overflow", 0);
  H.OldOverflow = V->getOr("oldoverflow", 0);
  H.NextOverflow = V->getOr("nextOverflow", 0);
}

Expected<SwissHeader> readSwissHeader(const MapReader &R, uint64_t Addr) {
  auto V = StructView::read(R.memory(), R.layouts(),
                            "internal/runtime/maps.Map", Addr);
  if (!V)
    return V.takeError();
  SwissHeader H;
  for (auto [Name, Dst] :
       std::initializer_list<std::pair<const char *, uint64_t *>>{
           {"used", &H.Used},
           {"seed", &H.Seed},
           {"dirPtr", &H.DirPtr},
           {"clearSeq", &H.ClearSeq}}) {
    auto X = V->get(Name);
    if (!X)
      return X.takeError();
    *Dst = *X;
  }
  auto DL = V->get("dirLen"), GD = V->get("globalDepth"),
       GS = V->get("globalShift"), Wr = V->get("writing");
  if (!DL)
    return DL.takeError();
  if (!GD)
    return GD.takeError();
  if (!GS)
    return GS.takeError();
  if (!Wr)
    return Wr.takeError();
  H.DirLen = static_cast<int64_t>(*DL);
  H.GlobalDepth = static_cast<uint8_t>(*GD);
  H.GlobalShift = static_cast<uint8_t>(*GS);
  H.Writing = static_cast<uint8_t>(*Wr);
  if (V->has("tombstonePossible"))
    H.TombstonePossible = static_cast<uint8_t>(V->getOr("tombstonePossible", 0));
  return H;
}

} // namespace

namespace {
// Room for the entries the header announces, up to a modest bound (the
// count of a damaged header means nothing): growing the vector copied it
// and faulted in fresh pages at every doubling.
void reserveEntries(MapState &S, const MapLimits &L) {
  if (L.CollectEntries)
    S.Entries.reserve(std::min<uint64_t>({S.headerCount(), L.MaxEntries,
                                          uint64_t(1) << 16}));
}
} // namespace

Expected<MapState> MapReader::decode(const TypeInfo &MapType,
                                     uint64_t HeaderAddr,
                                     const MapLimits &L) const {
  if (Error E = checkMapType(&MapType, P.mapImpl()))
    return E;
  MapState S;
  S.Addr = HeaderAddr;
  S.Type = &MapType;
  S.Impl = MapType.Map->Impl;
  S.LayoutSource = layouts().source();
  if (HeaderAddr == 0) {
    S.Nil = true;
    return S;
  }
  Walker W(*this, L, S);
  if (S.Impl == MapImpl::Classic) {
    if (Error E = W.classicLayout())
      return E;
    auto H = readClassicHeader(*this, HeaderAddr);
    if (!H)
      return addContext(H.takeError(), "map header");
    S.Classic = std::move(*H);
    readExtra(*this, *S.Classic, S.Warn);
    reserveEntries(S, L);
    W.classic();
  } else {
    if (Error E = W.swissLayout())
      return E;
    auto H = readSwissHeader(*this, HeaderAddr);
    if (!H)
      return addContext(H.takeError(), "map header");
    S.Swiss = std::move(*H);
    reserveEntries(S, L);
    W.swiss();
  }
  W.T.flush(S.Warn);
  if (!S.countMatches())
    S.Warn.addf("header says {0} entries, the walk found {1}{2}",
                S.headerCount(), S.EntriesFound,
                S.Partial ? " (partial walk)"
                          : " (a race can leave them out of step)");
  return S;
}

Expected<MapState> decodeMap(GoProgram &P, const TypeInfo *MapType,
                             uint64_t HeaderAddr, const MapLimits &L) {
  if (!MapType)
    return makeError("no map type given");
  MapReader R(P);
  return R.decode(*MapType, HeaderAddr, L);
}

// ---- validation ----------------------------------------------------------------

std::vector<std::string> MapValidation::reasons() const {
  std::vector<std::string> Out;
  for (const auto &C : Checks)
    if (!C.Passed)
      Out.push_back(C.Name + ": " + C.Detail);
  return Out;
}

namespace {

constexpr int PassScore = 50;

struct Validator {
  const MapReader &R;
  const TypeInfo &T;
  const MapTypeInfo &MI;
  uint64_t Addr;
  MapValidation V;
  int Penalty = 0;

  // Records a check; returns Ok.
  bool check(const std::string &Name, bool Ok, bool Hard, int Pen,
             std::string Detail) {
    V.Checks.push_back({Name, Ok, Hard, std::move(Detail)});
    if (!Ok)
      Penalty += Hard ? 100 : Pen;
    return Ok;
  }
  bool readable(uint64_t A, uint64_t N) { return R.memory().isReadable(A, N); }

  // Decode a small sample of the map and compare with the header.
  void sample(uint64_t Expect) {
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
    // The strongest evidence: sampled keys sit where their hash (with this
    // header's seed) puts them. Skipped when the hash cannot be computed.
    if (S->Entries.empty() || !R.hasher(T)) {
      if (!S->Entries.empty())
        consumeError(R.hasher(T).takeError());
      return;
    }
    unsigned Hashed = 0, AtHome = 0;
    for (const auto &E : S->Entries) {
      if (Hashed == 8)
        break;
      GoValue K = decodeValue(R.types(), *T.Key, E.KeyAddr, keyDecodeLimits());
      auto H = keyHome(R, *S, K);
      if (!H) {
        consumeError(H.takeError());
        continue;
      }
      ++Hashed;
      AtHome += homeMismatch(*S, E, *H).empty();
    }
    if (Hashed)
      check("sample keys hash to their slots", AtHome * 2 > Hashed, false, 40,
            std::to_string(AtHome) + " of " + std::to_string(Hashed) +
                " sampled keys are where their hash puts them");
  }

  void classic() {
    auto H = readClassicHeader(R, Addr);
    if (!check("header readable", bool(H), true, 0,
               H ? "hmap at " + hex(Addr)
                 : errorText(H ? Error::success() : H.takeError())))
      return;
    const uint64_t BS = MI.BucketSize;
    check("flags", (H->Flags & 0xf0) == 0, true, 0,
          "flags " + hex(H->Flags) +
              ((H->Flags & 0xf0) ? " has unknown bits" : ""));
    if (!check("B range", H->B <= 40, true, 0,
               "B = " + std::to_string(H->B)))
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
    if (H->Buckets) {
      bool Al = H->Buckets % 8 == 0;
      check("buckets aligned", Al, true, 0, "buckets " + hex(H->Buckets));
      check("buckets readable",
            Al && readable(H->Buckets, BS) &&
                readable(H->Buckets + (NB - 1) * BS, BS),
            true, 0,
            std::to_string(NB) + " buckets of " + std::to_string(BS) +
                " bytes at " + hex(H->Buckets));
    }
    bool Growing = H->OldBuckets != 0;
    bool Same = H->Flags & HFlagSameSizeGrow;
    if (Growing) {
      uint64_t ON = Same ? NB : NB >> 1;
      check("oldbuckets", ON && H->OldBuckets % 8 == 0 &&
                              H->OldBuckets != H->Buckets &&
                              readable(H->OldBuckets, BS) &&
                              readable(H->OldBuckets + (ON - 1) * BS, BS),
            true, 0,
            std::to_string(ON) + " old buckets at " + hex(H->OldBuckets));
      check("nevacuate", H->NEvacuate <= ON, true, 0,
            "nevacuate " + std::to_string(H->NEvacuate) + " of " +
                std::to_string(ON));
    } else {
      check("sameSizeGrow only while growing", !Same, false, 20,
            "flags " + hex(H->Flags) + ", oldbuckets nil");
      check("nevacuate", H->NEvacuate <= NB, false, 20,
            "nevacuate " + std::to_string(H->NEvacuate) + " without growth");
    }
    check("noverflow", H->NOverflow <= (2u << std::min<unsigned>(H->B, 15)) + 8,
          false, 20, "noverflow " + std::to_string(H->NOverflow));
    if (H->Extra)
      check("extra", H->Extra % 8 == 0 && readable(H->Extra, 24), true, 0,
            "extra " + hex(H->Extra));
    if (penaltyHard())
      return;
    sample(H->Count);
  }

  bool penaltyHard() const {
    for (auto &C : V.Checks)
      if (C.Hard && !C.Passed)
        return true;
    return false;
  }

  void swiss() {
    auto H = readSwissHeader(R, Addr);
    if (!check("header readable", bool(H), true, 0,
               H ? "maps.Map at " + hex(Addr)
                 : errorText(H ? Error::success() : H.takeError())))
      return;
    check("writing is 0 or 1", H->Writing <= 1, true, 0,
          "writing " + std::to_string(H->Writing));
    if (H->TombstonePossible)
      check("tombstonePossible is a bool", *H->TombstonePossible <= 1, true, 0,
            "tombstonePossible " + std::to_string(*H->TombstonePossible));
    // Padding after the byte fields is never written.
    {
      uint64_t From = H->TombstonePossible ? 36 : 35;
      auto Pad = R.memory().readBytes(Addr + From, 40 - From);
      bool Zero = Pad && std::all_of(Pad->begin(), Pad->end(),
                                     [](uint8_t B) { return B == 0; });
      if (!Pad)
        consumeError(Pad.takeError());
      check("header padding zero", Zero, false, 30,
            "bytes " + std::to_string(From) + "..39 of the header");
    }
    check("dirLen range", H->DirLen >= 0 && H->DirLen <= (1 << 20), true, 0,
          "dirLen " + std::to_string(H->DirLen));
    check("globalDepth range", H->GlobalDepth < 64, true, 0,
          "globalDepth " + std::to_string(H->GlobalDepth));
    if (penaltyHard())
      return;
    const uint64_t GS = MI.GroupSize;
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
      bool Ok = H->DirPtr % 8 == 0 && readable(H->DirPtr, GS);
      check("small map group readable", Ok, true, 0,
            "group of " + std::to_string(GS) + " bytes at " + hex(H->DirPtr));
      check("small map depth", H->GlobalDepth == 0, true, 0,
            "globalDepth " + std::to_string(H->GlobalDepth));
      check("small map shift", H->GlobalShift == 0, false, 10,
            "globalShift " + std::to_string(H->GlobalShift));
      if (Ok) {
        auto C = R.memory().readU64(H->DirPtr);
        if (C)
          ctrlCheck(*C, "small map control word");
        else
          consumeError(C.takeError());
      }
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
    if (penaltyHard())
      return;
    sample(H->Used);
  }

  void ctrlCheck(uint64_t Ctrl, const std::string &What) {
    unsigned Bad = 0;
    for (unsigned I = 0; I < 8; ++I) {
      uint8_t C = Ctrl >> (8 * I);
      Bad += (C & 0x80) && C != CtrlEmpty && C != CtrlDeleted;
    }
    check("control bytes valid", Bad == 0, true, 0,
          What + " " + hex(Ctrl) + " has " + std::to_string(Bad) +
              " invalid bytes");
  }

  void tables(const SwissHeader &H) {
    const uint64_t GS = MI.GroupSize;
    auto D = R.memory().readBytes(H.DirPtr, 8 * H.DirLen);
    if (!D) {
      consumeError(D.takeError());
      return;
    }
    std::unordered_set<uint64_t> Seen;
    for (int64_t I = 0; I < H.DirLen && Seen.size() < 8; ++I) {
      uint64_t TP = le64(*D, 8 * I);
      if (!check("table pointer", TP && TP % 8 == 0, true, 0,
                 "directory[" + std::to_string(I) + "] = " + hex(TP)))
        return;
      if (!Seen.insert(TP).second)
        continue;
      auto V = StructView::read(R.memory(), R.layouts(),
                                "internal/runtime/maps.table", TP);
      if (!check("table readable", bool(V), true, 0,
                 V ? hex(TP) : errorText(V ? Error::success() : V.takeError())))
        return;
      uint64_t Cap = V->getOr("capacity", 0), Used = V->getOr("used", 0),
               GL = V->getOr("growthLeft", 0), LD = V->getOr("localDepth", 0),
               Data = V->getOr("groups.data", 0),
               Mask = V->getOr("groups.lengthMask", 0);
      int64_t Index = static_cast<int64_t>(V->getOr("index", 0));
      std::string Tn = "table " + hex(TP);
      bool CapOk = Cap >= 8 && Cap <= MaxTableCapacity && (Cap & (Cap - 1)) == 0;
      check("table capacity", CapOk, true, 0,
            Tn + " capacity " + std::to_string(Cap));
      check("table lengthMask", CapOk && Mask == Cap / 8 - 1, true, 0,
            Tn + " lengthMask " + std::to_string(Mask));
      check("table used/growthLeft", Used <= Cap && GL <= Cap, true, 0,
            Tn + " used " + std::to_string(Used) + " growthLeft " +
                std::to_string(GL));
      check("table localDepth", LD <= H.GlobalDepth, true, 0,
            Tn + " localDepth " + std::to_string(LD));
      check("table index", Index >= 0 && Index <= I &&
                               le64(*D, 8 * uint64_t(Index)) == TP,
            false, 20, Tn + " index " + std::to_string(Index) + " at entry " +
                           std::to_string(I));
      bool GOk = CapOk && Data % 8 == 0 && Data && readable(Data, GS) &&
                 readable(Data + (Cap / 8 - 1) * GS, GS);
      if (!check("table groups readable", GOk, true, 0,
                 Tn + " groups at " + hex(Data)))
        return;
      auto C = R.memory().readU64(Data);
      if (C)
        ctrlCheck(*C, Tn + " group 0 control word");
      else
        consumeError(C.takeError());
      if (penaltyHard())
        return;
    }
  }

  void run() {
    bool Al = Addr % 8 == 0 && Addr != 0;
    if (!check("header aligned", Al, true, 0, "address " + hex(Addr)))
      return;
    if (MI.Impl == MapImpl::Classic)
      classic();
    else
      swiss();
  }
};

} // namespace

Expected<MapValidation> validateMapHeader(const MapReader &R,
                                          const TypeInfo &MapType,
                                          uint64_t Addr) {
  if (Error E = checkMapType(&MapType, R.program().mapImpl()))
    return E;
  Validator V{R, MapType, *MapType.Map, Addr, {}, 0};
  V.run();
  V.V.Score = std::max(0, 100 - V.Penalty);
  V.V.Valid = !V.penaltyHard() && V.V.Score >= PassScore;
  return std::move(V.V);
}

Expected<MapValidation> validateMapHeader(GoProgram &P, const TypeInfo *MapType,
                                          uint64_t Addr) {
  if (!MapType)
    return makeError("no map type given");
  MapReader R(P);
  return validateMapHeader(R, *MapType, Addr);
}

} // namespace ms
