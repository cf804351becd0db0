// runtime.firstmoduledata: the Go runtime's own table of contents for an
// executable (where the pclntab, the type descriptors, the data and bss
// sections are, at RUNTIME addresses). Found through the symbol when the
// executable has one, otherwise by searching: the pclntab header (by
// section name or by its magic) and then the writable data of the
// executable for the one word that points at it.
//
// Only 64-bit little-endian targets (amd64, arm64) are handled. The struct
// layout is chosen per Go version (see moduleDataLayout in ModuleData.cpp,
// transcribed from runtime/symtab.go of each supported release).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/BuildInfo.h"
#include "support/Memory.h"
#include "support/Error.h"
#include "support/Warnings.h"

namespace ms {

class Target;

// A Go slice header as stored in memory.
struct GoSlice {
  uint64_t Data = 0, Len = 0, Cap = 0;
  bool operator==(const GoSlice &O) const = default;
};

// The slice header (data, len, cap) at Addr; an error when its 24 bytes
// are not in memory.
Expected<GoSlice> readGoSlice(const Memory &M, uint64_t Addr);

// One entry of moduledata.textsectmap (several only for very large
// binaries or architectures with limited branch range).
struct TextSection {
  uint64_t VAddr = 0;    // link-time offset of the section from text
  uint64_t End = 0;      // VAddr + section length
  uint64_t BaseAddr = 0; // relocated (runtime) address of the section
  bool operator==(const TextSection &O) const = default;
};

// The pclntab header (runtime.pcHeader), decoded.
struct PcHeader {
  uint64_t Addr = 0;     // runtime address
  uint32_t Magic = 0;    // 0xfffffff0 (go1.18-1.19) or 0xfffffff1 (go1.20+)
  uint8_t MinLC = 0;     // instruction size quantum (1 amd64, 4 arm64)
  uint8_t PtrSize = 0;
  uint64_t NFunc = 0, NFiles = 0;
  uint64_t TextStart = 0; // go < 1.26 only (no longer written since 1.26)
  uint64_t FuncnameOffset = 0, CuOffset = 0, FiletabOffset = 0,
           PctabOffset = 0, PclnOffset = 0;
};

constexpr uint32_t PcHeaderMagic118 = 0xfffffff0; // go1.18, go1.19
constexpr uint32_t PcHeaderMagic120 = 0xfffffff1; // go1.20 and later

// runtime.moduledata, every field an analyzer needs. Addresses are runtime
// addresses (PIE relocation applied: they are the values in the core).
// Fields that a given Go version does not have are std::nullopt.
struct ModuleData {
  uint64_t Addr = 0; // where this moduledata lives

  uint64_t PcHeaderAddr = 0;
  GoSlice FuncNameTab, CuTab, FileTab, PcTab, PclnTable, Ftab;
  uint64_t FindFuncTab = 0;
  uint64_t MinPC = 0, MaxPC = 0;
  uint64_t Text = 0, EText = 0;
  uint64_t NoPtrData = 0, ENoPtrData = 0;
  uint64_t Data = 0, EData = 0;
  uint64_t Bss = 0, EBss = 0;
  uint64_t NoPtrBss = 0, ENoPtrBss = 0;
  std::optional<uint64_t> CovCtrs, ECovCtrs; // go1.20+
  uint64_t End = 0, GcData = 0, GcBss = 0;
  uint64_t Types = 0, ETypes = 0;
  std::optional<uint64_t> TypeDescLen;          // go1.27+: typelinked descriptors
  std::optional<uint64_t> ItabOffset, ItabSize; // go1.27+: itabs after types
  uint64_t Rodata = 0;
  uint64_t GoFunc = 0;                  // base of funcdata offsets
  std::optional<uint64_t> EPclntab;     // go1.26+
  std::vector<TextSection> TextSectMap; // bounded copy of the slice
  GoSlice TextSectMapSlice;
  std::optional<GoSlice> TypeLinks; // []int32 offsets from Types (< go1.27)
  std::optional<GoSlice> ItabLinks; // []*itab (< go1.27)
  std::string ModuleName;           // "" for the main executable
  uint8_t HasMain = 0;
  bool Bad = false;
  uint64_t Next = 0; // next module (plugins), 0 for none

  bool operator==(const ModuleData &O) const = default;
  // True when PC lies in [MinPC, MaxPC).
  bool containsPC(uint64_t PC) const { return PC >= MinPC && PC < MaxPC; }
  // True when Addr lies in [Types, ETypes).
  bool containsType(uint64_t A) const { return A >= Types && A < ETypes; }
};

// How the moduledata was found.
enum class ModuleDataSource { Symbol, Scan };

struct LocateOptions {
  // Use runtime.firstmoduledata from the symbol table when present. Off:
  // always search (what a stripped executable needs; used by tests to
  // check that both ways agree).
  bool UseSymbols = true;
};

struct LocatedModuleData {
  ModuleData Module;
  PcHeader Header;
  ModuleDataSource Source = ModuleDataSource::Symbol;
};

// Decodes the pclntab header at Addr (runtime address).
Expected<PcHeader> readPcHeader(const Memory &M, uint64_t Addr);

// Decodes the moduledata at Addr with the layout of Go version V. Checks
// nothing beyond readability: see validateModuleData.
Expected<ModuleData> readModuleData(const Memory &M, uint64_t Addr,
                                    const GoVersion &V);

// Consistency of a moduledata with a pclntab header and the executable's
// text (runtime addresses [TextLo, TextHi)): the table slices point where
// the header says, ftab has nfunc+1 entries, text/etext/minpc/maxpc fit.
Error validateModuleData(const ModuleData &MD, const PcHeader &H,
                         uint64_t TextLo, uint64_t TextHi);

// Finds and decodes runtime.firstmoduledata of the target's executable.
// Go version from the executable's build info (V). Warnings (e.g. the
// symbol disagreeing with the search) go to W when given.
Expected<LocatedModuleData> locateFirstModuleData(const Target &T,
                                                  const GoVersion &V,
                                                  const LocateOptions &Opts = {},
                                                  Warnings *W = nullptr);

// The chain firstmoduledata -> next -> ... (plugins; bounded to 64 and
// stopping at the first module that cannot be read, with a warning).
std::vector<ModuleData> moduleChain(const Memory &M, const ModuleData &First,
                                    const GoVersion &V, Warnings *W = nullptr);

// The offset of a named field ("text", "types", "next", ...) in the
// moduledata of version V, if that version has it. For tests and for
// tools that want to patch or cross-check single fields.
std::optional<uint64_t> moduleDataFieldOffset(const GoVersion &V,
                                              const std::string &Field);

} // namespace ms
