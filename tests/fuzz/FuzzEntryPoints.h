// The fuzz entry points, one per layer that reads untrusted input. The
// libFuzzer targets (fuzz_*.cpp) are one-line wrappers around them, and
// the regression test (tests/unit/FuzzRegressionTest.cpp) replays the
// committed inputs through the same functions in the normal test suite.
//
//   fuzzCore    bytes are a core file
//   fuzzExe     bytes are an executable (ELF magic first), or an edit
//               script applied to the base case's executable
//   fuzzTarget  bytes are an edit script applied to the base case's core
//               (and executable); the whole pipeline (Pipeline.h) runs
//   fuzzLog     bytes are a crash log, diagnosed with the base case's
//               executable and without one, then written as text and JSON
//
// The base case is a real crash from fixtures/corpus: the directory named
// by $MAPSLEUTH_FUZZ_CASE (absolute, or relative to fixtures/corpus), by
// default MS_FUZZ_DEFAULT_CASE. See tests/fuzz/README.md for the format of
// edit scripts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "Pipeline.h"
#include "support/Error.h"

namespace ms::fuzz {

int fuzzCore(const uint8_t *Data, size_t Size);
int fuzzExe(const uint8_t *Data, size_t Size);
int fuzzTarget(const uint8_t *Data, size_t Size);
// Bytes are a crash log (text), analyzed alone and with the base case's
// executable.
int fuzzLog(const uint8_t *Data, size_t Size);

// A named set of byte ranges of the base core or executable that an edit
// can address; the ranges are concatenated and a position taken modulo
// their total length.
struct Window {
  struct Part {
    uint64_t FileOff = 0, Len = 0;
    uint64_t VAddr = 0; // runtime address of FileOff (0: not mapped)
  };
  std::string Name;
  bool InExe = false;
  std::vector<Part> Parts;
  uint64_t Total = 0;
  void add(uint64_t FileOff, uint64_t Len, uint64_t VAddr, uint64_t FileSize);
};

// The loaded base case (loaded on first use, kept for the process).
struct BaseCase {
  std::string Dir;
  std::vector<uint8_t> Core, Exe; // pristine bytes
  std::vector<uint8_t> CoreWork, ExeWork; // edited in place, then restored
  Hints H;
  std::vector<Window> Windows; // core windows first, then executable ones
};
Expected<BaseCase *> baseCase();

// Applies an edit script to the base case's working copies (only windows
// of the executable when ExeOnly), returns how many edits were applied,
// and restores the pristine bytes when the Undo object goes away.
class EditSession {
public:
  EditSession(BaseCase &B, const uint8_t *Data, size_t Size, bool ExeOnly);
  ~EditSession();
  size_t applied() const { return Applied; }

private:
  struct Saved {
    bool InExe;
    uint64_t Off;
    std::vector<uint8_t> Bytes;
  };
  void write(bool InExe, uint64_t Off, const uint8_t *Src, uint64_t Len);
  BaseCase &B;
  std::vector<Saved> Undo;
  size_t Applied = 0;
};

// Names of the windows (for the README and for seed generation).
std::vector<std::string> windowNames();

} // namespace ms::fuzz
