// The report's JSON carries text from the inputs (paths, command line,
// build settings, warnings): invalid UTF-8 there must not trip llvm::json
// (which asserts on it in builds with assertions, e.g. the ASan build).
#include <gtest/gtest.h>

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>

#include "report/Analysis.h"
#include "report/Json.h"
#include "report/Signature.h"
#include "report/Stacks.h"
#include "report/Summary.h"
#include "support/Error.h"

using namespace ms;

TEST(Summary, InvalidUtf8FromTheInputsBecomesReplacementCharacters) {
  const std::string Bad = "ab\xff\xfe" "c\xc3";
  InfoReport R;
  R.Core.Path = Bad;
  R.Core.Command = Bad;
  R.Core.Args = Bad;
  R.Core.Mappings.push_back({0x400000, 0x401000, 0, Bad});
  R.Exe.Path = Bad;
  R.Exe.GoVersion = Bad;
  R.Exe.GoVersionFull = Bad;
  R.Exe.BuildSettings[Bad] = Bad;
  R.Exe.GoBuildId = Bad;
  R.Exe.MatchDetail = Bad;
  R.Exe.Interpreter = Bad;
  R.LibrariesLoaded.push_back(Bad);
  R.Warnings.push_back(Bad);
  std::string S = llvm::formatv("{0}", toJSON(R)).str();
  auto Parsed = llvm::json::parse(S);
  ASSERT_TRUE(static_cast<bool>(Parsed)) << llvm::toString(Parsed.takeError());
  EXPECT_NE(S.find("ab\xef\xbf\xbd"), std::string::npos) << S;
}

// Function, file and type names come from the executable's pclntab and
// type descriptors; a damaged one gave the goroutines report invalid UTF-8
// (found by fuzz_target; tests/fuzz/regressions/fuzz_target/).
TEST(Summary, NamesFromADamagedExecutableAreValidJson) {
  const std::string Bad = "ab\xff\xfe" "c\xc3";
  auto Valid = [](const llvm::json::Value &V) {
    std::string S = llvm::formatv("{0}", V).str();
    auto Parsed = llvm::json::parse(S);
    EXPECT_TRUE(static_cast<bool>(Parsed)) << llvm::toString(Parsed.takeError());
    EXPECT_EQ(S.find("\xff"), std::string::npos);
    return S.find("ab\xef\xbf\xbd") != std::string::npos;
  };
  FrameReport F;
  F.Function = F.File = F.Note = Bad;
  StackReport St;
  St.Frames.push_back(F);
  St.End = Bad;
  St.Warnings.push_back(Bad);
  GoroutinesReport G;
  GoroutineReport One;
  One.Status = "waiting";
  One.WaitReason = Bad;
  One.CreatedBy = {Bad, Bad, 1};
  One.UserFrame = {Bad, Bad, 2};
  One.Stack = St;
  G.Goroutines.push_back(One);
  G.Layouts = G.AllgsHow = Bad;
  G.Warnings.push_back(Bad);
  EXPECT_TRUE(Valid(toJSON(G)));

  AnalysisReport A;
  A.Fault.Message = A.Fault.EntryFunction = Bad;
  A.Fault.Frame.Function = A.Fault.Frame.File = Bad;
  MapReport M;
  M.Type = M.KeyType = M.ElemType = Bad;
  M.Provenance.Detail = Bad;
  A.Map = M;
  KeyReport K;
  K.Type = K.GoSyntax = Bad;
  K.DynamicType = Bad;
  A.Key = K;
  RacerReport R;
  R.Function = R.EntryFunction = R.GrowthFunction = Bad;
  R.UserFrame.Function = Bad;
  R.Stack = St;
  A.Racers.push_back(R);
  A.Layouts = Bad;
  A.Warnings.push_back(Bad);
  EXPECT_TRUE(Valid(toJSON(A)));

  CrashSignature Sig;
  Sig.MapType = Bad;
  Sig.UserFrame.Function = Sig.UserFrame.File = Bad;
  Sig.Frames.push_back(Bad);
  EXPECT_TRUE(Valid(toJSON(Sig)));
}

TEST(Summary, JsonTextKeepsValidUtf8) {
  EXPECT_EQ(jsonText("plain"), "plain");
  EXPECT_EQ(jsonText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(jsonText("\xff"), "\xef\xbf\xbd");
}

// The CLI's one-line error quotes input text: it stays one printable line
// whatever that text holds (a damaged build id, a path with a newline).
TEST(ErrorText, OneLineWhateverTheInputHolds) {
  std::string Id = "zi0oL2\x14\x18\t\r\n\x1c\x1d\x1e\x7f\xc2\x85\xe2\x80\xa8"
                   "\xe2\x80\xa9\xff end";
  std::string S = errorText(inputError("exe", "build id {0} differs", Id));
  EXPECT_EQ(S.find_first_of(std::string("\n\r\t\x14\x1c\x7f", 6)),
            std::string::npos)
      << S;
  EXPECT_EQ(S.find("\xc2\x85"), std::string::npos);
  EXPECT_EQ(S.find("\xe2\x80\xa8"), std::string::npos);
  EXPECT_NE(S.find("zi0oL2\\x14\\x18\\x09"), std::string::npos) << S;
  EXPECT_NE(S.find(" end"), std::string::npos);
  EXPECT_TRUE(llvm::json::isUTF8(S));
}

// support/utf8Text repairs text as llvm::json::fixUTF8 did before the
// report writers stopped reaching below report/ for it.
TEST(Summary, Utf8TextRepairsAsLlvmJsonDoes) {
  const char *Cases[] = {"", "plain", "caf\xc3\xa9", "\xff", "a\xc3",
                         "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big",
                         "\xe2\x82", "mixed \xc3\xa9\xff\xfe ok"};
  for (const char *C : Cases) {
    std::string Want = llvm::json::isUTF8(C) ? std::string(C)
                                             : llvm::json::fixUTF8(C);
    EXPECT_EQ(utf8Text(C), Want) << C;
  }
}

TEST(Summary, FaultKindsRoundTripThroughTheRuntimeMessage) {
  for (FaultKind K : {FaultKind::ConcurrentMapWrites,
                      FaultKind::ConcurrentMapReadAndWrite,
                      FaultKind::ConcurrentMapIterationAndWrite,
                      FaultKind::ConcurrentMapCloneAndWrite,
                      FaultKind::NilMapWrite}) {
    EXPECT_NE(faultKindName(K), "other");
    std::string Msg = faultKindName(K).str();
    EXPECT_EQ(faultKindOfMessage(Msg), FaultKind::Other); // a name is not a message
  }
  EXPECT_EQ(faultKindOfMessage("concurrent map writes"),
            FaultKind::ConcurrentMapWrites);
  EXPECT_EQ(faultKindOfMessage("assignment to entry in nil map"),
            FaultKind::NilMapWrite);
  EXPECT_EQ(faultKindOfMessage("index out of range"), FaultKind::Other);
  EXPECT_EQ(faultKindName(FaultKind::Other), "other");
}
