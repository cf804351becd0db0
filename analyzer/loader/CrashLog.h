// The Go runtime's fatal output as text: what a crash leaves when it leaves
// no core (captured stderr, a debug.SetCrashOutput file, a journald or
// container log). Parsed into goroutines and frames as the runtime printed
// them (runtime/traceback.go), tolerating what such logs add: unrelated
// lines before, inside and after the traceback, a per-line prefix
// (journald's "Dec 06 06:09:39 host app[123]: ", a timestamp), Docker's
// JSON lines ({"log": "...", "stream": "stderr"}) and CRLF line ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>

#include "support/Error.h"

namespace ms {

// One word of a printed argument list ("0x4bf060", "0xc000012345?").
struct LogWord {
  uint64_t Value = 0;
  bool Uncertain = false; // printed with '?': possibly stale (register ABI)
};

struct LogFrame {
  std::string Function; // as printed: "main.(*T).put", "main.Put[...]"
  // The argument words in order, aggregates ("{0x1, 0x2}") flattened;
  // nullopt for a word the runtime did not print ("_": offset too large).
  std::vector<std::optional<LogWord>> Args;
  bool ArgsElided = false; // "..." in the list: more words than printed
  bool Inlined = false;    // "(...)": an inlined call, no frame of its own
  std::string File;
  int64_t Line = 0;
  // "+0x1d4": the PC's offset from the function's entry (for a frame that
  // is not the innermost, the return address's).
  std::optional<uint64_t> Offset;
  // GOTRACEBACK=system and crash: the frame's registers.
  std::optional<uint64_t> PC, SP, FP;
};

struct LogGoroutine {
  int64_t Id = 0;
  // The text in brackets: "running", "select (no cases)", "chan receive,
  // 2 minutes, locked to thread".
  std::string State;
  std::optional<uint64_t> G;  // gp=
  std::optional<int64_t> M;   // m= (nullopt also for m=nil)
  std::vector<LogFrame> Frames; // innermost first
  bool FramesElided = false;    // "...additional frames elided..."
  // "goroutine running on other thread; stack unavailable"
  bool StackUnavailable = false;
  std::optional<LogFrame> CreatedBy;
  std::optional<int64_t> CreatedByGoroutine;
  // The (stripped) line number of the header in the input, 1-based.
  size_t LineNo = 0;
};

struct CrashLog {
  // "concurrent map writes" (fatal error: ...) or "assignment to entry in
  // nil map" (panic: ...).
  std::string Message;
  bool Panic = false; // "panic:" rather than "fatal error:"
  // Other fatal errors printed with it (two goroutines that threw at once).
  std::vector<std::string> OtherMessages;
  // In the order printed; the first is the goroutine that crashed.
  std::vector<LogGoroutine> Goroutines;
  size_t FirstLine = 0;      // 1-based line of the message in the input
  std::string LinePrefix;    // stripped from every line ("" when none)
  bool DockerJson = false;   // lines were Docker json-file records
  size_t IgnoredLines = 0;   // lines inside the traceback that were not it
  size_t LaterCrashes = 0;   // further crashes in the same input
  const LogGoroutine *crashed() const {
    return Goroutines.empty() ? nullptr : &Goroutines.front();
  }
};

// The largest input read as a crash log.
constexpr uint64_t MaxCrashLogBytes = 512ull << 20;

// Whether TEXT holds a Go crash: a "fatal error: " or "panic: " line
// followed by a goroutine header ("goroutine 7 [running]:"). Cheap: for
// recognising logs among other files by content.
bool looksLikeCrashLog(llvm::StringRef Text);

// The first crash in TEXT whose message is a map fault, else the first
// crash at all. NAME names the input in errors.
Expected<CrashLog> parseCrashLog(llvm::StringRef Text, const std::string &Name);

// Reads PATH (at most MaxCrashLogBytes) and parses it: a one-line error
// naming the file when it is not text or holds no Go crash.
Expected<CrashLog> readCrashLog(const std::string &Path);

// Whether PATH is a text file holding a Go crash (the file is read, up to
// MaxCrashLogBytes; false for binary files and on errors).
bool isCrashLogFile(const std::string &Path);

} // namespace ms
