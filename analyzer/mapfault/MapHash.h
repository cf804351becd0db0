// Go's map hash, recomputed from a core: where a key lives (or would live)
// in a map follows from hash(key, seed). On amd64 the runtime hashes with
// AES rounds (runtime.useAeshash, set when the CPU has AES, SSSE3 and
// SSE4.1) keyed by the process-wide runtime.aeskeysched (go1.27:
// internal/runtime/maps.aeskeysched) and the per-map seed (hmap.hash0 or
// maps.Map.seed). Both are in the core, so the hash can be recomputed
// exactly; AESENC is done in software, so the host CPU does not matter.
//
// Sources, per version (identical code in go1.19..go1.27):
//   runtime/asm_amd64.s aeshashbody, memhash32, memhash64 (<= go1.26);
//   internal/runtime/maps/memhash_amd64.s, memhash_nosimd_amd64.s (go1.27);
//   runtime/alg.go f32hash, f64hash, c64hash, c128hash, interhash,
//   nilinterhash, typehash;
//   cmd/compile/internal/reflectdata/alg.go genhash: which function a map
//   type's Hasher is. go1.19..go1.26 walk the key type (runs of plain
//   memory hashed with memhash(p, h, size), other fields with their own
//   hash); go1.27 builds an "equality signature" (S M5 K3 G ...) where a
//   4- or 8-byte memory run is hashed with memhash32/memhash64 instead.
//
// arm64 has its own AES hash (runtime/asm_arm64.s aeshashbody, memhash32,
// memhash64; go1.27 internal/runtime/maps/memhash_arm64.s): AESE (xor,
// SubBytes, ShiftRows) and AESMC (MixColumns) in another arrangement, so
// its values differ from amd64's. go1.27 changed its memhash32 (full
// 64-bit seed, value in bytes 8..11; before: low 32 bits of the seed and
// the value in bytes 4..7).
//
// Without AES (CPU lacks it, or GODEBUG=cpu.aes=off) both architectures
// use the wyhash-like fallback (runtime/hash64.go memhashFallback,
// memhash32Fallback, memhash64Fallback; go1.27
// internal/runtime/maps/runtime_hash64.go) keyed by runtime.hashkey
// (go1.27: internal/runtime/maps.hashkey). go1.23 replaced its fixed
// constants m1..m4 by hashkey[0..3]; go1.19..go1.22 use the constants
// (go1.23 checked on real cores made with GODEBUG=cpu.aes=off).
//
// Which one a process used is read from the core (useAeshash and the
// architecture); when it cannot be, no hash is computed.
// NaN float keys hash with a random value in Go: their hash is an error.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>

#include "goruntime/BuildInfo.h"
#include "goruntime/GoValue.h"
#include "goruntime/Types.h"
#include "support/Error.h"

namespace ms {

class GoProgram;
class Memory;

// One AES encryption round as AESENC does it: ShiftRows, SubBytes,
// MixColumns, then XOR with the round key.
using AesBlock = std::array<uint8_t, 16>;
AesBlock aesEncRound(const AesBlock &State, const AesBlock &RoundKey);
// arm64 AESE: XOR with the round key, then SubBytes and ShiftRows.
AesBlock aesE(const AesBlock &State, const AesBlock &RoundKey);
// arm64 AESMC: MixColumns.
AesBlock aesMC(const AesBlock &State);

// The hash algorithm of a process.
enum class HashAlgo { AesAmd64, AesArm64, Fallback };
// "aes-amd64", "aes-arm64", "memhash-fallback" (as reports spell it).
const char *hashAlgoName(HashAlgo A);

// The process-wide hash state read from the target.
struct HashKeys {
  bool UseAES = false;
  // The algorithm the process used; unset when not known (then nothing is
  // hashed). readHashKeys sets it from useAeshash and the architecture.
  std::optional<HashAlgo> Algo;
  std::array<uint8_t, 128> AesKeySched{};
  // runtime.hashkey, the fallback's key (read when the fallback is used).
  std::array<uint64_t, 4> HashKey{};
  // Per-version variants: go1.19..go1.22 fallback with the constants
  // m1..m4; go1.19..go1.26 arm64 memhash32 (32-bit seed, value at 4..7).
  bool FallbackConstants = false;
  bool Arm64Hash32Seed32 = false;
  // Where they were found: "symbol runtime.aeskeysched" or
  // "code of runtime.memhash64".
  std::string Source;
  uint64_t UseAESAddr = 0, AesKeySchedAddr = 0, HashKeyAddr = 0;
};

// Reads useAeshash and aeskeysched (or hashkey when the process did not
// use AES) from M (the program's memory when null): by symbol, else
// (stripped) through the code of the hash functions that use them, and
// decides the algorithm. An error when they cannot be found or read.
Expected<HashKeys> readHashKeys(const GoProgram &P, const Memory *M = nullptr);

// The runtime's AES hashes (amd64 asm, bit for bit).
uint64_t aesMemHash(const HashKeys &K, llvm::ArrayRef<uint8_t> Data,
                    uint64_t Seed);                                  // memhash
uint64_t aesMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed); // memhash32
uint64_t aesMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed); // memhash64
// arm64's AES hashes (asm_arm64.s, bit for bit; memhash32 per
// K.Arm64Hash32Seed32).
uint64_t arm64AesMemHash(const HashKeys &K, llvm::ArrayRef<uint8_t> Data,
                         uint64_t Seed);
uint64_t arm64AesMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed);
uint64_t arm64AesMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed);
// The fallback (hash64.go; constants per K.FallbackConstants).
uint64_t fallbackMemHash(const HashKeys &K, llvm::ArrayRef<uint8_t> Data,
                         uint64_t Seed);
uint64_t fallbackMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed);
uint64_t fallbackMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed);
// memhash / memhash32 / memhash64 with K's algorithm (K.Algo must be set).
// strhash is memhash over the string's bytes on every algorithm.
uint64_t memHash(const HashKeys &K, llvm::ArrayRef<uint8_t> Data, uint64_t Seed);
uint64_t memHash32(const HashKeys &K, uint32_t V, uint64_t Seed);
uint64_t memHash64(const HashKeys &K, uint64_t V, uint64_t Seed);

// The hash function of maps with a given key type, in a given Go version.
class KeyHasher {
public:
  // Fails when the algorithm is not known (K.Algo unset or disagreeing
  // with K.UseAES) or the key type is not hashable.
  static Expected<KeyHasher> create(const TypeInfo &KeyType,
                                    const GoVersion &V, const HashKeys &K);

  // hash(key, seed) as the map's Hasher computes it. Errors: the value has
  // unreadable or truncated parts, or holds a NaN (random hash in Go).
  Expected<uint64_t> hash(const GoValue &Key, uint64_t Seed) const;

  // What the compiler generated: "memhash64", "strhash",
  // "generated: strhash, memhash(5), f64hash" (go1.19-1.26) or
  // "generated: signature SM5K3G" (go1.27).
  const std::string &description() const { return Desc; }
  // go1.27 only: the equality signature ("SM5K3G"); empty before.
  const std::string &signature() const { return Sig; }
  // The process's hash algorithm: hashAlgoName() of it.
  HashAlgo algo() const { return *Keys->Algo; }

  // Cross-check with the function the map type's Hasher closure really
  // calls (its pclntab name; VarlenSize is the size stored in a
  // memhash_varlen closure). An error when they disagree: then the plan
  // does not describe this program and must not be used.
  Error checkFunction(llvm::StringRef FuncName,
                      std::optional<uint64_t> VarlenSize) const;

  struct Op;
  ~KeyHasher();
  KeyHasher(KeyHasher &&);
  KeyHasher &operator=(KeyHasher &&);

private:
  KeyHasher() = default;
  const TypeInfo *KeyT = nullptr;
  std::shared_ptr<const HashKeys> Keys;
  std::vector<Op> Ops;
  std::string Desc, Sig;
  // The runtime function genhash picks ("runtime.memhash64"), or empty
  // for a generated one; VarlenSize for runtime.memhash_varlen.
  std::string RuntimeFn;
  std::optional<uint64_t> VarlenSize;
};

// The runtime's typehash (used by interhash/nilinterhash for the dynamic
// value of interface keys) over a value of type T.
Expected<uint64_t> goTypeHash(const HashKeys &K, const TypeInfo &T,
                              const GoValue &V, uint64_t Seed);

// go1.27's equality signature of a type, exactly as
// cmd/compile/internal/reflectdata.eqSignature builds it on amd64.
std::string goEqSignature(const TypeInfo &T);

// The compiler's AlgKind of a type (cmd/compile/internal/types.AlgType).
enum class AlgKind { Mem, NoEq, Special, String, Inter, NilInter, Float32,
                     Float64, Complex64, Complex128 };
AlgKind goAlgType(const TypeInfo &T);

// Classic hmap: top byte of the hash as stored in tophash (>= 5).
inline uint8_t classicTopHash(uint64_t Hash) {
  uint8_t Top = static_cast<uint8_t>(Hash >> 56);
  return Top < 5 ? Top + 5 : Top;
}
// Swiss: H1 (probe start, directory index bits) and H2 (control byte).
inline uint64_t swissH1(uint64_t Hash) { return Hash >> 7; }
inline uint8_t swissH2(uint64_t Hash) { return Hash & 0x7f; }

} // namespace ms
