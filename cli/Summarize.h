// `mapsleuth summarize RESULTS.jsonl...`: the summary of batch results
// read back from their JSONL output, typically the shards of one run
// (`mapsleuth batch --shard K/N`): the same mapsleuth.batch-summary object
// one run over all the inputs prints (see USAGE.md).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ms {

struct SummarizeOptions {
  std::vector<std::string> Files; // "-": stdin
  std::string Format = "json";    // json, text
  std::string SummaryFile;
};

CLI::App *addSummarizeCommand(CLI::App &App, SummarizeOptions &O);
// Exit status: 0 summarized, 1 an input could not be read or is not batch
// output (a one-line error naming the file and line).
int runSummarize(const SummarizeOptions &O);

} // namespace ms
