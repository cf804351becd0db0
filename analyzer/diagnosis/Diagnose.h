// The map-fault diagnosis: from the Go runtime model of a core to the
// report. Finds the faulting goroutine's map frame and the check that
// fired, recovers the map, its type and the key with provenance, and finds
// every other goroutine inside a map operation.
#pragma once

#include "report/Analysis.h"
#include "support/Warnings.h"

namespace ms {

class GoProgram;
struct GoroutineSet;
class Unwinder;

struct DiagnoseOptions {
  bool RacerStacks = true;    // include each racer's stack in the report
  bool FaultingStack = true;  // include the faulting goroutine's stack
};

AnalysisReport diagnose(const GoProgram &P, const GoroutineSet &GS,
                        const Unwinder &U, const DiagnoseOptions &O = {});

} // namespace ms
