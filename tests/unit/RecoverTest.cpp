#include "mapfault/Recover.h"

#include <gtest/gtest.h>

#include "Corpus.h"
#include "goruntime/Goroutines.h"
#include "mapfault/Emulator.h"
#include "mapfault/MapFunctions.h"

using namespace ms;
using namespace mstest;

namespace {

bool sameCandidate(const Candidate &A, const Candidate &B) {
  return A.Src == B.Src && A.Conf == B.Conf && A.Words == B.Words &&
         A.Detail == B.Detail && A.Stale == B.Stale;
}

// Every physical frame of a map function entry point on every live
// goroutine's stack in the corpus: Body(case, stack, frame index, its
// function's description).
void forEachMapEntryFrame(
    llvm::function_ref<void(CorpusCase &, const Stack &, size_t,
                            const MapFuncInfo &)>
        Body) {
  forEachCorpusGoroutine([&](CorpusCase &C, Unwinder &U, const GoroutineInfo &G) {
    const Stack St = U.unwindGoroutine(G);
    for (size_t I = 0; I < St.Frames.size(); ++I) {
      const StackFrame &F = St.Frames[I];
      auto MF = classifyMapFunction(F.Function);
      if (F.Inlined || !MF || !MF->EntryPoint)
        continue;
      SCOPED_TRACE("goroutine " + std::to_string(G.Goid) + " " + F.Function);
      Body(C, St, I, *MF);
    }
  });
}

// The diagnosis asks an argument's sources without DWARF first and adds
// the DWARF locations only when that does not settle it. On every map
// entry-point frame of every corpus core: without DWARF no DWARF location
// comes back; with it, the same candidates in the same order with the
// DWARF ones added (so the second pass ranks as one pass always did); and
// a DWARF location read from the stack agrees with a live spill slot,
// being that slot (why asking DWARF after such a slot adds nothing).
TEST(FrameArgs, DwarfLocationsOnlyWhenAskedAndInPlace) {
  ASSERT_FALSE(corpusCases().empty());
  size_t Frames = 0, WithDwarf = 0, SameSlot = 0;
  forEachMapEntryFrame([&](CorpusCase &C, const Stack &St, size_t I,
                           const MapFuncInfo &MF) {
    if (MF.MapWord < 0)
      return;
    ++Frames;
    FrameArgs FA(*C.P, St, I);
    const ArgSpec A{MF.MapWord, 1, "h", 1};
    const auto Without = FA.candidates(A, /*WithDwarf=*/false);
    const auto With = FA.candidates(A, /*WithDwarf=*/true);
    std::vector<Candidate> Others;
    const Candidate *Dw = nullptr;
    for (const Candidate &X : With) {
      if (X.Src == Source::DwarfLocation)
        Dw = &X;
      else
        Others.push_back(X);
    }
    for (const Candidate &X : Without)
      EXPECT_NE(X.Src, Source::DwarfLocation);
    ASSERT_EQ(Others.size(), Without.size());
    for (size_t J = 0; J < Others.size(); ++J)
      EXPECT_TRUE(sameCandidate(Others[J], Without[J])) << J;
    if (!Dw)
      return;
    ++WithDwarf;
    for (const Candidate &X : Without)
      if (X.Src == Source::SpillSlot && X.Conf >= Confidence::High &&
          Dw->Conf == Confidence::High) {
        EXPECT_EQ(X.Words, Dw->Words) << Dw->Detail << " / " << X.Detail;
        ++SameSlot;
      }
  });
  printf("  %zu map entry frames, %zu with a DWARF location (%zu checked "
         "against a live spill slot)\n",
         Frames, WithDwarf, SameSlot);
  EXPECT_GT(WithDwarf, Frames / 4);
  EXPECT_GT(SameSlot, 0u);
}

// The step budget of a diagnosis bounds every re-execution: a small one
// runs out (an error saying so, or a value marked uncertain since starts
// were left untried), a spent one refuses at once, and the default one
// leaves the corpus's re-executions as they are.
TEST(Emulation, StepBudgetBoundsTheReexecutions) {
  ASSERT_FALSE(corpusCases().empty());
  size_t Calls = 0, RanOut = 0, Settled = 0;
  forEachMapEntryFrame([&](CorpusCase &C, const Stack &St, size_t I,
                           const MapFuncInfo &MF) {
    const auto Regs = C.P->arch().goIntArgRegs();
    if (MF.KeyWord < 0 || static_cast<size_t>(MF.KeyWord) >= Regs.size())
      return;
    size_t K = I + 1;
    while (K < St.Frames.size() && St.Frames[K].Inlined)
      ++K;
    if (K >= St.Frames.size() || !St.Frames[K].Go || St.Frames[K].Exact)
      return;
    const StackFrame &Cl = St.Frames[K];
    const int Reg = static_cast<int>(Regs[MF.KeyWord]);
    ++Calls;
    StepBudget Full;
    auto Whole = emulateRegisterAtCall(*C.P, Cl.PC, Cl.SP, Reg, nullptr, &Full);
    EXPECT_LE(Full.Spent, 2'000'000u);
    StepBudget Small;
    Small.Left = 10;
    auto Cut = emulateRegisterAtCall(*C.P, Cl.PC, Cl.SP, Reg, nullptr, &Small);
    if (!Cut) {
      const std::string E = llvm::toString(Cut.takeError());
      if (E.find("budget") != std::string::npos)
        ++RanOut;
    } else if (Small.Spent > 10) {
      // What it found before running out is not settled.
      EXPECT_TRUE(Cut->Uncertain) << Cut->Detail;
      ++RanOut;
    }
    if (Whole && !Whole->Uncertain)
      ++Settled;
    if (!Whole)
      llvm::consumeError(Whole.takeError());
    // Spent: refused at once.
    if (Small.Left == 0) {
      auto After = emulateRegisterAtCall(*C.P, Cl.PC, Cl.SP, Reg, nullptr, &Small);
      ASSERT_FALSE(static_cast<bool>(After));
      EXPECT_NE(llvm::toString(After.takeError()).find("is spent"),
                std::string::npos);
    }
  });
  printf("  %zu key registers re-executed: %zu settled with the default "
         "budget, %zu ran out of a 10-instruction one\n",
         Calls, Settled, RanOut);
  EXPECT_GT(Settled, 0u);
  EXPECT_GT(RanOut, Calls / 2);
}

// A spill slot is this call's when its liveness says so or when the map
// function provably saved the register there on every path to its PC;
// the word-by-word knowledge must never be wrong. On the faulting
// goroutine of every corpus case with a string key: each word of the key
// argument marked known holds the truth (the data pointer; the length),
// the stale-but-saved pointers of the Swiss nil-map writes (saved before
// the nil check, the length only after) are among them, and a stack_scan
// candidate, where one is offered, has that data pointer.
TEST(FrameArgs, SavedSpillWordsAreThisCalls) {
  ASSERT_FALSE(corpusCases().empty());
  size_t Known = 0, SavedOnly = 0, Scanned = 0, ScannedRight = 0;
  forEachCorpusGoroutine([&](CorpusCase &C, Unwinder &U, const GoroutineInfo &G) {
    const auto *Fault = C.truth().getObject("fault");
    const auto *Key = C.truth().getObject("key");
    // Only the faulting goroutine's key is in the truth.
    if (!Fault || !Key || !Key->getString("data") ||
        Fault->getInteger("goroutine").getValueOr(-1) != G.Goid)
      return;
    const Stack St = U.unwindGoroutine(G);
    size_t I = 0;
    std::optional<MapFuncInfo> MF;
    for (; I < St.Frames.size(); ++I) {
      MF = classifyMapFunction(St.Frames[I].Function);
      if (!St.Frames[I].Inlined && MF && MF->EntryPoint)
        break;
    }
    if (I == St.Frames.size() || MF->Key != KeyPass::String)
      return;
    SCOPED_TRACE(C.Name);
    const uint64_t Data = hexField(*Key, "data");
    const uint64_t Len = static_cast<uint64_t>(Key->getInteger("len").getValueOr(-1));
    FrameArgs FA(*C.P, St, I);
    for (const Candidate &X : FA.candidates(ArgSpec{MF->KeyWord, 2, "key", 2}, false)) {
      if (X.Src == Source::StackScan) {
        ++Scanned;
        EXPECT_EQ(X.Words[0], Data) << X.Detail;
        EXPECT_EQ(X.Conf, Confidence::Low);
        ScannedRight += X.Words[0] == Data && X.Words[1] == Len;
        continue;
      }
      if (X.Src != Source::SpillSlot)
        continue;
      if (X.KnownWords & 1u) {
        ++Known;
        EXPECT_EQ(X.Words[0], Data) << X.Detail;
        SavedOnly += X.Stale;
      }
      if (X.KnownWords & 2u) {
        EXPECT_EQ(X.Words[1], Len) << X.Detail;
      }
    }
  });
  printf("  %zu key spill slots with a known pointer (%zu stale but saved), "
         "%zu stack_scan candidates (%zu with the right length)\n",
         Known, SavedOnly, Scanned, ScannedRight);
  EXPECT_GE(SavedOnly, 7u);
  EXPECT_GT(Known, SavedOnly);
  EXPECT_GE(ScannedRight, 7u);
}

} // namespace
