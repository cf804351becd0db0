// `mapsleuth batch`: many cores at once, in parallel, one result per core
// in a stable order, and a de-duplicating summary (see USAGE.md).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ms {

struct BatchOptions {
  std::vector<std::string> Paths;
  std::string Exe;
  std::string Format = "jsonl";
  unsigned Jobs = 0; // 0: the CPUs this process may run on
  bool Summary = false;
  std::string SummaryFile;
  bool Force = false;
  bool NoLogs = false; // --no-logs: crash logs are skipped
  std::string Shard; // "K/N"
  std::string Db;    // --db FILE
  std::string Known; // --known FILE
  std::string MaxInflate; // --max-inflate SIZE (applied by main)
  std::string Progress = "auto"; // auto (stderr is a terminal), always, never
};

CLI::App *addBatchCommand(CLI::App &App, BatchOptions &O);
void addMaxInflate(CLI::App *Sub, std::string &Size);
// Exit status: 0 every core analyzed, 1 some could not be, 2 usage error.
int runBatch(const BatchOptions &O);

} // namespace ms
