// The report model of `mapsleuth analyze` (schema mapsleuth.report/1): plain
// typed data that the diagnosis (analyzer/diagnosis) fills in and that the
// writers (report/AnalysisJSON.h, report/AnalysisText.h) and every front
// end (CLI, batch, Python, gdb) read. It holds no pointer into the program
// it was made from (decoded values are detached from their type
// descriptors), so a report outlives its session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/BuildInfo.h"
#include "goruntime/GoValue.h"
#include "mapfault/MapFunctions.h"
#include "mapfault/MapIter.h"
#include "mapfault/MapKeys.h"
#include "mapfault/MapState.h"
#include "mapfault/Provenance.h"
#include "report/Stacks.h"
#include "report/Summary.h"

namespace ms {

// What the runtime's fatal error says, as a kind.
enum class FaultKind {
  Other, // not a map fault (or not recognised)
  ConcurrentMapWrites,
  ConcurrentMapReadAndWrite,
  ConcurrentMapIterationAndWrite,
  ConcurrentMapCloneAndWrite,
  NilMapWrite,
};
// "concurrent_map_writes", ..., "nil_map_write", "other".
llvm::StringRef faultKindName(FaultKind K);
// The kind whose runtime message is Msg ("concurrent map writes", ...),
// Other for any other text.
FaultKind faultKindOfMessage(llvm::StringRef Msg);

struct ProvenanceReport {
  Source Src = Source::None;
  Confidence Conf = Confidence::Low;
  std::string Detail;                 // how, in words
  // Only a stale spill slot gave the value (not live at the PC, nothing
  // agreeing): probably an earlier call's. Writers never present it as
  // the answer.
  bool Stale = false;
  std::vector<Source> Agreeing;       // other sources that gave the same value
  std::vector<std::string> Conflicts; // valid candidates that disagreed
  std::vector<std::string> Rejected;  // candidates that failed validation
};

struct FrameRef {
  std::string Function, File;
  int64_t Line = 0;
  uint64_t PC = 0;
  bool empty() const { return Function.empty(); }
};

// Which of a map function's fatal checks fired.
enum class CheckWhich {
  Entry,      // the flag was already set when the operation began
  EndOfWrite, // the flag was cleared by someone else during the write
  Only,       // the function's only fatal call
  Later,      // one of several, not the first
};
// "entry", "end_of_write", "only", "later".
llvm::StringRef checkWhichName(CheckWhich W);

struct CheckReport {
  CheckWhich Which = CheckWhich::Only;
  std::string Explanation; // in words
  int Index = 0, Count = 0; // this call site among the function's fatal calls
};

struct FaultReport {
  FaultKind Kind = FaultKind::Other;
  std::string Message; // as the runtime prints it
  std::string MessageSource; // "code", "panic value", "spill_slot"...
  std::optional<int64_t> Goroutine;
  std::optional<int> Thread;
  FrameRef Frame;      // the map function frame that detected the fault
  std::string EntryFunction; // the runtime entry point user code called
  std::optional<MapOp> Operation; // read, write, delete, iteration...
  std::optional<CheckReport> Check;
  FrameRef UserFrame;  // the user's code that called into the map runtime
  std::vector<int64_t> AlsoFaulted; // other goroutines that threw too
};

// How many buckets/groups and bytes a map walk read.
struct MapWalkReport {
  uint64_t Buckets = 0, OverflowBuckets = 0, Groups = 0, Bytes = 0;
};

MapWalkReport walkOf(const MapState &S);

// A goroutine found inside growth code for the map.
struct GrowthWorker {
  int64_t Goroutine = 0;
  std::string Function;          // the growth function it is in
  std::optional<uint64_t> Table; // swiss: the table it rehashes/splits
};

struct MapReport {
  uint64_t Address = 0;
  std::string Type, KeyType, ElemType;
  MapImpl Impl = MapImpl::Classic;
  std::optional<int64_t> Count;
  std::optional<bool> Growing;
  std::optional<int64_t> EntriesFound;
  ProvenanceReport Provenance;     // of the address
  ProvenanceReport TypeProvenance; // of the map type (when Type is known)
  // The decoded header (one of the two, none for a nil or unread map),
  // Swiss tables in directory order (without their control words), and
  // what the walk read.
  std::optional<ClassicHeader> Hmap;
  std::optional<SwissHeader> Swiss;
  std::vector<SwissTable> Tables;
  std::optional<MapWalkReport> Walk;
  // Classic growth state (oldbuckets), and the goroutines in growth code.
  std::optional<ClassicGrowth> Growth;
  std::vector<GrowthWorker> GrowthBy;
  std::vector<std::string> Warnings;
};

// The key's lookup in the decoded map: matching slots, its home.
struct KeyLocationReport {
  bool Classic = false; // the map has a classic header (buckets, not groups)
  KeyLookup Lookup; // values detached from their types
  // The map entry of each of Lookup.Matches (nullopt: not walked).
  std::vector<std::optional<MapEntry>> MatchEntries;
};

// The report's copy of a lookup in S: the matching entries copied out of
// S, the values detached from their types.
KeyLocationReport keyLocation(const MapState &S, KeyLookup L);

struct KeyReport {
  std::string Type;
  std::optional<GoValue> Value; // decoded, detached from its type
  std::string GoSyntax;
  std::optional<std::string> DynamicType;
  std::optional<uint64_t> Address;
  std::optional<bool> InMap;
  std::optional<KeyLocationReport> Location; // bucket/group where it lives
  ProvenanceReport Provenance;
};

// A key the operation had but the core did not give back: its type and,
// in words, what each source said (a call result held only in registers,
// a spill slot not written, a value that failed validation).
struct KeyMissingReport {
  std::string Type;
  std::vector<std::string> Reasons;
  // A string key whose data pointer is known (this call's) but not its
  // length: where its bytes are.
  std::optional<uint64_t> Data;
};

// The iterator of an iteration fault: where it is and, when it could be
// decoded, its state (values detached from their types).
struct IteratorReport {
  uint64_t Address = 0;
  std::optional<ProvenanceReport> Provenance;
  std::optional<MapIterState> State;
};

struct RacerReport {
  int64_t Goroutine = 0;
  std::string Status;
  std::optional<int> Thread;
  std::string Function;      // innermost map function on its stack
  std::string EntryFunction; // runtime entry point it called
  std::optional<MapOp> Operation;
  std::optional<bool> SameMap;
  std::optional<uint64_t> Map;
  std::optional<ProvenanceReport> MapProvenance;
  std::optional<KeyReport> Key;
  FrameRef UserFrame;
  bool AlsoFaulted = false;
  bool Growing = false; // inside map growth code
  std::string GrowthFunction;         // the growth function it is in
  std::optional<uint64_t> GrowthTable; // swiss: the table it rehashes/splits
  std::optional<StackReport> Stack;
};

// The crash log a report was made from (instead of a core).
struct LogSummary {
  std::string Path;
  size_t Line = 0;        // of the crash message, 1-based
  std::string Prefix;     // stripped from each line
  bool DockerJson = false;
  size_t Goroutines = 0;  // printed
  size_t IgnoredLines = 0; // inside the traceback, not part of it
};

struct AnalysisReport {
  // Core: the core's summary, or only its Path (the log's) and Arch when
  // the report comes from a crash log (Log).
  CoreSummary Core;
  std::optional<LogSummary> Log;
  ExeSummary Exe;
  bool MapFault = false;
  FaultReport Fault;
  std::optional<MapReport> Map;
  std::optional<KeyReport> Key;
  // The faulting operation had a key and no source gave it (Key is
  // unset), or only a stale slot did.
  std::optional<KeyMissingReport> KeyMissing;
  std::optional<IteratorReport> Iterator;
  std::vector<RacerReport> Racers;
  std::optional<StackReport> FaultingStack;
  std::string Layouts;
  std::vector<std::string> Warnings;
};

} // namespace ms
