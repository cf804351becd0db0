// The text writer of the analyze report (the CLI's default output).
#pragma once

#include <llvm/Support/raw_ostream.h>

#include "report/Analysis.h"

namespace ms {

// Colour: ANSI escapes when Colour is true (the CLI passes isatty).
void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       bool Colour = false);

} // namespace ms
