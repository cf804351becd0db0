// Instruction decoding through Capstone, with operands expressed in DWARF
// register numbers (the same numbering as ms::RegisterSet), so that the
// dataflow code above it is architecture-neutral.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>

#include "support/Error.h"

namespace ms::disasm {

// Register numbers are DWARF numbers of the architecture; these mark
// registers that have none.
constexpr int NoReg = -1;
constexpr int ZeroReg = -2;  // arm64 xzr/wzr
constexpr int OtherReg = -3; // segment, flags, vector regs we do not track

struct MemOperand {
  int Base = NoReg, Index = NoReg;
  int Scale = 1;
  int64_t Disp = 0;
  bool PCRelative = false;   // address = next PC (amd64) / PC (arm64) + Disp
  std::optional<uint64_t> Absolute; // resolved when PC-relative or no base
  bool FsSegment = false;    // amd64 fs: (TLS)
  // arm64 register offsets: [x1, w2, sxtw #3] (Scale 8, IndexExtend).
  enum class Extend : uint8_t { None, UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX };
  Extend IndexExtend = Extend::None;
};

// arm64 shifted-register operands: "add x0, x1, x2, lsl #3".
enum class ShiftKind : uint8_t { None, LSL, LSR, ASR, ROR };

enum class OpKind { Reg, Imm, Mem };

struct Operand {
  OpKind Kind = OpKind::Reg;
  int Reg = NoReg; // for Reg; DWARF number or one of the markers above
  int64_t Imm = 0;
  MemOperand Mem;
  uint8_t Size = 0; // bytes
  bool Read = false, Written = false;
  bool HighByte = false; // amd64 ah/bh/ch/dh: bits 8..15 of Reg
  // arm64: a register operand's shift, or an immediate's (already applied
  // to Imm: movk needs the position); a register operand's extension.
  ShiftKind Shift = ShiftKind::None;
  uint8_t ShiftAmount = 0;
  MemOperand::Extend Ext = MemOperand::Extend::None;
};

enum class InsnClass {
  Other, Move, Lea, Load, Store, Call, Ret, Jump, CondJump, Push, Pop,
  AddSubImm, Xor, Nop, Trap
};

struct Instruction {
  uint64_t Addr = 0;
  uint8_t Size = 0;
  std::string Mnemonic, OpText;
  InsnClass Class = InsnClass::Other;
  std::vector<Operand> Ops;       // in Intel/ARM operand order: dest first
  std::optional<uint64_t> Target; // direct call/jump target
  std::vector<int> RegsWritten;   // DWARF numbers, implicit ones included
  std::vector<int> RegsRead;
  // arm64: the condition (Capstone's arm64_cc; 0 = none/always) of b.cond,
  // csel and the like; "s" forms that set the flags; pre/post-indexed
  // addressing that updates the base register (the post-index amount is
  // the last, immediate, operand).
  int Cond = 0;
  bool UpdatesFlags = false;
  bool Writeback = false;
  // Bytes the disassembler does not know (arm64: one 4-byte word, e.g. an
  // atomic newer than the disassembler): it may write any register and any
  // memory, and nothing is known of it but its size.
  bool Undecoded = false;
  uint64_t next() const { return Addr + Size; }
  std::string text() const { return OpText.empty() ? Mnemonic : Mnemonic + " " + OpText; }
  bool writes(int Reg) const;
};

class Disassembler {
public:
  // ElfMachine: EM_X86_64 or EM_AARCH64.
  static Expected<std::unique_ptr<Disassembler>> create(uint16_t ElfMachine);
  ~Disassembler();
  // Decodes instructions from Bytes (located at Addr) until the bytes end,
  // MaxInsns are decoded, or an undecodable byte sequence is met (arm64:
  // an undecodable word is kept as an Undecoded instruction and decoding
  // goes on, since every instruction is 4 bytes).
  std::vector<Instruction> decode(llvm::ArrayRef<uint8_t> Bytes, uint64_t Addr,
                                  size_t MaxInsns = SIZE_MAX) const;
  // Decodes exactly one instruction, or an error naming the address.
  Expected<Instruction> decodeOne(llvm::ArrayRef<uint8_t> Bytes,
                                  uint64_t Addr) const;

private:
  struct Impl;
  explicit Disassembler(std::unique_ptr<Impl> I);
  std::unique_ptr<Impl> P;
};

} // namespace ms::disasm
