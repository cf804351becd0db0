// The analysis pipeline as the fuzzers and the damaged-input tests drive
// it: every public entry point of every layer that exists, run in order on
// one Target, every error consumed. A stage must never crash, hang or read
// out of bounds, whatever the core and the executable hold.
//
// A new layer plugs in with one line in the table of stages in
// Pipeline.cpp (e.g. {"analyze", stageAnalyze, true} once the map
// diagnosis exists): the three fuzz targets and the regression test pick
// it up from there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/BuildInfo.h"
#include "goruntime/GoProgram.h"
#include "goruntime/Layouts.h"
#include "loader/Target.h"

namespace ms::fuzz {

// Addresses the harness knows from outside the core (the fixture's
// truth.json): where the faulting map is and its type descriptor.
struct Hints {
  std::vector<uint64_t> MapAddrs;
  std::vector<uint64_t> TypeAddrs;
};

// Bounds on the work one run does, so that a fuzz iteration stays fast
// whatever the input claims.
struct Budget {
  size_t MaxThreads = 64;
  size_t MaxGoroutines = 128;
  size_t MaxStackWords = 512; // words scanned above each SP
  size_t MaxTypeLookups = 256;
  size_t MaxDecodes = 32;
  size_t MaxReturnAddresses = 48; // stack words looked up as return PCs
  // Also the whole-table walks (every type reachable from typelinks): slow,
  // so a fuzz target asks for them on a fraction of its inputs.
  bool Thorough = true;
  // Layout tables parsed once per table and kept (the fuzz targets: the
  // tables are compiled in, not input).
  bool CacheLayouts = false;
};

struct PipelineContext {
  const Target &T;
  const Hints &H;
  Budget B;
  std::optional<BuildInfo> BI;
  std::unique_ptr<GoProgram> Prog;              // null when it did not open
  std::unique_ptr<RuntimeLayouts> OwnedLayouts;
  const RuntimeLayouts *Layouts = nullptr;      // null when unavailable
  std::vector<uint64_t> Gs;                     // g addresses found
  std::vector<uint64_t> Words;                  // words read from stacks and g's
};

struct Stage {
  const char *Name;
  void (*Run)(PipelineContext &);
  bool NeedsProgram; // skipped when GoProgram::open failed
};

// The stages, in order.
const std::vector<Stage> &pipelineStages();

// Runs every stage on T. Never fails: errors are consumed (that is the
// point: only crashes, hangs and sanitizer reports are findings).
void runPipeline(const Target &T, const Hints &H = {}, Budget B = {});

} // namespace ms::fuzz
