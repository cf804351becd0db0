// Where a recovered value came from and how sure we are of it: the
// vocabulary of provenance shared by the recovery code and the report.
#pragma once

#include <llvm/ADT/StringRef.h>

namespace ms {

// In order of trust (see mapfault/Recover.h for what each one means).
enum class Source {
  Register,
  DwarfLocation,
  SpillSlot,
  CallsiteDataflow,
  CallerVariable,
  StackScan, // another header in the goroutine's live stack with the same data
  DataExtent, // a string's length taken from the text at its data pointer
  HeapScan,
  Code,    // read from the program's code (an immediate, a static string)
  Memory,  // read from a structure already recovered (e.g. g._panic)
  CrashLog, // printed in the runtime's crash output (a log, not a core)
  None,    // no source: the value is a placeholder (a map never found)
};
// The report's name: "register", "dwarf_location", "spill_slot", ...
llvm::StringRef sourceName(Source S);

enum class Confidence { Low = 0, High = 1, Exact = 2 };
// "low", "high", "exact".
llvm::StringRef confidenceName(Confidence C);

} // namespace ms
