#include "report/Summary.h"
#include "report/Json.h"

#include <csignal>

#include "goruntime/BuildInfo.h"
#include "loader/Target.h"
#include "loader/Coredump.h"
#include "support/Error.h"

namespace ms {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {
// Text from the inputs on one line of a text report.
std::string oneLineText(std::string S) {
  for (char &Ch : S)
    if (Ch == '\n' || Ch == '\r')
      Ch = ' ';
  return S;
}
} // namespace

std::string signalName(int Sig) {
  static const std::map<int, const char *> Names = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
      {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
      {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
      {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
      {SIGSYS, "SIGSYS"},   {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}};
  auto It = Names.find(Sig);
  if (It != Names.end())
    return It->second;
  return Sig ? "signal " + std::to_string(Sig) : "none";
}

CoreSummary summarizeCore(const Target &T) {
  const Arch &A = T.arch();
  CoreSummary S;
  S.Path = T.description();
  S.Arch = A.goName().str();
  S.Pid = T.pid();
  const CoreSignal &Sig = T.signal();
  S.Signal = Sig.Signo;
  S.SignalName = signalName(S.Signal);
  S.SignalCode = Sig.Code;
  if (Sig.FromSiginfo) {
    if (Sig.Code > 0)
      S.FaultAddr = Sig.Addr;
    else
      S.SenderPid = Sig.SenderPid;
  }
  for (const auto &Th : T.threads()) {
    ThreadSummary TS;
    TS.Tid = Th.Tid;
    TS.PC = Th.Regs.get(A.pcReg()).value_or(0);
    TS.SP = Th.Regs.get(A.spReg()).value_or(0);
    TS.CurSig = Th.CurSig;
    TS.Crashed = Th.Crashed;
    if (Th.Crashed)
      S.CrashedTid = Th.Tid;
    S.Threads.push_back(TS);
  }
  for (const auto &F : T.mappedFiles())
    S.Mappings.push_back({F.Start, F.End, F.FileOffset, F.Path});
  if (T.hasCore()) {
    const CoreFile &C = T.core();
    S.PPid = C.ppid();
    S.Command = C.command();
    S.Args = llvm::StringRef(C.args()).rtrim().str();
    S.FileSize = C.fileSize();
    for (const auto &Seg : C.segments())
      S.SavedBytes += Seg.SavedSize;
    if (const auto &Cut = C.truncation())
      S.Truncated = TruncationSummary{Cut->FileSize,    Cut->NeededSize,
                                      Cut->MissingBytes, Cut->SegmentsCut,
                                      Cut->Segments,    Cut->message()};
    S.Coredump = C.coredumpXattrs();
    CoreExeIds Ids = exeIdsFromCore(C);
    S.ExeGnuBuildId = Ids.Gnu;
    S.ExeGoBuildId = Ids.Go;
  }
  return S;
}

ExeSummary summarizeExe(const Target &T, const BuildInfo *BI) {
  const ExeFile &X = T.exe();
  ExeSummary S;
  S.Path = X.path();
  S.Arch = X.arch().goName().str();
  if (BI) {
    // The version without " X:noswissmap" / "-X:mapsplitgroup": the
    // experiments are reported separately (build setting GOEXPERIMENT).
    S.GoVersion = BI->Version.Base;
    S.GoVersionFull = BI->Version.Raw;
    S.BuildSettings = BI->Settings;
    // CGO_ENABLED=1 is the default where a C compiler exists; cgo is in
    // use when the program is also dynamically linked against libc.
    S.Cgo = BI->setting("CGO_ENABLED").value_or("") == "1" &&
            X.interpreter().has_value();
  }
  S.GoBuildId = X.goBuildId();
  S.GnuBuildId = X.gnuBuildId();
  S.HasDwarf = X.hasDwarf();
  S.Stripped = !X.hasSymbols() && !X.hasDwarf();
  S.Pie = X.isPIE();
  S.Interpreter = X.interpreter();
  S.LoadBias = T.loadBias();
  S.FoundBy = T.exeSource();
  S.DebuginfodUrl = T.exeUrl();
  switch (T.match().Result) {
  case ExeMatch::Verdict::Match: S.Match = "match"; break;
  case ExeMatch::Verdict::Mismatch: S.Match = "mismatch"; break;
  case ExeMatch::Verdict::Unknown: S.Match = "unknown"; break;
  }
  S.MatchMethod = T.match().Method;
  S.MatchDetail = T.match().Detail;
  return S;
}

InfoReport buildInfoReport(const Target &T, const BuildInfo *BI) {
  InfoReport R;
  R.Core = summarizeCore(T);
  R.Exe = summarizeExe(T, BI);
  R.LibrariesLoaded = T.loadedLibraries();
  R.Warnings = T.warnings().all();
  return R;
}

Value toJSON(const CoredumpXattrs &X) {
  Object O;
  for (const auto &[K, V] : X.Values) {
    auto N = X.number(K);
    if (K == "rlimit" && N && *N == CoredumpXattrs::RlimInfinity)
      O[K] = "unlimited";
    else if (CoredumpXattrs::isNumeric(K) && N && *N <= uint64_t(INT64_MAX))
      O[K] = static_cast<int64_t>(*N);
    else
      O[K] = jsonText(V);
  }
  return O;
}

Value toJSON(const CoreSummary &C) {
  Array Threads;
  for (const auto &T : C.Threads)
    Threads.push_back(Object{{"tid", T.Tid},
                             {"pc", hex(T.PC)},
                             {"sp", hex(T.SP)},
                             {"signal", T.CurSig},
                             {"crashed", T.Crashed}});
  Array Maps;
  for (const auto &M : C.Mappings)
    Maps.push_back(Object{{"start", hex(M.Start)},
                          {"end", hex(M.End)},
                          {"offset", hex(M.FileOffset)},
                          {"path", jsonText(M.Path)}});
  Object O{{"path", jsonText(C.Path)},
           {"arch", C.Arch},
           {"pid", C.Pid},
           {"ppid", C.PPid},
           {"command", jsonText(C.Command)},
           {"args", jsonText(C.Args)},
           {"signal", C.Signal},
           {"signal_name", C.SignalName},
           {"signal_code", C.SignalCode},
           {"crashed_thread", C.CrashedTid},
           {"threads", static_cast<int64_t>(C.Threads.size())},
           {"thread_list", std::move(Threads)},
           {"mapped_files", std::move(Maps)},
           {"file_size", static_cast<int64_t>(C.FileSize)},
           {"saved_bytes", static_cast<int64_t>(C.SavedBytes)}};
  if (C.FaultAddr)
    O["fault_address"] = hex(*C.FaultAddr);
  if (C.SenderPid)
    O["sender_pid"] = *C.SenderPid;
  auto OrNull = [](const std::string &S) {
    return S.empty() ? Value(nullptr) : Value(jsonText(S));
  };
  O["truncated"] =
      C.Truncated
          ? Value(Object{{"file_size", static_cast<int64_t>(C.Truncated->FileSize)},
                         {"needed_size", static_cast<int64_t>(C.Truncated->NeededSize)},
                         {"missing_bytes", static_cast<int64_t>(C.Truncated->MissingBytes)},
                         {"segments_cut", C.Truncated->SegmentsCut},
                         {"segments", C.Truncated->Segments},
                         {"message", C.Truncated->Message}})
          : Value(nullptr);
  O["coredump"] = C.Coredump.empty() ? Value(nullptr) : toJSON(C.Coredump);
  O["exe_build_ids"] = Object{{"gnu", OrNull(C.ExeGnuBuildId)},
                              {"go", OrNull(C.ExeGoBuildId)}};
  return O;
}

Value toJSON(const ExeSummary &X) {
  Object Settings;
  for (const auto &[K, V] : X.BuildSettings)
    Settings[jsonText(K)] = jsonText(V);
  Object O{{"path", jsonText(X.Path)},
           {"arch", X.Arch},
           {"go_version", X.GoVersion.empty() ? Value(nullptr) : Value(jsonText(X.GoVersion))},
           {"go_version_full", X.GoVersionFull.empty() ? Value(nullptr) : Value(jsonText(X.GoVersionFull))},
           {"build_settings", std::move(Settings)},
           {"build_id", jsonText(X.GoBuildId)},
           {"gnu_build_id", X.GnuBuildId.empty() ? Value(nullptr) : Value(X.GnuBuildId)},
           {"stripped", X.Stripped},
           {"dwarf", X.HasDwarf},
           {"pie", X.Pie},
           {"cgo", X.Cgo},
           {"load_bias", hex(X.LoadBias)},
           {"found_by", X.FoundBy},
           {"debuginfod_url", X.DebuginfodUrl.empty() ? Value(nullptr) : Value(jsonText(X.DebuginfodUrl))},
           {"match", Object{{"verdict", X.Match},
                            {"method", X.MatchMethod},
                            {"detail", jsonText(X.MatchDetail)}}}};
  O["interpreter"] = X.Interpreter ? Value(jsonText(*X.Interpreter)) : Value(nullptr);
  return O;
}

Value toJSON(const InfoReport &R) {
  return Object{{"schema", "mapsleuth.info/1"},
                {"core", toJSON(R.Core)},
                {"executable", toJSON(R.Exe)},
                {"libraries_loaded", jsonTexts(R.LibrariesLoaded)},
                {"warnings", jsonTexts(R.Warnings)}};
}

void writeText(const InfoReport &R, llvm::raw_ostream &OS) {
  const auto &C = R.Core;
  const auto &X = R.Exe;
  OS << "core        " << C.Path << "\n";
  OS << "  arch      " << C.Arch << "\n";
  OS << "  process   pid " << C.Pid;
  if (!C.Command.empty())
    OS << " (" << C.Command << ")";
  if (!C.Args.empty())
    OS << "  args: " << C.Args;
  OS << "\n";
  OS << "  signal    " << C.SignalName << " (" << C.Signal << ")";
  if (C.FaultAddr)
    OS << " at " << hex(*C.FaultAddr);
  if (C.SenderPid)
    OS << " sent by pid " << *C.SenderPid;
  OS << " on thread " << C.CrashedTid << "\n";
  OS << "  threads   " << C.Threads.size() << "\n";
  for (const auto &T : C.Threads) {
    OS << llvm::formatv("    {0,-8} pc={1,-18} sp={2,-18}", T.Tid, hex(T.PC),
                        hex(T.SP));
    if (T.CurSig)
      OS << " sig=" << signalName(T.CurSig);
    if (T.Crashed)
      OS << "  <- took the signal";
    OS << "\n";
  }
  if (C.Truncated)
    OS << "  " << C.Truncated->Message << "\n";
  if (!C.Coredump.empty())
    OS << "  systemd-coredump  " << oneLineText(describe(C.Coredump)) << "\n";
  if (!C.ExeGnuBuildId.empty() || !C.ExeGoBuildId.empty()) {
    OS << "  exe ids   ";
    if (!C.ExeGnuBuildId.empty())
      OS << "GNU " << C.ExeGnuBuildId << (C.ExeGoBuildId.empty() ? "" : ", ");
    if (!C.ExeGoBuildId.empty())
      OS << "Go " << C.ExeGoBuildId;
    OS << "  (the notes in the core's copy of its first page)\n";
  }
  OS << "  mapped files (" << C.Mappings.size() << ")\n";
  for (const auto &M : C.Mappings)
    OS << llvm::formatv("    {0}-{1} off {2,-10} {3}\n", hex(M.Start),
                        hex(M.End), hex(M.FileOffset), M.Path);
  OS << "executable  " << X.Path << "\n";
  OS << "  found by  " << X.FoundBy;
  if (!X.DebuginfodUrl.empty())
    OS << " (" << X.DebuginfodUrl << ")";
  OS << "\n";
  OS << "  go        " << (X.GoVersion.empty() ? "(not a Go program)" : X.GoVersionFull)
     << "\n";
  for (const char *K : {"GOARCH", "GOOS", "-buildmode", "CGO_ENABLED",
                        "GOEXPERIMENT", "-ldflags"})
    if (auto It = X.BuildSettings.find(K); It != X.BuildSettings.end())
      OS << llvm::formatv("  {0,-12}{1}\n", It->first, It->second);
  OS << "  build id  " << (X.GoBuildId.empty() ? "(none)" : X.GoBuildId) << "\n";
  if (!X.GnuBuildId.empty())
    OS << "  gnu id    " << X.GnuBuildId << "\n";
  OS << "  stripped  " << (X.Stripped ? "yes" : "no")
     << (X.HasDwarf ? " (DWARF present)" : " (no DWARF)") << "\n";
  OS << "  pie       " << (X.Pie ? "yes, load bias " + hex(X.LoadBias) : "no")
     << "\n";
  if (X.Interpreter)
    OS << "  interp    " << *X.Interpreter << "\n";
  OS << "  matches   " << X.Match << " (" << X.MatchMethod << ": "
     << X.MatchDetail << ")\n";
  if (!R.LibrariesLoaded.empty()) {
    OS << "libraries read from disk\n";
    for (const auto &L : R.LibrariesLoaded)
      OS << "  " << L << "\n";
  }
  if (!R.Warnings.empty() &&
      !(R.Warnings.size() == 1 && C.Truncated &&
        R.Warnings.front() == C.Truncated->Message)) {
    OS << "warnings\n";
    for (const auto &W : R.Warnings)
      if (!C.Truncated || W != C.Truncated->Message) // shown above
        OS << "  " << W << "\n";
  }
}

} // namespace ms
