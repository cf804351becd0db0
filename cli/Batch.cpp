#include "cli/Batch.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <functional>
#include <list>
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
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include "api/Session.h"
#include "cli/BatchInputs.h"
#include "cli/BatchSummary.h"
#include "cli/TriageDb.h"
#include "loader/ExeFile.h"
#include "loader/InputFile.h"
#include "report/AnalysisText.h"
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

// The columns of a result that come from its analysis (CSV's, and what the
// text line shows): what the triage database stores besides the report.
using Fields = std::map<std::string, std::string>;

struct Record {
  size_t Index = 0; // among all the inputs (batch::Item::Index)
  std::string Shard; // "K/N" with --shard
  std::string Core, Exe, ExeRule;
  bool Log = false;   // a crash log, not a core
  std::string Status; // "map_fault", "no_map_fault", "error"
  std::string Error;  // one line, when Status is "error"
  std::string Output; // this core's output, formatted, newline-terminated
  std::optional<CrashSignature> Sig;
  std::optional<int64_t> Seen; // crash time, seconds since the epoch
  std::string SeenSource; // "coredump name", "user.coredump.timestamp", "mtime"
  Fields Columns;         // when analyzed
  // --db: the content key, whether the database already had the result,
  // and what to record when it did not.
  std::string Content;
  bool Known = false;
  std::string ReportJSON;
  std::string KnownIssue; // --known: the note of the signature's id
  bool failed() const { return Status == "error"; }
  batch::Outcome outcome() const { return {Core, Status, Sig, Seen}; }
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

// Where the result came from, and what `mapsleuth summarize` needs to
// rebuild the summary from results alone.
Object inputJSON(const Record &R, bool Db) {
  Object O{{"core", R.Core},
           {"kind", R.Log ? "log" : "core"},
           {"exe", batch::orNull(R.Exe)},
           {"exe_rule", batch::orNull(R.ExeRule)},
           {"index", int64_t(R.Index)},
           {"status", R.Status},
           {"crash_time", batch::orNull(batch::isoTime(R.Seen))},
           {"crash_time_source", batch::orNull(R.SeenSource)}};
  if (!R.Shard.empty())
    O["shard"] = R.Shard;
  if (Db && !R.Content.empty())
    O["db"] = R.Known ? "known" : "new";
  return O;
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
    "error",         "known_issue"};

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

// The analysis' columns.
Fields columnsOf(const AnalysisReport &A, const CrashSignature &Sig) {
  Fields F;
  F["kind"] = faultKindName(A.Fault.Kind).str();
  F["message"] = A.Fault.Message;
  F["goroutine"] = optStr(A.Fault.Goroutine);
  F["thread"] = optStr(A.Fault.Thread);
  F["operation"] = A.Fault.Operation ? mapOpName(*A.Fault.Operation).str() : "";
  if (A.Map) {
    F["map_type"] = A.Map->Type;
    F["map_address"] = hex(A.Map->Address);
    F["map_confidence"] = confidenceName(A.Map->Provenance.Conf).str();
  }
  if (A.Key) {
    F["key"] = A.Key->GoSyntax;
    F["key_confidence"] = confidenceName(A.Key->Provenance.Conf).str();
    if (A.Key->Provenance.Stale)
      F["key_stale"] = "true";
  }
  F["user_frame"] = frameText(A.Fault.UserFrame);
  if (Sig.RacerGoroutine) {
    F["racer_goroutine"] = std::to_string(*Sig.RacerGoroutine);
    for (const RacerReport &X : A.Racers)
      if (X.Goroutine == *Sig.RacerGoroutine)
        F["racer_user_frame"] = frameText(X.UserFrame);
  }
  F["racers"] = std::to_string(A.Racers.size());
  F["go_version"] = A.Exe.GoVersion;
  F["signature"] = Sig.id();
  return F;
}

std::string fieldsJSON(const Fields &F) {
  Object O;
  for (const auto &[K, V] : F)
    O[K] = jsonText(V);
  return llvm::formatv("{0}", Value(std::move(O))).str();
}

std::optional<Fields> fieldsFromJSON(llvm::StringRef Text) {
  auto V = llvm::json::parse(Text);
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  const Object *O = V->getAsObject();
  if (!O)
    return std::nullopt;
  Fields F;
  for (const auto &KV : *O) {
    auto S = KV.second.getAsString();
    if (!S)
      return std::nullopt;
    F[KV.first.str()] = S->str();
  }
  return F;
}

std::string csvOf(const Record &R) {
  Fields F = R.Columns;
  F["core"] = R.Core;
  F["exe"] = R.Exe;
  F["exe_rule"] = R.ExeRule;
  F["status"] = R.Status;
  F["error"] = R.Error;
  F["known_issue"] = R.KnownIssue;
  std::vector<std::string> Row;
  for (const char *C : CsvColumns)
    Row.push_back(oneLine(F[C]));
  return csvRow(Row);
}

// ---- text -----------------------------------------------------------------

std::string textOf(const Record &R) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  if (R.failed() || !R.Sig) {
    OS << "FAIL   " << R.Core << ": " << R.Error << "\n";
    return OS.str();
  }
  const Fields &F = R.Columns;
  if (R.Status != "map_fault") {
    OS << "NOMAP  " << R.Core << ": not a map fault";
    auto M = F.find("message");
    if (M != F.end() && !M->second.empty())
      OS << " (" << oneLine(M->second) << ")";
    OS << "\n";
    return OS.str();
  }
  const CrashSignature &G = *R.Sig;
  OS << "ok     " << R.Core << ": " << G.Kind << " on "
     << (G.MapType.empty() ? "map of unknown type" : G.MapType) << " at "
     << G.UserFrame.str();
  if (!G.RacerUserFrame.empty())
    OS << ", racing " << G.RacerUserFrame.str();
  auto K = F.find("key_confidence");
  if (K != F.end() && !K->second.empty()) {
    auto St = F.find("key_stale");
    if (St != F.end() && St->second == "true")
      OS << ", key not recovered (stale slot: "
         << oneLine(shortValueText(F.at("key"))) << ")";
    else
      OS << ", key " << oneLine(shortValueText(F.at("key")));
  }
  OS << "  [" << G.id() << "]";
  if (!R.KnownIssue.empty())
    OS << "  known: " << oneLine(R.KnownIssue);
  OS << "\n";
  return OS.str();
}

// ---- analysis of one core (runs on a worker thread) ------------------------

// Executables shared by the cores of a run: each is inflated (an .xz or
// .zst file) and read once, not once per core. A few at a time: a run over
// many programs keeps the most recently used.
class ExeCache {
public:
  Expected<std::unique_ptr<ExeFile>> open(const std::string &Path) {
    std::shared_ptr<const InputFile> In;
    {
      std::lock_guard<std::mutex> L(Lock);
      for (auto It = Entries.begin(); It != Entries.end(); ++It)
        if (It->first == Path) {
          In = It->second;
          Entries.splice(Entries.begin(), Entries, It); // most recent first
          break;
        }
    }
    if (!In) {
      // Inflated outside the lock; two workers may both inflate a new one.
      auto Opened = InputFile::open(Path);
      if (!Opened)
        return Opened.takeError();
      In = std::shared_ptr<const InputFile>(std::move(*Opened));
      std::lock_guard<std::mutex> L(Lock);
      Entries.emplace_front(Path, In);
      if (Entries.size() > MaxEntries)
        Entries.pop_back();
    }
    // The ExeFile reads the shared bytes, and keeps them alive.
    return ExeFile::fromInput(InputFile::share(std::move(In)));
  }

private:
  static constexpr size_t MaxEntries = 8;
  std::mutex Lock;
  std::list<std::pair<std::string, std::shared_ptr<const InputFile>>> Entries;
};

// --db and --known, shared by the workers.
struct Triage {
  batch::TriageDb *Db = nullptr;
  std::mutex *DbLock = nullptr;
  const std::map<std::string, std::string> *KnownIssues = nullptr;
};

// The database's result for R's content, when it has one made by this
// signature version: R is filled from it and the report's JSON returned.
std::optional<Value> fromDatabase(Record &R, const Triage &T) {
  auto K = batch::contentKey(R.Core);
  if (!K) {
    llvm::consumeError(K.takeError()); // analyzing it says what is wrong
    return std::nullopt;
  }
  R.Content = *K;
  Expected<std::optional<batch::StoredResult>> F = std::nullopt;
  {
    std::lock_guard<std::mutex> L(*T.DbLock);
    F = T.Db->find(R.Content);
  }
  if (!F) {
    llvm::consumeError(F.takeError()); // analyzed again; recording says why
    return std::nullopt;
  }
  if (!*F || (*F)->SignatureVersion != SignatureVersion)
    return std::nullopt;
  // Anything unreadable in the stored result: analyze the core again.
  auto Report = llvm::json::parse((*F)->Report);
  auto SigV = llvm::json::parse((*F)->Signature);
  auto Columns = fieldsFromJSON((*F)->Fields);
  if (!Report || !SigV || !Columns || !Report->getAsObject()) {
    if (!Report)
      llvm::consumeError(Report.takeError());
    if (!SigV)
      llvm::consumeError(SigV.takeError());
    return std::nullopt;
  }
  auto Sig = signatureFromJSON(*SigV);
  if (!Sig) {
    llvm::consumeError(Sig.takeError());
    return std::nullopt;
  }
  R.Status = (*F)->Status;
  R.Sig = std::move(*Sig);
  R.Columns = std::move(*Columns);
  R.Known = true;
  if (const Object *X = Report->getAsObject()->getObject("executable")) {
    R.Exe = X->getString("path").getValueOr("").str();
    R.ExeRule = X->getString("found_by").getValueOr("").str();
  }
  return std::move(*Report);
}

// Everything this does is local to the call: its own CoreFile, executable,
// libdw and Capstone handles, inside one Session that is closed on return.
Record analyzeOne(const batch::Item &I, const BatchOptions &O, Format F,
                  const std::string &Shard, const Triage &T, ExeCache &Exes) {
  Record R;
  R.Index = I.Index;
  R.Shard = Shard;
  R.Core = I.Core;
  R.Log = I.Log;
  crashTime(R);
  std::optional<Value> Report;
  auto Fail = [&](std::string Msg) {
    R.Status = "error";
    R.Error = oneLine(std::move(Msg));
  };
  auto Analyzed = [&](const AnalysisReport &A) {
    R.Status = A.MapFault ? "map_fault" : "no_map_fault";
    R.Sig = signatureOf(A);
    R.Columns = columnsOf(A, *R.Sig);
    if (F == Format::Jsonl || T.Db)
      Report = toJSON(A);
    if (T.Db)
      R.ReportJSON = llvm::formatv("{0}", *Report).str();
  };
  if (!I.Error.empty()) {
    Fail(I.Error);
  } else if (T.Db && (Report = fromDatabase(R, T))) {
    // Known: nothing to analyze.
  } else if (I.Log) {
    CrashLogOptions LO;
    if (auto X = batch::pairLogExecutable(I)) {
      R.Exe = X->Path;
      R.ExeRule = X->Rule;
      LO.Exe = X->Path;
      LO.ExeSource = X->Rule;
    }
    LO.Force = O.Force;
    if (auto An = analyzeCrashLog(I.Core, LO); !An)
      Fail(errorText(An.takeError()));
    else
      Analyzed(*An);
  } else if (auto C = CoreFile::open(I.Core); !C) {
    Fail(errorText(C.takeError()));
  } else if (auto X = batch::pairExecutable(I, **C); !X) {
    Fail(errorText(X.takeError()));
  } else {
    R.Exe = X->Path;
    R.ExeRule = X->Rule;
    SessionOptions SO;
    SO.ExePath = X->Path;
    SO.ExeSource = X->Rule;
    SO.ExeUrl = X->Url;
    SO.Force = O.Force;
    auto Exe = Exes.open(X->Path);
    auto S = Exe ? Session::openCore(std::move(*C), std::move(*Exe), SO)
                 : Expected<std::unique_ptr<Session>>(Exe.takeError());
    if (!S) {
      Fail(errorText(S.takeError()));
    } else if (auto An = (*S)->analyze(); !An) {
      Fail(errorText(An.takeError()));
    } else {
      Analyzed(*An);
    }
  }
  if (R.Sig && T.KnownIssues) {
    auto It = T.KnownIssues->find(R.Sig->id());
    if (It != T.KnownIssues->end())
      R.KnownIssue = It->second;
  }
  switch (F) {
  case Format::Jsonl: {
    Value V = Report ? std::move(*Report)
                     : Value(Object{{"error", R.Error}, {"exit", 1}});
    V.getAsObject()->insert({"input", inputJSON(R, T.Db != nullptr)});
    if (R.Sig) {
      Value S = ms::toJSON(*R.Sig);
      if (!R.KnownIssue.empty())
        S.getAsObject()->insert({"known_issue", jsonText(R.KnownIssue)});
      V.getAsObject()->insert({"signature", std::move(S)});
    }
    R.Output = llvm::formatv("{0}", V).str() + "\n";
    break;
  }
  case Format::Csv:
    R.Output = csvOf(R);
    break;
  case Format::Text:
    R.Output = textOf(R);
    break;
  }
  return R;
}

// ---- the triage database ----------------------------------------------------

struct DbTally {
  size_t New = 0, Known = 0;
  std::string Error; // the first write that failed: nothing after it is written
};

Error writeResult(const Record &R, batch::TriageDb &Db) {
  if (R.Known)
    return Db.touch(R.Content, R.Core);
  batch::NewResult N;
  N.Content = R.Content;
  N.Path = R.Core;
  N.Status = R.Status;
  N.Error = R.Error;
  N.CrashTime = R.Seen;
  if (R.Sig && !R.failed()) {
    N.SignatureId = R.Sig->id();
    N.Result.Status = R.Status;
    N.Result.Report = R.ReportJSON;
    N.Result.Signature = llvm::formatv("{0}", ms::toJSON(*R.Sig)).str();
    N.Result.Fields = fieldsJSON(R.Columns);
    N.Result.SignatureVersion = SignatureVersion;
  }
  return Db.record(N);
}

// In output order, on the main thread: each result in its own transaction.
void recordInDatabase(const Record &R, batch::TriageDb &Db, std::mutex &Lock,
                      DbTally &T) {
  // Without a content key (the file could not be read) there is nothing
  // to find it by next time.
  if (R.Content.empty() || !T.Error.empty())
    return;
  std::lock_guard<std::mutex> L(Lock);
  if (Error E = writeResult(R, Db)) {
    T.Error = errorText(std::move(E));
    return;
  }
  ++(R.Known ? T.Known : T.New);
}

// The groups' notes: their history in the database, the known issue that
// names them, and whether they are new (neither).
void annotateGroups(batch::Summary &Sum, batch::TriageDb *Db,
                    const std::map<std::string, std::string> *Known,
                    DbTally &Tally) {
  for (const std::string &Id : Sum.signatureIds()) {
    batch::GroupNotes G;
    if (Known) {
      auto It = Known->find(Id);
      if (It != Known->end())
        G.KnownIssue = It->second;
    }
    bool SeenBefore = false;
    if (Db) {
      auto H = Db->history(Id);
      if (!H) {
        if (Tally.Error.empty())
          Tally.Error = errorText(H.takeError());
        else
          llvm::consumeError(H.takeError());
        continue;
      }
      G.History = batch::GroupHistory{H->Cores, H->First, H->Last};
      SeenBefore = H->SeenBefore;
    }
    G.New = !G.KnownIssue && !SeenBefore;
    Sum.Notes[Id] = std::move(G);
  }
  Sum.KnownIssuesGiven = Known != nullptr;
  if (Db)
    Sum.Db = batch::DatabaseNotes{Db->path(), Db->run(), Tally.New, Tally.Known};
}

// ---- --known FILE ----------------------------------------------------------

// Lines "ID NOTE" (ID: a signature's 12 hex digits; NOTE: a ticket URL or
// any text); blank lines and lines starting with # are ignored.
Expected<std::map<std::string, std::string>> readKnownIssues(const std::string &Path) {
  auto B = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!B)
    return inputError(Path, "cannot read: {0}", B.getError().message());
  if ((*B)->getBufferSize() > (64u << 20))
    return inputError(Path, "larger than 64 MiB: not a known-issues file");
  std::map<std::string, std::string> M;
  llvm::StringRef Text = (*B)->getBuffer();
  for (size_t LineNo = 1; !Text.empty(); ++LineNo) {
    auto [Line, Rest] = Text.split('\n');
    Text = Rest;
    Line = Line.trim();
    if (Line.empty() || Line.startswith("#"))
      continue;
    auto [Id, Note] = Line.split(' ');
    if (Id.contains('\t'))
      std::tie(Id, Note) = Line.split('\t');
    Note = Note.trim();
    if (Id.size() != 12 || Id.find_first_not_of("0123456789abcdef") != llvm::StringRef::npos)
      return inputError(Path + ":" + std::to_string(LineNo),
                        "'{0}' is not a signature id (12 lowercase hex digits)",
                        Id);
    if (Note.empty())
      return inputError(Path + ":" + std::to_string(LineNo),
                        "signature {0} without a note (a ticket URL or text)", Id);
    M[Id.str()] = Note.str();
  }
  return M;
}

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

int failWith(Error E) {
  llvm::errs() << "mapsleuth: error: " << errorText(std::move(E)) << "\n";
  return 1;
}

// Analyze(I) for every I below N on Jobs threads; the results handed to
// Emit in input order. Workers claim inputs at most Window ahead of the
// next one to emit: results wait to be emitted in order, and this bounds
// how many are held (memory stays bounded whatever one slow input does).
// Tick(completed, failed, emitted) after every wait (200 ms at most).
void runInOrder(size_t N, unsigned Jobs,
                const std::function<Record(size_t)> &Analyze,
                const std::function<void(std::vector<Record> &)> &Emit,
                const std::function<void(size_t, size_t, bool)> &Tick) {
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
        CV.wait(L, [&] {
          return NextClaim >= N || NextClaim < NextPrint + Window;
        });
        if (NextClaim >= N)
          return;
        I = NextClaim++;
      }
      Record R = Analyze(I);
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
      Emit(Ready);
    }
    Tick(Comp, Failed, !Ready.empty());
  }
  for (auto &Th : Threads)
    Th.join();
}

// --summary: to its file, else after the records.
int writeSummary(const BatchOptions &O, Format F, const batch::Summary &Sum,
                 llvm::raw_ostream &Out) {
  if (!O.SummaryFile.empty()) {
    if (auto E = Sum.writeFile(O.SummaryFile, F == Format::Text))
      return failWith(std::move(E));
  } else if (F == Format::Text) {
    Sum.writeText(Out);
  } else {
    Out << llvm::formatv("{0}", Sum.toJSON()) << "\n";
  }
  Out.flush();
  return 0;
}

} // namespace

void addMaxInflate(CLI::App *Sub, std::string &Size) {
  Sub->add_option("--max-inflate", Size,
                  "stop inflating a compressed core or executable past SIZE "
                  "(e.g. 64G; default 256G; the disk's free space is always "
                  "kept)");
}

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
  B->add_option("--shard", O.Shard,
                 "K/N: analyze only shard K of N of the inputs (by a hash "
                 "of each file's path; merge with `mapsleuth summarize`)");
  B->add_option("--db", O.Db,
                 "triage database (SQLite, created when missing): analyze "
                 "only cores it does not hold, keep every group's history");
  B->add_option("--known", O.Known,
                "known issues: lines \"SIGNATURE-ID NOTE\" (a ticket URL or "
                "text), shown with their cores and groups");
  B->add_flag("--no-logs", O.NoLogs,
              "take cores only: crash logs (text holding the Go runtime's "
              "fatal output) count as skipped files");
  B->add_flag("--force", O.Force,
              "analyze even when an executable does not match its core");
  addMaxInflate(B, O.MaxInflate);
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

  batch::Shard Sh;
  if (!O.Shard.empty()) {
    auto P = batch::parseShard(O.Shard);
    if (!P)
      return usage("batch: --shard '" + O.Shard +
                   "': expected K/N with 1 <= K <= N <= 100000");
    Sh = *P;
  }
  const std::string ShardName = Sh.on() ? Sh.str() : "";

  std::optional<std::map<std::string, std::string>> KnownIssues;
  if (!O.Known.empty()) {
    auto K = readKnownIssues(O.Known);
    if (!K)
      return failWith(K.takeError());
    KnownIssues = std::move(*K);
  }
  std::unique_ptr<batch::TriageDb> Db;
  if (!O.Db.empty()) {
    auto D = batch::TriageDb::open(O.Db);
    if (!D)
      return failWith(D.takeError());
    Db = std::move(*D);
  }
  std::mutex DbLock;
  Triage T{Db.get(), &DbLock, KnownIssues ? &*KnownIssues : nullptr};
  ExeCache Exes;

  std::optional<std::string> Exe;
  if (!O.Exe.empty())
    Exe = O.Exe;
  batch::Inputs In = batch::enumerate(O.Paths, Exe, Sh, !O.NoLogs);
  const size_t N = In.Items.size();
  unsigned Jobs = O.Jobs ? O.Jobs : defaultJobs();
  Jobs = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(Jobs, N)));

  bool ErrTTY = isatty(STDERR_FILENO);
  Progress Bar(O.Progress == "always" || (O.Progress == "auto" && ErrTTY), N);
  bool SharedTerminal = Bar.on() && isatty(STDOUT_FILENO);

  llvm::raw_ostream &Out = llvm::outs();
  if (F == Format::Csv) {
    Out << csvHeader();
    Out.flush();
  }
  DbTally Tally;
  batch::Summary Sum;
  Sum.Skipped = In.Skipped;
  Sum.Duplicates = In.Duplicates;
  Sum.Shard = ShardName;
  runInOrder(
      N, Jobs,
      [&](size_t I) {
        return analyzeOne(In.Items[I], O, F, ShardName, T, Exes);
      },
      [&](std::vector<Record> &Ready) {
        if (SharedTerminal)
          Bar.clear();
        for (const Record &R : Ready) {
          Out << R.Output;
          Sum.add(R.outcome());
          if (Db)
            recordInDatabase(R, *Db, DbLock, Tally);
        }
        Out.flush();
      },
      [&](size_t Comp, size_t Failed, bool Emitted) {
        Bar.update(Comp, Failed, Emitted && SharedTerminal);
      });
  if (Db || KnownIssues)
    annotateGroups(Sum, Db.get(), KnownIssues ? &*KnownIssues : nullptr, Tally);
  if (!Tally.Error.empty()) {
    llvm::errs() << "mapsleuth: error: '" << O.Db << "': " << Tally.Error
                 << " (results after it were not recorded)\n";
  }
  Bar.update(N, Sum.failed(), /*Force=*/true);
  Bar.clear();

  if (WantSummary)
    if (int Exit = writeSummary(O, F, Sum, Out))
      return Exit;
  if (Bar.on() || N == 0) {
    llvm::errs() << "mapsleuth: batch: " << N << " cores, "
                 << N - Sum.failed() << " analyzed, " << Sum.failed()
                 << " failed, " << In.Skipped << " other files skipped\n";
  }
  return Sum.failed() || !Tally.Error.empty() ? 1 : 0;
}

} // namespace ms
