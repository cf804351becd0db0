#include "mapfault/MapHash.h"

#include <llvm/ADT/bit.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "arch/Arch.h"
#include "goruntime/CodeRefs.h"
#include "goruntime/GoProgram.h"
#include "goruntime/GoVersions.h"
#include "support/Memory.h"

namespace ms {

using namespace llvm;

// ---- AES round ---------------------------------------------------------------

namespace {

constexpr uint8_t SBox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b,
    0xfe, 0xd7, 0xab, 0x76, 0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0,
    0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0, 0xb7, 0xfd, 0x93, 0x26,
    0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2,
    0xeb, 0x27, 0xb2, 0x75, 0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0,
    0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84, 0x53, 0xd1, 0x00, 0xed,
    0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f,
    0x50, 0x3c, 0x9f, 0xa8, 0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5,
    0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2, 0xcd, 0x0c, 0x13, 0xec,
    0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14,
    0xde, 0x5e, 0x0b, 0xdb, 0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c,
    0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79, 0xe7, 0xc8, 0x37, 0x6d,
    0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f,
    0x4b, 0xbd, 0x8b, 0x8a, 0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e,
    0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e, 0xe1, 0xf8, 0x98, 0x11,
    0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f,
    0xb0, 0x54, 0xbb, 0x16};

inline uint8_t xtime(uint8_t X) {
  return static_cast<uint8_t>((X << 1) ^ ((X & 0x80) ? 0x1b : 0));
}

} // namespace

namespace {
// ShiftRows then SubBytes (they commute). State bytes are column-major:
// byte r + 4c is row r of column c.
AesBlock subShift(const AesBlock &S) {
  AesBlock T;
  for (int C = 0; C < 4; ++C)
    for (int R = 0; R < 4; ++R)
      T[R + 4 * C] = SBox[S[R + 4 * ((C + R) % 4)]];
  return T;
}
} // namespace

AesBlock aesMC(const AesBlock &T) {
  AesBlock O;
  for (int C = 0; C < 4; ++C) {
    uint8_t A0 = T[4 * C], A1 = T[4 * C + 1], A2 = T[4 * C + 2],
            A3 = T[4 * C + 3];
    O[4 * C] = xtime(A0) ^ xtime(A1) ^ A1 ^ A2 ^ A3;
    O[4 * C + 1] = A0 ^ xtime(A1) ^ xtime(A2) ^ A2 ^ A3;
    O[4 * C + 2] = A0 ^ A1 ^ xtime(A2) ^ xtime(A3) ^ A3;
    O[4 * C + 3] = xtime(A0) ^ A0 ^ A1 ^ A2 ^ xtime(A3);
  }
  return O;
}

AesBlock aesEncRound(const AesBlock &S, const AesBlock &K) {
  AesBlock O = aesMC(subShift(S));
  for (int I = 0; I < 16; ++I)
    O[I] ^= K[I];
  return O;
}

AesBlock aesE(const AesBlock &S, const AesBlock &K) {
  AesBlock X;
  for (int I = 0; I < 16; ++I)
    X[I] = S[I] ^ K[I];
  return subShift(X);
}

const char *hashAlgoName(HashAlgo A) {
  switch (A) {
  case HashAlgo::AesAmd64:
    return "aes-amd64";
  case HashAlgo::AesArm64:
    return "aes-arm64";
  case HashAlgo::Fallback:
    return "memhash-fallback";
  }
  return "?";
}

// ---- the runtime's AES hashes ------------------------------------------------

namespace {

AesBlock xorB(const AesBlock &A, const AesBlock &B) {
  AesBlock O;
  for (int I = 0; I < 16; ++I)
    O[I] = A[I] ^ B[I];
  return O;
}
AesBlock selfEnc(const AesBlock &A) { return aesEncRound(A, A); }
AesBlock load(ArrayRef<uint8_t> D, size_t Off) {
  AesBlock O;
  memcpy(O.data(), D.data() + Off, 16);
  return O;
}
AesBlock sched(const HashKeys &K, unsigned I) {
  AesBlock O;
  memcpy(O.data(), K.AesKeySched.data() + 16 * I, 16);
  return O;
}
uint64_t low64(const AesBlock &A) {
  uint64_t V;
  memcpy(&V, A.data(), 8);
  return V;
}

} // namespace

// aeshashbody<> (runtime/asm_amd64.s), memHashAES (go1.27).
uint64_t aesMemHash(const HashKeys &K, ArrayRef<uint8_t> D, uint64_t Seed) {
  const size_t N = D.size();
  // MOVQ seed, X0; PINSRW $4, len, X0; PSHUFHW $0, X0, X0.
  AesBlock X0{};
  memcpy(X0.data(), &Seed, 8);
  for (int I = 0; I < 4; ++I) {
    X0[8 + 2 * I] = static_cast<uint8_t>(N);
    X0[9 + 2 * I] = static_cast<uint8_t>(N >> 8);
  }
  AesBlock X1 = X0; // unscrambled seed
  X0 = selfEnc(xorB(X0, sched(K, 0)));

  if (N == 0)
    return low64(selfEnc(X0));
  if (N <= 16) {
    AesBlock Data{};
    memcpy(Data.data(), D.data(), N); // masked (or shifted) to N bytes
    AesBlock H = xorB(Data, X0);
    H = selfEnc(selfEnc(selfEnc(H)));
    return low64(H);
  }
  if (N <= 32) {
    X1 = selfEnc(xorB(X1, sched(K, 1)));
    AesBlock A = xorB(load(D, 0), X0), B = xorB(load(D, N - 16), X1);
    for (int R = 0; R < 3; ++R) {
      A = selfEnc(A);
      B = selfEnc(B);
    }
    return low64(xorB(A, B));
  }
  if (N <= 64) {
    AesBlock S[4] = {X0, selfEnc(xorB(X1, sched(K, 1))),
                     selfEnc(xorB(X1, sched(K, 2))),
                     selfEnc(xorB(X1, sched(K, 3)))};
    AesBlock V[4] = {load(D, 0), load(D, 16), load(D, N - 32), load(D, N - 16)};
    for (int I = 0; I < 4; ++I)
      V[I] = xorB(V[I], S[I]);
    for (int R = 0; R < 3; ++R)
      for (auto &B : V)
        B = selfEnc(B);
    V[0] = xorB(V[0], V[2]);
    V[1] = xorB(V[1], V[3]);
    return low64(xorB(V[0], V[1]));
  }
  AesBlock S[8];
  S[0] = X0;
  for (unsigned I = 1; I < 8; ++I)
    S[I] = selfEnc(xorB(X1, sched(K, I)));
  AesBlock V[8];
  auto Combine = [&]() {
    for (int I = 0; I < 4; ++I)
      V[I] = xorB(V[I], V[I + 4]);
    V[0] = xorB(V[0], V[2]);
    V[1] = xorB(V[1], V[3]);
    return low64(xorB(V[0], V[1]));
  };
  if (N <= 128) {
    for (int I = 0; I < 4; ++I) {
      V[I] = xorB(load(D, 16 * I), S[I]);
      V[I + 4] = xorB(load(D, N - 64 + 16 * I), S[I + 4]);
    }
    for (int R = 0; R < 3; ++R)
      for (auto &B : V)
        B = selfEnc(B);
    return Combine();
  }
  // 129 bytes and more: start with the last (possibly overlapping) block,
  // then fold in every whole 128-byte block from the start.
  for (int I = 0; I < 8; ++I)
    V[I] = xorB(load(D, N - 128 + 16 * I), S[I]);
  size_t Blocks = (N - 1) >> 7, P = 0;
  for (; Blocks; --Blocks, P += 128) {
    for (auto &B : V)
      B = selfEnc(B);
    for (int I = 0; I < 8; ++I)
      V[I] = aesEncRound(V[I], load(D, P + 16 * I));
  }
  for (int R = 0; R < 3; ++R)
    for (auto &B : V)
      B = selfEnc(B);
  return Combine();
}

namespace {
// The block the word hashes start from: the seed in the low 8 bytes, the
// value (N bytes) above it (PINSRD $2 / PINSRQ $1; arm64 VMOV ... V0.D[0],
// then V0.S[2] or V0.D[1]).
AesBlock seedAndWord(uint64_t Seed, const void *V, size_t N) {
  AesBlock X{};
  memcpy(X.data(), &Seed, 8);
  memcpy(X.data() + 8, V, N);
  return X;
}

// amd64: three AESENC rounds over that block.
uint64_t aesWordHash(const HashKeys &K, const void *V, size_t N,
                     uint64_t Seed) {
  AesBlock X = seedAndWord(Seed, V, N);
  for (unsigned I = 0; I < 3; ++I)
    X = aesEncRound(X, sched(K, I));
  return low64(X);
}
} // namespace

uint64_t aesMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed) {
  return aesWordHash(K, &V, 4, Seed);
}

uint64_t aesMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed) {
  return aesWordHash(K, &V, 8, Seed);
}

// ---- arm64's AES hashes ---------------------------------------------------------

namespace {
// AESE then AESMC: one full round as the arm64 code chains them.
AesBlock emc(const AesBlock &S, const AesBlock &K) { return aesMC(aesE(S, K)); }
// Two full rounds and a last one without MixColumns, as every branch of
// aeshashbody on arm64 ends.
AesBlock arm64Finish(AesBlock S, const AesBlock &K) {
  S = emc(S, K);
  S = emc(S, K);
  return aesE(S, K);
}
} // namespace

// aeshashbody<> (runtime/asm_arm64.s), memHashAES (go1.27 maps).
uint64_t arm64AesMemHash(const HashKeys &K, ArrayRef<uint8_t> D,
                         uint64_t Seed) {
  const uint64_t N = D.size();
  // V30 = seed in D[0], length in D[1].
  AesBlock V30{};
  memcpy(V30.data(), &Seed, 8);
  memcpy(V30.data() + 8, &N, 8);
  AesBlock V0 = emc(sched(K, 0), V30);
  if (N == 0)
    return low64(V0);
  if (N <= 16) {
    AesBlock V2{};
    if (N == 16) {
      V2 = load(D, 0);
    } else {
      // Loads by the bits of the length: 8 bytes to lane D[0], 4 to S[2],
      // 2 to H[6], 1 to B[14], each from where the previous one ended.
      size_t P = 0;
      if (N & 8) {
        memcpy(V2.data(), D.data() + P, 8);
        P += 8;
      }
      if (N & 4) {
        memcpy(V2.data() + 8, D.data() + P, 4);
        P += 4;
      }
      if (N & 2) {
        memcpy(V2.data() + 12, D.data() + P, 2);
        P += 2;
      }
      if (N & 1)
        V2[14] = D[P];
    }
    for (int R = 0; R < 3; ++R)
      V2 = emc(V2, V0);
    return low64(V2);
  }
  if (N <= 32) {
    AesBlock V1 = emc(sched(K, 1), V30);
    AesBlock A = arm64Finish(load(D, 0), V0), B = arm64Finish(load(D, N - 16), V1);
    return low64(xorB(A, B));
  }
  if (N <= 64) {
    AesBlock S[4] = {V0, emc(sched(K, 1), V30), emc(sched(K, 2), V30),
                     emc(sched(K, 3), V30)};
    AesBlock V[4] = {load(D, 0), load(D, 16), load(D, N - 32), load(D, N - 16)};
    for (int I = 0; I < 4; ++I)
      V[I] = arm64Finish(V[I], S[I]);
    return low64(xorB(xorB(V[0], V[2]), xorB(V[1], V[3])));
  }
  AesBlock S[8];
  S[0] = V0;
  for (unsigned I = 1; I < 8; ++I)
    S[I] = emc(sched(K, I), V30);
  if (N <= 128) {
    AesBlock V[8];
    for (int I = 0; I < 4; ++I) {
      V[I] = arm64Finish(load(D, 16 * I), S[I]);
      V[I + 4] = arm64Finish(load(D, N - 64 + 16 * I), S[I + 4]);
    }
    for (int I = 0; I < 4; ++I)
      V[I] = xorB(V[I], V[I + 4]);
    return low64(xorB(xorB(V[0], V[2]), xorB(V[1], V[3])));
  }
  // 129 bytes and more: the seeds are the state, the data the round keys.
  // The last 128 bytes go first; then each 128-byte block from the start is
  // used in two consecutive rounds (after its load, and at the top of the
  // next iteration or in the final rounds).
  AesBlock Dk[8];
  for (int I = 0; I < 8; ++I)
    Dk[I] = load(D, N - 128 + 16 * I);
  size_t P = 0;
  for (uint64_t Blocks = (N - 1) >> 7; Blocks; --Blocks, P += 128) {
    for (int I = 0; I < 8; ++I)
      S[I] = emc(S[I], Dk[I]);
    for (int I = 0; I < 8; ++I) {
      Dk[I] = load(D, P + 16 * I);
      S[I] = emc(S[I], Dk[I]);
    }
  }
  for (int I = 0; I < 8; ++I)
    S[I] = arm64Finish(S[I], Dk[I]);
  AesBlock A = xorB(xorB(S[0], S[1]), xorB(S[2], S[3]));
  AesBlock B = xorB(xorB(S[4], S[5]), xorB(S[6], S[7]));
  return low64(xorB(A, B));
}

uint64_t arm64AesMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed) {
  AesBlock X{};
  if (K.Arm64Hash32Seed32) {
    memcpy(X.data(), &Seed, 4); // VMOV R1, V0.S[0]
    memcpy(X.data() + 4, &V, 4); // VLD1 (R0), V0.S[1]
  } else {
    X = seedAndWord(Seed, &V, 4);
  }
  return low64(arm64Finish(X, sched(K, 0)));
}

uint64_t arm64AesMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed) {
  return low64(arm64Finish(seedAndWord(Seed, &V, 8), sched(K, 0)));
}

// ---- the fallback (hash64.go) ------------------------------------------------------

namespace {
constexpr uint64_t WyM1 = 0xa0761d6478bd642f, WyM2 = 0xe7037ed1a0b428db,
                   WyM3 = 0x8ebc6af09c88c6e3, WyM4 = 0x589965cc75374cc3,
                   WyM5 = 0x1d8e4e27c47d124f;
uint64_t wyMix(uint64_t A, uint64_t B) {
  unsigned __int128 R = static_cast<unsigned __int128>(A) * B;
  return static_cast<uint64_t>(R >> 64) ^ static_cast<uint64_t>(R);
}
uint64_t r8(ArrayRef<uint8_t> D, size_t Off) {
  uint64_t V;
  memcpy(&V, D.data() + Off, 8);
  return V;
}
uint64_t r4(ArrayRef<uint8_t> D, size_t Off) {
  uint32_t V;
  memcpy(&V, D.data() + Off, 4);
  return V;
}
// hashkey[0] (^ m1 before go1.23) and the keys of the data words.
struct WyKeys {
  uint64_t K0, K1, K2, K3;
};
WyKeys wyKeys(const HashKeys &K) {
  if (K.FallbackConstants)
    return {K.HashKey[0] ^ WyM1, WyM2, WyM3, WyM4};
  return {K.HashKey[0], K.HashKey[1], K.HashKey[2], K.HashKey[3]};
}
} // namespace

uint64_t fallbackMemHash(const HashKeys &K, ArrayRef<uint8_t> D,
                         uint64_t Seed) {
  const WyKeys W = wyKeys(K);
  const size_t S = D.size();
  uint64_t A = 0, B = 0;
  Seed ^= W.K0;
  if (S == 0)
    return Seed;
  if (S < 4) {
    A = D[0] | uint64_t(D[S >> 1]) << 8 | uint64_t(D[S - 1]) << 16;
  } else if (S == 4) {
    A = B = r4(D, 0);
  } else if (S < 8) {
    A = r4(D, 0);
    B = r4(D, S - 4);
  } else if (S == 8) {
    A = B = r8(D, 0);
  } else if (S <= 16) {
    A = r8(D, 0);
    B = r8(D, S - 8);
  } else {
    size_t L = S, P = 0;
    if (L > 48) {
      uint64_t Seed1 = Seed, Seed2 = Seed;
      for (; L > 48; L -= 48, P += 48) {
        Seed = wyMix(r8(D, P) ^ W.K1, r8(D, P + 8) ^ Seed);
        Seed1 = wyMix(r8(D, P + 16) ^ W.K2, r8(D, P + 24) ^ Seed1);
        Seed2 = wyMix(r8(D, P + 32) ^ W.K3, r8(D, P + 40) ^ Seed2);
      }
      Seed ^= Seed1 ^ Seed2;
    }
    for (; L > 16; L -= 16, P += 16)
      Seed = wyMix(r8(D, P) ^ W.K1, r8(D, P + 8) ^ Seed);
    A = r8(D, P + L - 16);
    B = r8(D, P + L - 8);
  }
  return wyMix(WyM5 ^ S, wyMix(A ^ W.K1, B ^ Seed));
}

uint64_t fallbackMemHash32(const HashKeys &K, uint32_t V, uint64_t Seed) {
  const WyKeys W = wyKeys(K);
  uint64_t A = V;
  return wyMix(WyM5 ^ 4, wyMix(A ^ W.K1, A ^ Seed ^ W.K0));
}

uint64_t fallbackMemHash64(const HashKeys &K, uint64_t V, uint64_t Seed) {
  const WyKeys W = wyKeys(K);
  return wyMix(WyM5 ^ 8, wyMix(V ^ W.K1, V ^ Seed ^ W.K0));
}

// ---- dispatch ------------------------------------------------------------------------

namespace {
// One hash in the process's algorithm (K.Algo) among its three versions.
template <typename Arg>
uint64_t byAlgo(const HashKeys &K, Arg A, uint64_t Seed,
                uint64_t (*Amd64)(const HashKeys &, Arg, uint64_t),
                uint64_t (*Arm64)(const HashKeys &, Arg, uint64_t),
                uint64_t (*Fallback)(const HashKeys &, Arg, uint64_t)) {
  switch (*K.Algo) {
  case HashAlgo::AesAmd64:
    return Amd64(K, A, Seed);
  case HashAlgo::AesArm64:
    return Arm64(K, A, Seed);
  case HashAlgo::Fallback:
    break;
  }
  return Fallback(K, A, Seed);
}
} // namespace

uint64_t memHash(const HashKeys &K, ArrayRef<uint8_t> D, uint64_t Seed) {
  return byAlgo<ArrayRef<uint8_t>>(K, D, Seed, aesMemHash, arm64AesMemHash,
                                   fallbackMemHash);
}

uint64_t memHash32(const HashKeys &K, uint32_t V, uint64_t Seed) {
  return byAlgo<uint32_t>(K, V, Seed, aesMemHash32, arm64AesMemHash32,
                          fallbackMemHash32);
}

uint64_t memHash64(const HashKeys &K, uint64_t V, uint64_t Seed) {
  return byAlgo<uint64_t>(K, V, Seed, aesMemHash64, arm64AesMemHash64,
                          fallbackMemHash64);
}

// ---- reading the keys from the target ------------------------------------------

namespace {
// runtime.hashkey (go1.27: internal/runtime/maps.hashkey): by symbol, else
// (stripped) through the code of the 64-bit fallback, which reads
// hashkey[0] and hashkey[1]: the lowest address it names. go1.27 may
// inline it into runtime.memhash64, which also names UseAeshash.
Error findHashKey(const GoProgram &P, StringRef Pkg, HashKeys &K) {
  std::string Name = (Pkg + "hashkey").str();
  auto A = P.globalAddress(Name);
  if (A) {
    K.HashKeyAddr = *A;
    K.Source += (K.Source.empty() ? "symbol " : ", symbol ") + Name;
    return Error::success();
  }
  consumeError(A.takeError());
  const char *Fns[] = {"runtime.memhash64Fallback",
                       "internal/runtime/maps.memHash64Fallback",
                       "runtime.memhash64"};
  std::string Tried;
  for (const char *Fn : Fns) {
    auto Refs = dataRefsOf(P, Fn);
    if (!Refs) {
      consumeError(Refs.takeError());
      continue;
    }
    std::vector<uint64_t> R;
    for (uint64_t X : *Refs)
      if (X != K.UseAESAddr && X != K.AesKeySchedAddr)
        R.push_back(X);
    if (R.empty()) {
      Tried += std::string(Tried.empty() ? "" : ", ") + Fn;
      continue;
    }
    uint64_t Lo = *std::min_element(R.begin(), R.end());
    uint64_t Hi = *std::max_element(R.begin(), R.end());
    if (Hi - Lo >= 32)
      return makeError("{0} names data {1}..{2}, wider than {3}", Fn, hex(Lo),
                       hex(Hi), Name);
    K.HashKeyAddr = Lo;
    K.Source += (K.Source.empty() ? "code of " : ", code of ") + std::string(Fn);
    return Error::success();
  }
  return makeError("no symbol {0} and no fallback hash code naming it{1}",
                   Name, Tried.empty() ? std::string() : " (" + Tried + ")");
}
} // namespace

Expected<HashKeys> readHashKeys(const GoProgram &P, const Memory *M) {
  const Memory &Mem = M ? *M : P.memory();
  const GoVersionTraits &T = traitsOf(P.version());
  const bool Maps127 = T.MapsPackageHash;
  const char *Pkg = Maps127 ? "internal/runtime/maps." : "runtime.";
  std::string UseName = std::string(Pkg) + (Maps127 ? "UseAeshash" : "useAeshash");
  std::string SchedName = std::string(Pkg) + "aeskeysched";
  HashKeys K;
  auto UA = P.globalAddress(UseName);
  auto SA = P.globalAddress(SchedName);
  if (UA && SA) {
    K.UseAESAddr = *UA;
    K.AesKeySchedAddr = *SA;
    K.Source = "symbols " + UseName + ", " + SchedName;
  } else {
    consumeError(UA.takeError());
    consumeError(SA.takeError());
    // Stripped: the hash functions name both in their first instructions.
    // <= go1.26 runtime.memhash64 (asm): CMPB useAeshash; ...; AESENC
    // aeskeysched+0/16/32. go1.27: runtime.memhash64 tests UseAeshash
    // (maps.MemHash64 inlined) and maps.memHash64AES uses aeskeysched.
    auto Refs = dataRefsOf(P, "runtime.memhash64");
    if (!Refs)
      return addContext(Refs.takeError(),
                        "finding " + UseName + " without symbols");
    if (Refs->empty())
      return makeError("runtime.memhash64 refers to no data: cannot find {0}",
                       UseName);
    K.UseAESAddr = (*Refs)[0];
    if (Maps127) {
      auto R2 = dataRefsOf(P, "internal/runtime/maps.memHash64AES");
      if (!R2)
        return addContext(R2.takeError(),
                          "finding " + SchedName + " without symbols");
      if (R2->empty())
        return makeError("memHash64AES refers to no data");
      K.AesKeySchedAddr = (*R2)[0];
      K.Source = "code of runtime.memhash64 and maps.memHash64AES";
    } else {
      if (Refs->size() < 2)
        return makeError("runtime.memhash64 refers to {0} data addresses, "
                         "expected useAeshash and aeskeysched",
                         Refs->size());
      K.AesKeySchedAddr = (*Refs)[1];
      K.Source = "code of runtime.memhash64";
    }
  }
  auto U = Mem.readU8(K.UseAESAddr);
  if (!U)
    return addContext(U.takeError(), "reading " + UseName);
  if (*U > 1)
    return makeError("{0} at {1} holds {2}, not a bool", UseName,
                     hex(K.UseAESAddr), unsigned(*U));
  K.UseAES = *U == 1;
  K.FallbackConstants = T.AesFallbackConstants;
  K.Arm64Hash32Seed32 = T.Arm64Hash32Seed32;
  const StringRef Arch = P.arch().goName();
  if (!K.UseAES) {
    // The fallback on every architecture: its key is runtime.hashkey.
    if (Error E = findHashKey(P, Pkg, K))
      return addContext(std::move(E), "the process hashed without AES ("
                                      "fallback hash): finding its key");
    std::array<uint8_t, 32> HK;
    if (Error E = Mem.read(K.HashKeyAddr, HK))
      return addContext(std::move(E), std::string("reading ") + Pkg + "hashkey");
    memcpy(K.HashKey.data(), HK.data(), 32);
    for (uint64_t W : K.HashKey)
      if (W == 0)
        return makeError("{0}hashkey at {1} holds a zero word although {2} "
                         "is false: not the key of the fallback hash",
                         Pkg, hex(K.HashKeyAddr), UseName);
    K.Algo = HashAlgo::Fallback;
    return K;
  }
  if (Error E = Mem.read(K.AesKeySchedAddr, K.AesKeySched))
    return addContext(std::move(E), "reading " + SchedName);
  bool AllZero = true;
  for (uint8_t B : K.AesKeySched)
    AllZero &= B == 0;
  if (AllZero)
    return makeError("{0} at {1} is all zero although {2} is set",
                     SchedName, hex(K.AesKeySchedAddr), UseName);
  if (Arch == "amd64")
    K.Algo = HashAlgo::AesAmd64;
  else if (Arch == "arm64")
    K.Algo = HashAlgo::AesArm64;
  else
    return makeError("the AES map hash of {0} is not implemented", Arch);
  return K;
}

// ---- type algorithms ------------------------------------------------------------

namespace {

bool isBlank(const StructFieldInfo &F) { return F.Name == "_"; }

bool isPaddedField(const TypeInfo &T, size_t I) {
  const auto &F = T.Fields[I];
  uint64_t End = I + 1 < T.Fields.size() ? T.Fields[I + 1].Offset : T.Size;
  return F.Offset + (F.Type ? F.Type->Size : 0) != End;
}

AlgKind algType(const TypeInfo &T, unsigned Depth) {
  if (Depth > 32 || T.Broken)
    return AlgKind::NoEq;
  switch (T.K) {
  case Kind::Bool:
  case Kind::Int:
  case Kind::Int8:
  case Kind::Int16:
  case Kind::Int32:
  case Kind::Int64:
  case Kind::Uint:
  case Kind::Uint8:
  case Kind::Uint16:
  case Kind::Uint32:
  case Kind::Uint64:
  case Kind::Uintptr:
  case Kind::Pointer:
  case Kind::Chan:
  case Kind::UnsafePointer:
    return AlgKind::Mem;
  case Kind::Float32:
    return AlgKind::Float32;
  case Kind::Float64:
    return AlgKind::Float64;
  case Kind::Complex64:
    return AlgKind::Complex64;
  case Kind::Complex128:
    return AlgKind::Complex128;
  case Kind::String:
    return AlgKind::String;
  case Kind::Interface:
    return T.isEmptyInterface() ? AlgKind::NilInter : AlgKind::Inter;
  case Kind::Array: {
    if (!T.Elem)
      return AlgKind::NoEq;
    AlgKind A = algType(*T.Elem, Depth + 1);
    if (A == AlgKind::Mem || A == AlgKind::NoEq)
      return A;
    if (T.Len == 0)
      return AlgKind::Mem;
    if (T.Len == 1)
      return A;
    return AlgKind::Special;
  }
  case Kind::Struct: {
    if (T.Fields.size() == 1 && !isBlank(T.Fields[0]))
      return T.Fields[0].Type ? algType(*T.Fields[0].Type, Depth + 1)
                              : AlgKind::NoEq;
    AlgKind Ret = AlgKind::Mem;
    for (size_t I = 0; I < T.Fields.size(); ++I) {
      const auto &F = T.Fields[I];
      if (!F.Type)
        return AlgKind::NoEq;
      AlgKind A = algType(*F.Type, Depth + 1);
      if (A == AlgKind::NoEq)
        return AlgKind::NoEq;
      if (A != AlgKind::Mem || isBlank(F) || isPaddedField(T, I))
        Ret = AlgKind::Special;
    }
    return Ret;
  }
  default:
    return AlgKind::NoEq;
  }
}

// go1.27 cmd/compile/internal/reflectdata.eqSigBuilder.
struct SigBuilder {
  std::string R;
  int64_t RegMem = 0, SkipMem = 0;
  unsigned Depth = 0;
  bool Bad = false;

  void flush(bool AtEnd) {
    if (RegMem > 0) {
      R += "M" + std::to_string(RegMem);
      RegMem = 0;
    }
    if (SkipMem > 0) {
      if (!AtEnd)
        R += "K" + std::to_string(SkipMem);
      SkipMem = 0;
    }
  }
  void regular(int64_t N) {
    if (RegMem == 0)
      flush(false);
    RegMem += N;
  }
  void skip(int64_t N) {
    if (SkipMem == 0)
      flush(false);
    SkipMem += N;
  }
  void one(char C) {
    flush(false);
    R += C;
  }
  void build(const TypeInfo &T) {
    if (++Depth > 32 || R.size() > 4096) {
      Bad = true;
      --Depth;
      return;
    }
    switch (T.K) {
    case Kind::Int8:
    case Kind::Uint8:
    case Kind::Bool:
      regular(1);
      break;
    case Kind::Int16:
    case Kind::Uint16:
      regular(2);
      break;
    case Kind::Int32:
    case Kind::Uint32:
      regular(4);
      break;
    case Kind::Int64:
    case Kind::Uint64:
      regular(8);
      break;
    case Kind::Int:
    case Kind::Uint:
    case Kind::Uintptr:
    case Kind::Pointer:
    case Kind::UnsafePointer:
    case Kind::Chan:
      regular(8);
      break;
    case Kind::Float32:
      one('F');
      break;
    case Kind::Float64:
      one('G');
      break;
    case Kind::Complex64:
      one('F');
      one('F');
      break;
    case Kind::Complex128:
      one('G');
      one('G');
      break;
    case Kind::String:
      one('S');
      break;
    case Kind::Interface:
      one(T.isEmptyInterface() ? 'E' : 'I');
      break;
    case Kind::Struct: {
      uint64_t Off = 0;
      for (const auto &F : T.Fields) {
        if (isBlank(F))
          continue;
        if (!F.Type) {
          Bad = true;
          break;
        }
        if (Off < F.Offset)
          skip(static_cast<int64_t>(F.Offset - Off));
        build(*F.Type);
        Off = F.Offset + F.Type->Size;
      }
      if (Off < T.Size)
        skip(static_cast<int64_t>(T.Size - Off));
      break;
    }
    case Kind::Array: {
      if (algType(T, 0) == AlgKind::Mem) {
        regular(static_cast<int64_t>(T.Size));
        break;
      }
      if (!T.Elem) {
        Bad = true;
        break;
      }
      const TypeInfo &ET = *T.Elem;
      int64_t N = static_cast<int64_t>(T.Len);
      if (N == 0)
        break;
      if (N == 1) {
        build(ET);
        break;
      }
      if (ET.Size == 0)
        break;
      const int64_t UnrollSize = 32;
      int64_t Unroll = std::max<int64_t>(1, UnrollSize / static_cast<int64_t>(ET.Size));
      while (N % Unroll != 0 && !Bad) {
        build(ET);
        --N;
      }
      if (N == 0)
        break;
      if (N == Unroll) {
        for (int64_t I = 0; I < N && !Bad; ++I)
          build(ET);
        break;
      }
      flush(false);
      R += "[" + std::to_string(N / Unroll);
      for (int64_t I = 0; I < Unroll && !Bad; ++I)
        build(ET);
      flush(false);
      R += "]";
      break;
    }
    default:
      Bad = true;
    }
    --Depth;
  }
};

} // namespace

AlgKind goAlgType(const TypeInfo &T) { return algType(T, 0); }

std::string goEqSignature(const TypeInfo &T) {
  SigBuilder B;
  B.build(T);
  B.flush(true);
  return B.Bad ? std::string() : B.R;
}

// ---- hash plans -------------------------------------------------------------------

struct KeyHasher::Op {
  enum Kind { Mem, Mem32, Mem64, Str, Eface, Iface, F32, F64, Loop } K;
  uint64_t Off = 0, Size = 0;     // Mem: bytes
  uint64_t Count = 0, Stride = 0; // Loop
  std::vector<Op> Body;           // Loop: at Off + i*Stride
};

KeyHasher::~KeyHasher() = default;
KeyHasher::KeyHasher(KeyHasher &&) = default;
KeyHasher &KeyHasher::operator=(KeyHasher &&) = default;

namespace {

using Op = KeyHasher::Op;

constexpr uint64_t C0 = 33054211828000289ull;
constexpr uint64_t C1 = 23344194077549503ull;

// One op on a part of a key at Off (Mem: Size bytes).
Op leaf(Op::Kind K, uint64_t Off, uint64_t Size = 0) {
  return {K, Off, Size, 0, 0, {}};
}
// A run of plain memory hashed as memhash32/memhash64 does for 4 and 8
// bytes (genhash's top level; go1.27 signatures), memhash(Size) otherwise.
Op memRun(uint64_t Off, uint64_t Size) {
  return Size == 4   ? leaf(Op::Mem32, Off)
         : Size == 8 ? leaf(Op::Mem64, Off)
                     : leaf(Op::Mem, Off, Size);
}

// The runtime's hash of a leaf type, shared by both planners: its alg
// kind, its letter in a go1.27 equality signature (0: none), the op on
// each of its parts and their size, and the function's name.
struct LeafHash {
  AlgKind A;
  char Letter;
  Op::Kind K;
  unsigned Parts;
  uint64_t PartSize;
  const char *Name;
  uint64_t size() const { return Parts * PartSize; }
  void push(uint64_t Off, std::vector<Op> &Out) const {
    for (unsigned I = 0; I < Parts; ++I)
      Out.push_back(leaf(K, Off + I * PartSize));
  }
};
constexpr LeafHash LeafHashes[] = {
    {AlgKind::String, 'S', Op::Str, 1, 16, "strhash"},
    {AlgKind::Inter, 'I', Op::Iface, 1, 16, "interhash"},
    {AlgKind::NilInter, 'E', Op::Eface, 1, 16, "nilinterhash"},
    {AlgKind::Float32, 'F', Op::F32, 1, 4, "f32hash"},
    {AlgKind::Float64, 'G', Op::F64, 1, 8, "f64hash"},
    {AlgKind::Complex64, 0, Op::F32, 2, 4, "c64hash"},
    {AlgKind::Complex128, 0, Op::F64, 2, 8, "c128hash"},
};
const LeafHash *leafHashOf(AlgKind A) {
  for (const LeafHash &L : LeafHashes)
    if (L.A == A)
      return &L;
  return nullptr;
}
const LeafHash *leafHashOfLetter(char C) {
  for (const LeafHash &L : LeafHashes)
    if (L.Letter && L.Letter == C)
      return &L;
  return nullptr;
}
// The name of the runtime function hashing Size bytes of plain memory.
std::string memHashName(uint64_t Size) {
  switch (Size) {
  case 1: return "memhash8";
  case 2: return "memhash16";
  case 4: return "memhash32";
  case 8: return "memhash64";
  case 16: return "memhash128";
  }
  return "memhash_varlen(" + std::to_string(Size) + ")";
}

// go1.19-1.26: reflectdata.genhash / hashFunc / hashfor.
struct ClassicPlanner {
  std::vector<std::string> Names; // for the description
  unsigned Depth = 0;

  Error memOp(std::vector<Op> &Out, uint64_t Off, uint64_t Size) {
    Out.push_back(leaf(Op::Mem, Off, Size));
    Names.push_back("memhash(" + std::to_string(Size) + ")");
    return Error::success();
  }
  // hashfor: a runtime function, or the generated hashFunc of T.
  Error hashFor(const TypeInfo &T, uint64_t Off, std::vector<Op> &Out) {
    const AlgKind A = algType(T, 0);
    if (A == AlgKind::Mem)
      return makeError("hashfor of plain memory type {0}", typeName(T));
    if (const LeafHash *L = leafHashOf(A)) {
      L->push(Off, Out);
      Names.push_back(L->Name);
      return Error::success();
    }
    return hashFunc(T, Off, Out); // NoEq, Special
  }
  Error hashFunc(const TypeInfo &T, uint64_t Off, std::vector<Op> &Out) {
    if (++Depth > 32)
      return makeError("key type nests too deeply");
    struct Leave {
      unsigned &D;
      ~Leave() { --D; }
    } L{Depth};
    if (T.K == Kind::Array) {
      if (!T.Elem)
        return makeError("array type without element type");
      Op Loop{Op::Loop, Off, 0, T.Len, T.Elem->Size, {}};
      Names.push_back("for " + std::to_string(T.Len) + " elements {");
      if (Error E = hashFor(*T.Elem, 0, Loop.Body))
        return E;
      Names.push_back("}");
      Out.push_back(std::move(Loop));
      return Error::success();
    }
    if (T.K != Kind::Struct)
      return makeError("no hash function for {0}", typeName(T));
    const auto &Fs = T.Fields;
    for (size_t I = 0; I < Fs.size();) {
      const auto &F = Fs[I];
      if (isBlank(F)) {
        ++I;
        continue;
      }
      if (!F.Type)
        return makeError("field {0} without type", F.Name);
      if (algType(*F.Type, 0) != AlgKind::Mem) {
        if (Error E = hashFor(*F.Type, Off + F.Offset, Out))
          return E;
        ++I;
        continue;
      }
      // compare.Memrun (amd64: Arch.Alignment is 1, no alignment stop).
      size_t Next = I;
      for (;;) {
        ++Next;
        if (Next == Fs.size())
          break;
        if (isPaddedField(T, Next - 1))
          break;
        const auto &G = Fs[Next];
        if (isBlank(G) || !G.Type || algType(*G.Type, 0) != AlgKind::Mem)
          break;
      }
      const auto &Last = Fs[Next - 1];
      uint64_t Size = Last.Offset + (Last.Type ? Last.Type->Size : 0) - F.Offset;
      if (Error E = memOp(Out, Off + F.Offset, Size))
        return E;
      I = Next;
    }
    return Error::success();
  }
  // genhash: the closure stored in the map type.
  Error top(const TypeInfo &T, std::vector<Op> &Out, std::string &Desc) {
    AlgKind A = algType(T, 0);
    switch (A) {
    case AlgKind::NoEq:
      return makeError("key type {0} is not comparable", typeName(T));
    case AlgKind::Mem:
      if (T.Size == 0) {
        Desc = "memhash0";
        return Error::success();
      }
      Out.push_back(memRun(0, T.Size));
      Desc = memHashName(T.Size);
      return Error::success();
    case AlgKind::Special: {
      if (Error E = hashFunc(T, 0, Out))
        return E;
      Desc = "generated:";
      for (auto &N : Names)
        Desc += " " + N;
      return Error::success();
    }
    default:
      if (Error E = hashFor(T, 0, Out))
        return E;
      Desc = Names.empty() ? "?" : Names.front();
      return Error::success();
    }
  }
};

// go1.27: execute an equality signature as hashFunc(sig) does.
Expected<std::vector<Op>> planFromSignature(StringRef Sig, uint64_t &Off,
                                            unsigned Depth) {
  std::vector<Op> Out;
  if (Depth > 16)
    return makeError("signature nests too deeply");
  auto Num = [&](StringRef &S) -> Expected<uint64_t> {
    size_t N = 0;
    while (N < S.size() && isdigit(static_cast<unsigned char>(S[N])))
      ++N;
    uint64_t V;
    if (N == 0 || S.substr(0, N).getAsInteger(10, V))
      return makeError("bad number in signature at '{0}'", S);
    S = S.drop_front(N);
    return V;
  };
  StringRef S = Sig;
  while (!S.empty()) {
    char C = S.front();
    S = S.drop_front();
    if (const LeafHash *L = leafHashOfLetter(C)) {
      L->push(Off, Out);
      Off += L->size();
      continue;
    }
    switch (C) {
    case 'M': {
      auto N = Num(S);
      if (!N)
        return N.takeError();
      Out.push_back(memRun(Off, *N));
      Off += *N;
      break;
    }
    case 'K': {
      auto N = Num(S);
      if (!N)
        return N.takeError();
      Off += *N;
      break;
    }
    case 'A': { // alignment prefix (not on amd64): ignored as hashFunc does
      auto N = Num(S);
      if (!N)
        return N.takeError();
      break;
    }
    case '[': {
      auto N = Num(S);
      if (!N)
        return N.takeError();
      size_t I = 0;
      int D = 1;
      for (; I < S.size(); ++I) {
        if (S[I] == '[')
          ++D;
        else if (S[I] == ']' && --D == 0)
          break;
      }
      if (I == S.size())
        return makeError("unbalanced brackets in signature {0}", Sig);
      uint64_t ElemOff = 0;
      auto Body = planFromSignature(S.substr(0, I), ElemOff, Depth + 1);
      if (!Body)
        return Body.takeError();
      Out.push_back({Op::Loop, Off, 0, *N, ElemOff, std::move(*Body)});
      Off += *N * ElemOff;
      S = S.drop_front(I + 1);
      break;
    }
    default:
      return makeError("unknown signature letter '{0}' in {1}", C, Sig);
    }
  }
  return Out;
}

// A key's bytes as they sit in memory, rebuilt from a decoded value.
// Strings and interfaces are kept beside the bytes, by offset.
struct KeyImage {
  std::vector<uint8_t> Bytes;
  std::map<uint64_t, const GoValue *> Strings, Ifaces;
};

Error buildImage(const GoValue &V, const TypeInfo &T, uint64_t Off,
                 KeyImage &Img, unsigned Depth) {
  if (Depth > 32)
    return makeError("key value nests too deeply");
  if (V.isError())
    return makeError("key value unreadable at {0}: {1}", hex(V.ErrorAddr),
                     V.ErrorText);
  if (V.VK == GoValue::VKind::TooDeep)
    return makeError("key value cut by the decode limits");
  if (Off + T.Size > Img.Bytes.size())
    return makeError("key value larger than its type");
  auto Put = [&](uint64_t X, uint64_t Size) {
    for (uint64_t I = 0; I < Size && I < 8; ++I)
      Img.Bytes[Off + I] = static_cast<uint8_t>(X >> (8 * I));
  };
  using VK = GoValue::VKind;
  switch (T.K) {
  case Kind::Bool:
    if (V.VK != VK::Bool)
      break;
    Img.Bytes[Off] = V.B;
    return Error::success();
  case Kind::Int:
  case Kind::Int8:
  case Kind::Int16:
  case Kind::Int32:
  case Kind::Int64:
    if (V.VK != VK::Int)
      break;
    Put(static_cast<uint64_t>(V.I), T.Size);
    return Error::success();
  case Kind::Uint:
  case Kind::Uint8:
  case Kind::Uint16:
  case Kind::Uint32:
  case Kind::Uint64:
  case Kind::Uintptr:
    if (V.VK != VK::Uint)
      break;
    Put(V.U, T.Size);
    return Error::success();
  case Kind::Float32:
  case Kind::Float64:
  case Kind::Complex64:
  case Kind::Complex128: {
    if (V.VK != VK::Float && V.VK != VK::Complex)
      break;
    bool F32 = T.K == Kind::Float32 || T.K == Kind::Complex64;
    auto Bits = [&](double D) -> uint64_t {
      return F32 ? llvm::bit_cast<uint32_t>(static_cast<float>(D))
                 : llvm::bit_cast<uint64_t>(D);
    };
    Put(Bits(V.F), F32 ? 4 : 8);
    if (T.K == Kind::Complex64 || T.K == Kind::Complex128) {
      uint64_t Part = F32 ? 4 : 8;
      uint64_t X = Bits(V.Imag);
      for (uint64_t I = 0; I < Part; ++I)
        Img.Bytes[Off + Part + I] = static_cast<uint8_t>(X >> (8 * I));
    }
    return Error::success();
  }
  case Kind::String:
    if (V.VK != VK::String)
      break;
    if (V.Truncated || V.Str.size() != V.Len)
      return makeError("string key cut at {0} of {1} bytes", V.Str.size(),
                       V.Len);
    Img.Strings[Off] = &V;
    Put(V.Ptr, 8);
    return Error::success();
  case Kind::Pointer:
  case Kind::UnsafePointer:
  case Kind::Chan:
  case Kind::Map:
  case Kind::Func:
    Put(V.Ptr, 8);
    return Error::success();
  case Kind::Array: {
    if (V.VK != VK::Array || !T.Elem)
      break;
    if (V.Truncated || V.Elems.size() != T.Len)
      return makeError("array key cut at {0} of {1} elements", V.Elems.size(),
                       T.Len);
    for (size_t I = 0; I < V.Elems.size(); ++I)
      if (Error E = buildImage(V.Elems[I], *T.Elem, Off + I * T.Elem->Size,
                               Img, Depth + 1))
        return E;
    return Error::success();
  }
  case Kind::Struct: {
    if (V.VK != VK::Struct || V.Fields.size() != T.Fields.size())
      break;
    for (size_t I = 0; I < T.Fields.size(); ++I) {
      const auto &F = T.Fields[I];
      if (!F.Type || !V.Fields[I].Value)
        return makeError("struct field {0} missing", F.Name);
      if (Error E = buildImage(*V.Fields[I].Value, *F.Type, Off + F.Offset,
                               Img, Depth + 1))
        return E;
    }
    return Error::success();
  }
  case Kind::Interface:
    if (V.VK != VK::Interface)
      break;
    if (V.DynType && !V.Dynamic)
      return makeError("interface key without its dynamic value");
    Img.Ifaces[Off] = &V;
    Put(V.DynType ? V.DynType->Addr : 0, 8);
    return Error::success();
  default:
    break;
  }
  return makeError("key value of kind {0} does not fit type {1}",
                   static_cast<int>(V.VK), typeName(T));
}

struct Runner {
  const HashKeys &K;

  uint64_t mem(const KeyImage &I, uint64_t Off, uint64_t Size, uint64_t H) {
    return memHash(K, ArrayRef<uint8_t>(I.Bytes).slice(Off, Size), H);
  }
  uint64_t word(const KeyImage &I, uint64_t Off, unsigned Size) {
    uint64_t V = 0;
    memcpy(&V, I.Bytes.data() + Off, Size);
    return V;
  }
  Expected<uint64_t> f32(const KeyImage &I, uint64_t Off, uint64_t H) {
    float F = llvm::bit_cast<float>(static_cast<uint32_t>(word(I, Off, 4)));
    if (F == 0)
      return C1 * (C0 ^ H);
    if (std::isnan(F))
      return makeError("NaN key: Go hashes NaN with a random value");
    return mem(I, Off, 4, H);
  }
  Expected<uint64_t> f64(const KeyImage &I, uint64_t Off, uint64_t H) {
    double F = llvm::bit_cast<double>(word(I, Off, 8));
    if (F == 0)
      return C1 * (C0 ^ H);
    if (std::isnan(F))
      return makeError("NaN key: Go hashes NaN with a random value");
    return mem(I, Off, 8, H);
  }
  Expected<uint64_t> str(const KeyImage &I, uint64_t Off, uint64_t H) {
    auto It = I.Strings.find(Off);
    if (It == I.Strings.end())
      return makeError("no string at key offset {0}", Off);
    const std::string &S = It->second->Str;
    return memHash(
        K, ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(S.data()), S.size()),
        H);
  }
  // interhash / nilinterhash (identical once the dynamic type is known).
  Expected<uint64_t> iface(const KeyImage &I, uint64_t Off, uint64_t H,
                           unsigned Depth) {
    auto It = I.Ifaces.find(Off);
    if (It == I.Ifaces.end())
      return makeError("no interface at key offset {0}", Off);
    const GoValue &V = *It->second;
    if (!V.DynType)
      return H;
    if (!V.DynType->Equal)
      return makeError("hash of unhashable type {0}", typeName(*V.DynType));
    auto R = typeHash(*V.DynType, *V.Dynamic, H ^ C0, Depth + 1);
    if (!R)
      return R.takeError();
    return C1 * *R;
  }
  Expected<uint64_t> typeHash(const TypeInfo &T, const GoValue &V, uint64_t H,
                              unsigned Depth) {
    if (T.Size > (1u << 20))
      return makeError("type {0} of {1} bytes is too large to hash",
                       typeName(T), T.Size);
    KeyImage Img;
    Img.Bytes.assign(T.Size, 0);
    if (Error E = buildImage(V, T, 0, Img, Depth))
      return E;
    return typeHashAt(T, Img, 0, H, Depth);
  }
  // runtime.typehash over the image.
  Expected<uint64_t> typeHashAt(const TypeInfo &T, const KeyImage &I,
                                uint64_t Off, uint64_t H, unsigned Depth) {
    if (Depth > 32)
      return makeError("key nests too deeply");
    if (T.TFlag & TFlagRegularMemory) {
      if (T.Size == 4)
        return memHash32(K, static_cast<uint32_t>(word(I, Off, 4)), H);
      if (T.Size == 8)
        return memHash64(K, word(I, Off, 8), H);
      return mem(I, Off, T.Size, H);
    }
    switch (T.K) {
    case Kind::Float32:
      return f32(I, Off, H);
    case Kind::Float64:
      return f64(I, Off, H);
    case Kind::Complex64: {
      auto A = f32(I, Off, H);
      if (!A)
        return A;
      return f32(I, Off + 4, *A);
    }
    case Kind::Complex128: {
      auto A = f64(I, Off, H);
      if (!A)
        return A;
      return f64(I, Off + 8, *A);
    }
    case Kind::String:
      return str(I, Off, H);
    case Kind::Interface:
      return iface(I, Off, H, Depth);
    case Kind::Array:
      if (!T.Elem)
        break;
      for (uint64_t E = 0; E < T.Len; ++E) {
        auto R = typeHashAt(*T.Elem, I, Off + E * T.Elem->Size, H, Depth + 1);
        if (!R)
          return R;
        H = *R;
      }
      return H;
    case Kind::Struct:
      for (const auto &F : T.Fields) {
        if (isBlank(F))
          continue;
        if (!F.Type)
          break;
        auto R = typeHashAt(*F.Type, I, Off + F.Offset, H, Depth + 1);
        if (!R)
          return R;
        H = *R;
      }
      return H;
    default:
      break;
    }
    return makeError("hash of unhashable type {0}", typeName(T));
  }
  Expected<uint64_t> run(const std::vector<Op> &Ops, const KeyImage &I,
                         uint64_t Base, uint64_t H) {
    for (const Op &O : Ops) {
      uint64_t Off = Base + O.Off;
      Expected<uint64_t> R = H;
      switch (O.K) {
      case Op::Mem:
        if (Off + O.Size > I.Bytes.size())
          return makeError("hash run past the key");
        R = mem(I, Off, O.Size, H);
        break;
      case Op::Mem32:
        R = memHash32(K, static_cast<uint32_t>(word(I, Off, 4)), H);
        break;
      case Op::Mem64:
        R = memHash64(K, word(I, Off, 8), H);
        break;
      case Op::Str:
        R = str(I, Off, H);
        break;
      case Op::Eface:
      case Op::Iface:
        R = iface(I, Off, H, 0);
        break;
      case Op::F32:
        R = f32(I, Off, H);
        break;
      case Op::F64:
        R = f64(I, Off, H);
        break;
      case Op::Loop:
        for (uint64_t E = 0; E < O.Count; ++E) {
          auto X = run(O.Body, I, Off + E * O.Stride, H);
          if (!X)
            return X;
          H = *X;
        }
        continue;
      }
      if (!R)
        return R;
      H = *R;
    }
    return H;
  }
};

} // namespace

namespace {
// genhashSig (go1.27): the runtime closures for whole signatures.
void runtimeFnOfSig(StringRef Sig, std::string &Fn,
                    std::optional<uint64_t> &Varlen) {
  static const std::pair<const char *, const char *> Fixed[] = {
      {"", "memhash0"},   {"M1", "memhash8"},   {"M2", "memhash16"},
      {"M4", "memhash32"}, {"M8", "memhash64"}, {"M16", "memhash128"},
      {"S", "strhash"},   {"I", "interhash"},   {"E", "nilinterhash"},
      {"F", "f32hash"},   {"G", "f64hash"},     {"FF", "c64hash"},
      {"GG", "c128hash"}};
  for (auto &[S, F] : Fixed)
    if (Sig == S) {
      Fn = std::string("runtime.") + F;
      return;
    }
  uint64_t N;
  if (Sig.startswith("M") && !Sig.drop_front().getAsInteger(10, N)) {
    Fn = "runtime.memhash_varlen";
    Varlen = N;
  }
}
} // namespace

Error KeyHasher::checkFunction(StringRef FuncName,
                               std::optional<uint64_t> Size) const {
  if (!RuntimeFn.empty()) {
    if (FuncName != RuntimeFn)
      return makeError("the map type's hasher is {0}, expected {1} for key "
                       "type {2}",
                       FuncName, RuntimeFn, typeName(*KeyT));
    if (VarlenSize && Size != VarlenSize)
      return makeError("the map type's memhash_varlen closure has size {0}, "
                       "expected {1}",
                       Size ? std::to_string(*Size) : "?", *VarlenSize);
    return Error::success();
  }
  // Generated: type..hash.T (go1.19), type:.hash.T (go1.21+), and on
  // go1.27 type:.hash.<signature>.
  if (!FuncName.startswith("type..hash.") && !FuncName.startswith("type:.hash."))
    return makeError("the map type's hasher is {0}, expected a generated "
                     "hash function for key type {1}",
                     FuncName, typeName(*KeyT));
  if (!Sig.empty() && FuncName != "type:.hash." + Sig)
    return makeError("the map type's hasher is {0}, expected type:.hash.{1}",
                     FuncName, Sig);
  return Error::success();
}

Expected<KeyHasher> KeyHasher::create(const TypeInfo &KeyType,
                                      const GoVersion &V, const HashKeys &K) {
  if (!K.Algo)
    return makeError("the program's map hash algorithm is not known");
  if (K.UseAES != (*K.Algo != HashAlgo::Fallback))
    return makeError("useAeshash is {0} but the hash algorithm is {1}",
                     K.UseAES ? "true" : "false", hashAlgoName(*K.Algo));
  KeyHasher H;
  H.KeyT = &KeyType;
  H.Keys = std::make_shared<HashKeys>(K);
  if (traitsOf(V).KeyHashBySignature) {
    if (goAlgType(KeyType) == AlgKind::NoEq)
      return makeError("key type {0} is not comparable", typeName(KeyType));
    H.Sig = goEqSignature(KeyType);
    if (H.Sig.empty() && KeyType.Size != 0)
      return makeError("no equality signature for {0}", typeName(KeyType));
    uint64_t Off = 0;
    auto Ops = planFromSignature(H.Sig, Off, 0);
    if (!Ops)
      return Ops.takeError();
    H.Ops = std::move(*Ops);
    H.Desc = "signature " + (H.Sig.empty() ? std::string("(empty)") : H.Sig);
    runtimeFnOfSig(H.Sig, H.RuntimeFn, H.VarlenSize);
  } else {
    ClassicPlanner CP;
    if (Error E = CP.top(KeyType, H.Ops, H.Desc))
      return E;
    if (!StringRef(H.Desc).startswith("generated")) {
      uint64_t N;
      StringRef D = H.Desc;
      if (D.consume_front("memhash_varlen(") && D.consume_back(")") &&
          !D.getAsInteger(10, N)) {
        H.RuntimeFn = "runtime.memhash_varlen";
        H.VarlenSize = N;
      } else {
        H.RuntimeFn = "runtime." + H.Desc;
      }
    }
  }
  return H;
}

// Keys (and dynamic values of interface keys) larger than this are not
// hashed: no real key is that big, a damaged type descriptor can be.
constexpr uint64_t MaxKeyBytes = 1 << 20;

Expected<uint64_t> KeyHasher::hash(const GoValue &Key, uint64_t Seed) const {
  if (KeyT->Size > MaxKeyBytes)
    return makeError("key type {0} of {1} bytes is too large to hash",
                     typeName(*KeyT), KeyT->Size);
  KeyImage Img;
  Img.Bytes.assign(KeyT->Size, 0);
  if (Error E = buildImage(Key, *KeyT, 0, Img, 0))
    return E;
  Runner R{*Keys};
  return R.run(Ops, Img, 0, Seed);
}

Expected<uint64_t> goTypeHash(const HashKeys &K, const TypeInfo &T,
                              const GoValue &V, uint64_t Seed) {
  Runner R{K};
  return R.typeHash(T, V, Seed, 0);
}

} // namespace ms
