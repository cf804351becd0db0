// Keys in a decoded map: is this key in the map, where, with which
// element; where would it live if absent (from its hash, when the hash can
// be recomputed exactly: see MapHash.h); do the entries sit where their
// hashes say; the first N entries decoded for a report.
//
//   MapReader R(*Prog);
//   auto S = R.decode(*MapType, Addr);
//   auto L = findKey(R, *S, KeyValue);     // KeyValue: a decoded GoValue
//   L->Result == KeyLookup::Verdict::Present, L->Matches[0].Elem, L->Home
#pragma once

#include <functional>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>

#include "goruntime/GoValue.h"
#include "mapfault/MapState.h"

namespace ms {

// Go's == on two values of the same comparable type, decided on decoded
// values: strings by content, numbers by value (NaN is never equal, +0 ==
// -0), pointers/chans by address, structs and arrays field by field
// (blank fields ignored), interfaces by dynamic type and then value.
// Unknown when a part could not be read or was cut by decode limits.
enum class KeyEq { Equal, NotEqual, Unknown };
KeyEq goKeyEqual(const GoValue &A, const GoValue &B);

// Decode limits for keys: large enough that ordinary keys are never cut
// (equality and hashing need every byte).
DecodeLimits keyDecodeLimits();

// What a keyMayEqualFilter decided, for tests and measurements.
struct KeyFilterStats {
  bool HashGate = false;   // the key's hash tag was used
  std::string NoHashGate;  // why not, when it was not
  uint64_t ByTag = 0;      // entries left out on their slot's tag alone
  uint64_t ByContent = 0;  // entries left out after reading their key
};

// A quick test for MapLimits::Keep that lets a walk of a big map keep only
// the entries that may equal Key: false only where Go's == on the raw
// bytes in memory proves an entry's key differs (string length or bytes;
// integers, bools, pointers and channels by their bytes); true when in
// doubt (unreadable, another kind). Empty when there is no such test for
// the key's type. The function reads R's memory and must not outlive R;
// a state walked with it answers findKey for this Key only.
//
// When the map's hash can be recomputed and gives the first entries kept
// the tags their slots hold (tophash / H2), an entry outside the key's
// home (classic: its bucket in either array; swiss: its table) whose tag
// differs from the key's is left out without reading its key: a lookup
// would never compare them, and their keys hash elsewhere. Entries in the
// home are always compared by content, so a slot two racing writers left
// with one key's tag and the other's key is still found. The gate is the
// tag, not the position: a key a race left outside its home (in another
// table or bucket) kept its own tag, so it is still compared, and found.
std::function<bool(const MapEntry &, const MapState &)>
keyMayEqualFilter(const MapReader &R, const TypeInfo &KeyType,
                  const GoValue &Key, KeyFilterStats *Stats = nullptr);

// Where a key lives, or would live, according to its hash.
struct KeyHome {
  uint64_t Hash = 0;
  uint8_t Tag = 0;     // tophash (classic) or H2 (swiss)
  std::string Hasher;  // KeyHasher::description()
  // The process's hash algorithm: "aes-amd64", "aes-arm64" or
  // "memhash-fallback" (hashAlgoName).
  std::string HashAlgorithm;
  std::string KeysSource; // where aeskeysched came from (HashKeys::Source)
  // Classic.
  uint64_t Bucket = 0, BucketAddr = 0; // hash & (2^B - 1) in buckets
  bool Growing = false;
  uint64_t OldBucket = 0, OldBucketAddr = 0;
  bool InOld = false; // the old bucket is not evacuated: lookups go there
  // Swiss.
  bool Small = false; // one group: any slot
  uint64_t DirIndex = 0;
  int32_t Table = -1; // index into MapState::Tables (-1: not walked)
  uint64_t TableAddr = 0;
  // Group indexes a lookup visits in order: the probe sequence up to and
  // including the first group that has an empty slot (where a lookup
  // stops and an insert goes at the latest).
  std::vector<uint64_t> Probe;
  bool ProbeComplete = false; // ended at a group with an empty slot
  bool ProbeUnread = false;   // cut at a group the walk did not read (a
                              // slot beyond it cannot be called misplaced)
};

struct KeyMatch {
  size_t Entry = 0; // index into MapState::Entries
  GoValue Key, Elem;
  // Whether the slot is where the key's hash puts it (nullopt: no hash).
  std::optional<bool> AtHome;
  std::string HomeDetail; // why not, when AtHome is false
};

struct KeyLookupOptions {
  DecodeLimits Decode = keyDecodeLimits();
  bool DecodeElem = true;
  bool ComputeHome = true;
};

struct KeyLookup {
  enum class Verdict {
    Present, // an entry with an equal key was found
    Absent,  // complete walk, every entry compared unequal
    Unknown, // partial walk or entries whose keys could not be compared
  };
  Verdict Result = Verdict::Unknown;
  std::vector<KeyMatch> Matches; // more than one: duplicate keys (damage)
  uint64_t Compared = 0, Undecided = 0;
  std::optional<KeyHome> Home;
  std::string HomeError; // why Home is missing
  Warnings Warn;
  bool present() const { return Result == Verdict::Present; }
};
llvm::StringRef verdictName(KeyLookup::Verdict V); // "present", ...

// Looks Key (a value of the map's key type) up among the entries of S by
// value, and computes its home from its hash. A nil map gives Absent.
// Errors only when S has no map type.
Expected<KeyLookup> findKey(const MapReader &R, const MapState &S,
                            const GoValue &Key,
                            const KeyLookupOptions &O = {});
Expected<KeyLookup> findKey(GoProgram &P, const MapState &S,
                            const GoValue &Key,
                            const KeyLookupOptions &O = {});
// The same for a key given as its bytes (little-endian, as in memory;
// pointers inside, such as a string's data, are read from the target).
Expected<KeyLookup> findKeyBytes(const MapReader &R, const MapState &S,
                                 llvm::ArrayRef<uint8_t> KeyBytes,
                                 const KeyLookupOptions &O = {});

// The home of a key from its hash (needs an exact hash: R.hasher()).
Expected<KeyHome> keyHome(const MapReader &R, const MapState &S,
                          const GoValue &Key);
// Whether entry E of S sits at Home (an empty string) or why not.
std::string homeMismatch(const MapState &S, const MapEntry &E,
                         const KeyHome &Home);

// Recomputes the hash of every entry's key (up to Max) and checks its tag
// byte and its bucket / directory entry and probe sequence.
struct HashVerification {
  std::string Hasher;
  std::string HashAlgorithm; // hashAlgoName()
  uint64_t Checked = 0;    // keys hashed
  uint64_t TagMatch = 0;   // tophash / H2 equal
  uint64_t PlaceMatch = 0; // bucket (classic) or table + probe (swiss)
  uint64_t Skipped = 0;    // keys that could not be hashed (NaN, unreadable)
  std::vector<std::string> Mismatches; // first few, one line each
  bool allMatch() const {
    return Checked && TagMatch == Checked && PlaceMatch == Checked;
  }
};
Expected<HashVerification> verifyEntryHashes(const MapReader &R,
                                             const MapState &S,
                                             uint64_t Max = ~0ull);

// The first N entries (from First) with key and element decoded, for a
// report sample.
struct DecodedEntry {
  size_t Index = 0; // into MapState::Entries
  GoValue Key, Elem;
};
std::vector<DecodedEntry> decodeEntries(const MapReader &R, const MapState &S,
                                        size_t N, size_t First = 0,
                                        const DecodeLimits &L = {});

} // namespace ms
