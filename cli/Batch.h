// `mapsleuth batch`: many cores at once (see USAGE.md).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ms {

struct BatchOptions {
  std::vector<std::string> Paths;
  std::string Exe;
  std::string Format = "jsonl";
  unsigned Jobs = 0;
  bool Summary = false;
  bool Force = false;
};

CLI::App *addBatchCommand(CLI::App &App, BatchOptions &O);
int runBatch(const BatchOptions &O);

} // namespace ms
