// Damaged tables must give errors, never crashes, hangs or made-up data.
#include <gtest/gtest.h>

#include "GoFixture.h"
#include "report/Json.h"
#include "goruntime/GoValue.h"
#include "goruntime/Pclntab.h"
#include "goruntime/Types.h"

using namespace ms;
using namespace mstest;

namespace {

// The target's memory with bytes in [Lo, Hi) scrambled (deterministic).
class ScrambledMemory : public Memory {
public:
  ScrambledMemory(const Memory &Under, uint64_t Lo, uint64_t Hi, unsigned Seed)
      : Under(Under), Lo(Lo), Hi(Hi), Seed(Seed) {}
  Error read(uint64_t Addr, llvm::MutableArrayRef<uint8_t> Out) const override {
    if (auto E = Under.read(Addr, Out))
      return E;
    for (size_t I = 0; I < Out.size(); ++I) {
      uint64_t A = Addr + I;
      if (A >= Lo && A < Hi) {
        uint64_t H = (A * 0x9E3779B97F4A7C15ull) ^ Seed;
        if ((H >> 60) < 3) // about one byte in five
          Out[I] ^= static_cast<uint8_t>(H >> 13) | 1;
      }
    }
    return Error::success();
  }

private:
  const Memory &Under;
  uint64_t Lo, Hi;
  unsigned Seed;
};

TEST(CorruptGoBinary, ScrambledPcTablesGiveErrorsNotCrashes) {
  auto L = loadGoFixture("go122", Load::ModuleData);
  ASSERT_TRUE(L);
  const auto &F = L->F;
  const ModuleData &MD = L->LM.Module;
  for (unsigned Seed : {1u, 2u, 3u}) {
    ScrambledMemory M(F->T->memory(), MD.PcTab.Data, MD.PcTab.Data + MD.PcTab.Len,
                      Seed);
    auto P = Pclntab::create(M, MD, F->BI.Version);
    ASSERT_TRUE(static_cast<bool>(P)) << toString(P.takeError());
    size_t Errors = 0, Calls = 0;
    auto Count = [&](auto &&X) {
      ++Calls;
      if (!X) {
        ++Errors;
        llvm::consumeError(X.takeError());
      }
    };
    for (uint64_t PC = MD.MinPC; PC < MD.MaxPC; PC += 97) {
      auto Fn = (*P)->findFunc(PC);
      ASSERT_TRUE(static_cast<bool>(Fn)); // ftab and names are intact
      Count((*P)->spDelta(*Fn, PC));
      Count((*P)->fileLine(*Fn, PC));
      Count((*P)->expandInline(*Fn, PC));
      Count((*P)->argInfo(*Fn, PC));
      Count((*P)->pcValueRuns(*Fn, Fn->PcLn));
    }
    EXPECT_GT(Errors, Calls / 20) << "the damage was noticed";
  }
}

TEST(CorruptGoBinary, ScrambledTypesGiveErrorsNotCrashes) {
  auto L = loadGoFixture("go126-pie", Load::Types);
  ASSERT_TRUE(L);
  const auto &F = L->F;
  const ModuleData &MD = L->LM.Module;
  TypeTable &Clean = *L->Types;
  auto Links = Clean.typelinks();
  ASSERT_TRUE(static_cast<bool>(Links));
  for (unsigned Seed : {7u, 8u}) {
    ScrambledMemory M(F->T->memory(), MD.Types, MD.ETypes, Seed);
    TypeTable TT(M, MD, F->BI);
    size_t Broken = 0;
    for (const TypeInfo *T : *Links) {
      auto X = TT.typeAt(T->Addr);
      if (!X) {
        ++Broken;
        llvm::consumeError(X.takeError());
        continue;
      }
      (void)composeTypeName(**X);
      // Values of damaged types over real memory: bounded, no crash.
      GoValue V = decodeValue(TT, **X, MD.Data);
      (void)toGoSyntax(V);
      (void)toJSON(V);
    }
    EXPECT_GT(Broken, 0u);
    auto All = TT.typelinks(); // typelinks offsets are outside [types, etypes)
    if (!All)
      llvm::consumeError(All.takeError());
  }
}

} // namespace
