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

} // namespace
