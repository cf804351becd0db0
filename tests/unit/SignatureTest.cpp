#include "report/Signature.h"
#include "report/Json.h"

#include <gtest/gtest.h>

using namespace ms;

namespace {

FrameRef frame(std::string Fn, std::string File, int64_t Line, uint64_t PC) {
  FrameRef F;
  F.Function = std::move(Fn);
  F.File = std::move(File);
  F.Line = Line;
  F.PC = PC;
  return F;
}

RacerReport racer(int64_t G, std::optional<bool> SameMap, FrameRef User) {
  RacerReport R;
  R.Goroutine = G;
  R.SameMap = SameMap;
  R.UserFrame = std::move(User);
  return R;
}

AnalysisReport report() {
  AnalysisReport R;
  R.MapFault = true;
  R.Fault.Kind = FaultKind::ConcurrentMapWrites;
  R.Fault.UserFrame = frame("main.add", "/build/a/index.go", 13, 0x401000);
  MapReport M;
  M.Type = "map[string]int";
  R.Map = M;
  // Another map's racer first; then a same-map racer without a user
  // frame; then the one the signature takes.
  R.Racers.push_back(racer(7, false, frame("main.other", "/build/a/o.go", 3, 1)));
  R.Racers.push_back(racer(8, true, FrameRef{}));
  R.Racers.push_back(racer(9, true, frame("main.del", "/build/a/index.go", 20, 2)));
  R.Racers.push_back(racer(10, true, frame("main.put", "/build/a/index.go", 30, 3)));
  return R;
}

TEST(Signature, FaultKindMapTypeAndBothUserFrames) {
  CrashSignature S = signatureOf(report());
  EXPECT_EQ(S.Kind, "concurrent_map_writes");
  EXPECT_EQ(S.MapType, "map[string]int");
  EXPECT_EQ(S.UserFrame.str(), "main.add (index.go:13)");
  EXPECT_EQ(S.RacerUserFrame.str(), "main.del (index.go:20)");
  EXPECT_EQ(S.RacerGoroutine, 9);
  EXPECT_EQ(S.key(), "concurrent_map_writes | map[string]int | "
                     "main.add (index.go:13) | main.del (index.go:20)");
  EXPECT_EQ(S.id().size(), 12u);
  EXPECT_EQ(S.id().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Signature, SameBugFromAnotherBuildHasTheSameSignature) {
  AnalysisReport A = report(), B = report();
  // Another build directory, another load address, another racer id.
  B.Fault.UserFrame = frame("main.add", "/other/dir/index.go", 13, 0x55501000);
  B.Racers[2].Goroutine = 42;
  B.Racers[2].UserFrame.File = "/other/dir/index.go";
  EXPECT_EQ(signatureOf(A).id(), signatureOf(B).id());
}

TEST(Signature, EveryPartCounts) {
  std::string Base = signatureOf(report()).id();
  AnalysisReport K = report();
  K.Fault.Kind = FaultKind::ConcurrentMapReadAndWrite;
  AnalysisReport T = report();
  T.Map->Type = "map[string]int64";
  AnalysisReport L = report();
  L.Fault.UserFrame.Line = 14;
  AnalysisReport R = report();
  R.Racers[2].SameMap = false;
  for (const AnalysisReport *X : {&K, &T, &L, &R})
    EXPECT_NE(signatureOf(*X).id(), Base);
}

TEST(Signature, UnknownPartsAreSpelledOut) {
  AnalysisReport R;
  R.Fault.Kind = FaultKind::Other;
  CrashSignature S = signatureOf(R);
  EXPECT_EQ(S.key(), "other | ? | - | -");
  EXPECT_FALSE(S.RacerGoroutine);
  llvm::json::Value V = toJSON(S);
  EXPECT_EQ(*V.getAsObject()->get("map_type"), llvm::json::Value(nullptr));
  EXPECT_EQ(*V.getAsObject()->get("racer_user_frame"), llvm::json::Value(nullptr));
}

} // namespace
