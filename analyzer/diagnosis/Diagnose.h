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

class TypeTable;
// M's type names a shape type (generic code): replaced by the type
// arguments the dictionary passed by the call whose return address is
// ReturnPC names (mapfault/Shapes.h), the provenance saying so; unchanged
// when that call passes no readable dictionary.
void concretizeMapShapes(const GoProgram &P, TypeTable &Types,
                         uint64_t ReturnPC, MapReport &M);

} // namespace ms
