// mapsleuth command line. The only place where errors become exit codes:
//   0 ok (analyze: a map fault was diagnosed), 1 bad input,
//   2 usage error, 3 analyze: the core holds no map fault.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "goruntime/BuildInfo.h"
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

} // namespace

int main(int argc, char **argv) {
  CLI::App App{"mapsleuth: explain a Go program's map crash from its core file"};
  App.require_subcommand(1);
  App.set_version_flag("--version", "mapsleuth 0.1.0");

  CommonOpts InfoO;
  auto *Info = App.add_subcommand("info", "what the core and executable are");
  addCommon(Info, InfoO);

  // `mapsleuth CORE` is short for `mapsleuth analyze CORE`.
  std::vector<std::string> Args(argv + 1, argv + argc);
  (void)Args;

  try {
    App.parse(argc, argv);
  } catch (const CLI::ParseError &E) {
    int RC = App.exit(E);
    return RC == 0 ? 0 : 2;
  }
  if (*Info)
    return runInfo(InfoO);
  return 2;
}
