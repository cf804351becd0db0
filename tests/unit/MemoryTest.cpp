#include "support/Memory.h"

#include <gtest/gtest.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include "loader/InputFile.h"

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

// releaseResident lets the kernel drop a mapped file's pages; reads after
// it see the same bytes, and bytes in ordinary memory are left alone
// (MADV_DONTNEED would zero them).
TEST(RegionMemory, ReleaseResidentKeepsEveryByte) {
  llvm::SmallString<128> Path;
  int FD = -1;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("ms-resident", "bin", FD, Path));
  std::vector<uint8_t> Content(1 << 20);
  for (size_t I = 0; I < Content.size(); ++I)
    Content[I] = static_cast<uint8_t>(I * 131 + (I >> 12));
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS.write(reinterpret_cast<const char *>(Content.data()), Content.size());
  }
  auto F = InputFile::open(Path.str().str());
  ASSERT_TRUE(static_cast<bool>(F)) << llvm::toString(F.takeError());
  EXPECT_TRUE((*F)->fileMapped()) << "a 1 MiB file is mapped, not read";
  std::vector<uint8_t> Heap = Content;
  auto Copy = InputFile::fromBytes(
      llvm::StringRef(reinterpret_cast<const char *>(Heap.data()), Heap.size()),
      "heap");
  EXPECT_FALSE(Copy->fileMapped());

  RegionMemory M;
  // At an unaligned address and offset, as core segments need not be.
  M.add(0x10000, (*F)->data().drop_front(100), RegionSource::Core,
        (*F)->fileMapped());
  M.add(0x400000, Copy->data(), RegionSource::Core, Copy->fileMapped());
  auto Before = M.readBytes(0x10000, Content.size() - 100);
  ASSERT_TRUE(static_cast<bool>(Before));
  llvm::ArrayRef<uint8_t> View = M.view(0x10000 + 5000, 64);
  ASSERT_EQ(View.size(), 64u);
  M.releaseResident();
  OverlayMemory O(RegionMemory(), std::make_unique<RegionMemory>(M));
  O.releaseResident();
  auto After = M.readBytes(0x10000, Content.size() - 100);
  ASSERT_TRUE(static_cast<bool>(After));
  EXPECT_TRUE(*Before == *After);
  EXPECT_TRUE(std::equal(View.begin(), View.end(), Content.begin() + 5100))
      << "a view taken before the release still reads the file's bytes";
  auto HeapAfter = M.readBytes(0x400000, Heap.size());
  ASSERT_TRUE(static_cast<bool>(HeapAfter));
  EXPECT_TRUE(*HeapAfter == Content) << "ordinary memory was released";
  llvm::sys::fs::remove(Path);
}

} // namespace
