// Report model pieces describing the inputs: the core and the executable.
// Shared by `info` and the full analysis report; writers turn them into
// text or JSON, front ends never look further than these structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/raw_ostream.h>

#include "loader/Coredump.h"

namespace ms {

class Target;
struct BuildInfo;

struct ThreadSummary {
  int Tid = 0;
  uint64_t PC = 0, SP = 0;
  int CurSig = 0;
  bool Crashed = false;
};

struct MappingSummary {
  uint64_t Start = 0, End = 0, FileOffset = 0;
  std::string Path;
};

// A core cut short (CoreFile::truncation()).
struct TruncationSummary {
  uint64_t FileSize = 0, NeededSize = 0, MissingBytes = 0;
  unsigned SegmentsCut = 0, Segments = 0;
  std::string Message; // one line, also among the warnings
};

struct CoreSummary {
  std::string Path;
  std::string Arch;
  int Pid = 0, PPid = 0;
  std::string Command, Args;
  int Signal = 0;
  std::string SignalName;
  int SignalCode = 0;
  std::optional<uint64_t> FaultAddr;
  std::optional<int> SenderPid;
  int CrashedTid = 0;
  std::vector<ThreadSummary> Threads;
  std::vector<MappingSummary> Mappings;
  uint64_t FileSize = 0;
  uint64_t SavedBytes = 0; // memory the core actually holds
  std::optional<TruncationSummary> Truncated;
  CoredumpXattrs Coredump; // systemd-coredump's attributes of the file
  // The build ids the core holds of its executable (hex / Go's text).
  std::string ExeGnuBuildId, ExeGoBuildId;
};

struct ExeSummary {
  std::string Path;
  std::string Arch;
  std::string GoVersion;     // "go1.24.4"; empty when not a Go program
  std::string GoVersionFull; // as recorded: "go1.24.4 X:noswissmap"
  std::map<std::string, std::string> BuildSettings;
  std::string GoBuildId, GnuBuildId;
  bool Stripped = false, HasDwarf = false, Pie = false, Cgo = false;
  std::optional<std::string> Interpreter;
  uint64_t LoadBias = 0;
  std::string FoundBy;       // "--exe", "user.coredump.exe", "NT_FILE", "debuginfod", ...
  std::string DebuginfodUrl; // where debuginfod fetched it from
  std::string Match;       // "match", "mismatch", "unknown"
  std::string MatchMethod; // how it was decided
  std::string MatchDetail;
};

struct InfoReport {
  CoreSummary Core;
  ExeSummary Exe;
  std::vector<std::string> LibrariesLoaded;
  std::vector<std::string> Warnings;
};

CoreSummary summarizeCore(const Target &T);
ExeSummary summarizeExe(const Target &T, const BuildInfo *BI);
InfoReport buildInfoReport(const Target &T, const BuildInfo *BI);

std::string signalName(int Sig);

// JSON: report/Json.h.
void writeText(const InfoReport &R, llvm::raw_ostream &OS);

} // namespace ms
