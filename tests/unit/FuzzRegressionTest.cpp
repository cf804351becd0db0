// Replays every committed fuzz input (tests/fuzz/regressions/<target>/:
// inputs that once crashed, hung or tripped a sanitizer; and the seed
// corpus tests/fuzz/corpus/<target>/) through the same entry points the
// libFuzzer targets call. Under the ASan/UBSan build of scripts/test.sh a
// regression fails this test the way it failed the fuzzer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>

#include "FuzzEntryPoints.h"

using namespace ms;

namespace {

std::vector<std::string> inputsUnder(const std::string &Dir) {
  std::vector<std::string> Files;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; It != End && !EC;
       It.increment(EC)) {
    std::string Name = llvm::sys::path::filename(It->path()).str();
    if (Name.empty() || Name[0] == '.' || Name == "README.md")
      continue;
    Files.push_back(It->path());
  }
  std::sort(Files.begin(), Files.end());
  return Files;
}

void replay(const char *Target, int (*Entry)(const uint8_t *, size_t)) {
  size_t N = 0;
  for (const char *Kind : {"regressions", "corpus"}) {
    for (const std::string &F :
         inputsUnder(std::string(MS_FUZZ_DIR) + "/" + Kind + "/" + Target)) {
      SCOPED_TRACE(F);
      auto MB = llvm::MemoryBuffer::getFile(F, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
      ASSERT_TRUE(static_cast<bool>(MB)) << F;
      // An exact-size heap copy, as libFuzzer passes its inputs: a read
      // just outside is then an ASan report (a MemoryBuffer keeps its own
      // header in front of the bytes, which would hide an underflow).
      std::vector<uint8_t> Bytes((*MB)->getBufferStart(),
                                 (*MB)->getBufferEnd());
      auto Start = std::chrono::steady_clock::now();
      Entry(Bytes.data(), Bytes.size());
      auto Secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - Start)
                      .count();
      // The fuzzers call more than 10 s a hang; with room for a slow
      // (Debug + ASan) build on a busy machine.
      EXPECT_LT(Secs, 30.0) << F;
      ++N;
    }
  }
  EXPECT_GT(N, 0u) << "no committed inputs for " << Target;
}

} // namespace

TEST(FuzzRegression, Core) { replay("fuzz_core", fuzz::fuzzCore); }
TEST(FuzzRegression, Exe) { replay("fuzz_exe", fuzz::fuzzExe); }
TEST(FuzzRegression, Log) { replay("fuzz_log", fuzz::fuzzLog); }
TEST(FuzzRegression, Target) {
  auto B = fuzz::baseCase();
  ASSERT_TRUE(static_cast<bool>(B)) << errorText(B.takeError());
  // The base case's windows were all found (a window left empty would
  // silently stop fuzzing that part of the core).
  for (const auto &W : (*B)->Windows)
    EXPECT_GT(W.Total, 0u) << W.Name;
  EXPECT_FALSE((*B)->H.MapAddrs.empty());
  EXPECT_FALSE((*B)->H.TypeAddrs.empty());
  replay("fuzz_target", fuzz::fuzzTarget);
}
