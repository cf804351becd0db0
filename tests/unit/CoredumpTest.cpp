#include "loader/Coredump.h"
#include "report/Json.h"

#include <cerrno>
#include <cstdio>
#include <string>

#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <llvm/Support/FormatVariadic.h>

using namespace ms;

TEST(Coredump, ParsesSystemdFileNames) {
  auto N = parseCoredumpName(
      "core.my\\x2eserver.1000.0123456789abcdef0123456789abcdef.4242."
      "1764145465000000.zst");
  ASSERT_TRUE(N.has_value());
  EXPECT_EQ(N->Comm, "my.server");
  EXPECT_EQ(N->Uid, 1000);
  EXPECT_EQ(N->Pid, 4242);
  EXPECT_EQ(N->TimestampUs, 1764145465000000);
  EXPECT_TRUE(parseCoredumpName(
      "core.x.0.0123456789abcdef0123456789abcdef.1.2").has_value());
  EXPECT_FALSE(parseCoredumpName("core.1234").has_value());
  EXPECT_FALSE(parseCoredumpName(
      "core.x.0.0123456789abcdef0123456789abcdef.1.2.gz").has_value());
  EXPECT_FALSE(parseCoredumpName(
      "core.x.0.not-a-boot-id-not-a-boot-id-xx.1.2").has_value());
}

// The attributes of a real file, in the build folder (the tests' working
// directory), set as systemd-coredump sets them: values without a NUL.
TEST(Coredump, ReadsUserCoredumpAttributesOfARealFile) {
  std::string Path = llvm::formatv("coredump-xattr-test.{0}", ::getpid()).str();
  FILE *F = std::fopen(Path.c_str(), "wb");
  ASSERT_NE(F, nullptr);
  std::fputs("not a core", F);
  std::fclose(F);
  EXPECT_TRUE(readCoredumpXattrs(Path).empty());
  auto Set = [&](const char *Name, const std::string &V) {
    return ::setxattr(Path.c_str(), Name, V.data(), V.size(), 0);
  };
  if (Set("user.coredump.exe", "/usr/bin/my server") != 0) {
    int E = errno;
    std::remove(Path.c_str());
    if (E == ENOTSUP || E == EPERM)
      GTEST_SKIP() << "this file system refuses user extended attributes";
    FAIL() << "setxattr: " << E;
  }
  ASSERT_EQ(Set("user.coredump.pid", "4242"), 0);
  ASSERT_EQ(Set("user.coredump.signal", "6"), 0);
  ASSERT_EQ(Set("user.coredump.timestamp", "1764145465000000"), 0);
  ASSERT_EQ(Set("user.coredump.rlimit", "18446744073709551615"), 0);
  ASSERT_EQ(Set("user.coredump.hostname", "host\nname"), 0);
  ASSERT_EQ(Set("user.coredump.uid", "not a number"), 0);
  ASSERT_EQ(Set("user.other", "ignored"), 0);

  CoredumpXattrs X = readCoredumpXattrs(Path);
  std::remove(Path.c_str());
  ASSERT_FALSE(X.empty());
  EXPECT_EQ(X.exe().value_or(""), "/usr/bin/my server");
  EXPECT_EQ(X.number("pid").value_or(0), 4242u);
  EXPECT_FALSE(X.comm().has_value());
  EXPECT_FALSE(X.get("other").has_value());
  EXPECT_FALSE(X.number("uid").has_value());

  llvm::json::Value J = toJSON(X);
  const llvm::json::Object *O = J.getAsObject();
  ASSERT_NE(O, nullptr);
  EXPECT_EQ(O->getInteger("pid").getValueOr(0), 4242);
  EXPECT_EQ(O->getInteger("signal").getValueOr(0), 6);
  EXPECT_EQ(O->getInteger("timestamp").getValueOr(0), 1764145465000000);
  EXPECT_EQ(O->getString("rlimit").getValueOr(""), "unlimited");
  EXPECT_EQ(O->getString("uid").getValueOr(""), "not a number");
  EXPECT_EQ(O->getString("exe").getValueOr(""), "/usr/bin/my server");
  EXPECT_EQ(O->size(), 7u);

  std::string D = describe(X);
  EXPECT_NE(D.find("exe /usr/bin/my server"), std::string::npos) << D;
  EXPECT_NE(D.find("time 2025-11-26T08:24:25Z"), std::string::npos) << D;
  EXPECT_NE(D.find("rlimit unlimited"), std::string::npos) << D;
}
