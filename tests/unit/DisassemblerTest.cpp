#include "disasm/Disassembler.h"

#include <gtest/gtest.h>
#include <llvm/BinaryFormat/ELF.h>

using namespace ms::disasm;

namespace {

std::unique_ptr<Disassembler> x86() {
  auto D = Disassembler::create(llvm::ELF::EM_X86_64);
  EXPECT_TRUE(static_cast<bool>(D));
  return std::move(*D);
}

TEST(Disassembler, RipRelativeLeaResolvesItsAddress) {
  // lea rax, [rip + 0x10]   (48 8d 05 10 00 00 00) at 0x401000
  const uint8_t Code[] = {0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00};
  auto I = x86()->decodeOne(Code, 0x401000);
  ASSERT_TRUE(static_cast<bool>(I));
  EXPECT_EQ(I->Class, InsnClass::Lea);
  ASSERT_EQ(I->Ops.size(), 2u);
  EXPECT_EQ(I->Ops[0].Reg, 0); // rax
  ASSERT_TRUE(I->Ops[1].Mem.Absolute.has_value());
  EXPECT_EQ(*I->Ops[1].Mem.Absolute, 0x401000u + 7 + 0x10);
  EXPECT_TRUE(I->writes(0));
}

TEST(Disassembler, StackLoadAndSubRegisterMapToDwarfNumbers) {
  // mov rbx, qword ptr [rsp + 0x28]   (48 8b 5c 24 28)
  // mov edi, ecx                       (89 cf)
  // call 0x401000 (rel32)              (e8 ...)
  const uint8_t Code[] = {0x48, 0x8b, 0x5c, 0x24, 0x28, 0x89, 0xcf,
                          0xe8, 0xf4, 0xff, 0xff, 0xff};
  auto V = x86()->decode(Code, 0x401000);
  ASSERT_EQ(V.size(), 3u);
  EXPECT_EQ(V[0].Class, InsnClass::Load);
  EXPECT_EQ(V[0].Ops[0].Reg, 3);      // rbx
  EXPECT_EQ(V[0].Ops[1].Mem.Base, 7); // rsp
  EXPECT_EQ(V[0].Ops[1].Mem.Disp, 0x28);
  EXPECT_EQ(V[1].Class, InsnClass::Move);
  EXPECT_EQ(V[1].Ops[0].Reg, 5); // edi -> rdi
  EXPECT_EQ(V[1].Ops[1].Reg, 2); // ecx -> rcx
  EXPECT_EQ(V[2].Class, InsnClass::Call);
  ASSERT_TRUE(V[2].Target.has_value());
  EXPECT_EQ(*V[2].Target, 0x401000u);
}

TEST(Disassembler, StopsAtUndecodableBytes) {
  const uint8_t Code[] = {0x90, 0x06, 0x90}; // nop, (invalid in 64-bit)
  auto V = x86()->decode(Code, 0x1000);
  EXPECT_EQ(V.size(), 1u);
  EXPECT_FALSE(static_cast<bool>(x86()->decodeOne(llvm::ArrayRef<uint8_t>(Code + 1, 2), 0x1001)));
}

TEST(Disassembler, Arm64AdrpAndCall) {
  auto D = Disassembler::create(llvm::ELF::EM_AARCH64);
  ASSERT_TRUE(static_cast<bool>(D));
  // bl #+8 (0x94000002)
  const uint8_t Code[] = {0x02, 0x00, 0x00, 0x94};
  auto I = (*D)->decodeOne(Code, 0x10000);
  ASSERT_TRUE(static_cast<bool>(I));
  EXPECT_EQ(I->Class, InsnClass::Call);
  EXPECT_EQ(*I->Target, 0x10008u);
}

std::vector<uint8_t> words(std::initializer_list<uint32_t> Ws) {
  std::vector<uint8_t> B;
  for (uint32_t W : Ws)
    for (int K = 0; K < 4; ++K)
      B.push_back(static_cast<uint8_t>(W >> (8 * K)));
  return B;
}

TEST(Disassembler, Arm64WordItDoesNotKnowIsKeptAndDecodingGoesOn) {
  auto D = Disassembler::create(llvm::ELF::EM_AARCH64);
  ASSERT_TRUE(static_cast<bool>(D));
  // orr x4, xzr, #1; ldaddal x4, x8, [x6] (an LSE atomic Go emits for
  // atomic.AddInt64, unknown to this Capstone); add x8, x8, x4;
  // b #-12 (back to the start: a loop the dataflow must see)
  const auto Code = words({0xb24003e4, 0xf8e400c8, 0x8b040108, 0x17fffffd});
  auto V = (*D)->decode(Code, 0x9eea4);
  ASSERT_EQ(V.size(), 4u);
  EXPECT_FALSE(V[0].Undecoded);
  EXPECT_TRUE(V[1].Undecoded);
  EXPECT_EQ(V[1].Addr, 0x9eea8u);
  EXPECT_EQ(V[1].Size, 4u);
  // It may write anything: no register survives it for the dataflow.
  EXPECT_TRUE(V[1].writes(2));
  EXPECT_TRUE(V[1].writes(8));
  EXPECT_EQ(V[2].Addr, 0x9eeacu);
  EXPECT_EQ(V[2].Mnemonic, "add");
  EXPECT_EQ(V[3].Class, InsnClass::Jump);
  ASSERT_TRUE(V[3].Target.has_value());
  EXPECT_EQ(*V[3].Target, 0x9eea4u);
  // udf #0, the padding between Go functions, is an instruction that traps,
  // not an unknown one (an unknown one might take the frame's address).
  const auto Pad = words({0x00000000});
  auto U = (*D)->decode(Pad, 0x9eeb4);
  ASSERT_EQ(U.size(), 1u);
  EXPECT_FALSE(U[0].Undecoded);
  EXPECT_EQ(U[0].Class, InsnClass::Trap);
  EXPECT_FALSE(U[0].writes(2));
  // One undecodable word is no instruction for decodeOne.
  EXPECT_FALSE(static_cast<bool>(
      (*D)->decodeOne(llvm::ArrayRef<uint8_t>(Code.data() + 4, 4), 0x9eea8)));
}

TEST(Disassembler, Arm64OperandsTheDataflowReads) {
  auto D = Disassembler::create(llvm::ELF::EM_AARCH64);
  ASSERT_TRUE(static_cast<bool>(D));
  // From runtime.mapassign_faststr (go1.22, arm64) before its call to fatal:
  //   adrp x0, #+0xaf000        f0000560
  //   add  x0, x0, #0x476       9111d800
  //   mov  x1, #0x15            d28002a1
  //   ldrb w2, [x1, #8]         39402022
  //   movn x3, #0               92800003   (x3 = -1)
  //   add  x4, x4, #1, lsl #12  91400484
  auto V = (*D)->decode(words({0xf0000560, 0x9111d800, 0xd28002a1, 0x39402022,
                               0x92800003, 0x91400484}),
                        0x217e4);
  ASSERT_EQ(V.size(), 6u);
  EXPECT_EQ(V[0].Class, InsnClass::Lea);
  ASSERT_EQ(V[0].Ops.size(), 2u);
  EXPECT_EQ(V[0].Ops[1].Kind, OpKind::Imm);
  EXPECT_EQ(static_cast<uint64_t>(V[0].Ops[1].Imm), 0x217e4u / 4096 * 4096 + 0xaf000);
  EXPECT_EQ(V[1].Class, InsnClass::AddSubImm);
  ASSERT_EQ(V[1].Ops.size(), 3u);
  EXPECT_EQ(V[1].Ops[2].Imm, 0x476);
  EXPECT_EQ(V[2].Class, InsnClass::Move);
  EXPECT_EQ(V[2].Ops[1].Imm, 0x15);
  EXPECT_EQ(V[2].Ops[0].Size, 8);
  EXPECT_EQ(V[3].Class, InsnClass::Load);
  EXPECT_EQ(V[3].Ops[0].Size, 4) << "w2";
  EXPECT_EQ(V[3].Ops[1].Size, 1) << "a byte load";
  EXPECT_EQ(V[4].Class, InsnClass::Move);
  EXPECT_EQ(V[4].Ops[1].Imm, -1);
  EXPECT_EQ(V[5].Ops[2].Imm, 0x1000) << "the shift applies to the immediate";
}

TEST(Disassembler, Arm64CompareWritesNoGeneralRegister) {
  auto D = Disassembler::create(llvm::ELF::EM_AARCH64);
  ASSERT_TRUE(static_cast<bool>(D));
  // cmp x6, x5 (subs xzr, x6, x5)    eb0500df
  // cmp w7, #0x7f (subs wzr, w7, #127) 7101fcff
  // subs x6, x6, x5                    eb0500c6
  auto V = (*D)->decode(words({0xeb0500df, 0x7101fcff, 0xeb0500c6}), 0x84b28);
  ASSERT_EQ(V.size(), 3u);
  EXPECT_EQ(V[0].Mnemonic, "cmp");
  EXPECT_FALSE(V[0].writes(6)); // Capstone 4 says it does
  EXPECT_FALSE(V[0].writes(5));
  EXPECT_EQ(V[1].Mnemonic, "cmp");
  EXPECT_FALSE(V[1].writes(7));
  EXPECT_TRUE(V[2].writes(6)); // the flag-setting subtract itself does
}

} // namespace
