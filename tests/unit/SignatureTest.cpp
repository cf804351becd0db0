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

FrameReport stackFrame(std::string Fn, bool Go = true) {
  FrameReport F;
  F.Function = std::move(Fn);
  F.Go = Go;
  return F;
}

AnalysisReport report() {
  AnalysisReport R;
  R.MapFault = true;
  R.Fault.Kind = FaultKind::ConcurrentMapWrites;
  R.Fault.UserFrame = frame("main.add", "/build/a/index.go", 13, 0x401000);
  StackReport St;
  for (const char *F : {"runtime.fatal", "internal/runtime/maps.fatal",
                        "internal/runtime/maps.(*Map).putSlotSmall",
                        "runtime.mapassign_faststr", "main.(*Index).add",
                        "main.init.3.func1", "main.(*pool).run.func1",
                        "runtime.goexit"})
    St.Frames.push_back(stackFrame(F));
  R.FaultingStack = St;
  MapReport M;
  M.Type = "map[string]int";
  R.Map = M;
  // Another map's racer first; then a same-map racer without a user
  // frame; then the one the signature carries.
  R.Racers.push_back(racer(7, false, frame("main.other", "/build/a/o.go", 3, 1)));
  R.Racers.push_back(racer(8, true, FrameRef{}));
  R.Racers.push_back(racer(9, true, frame("main.del", "/build/a/index.go", 20, 2)));
  R.Racers.push_back(racer(10, true, frame("main.put", "/build/a/index.go", 30, 3)));
  return R;
}

TEST(Signature, FaultClassMapTypeAndTheFirstInAppFrames) {
  CrashSignature S = signatureOf(report());
  EXPECT_EQ(S.Version, SignatureVersion);
  EXPECT_EQ(S.Kind, "concurrent_map_writes");
  EXPECT_EQ(S.MapType, "map[string]int");
  EXPECT_EQ(S.Frames,
            (std::vector<std::string>{"main.(*Index).add", "main.init.func1"}));
  EXPECT_EQ(S.key(), "concurrent_map_writes | map[string]int | "
                     "main.(*Index).add < main.init.func1");
  // Carried along for the groups, not in the id.
  EXPECT_EQ(S.UserFrame.str(), "main.add (index.go:13)");
  EXPECT_EQ(S.RacerUserFrame.str(), "main.del (index.go:20)");
  EXPECT_EQ(S.RacerGoroutine, 9);
  EXPECT_EQ(S.id().size(), 12u);
  EXPECT_EQ(S.id().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Signature, StableAcrossRacersLinesBuildsAndVersionSpellings) {
  std::string Base = signatureOf(report()).id();
  // No racer caught; another racer; another line, file and load address.
  AnalysisReport NoRacer = report();
  NoRacer.Racers.clear();
  AnalysisReport Other = report();
  Other.Racers[2].UserFrame = frame("main.put", "/x/index.go", 31, 5);
  AnalysisReport Moved = report();
  Moved.Fault.UserFrame = frame("main.add", "/other/dir/index.go", 19, 0x55501000);
  // Go 1.21's spelling of a package-level closure, another init number,
  // generic type arguments, the classic map's runtime frames.
  AnalysisReport Old = report();
  Old.FaultingStack->Frames[5].Function = "main.glob..func1";
  AnalysisReport Init = report();
  Init.FaultingStack->Frames[5].Function = "main.init.7.func1";
  AnalysisReport Classic = report();
  Classic.FaultingStack->Frames.erase(Classic.FaultingStack->Frames.begin() + 1,
                                      Classic.FaultingStack->Frames.begin() + 3);
  for (const AnalysisReport *X : {&NoRacer, &Other, &Moved, &Old, &Init, &Classic})
    EXPECT_EQ(signatureOf(*X).id(), Base) << signatureOf(*X).key();
}

TEST(Signature, EveryPartOfTheIdCounts) {
  std::string Base = signatureOf(report()).id();
  AnalysisReport K = report();
  K.Fault.Kind = FaultKind::ConcurrentMapReadAndWrite;
  AnalysisReport T = report();
  T.Map->Type = "map[string]int64";
  AnalysisReport F = report();
  F.FaultingStack->Frames[4].Function = "main.(*Index).remove";
  AnalysisReport G = report();
  G.FaultingStack->Frames[5].Function = "main.init.3.func2";
  for (const AnalysisReport *X : {&K, &T, &F, &G})
    EXPECT_NE(signatureOf(*X).id(), Base);
  CrashSignature V = signatureOf(report());
  V.Version = 1;
  EXPECT_NE(V.id(), Base);
}

TEST(Signature, StandardLibraryAndNonGoFramesAreSkipped) {
  for (const char *F :
       {"runtime.mapassign", "internal/runtime/maps.(*Map).putSlotSmall",
        "sync.(*Map).Store", "reflect.mapassign0",
        "encoding/json.(*decodeState).object", "fmt.(*pp).printValue",
        "maps.Copy[...]", "type:.eq.main.T", "type..eq.main.T",
        "x_cgo_thread_start", "crosscall2"})
    EXPECT_TRUE(isSignatureSkipped(F)) << F;
  for (const char *F : {"main.main", "main.(*T).run.func1",
                        "github.com/acme/cache.(*LRU).Put",
                        "example/internalapi.Handle", "gopkg.in/yaml.v3.unmarshal",
                        "myservice/handlers.serve"})
    EXPECT_FALSE(isSignatureSkipped(F)) << F;
  AnalysisReport R = report();
  R.FaultingStack->Frames[4].Go = false; // a C frame between Go ones
  EXPECT_EQ(signatureOf(R).Frames.front(), "main.init.func1");
}

TEST(Signature, NamesAreNormalised) {
  EXPECT_EQ(normalizeSignatureFunction("main.init.3.func1.2"), "main.init.func1.2");
  EXPECT_EQ(normalizeSignatureFunction("main.glob..func4"), "main.init.func4");
  EXPECT_EQ(normalizeSignatureFunction("main.init.0"), "main.init");
  EXPECT_EQ(normalizeSignatureFunction("main.Put[go.shape.string,go.shape.int]"),
            "main.Put[...]");
  EXPECT_EQ(normalizeSignatureFunction("main.(*Cache[...]).Get.func1"),
            "main.(*Cache[...]).Get.func1");
  EXPECT_EQ(normalizeSignatureFunction("github.com/a/b.v2.(*T).M"),
            "github.com/a/b.v2.(*T).M");
  EXPECT_EQ(normalizeSignatureFunction("main.worker.func3"), "main.worker.func3");
}

TEST(Signature, UnknownPartsAreSpelledOut) {
  AnalysisReport R;
  R.Fault.Kind = FaultKind::Other;
  CrashSignature S = signatureOf(R);
  EXPECT_EQ(S.key(), "other | ? | -");
  EXPECT_FALSE(S.RacerGoroutine);
  llvm::json::Value V = toJSON(S);
  EXPECT_EQ(*V.getAsObject()->get("map_type"), llvm::json::Value(nullptr));
  EXPECT_EQ(*V.getAsObject()->get("racer_user_frame"), llvm::json::Value(nullptr));
  EXPECT_EQ(*V.getAsObject()->get("version"), llvm::json::Value(SignatureVersion));
  EXPECT_EQ(*V.getAsObject()->get("id"), llvm::json::Value(S.id()));
}

TEST(Signature, ReadBackFromItsJSON) {
  for (const AnalysisReport &R : {report(), AnalysisReport()}) {
    CrashSignature S = signatureOf(R);
    auto Back = signatureFromJSON(toJSON(S));
    ASSERT_TRUE(bool(Back)) << llvm::toString(Back.takeError());
    EXPECT_EQ(Back->key(), S.key());
    EXPECT_EQ(Back->id(), S.id());
    EXPECT_EQ(Back->UserFrame.str(), S.UserFrame.str());
    EXPECT_EQ(Back->RacerUserFrame.str(), S.RacerUserFrame.str());
    EXPECT_EQ(toJSON(*Back), toJSON(S));
  }
}

TEST(Signature, ReadBackRefusesOtherVersionsAndMissingParts) {
  llvm::json::Value V = toJSON(signatureOf(report()));
  auto Expect = [](llvm::json::Value X, llvm::StringRef Msg) {
    auto S = signatureFromJSON(X);
    ASSERT_FALSE(bool(S));
    std::string E = llvm::toString(S.takeError());
    EXPECT_NE(E.find(Msg.str()), std::string::npos) << E;
  };
  llvm::json::Value Old = V;
  (*Old.getAsObject())["version"] = 1;
  Expect(Old, "signature version 1");
  llvm::json::Value NoKind = V;
  NoKind.getAsObject()->erase("kind");
  Expect(NoKind, "kind");
  llvm::json::Value BadFrame = V;
  (*BadFrame.getAsObject())["user_frame"] = llvm::json::Object{{"function", "f"}};
  Expect(BadFrame, "user_frame");
  Expect(llvm::json::Value("x"), "not an object");
}

} // namespace

TEST(Signature, AFaultMetWhileIteratingIsAnIterationFault) {
  // Go 1.24+'s (*Iter).Next throws "concurrent map read and map write"
  // from the lookup it makes after the map grew: the same race as its own
  // iteration check's, one signature.
  AnalysisReport Iter = report();
  Iter.Fault.Kind = FaultKind::ConcurrentMapIterationAndWrite;
  Iter.Fault.Operation = MapOp::IterNext;
  AnalysisReport Lookup = Iter;
  Lookup.Fault.Kind = FaultKind::ConcurrentMapReadAndWrite;
  EXPECT_EQ(signatureOf(Lookup).Kind, "concurrent_map_iteration_and_write");
  EXPECT_EQ(signatureOf(Lookup).id(), signatureOf(Iter).id());
  // A read elsewhere stays a read.
  AnalysisReport Read = Lookup;
  Read.Fault.Operation = MapOp::Access;
  EXPECT_EQ(signatureOf(Read).Kind, "concurrent_map_read_and_write");
  EXPECT_EQ(SignatureVersion, 3);
}
