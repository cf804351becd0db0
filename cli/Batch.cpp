#include "cli/Batch.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "api/Session.h"
#include "cli/BatchInputs.h"
#include "report/Json.h"
#include "report/Signature.h"

namespace ms {

namespace {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;
using Clock = std::chrono::steady_clock;

enum class Format { Jsonl, Csv, Text };

// ---- one core's outcome ----------------------------------------------------

struct Record {
  std::string Core, Exe, ExeRule;
  std::string Status; // "map_fault", "no_map_fault", "error"
  std::string Error;  // one line, when Status is "error"
  std::string Output; // this core's output, formatted, newline-terminated
  std::optional<CrashSignature> Sig;
  std::optional<int64_t> Seen; // crash time, seconds since the epoch
  std::string SeenSource; // "coredump name", "user.coredump.timestamp", "mtime"
  bool failed() const { return Status == "error"; }
};

// When the core was written: the timestamp in a systemd-coredump name or
// its user.coredump.timestamp attribute, else the file's modification time.
void crashTime(Record &R) {
  std::string Name = std::filesystem::path(R.Core).filename().string();
  if (auto CD = parseCoredumpName(Name)) {
    R.Seen = CD->TimestampUs / 1000000;
    R.SeenSource = "coredump name";
    return;
  }
  if (auto Us = readCoredumpXattrs(R.Core).number("timestamp")) {
    R.Seen = static_cast<int64_t>(*Us / 1000000);
    R.SeenSource = "user.coredump.timestamp";
    return;
  }
  struct stat St;
  if (::stat(R.Core.c_str(), &St) == 0) {
    R.Seen = static_cast<int64_t>(St.st_mtime);
    R.SeenSource = "mtime";
  }
}

std::string isoTime(std::optional<int64_t> T) {
  if (!T)
    return "";
  time_t TT = static_cast<time_t>(*T);
  struct tm TM;
  if (!gmtime_r(&TT, &TM))
    return "";
  char Buf[32];
  strftime(Buf, sizeof Buf, "%Y-%m-%dT%H:%M:%SZ", &TM);
  return Buf;
}

Value orNull(const std::string &S) {
  return S.empty() ? Value(nullptr) : Value(S);
}

Object inputJSON(const Record &R) {
  return Object{{"core", R.Core},
                {"exe", orNull(R.Exe)},
                {"exe_rule", orNull(R.ExeRule)}};
}

std::string oneLine(std::string S) {
  std::replace(S.begin(), S.end(), '\n', ' ');
  return S;
}

// ---- CSV ------------------------------------------------------------------

const char *const CsvColumns[] = {
    "core",          "exe",           "exe_rule",       "status",
    "kind",          "message",       "goroutine",      "thread",
    "operation",     "map_type",      "map_address",    "map_confidence",
    "key",           "key_confidence", "user_frame",    "racer_goroutine",
    "racer_user_frame", "racers",     "go_version",     "signature",
    "error"};

std::string csvField(const std::string &S) {
  if (S.find_first_of(",\"\r\n") == std::string::npos)
    return S;
  std::string R = "\"";
  for (char C : S) {
    if (C == '"')
      R += '"';
    R += C;
  }
  return R + "\"";
}

std::string csvRow(const std::vector<std::string> &Fields) {
  std::string R;
  for (size_t I = 0; I < Fields.size(); ++I) {
    if (I)
      R += ',';
    R += csvField(Fields[I]);
  }
  return R + "\n";
}

std::string csvHeader() {
  return csvRow(std::vector<std::string>(std::begin(CsvColumns),
                                         std::end(CsvColumns)));
}

template <typename T> std::string optStr(const std::optional<T> &V) {
  return V ? std::to_string(*V) : std::string();
}

std::string frameText(const FrameRef &F) {
  if (F.empty())
    return "";
  return F.Function + " (" + F.File + ":" + std::to_string(F.Line) + ")";
}

std::string csvOf(const Record &R, const AnalysisReport *A) {
  std::map<std::string, std::string> F{{"core", R.Core},
                                       {"exe", R.Exe},
                                       {"exe_rule", R.ExeRule},
                                       {"status", R.Status},
                                       {"error", R.Error}};
  if (A) {
    F["kind"] = faultKindName(A->Fault.Kind).str();
    F["message"] = A->Fault.Message;
    F["goroutine"] = optStr(A->Fault.Goroutine);
    F["thread"] = optStr(A->Fault.Thread);
    F["operation"] =
        A->Fault.Operation ? mapOpName(*A->Fault.Operation).str() : "";
    if (A->Map) {
      F["map_type"] = A->Map->Type;
      F["map_address"] = hex(A->Map->Address);
      F["map_confidence"] = confidenceName(A->Map->Provenance.Conf).str();
    }
    if (A->Key) {
      F["key"] = A->Key->GoSyntax;
      F["key_confidence"] = confidenceName(A->Key->Provenance.Conf).str();
    }
    F["user_frame"] = frameText(A->Fault.UserFrame);
    if (R.Sig && R.Sig->RacerGoroutine) {
      F["racer_goroutine"] = std::to_string(*R.Sig->RacerGoroutine);
      for (const RacerReport &X : A->Racers)
        if (X.Goroutine == *R.Sig->RacerGoroutine)
          F["racer_user_frame"] = frameText(X.UserFrame);
    }
    F["racers"] = std::to_string(A->Racers.size());
    F["go_version"] = A->Exe.GoVersion;
    if (R.Sig)
      F["signature"] = R.Sig->id();
  }
  std::vector<std::string> Row;
  for (const char *C : CsvColumns)
    Row.push_back(oneLine(F[C]));
  return csvRow(Row);
}

// ---- text -----------------------------------------------------------------

std::string textOf(const Record &R, const AnalysisReport *A) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  if (!A) {
    OS << "FAIL   " << R.Core << ": " << R.Error << "\n";
    return OS.str();
  }
  if (!A->MapFault) {
    OS << "NOMAP  " << R.Core << ": not a map fault";
    if (!A->Fault.Message.empty())
      OS << " (" << oneLine(A->Fault.Message) << ")";
    OS << "\n";
    return OS.str();
  }
  const CrashSignature &G = *R.Sig;
  OS << "ok     " << R.Core << ": " << G.Kind << " on "
     << (G.MapType.empty() ? "map of unknown type" : G.MapType) << " at "
     << G.UserFrame.str();
  if (!G.RacerUserFrame.empty())
    OS << ", racing " << G.RacerUserFrame.str();
  if (A->Key)
    OS << ", key " << oneLine(A->Key->GoSyntax);
  OS << "  [" << G.id() << "]\n";
  return OS.str();
}

// ---- analysis of one core (runs on a worker thread) ------------------------

// Everything this does is local to the call: its own CoreFile, executable,
// libdw and Capstone handles, inside one Session that is closed on return.
Record analyzeOne(const batch::Item &I, const BatchOptions &O, Format F) {
  Record R;
  R.Core = I.Core;
  crashTime(R);
  const AnalysisReport *A = nullptr;
  std::optional<AnalysisReport> Report;
  auto Fail = [&](std::string Msg) {
    R.Status = "error";
    R.Error = oneLine(std::move(Msg));
  };
  if (!I.Error.empty()) {
    Fail(I.Error);
  } else if (auto C = CoreFile::open(I.Core); !C) {
    Fail(errorText(C.takeError()));
  } else if (auto X = batch::pairExecutable(I, **C); !X) {
    Fail(errorText(X.takeError()));
  } else {
    R.Exe = X->Path;
    R.ExeRule = X->Rule;
    SessionOptions SO;
    SO.Exe = X->Path;
    SO.ExeSource = X->Rule;
    SO.ExeUrl = X->Url;
    SO.Force = O.Force;
    auto S = Session::openCore(std::move(*C), SO);
    if (!S) {
      Fail(errorText(S.takeError()));
    } else if (auto An = (*S)->analyze(); !An) {
      Fail(errorText(An.takeError()));
    } else {
      Report = std::move(*An);
      A = &*Report;
      R.Status = A->MapFault ? "map_fault" : "no_map_fault";
      R.Sig = signatureOf(*A);
    }
  }
  switch (F) {
  case Format::Jsonl: {
    Value V = A ? toJSON(*A) : Value(Object{{"error", R.Error}, {"exit", 1}});
    V.getAsObject()->insert({"input", inputJSON(R)});
    if (R.Sig)
      V.getAsObject()->insert({"signature", ms::toJSON(*R.Sig)});
    R.Output = llvm::formatv("{0}", V).str() + "\n";
    break;
  }
  case Format::Csv:
    R.Output = csvOf(R, A);
    break;
  case Format::Text:
    R.Output = textOf(R, A);
    break;
  }
  return R;
}

// ---- summary ----------------------------------------------------------------

struct Group {
  CrashSignature Sig;
  size_t Count = 0;
  // The racers' user frames seen in the group's cores ("-": none caught).
  std::map<std::string, size_t> Racers;
  std::optional<int64_t> First, Last;
  std::string Example;
  std::vector<std::string> Cores;
};

struct Summary {
  size_t Cores = 0, MapFaults = 0, NoMapFault = 0, Failed = 0;
  size_t Skipped = 0, Duplicates = 0;
  std::map<std::string, Group> Groups; // by signature key
  std::vector<std::string> FailedCores;

  void add(const Record &R) {
    ++Cores;
    if (R.failed()) {
      ++Failed;
      FailedCores.push_back(R.Core);
      return;
    }
    ++(R.Status == "map_fault" ? MapFaults : NoMapFault);
    Group &G = Groups[R.Sig->key()];
    if (G.Count++ == 0) {
      G.Sig = *R.Sig;
      G.Example = R.Core;
    }
    G.Cores.push_back(R.Core);
    ++G.Racers[R.Sig->RacerUserFrame.str()];
    if (R.Seen) {
      G.First = G.First ? std::min(*G.First, *R.Seen) : *R.Seen;
      G.Last = G.Last ? std::max(*G.Last, *R.Seen) : *R.Seen;
    }
  }

  // Largest groups first; then the earliest seen; then by id.
  std::vector<const Group *> ordered() const {
    std::vector<const Group *> V;
    for (const auto &KV : Groups)
      V.push_back(&KV.second);
    std::stable_sort(V.begin(), V.end(), [](const Group *A, const Group *B) {
      if (A->Count != B->Count)
        return A->Count > B->Count;
      if (A->First != B->First)
        return A->First.value_or(INT64_MAX) < B->First.value_or(INT64_MAX);
      return A->Sig.id() < B->Sig.id();
    });
    return V;
  }

  Value toJSON() const {
    Array Gs;
    for (const Group *G : ordered()) {
      Array Cs;
      for (const auto &C : G->Cores)
        Cs.push_back(C);
      Array Rs;
      for (const auto &[Frame, N] : G->Racers)
        Rs.push_back(Object{{"racer_user_frame", Frame == "-" ? Value(nullptr)
                                                              : Value(jsonText(Frame))},
                            {"count", int64_t(N)}});
      Gs.push_back(Object{{"id", G->Sig.id()},
                          {"signature", ms::toJSON(G->Sig)},
                          {"racers", std::move(Rs)},
                          {"count", int64_t(G->Count)},
                          {"first_seen", orNull(isoTime(G->First))},
                          {"last_seen", orNull(isoTime(G->Last))},
                          {"example", G->Example},
                          {"cores", std::move(Cs)}});
    }
    Array F;
    for (const auto &C : FailedCores)
      F.push_back(C);
    return Object{{"schema", "mapsleuth.batch-summary/1"},
                  {"signature_version", SignatureVersion},
                  {"cores", int64_t(Cores)},
                  {"analyzed", int64_t(MapFaults + NoMapFault)},
                  {"map_faults", int64_t(MapFaults)},
                  {"no_map_fault", int64_t(NoMapFault)},
                  {"failed", int64_t(Failed)},
                  {"failed_cores", std::move(F)},
                  {"skipped_files", int64_t(Skipped)},
                  {"duplicates", int64_t(Duplicates)},
                  {"groups", std::move(Gs)}};
  }

  void writeText(llvm::raw_ostream &OS) const {
    OS << "\n"
       << Cores << " cores: " << MapFaults + NoMapFault << " analyzed ("
       << MapFaults << " map faults, " << NoMapFault << " other), " << Failed
       << " failed; " << Skipped << " other files skipped";
    if (Duplicates)
      OS << ", " << Duplicates << " duplicates";
    OS << "\n";
    if (Groups.empty())
      return;
    OS << Groups.size() << " signatures:\n";
    OS << llvm::formatv("{0,-12}  {1,5}  {2,-20}  {3,-20}  {4}\n", "signature",
                        "cores", "first seen", "last seen",
                        "kind | map type | in-app frames (innermost first)");
    for (const Group *G : ordered()) {
      OS << llvm::formatv("{0,-12}  {1,5}  {2,-20}  {3,-20}  {4}\n",
                          G->Sig.id(), G->Count, isoTime(G->First),
                          isoTime(G->Last), G->Sig.key());
      OS << llvm::formatv("{0,-12}  {1,5}  e.g. {2}\n", "", "", G->Example);
    }
  }
};

// ---- progress on stderr ------------------------------------------------------

class Progress {
public:
  Progress(bool On, size_t Total) : On(On), Total(Total), Start(Clock::now()) {}
  bool on() const { return On; }

  void update(size_t Done, size_t Failed, bool Force = false) {
    if (!On)
      return;
    auto Now = Clock::now();
    if (!Force && Now - Last < std::chrono::milliseconds(100))
      return;
    Last = Now;
    double Secs = std::chrono::duration<double>(Now - Start).count();
    double Rate = Secs > 0 ? Done / Secs : 0;
    constexpr size_t Width = 30;
    size_t Fill = Total ? Done * Width / Total : Width;
    std::string Bar(Fill, '#');
    Bar.resize(Width, '-');
    char Eta[32] = "";
    if (Rate > 0 && Done < Total) {
      auto S = static_cast<long>((Total - Done) / Rate);
      snprintf(Eta, sizeof Eta, "  ETA %ld:%02ld", S / 60, S % 60);
    }
    llvm::errs() << "\r\x1b[K[" << Bar << "] " << Done << "/" << Total
                 << " cores";
    if (Failed)
      llvm::errs() << "  " << Failed << " failed";
    llvm::errs() << llvm::formatv("  {0:f1} cores/s", Rate) << Eta;
    llvm::errs().flush();
    Shown = true;
  }
  // Before writing to a stdout that shares the terminal.
  void clear() {
    if (On && Shown) {
      llvm::errs() << "\r\x1b[K";
      llvm::errs().flush();
      Shown = false;
    }
  }

private:
  bool On;
  size_t Total;
  Clock::time_point Start, Last{};
  bool Shown = false;
};

unsigned defaultJobs() {
  cpu_set_t Set;
  if (sched_getaffinity(0, sizeof Set, &Set) == 0 && CPU_COUNT(&Set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&Set));
  unsigned N = std::thread::hardware_concurrency();
  return N ? N : 1;
}

int usage(const std::string &Msg) {
  llvm::errs() << "mapsleuth: error: " << Msg << "\n";
  return 2;
}

} // namespace

CLI::App *addBatchCommand(CLI::App &App, BatchOptions &O) {
  auto *B = App.add_subcommand(
      "batch", "analyze many cores: one result per core, and a summary");
  B->add_option("paths", O.Paths,
                "cores, directories (searched recursively) or list files "
                "(@FILE, @- for stdin)")
      ->required();
  B->add_option("--exe,-e", O.Exe,
                "the executable of every core (default: found per core, see "
                "USAGE.md)");
  B->add_option("--format,-f", O.Format, "output format")
      ->check(CLI::IsMember({"jsonl", "csv", "text"}));
  B->add_option("--jobs,-j", O.Jobs,
                "cores analyzed at once (default: number of CPUs)")
      ->check(CLI::Range(1u, 1024u));
  B->add_flag("--summary,-s", O.Summary,
              "group cores by crash signature (after the results)");
  B->add_option("--summary-file", O.SummaryFile,
                "write the summary to this file instead (implies --summary)");
  B->add_flag("--force", O.Force,
              "analyze even when an executable does not match its core");
  B->add_option("--progress", O.Progress,
                "progress bar on stderr (auto: when stderr is a terminal)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  return B;
}

int runBatch(const BatchOptions &O) {
  Format F = O.Format == "csv"    ? Format::Csv
             : O.Format == "text" ? Format::Text
                                  : Format::Jsonl;
  bool WantSummary = O.Summary || !O.SummaryFile.empty();
  if (WantSummary && F == Format::Csv && O.SummaryFile.empty())
    return usage("batch: --summary with --format csv needs --summary-file");

  std::optional<std::string> Exe;
  if (!O.Exe.empty())
    Exe = O.Exe;
  batch::Inputs In = batch::enumerate(O.Paths, Exe);
  const size_t N = In.Items.size();
  unsigned Jobs = O.Jobs ? O.Jobs : defaultJobs();
  Jobs = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(Jobs, N)));

  bool ErrTTY = isatty(STDERR_FILENO);
  Progress Bar(O.Progress == "always" || (O.Progress == "auto" && ErrTTY), N);
  bool SharedTerminal = Bar.on() && isatty(STDOUT_FILENO);

  // Workers claim cores in input order, at most Window ahead of the next
  // one to print: results wait to be printed in order, and this bounds
  // how many are held (memory stays bounded whatever one slow core does).
  const size_t Window = std::max<size_t>(8, size_t(Jobs) * 4);
  std::mutex M;
  std::condition_variable CV;
  size_t NextClaim = 0, NextPrint = 0, Completed = 0, FailedSoFar = 0;
  std::vector<std::optional<Record>> Done(N);

  auto Worker = [&] {
    for (;;) {
      size_t I;
      {
        std::unique_lock<std::mutex> L(M);
        CV.wait(L, [&] { return NextClaim >= N || NextClaim < NextPrint + Window; });
        if (NextClaim >= N)
          return;
        I = NextClaim++;
      }
      Record R = analyzeOne(In.Items[I], O, F);
      {
        std::lock_guard<std::mutex> L(M);
        if (R.failed())
          ++FailedSoFar;
        Done[I] = std::move(R);
        ++Completed;
      }
      CV.notify_all();
    }
  };
  std::vector<std::thread> Threads;
  for (unsigned J = 0; J < Jobs && N; ++J)
    Threads.emplace_back(Worker);

  llvm::raw_ostream &Out = llvm::outs();
  if (F == Format::Csv) {
    Out << csvHeader();
    Out.flush();
  }
  Summary Sum;
  Sum.Skipped = In.Skipped;
  Sum.Duplicates = In.Duplicates;
  while (true) {
    std::vector<Record> Ready;
    size_t Comp, Failed;
    {
      std::unique_lock<std::mutex> L(M);
      if (NextPrint >= N)
        break;
      CV.wait_for(L, std::chrono::milliseconds(200),
                  [&] { return Done[NextPrint].has_value(); });
      while (NextPrint < N && Done[NextPrint]) {
        Ready.push_back(std::move(*Done[NextPrint]));
        Done[NextPrint].reset();
        ++NextPrint;
      }
      Comp = Completed;
      Failed = FailedSoFar;
    }
    if (!Ready.empty()) {
      CV.notify_all(); // the window moved
      if (SharedTerminal)
        Bar.clear();
      for (const Record &R : Ready) {
        Out << R.Output;
        Sum.add(R);
      }
      Out.flush();
    }
    Bar.update(Comp, Failed, !Ready.empty() && SharedTerminal);
  }
  for (auto &T : Threads)
    T.join();
  Bar.update(N, Sum.Failed, /*Force=*/true);
  Bar.clear();

  if (WantSummary) {
    if (!O.SummaryFile.empty()) {
      std::error_code EC;
      llvm::raw_fd_ostream SF(O.SummaryFile, EC, llvm::sys::fs::OF_Text);
      if (EC) {
        llvm::errs() << "mapsleuth: error: '" << O.SummaryFile
                     << "': cannot write: " << EC.message() << "\n";
        return 1;
      }
      if (F == Format::Text)
        Sum.writeText(SF);
      else
        SF << llvm::formatv("{0:2}", Sum.toJSON()) << "\n";
    } else if (F == Format::Text) {
      Sum.writeText(Out);
    } else {
      Out << llvm::formatv("{0}", Sum.toJSON()) << "\n";
    }
    Out.flush();
  }
  if (Bar.on() || N == 0) {
    llvm::errs() << "mapsleuth: batch: " << N << " cores, "
                 << N - Sum.Failed << " analyzed, " << Sum.Failed
                 << " failed, " << In.Skipped << " other files skipped\n";
  }
  return Sum.Failed ? 1 : 0;
}

} // namespace ms
