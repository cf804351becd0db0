// The summary of batch results: cores grouped by crash signature, largest
// group first. `mapsleuth batch --summary` builds it from its results as
// they come; `mapsleuth summarize` from the JSONL results of one or more
// runs (the shards of one), in the order one run would have had.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "report/Signature.h"

namespace ms::batch {

// What the summary needs of one core's result.
struct Outcome {
  std::string Core;
  std::string Status; // "map_fault", "no_map_fault", "error"
  std::optional<CrashSignature> Sig; // when analyzed
  std::optional<int64_t> Seen;       // crash time, seconds since the epoch
  bool failed() const { return Status == "error"; }
};

// "2026-12-06T02:04:56Z"; "" for none.
std::string isoTime(std::optional<int64_t> T);
// S as JSON text (invalid UTF-8 repaired), null when empty.
llvm::json::Value orNull(const std::string &S);
// The inverse of isoTime (that exact form only).
std::optional<int64_t> parseIsoTime(llvm::StringRef S);

// With --db and --known: what the summary says of each group besides its
// cores in this run.
struct GroupHistory {
  int64_t Cores = 0;                  // in the database, every run
  std::optional<int64_t> First, Last; // their crash times
};
struct GroupNotes {
  std::optional<std::string> KnownIssue; // the --known note naming it
  bool New = false; // no known issue names it and no earlier run saw it
  std::optional<GroupHistory> History;   // --db
};
struct DatabaseNotes {
  std::string Path;
  int64_t Run = 0;
  size_t New = 0, Known = 0; // analyzed in this run / found in the database
};

class Summary {
public:
  // In input order: the first core of a group is its example, and the
  // group lists its cores in that order.
  void add(const Outcome &R);

  size_t Skipped = 0;    // other files skipped
  size_t Duplicates = 0; // cores reached twice
  std::string Shard;     // "K/N" when the results are one shard's
  // Filled after the results by the triage front end (by signature id).
  std::map<std::string, GroupNotes> Notes;
  bool KnownIssuesGiven = false;
  std::optional<DatabaseNotes> Db;

  std::vector<std::string> signatureIds() const;

  size_t failed() const { return Failed; }
  // The mapsleuth.batch-summary/1 object.
  llvm::json::Value toJSON() const;
  void writeText(llvm::raw_ostream &OS) const;
  // Where --summary-file FILE wants it: pretty-printed JSON, or the text
  // table. An error naming FILE when it cannot be written.
  Error writeFile(const std::string &File, bool Text) const;

private:
  struct Group {
    CrashSignature Sig;
    size_t Count = 0;
    // The racers' user frames seen in the group's cores ("-": none caught).
    std::map<std::string, size_t> Racers;
    std::optional<int64_t> First, Last;
    std::string Example;
    std::vector<std::string> Cores;
  };
  std::vector<const Group *> ordered() const;

  size_t Cores = 0, MapFaults = 0, NoMapFault = 0, Failed = 0;
  std::map<std::string, Group> Groups; // by signature key
  std::vector<std::string> FailedCores;
};

} // namespace ms::batch
