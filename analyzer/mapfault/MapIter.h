// A map iterator found in a core (a `for range` over a map): classic
// runtime.hiter (go1.19-1.23, go1.24/1.25 noswissmap) or Swiss
// internal/runtime/maps.Iter (go1.24+). Which map it iterates, where it
// is (bucket or group, slot) and the entry it returned last.
//
//   auto It = decodeMapIter(R, IterAddr, &State);
//   It->SameMap, It->Position, It->Entry, It->KeyValue
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/GoValue.h"
#include "mapfault/MapState.h"

namespace ms {

struct ClassicIterFields {
  uint64_t Buckets = 0, BPtr = 0, Overflow = 0, OldOverflow = 0;
  uint64_t StartBucket = 0;
  uint8_t Offset = 0; // slot offset the iteration started at
  bool Wrapped = false;
  uint8_t WrappedRaw = 0; // the byte as stored (a bool: 0 or 1)
  uint8_t B = 0, I = 0;
  uint64_t Bucket = 0;      // bucket index being iterated
  uint64_t CheckBucket = 0; // ~0 (noCheck) unless iterating an old bucket
  std::optional<uint64_t> ClearSeq; // go1.24/1.25 noswissmap
};

struct SwissIterFields {
  uint64_t EntryOffset = 0, DirOffset = 0, ClearSeq = 0;
  uint8_t GlobalDepth = 0;
  int64_t DirIdx = 0; // -1: small map
  uint64_t Tab = 0, Group = 0;
  uint64_t EntryIdx = 0; // next entry, before adding EntryOffset
};

struct MapIterState {
  uint64_t Addr = 0;
  MapImpl Impl = MapImpl::Classic;
  // it.key / it.elem: the entry returned last (0 before the first Next or
  // after the end).
  uint64_t Key = 0, Elem = 0;
  uint64_t TypePtr = 0; // it.t / it.typ
  uint64_t MapPtr = 0;  // it.h / it.m
  std::optional<ClassicIterFields> Classic;
  std::optional<SwissIterFields> Swiss;

  // Compared with the map given to decodeMapIter (when one was).
  bool SameMap = false;     // MapPtr == the map's header address
  bool TypeMatches = false; // TypePtr == the map type's descriptor
  // Classic: the iterator walks an old bucket (checkBucket != noCheck),
  // or its bucket array is no longer the map's (the map grew under it).
  bool InOldBuckets = false;
  bool StaleBuckets = false;
  // Swiss: it.tab is not in the map's directory any more (a grow
  // replaced it), or it.globalDepth differs from the map's.
  bool StaleTable = false;

  // Whether the fields look like a live iterator of that map (its
  // counters in range, its bucket array / table the map's, ...), and
  // what does not. Stale stack copies and argument spill slots that
  // merely hold the (type, map) pair fail these checks.
  bool Consistent = false;
  std::vector<std::string> Inconsistencies;

  // The entry at it.key: its place in the walk order (MapEntry::Ordinal),
  // and where it is.
  std::optional<size_t> Entry;
  std::string Position; // "bucket 12 slot 3", "old bucket 4 overflow 1
                        // slot 0", "table 1 group 5 slot 2", "small map slot 6"
  // Decoded it.key / it.elem (when readable and the type is known).
  std::optional<GoValue> KeyValue, ElemValue;
  Warnings Warn;
};

// Reads the iterator at IterAddr. With Map (a decoded state), it is
// compared with that map and located among its entries; without, the map
// type is read from the iterator itself for decoding the key and element.
// Errors: the iterator cannot be read (MemoryFault naming it).
Expected<MapIterState> decodeMapIter(const MapReader &R, uint64_t IterAddr,
                                     const MapState *Map = nullptr);

} // namespace ms
