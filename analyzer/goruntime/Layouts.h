// Layouts of the Go runtime's structs for one program: from its DWARF when
// it has some, otherwise from the table generated for its Go version (and
// map implementation) by scripts/gen-layouts.sh, so that stripped
// executables (-ldflags=-s -w) can be analyzed too.
//
// Struct names are Go's DWARF names. A name that a version spells
// differently is found through aliases: "internal/abi.Type" and
// "runtime._type" are the same struct; "internal/abi.MapType" is the map
// type descriptor of the program's map implementation (runtime.maptype in
// go1.19, internal/abi.OldMapType or SwissMapType in go1.24/1.25);
// "internal/abi.OldMapType" / "internal/abi.SwissMapType" name one
// implementation's descriptor and exist only in programs using it.
//
// The constants DWARF lacks (goroutine status values, wait reason strings)
// always come from the table of the version, DWARF or not.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringRef.h>

#include "goruntime/BuildInfo.h"
#include "support/Error.h"
#include "support/Warnings.h"

namespace ms {

class DwarfInfo;
class ExeFile;


struct LayoutField {
  std::string Name;             // the path asked for: "sched.sp"
  uint64_t Offset = 0;          // from the start of the outer struct
  std::optional<uint64_t> Size; // bytes
  std::string TypeName;         // Go spelling ("uintptr", "*runtime.g")
};

// The constants of one Go version that DWARF does not carry.
struct RuntimeConstants {
  std::map<std::string, int64_t> GStatus;  // "_Grunning" -> 2, "_Gscan" -> 0x1000
  std::map<std::string, int64_t> PStatus;  // "_Pidle" -> 0
  std::vector<std::string> WaitReasons;    // waitReasonStrings, by value
  std::map<std::string, int64_t> WaitReasonConsts; // "waitReasonChanReceive" -> 14
};

class RuntimeLayouts {
public:
  // DWARF when D is non-null and has debug info, otherwise the table of the
  // program's version, map implementation and architecture. An unknown
  // version, or a stripped program whose version has no table, is an error
  // naming the version and the tables there are.
  static Expected<std::unique_ptr<RuntimeLayouts>>
  forProgram(const ExeFile &X, const BuildInfo &BI, const DwarfInfo *D);
  // One embedded table ("go1.22", "go1.24-noswissmap") for GOARCH.
  static Expected<std::unique_ptr<RuntimeLayouts>>
  fromTable(llvm::StringRef Table, llvm::StringRef GoArch);
  // DWARF-backed layouts for a program of version BI (D must outlive the
  // result).
  static Expected<std::unique_ptr<RuntimeLayouts>>
  fromDwarf(const DwarfInfo &D, const BuildInfo &BI);

  // Names of the embedded tables, sorted.
  static std::vector<std::string> tableNames();
  // The table a program of this version and experiments needs
  // ("go1.25-noswissmap"), or an error for versions without one.
  static Expected<std::string> tableNameFor(const BuildInfo &BI);

  // "dwarf" or "table go1.22" / "table go1.24-noswissmap".
  const std::string &source() const { return Source; }
  bool usesDwarf() const { return Dwarf != nullptr; }
  const std::string &goVersion() const { return Version; } // "go1.22"
  const std::string &goArch() const { return Arch; }
  MapImpl mapImpl() const { return Maps; }
  // Notes about the choice (an experiment the table does not model, ...).
  const Warnings &warnings() const { return Warn; }

  // The struct's name in this program for a name or alias, or an error.
  Expected<std::string> resolveStruct(llvm::StringRef Struct) const;
  bool hasStruct(llvm::StringRef Struct) const;
  Expected<uint64_t> sizeOf(llvm::StringRef Struct) const;
  // A field by dotted path: "sched.sp", "stack.hi", "gFree.stack". Nested
  // steps go through struct-typed fields (never through pointers).
  Expected<LayoutField> field(llvm::StringRef Struct,
                              llvm::StringRef Path) const;
  Expected<uint64_t> offsetOf(llvm::StringRef Struct,
                              llvm::StringRef Path) const;
  bool hasField(llvm::StringRef Struct, llvm::StringRef Path) const;
  // Direct fields of a struct, in order (tables also list flattened
  // members of anonymous structs: "gFree.stack").
  Expected<std::vector<LayoutField>> fields(llvm::StringRef Struct) const;
  // Structs of the layout spec present in this program.
  std::vector<std::string> structNames() const;

  // Whether the program has this runtime global (recorded in the table, or
  // found in DWARF). Addresses come from the symbol table or DWARF.
  bool hasGlobal(llvm::StringRef Name) const;

  // Constants of the version; an error when the version has no table.
  Expected<const RuntimeConstants *> constants() const;
  // "chan receive" for g.waitreason 14, "" for waitReasonZero.
  Expected<std::string> waitReason(uint64_t Value) const;
  // "_Grunning", "_Gscanwaiting" (scan bit included); an error for a value
  // that is no status of this version.
  Expected<std::string> gStatusName(uint64_t Value) const;
  Expected<int64_t> gStatusValue(llvm::StringRef Name) const;

  struct TableStruct {
    uint64_t Size = 0;
    std::vector<LayoutField> Fields;
    llvm::StringMap<size_t> Index;
  };

private:
  RuntimeLayouts() = default;
  std::string where() const; // "(table go1.22, amd64)" for messages
  Expected<LayoutField> tableField(const std::string &Struct,
                                   llvm::StringRef Path, unsigned Depth) const;

  std::string Source, Version, Arch;
  MapImpl Maps = MapImpl::Classic;
  const DwarfInfo *Dwarf = nullptr;
  llvm::StringMap<TableStruct> Structs; // table mode
  llvm::StringMap<bool> Globals;        // table mode
  std::optional<RuntimeConstants> Consts;
  std::string ConstsError;              // why Consts is empty
  Warnings Warn;
};

} // namespace ms
