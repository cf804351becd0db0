// The DWARF of a loaded executable (dwarf/ knows ELF bytes, not ExeFile).
#pragma once

#include <memory>

#include "dwarf/DwarfInfo.h"
#include "support/Error.h"

namespace ms {

class ExeFile;

// Opens the DWARF of X. The result is null (not an error) when the file
// has no DWARF (.debug_info absent, e.g. built with -ldflags=-w); an error
// means the DWARF is there but unusable. X must outlive the result.
Expected<std::unique_ptr<DwarfInfo>> openDwarf(const ExeFile &X);

} // namespace ms
