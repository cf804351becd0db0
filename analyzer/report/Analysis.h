// The report model of `mapsleuth analyze` (schema mapsleuth.report/1): one
// model that the text and JSON writers and every front end (CLI, Python,
// gdb) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "report/Stacks.h"
#include "report/Summary.h"

namespace ms {

struct ProvenanceReport {
  std::string Source;     // register, dwarf_location, spill_slot, ...
  std::string Confidence; // exact, high, low
  std::string Detail;     // how, in words
  std::vector<std::string> Agreeing;  // other sources that gave the same value
  std::vector<std::string> Conflicts; // valid candidates that disagreed
  std::vector<std::string> Rejected;  // candidates that failed validation
};

struct FrameRef {
  std::string Function, File;
  int64_t Line = 0;
  uint64_t PC = 0;
  bool empty() const { return Function.empty(); }
};

struct CheckReport {
  std::string Which;       // "entry", "end_of_write", "only"
  std::string Explanation; // in words
  int Index = 0, Count = 0; // this call site among the function's fatal calls
};

struct FaultReport {
  std::string Kind;    // concurrent_map_writes, ..., nil_map_write, other
  std::string Message; // as the runtime prints it
  std::string MessageSource; // "code", "panic value", "spill_slot"...
  std::optional<int64_t> Goroutine;
  std::optional<int> Thread;
  FrameRef Frame;      // the map function frame that detected the fault
  std::string EntryFunction; // the runtime entry point user code called
  std::string Operation;     // read, write, delete, iteration...
  std::optional<CheckReport> Check;
  FrameRef UserFrame;  // the user's code that called into the map runtime
  std::vector<int64_t> AlsoFaulted; // other goroutines that threw too
};

struct MapReport {
  uint64_t Address = 0;
  std::string Type, KeyType, ElemType;
  std::string Impl; // "hmap" | "swiss"
  std::optional<int64_t> Count;
  std::optional<bool> Growing;
  llvm::json::Value Growth = nullptr; // object or null
  llvm::json::Value Header = nullptr; // "hmap" or "swiss" object
  std::optional<int64_t> EntriesFound;
  ProvenanceReport Provenance;     // of the address
  ProvenanceReport TypeProvenance; // of the map type
  std::vector<std::string> Warnings;
};

struct KeyReport {
  std::string Type;
  llvm::json::Value Value = nullptr; // decoded Go value as JSON
  std::string GoSyntax;
  std::optional<std::string> DynamicType;
  std::optional<uint64_t> Address;
  std::optional<bool> InMap;
  llvm::json::Value Location = nullptr; // bucket/group where it lives
  ProvenanceReport Provenance;
};

struct RacerReport {
  int64_t Goroutine = 0;
  std::string Status;
  std::optional<int> Thread;
  std::string Function;      // innermost map function on its stack
  std::string EntryFunction; // runtime entry point it called
  std::string Operation;
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

struct AnalysisReport {
  CoreSummary Core;
  ExeSummary Exe;
  bool MapFault = false;
  FaultReport Fault;
  std::optional<MapReport> Map;
  std::optional<KeyReport> Key;
  llvm::json::Value Iterator = nullptr;
  std::vector<RacerReport> Racers;
  std::optional<StackReport> FaultingStack;
  std::string Layouts;
  std::vector<std::string> Warnings;
};

llvm::json::Value toJSON(const ProvenanceReport &P);
llvm::json::Value toJSON(const KeyReport &K);
llvm::json::Value toJSON(const AnalysisReport &R);
// Colour: ANSI escapes when Colour is true (the CLI passes isatty).
void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       bool Colour = false);

} // namespace ms
