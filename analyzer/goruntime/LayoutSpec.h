// What the runtime layout tables hold: the runtime structs (by their DWARF
// names in any supported Go version) and the global variables whose
// presence is recorded. Shared by the generator (mapsleuth-layouts) and
// RuntimeLayouts.
#pragma once

#include <vector>

namespace ms {

// Every struct dumped into the tables, all spellings across versions
// (runtime._type in go1.19 is internal/abi.Type later, and so on).
const std::vector<const char *> &layoutSpecStructs();
// Global variables whose presence (not address) the tables record.
const std::vector<const char *> &layoutSpecGlobals();

} // namespace ms
