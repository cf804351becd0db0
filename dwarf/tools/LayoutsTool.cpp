#include "dwarf/DwarfInfo.h"
#include "loader/ExeFile.h"
#include "loader/Memory.h"
#include <llvm/Support/raw_ostream.h>
using namespace ms;
int main(int argc, char **argv) {
  auto X = ExeFile::open(argv[1]);
  if (!X) { llvm::errs() << llvm::toString(X.takeError()) << "\n"; return 1; }
  auto D = DwarfInfo::open(**X);
  if (!D) { llvm::errs() << llvm::toString(D.takeError()) << "\n"; return 1; }
  if (!*D) { llvm::outs() << "no dwarf\n"; return 0; }
  auto &DI = **D;
  llvm::outs() << "version " << DI.version() << " producer " << DI.producer() << "\n";
  auto L = DI.structLayout("runtime.g");
  if (!L) { llvm::errs() << llvm::toString(L.takeError()) << "\n"; return 1; }
  llvm::outs() << (*L)->Name << " size " << (*L)->Size << "\n";
  for (auto &F : (*L)->Fields) llvm::outs() << "  " << F.Name << " @" << F.Offset << " " << (F.Size ? *F.Size : 0) << " " << F.TypeName << (F.Embedded ? " embedded":"") << "\n";
  for (const char *P : {"sched.sp", "stack.hi", "atomicstatus", "sched.bp"}) {
    auto F = DI.field("runtime.g", P);
    if (!F) llvm::outs() << llvm::toString(F.takeError()) << "\n"; else llvm::outs() << P << " = " << F->Offset << "\n";
  }
  auto A = DI.globalAddress("runtime.allgs");
  if (!A) llvm::outs() << llvm::toString(A.takeError()) << "\n"; else llvm::outs() << "allgs " << hex(*A) << " sym " << hex((*X)->findSymbol("runtime.allgs")->Addr) << "\n";
  for (int i = 2; i < argc; ++i) {
    uint64_t pc = std::stoull(argv[i], nullptr, 16);
    auto FV = DI.variablesAt(pc);
    if (!FV) { llvm::outs() << llvm::toString(FV.takeError()) << "\n"; continue; }
    for (auto &S : FV->Scopes) {
      llvm::outs() << (S.Inlined ? "inlined " : "func ") << S.Function << " " << hex(S.LowPC) << " " << S.CallFile << ":" << S.CallLine << "\n";
      for (auto &V : S.Variables) llvm::outs() << "   " << (V.IsParameter ? "param " : "local ") << V.describe(&DI.arch()[0]) << "\n";
    }
  }
  return 0;
}
