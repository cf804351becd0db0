// The runtime layout tables (analyzer/goruntime/layouts/*.json), compiled
// into the library as constant data by the build-time generator
// goruntime/tools/EmbedLayouts.cpp: nothing is parsed at run time, and a
// malformed table fails the build, not an analysis.
#pragma once

#include <cstddef>
#include <cstdint>

#include <llvm/ADT/ArrayRef.h>

namespace ms {

struct EmbeddedField {
  const char *Name;  // the path: "sched.sp", "gFree.stack"
  uint64_t Offset;   // from the start of the outer struct
  bool HasSize;      // false when DWARF gave no size
  uint64_t Size;
  const char *Type;  // Go spelling ("uintptr", "*runtime.g")
};

struct EmbeddedStruct {
  const char *Name;
  uint64_t Size;
  llvm::ArrayRef<EmbeddedField> Fields;
};

struct EmbeddedConst {
  const char *Name;
  int64_t Value;
};

struct EmbeddedLayout {
  const char *Name;    // file name without .json: "go1.22", "go1.24-noswissmap"
  const char *Arch;    // GOARCH of these structs and globals
  const char *Version; // "go1.22"
  bool Swiss;          // the table's map implementation is Swiss
  llvm::ArrayRef<EmbeddedStruct> Structs;
  llvm::ArrayRef<const char *> Globals;
  // The version's constants DWARF does not carry (shared by its arches).
  llvm::ArrayRef<EmbeddedConst> GStatus, PStatus, WaitReasonConsts;
  llvm::ArrayRef<const char *> WaitReasons; // by value
};

// All tables, sorted by name (one entry per name and architecture).
llvm::ArrayRef<EmbeddedLayout> embeddedLayouts();

} // namespace ms
