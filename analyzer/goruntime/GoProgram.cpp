#include "goruntime/GoProgram.h"
#include "goruntime/GoVersions.h"

#include "goruntime/ExeDwarf.h"
#include "loader/Target.h"

#include <llvm/ADT/SmallVector.h>

namespace ms {

Expected<std::unique_ptr<GoProgram>> GoProgram::open(const Target &T,
                                                     const LocateOptions &Opts) {
  std::unique_ptr<GoProgram> P(new GoProgram(T));
  auto BI = readBuildInfo(T.exe());
  if (!BI)
    return BI.takeError();
  if (auto E = checkSupported(BI->Version, T.exe().path()))
    return E;
  P->BI = std::move(*BI);
  auto L = locateFirstModuleData(T, P->BI.Version, Opts, &P->Warn);
  if (!L)
    return L.takeError();
  P->Located = std::move(*L);
  if (P->Located.Module.Next)
    P->Warn.addf("the program has more than one Go module (plugins); only "
                 "the first is analyzed");
  auto Pc = Pclntab::create(T.memory(), P->Located.Module, P->BI.Version);
  if (!Pc)
    return addContext(Pc.takeError(), "pclntab");
  P->Pcln = std::move(*Pc);
  P->Types = std::make_unique<TypeTable>(T.memory(), P->Located.Module, P->BI);

  // Runtime struct layouts: the built-in table of this Go version when
  // there is one (generated from and tested against DWARF of the same
  // toolchain), so that a stack needs no DWARF at all; the program's own
  // DWARF when no table fits or the build used experiments the tables do
  // not model.
  bool UseDwarf = false;
  if (!probe(RuntimeLayouts::tableNameFor(P->BI))) {
    UseDwarf = true; // no table for this version
  } else if (auto E = P->BI.setting("GOEXPERIMENT")) {
    llvm::SmallVector<llvm::StringRef, 4> Parts;
    llvm::StringRef(*E).split(Parts, ',', -1, false);
    for (llvm::StringRef X : Parts)
      if (X.trim() != "noswissmap" && X.trim() != "mapsplitgroup")
        UseDwarf = true;
  }
  auto L2 = RuntimeLayouts::forProgram(T.exe(), P->BI,
                                       UseDwarf ? P->dwarf() : nullptr);
  if (!L2)
    return addContext(L2.takeError(), "runtime struct layouts");
  P->Layouts = std::move(*L2);
  for (const auto &W : P->Layouts->warnings().all())
    P->Warn.add(W);
  return P;
}

const DwarfInfo *GoProgram::dwarf() const {
  if (!DwarfTried) {
    DwarfTried = true;
    auto D = openDwarf(T.exe());
    if (!D)
      DwarfWarn.add(D.takeError(), "DWARF unusable, using built-in tables");
    else
      Dwarf = std::move(*D);
  }
  return Dwarf.get();
}

Expected<const HeapIndex *> GoProgram::heap() const {
  if (!Heap && HeapError.empty()) {
    auto H = HeapIndex::open(*this);
    if (H)
      Heap.emplace(std::move(*H));
    else
      HeapError = llvm::toString(H.takeError());
  }
  if (!Heap)
    return makeError("{0}", HeapError);
  return &*Heap;
}

Expected<const GoProgram::DecodedFunction *>
GoProgram::decodedFunction(uint64_t PC) const {
  auto F = Pcln->findFunc(PC);
  if (!F)
    return F.takeError();
  auto It = Decoded.find(F->Entry);
  if (It != Decoded.end())
    return It->second.get();
  uint64_t Len = F->End - F->Entry;
  if (Len == 0 || Len > (4u << 20))
    return makeError("{0} has implausible size {1}", F->Name, Len);
  auto Bytes = memory().readBytes(F->Entry, Len);
  if (!Bytes)
    return Bytes.takeError();
  if (!Disasm) {
    auto D = disasm::Disassembler::create(arch().elfMachine());
    if (!D)
      return D.takeError();
    Disasm = std::move(*D);
  }
  auto DF = std::make_unique<DecodedFunction>();
  DF->Entry = F->Entry;
  DF->Name = F->Name;
  DF->Insns = Disasm->decode(*Bytes, F->Entry);
  for (const auto &I : DF->Insns)
    if ((I.Class == disasm::InsnClass::Jump ||
         I.Class == disasm::InsnClass::CondJump) && I.Target)
      DF->BranchTargets.push_back(*I.Target);
  std::sort(DF->BranchTargets.begin(), DF->BranchTargets.end());
  DF->BranchTargets.erase(
      std::unique(DF->BranchTargets.begin(), DF->BranchTargets.end()),
      DF->BranchTargets.end());
  const DecodedFunction *R = DF.get();
  Decoded.emplace(F->Entry, std::move(DF));
  return R;
}

std::vector<std::string> GoProgram::warnings() const {
  std::vector<std::string> V = Warn.all();
  for (const auto &W : DwarfWarn.all())
    V.push_back(W);
  return V;
}

const Memory &GoProgram::memory() const { return T.memory(); }
const Arch &GoProgram::arch() const { return T.arch(); }

Expected<uint64_t> GoProgram::globalAddress(llvm::StringRef Name) const {
  if (const ExeSymbol *S = T.exe().findSymbol(Name))
    return S->Addr + T.loadBias();
  if (Dwarf && Dwarf->hasGlobal(Name)) {
    auto A = Dwarf->globalAddress(Name);
    if (A)
      return *A + T.loadBias();
    return A.takeError();
  }
  return makeError("no symbol or DWARF for {0}", Name);
}

} // namespace ms
