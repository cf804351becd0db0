// A Go map read from a core, defensively: the header, the growth state and
// every entry the buckets (classic hmap) or groups (Swiss tables) hold.
// Maps in a map-fault core were damaged by the very race that killed the
// program, so nothing is trusted: every loop is bounded by what the header
// allows AND by hard caps (MapLimits); a cap that is hit, a pointer that
// leads nowhere, a count that disagrees, become warnings and a partial
// walk, never a crash, a hang or invented data. Memory the core lacks is
// an error naming the address (for the header) or a warning (for a bucket
// or group).
//
//   MapReader R(*Prog);                       // or decodeMap(*Prog, ...)
//   auto S = R.decode(*MapType, HeaderAddr);  // Expected<MapState>
//   S->Entries[i].KeyAddr, S->Classic->B, S->Swiss->DirLen, S->Warn.all()
//
// Go sources: runtime/map.go (go1.19-1.23), runtime/map_noswiss.go
// (go1.24/1.25 GOEXPERIMENT=noswissmap), internal/runtime/maps/{map,table,
// group}.go (go1.24+; go1.27 GOEXPERIMENT=mapsplitgroup changes only the
// slot layout, which MapTypeInfo's KeysOff/KeyStride/ElemsOff/ElemStride
// describe).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/BuildInfo.h"
#include "goruntime/Types.h"
#include "mapfault/MapHash.h"
#include "support/Error.h"
#include "support/Warnings.h"

namespace ms {

class GoProgram;
class Memory;
class TypeTable;
class RuntimeLayouts;
struct MapEntry;
struct MapState;

// Hard caps of one decode. Hitting one makes the walk partial (a
// warning), never an error.
struct MapLimits {
  unsigned MaxB = 40;                  // classic: B above this is not walked
  uint64_t MaxBuckets = 1 << 20;       // classic: buckets visited (all arrays,
                                       // overflow included)
  uint64_t MaxBucketsPerArray = ~0ull; // classic: buckets of one array
                                       // (a sample of both while growing)
  uint64_t MaxOverflowChain = 1 << 16; // classic: overflow buckets per chain
  uint64_t MaxDirLen = 1 << 16;        // swiss: directory entries read
  uint64_t MaxTables = 1 << 16;        // swiss: distinct tables visited
  uint64_t MaxGroups = 1 << 20;        // swiss: groups visited in total
  uint64_t MaxBytes = 512ull << 20;    // bucket/group bytes read in total
  uint64_t MaxEntries = 1 << 22;       // entries collected
  uint64_t MaxUnreadableRun = 1024;    // consecutive unreadable buckets or
                                       // groups before an array is given up
  bool CollectEntries = true;          // false: count only
  // Bytes walked between Memory::releaseResident hints, so that a walk of
  // a big map does not hold the whole map in RAM (0: never).
  uint64_t ReleaseEvery = 16ull << 20;
  // A filter for big maps: when set, the first KeepFirst entries are kept
  // and after them only those Keep accepts (it sees KeyAddr and ElemAddr
  // resolved, and the state walked so far: header, directory, tables and
  // the entries kept); the others are counted in MapState::EntriesDropped.
  // The walk still visits every slot, so counts and checks are unchanged.
  std::function<bool(const MapEntry &, const MapState &)> Keep;
  uint64_t KeepFirst = 64;
};

// hmap flags (runtime/map.go).
enum : uint8_t {
  HFlagIterator = 1,
  HFlagOldIterator = 2,
  HFlagHashWriting = 4,
  HFlagSameSizeGrow = 8,
};
// "iterator", "oldIterator", "hashWriting", "sameSizeGrow" for the set
// bits; unknown bits as "0x10".
std::vector<std::string> hmapFlagNames(uint8_t Flags);

// runtime.hmap (+ runtime.mapextra when extra != nil).
struct ClassicHeader {
  uint64_t Count = 0; // int
  uint8_t Flags = 0, B = 0;
  uint16_t NOverflow = 0;
  uint32_t Hash0 = 0;
  uint64_t Buckets = 0, OldBuckets = 0, NEvacuate = 0, Extra = 0;
  std::optional<uint64_t> ClearSeq; // go1.24/1.25 noswissmap only
  // mapextra, when Extra != 0 and readable.
  bool ExtraRead = false;
  uint64_t Overflow = 0, OldOverflow = 0, NextOverflow = 0;
  std::vector<std::string> flagNames() const { return hmapFlagNames(Flags); }
};

// Incremental growth of a classic map (oldbuckets != nil).
struct ClassicGrowth {
  bool Growing = false;   // oldbuckets != 0
  bool SameSize = false;  // flags & sameSizeGrow (else doubling)
  uint64_t OldBucketCount = 0;   // 1<<B (same size) or 1<<(B-1)
  uint64_t NEvacuate = 0;        // header: old buckets < this are evacuated
  // Old buckets whose tophash[0] is an evacuation mark (evacuatedX/Y/Empty),
  // counted over the old buckets that were read.
  uint64_t EvacuatedMarked = 0;
  uint64_t OldBucketsRead = 0;
  // Old buckets marked evacuated that still hold live slots (a writer was
  // inside evacuate()).
  uint64_t PartiallyEvacuated = 0;
  // Per old bucket: tophash[0] says evacuated (empty when not growing or
  // the array could not be read).
  std::vector<bool> OldEvacuated;
  // EvacuatedMarked / OldBucketCount.
  double progress() const {
    return OldBucketCount ? double(EvacuatedMarked) / double(OldBucketCount) : 0;
  }
};

// internal/runtime/maps.Map.
struct SwissHeader {
  uint64_t Used = 0, Seed = 0, DirPtr = 0;
  int64_t DirLen = 0;
  uint8_t GlobalDepth = 0, GlobalShift = 0;
  // Toggled (XOR 1) by every writer on entry and again on exit: a 1 in the
  // core means an odd number of writers were inside a write, a 0 can hide
  // two. Weak evidence on its own.
  uint8_t Writing = 0;
  std::optional<uint8_t> TombstonePossible; // go1.25+
  uint64_t ClearSeq = 0;
  bool small() const { return DirLen == 0; } // dirPtr is one group
};

// internal/runtime/maps.table, once per distinct table of the directory.
struct SwissTable {
  uint64_t Addr = 0;
  uint16_t Used = 0, Capacity = 0, GrowthLeft = 0;
  uint8_t LocalDepth = 0;
  int64_t Index = 0; // first directory index; -1 once replaced by a grow
  uint64_t GroupsData = 0, LengthMask = 0;
  std::vector<uint64_t> DirIndexes; // where the directory points at it
  // What the walk found in its control words.
  uint64_t Full = 0, Deleted = 0, Empty = 0, Invalid = 0;
  uint64_t GroupsWalked = 0;
  bool Partial = false; // not every group was read
  // Control word of each group (index = group index); CtrlRead says which
  // were read. Lookups use them to follow a probe sequence.
  std::vector<uint64_t> Ctrl;
  std::vector<bool> CtrlRead;
};

// One live slot.
struct MapEntry {
  // Where the key and the element are (after following the pointer stored
  // in the slot for indirect keys/elems; 0 when that pointer could not be
  // read).
  uint64_t KeyAddr = 0, ElemAddr = 0;
  uint64_t KeySlot = 0, ElemSlot = 0; // the slot itself
  uint64_t BucketAddr = 0;            // the bmap or group holding the slot
  uint64_t Bucket = 0; // classic: index in its bucket array; swiss: group
                       // index in its table (0 for a small map)
  uint32_t Overflow = 0; // classic: 0 = the bucket itself, n = nth overflow
  uint8_t Slot = 0;      // 0..7
  uint8_t Tag = 0;       // tophash (classic) or control byte = H2 (swiss)
  bool InOld = false;    // classic: in oldbuckets (not yet evacuated)
  int32_t Table = -1;    // swiss: index into MapState::Tables; -1 small map
  uint64_t Ordinal = 0;  // its place in the walk's order, from 0 (counting
                         // entries a filter did not keep)
};

struct MapState {
  uint64_t Addr = 0;
  const TypeInfo *Type = nullptr; // the map type (Map set)
  MapImpl Impl = MapImpl::Classic;
  bool Nil = false; // Addr == 0: nothing else is set
  std::string LayoutSource; // "dwarf" / "table go1.22": where offsets came from

  std::optional<ClassicHeader> Classic;
  std::optional<ClassicGrowth> Growth; // classic only
  std::optional<SwissHeader> Swiss;
  std::vector<SwissTable> Tables;            // swiss, distinct, dir order
  std::vector<uint64_t> Directory;           // swiss: table pointer per index

  std::vector<MapEntry> Entries;
  uint64_t EntriesFound = 0; // also when CollectEntries is false
  uint64_t EntriesDropped = 0; // found, not kept: MapLimits::Keep said no
  // Walk statistics.
  uint64_t BucketsVisited = 0, OverflowVisited = 0, GroupsVisited = 0;
  uint64_t BytesRead = 0;
  bool Partial = false; // a cap was hit or memory was missing
  Warnings Warn;

  // The header's element count (count / used).
  uint64_t headerCount() const {
    return Classic ? Classic->Count : Swiss ? Swiss->Used : 0;
  }
  bool countMatches() const { return EntriesFound == headerCount(); }
  const MapTypeInfo &mapInfo() const { return *Type->Map; }
};

// Where map decoding reads from: a program (types, layouts, version) and a
// memory (the program's, or another view of it: patched bytes in tests).
// Keys and elements are decoded through a TypeTable over that memory.
class MapReader {
public:
  explicit MapReader(GoProgram &P);
  // Reads through M instead of the program's memory (M must outlive the
  // reader); type descriptors still come from the program.
  MapReader(GoProgram &P, const Memory &M);
  ~MapReader();

  GoProgram &program() const { return P; }
  const Memory &memory() const { return M; }
  TypeTable &types() const;
  const RuntimeLayouts &layouts() const;
  const GoVersion &version() const;

  Expected<MapState> decode(const TypeInfo &MapType, uint64_t HeaderAddr,
                            const MapLimits &L = {}) const;

  // The process-wide hash keys (read once; see MapHash.h).
  Expected<const HashKeys *> hashKeys() const;
  // The hash function of maps of this type (built once per type). An
  // error when it cannot be computed exactly (no AES hashing, unhashable
  // key type).
  Expected<const KeyHasher *> hasher(const TypeInfo &MapType) const;

private:
  GoProgram &P;
  const Memory &M;
  std::unique_ptr<TypeTable> OwnTypes; // when M is not the program's
  mutable std::optional<HashKeys> Keys;
  mutable std::string KeysError;
  mutable std::map<uint64_t, std::unique_ptr<KeyHasher>> Hashers;
  mutable std::map<uint64_t, std::string> HasherErrors;
};

// Decodes the map of type MapType whose header (hmap / maps.Map) is at
// HeaderAddr. Errors: MapType is not a map type of the program's map
// implementation, or the header itself cannot be read (MemoryFault naming
// it). A header address of 0 gives a Nil state.
Expected<MapState> decodeMap(GoProgram &P, const TypeInfo *MapType,
                             uint64_t HeaderAddr, const MapLimits &L = {});

// ---- plausibility of a candidate header ------------------------------------

struct MapCheck {
  std::string Name;   // "B range", "flags", "buckets readable", ...
  bool Passed = false;
  bool Hard = false;  // a failed hard check makes the candidate invalid
  std::string Detail; // what was seen
};

struct MapValidation {
  bool Valid = false; // no hard check failed
  int Score = 0;      // 0..100: 100 minus penalties of failed checks
  std::vector<MapCheck> Checks;
  // The failed checks, one line each ("flags: 0x31 has unknown bits").
  std::vector<std::string> reasons() const;
};

// Is there a map of this type at Addr? Reads the header and a sample of
// what it points to (a few buckets / the directory and its tables), no
// full walk: cheap enough to rank many candidate pointers. Errors only for
// a MapType that is not a map; unreadable memory is a failed check.
Expected<MapValidation> validateMapHeader(GoProgram &P, const TypeInfo *MapType,
                                          uint64_t Addr);
Expected<MapValidation> validateMapHeader(const MapReader &R,
                                          const TypeInfo &MapType,
                                          uint64_t Addr);

} // namespace ms
