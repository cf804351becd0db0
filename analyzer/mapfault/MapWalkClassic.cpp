// The walk of a classic hmap (runtime/map.go, map_noswiss.go): the bucket
// array, the old one while growing, every overflow chain.
#include "mapfault/MapWalk.h"

#include <algorithm>

#include "support/Memory.h"

namespace ms {
namespace mapwalk {

using namespace llvm;

Error ClassicWalker::layout() {
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

bool ClassicWalker::bucketSlots(uint64_t Cur, ArrayRef<uint8_t> Bytes,
                                uint64_t Idx, uint32_t Depth, bool Old,
                                bool &SeenEmptyRest) {
  const char *Arr = Old ? "old bucket" : "bucket";
  bool Live = false;
  for (unsigned Slot = 0; Slot < SlotsPerBucket; ++Slot) {
    uint8_t Top = Bytes[Slot];
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
      return std::string(Arr) + " " + std::to_string(Idx) + " at " + hex(Cur) +
             " slot " + std::to_string(Slot);
    };
    if (SeenEmptyRest)
      T.add("live slot after an emptyRest mark (invisible to lookups)", Here());
    Live = true;
    MapEntry E;
    E.KeySlot = Cur + KeysOff + Slot * uint64_t(MI.KeySize);
    E.ElemSlot = Cur + ElemsOff + Slot * uint64_t(MI.ValueSize);
    E.BucketAddr = Cur;
    E.Bucket = Idx;
    E.Overflow = Depth;
    E.Slot = static_cast<uint8_t>(Slot);
    E.Tag = Top;
    E.InOld = Old;
    addEntry(E, Bytes, KeysOff + Slot * uint64_t(MI.KeySize),
             ElemsOff + Slot * uint64_t(MI.ValueSize), Here);
  }
  return Live;
}

std::optional<ArrayRef<uint8_t>>
ClassicWalker::nextOverflow(uint64_t Cur, ArrayRef<uint8_t> Bytes,
                            uint32_t Depth, uint64_t Idx, const char *Arr,
                            uint64_t &Next, std::vector<uint8_t> &Buf) {
  const uint64_t Ovf = wordAt(Bytes, OvfOff);
  if (Ovf == 0)
    return std::nullopt; // the end of the chain
  auto Cut = [&](std::string Why) {
    S.Warn.add(std::move(Why));
    S.Partial = true;
    return std::nullopt;
  };
  if (Depth + 1 > L.MaxOverflowChain)
    return Cut(formatv("partial walk: overflow chain of {0} {1} longer than {2}",
                       Arr, Idx, L.MaxOverflowChain));
  if (S.BucketsVisited >= L.MaxBuckets)
    return Cut(formatv("partial walk: bucket cap of {0} reached in the "
                       "overflow chain of {1} {2}",
                       L.MaxBuckets, Arr, Idx));
  if (Ovf % 8)
    return Cut(formatv("{0} {1}: overflow pointer {2} (at {3}) is "
                       "misaligned; chain cut",
                       Arr, Idx, hex(Ovf), hex(Cur + OvfOff)));
  if (!budget(BSize, "an overflow bucket"))
    return std::nullopt;
  Next = Ovf;
  ArrayRef<uint8_t> V = M.view(Ovf, BSize);
  if (!V.empty())
    return V;
  Buf.resize(BSize);
  if (Error E = M.read(Ovf, Buf))
    return Cut(formatv("{0} {1}: overflow bucket {2} (pointer at {3}) cannot "
                       "be read: {4}; chain cut",
                       Arr, Idx, hex(Ovf), hex(Cur + OvfOff),
                       errorText(std::move(E))));
  return ArrayRef<uint8_t>(Buf);
}

// One bucket and its overflow chain. Idx is its index in its array.
void ClassicWalker::chain(uint64_t Addr, ArrayRef<uint8_t> First, uint64_t Idx,
                          bool Old, bool OldMarked) {
  std::vector<uint8_t> Buf;
  ArrayRef<uint8_t> Bytes = First;
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
    if (bucketSlots(Cur, Bytes, Idx, Depth, Old, SeenEmptyRest) && Old &&
        OldMarked)
      LiveInMarked = true;
    uint64_t Next = 0;
    auto NextBytes = nextOverflow(Cur, Bytes, Depth, Idx, Arr, Next, Buf);
    if (!NextBytes)
      break;
    Bytes = *NextBytes;
    Cur = Next;
  }
  if (LiveInMarked) {
    ++S.Growth->PartiallyEvacuated;
    T.add("old bucket marked evacuated still holds live slots (a writer "
          "was inside evacuate)",
          "old bucket " + std::to_string(Idx) + " at " + hex(Addr));
  }
}

// Every bucket of one array (and its chains).
void ClassicWalker::array(uint64_t Base, uint64_t N, bool Old) {
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
  ArrayReader Reader(M, Base, N, BSize);
  UnreadableElements Unreadable;
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
    auto Bucket = Reader.get(I);
    if (!Bucket) {
      if (Old)
        S.Growth->OldEvacuated.push_back(false);
      if (Unreadable.add(Bucket.takeError(), L.MaxUnreadableRun)) {
        S.Warn.addf("{0} array at {1}: {2} unreadable {0}s in a row from "
                    "index {3}; the rest is not walked",
                    Arr, hex(Base), Unreadable.Run, I + 1 - Unreadable.Run);
        S.Partial = true;
        break;
      }
      continue;
    }
    Unreadable.readOne();
    bool Marked = false;
    if (Old) {
      uint8_t Top0 = (*Bucket)[0];
      Marked = Top0 > EmptyOne && Top0 < MinTopHash;
      ++S.Growth->OldBucketsRead;
      S.Growth->EvacuatedMarked += Marked;
      S.Growth->OldEvacuated.push_back(Marked);
    }
    // *Bucket stays valid until the next get(); the chain reads its
    // overflow buckets into its own buffer.
    chain(Reader.addr(I), *Bucket, I, Old, Marked);
  }
  if (Unreadable.Count) {
    S.Warn.addf("{0} of {1} {2}s at {3} cannot be read (first: {4})",
                Unreadable.Count, N, Arr, hex(Base), Unreadable.First);
    S.Partial = true;
  }
}

// The growth state the header announces, checked against itself.
void ClassicWalker::growthState() {
  const ClassicHeader &H = *S.Classic;
  ClassicGrowth &G = *S.Growth;
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
}

void ClassicWalker::walk() {
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
  growthState();
  if (H.Buckets == 0) {
    if (H.Count)
      S.Warn.addf("hmap count is {0} but buckets is nil", H.Count);
    if (G.Growing)
      S.Warn.add("oldbuckets set but buckets is nil");
  } else {
    if (H.Buckets == H.OldBuckets)
      S.Warn.add("buckets and oldbuckets are the same array");
    array(H.Buckets, 1ull << H.B, false);
  }
  if (G.Growing && G.OldBucketCount)
    array(H.OldBuckets, G.OldBucketCount, true);
  if (G.Growing) {
    uint64_t Lim = std::min<uint64_t>(G.NEvacuate, G.OldEvacuated.size());
    for (uint64_t I = 0; I < Lim; ++I)
      if (!G.OldEvacuated[I])
        T.add("old bucket below nevacuate is not marked evacuated",
              "old bucket " + std::to_string(I));
  }
}

} // namespace mapwalk
} // namespace ms
