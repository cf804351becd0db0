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
  bool Log = false;               // a crash log (text), not a core
  // Its position among all the inputs (before --shard picks some): results
  // carry it so that `mapsleuth summarize` restores the order of one run.
  size_t Index = 0;
  std::optional<std::string> Exe; // fixed by --exe or a list file line
  std::string ExeRule;            // "--exe" or "list" when Exe is set
  std::string Error; // non-empty: cannot be analyzed (unreadable, not a core)
};

struct Inputs {
  std::vector<Item> Items;
  size_t Skipped = 0;    // files met in directories that are not cores
  size_t Duplicates = 0; // cores reached twice (listed once)
};

// `--shard K/N`: this run takes the inputs whose shard is K (1-based) of N.
struct Shard {
  unsigned K = 1, N = 1;
  bool on() const { return N > 1; }
  std::string str() const;
};
// "K/N" with 1 <= K <= N <= 100000.
std::optional<Shard> parseShard(llvm::StringRef S);
// The shard (1..N) of a file: FNV-1a 64 of its canonical path (symbolic
// links resolved; the path as given when that fails), modulo N, plus 1.
// Every file met counts in exactly one shard: cores, unreadable inputs,
// skipped files and duplicates (a duplicate resolves to the same path).
unsigned shardOf(const std::string &Path, unsigned N);

// PATHS as given on the command line: cores, directories (searched
// recursively, entries in byte order of their names, symbolic links to
// directories not followed), list files (@FILE, @- for stdin, or a text
// file of paths named directly). EXE: --exe, for every core. SHARD: keep
// only the inputs of that shard (Item::Index still counts all of them).
Inputs enumerate(const std::vector<std::string> &Paths,
                 const std::optional<std::string> &Exe,
                 Shard Sh = Shard(), bool Logs = true);

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
// The executable for a crash log: --exe or the list's, else an EXE file or
// exe[.xz|.zst|.lz4] in the log's directory or its parents (a log names no
// command and holds no build id). None: the log is analyzed alone.
std::optional<ExeChoice> pairLogExecutable(const Item &I);


} // namespace ms::batch
