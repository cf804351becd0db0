#include "disasm/Disassembler.h"

#include <algorithm>
#include <mutex>

#include <capstone/capstone.h>
#include <llvm/BinaryFormat/ELF.h>


namespace ms::disasm {

namespace {

int x86Dwarf(unsigned R) {
  switch (R) {
  case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH: return 0;
  case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH: return 1;
  case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH: return 2;
  case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH: return 3;
  case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL: return 4;
  case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL: return 5;
  case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL: return 6;
  case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL: return 7;
  case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B: return 8;
  case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B: return 9;
  case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B: return 10;
  case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B: return 11;
  case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B: return 12;
  case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B: return 13;
  case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B: return 14;
  case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B: return 15;
  case X86_REG_RIP: return 16;
  case X86_REG_INVALID: return NoReg;
  }
  if (R >= X86_REG_XMM0 && R <= X86_REG_XMM15)
    return 17 + static_cast<int>(R - X86_REG_XMM0);
  return OtherReg;
}

int arm64Dwarf(unsigned R) {
  if (R >= ARM64_REG_X0 && R <= ARM64_REG_X28)
    return static_cast<int>(R - ARM64_REG_X0);
  if (R >= ARM64_REG_W0 && R <= ARM64_REG_W30)
    return static_cast<int>(R - ARM64_REG_W0);
  switch (R) {
  case ARM64_REG_X29: return 29;
  case ARM64_REG_X30: return 30;
  case ARM64_REG_SP: case ARM64_REG_WSP: return 31;
  case ARM64_REG_XZR: case ARM64_REG_WZR: return ZeroReg;
  case ARM64_REG_INVALID: return NoReg;
  }
  return OtherReg;
}

// Capstone 4 (Debian 12's 4.0.2) sorts a global table on the first x86
// instruction it prints, without a lock (X86_insn_reg_intel in
// X86Mapping.c, capstone issue #1647; fixed in capstone 5). Two Sessions
// decoding at once on two threads race on it: one thread can
// binary-search the table while the other rewrites it (helgrind shows it
// with two threads that each open a handle and decode one instruction).
// Decode one instruction under a lock before a handle is handed out, so
// the table is sorted before threads can meet. A mutex rather than
// std::call_once so that helgrind, too, sees the ordering.
void warmUpCapstoneX86(csh H) {
  static std::mutex M;
  static bool Done = false;
  std::lock_guard<std::mutex> L(M);
  if (Done)
    return;
  static const uint8_t MovRaxRbx[] = {0x48, 0x89, 0xd8};
  cs_insn *I = nullptr;
  size_t N = cs_disasm(H, MovRaxRbx, sizeof MovRaxRbx, 0x1000, 1, &I);
  if (N)
    cs_free(I, N);
  Done = true;
}

} // namespace

struct Disassembler::Impl {
  csh H = 0;
  bool X86 = true;
  int reg(unsigned R) const { return X86 ? x86Dwarf(R) : arm64Dwarf(R); }
  Instruction convert(const cs_insn &I) const;
};

Disassembler::Disassembler(std::unique_ptr<Impl> I) : P(std::move(I)) {}
Disassembler::~Disassembler() {
  if (P && P->H)
    cs_close(&P->H);
}

Expected<std::unique_ptr<Disassembler>> Disassembler::create(uint16_t ElfMachine) {
  auto I = std::make_unique<Impl>();
  cs_err Err;
  if (ElfMachine == llvm::ELF::EM_X86_64) {
    Err = cs_open(CS_ARCH_X86, CS_MODE_64, &I->H);
    I->X86 = true;
  } else if (ElfMachine == llvm::ELF::EM_AARCH64) {
    Err = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &I->H);
    I->X86 = false;
  } else {
    return makeError("no disassembler for ELF machine {0}", ElfMachine);
  }
  if (Err != CS_ERR_OK)
    return makeError("capstone: {0}", cs_strerror(Err));
  cs_option(I->H, CS_OPT_DETAIL, CS_OPT_ON);
  if (I->X86)
    warmUpCapstoneX86(I->H);
  return std::unique_ptr<Disassembler>(new Disassembler(std::move(I)));
}

bool Instruction::writes(int Reg) const {
  if (Undecoded)
    return true;
  return std::find(RegsWritten.begin(), RegsWritten.end(), Reg) !=
         RegsWritten.end();
}

namespace {

bool inGroup(const cs_detail &D, uint8_t G) {
  for (uint8_t K = 0; K < D.groups_count; ++K)
    if (D.groups[K] == G)
      return true;
  return false;
}

// ---- x86-64 ------------------------------------------------------------------

Operand x86Operand(const cs_insn &CI, const cs_x86_op &O) {
  Operand Op;
  Op.Size = O.size;
  Op.Read = O.access & CS_AC_READ;
  Op.Written = O.access & CS_AC_WRITE;
  if (O.type == X86_OP_REG) {
    Op.Kind = OpKind::Reg;
    Op.Reg = x86Dwarf(O.reg);
    Op.HighByte = O.reg == X86_REG_AH || O.reg == X86_REG_BH ||
                  O.reg == X86_REG_CH || O.reg == X86_REG_DH;
  } else if (O.type == X86_OP_IMM) {
    Op.Kind = OpKind::Imm;
    Op.Imm = O.imm;
  } else if (O.type == X86_OP_MEM) {
    Op.Kind = OpKind::Mem;
    Op.Mem.Base = x86Dwarf(O.mem.base);
    Op.Mem.Index = x86Dwarf(O.mem.index);
    Op.Mem.Scale = O.mem.scale;
    Op.Mem.Disp = O.mem.disp;
    Op.Mem.FsSegment = O.mem.segment == X86_REG_FS;
    if (O.mem.base == X86_REG_RIP) {
      Op.Mem.PCRelative = true;
      Op.Mem.Absolute = CI.address + CI.size + O.mem.disp;
    } else if (O.mem.base == X86_REG_INVALID &&
               O.mem.index == X86_REG_INVALID && !Op.Mem.FsSegment) {
      Op.Mem.Absolute = static_cast<uint64_t>(O.mem.disp);
    }
  }
  return Op;
}

InsnClass x86Class(const cs_insn &CI, const Instruction &I) {
  switch (CI.id) {
  case X86_INS_MOV: case X86_INS_MOVABS: case X86_INS_MOVZX:
  case X86_INS_MOVSX: case X86_INS_MOVSXD: case X86_INS_MOVQ:
  case X86_INS_MOVD: case X86_INS_MOVUPS: case X86_INS_MOVAPS:
  case X86_INS_MOVDQU:
    if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Mem)
      return InsnClass::Load;
    if (I.Ops.size() == 2 && I.Ops[0].Kind == OpKind::Mem)
      return InsnClass::Store;
    return InsnClass::Move;
  case X86_INS_LEA: return InsnClass::Lea;
  case X86_INS_CALL: return InsnClass::Call;
  case X86_INS_RET: return InsnClass::Ret;
  case X86_INS_JMP: return InsnClass::Jump;
  case X86_INS_PUSH: return InsnClass::Push;
  case X86_INS_POP: return InsnClass::Pop;
  case X86_INS_ADD: case X86_INS_SUB:
    if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Imm)
      return InsnClass::AddSubImm;
    return I.Class;
  case X86_INS_XOR: case X86_INS_XORPS: return InsnClass::Xor;
  case X86_INS_NOP: return InsnClass::Nop;
  case X86_INS_INT3: case X86_INS_UD2: return InsnClass::Trap;
  default:
    return inGroup(*CI.detail, CS_GRP_JUMP) ? InsnClass::CondJump : I.Class;
  }
}

// The operands, class and direct target of an x86-64 instruction.
void convertX86(const cs_insn &CI, Instruction &I) {
  const cs_x86 &X = CI.detail->x86;
  for (uint8_t K = 0; K < X.op_count; ++K)
    I.Ops.push_back(x86Operand(CI, X.operands[K]));
  I.Class = x86Class(CI, I);
  if ((I.Class == InsnClass::Call || I.Class == InsnClass::Jump ||
       I.Class == InsnClass::CondJump) &&
      I.Ops.size() == 1 && I.Ops[0].Kind == OpKind::Imm)
    I.Target = static_cast<uint64_t>(I.Ops[0].Imm);
}

// ---- arm64 ---------------------------------------------------------------------

ShiftKind arm64Shift(arm64_shifter T) {
  switch (T) {
  case ARM64_SFT_LSL: return ShiftKind::LSL;
  case ARM64_SFT_LSR: return ShiftKind::LSR;
  case ARM64_SFT_ASR: return ShiftKind::ASR;
  case ARM64_SFT_ROR: return ShiftKind::ROR;
  default: return ShiftKind::None;
  }
}

MemOperand::Extend arm64Extend(arm64_extender E) {
  using X = MemOperand::Extend;
  switch (E) {
  case ARM64_EXT_UXTB: return X::UXTB;
  case ARM64_EXT_UXTH: return X::UXTH;
  case ARM64_EXT_UXTW: return X::UXTW;
  case ARM64_EXT_UXTX: return X::UXTX;
  case ARM64_EXT_SXTB: return X::SXTB;
  case ARM64_EXT_SXTH: return X::SXTH;
  case ARM64_EXT_SXTW: return X::SXTW;
  case ARM64_EXT_SXTX: return X::SXTX;
  default: return X::None;
  }
}

Operand arm64Operand(const cs_arm64_op &O) {
  Operand Op;
  Op.Read = O.access & CS_AC_READ;
  Op.Written = O.access & CS_AC_WRITE;
  if (O.type == ARM64_OP_REG) {
    Op.Kind = OpKind::Reg;
    Op.Reg = arm64Dwarf(O.reg);
    // w registers are the low 32 bits of the x register of that number.
    Op.Size = (O.reg >= ARM64_REG_W0 && O.reg <= ARM64_REG_W30) ||
                      O.reg == ARM64_REG_WZR || O.reg == ARM64_REG_WSP
                  ? 4
                  : 8;
    Op.Shift = arm64Shift(O.shift.type);
    Op.ShiftAmount = static_cast<uint8_t>(O.shift.value);
    Op.Ext = arm64Extend(O.ext);
  } else if (O.type == ARM64_OP_IMM || O.type == ARM64_OP_CIMM) {
    Op.Kind = OpKind::Imm;
    Op.Imm = O.imm;
    // "add x0, x0, #1, lsl #12", "movz x1, #2, lsl #16".
    if (O.shift.type == ARM64_SFT_LSL && O.shift.value < 64) {
      Op.Imm = static_cast<int64_t>(static_cast<uint64_t>(O.imm)
                                    << O.shift.value);
      Op.Shift = ShiftKind::LSL;
      Op.ShiftAmount = static_cast<uint8_t>(O.shift.value);
    }
  } else if (O.type == ARM64_OP_MEM) {
    Op.Kind = OpKind::Mem;
    Op.Mem.Base = arm64Dwarf(O.mem.base);
    Op.Mem.Index = arm64Dwarf(O.mem.index);
    Op.Mem.Disp = O.mem.disp;
    if (Op.Mem.Index >= 0) {
      if (O.shift.type == ARM64_SFT_LSL && O.shift.value < 8)
        Op.Mem.Scale = 1 << O.shift.value;
      Op.Mem.IndexExtend = arm64Extend(O.ext);
    }
  }
  return Op;
}

// The width a load or store moves, where the mnemonic says it; 0 else.
unsigned arm64AccessSize(unsigned Id) {
  switch (Id) {
  case ARM64_INS_LDRB: case ARM64_INS_LDURB: case ARM64_INS_LDRSB:
  case ARM64_INS_LDURSB: case ARM64_INS_STRB: case ARM64_INS_STURB:
    return 1;
  case ARM64_INS_LDRH: case ARM64_INS_LDURH: case ARM64_INS_LDRSH:
  case ARM64_INS_LDURSH: case ARM64_INS_STRH: case ARM64_INS_STURH:
    return 2;
  case ARM64_INS_LDRSW: case ARM64_INS_LDURSW:
    return 4;
  default:
    return 0;
  }
}

// The width a load or store moves set on its memory operand where the
// mnemonic says it (ldrb, sturh, ldrsw...); else the register's stands.
void setAccessSize(unsigned Id, Instruction &I) {
  if (unsigned Size = arm64AccessSize(Id))
    for (Operand &M : I.Ops)
      if (M.Kind == OpKind::Mem)
        M.Size = static_cast<uint8_t>(Size);
}

// The class of an arm64 instruction; fixes up the operands that need it
// (movn's immediate, the memory operand's width).
InsnClass arm64Class(const cs_insn &CI, Instruction &I) {
  const cs_arm64 &A = CI.detail->arm64;
  switch (CI.id) {
  case ARM64_INS_MOV: case ARM64_INS_MOVZ: case ARM64_INS_ORR:
    return InsnClass::Move;
  case ARM64_INS_MOVN:
    // movn x0, #imm: x0 = ~imm (as "mov x0, #-N" when Capstone says so).
    if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Imm) {
      I.Ops[1].Imm = ~I.Ops[1].Imm;
      if (I.Ops[0].Size == 4)
        I.Ops[1].Imm &= 0xffffffff;
    }
    return InsnClass::Move;
  case ARM64_INS_LDR: case ARM64_INS_LDUR: case ARM64_INS_LDP:
  case ARM64_INS_LDRB: case ARM64_INS_LDRH: case ARM64_INS_LDRSW:
  case ARM64_INS_LDURB: case ARM64_INS_LDURH: case ARM64_INS_LDURSW:
  case ARM64_INS_LDRSB: case ARM64_INS_LDRSH: case ARM64_INS_LDURSB:
  case ARM64_INS_LDURSH:
    setAccessSize(CI.id, I);
    return InsnClass::Load;
  case ARM64_INS_STR: case ARM64_INS_STUR: case ARM64_INS_STP:
  case ARM64_INS_STRB: case ARM64_INS_STRH: case ARM64_INS_STURB:
  case ARM64_INS_STURH:
    setAccessSize(CI.id, I);
    return InsnClass::Store;
  case ARM64_INS_ADR: case ARM64_INS_ADRP: return InsnClass::Lea;
  case ARM64_INS_BL: case ARM64_INS_BLR: return InsnClass::Call;
  case ARM64_INS_RET: return InsnClass::Ret;
  case ARM64_INS_B:
    return A.cc == ARM64_CC_INVALID || A.cc == ARM64_CC_AL
               ? InsnClass::Jump
               : InsnClass::CondJump;
  case ARM64_INS_BR: return InsnClass::Jump;
  case ARM64_INS_CBZ: case ARM64_INS_CBNZ: case ARM64_INS_TBZ:
  case ARM64_INS_TBNZ: return InsnClass::CondJump;
  case ARM64_INS_ADD: case ARM64_INS_SUB:
    if (I.Ops.size() == 3 && I.Ops[2].Kind == OpKind::Imm)
      return InsnClass::AddSubImm;
    return I.Class;
  case ARM64_INS_NOP: return InsnClass::Nop;
  case ARM64_INS_BRK: case ARM64_INS_HLT: return InsnClass::Trap;
  default: return I.Class;
  }
}

// The operands, condition, class and direct target of an arm64
// instruction.
void convertArm64(const cs_insn &CI, Instruction &I) {
  const cs_arm64 &A = CI.detail->arm64;
  I.Cond = A.cc == ARM64_CC_AL || A.cc == ARM64_CC_NV ? 0 : static_cast<int>(A.cc);
  I.UpdatesFlags = A.update_flags;
  I.Writeback = A.writeback;
  for (uint8_t K = 0; K < A.op_count; ++K)
    I.Ops.push_back(arm64Operand(A.operands[K]));
  I.Class = arm64Class(CI, I);
  if (I.Class == InsnClass::Call || I.Class == InsnClass::Jump ||
      I.Class == InsnClass::CondJump || I.Class == InsnClass::Lea)
    for (const auto &Op : I.Ops)
      if (Op.Kind == OpKind::Imm)
        I.Target = static_cast<uint64_t>(Op.Imm);
}

} // namespace

Instruction Disassembler::Impl::convert(const cs_insn &CI) const {
  Instruction I;
  I.Addr = CI.address;
  I.Size = static_cast<uint8_t>(CI.size);
  I.Mnemonic = CI.mnemonic;
  I.OpText = CI.op_str;
  if (!CI.detail)
    return I;
  // Registers read and written, implicit ones included.
  cs_regs Rd, Wr;
  uint8_t NRd = 0, NWr = 0;
  if (cs_regs_access(H, &CI, Rd, &NRd, Wr, &NWr) == CS_ERR_OK) {
    for (uint8_t K = 0; K < NRd; ++K)
      I.RegsRead.push_back(reg(Rd[K]));
    for (uint8_t K = 0; K < NWr; ++K)
      I.RegsWritten.push_back(reg(Wr[K]));
  }
  if (X86)
    convertX86(CI, I);
  else
    convertArm64(CI, I);
  // Capstone 4 reports the first operand of arm64's compare aliases (subs,
  // adds, ands into the zero register) as written: they write the flags
  // only.
  if (!X86 && (I.Mnemonic == "cmp" || I.Mnemonic == "cmn" ||
               I.Mnemonic == "tst" || I.Mnemonic == "ccmp" ||
               I.Mnemonic == "ccmn")) {
    for (Operand &Op : I.Ops)
      if (Op.Kind == OpKind::Reg && Op.Written) {
        Op.Written = false;
        I.RegsWritten.erase(std::remove(I.RegsWritten.begin(),
                                        I.RegsWritten.end(), Op.Reg),
                            I.RegsWritten.end());
      }
  }
  return I;
}

std::vector<Instruction> Disassembler::decode(llvm::ArrayRef<uint8_t> Bytes,
                                              uint64_t Addr,
                                              size_t MaxInsns) const {
  std::vector<Instruction> Out;
  const uint8_t *Code = Bytes.data();
  size_t Size = Bytes.size();
  uint64_t PC = Addr;
  cs_insn *CI = cs_malloc(P->H);
  if (!CI)
    return Out;
  while (Out.size() < MaxInsns) {
    if (cs_disasm_iter(P->H, &Code, &Size, &PC, CI)) {
      Out.push_back(P->convert(*CI));
      continue;
    }
    if (P->X86 || Size < 4)
      break;
    Instruction U;
    U.Addr = PC;
    U.Size = 4;
    const uint32_t Word = static_cast<uint32_t>(Code[0]) |
                          static_cast<uint32_t>(Code[1]) << 8 |
                          static_cast<uint32_t>(Code[2]) << 16 |
                          static_cast<uint32_t>(Code[3]) << 24;
    if ((Word >> 16) == 0) {
      // udf #imm16: permanently undefined, it traps (the padding between
      // Go functions is udf #0).
      U.Mnemonic = "udf";
      U.Class = InsnClass::Trap;
    } else {
      U.Mnemonic = "(undecoded)";
      U.Undecoded = true;
    }
    Out.push_back(std::move(U));
    Code += 4;
    Size -= 4;
    PC += 4;
  }
  cs_free(CI, 1);
  return Out;
}

Expected<Instruction> Disassembler::decodeOne(llvm::ArrayRef<uint8_t> Bytes,
                                              uint64_t Addr) const {
  auto V = decode(Bytes, Addr, 1);
  if (V.empty() || V.front().Undecoded)
    return makeError("cannot decode an instruction at {0}", hex(Addr));
  return std::move(V.front());
}

} // namespace ms::disasm
