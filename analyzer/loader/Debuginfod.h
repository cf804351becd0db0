// Executables by build id from debuginfod servers, through elfutils'
// libdebuginfod. The library is loaded at run time (dlopen of
// libdebuginfod.so.1), so that the mapsleuth executable keeps linking its
// other C libraries statically and runs where libdebuginfod is not
// installed: only this fallback is then unavailable. The library itself
// reads DEBUGINFOD_URLS (the servers), DEBUGINFOD_CACHE_PATH (where the
// files land) and DEBUGINFOD_TIMEOUT.
#pragma once

#include <string>

#include <llvm/ADT/StringRef.h>

#include "support/Error.h"

namespace ms {

struct DebuginfodOptions {
  // Progress of large downloads on stderr (a live line on a terminal,
  // otherwise a line when it starts and one when it ends).
  bool Progress = false;
};

struct DebuginfodFile {
  std::string Path; // in the debuginfod cache
  std::string Url;  // where it came from; empty when it was in the cache
  uint64_t Size = 0;
};

// The executable whose GNU build id is HEXBUILDID (lowercase hex). The
// error is one line saying why not: no server configured, the library
// missing, or the servers' answer (callers name the build id).
Expected<DebuginfodFile> debuginfodExecutable(llvm::StringRef HexBuildId,
                                              const DebuginfodOptions &O = {});

} // namespace ms
