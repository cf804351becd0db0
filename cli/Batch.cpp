#include "cli/Batch.h"

#include <llvm/Support/raw_ostream.h>

namespace ms {

CLI::App *addBatchCommand(CLI::App &App, BatchOptions &O) {
  auto *B = App.add_subcommand("batch", "analyze many cores (not yet available)");
  B->add_option("paths", O.Paths, "cores, directories or list files")->required();
  return B;
}

int runBatch(const BatchOptions &) {
  llvm::errs() << "mapsleuth: error: batch is not implemented yet\n";
  return 2;
}

} // namespace ms
