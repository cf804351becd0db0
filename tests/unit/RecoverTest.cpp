#include "mapfault/Recover.h"

#include <gtest/gtest.h>

#include "Corpus.h"
#include "goruntime/Goroutines.h"
#include "mapfault/MapFunctions.h"

using namespace ms;
using namespace mstest;

namespace {

bool sameCandidate(const Candidate &A, const Candidate &B) {
  return A.Src == B.Src && A.Conf == B.Conf && A.Words == B.Words &&
         A.Detail == B.Detail && A.Stale == B.Stale;
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
  for (const std::string &Name : corpusCases()) {
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    ASSERT_TRUE(C);
    Warnings W;
    auto Gs = readGoroutines(*C->P, W);
    ASSERT_TRUE(static_cast<bool>(Gs)) << llvm::toString(Gs.takeError());
    Unwinder U(*C->P, *Gs);
    for (const GoroutineInfo &G : Gs->Goroutines) {
      if (G.Dead())
        continue;
      const Stack St = U.unwindGoroutine(G);
      for (size_t I = 0; I < St.Frames.size(); ++I) {
        const StackFrame &F = St.Frames[I];
        auto MF = classifyMapFunction(F.Function);
        if (F.Inlined || !MF || !MF->EntryPoint || MF->MapWord < 0)
          continue;
        SCOPED_TRACE("goroutine " + std::to_string(G.Goid) + " " +
                     F.Function);
        ++Frames;
        FrameArgs FA(*C->P, St, I);
        const ArgSpec A{MF->MapWord, 1, "h", 1};
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
          continue;
        ++WithDwarf;
        for (const Candidate &X : Without)
          if (X.Src == Source::SpillSlot && X.Conf >= Confidence::High &&
              Dw->Conf == Confidence::High) {
            EXPECT_EQ(X.Words, Dw->Words) << Dw->Detail << " / " << X.Detail;
            ++SameSlot;
          }
      }
    }
  }
  printf("  %zu map entry frames, %zu with a DWARF location (%zu checked "
         "against a live spill slot)\n",
         Frames, WithDwarf, SameSlot);
  EXPECT_GT(WithDwarf, Frames / 4);
  EXPECT_GT(SameSlot, 0u);
}

} // namespace
