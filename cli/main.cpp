// mapsleuth command line: a thin front end over the public API
// (api/Session.h) and the report writers. The only place where errors
// become exit codes:
//   0 ok (analyze: a map fault was diagnosed), 1 bad input,
//   2 usage error, 3 analyze: the core holds no map fault.
#include <algorithm>
#include <string>
#include <vector>

#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "api/Session.h"
#include "report/AnalysisText.h"
#include "report/Json.h"
#include "cli/Batch.h"
#include "cli/Summarize.h"
#include "cli/Version.h"
#include "loader/InputFile.h"
#include "loader/Sniff.h"

using namespace ms;

namespace {

int fail(llvm::Error E) {
  llvm::outs().flush();
  llvm::errs() << "mapsleuth: error: " << errorText(std::move(E)) << "\n";
  return 1;
}

struct CommonOpts {
  std::string Core;
  std::string Exe;
  std::string Format = "text";
  bool Force = false;
  std::string MaxInflate;
  bool AllTables = false; // analyze
};

void addCommon(CLI::App *Sub, CommonOpts &O) {
  Sub->add_option("core", O.Core, "core file (may be .zst or .xz compressed)")
      ->required();
  Sub->add_option("--exe,-e", O.Exe,
                  "the executable that crashed (default: the core's "
                  "user.coredump.exe or NT_FILE path, else debuginfod by "
                  "build id)");
  Sub->add_option("--format,-f", O.Format, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  Sub->add_flag("--force", O.Force,
                "analyze even when the executable does not match the core");
  addMaxInflate(Sub, O.MaxInflate);
}

// A text file holding the Go runtime's fatal output rather than a core.
bool isLogInput(const std::string &Path) {
  auto Sn = sniffFile(Path);
  if (!Sn) {
    llvm::consumeError(Sn.takeError());
    return false;
  }
  return Sn->What == FileSniff::Kind::NotElf &&
         Sn->Comp == Compression::None && isCrashLog(Path);
}

llvm::Expected<std::unique_ptr<Session>> open(const CommonOpts &O) {
  // Only analyze (and batch) read crash logs: they hold no memory.
  if (isLogInput(O.Core))
    return inputError(O.Core, "a crash log, not a core: only 'mapsleuth "
                              "analyze' and 'batch' read crash logs");
  SessionOptions SO;
  if (!O.Exe.empty())
    SO.ExePath = O.Exe;
  SO.Force = O.Force;
  SO.DebuginfodProgress = true;
  return Session::openCore(O.Core, SO);
}

void printJSON(llvm::json::Value V) {
  llvm::outs() << llvm::formatv("{0:2}", V) << "\n";
}

int runInfo(const CommonOpts &O) {
  auto S = open(O);
  if (!S)
    return fail(S.takeError());
  InfoReport R = (*S)->info();
  if (O.Format == "json")
    printJSON(toJSON(R));
  else
    writeText(R, llvm::outs());
  return 0;
}

struct StackOpts {
  std::vector<int64_t> Goids;
  bool All = false;
};

int runGoroutines(const CommonOpts &O, bool Stacks, const StackOpts &SO) {
  auto S = open(O);
  if (!S)
    return fail(S.takeError());
  std::vector<int64_t> Only = SO.Goids;
  if (Stacks && !SO.All && Only.empty()) {
    // Default: the goroutine on the thread that took the signal.
    auto All = (*S)->goroutines(false);
    if (!All)
      return fail(All.takeError());
    if (All->Faulting)
      Only.push_back(*All->Faulting);
  }
  auto R = (*S)->goroutines(Stacks, Only);
  if (!R)
    return fail(R.takeError());
  if (O.Format == "json") {
    writeJSON(*R, llvm::outs(), 2);
    llvm::outs() << "\n";
  } else if (Stacks)
    writeStacksText(*R, llvm::outs());
  else
    writeGoroutinesText(*R, llvm::outs());
  return 0;
}

int runAnalyze(const CommonOpts &O) {
  auto R = [&]() -> llvm::Expected<AnalysisReport> {
    if (isLogInput(O.Core)) {
      CrashLogOptions LO;
      if (!O.Exe.empty())
        LO.Exe = O.Exe;
      LO.Force = O.Force;
      return analyzeCrashLog(O.Core, LO);
    }
    auto S = open(O);
    if (!S)
      return S.takeError();
    return (*S)->analyze();
  }();
  if (!R)
    return fail(R.takeError());
  if (O.Format == "json")
    printJSON(toJSON(*R));
  else
    writeAnalysisText(*R, llvm::outs(),
                      TextOptions{static_cast<bool>(isatty(STDOUT_FILENO)),
                                  O.AllTables});
  return R->MapFault ? 0 : 3;
}

} // namespace

int main(int argc, char **argv) {
  // One analysis allocates and frees in waves (a goroutine's stack, a
  // table's control words, a report): keep freed memory in the heap for
  // the next wave instead of returning it to the kernel and faulting
  // fresh pages in again (each fault costs ~10 us on a VM). Peak memory
  // is unchanged; the heap only stays at its peak until exit.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App App{"mapsleuth: explain a Go program's map crash from its core file"};
  App.require_subcommand(1);
  App.set_version_flag("--version", versionText());

  CommonOpts InfoO;
  auto *Info = App.add_subcommand("info", "what the core and executable are");
  addCommon(Info, InfoO);

  CommonOpts AnO;
  auto *An = App.add_subcommand(
      "analyze", "explain the map fault (the default: mapsleuth CORE)");
  addCommon(An, AnO);
  An->add_flag("--all-tables", AnO.AllTables,
               "text: list every Swiss table of a big map (default: a "
               "summary and the tables that matter)");

  CommonOpts GorO;
  auto *Gor = App.add_subcommand("goroutines",
                                 "one line per goroutine, and the threads");
  addCommon(Gor, GorO);

  CommonOpts StkO;
  StackOpts SO;
  auto *Stk = App.add_subcommand(
      "stack", "stacks of goroutines (default: the faulting goroutine)");
  addCommon(Stk, StkO);
  auto *GOpt = Stk->add_option("-g,--goroutine", SO.Goids, "goroutine id(s)");
  Stk->add_flag("--all,-a", SO.All, "every goroutine and idle thread")
      ->excludes(GOpt);

  BatchOptions BO;
  auto *Bat = addBatchCommand(App, BO);
  SummarizeOptions SumO;
  auto *Sum = addSummarizeCommand(App, SumO);

  // `mapsleuth CORE ...` is short for `mapsleuth analyze CORE ...`.
  std::vector<std::string> Args(argv + 1, argv + argc);
  static const char *const Subs[] = {"info", "analyze", "goroutines", "stack",
                                     "batch", "summarize"};
  if (!Args.empty() && !Args[0].empty() && Args[0][0] != '-' &&
      std::find(std::begin(Subs), std::end(Subs), Args[0]) == std::end(Subs))
    Args.insert(Args.begin(), "analyze");
  std::reverse(Args.begin(), Args.end()); // CLI11 takes them reversed

  try {
    App.parse(Args);
  } catch (const CLI::ParseError &E) {
    int RC = App.exit(E);
    return RC == 0 ? 0 : 2;
  }
  // The inflation limit, before anything is opened.
  for (const std::string *S : {&InfoO.MaxInflate, &AnO.MaxInflate,
                               &GorO.MaxInflate, &StkO.MaxInflate,
                               &BO.MaxInflate}) {
    if (S->empty())
      continue;
    auto N = parseByteSize(*S);
    if (!N || *N == 0) {
      llvm::errs() << "mapsleuth: error: --max-inflate '" << *S
                   << "': expected a size such as 64G, 512M or 4096\n";
      return 2;
    }
    InflateLimits L = inflateLimits();
    L.MaxBytes = *N;
    setInflateLimits(std::move(L));
  }
  if (*Info)
    return runInfo(InfoO);
  if (*An)
    return runAnalyze(AnO);
  if (*Gor)
    return runGoroutines(GorO, false, {});
  if (*Stk)
    return runGoroutines(StkO, true, SO);
  if (*Bat)
    return runBatch(BO);
  if (*Sum)
    return runSummarize(SumO);
  return 2;
}
