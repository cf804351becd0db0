// `mapsleuth batch` inputs: which files are cores (by content, through
// zstd/xz/lz4), in which order, and which executable goes with each core.
// The rules are documented in USAGE.md ("mapsleuth batch"); keep the two
// in step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>

#include "loader/CoreFile.h"
#include "loader/Coredump.h"
#include "support/Error.h"

namespace ms::batch {

// One core to analyze, in output order.
struct Item {
  std::string Core;               // the path as enumerated
  std::optional<std::string> Exe; // fixed by --exe or a list file line
  std::string ExeRule;            // "--exe" or "list" when Exe is set
  std::string Error; // non-empty: cannot be analyzed (unreadable, not a core)
};

struct Inputs {
  std::vector<Item> Items;
  size_t Skipped = 0;    // files met in directories that are not cores
  size_t Duplicates = 0; // cores reached twice (listed once)
};

// PATHS as given on the command line: cores, directories (searched
// recursively, entries in byte order of their names, symbolic links to
// directories not followed), list files (@FILE, @- for stdin, or a text
// file of paths named directly). EXE: --exe, for every core.
Inputs enumerate(const std::vector<std::string> &Paths,
                 const std::optional<std::string> &Exe);

struct ExeChoice {
  std::string Path;
  // "--exe", "list", "EXE file", "comm", "exe", "user.coredump.exe",
  // "NT_FILE", "debuginfod"
  std::string Rule;
  std::string Url; // debuginfod: the server it came from
};

// The executable for ITEM, whose core is CORE (already opened: its
// NT_PRPSINFO command name, NT_FILE note, systemd-coredump attributes and
// build id take part in the rules).
Expected<ExeChoice> pairExecutable(const Item &I, const CoreFile &Core);


} // namespace ms::batch
