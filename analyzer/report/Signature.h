// A crash signature: what makes two map-fault cores "the same bug" for
// de-duplication across a fleet. Version 3 (USAGE.md "Summary: crash
// signatures" documents it): the fault class, the map's Go type and the
// faulting goroutine's first in-app functions (standard library frames
// skipped, names normalised), and nothing that depends on timing, the Go
// version, the map implementation, the architecture, the build mode, the
// build directory, the load address or line numbers. Racers are not part
// of the id; their frames are carried along for the groups to list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>

#include "report/Analysis.h"

namespace ms {

// The algorithm's version: a stored summary made with another version is
// never silently regrouped (summaries and results carry it).
// Version 3: an iteration's fault is iteration_and_write whichever of
// Next's checks fired (a swiss iterator also fails in a lookup it makes,
// "concurrent map read and map write").
constexpr int SignatureVersion = 3;
// How many in-app frames of the faulting goroutine make the signature.
constexpr size_t SignatureFrames = 2;

struct SignatureFrame {
  std::string Function, File; // File: base name only
  int64_t Line = 0;
  bool empty() const { return Function.empty(); }
  // "main.writer (main.go:42)", or "-" when empty.
  std::string str() const;
};

struct CrashSignature {
  int Version = SignatureVersion;
  // ---- what the id is made of ----
  std::string Kind;    // the report's fault kind ("other": no map fault)
  std::string MapType; // "" when the type was not recovered
  // Normalised in-app function names of the faulting goroutine, innermost
  // first, at most SignatureFrames.
  std::vector<std::string> Frames;
  // ---- carried along, not in the id ----
  SignatureFrame UserFrame;      // the faulting goroutine's user frame
  SignatureFrame RacerUserFrame; // empty when no racer on the same map
  std::optional<int64_t> RacerGoroutine;

  // One line naming every part of the id; equal keys, same group.
  std::string key() const;
  // 12 hex digits of a 64-bit FNV-1a hash of the version and key(): a
  // short stable name.
  std::string id() const;
};

// Whether a function belongs to the Go standard library (the skip-list:
// its package's first path element is one of the standard library's
// top-level names, "runtime", "internal", "sync", "reflect", "fmt", ...),
// or is no Go function at all (cgo and C frames).
bool isSignatureSkipped(llvm::StringRef Function);
// A function name as the signature keeps it: package initialisers lose
// their number ("main.init.3.func1" -> "main.init.func1", also for the
// "main.glob..func1" spelling of Go <= 1.21) and generic instantiations
// their type arguments ("main.Put[go.shape.string]" -> "main.Put[...]").
std::string normalizeSignatureFunction(llvm::StringRef Function);
// A function name with the type arguments of its generic instantiations
// collapsed ("main.Put[go.shape.string]" -> "main.Put[...]").
std::string collapseTypeArguments(llvm::StringRef Function);

// The racer chosen is the first one the report lists on the same map with
// a user frame (the report orders same-map racers first, then by goroutine
// id).
CrashSignature signatureOf(const AnalysisReport &R);
// The fault class a signature names: the report's kind, except that a
// fault met while iterating is iteration_and_write.
FaultKind signatureFaultClass(const FaultReport &F);

// JSON: report/Json.h.

} // namespace ms
