#include "goruntime/Unwinder.h"

#include <set>

#include <gtest/gtest.h>

#include "Corpus.h"
#include "goruntime/Goroutines.h"

using namespace ms;
using namespace mstest;

namespace {

// Unwinder::possibleFramePCs is a bound: on every goroutine of every corpus
// core it claims to bound, each frame of the full unwind has one of the
// PCs it listed, and functionsAt() of that PC names the frame's function
// (so a caller that finds no wanted function among them may skip the
// goroutine without unwinding it).
TEST(Unwinder, PossibleFramePCsBoundEveryFrame) {
  ASSERT_FALSE(corpusCases().empty());
  size_t Goroutines = 0, Bounded = 0, Frames = 0;
  forEachCorpusGoroutine([&](CorpusCase &, Unwinder &U, const GoroutineInfo &G) {
    ++Goroutines;
    std::set<uint64_t> PCs;
    if (!U.possibleFramePCs(G, [&](uint64_t PC) { PCs.insert(PC); }))
      return;
    ++Bounded;
    const Stack St = U.unwindGoroutine(G);
    for (const StackFrame &F : St.Frames) {
      if (!F.Go)
        continue;
      ++Frames;
      SCOPED_TRACE("goroutine " + std::to_string(G.Goid) + " frame " +
                   F.Function);
      EXPECT_TRUE(PCs.count(F.PC)) << "pc " << std::hex << F.PC;
      bool Named = false;
      U.functionsAt(F.PC, [&](llvm::StringRef Fn) { Named |= Fn == F.Function; });
      EXPECT_TRUE(Named);
    }
  });
  printf("  %zu goroutines, %zu bounded without unwinding (%zu frames "
         "checked)\n",
         Goroutines, Bounded, Frames);
  EXPECT_GT(Bounded, Goroutines / 4);
  EXPECT_GT(Frames, Bounded);
}

} // namespace
