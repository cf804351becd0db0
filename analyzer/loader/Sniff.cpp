#include "loader/Sniff.h"

namespace ms {

namespace {
// ELF header fields used here (offsets from the start of the file; the
// same for ELFCLASS32 and ELFCLASS64).
constexpr size_t EiClass = 4, EiData = 5, ETypeOff = 16, EMachineOff = 18;
constexpr size_t HeaderMin = 20; // through e_machine
constexpr uint16_t EtRel = 1, EtExec = 2, EtDyn = 3, EtCore = 4;

uint16_t read16(llvm::StringRef B, size_t Off, bool BigEndian) {
  auto U = [&](size_t I) { return static_cast<uint16_t>(uint8_t(B[Off + I])); };
  return BigEndian ? static_cast<uint16_t>(U(0) << 8 | U(1))
                   : static_cast<uint16_t>(U(1) << 8 | U(0));
}
} // namespace

FileSniff sniffBytes(llvm::StringRef Head) {
  FileSniff S;
  if (Head.size() < HeaderMin || !Head.startswith("\x7f"
                                                  "ELF"))
    return S;
  uint8_t Class = uint8_t(Head[EiClass]), Data = uint8_t(Head[EiData]);
  if ((Class != 1 && Class != 2) || (Data != 1 && Data != 2))
    return S;
  bool BE = Data == 2;
  S.Is64 = Class == 2;
  S.Machine = read16(Head, EMachineOff, BE);
  switch (read16(Head, ETypeOff, BE)) {
  case EtCore:
    S.What = FileSniff::Kind::Core;
    break;
  case EtExec:
  case EtDyn:
    S.What = FileSniff::Kind::Executable;
    break;
  case EtRel:
  default:
    S.What = FileSniff::Kind::OtherElf;
    break;
  }
  return S;
}

Expected<FileSniff> sniffFile(const std::string &Path) {
  auto H = readHead(Path, SniffBytes);
  if (!H)
    return H.takeError();
  FileSniff S = sniffBytes(H->Bytes);
  S.Comp = H->Comp;
  return S;
}

llvm::StringRef kindName(FileSniff::Kind K) {
  switch (K) {
  case FileSniff::Kind::NotElf:
    return "not an ELF file";
  case FileSniff::Kind::Core:
    return "an ELF core";
  case FileSniff::Kind::Executable:
    return "an ELF executable";
  case FileSniff::Kind::OtherElf:
    return "an ELF file that is neither a core nor an executable";
  }
  return "?";
}

} // namespace ms
