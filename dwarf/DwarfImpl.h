// Internals shared by the DwarfInfo implementation files. Not installed,
// not included outside dwarf/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <elfutils/libdw.h>
#include <libelf.h>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/StringMap.h>

#include "dwarf/DwarfInfo.h"

namespace ms {

// Go's vendor attributes (cmd/internal/dwarf).
constexpr unsigned DW_AT_go_kind = 0x2900;
constexpr unsigned DW_AT_go_embedded_field = 0x2903;

// Hard bounds: DWARF comes from a file, never trust its sizes.
constexpr uint64_t MaxDiesPerIndex = 50'000'000; // top-level DIEs in all CUs
constexpr unsigned MaxTypeChain = 64;            // typedef/qualifier chains
constexpr unsigned MaxMembers = 100'000;         // members of one struct
constexpr unsigned MaxPathDepth = 32;            // "a.b.c..." components
constexpr size_t MaxExprOps = 256;               // ops of one expression
constexpr unsigned MaxScopes = 256;              // nesting at one PC

struct DwarfInfo::Impl {
  std::string Name;
  const Arch *A = nullptr;
  std::unique_ptr<char[]> Copy; // writable ELF image for elf_memory
  // The debug sections we inflated ourselves (inflateDebugSections), in
  // one anonymous mapping; libelf's section data points into it, so it
  // outlives E (members are destroyed after ~Impl's body).
  struct Mapping {
    void *Addr = nullptr;
    size_t Size = 0;
    Mapping() = default;
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    ~Mapping();
  } Inflated;
  int Fd = -1;
  Elf *E = nullptr;
  Dwarf *D = nullptr;           // null when only .eh_frame is present
  bool HasEhFrame = false;

  // CFI, loaded on first use.
  bool CfiLoaded = false;
  Dwarf_CFI *DebugFrame = nullptr; // owned by D
  Dwarf_CFI *EhFrame = nullptr;    // owned by us (dwarf_cfi_end)

  // Name index of top-level DIEs, built on first name lookup.
  bool Indexed = false;
  llvm::StringMap<Dwarf_Off> Structs, Types, Globals;

  // CU address ranges, built on first PC lookup: [lo, hi) -> CU DIE offset.
  bool RangesBuilt = false;
  struct CuRange {
    uint64_t Lo, Hi;
    Dwarf_Off Cu;
  };
  std::vector<CuRange> CuRanges;

  // Out-of-line functions of each CU by address, built per CU on first
  // PC lookup in it.
  struct FnRange {
    uint64_t Lo, Hi;
    Dwarf_Off Die;
  };
  std::map<Dwarf_Off, std::vector<FnRange>> CuFunctions;

  // Struct layouts by DIE offset.
  std::map<Dwarf_Off, std::unique_ptr<StructLayout>> Layouts;

  ~Impl();

  Error needInfo() const; // error unless .debug_info is usable
  Error buildIndex();
  // A named type's DIE offset (structs first); the error calls it What.
  Expected<Dwarf_Off> typeOffset(llvm::StringRef N, llvm::StringRef What);
  // The DIE of a global variable by name (through the index).
  Expected<Dwarf_Die> globalDie(llvm::StringRef N);
  // Calls Body with the DIE of every unit of .debug_info, in order; stops
  // at the first error (Body's, or reading the units).
  Error forEachUnit(llvm::function_ref<Error(Dwarf_Die &CuDie)> Body);
  Error buildRanges();
  Expected<Dwarf_Die> cuForPC(uint64_t PC);
  // The scopes containing PC, innermost first, ending with the out-of-line
  // subprogram: inlined subroutines and lexical blocks, physically nested.
  // (libdw's dwarf_getscopes leaves the containing function out once it
  // meets an inlined call.)
  Expected<std::vector<Dwarf_Die>> scopesAt(uint64_t PC, Dwarf_Die *CuOut);
  Expected<Dwarf_Die> die(Dwarf_Off Off) const;
  Expected<const StructLayout *> layoutOf(Dwarf_Off StructDie);
};

// Go's DWARF 4 (before Go 1.25) encodes single location expressions with
// DW_FORM_block1, which DWARF 4 no longer counts as an expression and libdw
// refuses ("not a location list value"). Returns A, or a copy relabelled
// DW_FORM_exprloc when its bytes read the same way (DW_FORM_block, or a
// block1 shorter than 128 bytes: a one-byte ULEB128 length).
Dwarf_Attribute exprAttr(const Dwarf_Attribute &A);

// libdw's last error as text.
std::string dwErr();

// The Go spelling of a type DIE's name ("*runtime.g"; synthesized when the
// DIE has no name).
std::string typeNameOf(Dwarf_Die *T);
// Size of a type DIE in bytes.
std::optional<uint64_t> typeSizeOf(Dwarf_Die *T);
// Follows typedefs and qualifiers (bounded). False on a broken chain.
bool peelTypedefs(Dwarf_Die *T, Dwarf_Die *Out);
// The DIE that DW_AT_type of D refers to (integrating abstract origins).
bool typeOf(Dwarf_Die *D, Dwarf_Die *Out);

// A value computed by a DWARF expression: either a memory address, a
// register (the value lives in it), or a plain value (DW_OP_stack_value).
struct ExprResult {
  enum class Kind { Address, Register, Value } K = Kind::Address;
  uint64_t V = 0; // address, register number, or value
};

// Evaluates a DWARF expression over REGS; CFA is needed for
// DW_OP_call_frame_cfa, Mem for DW_OP_deref. Errors name the missing
// register or the unsupported op.
Expected<ExprResult> evalExpr(const Dwarf_Op *Ops, size_t N,
                              const RegisterSet &Regs,
                              std::optional<uint64_t> CFA, const Memory *Mem,
                              const Arch *A);

// "DW_OP_breg7 8" style rendering, for messages.
std::string opsToString(const Dwarf_Op *Ops, size_t N);

} // namespace ms
