// The Go version traits table (goruntime/GoVersions.h) against the layout
// tables and the docs: what HACKING.md "Adding a Go version" asks for.
#include "goruntime/GoVersions.h"
#include "goruntime/Layouts.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <llvm/Support/FormatVariadic.h>

using namespace ms;

namespace {

GoVersion version(int Minor) {
  return *GoVersion::parse(llvm::formatv("go1.{0}.3", Minor).str());
}

std::string readDoc(const char *Name) {
  std::ifstream In(std::string(MS_TEST_DATA_DIR) + "/../../" + Name);
  std::stringstream S;
  S << In.rdbuf();
  return S.str();
}

} // namespace

TEST(GoVersions, RowsAreConsecutiveMinorsOldestFirst) {
  auto T = goVersionTable();
  ASSERT_GE(T.size(), 2u);
  for (size_t I = 1; I < T.size(); ++I)
    EXPECT_EQ(T[I].Minor, T[I - 1].Minor + 1) << "row " << I;
  EXPECT_TRUE(T.front().Supported);
  EXPECT_TRUE(T.back().Supported);
}

TEST(GoVersions, EverySupportedVersionHasItsLayoutTables) {
  std::vector<std::string> Names = RuntimeLayouts::tableNames();
  auto Has = [&](const std::string &N) {
    return std::find(Names.begin(), Names.end(), N) != Names.end();
  };
  for (const GoVersionTraits &R : goVersionTable()) {
    if (!R.Supported) {
      EXPECT_STREQ(R.LayoutTable, "") << R.Minor;
      continue;
    }
    EXPECT_EQ(R.LayoutTable, llvm::formatv("go1.{0}", R.Minor).str());
    ASSERT_TRUE(Has(R.LayoutTable)) << R.LayoutTable;
    for (const char *Arch : {"amd64", "arm64"}) {
      auto L = RuntimeLayouts::fromTable(R.LayoutTable, Arch);
      ASSERT_TRUE(static_cast<bool>(L))
          << R.LayoutTable << " " << Arch << ": " << errorText(L.takeError());
      EXPECT_EQ((*L)->mapImpl(),
                R.SwissByDefault ? MapImpl::Swiss : MapImpl::Classic)
          << R.LayoutTable;
      EXPECT_EQ((*L)->goVersion(), R.LayoutTable);
    }
    // A version that still has noswissmap has a classic table for it.
    EXPECT_EQ(Has(std::string(R.LayoutTable) + "-noswissmap"),
              R.NoSwissExperiment)
        << R.LayoutTable;
    // Facts that go together.
    EXPECT_EQ(R.SwissMapTypeSize != 0, R.SwissByDefault) << R.Minor;
    EXPECT_TRUE(!R.NoSwissExperiment || R.SwissByDefault) << R.Minor;
  }
  // And no layout table belongs to a version the table does not support.
  for (const std::string &N : Names) {
    int Minor = 0;
    ASSERT_EQ(sscanf(N.c_str(), "go1.%d", &Minor), 1) << N;
    const GoVersionTraits *R = findGoVersionTraits(version(Minor));
    ASSERT_NE(R, nullptr) << N;
    EXPECT_TRUE(R->Supported) << N;
  }
}

TEST(GoVersions, UnsupportedVersionsAreRefusedNamingTheSupportedOnes) {
  auto T = goVersionTable();
  std::vector<int> Refused = {T.front().Minor - 1, T.back().Minor + 1};
  for (const GoVersionTraits &R : T)
    if (!R.Supported)
      Refused.push_back(R.Minor);
  for (int Minor : Refused) {
    Error E = checkSupported(version(Minor), "prog");
    ASSERT_TRUE(static_cast<bool>(E)) << Minor;
    std::string Text = errorText(std::move(E));
    EXPECT_NE(Text.find("prog"), std::string::npos) << Text;
    EXPECT_NE(Text.find(llvm::formatv("unsupported Go version go1.{0}.3",
                                      Minor)
                            .str()),
              std::string::npos)
        << Text;
    EXPECT_NE(Text.find(supportedGoVersionsText()), std::string::npos) << Text;
  }
  Error Go2 = checkSupported(*GoVersion::parse("go2.0.0"), "prog");
  EXPECT_TRUE(static_cast<bool>(Go2));
  consumeError(std::move(Go2));
  for (const GoVersionTraits &R : T) {
    if (R.Supported) {
      EXPECT_FALSE(static_cast<bool>(checkSupported(version(R.Minor), "p")))
          << R.Minor;
    }
  }
}

TEST(GoVersions, NearestRowForVersionsOutsideTheTable) {
  auto T = goVersionTable();
  EXPECT_EQ(traitsOfMinor(T.back().Minor + 5).Minor, T.back().Minor);
  EXPECT_EQ(traitsOfMinor(T.front().Minor - 5).Minor, T.front().Minor);
  EXPECT_EQ(traitsOf(*GoVersion::parse("go2.1.0")).Minor, T.back().Minor);
}

TEST(GoVersions, UsageStatesTheSupportedRangeAndTheChecklist) {
  std::string Usage = readDoc("USAGE.md");
  ASSERT_FALSE(Usage.empty());
  // "Go 1.19 and 1.21–1.27": the table's supported runs, as USAGE says them.
  std::string Runs;
  auto T = goVersionTable();
  for (size_t I = 0; I < T.size();) {
    if (!T[I].Supported) {
      ++I;
      continue;
    }
    size_t J = I;
    while (J + 1 < T.size() && T[J + 1].Supported)
      ++J;
    std::string Run = llvm::formatv("1.{0}", T[I].Minor).str();
    if (J > I)
      Run += llvm::formatv("\xe2\x80\x93" "1.{0}", T[J].Minor).str();
    Runs += (Runs.empty() ? "Go " : " and ") + Run;
    I = J + 1;
  }
  EXPECT_NE(Usage.find("Supported: linux/amd64 and linux/arm64 cores of " +
                       Runs + ","),
            std::string::npos)
      << "USAGE.md should say: cores of " << Runs;
  EXPECT_NE(readDoc("HACKING.md").find("## Adding a Go version"),
            std::string::npos);
}
