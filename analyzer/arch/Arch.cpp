#include "arch/Arch.h"

namespace ms {

Arch::~Arch() = default;

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
