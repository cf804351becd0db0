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
  return std::find(RegsWritten.begin(), RegsWritten.end(), Reg) !=
         RegsWritten.end();
}

Instruction Disassembler::Impl::convert(const cs_insn &CI) const {
  Instruction I;
  I.Addr = CI.address;
  I.Size = static_cast<uint8_t>(CI.size);
  I.Mnemonic = CI.mnemonic;
  I.OpText = CI.op_str;
  const cs_detail *D = CI.detail;
  if (!D)
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

  auto InGroup = [&](uint8_t G) {
    for (uint8_t K = 0; K < D->groups_count; ++K)
      if (D->groups[K] == G)
        return true;
    return false;
  };

  if (X86) {
    const cs_x86 &X = D->x86;
    for (uint8_t K = 0; K < X.op_count; ++K) {
      const cs_x86_op &O = X.operands[K];
      Operand Op;
      Op.Size = O.size;
      Op.Read = O.access & CS_AC_READ;
      Op.Written = O.access & CS_AC_WRITE;
      if (O.type == X86_OP_REG) {
        Op.Kind = OpKind::Reg;
        Op.Reg = reg(O.reg);
        Op.HighByte = O.reg == X86_REG_AH || O.reg == X86_REG_BH ||
                      O.reg == X86_REG_CH || O.reg == X86_REG_DH;
      } else if (O.type == X86_OP_IMM) {
        Op.Kind = OpKind::Imm;
        Op.Imm = O.imm;
      } else if (O.type == X86_OP_MEM) {
        Op.Kind = OpKind::Mem;
        Op.Mem.Base = reg(O.mem.base);
        Op.Mem.Index = reg(O.mem.index);
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
      I.Ops.push_back(Op);
    }
    switch (CI.id) {
    case X86_INS_MOV: case X86_INS_MOVABS: case X86_INS_MOVZX:
    case X86_INS_MOVSX: case X86_INS_MOVSXD: case X86_INS_MOVQ:
    case X86_INS_MOVD: case X86_INS_MOVUPS: case X86_INS_MOVAPS:
    case X86_INS_MOVDQU:
      if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Mem)
        I.Class = InsnClass::Load;
      else if (I.Ops.size() == 2 && I.Ops[0].Kind == OpKind::Mem)
        I.Class = InsnClass::Store;
      else
        I.Class = InsnClass::Move;
      break;
    case X86_INS_LEA: I.Class = InsnClass::Lea; break;
    case X86_INS_CALL: I.Class = InsnClass::Call; break;
    case X86_INS_RET: I.Class = InsnClass::Ret; break;
    case X86_INS_JMP: I.Class = InsnClass::Jump; break;
    case X86_INS_PUSH: I.Class = InsnClass::Push; break;
    case X86_INS_POP: I.Class = InsnClass::Pop; break;
    case X86_INS_ADD: case X86_INS_SUB:
      if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Imm)
        I.Class = InsnClass::AddSubImm;
      break;
    case X86_INS_XOR: case X86_INS_XORPS: I.Class = InsnClass::Xor; break;
    case X86_INS_NOP: I.Class = InsnClass::Nop; break;
    case X86_INS_INT3: case X86_INS_UD2: I.Class = InsnClass::Trap; break;
    default:
      if (InGroup(CS_GRP_JUMP))
        I.Class = InsnClass::CondJump;
    }
    if ((I.Class == InsnClass::Call || I.Class == InsnClass::Jump ||
         I.Class == InsnClass::CondJump) &&
        I.Ops.size() == 1 && I.Ops[0].Kind == OpKind::Imm)
      I.Target = static_cast<uint64_t>(I.Ops[0].Imm);
  } else {
    const cs_arm64 &A = D->arm64;
    I.Cond = A.cc == ARM64_CC_AL || A.cc == ARM64_CC_NV ? 0 : static_cast<int>(A.cc);
    I.UpdatesFlags = A.update_flags;
    I.Writeback = A.writeback;
    auto ShiftOf = [](arm64_shifter T) {
      switch (T) {
      case ARM64_SFT_LSL: return ShiftKind::LSL;
      case ARM64_SFT_LSR: return ShiftKind::LSR;
      case ARM64_SFT_ASR: return ShiftKind::ASR;
      case ARM64_SFT_ROR: return ShiftKind::ROR;
      default: return ShiftKind::None;
      }
    };
    auto ExtOf = [](arm64_extender E) {
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
    };
    for (uint8_t K = 0; K < A.op_count; ++K) {
      const cs_arm64_op &O = A.operands[K];
      Operand Op;
      Op.Read = O.access & CS_AC_READ;
      Op.Written = O.access & CS_AC_WRITE;
      if (O.type == ARM64_OP_REG) {
        Op.Kind = OpKind::Reg;
        Op.Reg = reg(O.reg);
        // w registers are the low 32 bits of the x register of that number.
        Op.Size = (O.reg >= ARM64_REG_W0 && O.reg <= ARM64_REG_W30) ||
                          O.reg == ARM64_REG_WZR || O.reg == ARM64_REG_WSP
                      ? 4
                      : 8;
        Op.Shift = ShiftOf(O.shift.type);
        Op.ShiftAmount = static_cast<uint8_t>(O.shift.value);
        Op.Ext = ExtOf(O.ext);
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
        Op.Mem.Base = reg(O.mem.base);
        Op.Mem.Index = reg(O.mem.index);
        Op.Mem.Disp = O.mem.disp;
        if (Op.Mem.Index >= 0) {
          if (O.shift.type == ARM64_SFT_LSL && O.shift.value < 8)
            Op.Mem.Scale = 1 << O.shift.value;
          Op.Mem.IndexExtend = ExtOf(O.ext);
        }
      }
      I.Ops.push_back(Op);
    }
    switch (CI.id) {
    case ARM64_INS_MOV: case ARM64_INS_MOVZ: case ARM64_INS_ORR:
      I.Class = InsnClass::Move; break;
    case ARM64_INS_MOVN:
      // movn x0, #imm: x0 = ~imm (as "mov x0, #-N" when Capstone says so).
      I.Class = InsnClass::Move;
      if (I.Ops.size() == 2 && I.Ops[1].Kind == OpKind::Imm) {
        I.Ops[1].Imm = ~I.Ops[1].Imm;
        if (I.Ops[0].Size == 4)
          I.Ops[1].Imm &= 0xffffffff;
      }
      break;
    case ARM64_INS_LDR: case ARM64_INS_LDUR: case ARM64_INS_LDP:
    case ARM64_INS_LDRB: case ARM64_INS_LDRH: case ARM64_INS_LDRSW:
    case ARM64_INS_LDURB: case ARM64_INS_LDURH: case ARM64_INS_LDURSW:
    case ARM64_INS_LDRSB: case ARM64_INS_LDRSH: case ARM64_INS_LDURSB:
    case ARM64_INS_LDURSH:
      I.Class = InsnClass::Load;
      // The width loaded: the instruction's, else the destination's.
      for (Operand &Src : I.Ops) {
        if (Src.Kind != OpKind::Mem)
          continue;
        switch (CI.id) {
        case ARM64_INS_LDRB: case ARM64_INS_LDURB: case ARM64_INS_LDRSB:
        case ARM64_INS_LDURSB: Src.Size = 1; break;
        case ARM64_INS_LDRH: case ARM64_INS_LDURH: case ARM64_INS_LDRSH:
        case ARM64_INS_LDURSH: Src.Size = 2; break;
        case ARM64_INS_LDRSW: case ARM64_INS_LDURSW: Src.Size = 4; break;
        default: break;
        }
      }
      break;
    case ARM64_INS_STR: case ARM64_INS_STUR: case ARM64_INS_STP:
    case ARM64_INS_STRB: case ARM64_INS_STRH: case ARM64_INS_STURB:
    case ARM64_INS_STURH:
      I.Class = InsnClass::Store;
      for (Operand &Dst : I.Ops)
        if (Dst.Kind == OpKind::Mem) {
          if (CI.id == ARM64_INS_STRB || CI.id == ARM64_INS_STURB)
            Dst.Size = 1;
          else if (CI.id == ARM64_INS_STRH || CI.id == ARM64_INS_STURH)
            Dst.Size = 2;
        }
      break;
    case ARM64_INS_ADR: case ARM64_INS_ADRP: I.Class = InsnClass::Lea; break;
    case ARM64_INS_BL: case ARM64_INS_BLR: I.Class = InsnClass::Call; break;
    case ARM64_INS_RET: I.Class = InsnClass::Ret; break;
    case ARM64_INS_B:
      I.Class = A.cc == ARM64_CC_INVALID || A.cc == ARM64_CC_AL
                    ? InsnClass::Jump : InsnClass::CondJump;
      break;
    case ARM64_INS_BR: I.Class = InsnClass::Jump; break;
    case ARM64_INS_CBZ: case ARM64_INS_CBNZ: case ARM64_INS_TBZ:
    case ARM64_INS_TBNZ: I.Class = InsnClass::CondJump; break;
    case ARM64_INS_ADD: case ARM64_INS_SUB:
      if (I.Ops.size() == 3 && I.Ops[2].Kind == OpKind::Imm)
        I.Class = InsnClass::AddSubImm;
      break;
    case ARM64_INS_NOP: I.Class = InsnClass::Nop; break;
    case ARM64_INS_BRK: case ARM64_INS_HLT: I.Class = InsnClass::Trap; break;
    default: break;
    }
    if (I.Class == InsnClass::Call || I.Class == InsnClass::Jump ||
        I.Class == InsnClass::CondJump || I.Class == InsnClass::Lea)
      for (const auto &Op : I.Ops)
        if (Op.Kind == OpKind::Imm)
          I.Target = static_cast<uint64_t>(Op.Imm);
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
  while (Out.size() < MaxInsns && cs_disasm_iter(P->H, &Code, &Size, &PC, CI))
    Out.push_back(P->convert(*CI));
  cs_free(CI, 1);
  return Out;
}

Expected<Instruction> Disassembler::decodeOne(llvm::ArrayRef<uint8_t> Bytes,
                                              uint64_t Addr) const {
  auto V = decode(Bytes, Addr, 1);
  if (V.empty())
    return makeError("cannot decode an instruction at {0}", hex(Addr));
  return std::move(V.front());
}

} // namespace ms::disasm
