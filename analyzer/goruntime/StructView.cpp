#include "goruntime/StructView.h"

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
  auto F = L->field(Name, Path);
  if (!F)
    return F.takeError();
  uint64_t Size = F->Size.value_or(8);
  if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
    return makeError("{0}.{1} has size {2}, not an integer", Name, Path, Size);
  if (F->Offset + Size > Bytes.size())
    return makeError("{0}.{1} lies outside the struct", Name, Path);
  uint64_t V = 0;
  for (uint64_t I = 0; I < Size; ++I)
    V |= uint64_t(Bytes[F->Offset + I]) << (8 * I);
  return V;
}

uint64_t StructView::getOr(llvm::StringRef Path, uint64_t Default) const {
  auto V = get(Path);
  if (!V) {
    llvm::consumeError(V.takeError());
    return Default;
  }
  return *V;
}

Expected<uint64_t> StructView::fieldAddr(llvm::StringRef Path) const {
  auto Off = L->offsetOf(Name, Path);
  if (!Off)
    return Off.takeError();
  return Addr + *Off;
}

} // namespace ms
