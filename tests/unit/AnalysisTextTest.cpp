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

} // namespace
