// DWARF of a Go executable through elfutils libdw: type layouts, global
// variable addresses, the variables of a function at a PC (location lists
// evaluated to registers / CFA offsets / addresses) and call frame
// information (CFI) for unwinding one frame.
//
// Everything is lazy: opening reads only the ELF headers (and lets libdw
// inflate the SHF_COMPRESSED debug sections); the name index of top-level
// types and variables is built on the first name lookup; PC lookups go
// through the compilation unit that holds the PC; struct layouts are built
// on first use and cached.
//
// Lookups are logically const but fill caches: one DwarfInfo must not be
// used from several threads at once.
//
// All addresses are link-time addresses (add the load bias of a PIE
// yourself). Register numbers are DWARF numbers of the executable's
// architecture, as in arch/Arch.h's RegisterSet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>

#include "arch/Arch.h"
#include "support/Error.h"

namespace ms {

class Memory;

// ---- types -------------------------------------------------------------

// One member of a struct. Offsets are from the start of the struct the
// lookup started at (so "sched.sp" of runtime.g is g-relative).
struct FieldLayout {
  std::string Name;              // "sched" or a dotted path "sched.sp"
  uint64_t Offset = 0;           // bytes from the start of the outer struct
  std::optional<uint64_t> Size;  // byte size of the field's type, if known
  std::string TypeName;          // Go spelling: "uintptr", "*runtime.g", ...
  bool Embedded = false;         // Go embedded field (DW_AT_go_embedded_field)
  uint64_t TypeDie = 0;          // opaque: the type's DIE, for nested lookups
};

struct StructLayout {
  std::string Name;              // as named in DWARF
  uint64_t Size = 0;
  std::vector<FieldLayout> Fields; // direct members, in declaration order
  const FieldLayout *field(llvm::StringRef Name) const;
};

enum class TypeKind {
  Base, Pointer, Struct, Array, Typedef, Function, Other
};

struct DwarfType {
  std::string Name;
  TypeKind Kind = TypeKind::Other;
  std::optional<uint64_t> Size;
  uint64_t Die = 0;              // opaque
};

// ---- variable locations --------------------------------------------------

// Where one piece of a variable lives at a given PC.
struct LocationPiece {
  enum class Kind {
    Register,     // value is in register Reg
    CfaOffset,    // in memory at CFA + Offset
    RegOffset,    // in memory at value(Reg) + Offset (DW_OP_breg)
    Address,      // in memory at Addr
    Value,        // not in memory: the value is Value (DW_OP_stack_value...)
    Unavailable,  // optimized out at this PC (empty piece)
    Unsupported,  // an expression this decoder does not model; see Expr
  };
  Kind K = Kind::Unavailable;
  unsigned Reg = 0;
  int64_t Offset = 0;
  uint64_t Addr = 0;
  uint64_t Value = 0;
  // Size of the piece in bytes (from DW_OP_piece); for a location without
  // pieces, the size of the variable's type (0 when unknown).
  uint64_t Size = 0;
  std::string Expr;              // Unsupported: the ops, for messages

  std::string describe(const Arch *A = nullptr) const; // "rax", "CFA+8"
};

struct VariableLocation {
  std::string Name;
  bool IsParameter = false;      // DW_TAG_formal_parameter
  bool IsResult = false;         // Go result parameter (~r0, named results)
  std::string TypeName;
  std::optional<uint64_t> TypeSize;
  uint64_t TypeDie = 0;          // opaque
  // False when the location list has no entry covering the PC (or the
  // variable has no location at all): "unavailable at this pc".
  bool Available = false;
  std::vector<LocationPiece> Pieces;

  std::string describe(const Arch *A = nullptr) const;
};

// A function or an inlined call at the PC with its own variables.
struct ScopeVariables {
  std::string Function;          // "runtime.mapassign_faststr"
  bool Inlined = false;          // a DW_TAG_inlined_subroutine
  uint64_t LowPC = 0;            // entry (DW_AT_low_pc or DW_AT_entry_pc;
                                 // 0 when neither is known)
  // Inlined: the line it was inlined at (DW_AT_call_line). The file is
  // not read: .debug_line is not loaded (see inflateDebugSections); the
  // pclntab's inline tree names it.
  unsigned CallLine = 0;
  // Parameters first, in declaration order, then locals (including those
  // of lexical blocks that contain the PC).
  std::vector<VariableLocation> Variables;
  const VariableLocation *find(llvm::StringRef Name) const;
};

struct FrameVariables {
  uint64_t PC = 0;
  // Innermost first: the deepest inlined call, ..., then the concrete
  // (out-of-line) function last.
  std::vector<ScopeVariables> Scopes;
  const ScopeVariables &function() const { return Scopes.back(); }
};

// Reads a variable's bytes in a frame: register pieces give the low Size
// bytes of the register, memory pieces (CFA/register/absolute) are read
// from MEM, constant pieces are encoded little-endian. CFA is needed for
// CfaOffset pieces (DwarfInfo::unwind gives it). An unavailable or
// unsupported piece is an error naming the variable and the piece: no
// zeros for data that is not there.
Expected<std::vector<uint8_t>> readVariable(const VariableLocation &V,
                                            const RegisterSet &Regs,
                                            std::optional<uint64_t> CFA,
                                            const Memory &Mem,
                                            const Arch *A = nullptr);

// ---- CFI ---------------------------------------------------------------

struct UnwindStep {
  uint64_t CFA = 0;
  uint64_t ReturnAddress = 0;
  unsigned ReturnAddressReg = 0; // the CFI's return address column
  bool SignalFrame = false;      // FDE marked 'S'
  std::string Source;            // ".debug_frame" or ".eh_frame"
  // The caller's registers: SP = CFA, PC = return address, plus every
  // register of the callee's set that the CFI recovers (same value or
  // saved in memory). Undefined registers are left out.
  RegisterSet Caller;
};

// ---- the DWARF of one executable ---------------------------------------

class DwarfInfo {
public:
  // Opens the DWARF of the ELF file at PATH whose bytes are BYTES (libelf
  // maps the file). The result is null (not an error) when the file has no
  // DWARF (.debug_info absent, e.g. built with -ldflags=-w); an error means
  // the DWARF is there but unusable. BYTES must outlive the result.
  // goruntime/ExeDwarf.h opens the DWARF of a loaded executable.
  static Expected<std::unique_ptr<DwarfInfo>>
  openMapped(const std::string &Path, llvm::ArrayRef<uint8_t> Bytes,
             const Arch *A);
  // Same for ELF bytes held elsewhere (no file on disk holds them). libelf
  // writes into the image it reads when it inflates SHF_COMPRESSED
  // sections, so the bytes are copied.
  static Expected<std::unique_ptr<DwarfInfo>>
  openBytes(llvm::ArrayRef<uint8_t> Elf, std::string Name, const Arch *A);
  ~DwarfInfo();
  DwarfInfo(const DwarfInfo &) = delete;
  DwarfInfo &operator=(const DwarfInfo &) = delete;

  const std::string &name() const;
  const Arch *arch() const;
  // DWARF version of the first unit (4 before Go 1.25, 5 after by default).
  unsigned version() const;
  // DW_AT_producer of the first unit: "Go cmd/compile go1.27.4; regabi".
  std::string producer() const;

  // -- types (by the name DWARF gives them: "runtime.g", "internal/abi.Type")
  bool hasType(llvm::StringRef Name) const;
  Expected<DwarfType> type(llvm::StringRef Name) const;
  // The layout of a struct type (typedefs are followed). Cached.
  Expected<const StructLayout *> structLayout(llvm::StringRef Name) const;
  // The layout of the struct type a FieldLayout/VariableLocation refers to
  // (its TypeDie), e.g. an anonymous struct member.
  Expected<const StructLayout *> structLayoutOfType(uint64_t TypeDie) const;
  // A member by dotted path: "sched.sp", "stack.lo", "gFree.stack".
  // Each step but the last must be a struct (typedefs followed; pointers
  // are not followed).
  Expected<FieldLayout> field(llvm::StringRef Struct, llvm::StringRef Path) const;
  // Names of all struct types (for tools; builds the index).
  std::vector<std::string> structNames() const;

  // -- global variables
  bool hasGlobal(llvm::StringRef Name) const;
  // Link-time address of a global variable whose location is DW_OP_addr
  // (or DW_OP_addrx).
  Expected<uint64_t> globalAddress(llvm::StringRef Name) const;
  // Type name of a global variable.
  Expected<std::string> globalTypeName(llvm::StringRef Name) const;

  // -- functions
  // Name and entry of the function containing PC (out-of-line function).
  Expected<std::pair<std::string, uint64_t>> functionAt(uint64_t PC) const;
  // The parameters and locals of the function (and inlined calls) at PC
  // with their locations evaluated at PC. For a frame other than the
  // innermost, pass the return address minus one (the call instruction).
  Expected<FrameVariables> variablesAt(uint64_t PC) const;

  // -- CFI (.debug_frame first, then .eh_frame)
  bool hasCfi() const;
  // One step of unwinding: given the registers of the frame executing at
  // PC (Regs must hold PC and the registers the CFA rule uses), compute
  // the CFA, the return address and the caller's registers. Memory is read
  // for registers saved on the stack.
  Expected<UnwindStep> unwind(uint64_t PC, const RegisterSet &Regs,
                              const Memory &Mem) const;

  struct Impl;

private:
  explicit DwarfInfo(std::unique_ptr<Impl> I);
  // Finishes opening once the ELF handle is set: DWARF if any, else
  // .eh_frame only, else none (null).
  static Expected<std::unique_ptr<DwarfInfo>>
  finishOpen(std::unique_ptr<Impl> P);
  std::unique_ptr<Impl> P;
};

} // namespace ms
