// Everything mapsleuth knows that differs between Go versions, in one
// table: one row per Go 1.N, each fact a named field read from that
// version's runtime sources (/usr/lib/go-1.N/src). Struct layouts of the
// runtime are not here: they are generated per version from the
// toolchains (goruntime/layouts/, scripts/gen-layouts.sh) and named by
// LayoutTable. Code asks traitsOf(version).Fact instead of comparing
// version numbers, so that a new Go version is one new row (see
// "Adding a Go version" in HACKING.md; tests/unit/GoVersionsTest.cpp checks
// the table against the layout tables and the docs).
#pragma once

#include <optional>
#include <string>

#include <llvm/ADT/ArrayRef.h>

#include "goruntime/BuildInfo.h"

namespace ms {

// Which numbering of abi.FuncID a version uses (Pclntab.cpp holds the
// three tables).
enum class FuncIDNumbering { Go119, Go122, Go125 };

struct GoVersionTraits {
  int Minor = 0;                 // the row is for go1.<Minor>
  // False for a version between supported ones that nothing was tested on
  // (no toolchain to build fixtures with): refused like any unknown one.
  bool Supported = true;
  const char *LayoutTable = "";  // goruntime/layouts/<name>.json

  // ---- maps (runtime/map*.go, internal/runtime/maps) ----
  bool SwissByDefault = false;       // Swiss tables unless noswissmap (1.24+)
  bool NoSwissExperiment = false;    // GOEXPERIMENT=noswissmap exists (1.24, 1.25)
  // Hash globals and equality by signature in internal/runtime/maps
  // (UseAeshash, aeskeysched) rather than runtime.useAeshash (1.27+).
  bool MapsPackageHash = false;
  // A key is hashed by a plan compiled from its type's equality signature
  // (abi.Type.Equal's "signature" string) rather than by alg kind (1.27+).
  bool KeyHashBySignature = false;
  bool AesFallbackConstants = false; // memhash fallback constants (< 1.23)
  bool Arm64Hash32Seed32 = false;    // arm64 memhash32 uses a 32-bit seed (< 1.27)
  uint64_t SwissMapTypeSize = 0;     // abi.SwissMapType / MapType (Swiss); see swissMapTypeSize()
  bool SwissMapTypeSlotOffsets = false; // KeysOff, KeyStride, ElemsOff, ElemStride (1.27+)

  // ---- type descriptors (internal/abi/type.go) ----
  // Kind_ is the whole byte and DirectIface a TFlag bit (1.26+); before,
  // kind & 31 with kindDirectIface = 32.
  bool KindIsWholeByte = false;

  // ---- pclntab (runtime/symtab.go, runtime/symtabinl.go) ----
  bool FuncStartLine = false;        // _func.startLine, 16-byte inlinedCall (1.20+)
  FuncIDNumbering FuncIDs = FuncIDNumbering::Go119;

  // ---- moduledata (runtime/symtab.go) ----
  bool ModuleCovCtrs = false;        // covctrs, ecovctrs (1.20+)
  bool ModuleTypeDescLen = false;    // typedesclen, itaboffset, itabsize; no typelinks/itablinks (1.27+)
  bool ModuleEpclntab = false;       // epclntab (1.26+)
  bool ModuleInitTasks = false;      // inittasks (1.21+)
  bool ModuleBadBeforeMasks = false; // bad before gcdatamask (1.23+)

  // ---- tracebacks (runtime/traceback.go) ----
  // asyncPreempt and debugCallV2 callers print the exact PC (1.21+).
  bool InjectedCallsExact = false;
  // Nested generic instantiations print as "F[...]___[...]" pieces (1.27+).
  bool NestedGenericShortNames = false;

  // ---- assembly helpers (internal/bytealg/*_arm64.s) ----
  // On arm64, IndexByte(String), Index(String) and Count(String) take
  // their arguments in registers (<ABIInternal>) rather than on the stack
  // (1.25+; on amd64 they are ABI0 in every version).
  bool Arm64BytealgRegisterABI = false;
};

// All rows, oldest first.
llvm::ArrayRef<GoVersionTraits> goVersionTable();
// The row of V, or null when V is no Go 1.N the table has.
const GoVersionTraits *findGoVersionTraits(const GoVersion &V);
// The row of V. The library refuses unsupported versions when it opens a
// program (checkSupported); for others, as tests and fuzzers construct
// them, the newest row not newer than V (the oldest for older ones).
const GoVersionTraits &traitsOf(const GoVersion &V);
const GoVersionTraits &traitsOfMinor(int Minor);

// The size of a Swiss map type descriptor in V; for a version before Swiss
// tables (only tests build such a pair), that of the first Swiss version.
uint64_t swissMapTypeSize(const GoVersion &V);

// "go1.19, go1.21 to go1.27": the supported versions, for messages.
std::string supportedGoVersionsText();
// Error unless the version is one we support: "unsupported Go version X
// (supported: ...)", an InputError naming FILE.
Error checkSupported(const GoVersion &V, const std::string &File);

} // namespace ms
