// One runtime struct read from the target in a single read, with fields
// looked up by name through the program's layouts (DWARF or table).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>

#include "goruntime/Layouts.h"
#include "support/Memory.h"

namespace ms {

class StructView {
public:
  // Reads sizeOf(Struct) bytes at Addr.
  static Expected<StructView> read(const Memory &M, const RuntimeLayouts &L,
                                   llvm::StringRef Struct, uint64_t Addr);
  uint64_t addr() const { return Addr; }
  const std::string &structName() const { return Name; }
  // Unsigned value of a field (its size from the layout: 1, 2, 4 or 8).
  Expected<uint64_t> get(llvm::StringRef Path) const;
  // Like get(), with a default when the field does not exist in this Go
  // version (errors other than "no such field" still propagate as the
  // default, reported by has()).
  uint64_t getOr(llvm::StringRef Path, uint64_t Default) const;
  bool has(llvm::StringRef Path) const { return L->hasField(Name, Path); }
  // A field looked up once (RuntimeLayouts::field: nullopt when this Go
  // version lacks it), for reading it from many structs of the same kind
  // without a lookup by name each time; Default when it is absent or not
  // an integer inside the struct.
  uint64_t getOr(const std::optional<LayoutField> &F, uint64_t Default) const;
  // Runtime address of a field.
  Expected<uint64_t> fieldAddr(llvm::StringRef Path) const;

private:
  const RuntimeLayouts *L = nullptr;
  std::string Name;
  uint64_t Addr = 0;
  std::vector<uint8_t> Bytes;
};

} // namespace ms
