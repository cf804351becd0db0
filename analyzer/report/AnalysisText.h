// The text writer of the analyze report (the CLI's default output).
#pragma once

#include <llvm/Support/raw_ostream.h>

#include "report/Analysis.h"

namespace ms {

// Colour: ANSI escapes when Colour is true (the CLI passes isatty).
void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       bool Colour = false);

// A value as text for a person: the first MaxBytes bytes (cut on a UTF-8
// boundary), then "… (N bytes)" when it is longer. JSON keeps it whole.
std::string shortValueText(llvm::StringRef S, size_t MaxBytes = 200);

} // namespace ms
