// The walks behind MapReader::decode and the checks behind
// validateMapHeader, one per map implementation: ClassicWalker (hmap,
// buckets and overflow chains) and SwissWalker (maps.Map, directory,
// tables and groups) on a WalkBase with what both share (caps, byte
// budget, collecting entries, anomaly tallies). Internal to mapfault/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/STLFunctionalExtras.h>

#include "mapfault/MapState.h"
#include "support/Error.h"
#include "support/Warnings.h"

namespace ms {

class Memory;

namespace mapwalk {

constexpr unsigned SlotsPerBucket = 8; // bucketCnt, abi.MapGroupSlots
// tophash values (classic).
constexpr uint8_t EmptyRest = 0, EmptyOne = 1, EvacuatedX = 2,
                  EvacuatedY = 3, EvacuatedEmpty = 4, MinTopHash = 5;
// Control bytes (swiss).
constexpr uint8_t CtrlEmpty = 0x80, CtrlDeleted = 0xfe;
constexpr uint64_t MaxTableCapacity = 1024;

// The 8-byte word at Off of a bucket or group (0 past its end; callers
// check the layout first).
uint64_t wordAt(llvm::ArrayRef<uint8_t> Bytes, uint64_t Off);

// An error when T is not a usable map type of the implementation Want.
Error checkMapType(const TypeInfo *T, MapImpl Want);

// The headers, field by field (any field that cannot be read is an error).
Expected<ClassicHeader> readClassicHeader(const MapReader &R, uint64_t Addr);
// hmap.extra (mapextra), when set; unreadable: a warning.
void readExtra(const MapReader &R, ClassicHeader &H, Warnings &W);
Expected<SwissHeader> readSwissHeader(const MapReader &R, uint64_t Addr);

// Elements of an array in target memory: one view or copy of the whole
// array when the memory has it in one piece, else element by element (so
// that a hole costs only the elements in it).
class ArrayReader {
public:
  ArrayReader(const Memory &M, uint64_t Base, uint64_t Count, uint64_t Size);
  uint64_t addr(uint64_t I) const { return Base + I * Size; }
  // Valid until the next call.
  Expected<llvm::ArrayRef<uint8_t>> get(uint64_t I);

private:
  const Memory &M;
  uint64_t Base, Count, Size;
  llvm::ArrayRef<uint8_t> Whole;
  std::vector<uint8_t> Copy, One;
};

// Elements of one array that could not be read: how many, the first
// error, and the current run of them (a long run gives the array up).
struct UnreadableElements {
  uint64_t Count = 0, Run = 0;
  std::string First;
  // Counts a failed read (the error is kept for the first one only: the
  // count and the first error are what the warning reports); true when
  // the run has reached Max.
  bool add(Error E, uint64_t Max);
  void readOne() { Run = 0; }
};

// Repeated anomalies become one warning with a count and the first place.
class Tally {
public:
  void add(const std::string &What, const std::string &Where);
  void flush(Warnings &W);

private:
  struct Item {
    uint64_t N = 0;
    std::string First;
  };
  std::map<std::string, Item> Items;
};

// What both walks share: the map state they fill, its caps and byte
// budget, and the entries they find.
class WalkBase {
public:
  // The tallied anomalies, as warnings of the state.
  void flush() { T.flush(S.Warn); }

protected:
  WalkBase(const MapReader &R, const MapLimits &L, MapState &S);

  // Charges Bytes against the byte budget; false (and a warning, once)
  // when it is spent.
  bool budget(uint64_t Bytes, const char *What);
  // A live slot found in Bytes (its bucket or group); KeyOff/ElemOff: the
  // slot's key and element within them. Where: the slot in words, built
  // only for a warning.
  void addEntry(MapEntry E, llvm::ArrayRef<uint8_t> Bytes, uint64_t KeyOff,
                uint64_t ElemOff, llvm::function_ref<std::string()> Where);

  const MapReader &R;
  const Memory &M;
  const MapLimits &L;
  MapState &S;
  const MapTypeInfo &MI;
  Tally T;

private:
  bool BudgetHit = false, EntryCapHit = false;
  uint64_t NextRelease = 0; // BytesRead at which to call releaseResident
};

// A classic hmap: the bucket array, the old one while growing, and every
// overflow chain.
class ClassicWalker : public WalkBase {
public:
  ClassicWalker(const MapReader &R, const MapLimits &L, MapState &S)
      : WalkBase(R, L, S) {}
  // The bucket layout of the map type; an error when it is inconsistent.
  Error layout();
  // Walks the map whose header S.Classic holds.
  void walk();

private:
  void growthState();
  void array(uint64_t Base, uint64_t N, bool Old);
  void chain(uint64_t Addr, llvm::ArrayRef<uint8_t> First, uint64_t Idx,
             bool Old, bool OldMarked);
  // The slots of one bucket of a chain (Depth: 0 for the bucket itself,
  // n for its nth overflow bucket); true when one of them is live.
  // SeenEmptyRest carries the emptyRest mark along the chain.
  bool bucketSlots(uint64_t Cur, llvm::ArrayRef<uint8_t> Bytes, uint64_t Idx,
                   uint32_t Depth, bool Old, bool &SeenEmptyRest);
  // The bucket after Cur in a chain (Bytes: Cur's), read into Buf when
  // the memory has no view of it; nullopt (and a warning) where the chain
  // ends early.
  std::optional<llvm::ArrayRef<uint8_t>>
  nextOverflow(uint64_t Cur, llvm::ArrayRef<uint8_t> Bytes, uint32_t Depth,
               uint64_t Idx, const char *Arr, uint64_t &Next,
               std::vector<uint8_t> &Buf);

  uint64_t KeysOff = 8, ElemsOff = 0, OvfOff = 0, BSize = 0;
  std::unordered_set<uint64_t> Visited;
};

// A Swiss map: the small map's one group, or the directory, its distinct
// tables and their groups.
class SwissWalker : public WalkBase {
public:
  SwissWalker(const MapReader &R, const MapLimits &L, MapState &S)
      : WalkBase(R, L, S) {}
  // The group layout of the map type; an error when it is inconsistent.
  Error layout();
  // Walks the map whose header S.Swiss holds.
  void walk();

private:
  void smallMap();
  // Reads the directory into S.Directory and its distinct tables into
  // S.Tables; false when it cannot be read at all.
  bool directory();
  void checkTableIndexes(const SwissTable &Tab);
  // How many groups of Tab to walk: what its capacity and lengthMask both
  // allow, within the group cap; nullopt when groups.data is no group
  // array. Where: the table in words.
  std::optional<uint64_t> groupsToWalk(SwissTable &Tab,
                                       const std::string &Where);
  void table(SwissTable &Tab, int32_t TI);
  void group(llvm::ArrayRef<uint8_t> G, uint64_t Addr, uint64_t GroupIdx,
             int32_t Table, SwissTable *Tab);
};

} // namespace mapwalk
} // namespace ms
