// mapsleuth command line. The only place where errors become exit codes:
//   0 ok (analyze: a map fault was diagnosed), 1 bad input,
//   2 usage error, 3 analyze: the core holds no map fault.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "goruntime/BuildInfo.h"
#include "goruntime/GoProgram.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Unwinder.h"
#include "mapfault/Diagnose.h"
#include "report/Analysis.h"
#include "report/Stacks.h"
#include <unistd.h>
#include "loader/Target.h"
#include "report/Summary.h"
#include "support/Error.h"

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
};

void addCommon(CLI::App *Sub, CommonOpts &O) {
  Sub->add_option("core", O.Core, "core file (may be .zst or .xz compressed)")
      ->required();
  Sub->add_option("--exe,-e", O.Exe,
                  "the executable that crashed (default: the path the core's "
                  "NT_FILE note names)");
  Sub->add_option("--format,-f", O.Format, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  Sub->add_flag("--force", O.Force,
                "analyze even when the executable does not match the core");
}

llvm::Expected<std::unique_ptr<Target>> openTarget(const CommonOpts &O) {
  TargetOptions TO;
  if (!O.Exe.empty())
    TO.ExePath = O.Exe;
  TO.Force = O.Force;
  return Target::open(O.Core, TO);
}

void printJSON(llvm::json::Value V) {
  llvm::outs() << llvm::formatv("{0:2}", V) << "\n";
}

int runInfo(const CommonOpts &O) {
  auto T = openTarget(O);
  if (!T)
    return fail(T.takeError());
  // info reports what the executable is even when it is not a Go program
  // or a version we do not support.
  auto BI = readBuildInfo((*T)->exe());
  std::optional<BuildInfo> Info;
  if (BI)
    Info = std::move(*BI);
  else
    llvm::consumeError(BI.takeError());
  InfoReport R = buildInfoReport(**T, Info ? &*Info : nullptr);
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

// Loads the Go runtime model shared by goroutines/stack/analyze.
struct Loaded {
  std::unique_ptr<Target> T;
  std::unique_ptr<GoProgram> P;
  GoroutineSet GS;
  Warnings W;
};

llvm::Expected<std::unique_ptr<Loaded>> load(const CommonOpts &O) {
  auto L = std::make_unique<Loaded>();
  auto T = openTarget(O);
  if (!T)
    return T.takeError();
  L->T = std::move(*T);
  auto P = GoProgram::open(*L->T);
  if (!P)
    return addContext(P.takeError(), "'" + L->T->exe().path() + "'");
  L->P = std::move(*P);
  auto GS = readGoroutines(*L->P, L->W);
  if (!GS)
    return addContext(GS.takeError(), "'" + O.Core + "'");
  L->GS = std::move(*GS);
  return L;
}

int runGoroutines(const CommonOpts &O, bool Stacks, const StackOpts &SO) {
  auto L = load(O);
  if (!L)
    return fail(L.takeError());
  Unwinder U(*(*L)->P, (*L)->GS);
  std::vector<int64_t> Only = SO.Goids;
  if (Stacks && !SO.All && Only.empty()) {
    if (const GoroutineInfo *F = (*L)->GS.faulting())
      Only.push_back(F->Goid);
  }
  GoroutinesReport R =
      makeGoroutinesReport(*(*L)->P, (*L)->GS, U, Stacks, Only);
  for (const auto &W : (*L)->W.all())
    R.Warnings.push_back(W);
  if (!SO.Goids.empty())
    for (int64_t Id : SO.Goids)
      if (!(*L)->GS.byGoid(Id))
        return fail(makeError("no goroutine {0} in '{1}'", Id, O.Core));
  if (O.Format == "json") {
    writeJSON(R, llvm::outs(), 2);
    llvm::outs() << "\n";
  } else if (Stacks)
    writeStacksText(R, llvm::outs());
  else
    writeGoroutinesText(R, llvm::outs());
  return 0;
}

int runAnalyze(const CommonOpts &O) {
  auto L = load(O);
  if (!L)
    return fail(L.takeError());
  Unwinder U(*(*L)->P, (*L)->GS);
  AnalysisReport R = diagnose(*(*L)->P, (*L)->GS, U);
  for (const auto &W : (*L)->W.all())
    R.Warnings.push_back(W);
  if (O.Format == "json")
    printJSON(toJSON(R));
  else
    writeAnalysisText(R, llvm::outs(), isatty(STDOUT_FILENO));
  return R.MapFault ? 0 : 3;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App App{"mapsleuth: explain a Go program's map crash from its core file"};
  App.require_subcommand(1);
  App.set_version_flag("--version", "mapsleuth 0.1.0");

  CommonOpts InfoO;
  auto *Info = App.add_subcommand("info", "what the core and executable are");
  addCommon(Info, InfoO);

  CommonOpts AnO;
  auto *An = App.add_subcommand(
      "analyze", "explain the map fault (the default: mapsleuth CORE)");
  addCommon(An, AnO);

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

  // `mapsleuth CORE ...` is short for `mapsleuth analyze CORE ...`.
  std::vector<std::string> Args(argv + 1, argv + argc);
  static const char *const Subs[] = {"info", "analyze", "goroutines", "stack"};
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
  if (*Info)
    return runInfo(InfoO);
  if (*An)
    return runAnalyze(AnO);
  if (*Gor)
    return runGoroutines(GorO, false, {});
  if (*Stk)
    return runGoroutines(StkO, true, SO);
  return 2;
}
