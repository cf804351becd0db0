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
// The inverse of isoTime (that exact form only).
std::optional<int64_t> parseIsoTime(llvm::StringRef S);

class Summary {
public:
  // In input order: the first core of a group is its example, and the
  // group lists its cores in that order.
  void add(const Outcome &R);

  size_t Skipped = 0;    // other files skipped
  size_t Duplicates = 0; // cores reached twice
  std::string Shard;     // "K/N" when the results are one shard's

  size_t failed() const { return Failed; }
  // The mapsleuth.batch-summary/1 object.
  llvm::json::Value toJSON() const;
  void writeText(llvm::raw_ostream &OS) const;

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
