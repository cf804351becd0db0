#include "arch/Arch.h"

#include <algorithm>

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

const Arch &amd64Arch();
const Arch &arm64Arch();

const Arch *archForElfMachine(uint16_t Machine) {
  for (const Arch *A : {&amd64Arch(), &arm64Arch()})
    if (A->elfMachine() == Machine)
      return A;
  return nullptr;
}

const Arch *archForGoName(llvm::StringRef Name) {
  for (const Arch *A : {&amd64Arch(), &arm64Arch()})
    if (A->goName() == Name)
      return A;
  return nullptr;
}

} // namespace ms
