// Everything the Go binary tells about itself, for one target: build info,
// runtime.firstmoduledata, the function table and the type descriptors.
// The entry point for the unwinder, the goroutine listing and the map
// diagnosis:
//
//   auto P = GoProgram::open(*Target);          // Expected<unique_ptr<..>>
//   auto F = (*P)->pclntab().findFunc(pc);
//   auto T = (*P)->types().findByName("main.routeKey");
#pragma once

#include <algorithm>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "disasm/Disassembler.h"
#include "dwarf/DwarfInfo.h"

#include "goruntime/BuildInfo.h"
#include "goruntime/Heap.h"
#include "goruntime/Layouts.h"
#include "goruntime/ModuleData.h"
#include "goruntime/Pclntab.h"
#include "goruntime/Types.h"
#include "support/Warnings.h"

namespace ms {

class Target;

class GoProgram {
public:
  // Reads build info from the executable (error: not Go, or a version
  // outside go1.19..go1.27), finds the moduledata (symbol or search) and
  // loads the function table. Problems that do not stop it (e.g. a symbol
  // that disagrees with the search) are warnings().
  static Expected<std::unique_ptr<GoProgram>>
  open(const Target &T, const LocateOptions &Opts = {});

  const Target &target() const { return T; }
  const BuildInfo &buildInfo() const { return BI; }
  const GoVersion &version() const { return BI.Version; }
  const ModuleData &module() const { return Located.Module; }
  const PcHeader &pcHeader() const { return Located.Header; }
  ModuleDataSource moduleSource() const { return Located.Source; }
  const Pclntab &pclntab() const { return *Pcln; }
  // Types are decoded lazily and cached, hence non-const.
  TypeTable &types() { return *Types; }
  MapImpl mapImpl() const { return Types->mapImpl(); }
  // The executable's DWARF, or null when it has none (stripped). Opened on
  // first use: inflating and indexing Go's compressed debug sections costs
  // about as much as the rest of a typical analysis, and most analyses
  // settle every argument without it. (Opening it on a second thread from
  // the start measured no faster on 2 CPUs: the threads contend.)
  const DwarfInfo *dwarf() const;
  // Runtime struct layouts: from DWARF when present, else the table of
  // the program's Go version.
  const RuntimeLayouts &layouts() const { return *Layouts; }
  const Memory &memory() const;
  const Arch &arch() const;
  // Runtime address of a Go global ("runtime.allgs") from the symbol table
  // or DWARF; an error when neither has it (stripped executables: callers
  // fall back to finding it through the code that uses it).
  Expected<uint64_t> globalAddress(llvm::StringRef Name) const;
  // The machine code of the function containing PC, decoded once and
  // cached (entry address and instructions).
  struct DecodedFunction {
    uint64_t Entry = 0;
    std::string Name;
    std::vector<disasm::Instruction> Insns;
    // Addresses some direct jump or conditional jump of the function goes
    // to, sorted (a join, for code walking backwards).
    std::vector<uint64_t> BranchTargets;
    bool isBranchTarget(uint64_t A) const {
      return std::binary_search(BranchTargets.begin(), BranchTargets.end(), A);
    }
  };
  Expected<const DecodedFunction *> decodedFunction(uint64_t PC) const;
  // The index of the heap (HeapIndex::open), built on first use and kept;
  // when there is none, the error says why (every call).
  Expected<const HeapIndex *> heap() const;

  // Problems found so far (including any from opening DWARF lazily).
  std::vector<std::string> warnings() const;

private:
  explicit GoProgram(const Target &T) : T(T) {}
  const Target &T;
  BuildInfo BI;
  LocatedModuleData Located;
  std::unique_ptr<Pclntab> Pcln;
  std::unique_ptr<TypeTable> Types;
  mutable std::unique_ptr<DwarfInfo> Dwarf;
  mutable bool DwarfTried = false;
  mutable Warnings DwarfWarn;
  mutable std::unique_ptr<disasm::Disassembler> Disasm;
  mutable std::map<uint64_t, std::unique_ptr<DecodedFunction>> Decoded;
  mutable std::optional<HeapIndex> Heap;
  mutable std::string HeapError; // why there is no Heap, once tried
  std::unique_ptr<RuntimeLayouts> Layouts;
  Warnings Warn;
};

} // namespace ms
