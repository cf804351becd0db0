// The text writer of the analyze report (the CLI's default output).
#pragma once

#include <llvm/Support/raw_ostream.h>

#include "report/Analysis.h"

namespace ms {

struct TextOptions {
  bool Colour = false; // ANSI escapes (the CLI passes isatty)
  // Every Swiss table, not a summary and the ones that matter, when a map
  // has more than MaxTablesListed.
  bool AllTables = false;
};
constexpr size_t MaxTablesListed = 16;

void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       const TextOptions &O);
inline void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                              bool Colour = false) {
  writeAnalysisText(R, OS, TextOptions{Colour, false});
}

// A value as text for a person: the first MaxBytes bytes (cut on a UTF-8
// boundary), then "… (N bytes)" when it is longer. JSON keeps it whole.
std::string shortValueText(llvm::StringRef S, size_t MaxBytes = 200);

} // namespace ms
