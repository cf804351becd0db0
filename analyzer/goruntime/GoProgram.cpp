#include "goruntime/GoProgram.h"

#include "loader/Target.h"

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

  auto D = DwarfInfo::open(T.exe());
  if (!D)
    P->Warn.add(D.takeError(), "DWARF unusable, using built-in tables");
  else
    P->Dwarf = std::move(*D);
  auto L2 = RuntimeLayouts::forProgram(T.exe(), P->BI, P->Dwarf.get());
  if (!L2)
    return addContext(L2.takeError(), "runtime struct layouts");
  P->Layouts = std::move(*L2);
  for (const auto &W : P->Layouts->warnings().all())
    P->Warn.add(W);
  return P;
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
