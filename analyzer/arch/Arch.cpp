#include "arch/Arch.h"

#include <algorithm>

#include "arch/ArchImpl.h"
#include "support/ByteReader.h"
#include "support/Memory.h"

namespace ms {

Arch::~Arch() = default;

std::vector<std::string> Arch::wantedRegNames() const {
  std::vector<unsigned> Regs = displayRegs();
  for (unsigned R : {pcReg(), spReg(), fpReg()})
    Regs.push_back(R);
  if (auto LR = lrReg())
    Regs.push_back(*LR);
  if (auto G = goGReg())
    Regs.push_back(*G);
  std::vector<std::string> Names;
  for (unsigned R : Regs) {
    std::string N = regName(R);
    if (std::find(Names.begin(), Names.end(), N) == Names.end())
      Names.push_back(N);
  }
  return Names;
}

Expected<RegisterSet> registersFromWords(llvm::ArrayRef<uint8_t> Bytes,
                                         llvm::ArrayRef<unsigned> Order,
                                         const char *What) {
  const ByteReader Words(Bytes);
  RegisterSet Regs;
  for (size_t I = 0; I < Order.size(); ++I) {
    auto Value = Words.word(I);
    if (!Value)
      return makeError("{0} is {1} bytes, expected {2}", What, Bytes.size(),
                       Order.size() * 8);
    if (Order[I] != NoReg)
      Regs.set(Order[I], *Value);
  }
  return Regs;
}

Expected<RegisterSet> readRegisterWords(const Memory &M, uint64_t Addr,
                                        llvm::ArrayRef<unsigned> Order,
                                        const char *What) {
  auto Bytes = M.readBytes(Addr, Order.size() * 8);
  if (!Bytes)
    return addContext(Bytes.takeError(), llvm::Twine("reading ") + What);
  return registersFromWords(*Bytes, Order, What);
}

const Arch &amd64Arch();
const Arch &arm64Arch();

const Arch *archForElfMachine(uint16_t Machine) {
  for (const Arch *A : {&amd64Arch(), &arm64Arch()})
    if (A->elfMachine() == Machine)
      return A;
  return nullptr;
}

std::string unsupportedArchText(llvm::StringRef H) {
  if (H.size() < 20)
    return "truncated ELF header";
  const bool Is64 = static_cast<uint8_t>(H[4]) == 2;
  const bool BigEndian = static_cast<uint8_t>(H[5]) == 2;
  const uint8_t Lo = static_cast<uint8_t>(H[BigEndian ? 19 : 18]),
                Hi = static_cast<uint8_t>(H[BigEndian ? 18 : 19]);
  const unsigned Machine = Lo | (Hi << 8);
  // GOARCH names of the ELF machines Go builds for (cmd/link/internal/ld).
  const char *Name = nullptr;
  switch (Machine) {
  case 3: Name = "386"; break;
  case 8: Name = Is64 ? "mips64" : "mips"; break;
  case 20: Name = "ppc"; break;
  case 21: Name = BigEndian ? "ppc64" : "ppc64le"; break;
  case 22: Name = "s390x"; break;
  case 40: Name = "arm"; break;
  case 62: Name = "amd64"; break;
  case 183: Name = "arm64"; break;
  case 243: Name = "riscv64"; break;
  case 258: Name = "loong64"; break;
  default: break;
  }
  std::string What = Name ? std::string(Name) : "unknown-architecture";
  const bool Vowel = std::string("aeiou").find(What[0]) != std::string::npos;
  std::string S = (Vowel ? "an " : "a ") + What + " ELF file (machine " + std::to_string(Machine) +
                  (Is64 ? ", 64-bit" : ", 32-bit") +
                  (BigEndian ? ", big-endian" : ", little-endian") + ")";
  return S + ": mapsleuth reads amd64 and arm64 programs and cores only";
}

const Arch *archForGoName(llvm::StringRef Name) {
  for (const Arch *A : {&amd64Arch(), &arm64Arch()})
    if (A->goName() == Name)
      return A;
  return nullptr;
}

} // namespace ms
