#include "report/AnalysisText.h"

#include <gtest/gtest.h>

using namespace ms;

namespace {

AnalysisReport withKey(std::string GoSyntax, bool Stale) {
  AnalysisReport R;
  R.MapFault = true;
  R.Fault.Kind = FaultKind::ConcurrentMapWrites;
  KeyReport K;
  K.Type = "string";
  K.GoSyntax = std::move(GoSyntax);
  K.Provenance.Src = Source::SpillSlot;
  K.Provenance.Conf = Stale ? Confidence::Low : Confidence::High;
  K.Provenance.Stale = Stale;
  R.Key = K;
  return R;
}

std::string text(const AnalysisReport &R) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  writeAnalysisText(R, OS);
  return OS.str();
}

TEST(AnalysisText, LongValuesAreCutOnACharacter) {
  EXPECT_EQ(shortValueText("abc", 3), "abc");
  EXPECT_EQ(shortValueText("abcd", 3), "abc\u2026 (4 bytes)");
  // "é" is two bytes: a cut inside it backs off to before it.
  EXPECT_EQ(shortValueText("ab\xc3\xa9z", 3), "ab\u2026 (5 bytes)");
  std::string Long = "\"" + std::string(5000, 'x') + "\"";
  std::string T = text(withKey(Long, false));
  EXPECT_EQ(T.find(Long), std::string::npos);
  EXPECT_NE(T.find("\u2026 (5002 bytes)"), std::string::npos) << T;
}

TEST(AnalysisText, AStaleSlotIsNeverTheAnswer) {
  std::string T = text(withKey("\"user:1\"", true));
  EXPECT_NE(T.find("  key  not recovered  (a stale spill slot holds \"user:1\": "
                   "probably an earlier call's key)"),
            std::string::npos)
      << T;
  EXPECT_NE(T.find("  stale      probably an earlier call's key"),
            std::string::npos) << T;
  T = text(withKey("\"user:1\"", false));
  EXPECT_NE(T.find("  key  \"user:1\"  [high, from spill_slot]"),
            std::string::npos) << T;
  EXPECT_EQ(T.find("stale"), std::string::npos) << T;
}

AnalysisReport bigSwissMap(size_t NTables) {
  AnalysisReport R = withKey("\"k\"", false);
  MapReport M;
  M.Address = 0xc000010000;
  M.Type = "map[string]int";
  M.Impl = MapImpl::Swiss;
  M.Swiss = SwissHeader{};
  for (size_t I = 0; I < NTables; ++I) {
    SwissTable T;
    T.Addr = 0xc100000000 + I * 0x1000;
    T.Capacity = 1024;
    T.Used = T.Full = static_cast<uint16_t>(700 + I % 100);
    T.GroupsWalked = 128;
    T.Index = static_cast<int64_t>(I);
    M.Tables.push_back(T);
  }
  // Tables of note, when there are that many.
  if (NTables > 1500) {
    M.Tables[7].Full -= 3;     // inconsistent
    M.Tables[1500].Index = -1; // replaced
    GrowthWorker W;
    W.Goroutine = 42;
    W.Function = "internal/runtime/maps.(*table).split";
    W.Table = M.Tables[900].Addr;
    M.GrowthBy.push_back(W);
  }
  M.Growing = true;
  R.Map = M;
  KeyLocationReport L;
  KeyHome H;
  H.Table = 1234;
  H.HashAlgorithm = "aes-amd64";
  L.Lookup.Home = H;
  R.Key->Location = L;
  return R;
}

size_t count(const std::string &S, const std::string &Sub) {
  size_t N = 0;
  for (size_t P = S.find(Sub); P != std::string::npos; P = S.find(Sub, P + 1))
    ++N;
  return N;
}

TEST(AnalysisText, ABigMapsTablesAreSummarised) {
  AnalysisReport R = bigSwissMap(2048);
  std::string T = text(R);
  EXPECT_LT(count(T, "\n"), 80u) << T;
  EXPECT_NE(T.find("  tables     2048, used per table min 700, median 748, "
                   "max 799; capacity 2097152 in all"),
            std::string::npos) << T;
  EXPECT_EQ(count(T, "  table      "), 4u) << T;
  EXPECT_NE(T.find("0xc1004d2000: used 734 of 1024, growthLeft 0, localDepth 0"
                   "  (the key's home)"),
            std::string::npos) << T;
  EXPECT_NE(T.find("(goroutine 42 is growing it)"), std::string::npos) << T;
  EXPECT_NE(T.find("(used 707 but 704 full slots)"), std::string::npos) << T;
  EXPECT_NE(T.find("(replaced by a grow)"), std::string::npos) << T;
  EXPECT_NE(T.find("--all-tables"), std::string::npos) << T;

  std::string All;
  llvm::raw_string_ostream OS(All);
  writeAnalysisText(R, OS, TextOptions{false, true});
  EXPECT_EQ(count(OS.str(), "  table      "), 2048u);
  EXPECT_EQ(OS.str().find("--all-tables"), std::string::npos);

  // A few tables are all listed, as before.
  T = text(bigSwissMap(MaxTablesListed));
  EXPECT_EQ(count(T, "  table      "), MaxTablesListed);
  EXPECT_EQ(T.find("  tables     "), std::string::npos);
}

} // namespace
