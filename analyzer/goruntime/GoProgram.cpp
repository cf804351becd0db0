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
  return P;
}

} // namespace ms
