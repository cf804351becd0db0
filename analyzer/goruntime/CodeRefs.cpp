#include "goruntime/CodeRefs.h"

#include <algorithm>
#include <map>

#include "disasm/Disassembler.h"
#include "goruntime/GoProgram.h"
#include "loader/Target.h"
#include "support/Warnings.h"

namespace ms {

using namespace disasm;

Expected<std::vector<uint64_t>> dataRefsOf(const GoProgram &P,
                                           llvm::StringRef FuncName) {
  auto F = P.pclntab().findFuncByName(FuncName);
  if (!F)
    return F.takeError();
  const uint64_t Len = F->End - F->Entry;
  if (Len == 0 || Len > (1u << 20))
    return makeError("{0} has implausible size {1}", FuncName, Len);
  auto Bytes = P.memory().readBytes(F->Entry, Len);
  if (!Bytes)
    return Bytes.takeError();
  auto D = Disassembler::create(P.arch().elfMachine());
  if (!D)
    return D.takeError();
  const ModuleData &MD = P.module();
  auto InData = [&](uint64_t A) {
    return (A >= MD.NoPtrData && A < MD.ENoPtrData) ||
           (A >= MD.Data && A < MD.EData) || (A >= MD.Bss && A < MD.EBss) ||
           (A >= MD.NoPtrBss && A < MD.ENoPtrBss);
  };
  std::vector<uint64_t> Out;
  auto Add = [&](uint64_t A) {
    if (InData(A) && std::find(Out.begin(), Out.end(), A) == Out.end())
      Out.push_back(A);
  };
  // arm64 builds addresses in two steps (ADRP page, then ADD/LDR/STR with
  // the low 12 bits); remember pages per register.
  std::map<int, uint64_t> Page;
  for (const Instruction &I : (*D)->decode(*Bytes, F->Entry)) {
    for (const Operand &O : I.Ops)
      if (O.Kind == OpKind::Mem) {
        if (O.Mem.Absolute)
          Add(*O.Mem.Absolute);
        else if (auto It = Page.find(O.Mem.Base); It != Page.end())
          Add(It->second + static_cast<uint64_t>(O.Mem.Disp));
      }
    if (I.Mnemonic == "adrp" && I.Ops.size() == 2 &&
        I.Ops[0].Kind == OpKind::Reg && I.Ops[1].Kind == OpKind::Imm) {
      Page[I.Ops[0].Reg] = static_cast<uint64_t>(I.Ops[1].Imm);
      continue;
    }
    if (I.Mnemonic == "add" && I.Ops.size() == 3 &&
        I.Ops[1].Kind == OpKind::Reg && I.Ops[2].Kind == OpKind::Imm)
      if (auto It = Page.find(I.Ops[1].Reg); It != Page.end())
        Add(It->second + static_cast<uint64_t>(I.Ops[2].Imm));
    for (int R : I.RegsWritten)
      Page.erase(R);
  }
  return Out;
}

uint64_t findGlobal(const GoProgram &P, llvm::StringRef Name,
                    std::initializer_list<const char *> Users,
                    llvm::function_ref<bool(uint64_t)> Plausible,
                    std::string &How, Warnings &W, uint64_t FieldOffset) {
  if (auto A = probe(P.globalAddress(Name))) {
    How = "symbol";
    return *A;
  }
  // No symbol, no DWARF: look in the code that uses it.
  for (const char *U : Users) {
    auto Refs = dataRefsOf(P, U);
    if (!Refs) {
      W.add(Refs.takeError(), "looking for " + Name.str() + " in " + U);
      continue;
    }
    for (uint64_t R : *Refs)
      if (R >= FieldOffset && Plausible(R)) {
        How = std::string("code of ") + U;
        return R - FieldOffset;
      }
  }
  return 0;
}

} // namespace ms
