// The diagnosis of a crash log (loader/CrashLog.h): the same report model
// as for a core, filled from what the runtime printed, with the executable
// (when there is one) to name the map's type and to read the call sites the
// printed frames point to. What a log cannot give (the map's contents, a
// string key's bytes, where a register value came from) stays unknown and
// the report says why.
#pragma once

#include <string>

#include "loader/CrashLog.h"
#include "report/Analysis.h"

namespace ms {

class GoProgram;

// P: the executable's runtime model over its own file (Target::
// fromExecutable at its link addresses), or null when there is none.
// An error when the log's frames do not belong to that executable.
Expected<AnalysisReport> diagnoseCrashLog(const CrashLog &L,
                                          const std::string &Path,
                                          GoProgram *P, bool Force = false);

} // namespace ms
