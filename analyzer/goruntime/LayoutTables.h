// The runtime layout tables (analyzer/goruntime/layouts/*.json), embedded
// into the library at build time by EmbedLayouts.cmake.
#pragma once

#include <cstddef>

#include <llvm/ADT/ArrayRef.h>

namespace ms {

struct EmbeddedLayout {
  const char *Name; // file name without .json: "go1.22", "go1.24-noswissmap"
  const char *Arch; // GOARCH: the table's "arches" holds only this one
  const char *Json;
  size_t Size;
};

// All tables, sorted by name (one entry per name and architecture).
llvm::ArrayRef<EmbeddedLayout> embeddedLayouts();

} // namespace ms
