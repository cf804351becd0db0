#include "loader/CoreFile.h"

#include <gtest/gtest.h>

#include "CoreBuilder.h"

using namespace ms;
using namespace mstest;

namespace {

Expected<std::unique_ptr<CoreFile>> parse(const std::vector<uint8_t> &B) {
  return CoreFile::fromInput(InputFile::fromBytes(
      llvm::StringRef(reinterpret_cast<const char *>(B.data()), B.size()),
      "test.core"));
}

std::string failText(const std::vector<uint8_t> &B) {
  auto C = parse(B);
  if (C)
    return "(parsed)";
  return llvm::toString(C.takeError());
}

std::vector<Note> standardNotes() {
  Bytes Psinfo;
  Psinfo.u8(0).u8('R').u8(0).u8(0).u32(0); // pr_state pr_sname pr_zomb pr_nice pad
  Psinfo.u64(0);                            // pr_flag
  Psinfo.u32(0).u32(0);                     // pr_uid pr_gid
  Psinfo.u32(4242).u32(4000);               // pr_pid pr_ppid
  Psinfo.u32(4242).u32(4242);               // pr_pgrp pr_sid
  Psinfo.str("server", 16);                 // pr_fname
  Psinfo.str("./server -port 80", 80);      // pr_psargs
  Bytes Siginfo;
  Siginfo.u32(6).u32(0).u32(uint32_t(-6));  // si_signo SIGABRT, si_errno, si_code SI_TKILL
  Siginfo.u32(0);                           // padding
  Siginfo.u32(4242).u32(0);                 // si_pid, si_uid
  Siginfo.zeros(128 - 24);
  Bytes Auxv;
  Auxv.u64(9).u64(0x401000);                // AT_ENTRY
  Auxv.u64(3).u64(0x400040);                // AT_PHDR
  Auxv.u64(0).u64(0);                       // AT_NULL
  Bytes File;
  File.u64(2).u64(4096);                    // count, page size
  File.u64(0x400000).u64(0x401000).u64(0);  // start end pgoff
  File.u64(0x401000).u64(0x403000).u64(1);
  File.str("/srv/bin/server", 16).str("/srv/bin/server", 16);
  return {
      {"CORE", 1 /*NT_PRSTATUS*/, prstatusAmd64(4243, 6, 0x401234, 0xc000100000, 0x7f0010)},
      {"CORE", 3 /*NT_PRPSINFO*/, Psinfo.B},
      {"CORE", 0x53494749 /*NT_SIGINFO*/, Siginfo.B},
      {"CORE", 6 /*NT_AUXV*/, Auxv.B},
      {"CORE", 0x46494c45 /*NT_FILE*/, File.B},
      {"CORE", 1 /*NT_PRSTATUS*/, prstatusAmd64(4242, 6, 0x402000, 0x7ffc0000, 0x7f0020)},
  };
}

TEST(CoreFile, ParsesThreadsSignalAuxvAndFiles) {
  std::vector<uint8_t> Mem(32, 0x5a);
  auto B = buildCore(standardNotes(), {{0xc000000000, Mem, 0x2000}});
  auto C = parse(B);
  ASSERT_TRUE(static_cast<bool>(C)) << llvm::toString(C.takeError());
  const CoreFile &Core = **C;
  EXPECT_EQ(Core.arch().goName(), "amd64");
  EXPECT_EQ(Core.pid(), 4242);
  EXPECT_EQ(Core.ppid(), 4000);
  EXPECT_EQ(Core.command(), "server");
  EXPECT_EQ(Core.args(), "./server -port 80");
  ASSERT_EQ(Core.threads().size(), 2u);
  // The first NT_PRSTATUS is the thread that took the signal.
  ASSERT_NE(Core.crashedThread(), nullptr);
  EXPECT_EQ(Core.crashedThread()->Tid, 4243);
  EXPECT_EQ(Core.threads()[0].Regs.get(16).value_or(0), 0x401234u); // rip
  EXPECT_EQ(Core.threads()[0].Regs.get(7).value_or(0), 0xc000100000u); // rsp
  EXPECT_EQ(Core.threads()[0].Regs.get(58).value_or(0), 0x7f0010u); // fs_base
  EXPECT_EQ(Core.threads()[0].Regs.get(0).value_or(0), 0xa0u);        // rax
  EXPECT_EQ(Core.signal().Signo, 6);
  EXPECT_EQ(Core.signal().SenderPid, 4242);
  EXPECT_EQ(Core.auxv(AuxvEntry).value_or(0), 0x401000u);
  ASSERT_EQ(Core.mappedFiles().size(), 2u);
  EXPECT_EQ(Core.mappedFiles()[1].FileOffset, 4096u);
  EXPECT_EQ(Core.mappedFiles()[1].Path, "/srv/bin/server");
  // Saved memory is readable; memory past p_filesz is not (never zeros).
  EXPECT_EQ(Core.memory().readU8(0xc000000010).get(), 0x5a);
  auto Missing = Core.memory().readU8(0xc000000020);
  ASSERT_FALSE(static_cast<bool>(Missing));
  EXPECT_NE(llvm::toString(Missing.takeError()).find("0xc000000020"),
            std::string::npos);
  EXPECT_TRUE(Core.warnings().empty());
}

TEST(CoreFile, TruncatedLoadSegmentKeepsWhatIsThereAndWarns) {
  std::vector<uint8_t> Mem(64, 0x11);
  auto B = buildCore(standardNotes(), {{0xc000000000, Mem, 64}});
  B.resize(B.size() - 40); // cut the last 40 bytes of the segment
  auto C = parse(B);
  ASSERT_TRUE(static_cast<bool>(C)) << llvm::toString(C.takeError());
  EXPECT_EQ((*C)->memory().readU8(0xc000000017).get(), 0x11);
  EXPECT_FALSE((*C)->memory().isReadable(0xc000000018));
  ASSERT_FALSE((*C)->warnings().empty());
  EXPECT_NE((*C)->warnings().all()[0].find("truncated"), std::string::npos);
}

TEST(CoreFile, TruncationIsOneRecordAndOneWarningWhateverIsCut) {
  std::vector<uint8_t> A(64, 0x11), B(64, 0x22), C(64, 0x33);
  auto Full = buildCore(standardNotes(), {{0xc000000000, A, 64},
                                          {0xc000010000, B, 64},
                                          {0xc000020000, C, 64}});
  auto Whole = parse(Full);
  ASSERT_TRUE(static_cast<bool>(Whole)) << llvm::toString(Whole.takeError());
  EXPECT_FALSE((*Whole)->truncation().has_value());

  // Cut in the middle of the second segment: it and the third are short.
  std::vector<uint8_t> Cut(Full.begin(), Full.end() - 64 - 40);
  auto P = parse(Cut);
  ASSERT_TRUE(static_cast<bool>(P)) << llvm::toString(P.takeError());
  const auto &T = (*P)->truncation();
  ASSERT_TRUE(T.has_value());
  EXPECT_EQ(T->FileSize, Cut.size());
  EXPECT_EQ(T->NeededSize, Full.size());
  EXPECT_EQ(T->SegmentsCut, 2u);
  EXPECT_EQ(T->Segments, 3u);
  EXPECT_EQ(T->MissingBytes, 64u + 40u);
  // One line, however many segments are cut.
  ASSERT_EQ((*P)->warnings().all().size(), 1u);
  EXPECT_EQ((*P)->warnings().all()[0], T->message());
  EXPECT_EQ(T->message().find('\n'), std::string::npos);
  EXPECT_NE(T->message().find("truncated"), std::string::npos);
  // What is there is read, what is not is unknown.
  EXPECT_EQ((*P)->memory().readU8(0xc000000000 + 63).get(), 0x11);
  EXPECT_EQ((*P)->memory().readU8(0xc000010000 + 23).get(), 0x22);
  EXPECT_FALSE((*P)->memory().isReadable(0xc000010000 + 24));
  EXPECT_FALSE((*P)->memory().isReadable(0xc000020000));
}

TEST(CoreFile, BadInputsGiveOneLineErrorsNamingTheFile) {
  EXPECT_NE(failText({}).find("test.core"), std::string::npos);
  EXPECT_NE(failText({}).find("not an ELF file"), std::string::npos);
  std::vector<uint8_t> Random = {0x13, 0x37, 0xde, 0xad, 0xbe, 0xef};
  EXPECT_NE(failText(Random).find("not an ELF file"), std::string::npos);

  auto B = buildCore(standardNotes(), {});
  std::vector<uint8_t> Exec = B;
  Exec[16] = 2; // e_type = ET_EXEC
  EXPECT_NE(failText(Exec).find("not a core file"), std::string::npos);

  std::vector<uint8_t> Arm = B;
  Arm[18] = 40; // e_machine = EM_ARM
  EXPECT_NE(failText(Arm).find("an arm ELF file (machine 40"), std::string::npos)
      << failText(Arm);

  // Other architectures are named, whatever their class and byte order.
  std::vector<uint8_t> Riscv = B;
  Riscv[18] = 243; // EM_RISCV
  EXPECT_NE(failText(Riscv).find("a riscv64 ELF file"), std::string::npos);
  std::vector<uint8_t> S390 = B;
  S390[5] = 2; // big-endian: e_machine 22 reads as bytes 00 16
  S390[18] = 0;
  S390[19] = 22;
  EXPECT_NE(failText(S390).find("a s390x ELF file (machine 22, 64-bit, big-endian)"),
            std::string::npos)
      << failText(S390);
  std::vector<uint8_t> I386 = B;
  I386[4] = 1; // ELFCLASS32
  I386[18] = 3;
  EXPECT_NE(failText(I386).find("a 386 ELF file (machine 3, 32-bit"), std::string::npos)
      << failText(I386);
  EXPECT_NE(failText(I386).find("amd64 and arm64"), std::string::npos);

  // Cut inside the note segment.
  std::vector<uint8_t> Cut(B.begin(), B.begin() + 64 + 56 + 40);
  EXPECT_NE(failText(Cut).find("truncated"), std::string::npos);

  // Cut inside the program headers.
  std::vector<uint8_t> CutPh(B.begin(), B.begin() + 80);
  std::string Msg = failText(CutPh);
  EXPECT_NE(Msg.find("test.core"), std::string::npos) << Msg;
  EXPECT_EQ(Msg.find('\n'), std::string::npos) << Msg;
}

TEST(CoreFile, NoThreadsIsAnError) {
  auto B = buildCore({{"CORE", 6, std::vector<uint8_t>(16, 0)}}, {});
  EXPECT_NE(failText(B).find("no NT_PRSTATUS"), std::string::npos);
}

TEST(CoreFile, HugeNtFileCountIsRejectedWithoutAllocating) {
  Bytes File;
  File.u64(uint64_t(1) << 40).u64(4096); // absurd count
  auto Notes = standardNotes();
  Notes[4].Desc = File.B;
  auto C = parse(buildCore(Notes, {}));
  ASSERT_TRUE(static_cast<bool>(C)) << llvm::toString(C.takeError());
  EXPECT_TRUE((*C)->mappedFiles().empty());
  ASSERT_FALSE((*C)->warnings().empty());
  EXPECT_NE((*C)->warnings().all()[0].find("NT_FILE"), std::string::npos);
}

} // namespace
