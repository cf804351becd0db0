#include "api/Session.h"

#include "goruntime/BuildInfo.h"
#include "goruntime/GoProgram.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Unwinder.h"
#include "diagnosis/Diagnose.h"
#include "diagnosis/LogDiagnose.h"
#include "loader/CrashLog.h"

namespace ms {

Session::~Session() = default;

bool isCrashLog(const std::string &Path) { return isCrashLogFile(Path); }

Expected<AnalysisReport> analyzeCrashLog(const std::string &Path,
                                         const CrashLogOptions &O) {
  auto L = readCrashLog(Path);
  if (!L)
    return L.takeError();
  if (!O.Exe)
    return diagnoseCrashLog(*L, Path, nullptr, O.Force);
  auto X = ExeFile::open(*O.Exe);
  if (!X)
    return X.takeError();
  auto T = Target::fromExecutable(std::move(*X), 0, Path, O.ExeSource);
  if (!T)
    return T.takeError();
  auto P = GoProgram::open(**T);
  if (!P)
    return addContext(P.takeError(), "'" + *O.Exe + "'");
  return diagnoseCrashLog(*L, Path, P->get(), O.Force);
}

Expected<std::unique_ptr<Session>>
Session::fromTarget(Expected<std::unique_ptr<Target>> T, std::string CorePath) {
  if (!T)
    return T.takeError();
  std::unique_ptr<Session> S(new Session);
  S->T = std::move(*T);
  S->CorePath = std::move(CorePath);
  return S;
}

Expected<std::unique_ptr<Session>> Session::openCore(const std::string &Core,
                                                     const SessionOptions &O) {
  return fromTarget(Target::open(Core, O), Core);
}

Expected<std::unique_ptr<Session>>
Session::openCore(std::unique_ptr<CoreFile> Core, const SessionOptions &O) {
  std::string Path = Core->path();
  return fromTarget(Target::open(std::move(Core), O),
                    std::move(Path));
}

Expected<std::unique_ptr<Session>>
Session::openCore(std::unique_ptr<CoreFile> Core, std::unique_ptr<ExeFile> Exe,
                  const SessionOptions &O) {
  std::string Path = Core->path();
  return fromTarget(
      Target::fromFiles(std::move(Core), std::move(Exe), O),
      std::move(Path));
}

Expected<std::unique_ptr<Session>> Session::openLive(LiveProcess LP,
                                                     const std::string &Exe) {
  auto X = ExeFile::open(Exe);
  if (!X)
    return X.takeError();
  auto T = Target::fromLive(std::move(LP), std::move(*X));
  std::string Description = T ? (*T)->description() : std::string();
  return fromTarget(std::move(T), std::move(Description));
}

Expected<const Arch *> Session::archOf(const std::string &Exe) {
  auto X = ExeFile::open(Exe);
  if (!X)
    return X.takeError();
  return &(*X)->arch();
}

InfoReport Session::info() const {
  auto BI = readBuildInfo(T->exe());
  if (!BI) {
    llvm::consumeError(BI.takeError());
    return buildInfoReport(*T, nullptr);
  }
  return buildInfoReport(*T, &*BI);
}

Error Session::loadRuntime() {
  if (P)
    return Error::success();
  auto Prog = GoProgram::open(*T);
  // What a truncated core lacks may be what the runtime model needed: the
  // error then says so, in the same line.
  auto Cut = [&](Error E) -> Error {
    if (!T->hasCore() || !T->core().truncation())
      return E;
    const CoreTruncation &C = *T->core().truncation();
    std::string Msg = errorText(std::move(E));
    llvm::StringRef M(Msg);
    M.consume_front("'" + CorePath + "': ");
    return inputError(CorePath,
                      "{0} (the core is truncated: the file has {1} of its "
                      "{2} bytes)",
                      M, C.FileSize, C.NeededSize);
  };
  if (!Prog)
    return Cut(addContext(Prog.takeError(), "'" + T->exe().path() + "'"));
  Warnings W;
  auto Set = readGoroutines(**Prog, W);
  if (!Set)
    return Cut(addContext(Set.takeError(), "'" + CorePath + "'"));
  P = std::move(*Prog);
  GS = std::make_unique<GoroutineSet>(std::move(*Set));
  U = std::make_unique<Unwinder>(*P, *GS);
  RuntimeWarnings = W.all();
  return Error::success();
}

Expected<GoroutinesReport> Session::goroutines(bool WithStacks,
                                               const std::vector<int64_t> &Only) {
  if (auto E = loadRuntime())
    return E;
  for (int64_t Id : Only)
    if (!GS->byGoid(Id))
      return makeError("no goroutine {0} in '{1}'", Id, CorePath);
  GoroutinesReport R = makeGoroutinesReport(*P, *GS, *U, WithStacks, Only);
  for (const auto &W : RuntimeWarnings)
    R.Warnings.push_back(W);
  return R;
}

Expected<AnalysisReport> Session::analyze() {
  // DWARF is opened when the diagnosis first needs it (an argument the
  // other sources do not settle).
  if (auto E = loadRuntime())
    return E;
  AnalysisReport R = diagnose(*P, *GS, *U);
  for (const auto &W : RuntimeWarnings)
    R.Warnings.push_back(W);
  return R;
}

Expected<StackReport> Session::threadStack(int Tid, const RegisterSet &Regs) {
  if (auto E = loadRuntime())
    return E;
  const Arch &A = T->arch();
  if (!Regs.has(A.pcReg()) || !Regs.has(A.spReg()))
    return makeError("thread {0}: the registers lack {1} or {2}", Tid,
                     A.regName(A.pcReg()), A.regName(A.spReg()));
  ThreadInfo TI = identifyThread(*P, *GS, Tid, Regs);
  return makeStackReport(*P, U->unwindThread(TI));
}

} // namespace ms
