#include "goruntime/GoProgram.h"
#include "goruntime/GoVersions.h"

#include <gtest/gtest.h>

#include "GoFixture.h"

using namespace ms;
using namespace mstest;

namespace {

TEST(GoProgram, OpensEveryFixture) {
  forEachGoFixture([&](const std::string &,
                       const std::unique_ptr<GoFixture> &F) {
    auto P = GoProgram::open(*F->T);
    ASSERT_TRUE(static_cast<bool>(P)) << toString(P.takeError());
    GoProgram &G = **P;
    EXPECT_EQ(G.version().Minor, F->BI.Version.Minor);
    EXPECT_EQ(G.moduleSource(), F->T->exe().hasSymbols()
                                    ? ModuleDataSource::Symbol
                                    : ModuleDataSource::Scan);
    EXPECT_TRUE(G.warnings().empty());
    auto Main = G.pclntab().findFuncByName("main.main");
    ASSERT_TRUE(static_cast<bool>(Main));
    auto RK = G.types().findByName("main.routeKey");
    ASSERT_TRUE(RK && *RK);
    EXPECT_EQ(G.mapImpl(), F->BI.Version.atLeast(1, 24) ? MapImpl::Swiss
                                                         : MapImpl::Classic);
  });
}

TEST(GoProgram, RefusesUnsupportedVersions) {
  for (const char *V : {"go1.18.10", "go1.28.0"}) {
    Error E = checkSupported(*GoVersion::parse(V), "x");
    EXPECT_TRUE(static_cast<bool>(E)) << V;
    llvm::consumeError(std::move(E));
  }
  Error Ok = checkSupported(*GoVersion::parse("go1.27.4"), "x");
  EXPECT_FALSE(static_cast<bool>(Ok));
}

} // namespace
