#include "support/Memory.h"

#include <gtest/gtest.h>

using namespace ms;

namespace {

TEST(RegionMemory, ReadsWithinAndAcrossRegions) {
  std::vector<uint8_t> A = {1, 2, 3, 4}, B = {5, 6, 7, 8};
  RegionMemory M;
  M.add(0x1000, A, RegionSource::Core);
  M.add(0x1004, B, RegionSource::Executable);
  auto V = M.readU64(0x1000);
  ASSERT_TRUE(static_cast<bool>(V)) << llvm::toString(V.takeError());
  EXPECT_EQ(*V, 0x0807060504030201ull);
  EXPECT_EQ(M.view(0x1001, 2).size(), 2u);
  EXPECT_TRUE(M.view(0x1002, 4).empty()) << "view never spans regions";
}

TEST(RegionMemory, MissingMemoryIsAnErrorNamingTheAddress) {
  std::vector<uint8_t> A = {1, 2, 3, 4};
  RegionMemory M;
  M.add(0x1000, A, RegionSource::Core);
  auto V = M.readU32(0x1002); // runs past the end
  ASSERT_FALSE(static_cast<bool>(V));
  std::string Msg = llvm::toString(V.takeError());
  EXPECT_NE(Msg.find("0x1004"), std::string::npos) << Msg;
  EXPECT_FALSE(M.isReadable(0x2000));
}

TEST(RegionMemory, EarlierRegionsWinOverlaps) {
  std::vector<uint8_t> Core = {0xAA, 0xAA}, Exe = {1, 2, 3, 4, 5, 6};
  RegionMemory M;
  M.add(0x1002, Core, RegionSource::Core);
  M.add(0x1000, Exe, RegionSource::Executable);
  auto Bytes = M.readBytes(0x1000, 6);
  ASSERT_TRUE(static_cast<bool>(Bytes));
  EXPECT_EQ(*Bytes, (std::vector<uint8_t>{1, 2, 0xAA, 0xAA, 5, 6}));
  EXPECT_EQ(M.find(0x1002)->Source, RegionSource::Core);
  EXPECT_EQ(M.find(0x1005)->Source, RegionSource::Executable);
}

TEST(OverlayMemory, FrontWinsAndTheBackFillsTheGaps) {
  // Back: a host answering 0xEE everywhere in [0x1000, 0x1010), nothing
  // elsewhere; front: the file's bytes at [0x1004, 0x1008).
  std::vector<uint8_t> Host(16, 0xEE), File = {1, 2, 3, 4};
  auto Back = std::make_unique<RegionMemory>();
  Back->add(0x1000, Host, RegionSource::Other);
  RegionMemory Front;
  Front.add(0x1004, File, RegionSource::Executable);
  OverlayMemory M(std::move(Front), std::move(Back));
  auto Bytes = M.readBytes(0x1002, 8);
  ASSERT_TRUE(static_cast<bool>(Bytes)) << llvm::toString(Bytes.takeError());
  EXPECT_EQ(*Bytes,
            (std::vector<uint8_t>{0xEE, 0xEE, 1, 2, 3, 4, 0xEE, 0xEE}));
  EXPECT_EQ(M.view(0x1005, 2).size(), 2u);
  EXPECT_EQ(M.view(0x1005, 2)[0], 2);
  EXPECT_TRUE(M.view(0x1002, 4).empty()) << "a view never spans front and back";
  EXPECT_EQ(M.view(0x1008, 4).size(), 4u) << "the back's own view";
  // Past what either has: a fault naming the first missing address.
  auto V = M.readBytes(0x100c, 8);
  ASSERT_FALSE(static_cast<bool>(V));
  std::string Msg = llvm::toString(V.takeError());
  EXPECT_NE(Msg.find("0x1010"), std::string::npos) << Msg;
}

} // namespace
