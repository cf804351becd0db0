// A crash signature: what makes two map-fault cores "the same bug" for
// de-duplication across a fleet. The fault kind, the map's Go type, the
// user frame of the faulting goroutine and the user frame of the racer on
// the same map. Frames are compared by function, file base name and line
// (not PC or full path, which change with the build directory and PIE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>


#include "report/Analysis.h"

namespace ms {

struct SignatureFrame {
  std::string Function, File; // File: base name only
  int64_t Line = 0;
  bool empty() const { return Function.empty(); }
  // "main.writer (main.go:42)", or "-" when empty.
  std::string str() const;
};

struct CrashSignature {
  std::string Kind;    // the report's fault kind ("other": no map fault)
  std::string MapType; // "" when the type was not recovered
  SignatureFrame UserFrame;
  SignatureFrame RacerUserFrame; // empty when no racer on the same map
  std::optional<int64_t> RacerGoroutine;

  // One line naming every part; equal keys, same group.
  std::string key() const;
  // 12 hex digits of a 64-bit FNV-1a hash of key(): a short stable name.
  std::string id() const;
};

// The racer chosen is the first one the report lists on the same map with
// a user frame (the report orders same-map racers first, then by goroutine
// id).
CrashSignature signatureOf(const AnalysisReport &R);

// JSON: report/Json.h.

} // namespace ms
