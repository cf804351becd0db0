#include "loader/Sniff.h"

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <lzma.h>
#include <zstd.h>
#if MAPSLEUTH_HAVE_LZ4
#include <lz4frame.h>
#endif

#include <llvm/Support/FileSystem.h>

using namespace ms;

namespace {

// An ELF header cut after e_machine: enough for sniffBytes.
std::string elfHead(uint8_t Class, uint8_t Data, uint16_t Type,
                    uint16_t Machine) {
  std::string H = "\x7f"
                  "ELF";       // e_ident[EI_MAG0..3]
  H += char(Class);            // EI_CLASS: 1 ELFCLASS32, 2 ELFCLASS64
  H += char(Data);             // EI_DATA: 1 little-endian, 2 big-endian
  H += char(1);                // EI_VERSION
  H += std::string(9, '\0');   // EI_OSABI, EI_ABIVERSION, padding
  auto Put16 = [&](uint16_t V) {
    if (Data == 2)
      H += char(V >> 8), H += char(V & 0xff);
    else
      H += char(V & 0xff), H += char(V >> 8);
  };
  Put16(Type);    // e_type
  Put16(Machine); // e_machine
  H += std::string(44, '\0'); // the rest of an Elf64_Ehdr
  return H;
}

TEST(Sniff, TellsCoresFromExecutablesByType) {
  auto S = sniffBytes(elfHead(2, 1, /*ET_CORE*/ 4, /*EM_X86_64*/ 62));
  EXPECT_EQ(S.What, FileSniff::Kind::Core);
  EXPECT_EQ(S.Machine, 62);
  EXPECT_TRUE(S.Is64);
  EXPECT_EQ(sniffBytes(elfHead(2, 1, /*ET_EXEC*/ 2, 62)).What,
            FileSniff::Kind::Executable);
  EXPECT_EQ(sniffBytes(elfHead(2, 1, /*ET_DYN*/ 3, 183)).What,
            FileSniff::Kind::Executable);
  EXPECT_EQ(sniffBytes(elfHead(2, 1, /*ET_REL*/ 1, 62)).What,
            FileSniff::Kind::OtherElf);
  // Big-endian fields are read big-endian.
  auto BE = sniffBytes(elfHead(1, 2, 4, /*EM_PPC*/ 20));
  EXPECT_EQ(BE.What, FileSniff::Kind::Core);
  EXPECT_EQ(BE.Machine, 20);
  EXPECT_FALSE(BE.Is64);
}

TEST(Sniff, AnythingElseIsNotElf) {
  EXPECT_EQ(sniffBytes("").What, FileSniff::Kind::NotElf);
  EXPECT_EQ(sniffBytes("\x7f"
                       "ELF")
                .What,
            FileSniff::Kind::NotElf)
      << "too short for e_type";
  EXPECT_EQ(sniffBytes(elfHead(3, 1, 4, 62)).What, FileSniff::Kind::NotElf)
      << "bad EI_CLASS";
  EXPECT_EQ(sniffBytes(elfHead(2, 0, 4, 62)).What, FileSniff::Kind::NotElf)
      << "bad EI_DATA";
  EXPECT_EQ(sniffBytes("/var/crash/core.1234\n").What,
            FileSniff::Kind::NotElf);
}

// A core-looking payload, larger than any decoder's first output chunk.
std::string payload() {
  std::string P = elfHead(2, 1, 4, 62);
  uint32_t X = 12345;
  while (P.size() < 300000) {
    X = X * 1103515245u + 12345u;
    P += char('a' + (X >> 16) % 7); // compressible, not trivial
  }
  return P;
}

std::string compress(const std::string &In, Compression C) {
  std::string Out;
  switch (C) {
  case Compression::Zstd: {
    Out.resize(ZSTD_compressBound(In.size()));
    size_t N = ZSTD_compress(Out.data(), Out.size(), In.data(), In.size(), 3);
    EXPECT_FALSE(ZSTD_isError(N));
    Out.resize(N);
    break;
  }
  case Compression::Xz: {
    Out.resize(In.size() + 1024);
    size_t Pos = 0;
    EXPECT_EQ(lzma_easy_buffer_encode(
                  6, LZMA_CHECK_CRC64, nullptr,
                  reinterpret_cast<const uint8_t *>(In.data()), In.size(),
                  reinterpret_cast<uint8_t *>(Out.data()), &Pos, Out.size()),
              LZMA_OK);
    Out.resize(Pos);
    break;
  }
  case Compression::Lz4:
#if MAPSLEUTH_HAVE_LZ4
    Out.resize(LZ4F_compressFrameBound(In.size(), nullptr));
    Out.resize(LZ4F_compressFrame(Out.data(), Out.size(), In.data(),
                                  In.size(), nullptr));
#endif
    break;
  case Compression::None:
    Out = In;
    break;
  }
  return Out;
}

class TempPath {
public:
  explicit TempPath(const std::string &Bytes) {
    llvm::SmallString<128> P;
    int FD;
    EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("sniff", "bin", FD, P));
    ::close(FD);
    Path = P.str().str();
    std::ofstream(Path, std::ios::binary) << Bytes;
  }
  ~TempPath() { std::remove(Path.c_str()); }
  std::string Path;
};

class SniffCompressed : public ::testing::TestWithParam<Compression> {};

TEST_P(SniffCompressed, SeesTheCoreInsideAndInflatesIt) {
  Compression C = GetParam();
  if (C == Compression::Lz4 && !haveLz4())
    GTEST_SKIP() << "built without liblz4";
  std::string P = payload();
  TempPath F(compress(P, C));

  auto S = sniffFile(F.Path);
  ASSERT_TRUE(static_cast<bool>(S)) << llvm::toString(S.takeError());
  EXPECT_EQ(S->What, FileSniff::Kind::Core);
  EXPECT_EQ(S->Comp, C);

  auto H = readHead(F.Path, 100);
  ASSERT_TRUE(static_cast<bool>(H)) << llvm::toString(H.takeError());
  EXPECT_EQ(H->Bytes, P.substr(0, 100));

  auto In = InputFile::open(F.Path);
  ASSERT_TRUE(static_cast<bool>(In)) << llvm::toString(In.takeError());
  EXPECT_EQ(In->get()->compression(), C);
  EXPECT_TRUE(In->get()->bytes() == P) << "inflated content differs";
}

TEST_P(SniffCompressed, TruncatedStreamSniffsButDoesNotOpen) {
  Compression C = GetParam();
  if (C == Compression::Lz4 && !haveLz4())
    GTEST_SKIP() << "built without liblz4";
  if (C == Compression::None)
    GTEST_SKIP() << "nothing to truncate in a stream";
  std::string Z = compress(payload(), C);
  TempPath F(Z.substr(0, Z.size() / 2));
  auto S = sniffFile(F.Path);
  ASSERT_TRUE(static_cast<bool>(S)) << llvm::toString(S.takeError());
  EXPECT_EQ(S->What, FileSniff::Kind::Core) << "the head is still a core";
  auto In = InputFile::open(F.Path);
  ASSERT_FALSE(static_cast<bool>(In));
  std::string Msg = llvm::toString(In.takeError());
  EXPECT_NE(Msg.find("cannot decompress"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find(F.Path), std::string::npos) << Msg;
}

// A core is mostly pages of zeros, which the inflated copy leaves as holes
// in its temporary file: they must read back as zeros, whether they start
// on a page boundary or not, and at the end of the stream too (where only
// the file's length makes them exist).
TEST_P(SniffCompressed, ZeroPagesReadBackAsZeros) {
  Compression C = GetParam();
  if (C == Compression::Lz4 && !haveLz4())
    GTEST_SKIP() << "built without liblz4";
  std::string P = payload().substr(0, 5000);
  P += std::string(3 * 4096 + 123, '\0');
  P += payload().substr(7, 9000);
  P += std::string(4096 - P.size() % 4096, '\0'); // to a page boundary
  P += std::string(5 * 4096, '\0');
  P += "x";
  P += std::string(2 * 4096 + 17, '\0'); // zeros to the end
  TempPath F(compress(P, C));
  auto In = InputFile::open(F.Path);
  ASSERT_TRUE(static_cast<bool>(In)) << llvm::toString(In.takeError());
  ASSERT_EQ(In->get()->bytes().size(), P.size());
  EXPECT_TRUE(In->get()->bytes() == P) << "inflated content differs";
}

INSTANTIATE_TEST_SUITE_P(Formats, SniffCompressed,
                         ::testing::Values(Compression::None, Compression::Zstd,
                                           Compression::Xz, Compression::Lz4),
                         [](const auto &I) {
                           return compressionName(I.param).str();
                         });

// ---- inflation limits ------------------------------------------------------

std::string nonZero(size_t N) {
  std::string P;
  P.reserve(N);
  uint32_t X = 7;
  while (P.size() < N) {
    X = X * 1103515245u + 12345u;
    P += char('a' + (X >> 16) % 3);
  }
  return P;
}

TEST(Inflate, StopsPastMaxBytes) {
  std::string Z = compress(nonZero(4 << 20), Compression::Zstd);
  InflateLimits L;
  L.MaxBytes = 1 << 20;
  auto MB = inflate(Z, Compression::Zstd, "bomb.zst", L);
  ASSERT_FALSE(bool(MB));
  std::string Msg = llvm::toString(MB.takeError());
  EXPECT_NE(Msg.find("inflates to more than 1048576 bytes"), std::string::npos)
      << Msg;
  L.MaxBytes = 4 << 20;
  auto Ok = inflate(Z, Compression::Zstd, "ok.zst", L);
  ASSERT_TRUE(bool(Ok)) << llvm::toString(Ok.takeError());
  EXPECT_EQ((*Ok)->getBufferSize(), size_t(4 << 20));
}

// Inflates the zstd stream Z as Name within L, its free space always
// Free bytes; Calls counts the free-space checks (from 0).
Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflateCountingChecks(llvm::StringRef Z, const std::string &Name,
                      InflateLimits L, uint64_t Free, int &Calls) {
  Calls = 0;
  L.FreeSpace = [&Calls, Free](int) -> Expected<uint64_t> {
    ++Calls;
    return Free;
  };
  return inflate(Z, Compression::Zstd, Name, L);
}

TEST(Inflate, KeepsTheReserveFreeBeforeAndWhileWriting) {
  std::string Z = compress(nonZero(80 << 20), Compression::Zstd);
  InflateLimits L;
  L.Reserve = 100 << 20;
  // Too little free space from the start: nothing is written.
  L.FreeSpace = [](int) -> Expected<uint64_t> { return 120ull << 20; };
  auto MB = inflate(Z, Compression::Zstd, "big.zst", L);
  ASSERT_FALSE(bool(MB));
  std::string Msg = llvm::toString(MB.takeError());
  EXPECT_NE(Msg.find("stopped inflating (0 MiB stored so far)"),
            std::string::npos) << Msg;
  EXPECT_NE(Msg.find("120 MiB"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("100 MiB kept free"), std::string::npos) << Msg;
  // Space that goes while inflating (here: after the second check).
  int Calls = 0;
  L.FreeSpace = [&](int) -> Expected<uint64_t> {
    return ++Calls <= 2 ? (10ull << 30) : (110ull << 20);
  };
  MB = inflate(Z, Compression::Zstd, "big.zst", L);
  ASSERT_FALSE(bool(MB));
  Msg = llvm::toString(MB.takeError());
  EXPECT_EQ(Calls, 3);
  EXPECT_NE(Msg.find("stopped inflating (64 MiB stored so far)"),
            std::string::npos) << Msg;
  // Enough space throughout: checked every 32 MiB stored.
  auto Ok = inflateCountingChecks(Z, "big.zst", L, 10ull << 30, Calls);
  ASSERT_TRUE(bool(Ok)) << llvm::toString(Ok.takeError());
  EXPECT_EQ(Calls, 3);
  // The default reserve: 1% of the filesystem, at least 64 MiB.
  L.Reserve = 0;
  L.FilesystemSize = [](int) -> Expected<uint64_t> { return 20ull << 30; };
  L.FreeSpace = [](int) -> Expected<uint64_t> { return 220ull << 20; };
  MB = inflate(Z, Compression::Zstd, "big.zst", L);
  ASSERT_FALSE(bool(MB));
  Msg = llvm::toString(MB.takeError());
  EXPECT_NE(Msg.find("205 MiB kept free"), std::string::npos) << Msg;
}

TEST(Inflate, ZeroPagesTakeNoSpace) {
  // 80 MiB of zeros store nothing: one check, at the start.
  std::string Z = compress(std::string(80 << 20, '\0'), Compression::Zstd);
  InflateLimits L;
  L.Reserve = 1 << 20;
  int Calls = 0;
  auto Ok = inflateCountingChecks(Z, "zeros.zst", L, 40ull << 20, Calls);
  ASSERT_TRUE(bool(Ok)) << llvm::toString(Ok.takeError());
  EXPECT_EQ(Calls, 1);
}

TEST(Inflate, ByteSizes) {
  EXPECT_EQ(parseByteSize("4096"), 4096u);
  EXPECT_EQ(parseByteSize("64G"), 64ull << 30);
  EXPECT_EQ(parseByteSize("512m"), 512ull << 20);
  EXPECT_EQ(parseByteSize("1.5T"), 3ull << 39);
  EXPECT_EQ(parseByteSize("2KiB"), 2048u);
  EXPECT_EQ(parseByteSize("3MB"), 3ull << 20);
  EXPECT_EQ(parseByteSize(" 10B "), 10u);
  for (const char *Bad : {"", "G", "1X", "1.2.3", "-1", "1GG", ".", "1 G",
                          "99999999999999999999", "20000000T"})
    EXPECT_FALSE(parseByteSize(Bad)) << Bad;
}

TEST(Sniff, UnreadableFileIsAnErrorNamingIt) {
  auto S = sniffFile("/nonexistent/core");
  ASSERT_FALSE(static_cast<bool>(S));
  EXPECT_NE(llvm::toString(S.takeError()).find("/nonexistent/core"),
            std::string::npos);
}

} // namespace
