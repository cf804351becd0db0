#include "mapfault/MapIter.h"

#include "goruntime/GoProgram.h"
#include "goruntime/Layouts.h"
#include "goruntime/StructView.h"
#include "support/Memory.h"

namespace ms {

using namespace llvm;

namespace {

constexpr uint64_t NoCheck = ~0ull;

std::string entryPosition(const MapState &S, const MapEntry &E) {
  std::string P;
  if (S.Classic) {
    P = std::string(E.InOld ? "old bucket " : "bucket ") +
        std::to_string(E.Bucket);
    if (E.Overflow)
      P += " overflow " + std::to_string(E.Overflow);
  } else if (E.Table < 0) {
    P = "small map";
  } else {
    P = "table " + std::to_string(E.Table) + " group " +
        std::to_string(E.Bucket);
  }
  return P + " slot " + std::to_string(E.Slot);
}

// The iterator's own fields (hiter / maps.Iter).
Error readIterFields(const MapReader &R, uint64_t IterAddr, MapIterState &It) {
  const bool Classic = It.Impl == MapImpl::Classic;
  auto V = StructView::read(
      R.memory(), R.layouts(),
      Classic ? "runtime.hiter" : "internal/runtime/maps.Iter", IterAddr);
  if (!V)
    return addContext(V.takeError(), "map iterator");
  // The fields both have (the type and map fields named differently).
  It.Key = V->getOr("key", 0);
  It.Elem = V->getOr("elem", 0);
  It.TypePtr = V->getOr(Classic ? "t" : "typ", 0);
  It.MapPtr = V->getOr(Classic ? "h" : "m", 0);
  if (Classic) {
    ClassicIterFields C;
    C.Buckets = V->getOr("buckets", 0);
    C.BPtr = V->getOr("bptr", 0);
    C.Overflow = V->getOr("overflow", 0);
    C.OldOverflow = V->getOr("oldoverflow", 0);
    C.StartBucket = V->getOr("startBucket", 0);
    C.Offset = static_cast<uint8_t>(V->getOr("offset", 0));
    C.WrappedRaw = static_cast<uint8_t>(V->getOr("wrapped", 0));
    C.Wrapped = C.WrappedRaw != 0;
    C.B = static_cast<uint8_t>(V->getOr("B", 0));
    C.I = static_cast<uint8_t>(V->getOr("i", 0));
    C.Bucket = V->getOr("bucket", 0);
    C.CheckBucket = V->getOr("checkBucket", NoCheck);
    if (V->has("clearSeq"))
      C.ClearSeq = V->getOr("clearSeq", 0);
    It.InOldBuckets = C.CheckBucket != NoCheck;
    It.Classic = C;
    return Error::success();
  }
  SwissIterFields W;
  W.EntryOffset = V->getOr("entryOffset", 0);
  W.DirOffset = V->getOr("dirOffset", 0);
  W.ClearSeq = V->getOr("clearSeq", 0);
  W.GlobalDepth = static_cast<uint8_t>(V->getOr("globalDepth", 0));
  W.DirIdx = static_cast<int64_t>(V->getOr("dirIdx", 0));
  W.Tab = V->getOr("tab", 0);
  W.Group = V->getOr("group.data", 0);
  W.EntryIdx = V->getOr("entryIdx", 0);
  It.Swiss = W;
  return Error::success();
}

// The map type: the given map's, or the iterator's own.
const TypeInfo *iterMapType(const MapReader &R, const MapState *Map,
                            MapIterState &It) {
  const TypeInfo *MT = Map ? Map->Type : nullptr;
  if (!MT && It.TypePtr) {
    auto T = R.types().typeAt(It.TypePtr);
    if (T && (*T)->K == Kind::Map)
      MT = *T;
    else if (!T)
      It.Warn.addf("iterator type {0} cannot be read: {1}", hex(It.TypePtr),
                   errorText(T.takeError()));
    else
      It.Warn.addf("iterator type {0} is {1}, not a map type", hex(It.TypePtr),
                   typeName(**T));
  }
  return MT;
}

// Is it this map's iterator, started on the map as it is now?
void compareWithMap(const MapState &Map, MapIterState &It) {
  It.SameMap = It.MapPtr == Map.Addr;
  It.TypeMatches = Map.Type && It.TypePtr == Map.Type->Addr;
  if (!It.SameMap)
    It.Warn.addf("iterator walks map {0}, not {1}", hex(It.MapPtr),
                 hex(Map.Addr));
  if (It.SameMap && !It.TypeMatches && It.TypePtr)
    It.Warn.addf("iterator type {0} is not the map type {1}",
                 hex(It.TypePtr), hex(Map.Type->Addr));
  if (It.SameMap && It.Classic && Map.Classic &&
      It.Classic->Buckets != Map.Classic->Buckets) {
    It.StaleBuckets = true;
    It.Warn.addf("iterator started on bucket array {0}; the map now has "
                 "{1} (it grew during the iteration)",
                 hex(It.Classic->Buckets), hex(Map.Classic->Buckets));
  }
  if (It.SameMap && It.Swiss && Map.Swiss) {
    if (It.Swiss->DirIdx >= 0 && It.Swiss->Tab) {
      bool Found = false;
      for (const auto &T : Map.Tables)
        Found |= T.Addr == It.Swiss->Tab;
      It.StaleTable = !Found;
      if (!Found)
        It.Warn.addf("iterator table {0} is not in the map's directory (a "
                     "grow replaced it)",
                     hex(It.Swiss->Tab));
    }
    if (It.Swiss->GlobalDepth != Map.Swiss->GlobalDepth)
      It.Warn.addf("iterator globalDepth {0}, map globalDepth {1}: the "
                   "directory grew during the iteration",
                   unsigned(It.Swiss->GlobalDepth),
                   unsigned(Map.Swiss->GlobalDepth));
  }
}

// Counters in range for a live iterator of this map.
void checkCounters(const MapState &Map, MapIterState &It) {
  auto Bad = [&](bool Cond, std::string Why) {
    if (Cond)
      It.Inconsistencies.push_back(std::move(Why));
  };
  Bad(!It.SameMap, "walks another map");
  Bad(!It.TypeMatches, "type is not the map's");
  if (It.Classic && Map.Classic) {
    const auto &C = *It.Classic;
    const auto &H = *Map.Classic;
    Bad(C.Offset > 7, "offset " + std::to_string(C.Offset) + " > 7");
    Bad(C.I > 8, "i " + std::to_string(C.I) + " > 8");
    Bad(C.WrappedRaw > 1, "wrapped is not a bool");
    Bad(C.B > H.B, "B " + std::to_string(C.B) + " above the map's " +
                       std::to_string(H.B));
    if (C.B < 64) {
      Bad(C.StartBucket >= (1ull << C.B),
          "startBucket " + std::to_string(C.StartBucket) + " >= 2^B");
      Bad(C.Bucket > (1ull << C.B),
          "bucket " + std::to_string(C.Bucket) + " > 2^B");
      Bad(C.CheckBucket != NoCheck && C.CheckBucket >= (1ull << C.B),
          "checkBucket " + std::to_string(C.CheckBucket) + " >= 2^B");
    }
    Bad(C.Buckets == 0 || C.Buckets % 8, "buckets " + hex(C.Buckets));
    Bad(C.BPtr % 8, "bptr " + hex(C.BPtr) + " misaligned");
  }
  if (It.Swiss && Map.Swiss) {
    const auto &W = *It.Swiss;
    Bad(W.DirIdx < -1, "dirIdx " + std::to_string(W.DirIdx));
    Bad(W.DirIdx >= 0 && Map.Swiss->DirLen > 0 &&
            W.DirIdx > Map.Swiss->DirLen,
        "dirIdx " + std::to_string(W.DirIdx) + " beyond the directory");
    Bad(W.GlobalDepth > Map.Swiss->GlobalDepth,
        "globalDepth " + std::to_string(W.GlobalDepth) + " above the map's");
    Bad(W.EntryIdx > 1024, "entryIdx " + std::to_string(W.EntryIdx) +
                               " beyond a table's capacity");
    Bad(W.Tab % 8, "tab " + hex(W.Tab) + " misaligned");
    Bad(W.Group % 8, "group " + hex(W.Group) + " misaligned");
  }
  It.Consistent = It.Inconsistencies.empty();
}

// The entry at it.key, when the walk kept it.
void locateEntry(const MapState &Map, MapIterState &It) {
  if (It.Key)
    for (size_t I = 0; I < Map.Entries.size(); ++I)
      if (Map.Entries[I].KeyAddr == It.Key) {
        It.Entry = Map.Entries[I].Ordinal;
        It.Position = entryPosition(Map, Map.Entries[I]);
        break;
      }
}

// Where the counters point when the entry could not be matched.
void positionFromCounters(MapIterState &It) {
  if (It.Position.empty() && It.Key == 0) {
    // mapiterinit calls Next once: a nil key afterwards means the end,
    // unless the first Next has not returned (a Swiss iterator that
    // faulted in its first Next: no table, no entry yet).
    bool NotStarted =
        It.Swiss && It.Swiss->Tab == 0 && It.Swiss->EntryIdx == 0 &&
        It.Swiss->Group == 0 && It.Swiss->DirIdx == 0;
    if (It.Swiss && It.Swiss->DirIdx == -1 && It.Swiss->EntryIdx == 0)
      NotStarted = true;
    It.Position = NotStarted ? "before the first entry (first Next did not "
                               "return)"
                             : "after the last entry (it.key is nil)";
  }
  if (It.Position.empty()) {
    if (It.Classic) {
      const auto &C = *It.Classic;
      unsigned Slot = (static_cast<unsigned>(C.I) + 7 + C.Offset) & 7;
      It.Position = std::string(It.InOldBuckets ? "old bucket of " : "") +
                    "bucket " + std::to_string(C.Bucket) + " (bptr " +
                    hex(C.BPtr) + ")" +
                    (C.I ? " slot " + std::to_string(Slot) : " before slot 0");
    } else if (It.Swiss) {
      const auto &W = *It.Swiss;
      if (W.DirIdx < 0) {
        uint64_t Slot = (W.EntryIdx + 7 + W.EntryOffset) % 8;
        It.Position = "small map slot " + std::to_string(Slot);
      } else {
        It.Position = "directory index " + std::to_string(W.DirIdx) +
                      " (+ offset " + hex(W.DirOffset) + "), table " +
                      hex(W.Tab) + ", entry " + std::to_string(W.EntryIdx) +
                      " (+ offset " + hex(W.EntryOffset) + ")";
      }
    }
    if (It.Key)
      It.Position += " [it.key not among the map's slots]";
  }
}

} // namespace

Expected<MapIterState> decodeMapIter(const MapReader &R, uint64_t IterAddr,
                                     const MapState *Map) {
  MapIterState It;
  It.Addr = IterAddr;
  It.Impl = R.program().mapImpl();
  if (Error E = readIterFields(R, IterAddr, It))
    return E;
  const TypeInfo *MT = iterMapType(R, Map, It);
  if (Map && !Map->Nil) {
    compareWithMap(*Map, It);
    checkCounters(*Map, It);
    locateEntry(*Map, It);
  }
  positionFromCounters(It);
  if (MT && MT->Key && MT->Elem) {
    DecodeLimits L;
    if (It.Key)
      It.KeyValue = decodeValue(R.types(), *MT->Key, It.Key, L);
    if (It.Elem)
      It.ElemValue = decodeValue(R.types(), *MT->Elem, It.Elem, L);
  }
  return It;
}

} // namespace ms
