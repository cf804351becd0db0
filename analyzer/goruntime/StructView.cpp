#include "goruntime/StructView.h"

#include "support/ByteReader.h"

namespace ms {

Expected<StructView> StructView::read(const Memory &M, const RuntimeLayouts &L,
                                      llvm::StringRef Struct, uint64_t Addr) {
  auto Size = L.sizeOf(Struct);
  if (!Size)
    return Size.takeError();
  if (*Size > (1u << 16))
    return makeError("{0} has implausible size {1}", Struct, *Size);
  StructView V;
  V.L = &L;
  V.Name = Struct.str();
  V.Addr = Addr;
  auto B = M.readBytes(Addr, *Size);
  if (!B)
    return addContext(B.takeError(), "reading " + Struct + " at " + hex(Addr));
  V.Bytes = std::move(*B);
  return V;
}

Expected<uint64_t> StructView::get(llvm::StringRef Path) const {
  auto Field = L->field(Name, Path);
  if (!Field)
    return Field.takeError();
  uint64_t Size = Field->Size.value_or(8);
  if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
    return makeError("{0}.{1} has size {2}, not an integer", Name, Path, Size);
  auto Value = ByteReader(Bytes).uint(Field->Offset, static_cast<unsigned>(Size));
  if (!Value)
    return makeError("{0}.{1} lies outside the struct", Name, Path);
  return *Value;
}

uint64_t StructView::getOr(llvm::StringRef Path, uint64_t Default) const {
  return probe(get(Path)).value_or(Default);
}

uint64_t StructView::getOr(const std::optional<LayoutField> &F,
                           uint64_t Default) const {
  if (!F)
    return Default;
  const uint64_t Size = F->Size.value_or(8);
  if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
    return Default;
  return ByteReader(Bytes)
      .uint(F->Offset, static_cast<unsigned>(Size))
      .value_or(Default);
}

Expected<uint64_t> StructView::fieldAddr(llvm::StringRef Path) const {
  auto Off = L->offsetOf(Name, Path);
  if (!Off)
    return Off.takeError();
  return Addr + *Off;
}

} // namespace ms
