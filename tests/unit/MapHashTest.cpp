// The map hash: the AES round (FIPS-197, and the CPU's AESENC when it has
// one), the runtime's memhash family against vectors printed by a Go
// program (tests/data/maps/aeshash_vectors.go: every length branch of
// aeshashbody, which the corpus keys - all short - do not reach), and the
// per-version hasher plans on hand-built types. MapStateTest checks the
// whole chain on every key of every corpus core.
#include "mapfault/MapHash.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <llvm/ADT/StringExtras.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

using namespace ms;

namespace {

AesBlock fromHex(llvm::StringRef H) {
  AesBlock B{};
  std::string Bytes = llvm::fromHex(H);
  memcpy(B.data(), Bytes.data(), std::min<size_t>(16, Bytes.size()));
  return B;
}

TEST(MapHash, AesRoundFips197) {
  // FIPS-197 appendix B: start of round 1, round key 1, start of round 2.
  AesBlock S = fromHex("193de3bea0f4e22b9ac68d2ae9f84808");
  AesBlock K = fromHex("a0fafe1788542cb123a339392a6c7605");
  EXPECT_EQ(aesEncRound(S, K), fromHex("a49c7ff2689f352b6b5bea43026a5049"));
}

#if defined(__x86_64__)
__attribute__((target("aes,sse2"))) AesBlock hwRound(const AesBlock &S,
                                                      const AesBlock &K) {
  __m128i X = _mm_loadu_si128(reinterpret_cast<const __m128i *>(S.data()));
  __m128i Y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(K.data()));
  AesBlock O;
  _mm_storeu_si128(reinterpret_cast<__m128i *>(O.data()), _mm_aesenc_si128(X, Y));
  return O;
}

TEST(MapHash, AesRoundMatchesCpu) {
  unsigned A, B, C, D;
  if (!__get_cpuid(1, &A, &B, &C, &D) || !(C & bit_AES))
    GTEST_SKIP() << "no AES-NI on this CPU";
  uint64_t X = 0x243f6a8885a308d3;
  for (int I = 0; I < 2000; ++I) {
    AesBlock S, K;
    for (auto *Blk : {&S, &K})
      for (auto &Byte : *Blk) {
        X ^= X << 13;
        X ^= X >> 7;
        X ^= X << 17;
        Byte = static_cast<uint8_t>(X);
      }
    ASSERT_EQ(aesEncRound(S, K), hwRound(S, K)) << "iteration " << I;
  }
}
#endif

uint64_t num(llvm::StringRef S) {
  uint64_t V = 0;
  if (S.consume_front("0x"))
    EXPECT_FALSE(S.getAsInteger(16, V)) << S.str();
  else
    EXPECT_FALSE(S.getAsInteger(10, V)) << S.str();
  return V;
}

// A line of a vector file: its text and its space-separated fields.
struct VectorLine {
  std::string Text;
  std::vector<std::string> F;
};
// The lines of a vector file, without blank lines and '#' comments.
std::vector<VectorLine> vectorLines(std::istream &In) {
  std::vector<VectorLine> Out;
  std::string Line;
  while (std::getline(In, Line)) {
    if (Line.empty() || Line[0] == '#')
      continue;
    llvm::SmallVector<llvm::StringRef, 6> Fields;
    llvm::StringRef(Line).split(Fields, ' ');
    VectorLine L{Line, {}};
    for (llvm::StringRef Field : Fields)
      L.F.push_back(Field.str());
    Out.push_back(std::move(L));
  }
  return Out;
}

TEST(MapHash, RuntimeVectors) {
  std::ifstream In(std::string(MS_TEST_DATA_DIR) + "/maps/aeshash-vectors.txt");
  ASSERT_TRUE(In.good());
  HashKeys K;
  K.UseAES = true;
  std::vector<uint8_t> Pattern(8192);
  for (size_t I = 0; I < Pattern.size(); ++I)
    Pattern[I] = static_cast<uint8_t>(I * 131 + 7);
  int N = 0, Long = 0;
  for (const VectorLine &VL : vectorLines(In)) {
    const auto &F = VL.F;
    const std::string &Line = VL.Text;
    if (F[0] == "aeskeysched") {
      std::string B = llvm::fromHex(F[1]);
      ASSERT_EQ(B.size(), 128u);
      memcpy(K.AesKeySched.data(), B.data(), 128);
      continue;
    }
    ++N;
    if (F[0] == "memhash") {
      ASSERT_EQ(F.size(), 5u);
      uint64_t Off = num(F[1]), Len = num(F[2]);
      Long += Len > 32;
      EXPECT_EQ(aesMemHash(K, llvm::ArrayRef<uint8_t>(Pattern).slice(Off, Len),
                           num(F[3])),
                num(F[4]))
          << Line;
    } else if (F[0] == "memhash32") {
      EXPECT_EQ(aesMemHash32(K, static_cast<uint32_t>(num(F[1])), num(F[2])),
                num(F[3]))
          << Line;
    } else if (F[0] == "memhash64") {
      EXPECT_EQ(aesMemHash64(K, num(F[1]), num(F[2])), num(F[3])) << Line;
    } else {
      ADD_FAILURE() << "unknown line " << Line;
    }
  }
  EXPECT_GT(N, 600);
  EXPECT_GT(Long, 300);
}

// ---- hasher plans on hand-built types -------------------------------------------

struct Types {
  std::vector<std::unique_ptr<TypeInfo>> Own;
  TypeInfo *make(Kind K, uint64_t Size, llvm::StringRef Name, bool Regular) {
    auto T = std::make_unique<TypeInfo>();
    T->K = K;
    T->Size = Size;
    T->Name = Name.str();
    T->Addr = 0x1000 + 0x100 * Own.size();
    T->Equal = 1;
    if (Regular)
      T->TFlag |= TFlagRegularMemory;
    Own.push_back(std::move(T));
    return Own.back().get();
  }
  TypeInfo *Int64 = make(Kind::Int64, 8, "int64", true);
  TypeInfo *Int32 = make(Kind::Int32, 4, "int32", true);
  TypeInfo *Int = make(Kind::Int, 8, "int", true);
  TypeInfo *Bool = make(Kind::Bool, 1, "bool", true);
  TypeInfo *F64 = make(Kind::Float64, 8, "float64", false);
  TypeInfo *Str = make(Kind::String, 16, "string", false);
  TypeInfo *Any = make(Kind::Interface, 16, "interface {}", false);

  TypeInfo *strukt(llvm::StringRef Name,
                   std::vector<std::pair<std::string, const TypeInfo *>> Fs) {
    uint64_t Off = 0, Align = 1;
    bool Regular = true;
    auto *T = make(Kind::Struct, 0, Name, false);
    for (auto &[N, FT] : Fs) {
      uint64_t A = std::min<uint64_t>(8, FT->Size ? std::bit_floor(FT->Size) : 1);
      if (FT->K == Kind::String || FT->K == Kind::Interface)
        A = 8;
      Off = (Off + A - 1) / A * A;
      T->Fields.push_back({N, FT, Off, false, true, ""});
      Off += FT->Size;
      Align = std::max(Align, A);
      Regular &= (FT->TFlag & TFlagRegularMemory) != 0;
    }
    T->Size = (Off + Align - 1) / Align * Align;
    if (Regular && T->Size == Off)
      T->TFlag |= TFlagRegularMemory;
    return T;
  }
  // main.recKey{Name string; ID int32; Flag bool; Score float64}.
  TypeInfo *recKey() {
    return strukt(
        "main.recKey",
        {{"Name", Str}, {"ID", Int32}, {"Flag", Bool}, {"Score", F64}});
  }
  TypeInfo *array(const TypeInfo *E, uint64_t N) {
    auto *T = make(Kind::Array, E->Size * N, "[N]", (E->TFlag & TFlagRegularMemory) != 0);
    T->Elem = E;
    T->Len = N;
    return T;
  }
};

GoVersion ver(int Minor) {
  GoVersion V;
  V.Major = 1;
  V.Minor = Minor;
  return V;
}

HashKeys testKeys() {
  HashKeys K;
  K.UseAES = true;
  K.Algo = HashAlgo::AesAmd64;
  for (size_t I = 0; I < K.AesKeySched.size(); ++I)
    K.AesKeySched[I] = static_cast<uint8_t>(I * 37 + 11);
  return K;
}

// A value of kind K and type T; the caller fills in its payload.
GoValue kindV(GoValue::VKind K, const TypeInfo *T) {
  GoValue V;
  V.VK = K;
  V.Type = T;
  return V;
}
// The same with the payload member Slot set to Val.
template <typename M>
GoValue valueV(GoValue::VKind K, const TypeInfo *T, M GoValue::*Slot, M Val) {
  GoValue V = kindV(K, T);
  V.*Slot = std::move(Val);
  return V;
}
GoValue intV(const TypeInfo *T, int64_t I) {
  return valueV(GoValue::VKind::Int, T, &GoValue::I, I);
}
GoValue strV(const TypeInfo *T, const std::string &S) {
  GoValue V = valueV(GoValue::VKind::String, T, &GoValue::Str, S);
  V.Len = S.size();
  return V;
}
GoValue floatV(const TypeInfo *T, double F) {
  return valueV(GoValue::VKind::Float, T, &GoValue::F, F);
}
template <typename... Vs> GoValue structV(const TypeInfo *T, Vs &&...Fs) {
  GoValue V = kindV(GoValue::VKind::Struct, T);
  size_t I = 0;
  auto Add = [&](GoValue &&X) {
    GoValue::Field F;
    F.Name = T->Fields[I++].Name;
    F.Value = std::make_unique<GoValue>(std::move(X));
    V.Fields.push_back(std::move(F));
  };
  (Add(std::forward<Vs>(Fs)), ...);
  return V;
}
GoValue boolV(bool B) {
  return valueV(GoValue::VKind::Bool, nullptr, &GoValue::B, B);
}

TEST(MapHash, Signatures) {
  Types T;
  // main.recKey{Name string; ID int32; Flag bool; Score float64}: the
  // name the go1.27 corpus executables give its hash function.
  auto *Rec = T.recKey();
  EXPECT_EQ(goEqSignature(*Rec), "SM5K3G");
  EXPECT_EQ(goAlgType(*Rec), AlgKind::Special);
  EXPECT_EQ(goEqSignature(*T.Int64), "M8");
  EXPECT_EQ(goEqSignature(*T.Any), "E");
  // Runs merge across nested structs; trailing padding is not emitted.
  auto *Inner = T.strukt("inner", {{"A", T.Int32}, {"B", T.Bool}});
  auto *Outer = T.strukt("outer", {{"X", Inner}, {"S", T.Str}, {"Y", T.Int64}});
  EXPECT_EQ(goEqSignature(*Outer), "M5K3SM8");
  // Arrays: plain memory as one run, others unrolled (32 bytes a loop).
  EXPECT_EQ(goEqSignature(*T.array(T.Int32, 6)), "M24");
  EXPECT_EQ(goEqSignature(*T.array(T.Str, 3)), "SSS");
  EXPECT_EQ(goEqSignature(*T.array(T.Str, 8)), "[4SS]");
  EXPECT_EQ(goEqSignature(*T.array(T.F64, 9)), "G[2GGGG]");
  // One-field struct and single-element array take their element's alg.
  EXPECT_EQ(goAlgType(*T.strukt("w", {{"F", T.F64}})), AlgKind::Float64);
  EXPECT_EQ(goAlgType(*T.array(T.Str, 1)), AlgKind::String);
  EXPECT_EQ(goAlgType(*T.strukt("p", {{"X", T.Int32}, {"Y", T.Int32}})),
            AlgKind::Mem);
  EXPECT_EQ(goAlgType(*Inner), AlgKind::Special); // padded
}

TEST(MapHash, PlansPerVersion) {
  Types T;
  HashKeys K = testKeys();
  auto *Rec = T.recKey();
  auto Old = KeyHasher::create(*Rec, ver(22), K);
  ASSERT_TRUE(static_cast<bool>(Old)) << toString(Old.takeError());
  EXPECT_EQ(Old->description(), "generated: strhash memhash(5) f64hash");
  auto New = KeyHasher::create(*Rec, ver(27), K);
  ASSERT_TRUE(static_cast<bool>(New));
  EXPECT_EQ(New->signature(), "SM5K3G");

  GoValue V = structV(Rec, strV(T.Str, "widget#7"), intV(T.Int32, -12),
                      boolV(true), floatV(T.F64, 2.5));
  const uint64_t Seed = 0x1234;
  // By hand: strhash, then memhash of ID+Flag (5 bytes), then f64hash.
  uint64_t H = aesMemHash(
      K, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>("widget#7"), 8),
      Seed);
  uint8_t Run[5] = {0xf4, 0xff, 0xff, 0xff, 1};
  H = aesMemHash(K, Run, H);
  double F = 2.5;
  uint8_t FB[8];
  memcpy(FB, &F, 8);
  H = aesMemHash(K, FB, H);
  auto HO = Old->hash(V, Seed), HN = New->hash(V, Seed);
  ASSERT_TRUE(HO && HN);
  EXPECT_EQ(*HO, H);
  EXPECT_EQ(*HN, H); // same plan for this type in both schemes

  // Where the schemes differ: an 8-byte run inside a struct is
  // memhash(p, h, 8) before go1.27 and memhash64 since.
  auto *S8 = T.strukt("s8", {{"S", T.Str}, {"N", T.Int64}});
  GoValue V8 = structV(S8, strV(T.Str, "k"), intV(T.Int64, 42));
  auto P22 = KeyHasher::create(*S8, ver(22), K);
  auto P27 = KeyHasher::create(*S8, ver(27), K);
  ASSERT_TRUE(P22 && P27);
  uint64_t HS = aesMemHash(
      K, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>("k"), 1), 7);
  uint8_t NB[8] = {42, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(*P22->hash(V8, 7), aesMemHash(K, NB, HS));
  EXPECT_EQ(*P27->hash(V8, 7), aesMemHash64(K, 42, HS));

  // Plain keys.
  auto PI = KeyHasher::create(*T.Int64, ver(19), K);
  ASSERT_TRUE(static_cast<bool>(PI));
  EXPECT_EQ(PI->description(), "memhash64");
  EXPECT_EQ(*PI->hash(intV(T.Int64, -3), 99),
            aesMemHash64(K, static_cast<uint64_t>(-3), 99));
  auto PF = KeyHasher::create(*T.F64, ver(24), K);
  ASSERT_TRUE(static_cast<bool>(PF));
  // +0 and -0 hash alike; NaN has no reproducible hash.
  EXPECT_EQ(*PF->hash(floatV(T.F64, 0.0), 5), *PF->hash(floatV(T.F64, -0.0), 5));
  auto NaN = PF->hash(floatV(T.F64, std::nan("")), 5);
  EXPECT_FALSE(static_cast<bool>(NaN));
  consumeError(NaN.takeError());

  // Interfaces: nil hashes to the seed; int through typehash.
  auto PA = KeyHasher::create(*T.Any, ver(21), K);
  ASSERT_TRUE(static_cast<bool>(PA));
  GoValue Nil;
  Nil.VK = GoValue::VKind::Interface;
  Nil.Type = T.Any;
  EXPECT_EQ(*PA->hash(Nil, 77), 77u);
  GoValue I;
  I.VK = GoValue::VKind::Interface;
  I.Type = T.Any;
  I.DynType = T.Int;
  I.Dynamic = std::make_unique<GoValue>(intV(T.Int, 5));
  const uint64_t C0 = 33054211828000289ull, C1 = 23344194077549503ull;
  EXPECT_EQ(*PA->hash(I, 77), C1 * aesMemHash64(K, 5, 77 ^ C0));

  // A truncated string cannot be hashed.
  GoValue Cut = strV(T.Str, "abc");
  Cut.Len = 10;
  Cut.Truncated = true;
  auto PS = KeyHasher::create(*T.Str, ver(26), K);
  auto HC = PS->hash(Cut, 1);
  EXPECT_FALSE(static_cast<bool>(HC));
  consumeError(HC.takeError());

  // An algorithm that disagrees with useAeshash, or none: refused, not
  // guessed.
  HashKeys NoAes = K;
  NoAes.UseAES = false;
  auto Refused = KeyHasher::create(*T.Int64, ver(22), NoAes);
  EXPECT_FALSE(static_cast<bool>(Refused));
  consumeError(Refused.takeError());
  HashKeys Unknown = K;
  Unknown.Algo.reset();
  auto Refused2 = KeyHasher::create(*T.Int64, ver(22), Unknown);
  EXPECT_FALSE(static_cast<bool>(Refused2));
  consumeError(Refused2.takeError());
}

TEST(MapHash, HasherFunctionCrossCheck) {
  Types T;
  HashKeys K = testKeys();
  auto *Rec = T.recKey();
  auto Ok = [](Error E) {
    bool Good = !E;
    consumeError(std::move(E));
    return Good;
  };
  auto H27 = KeyHasher::create(*Rec, ver(27), K);
  EXPECT_TRUE(Ok(H27->checkFunction("type:.hash.SM5K3G", std::nullopt)));
  EXPECT_FALSE(Ok(H27->checkFunction("type:.hash.SM8G", std::nullopt)));
  auto H21 = KeyHasher::create(*Rec, ver(21), K);
  EXPECT_TRUE(Ok(H21->checkFunction("type:.hash.main.recKey", std::nullopt)));
  EXPECT_FALSE(Ok(H21->checkFunction("runtime.strhash", std::nullopt)));
  auto HI = KeyHasher::create(*T.Int64, ver(19), K);
  EXPECT_TRUE(Ok(HI->checkFunction("runtime.memhash64", std::nullopt)));
  EXPECT_FALSE(Ok(HI->checkFunction("runtime.memhash32", std::nullopt)));
  auto *A12 = T.array(T.Int32, 3);
  auto HV = KeyHasher::create(*A12, ver(22), K);
  EXPECT_EQ(HV->description(), "memhash_varlen(12)");
  EXPECT_TRUE(Ok(HV->checkFunction("runtime.memhash_varlen", 12)));
  EXPECT_FALSE(Ok(HV->checkFunction("runtime.memhash_varlen", 16)));
  auto HV27 = KeyHasher::create(*A12, ver(27), K);
  EXPECT_TRUE(Ok(HV27->checkFunction("runtime.memhash_varlen", 12)));
}


// ---- every algorithm against the runtime itself -----------------------------------
//
// tests/data/hashvectors: what the Go runtime's memhash, memhash32,
// memhash64 and strhash returned in processes on amd64 and on arm64
// (qemu-aarch64), with AES and with the fallback (GODEBUG=cpu.aes=off),
// built by go1.22, go1.26 and go1.27, with each process's aeskeysched and
// hashkey (gen.sh).

struct VectorFile {
  HashKeys K;
  int Minor = 0;
  std::string Arch, Hash;
  std::vector<std::vector<std::string>> Lines;
};

VectorFile readVectors(const std::string &Name) {
  VectorFile V;
  std::ifstream In(std::string(MS_TEST_DATA_DIR) + "/hashvectors/" + Name);
  EXPECT_TRUE(In.good()) << Name;
  for (const VectorLine &VL : vectorLines(In)) {
    const auto &F = VL.F;
    if (F[0] == "go") {
      llvm::StringRef R = F[1];
      R.consume_front("go1.");
      R.consumeInteger(10, V.Minor);
    } else if (F[0] == "arch") {
      V.Arch = F[1];
    } else if (F[0] == "hash") {
      V.Hash = F[1];
    } else if (F[0] == "aeskeysched") {
      std::string B = llvm::fromHex(F[1]);
      EXPECT_EQ(B.size(), 128u);
      memcpy(V.K.AesKeySched.data(), B.data(), std::min<size_t>(128, B.size()));
    } else if (F[0] == "hashkey") {
      for (int I = 0; I < 4; ++I)
        V.K.HashKey[I] = num(F[1 + I]);
    } else {
      V.Lines.emplace_back(F.begin(), F.end());
    }
  }
  for (HashAlgo A : {HashAlgo::AesAmd64, HashAlgo::AesArm64, HashAlgo::Fallback})
    if (V.Hash == hashAlgoName(A))
      V.K.Algo = A;
  EXPECT_TRUE(V.K.Algo.has_value()) << Name << ": hash " << V.Hash;
  V.K.UseAES = V.K.Algo != HashAlgo::Fallback;
  V.K.FallbackConstants = V.Minor < 23;
  V.K.Arm64Hash32Seed32 = V.Minor < 27;
  return V;
}

class HashVectors : public ::testing::TestWithParam<const char *> {};

TEST_P(HashVectors, RuntimeAgrees) {
  VectorFile V = readVectors(GetParam());
  ASSERT_TRUE(V.K.Algo.has_value());
  std::vector<uint8_t> Pattern(8192);
  for (size_t I = 0; I < Pattern.size(); ++I)
    Pattern[I] = static_cast<uint8_t>(I * 131 + 7);
  Types T;
  KeyHasher HI = std::move(*KeyHasher::create(*T.Int64, ver(V.Minor), V.K));
  KeyHasher HS = std::move(*KeyHasher::create(*T.Str, ver(V.Minor), V.K));
  KeyHasher H32 = std::move(*KeyHasher::create(*T.Int32, ver(V.Minor), V.K));
  int N = 0, Long = 0, Words = 0;
  std::set<uint64_t> Lengths;
  for (const auto &F : V.Lines) {
    std::string Line = llvm::join(F, " ");
    ++N;
    if (F[0] == "memhash" || F[0] == "strhash") {
      ASSERT_EQ(F.size(), 5u) << Line;
      uint64_t Off = num(F[1]), Len = num(F[2]), Seed = num(F[3]), Want = num(F[4]);
      llvm::ArrayRef<uint8_t> D = llvm::ArrayRef<uint8_t>(Pattern).slice(Off, Len);
      Lengths.insert(Len);
      Long += Len > 128;
      EXPECT_EQ(memHash(V.K, D, Seed), Want) << Line;
      if (F[0] == "strhash") {
        std::string S(D.begin(), D.end());
        auto H = HS.hash(strV(T.Str, S), Seed);
        ASSERT_TRUE(static_cast<bool>(H)) << Line;
        EXPECT_EQ(*H, Want) << "KeyHasher(string): " << Line;
      }
    } else if (F[0] == "memhash32") {
      uint64_t Val = num(F[1]), Seed = num(F[2]), Want = num(F[3]);
      ++Words;
      EXPECT_EQ(memHash32(V.K, static_cast<uint32_t>(Val), Seed), Want) << Line;
      auto H = H32.hash(intV(T.Int32, static_cast<int32_t>(Val)), Seed);
      ASSERT_TRUE(static_cast<bool>(H)) << Line;
      EXPECT_EQ(*H, Want) << "KeyHasher(int32): " << Line;
    } else if (F[0] == "memhash64") {
      uint64_t Val = num(F[1]), Seed = num(F[2]), Want = num(F[3]);
      ++Words;
      EXPECT_EQ(memHash64(V.K, Val, Seed), Want) << Line;
      auto H = HI.hash(intV(T.Int64, static_cast<int64_t>(Val)), Seed);
      ASSERT_TRUE(static_cast<bool>(H)) << Line;
      EXPECT_EQ(*H, Want) << "KeyHasher(int64): " << Line;
    } else {
      ADD_FAILURE() << "unknown line " << Line;
    }
  }
  // Every length class of both algorithms, several seeds.
  EXPECT_GT(N, 600);
  EXPECT_GE(Lengths.size(), 300u);
  EXPECT_GT(Long, 150);
  EXPECT_EQ(Words, 42);
  RecordProperty("vectors", N);
}

INSTANTIATE_TEST_SUITE_P(
    Runtime, HashVectors,
    ::testing::Values("go1.22-amd64-aes.txt", "go1.22-amd64-fallback.txt",
                      "go1.22-arm64-aes.txt", "go1.22-arm64-fallback.txt",
                      "go1.26-amd64-aes.txt", "go1.26-amd64-fallback.txt",
                      "go1.26-arm64-aes.txt", "go1.26-arm64-fallback.txt",
                      "go1.27-amd64-aes.txt", "go1.27-amd64-fallback.txt",
                      "go1.27-arm64-aes.txt", "go1.27-arm64-fallback.txt"),
    [](const ::testing::TestParamInfo<const char *> &I) {
      std::string S = I.param;
      S = S.substr(0, S.size() - 4);
      for (char &C : S)
        if (!isalnum(static_cast<unsigned char>(C)))
          C = '_';
      return S;
    });

// The variants are real: the wrong variant gives other values.
TEST(MapHash, VariantsDiffer) {
  VectorFile A = readVectors("go1.26-arm64-aes.txt");
  HashKeys K = A.K;
  K.Algo = HashAlgo::AesAmd64;
  uint8_t D[7] = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_NE(memHash(K, D, 5), memHash(A.K, D, 5));
  K = A.K;
  K.Arm64Hash32Seed32 = !K.Arm64Hash32Seed32;
  EXPECT_NE(memHash32(K, 7, 0x100000001), memHash32(A.K, 7, 0x100000001));
  VectorFile F = readVectors("go1.26-amd64-fallback.txt");
  K = F.K;
  K.FallbackConstants = true;
  EXPECT_NE(memHash(K, D, 5), memHash(F.K, D, 5));
}

} // namespace
