#include "goruntime/GoVersions.h"

#include <vector>

#include <llvm/Support/FormatVariadic.h>

namespace ms {

namespace {

// One row per Go 1.N. To add a version, copy the newest row, read the new
// runtime's sources for each fact (the comments in GoVersions.h name the
// files), and follow HACKING.md "Adding a Go version".
std::vector<GoVersionTraits> makeTable() {
  std::vector<GoVersionTraits> T;
  GoVersionTraits R;
  // go1.19
  R.Minor = 19;
  R.LayoutTable = "go1.19";
  R.AesFallbackConstants = true;
  R.Arm64Hash32Seed32 = true;
  T.push_back(R);
  // go1.20: between supported versions, no toolchain to test it with.
  R.Minor = 20;
  R.Supported = false;
  R.LayoutTable = "";
  R.FuncStartLine = true;
  R.ModuleCovCtrs = true;
  T.push_back(R);
  R.Supported = true;
  // go1.21
  R.Minor = 21;
  R.LayoutTable = "go1.21";
  R.ModuleInitTasks = true;
  R.InjectedCallsExact = true;
  T.push_back(R);
  // go1.22
  R.Minor = 22;
  R.LayoutTable = "go1.22";
  R.FuncIDs = FuncIDNumbering::Go122;
  T.push_back(R);
  // go1.23
  R.Minor = 23;
  R.LayoutTable = "go1.23";
  R.AesFallbackConstants = false;
  R.ModuleBadBeforeMasks = true;
  T.push_back(R);
  // go1.24: Swiss tables.
  R.Minor = 24;
  R.LayoutTable = "go1.24";
  R.SwissByDefault = true;
  R.NoSwissExperiment = true;
  R.SwissMapTypeSize = 112;
  T.push_back(R);
  // go1.25
  R.Minor = 25;
  R.LayoutTable = "go1.25";
  R.FuncIDs = FuncIDNumbering::Go125;
  R.Arm64BytealgRegisterABI = true;
  T.push_back(R);
  // go1.26: noswissmap gone.
  R.Minor = 26;
  R.LayoutTable = "go1.26";
  R.NoSwissExperiment = false;
  R.KindIsWholeByte = true;
  R.ModuleEpclntab = true;
  T.push_back(R);
  // go1.27
  R.Minor = 27;
  R.LayoutTable = "go1.27";
  R.MapsPackageHash = true;
  R.KeyHashBySignature = true;
  R.Arm64Hash32Seed32 = false;
  R.SwissMapTypeSize = 136;
  R.SwissMapTypeSlotOffsets = true;
  R.ModuleTypeDescLen = true;
  R.NestedGenericShortNames = true;
  T.push_back(R);
  return T;
}

const std::vector<GoVersionTraits> &table() {
  static const std::vector<GoVersionTraits> T = makeTable();
  return T;
}

} // namespace

llvm::ArrayRef<GoVersionTraits> goVersionTable() { return table(); }

const GoVersionTraits *findGoVersionTraits(const GoVersion &V) {
  if (V.Major != 1)
    return nullptr;
  for (const GoVersionTraits &R : table())
    if (R.Minor == V.Minor)
      return &R;
  return nullptr;
}

const GoVersionTraits &traitsOfMinor(int Minor) {
  const GoVersionTraits *Best = &table().front();
  for (const GoVersionTraits &R : table())
    if (R.Minor <= Minor)
      Best = &R;
  return *Best;
}

const GoVersionTraits &traitsOf(const GoVersion &V) {
  if (V.Major > 1)
    return table().back();
  if (V.Major < 1)
    return table().front();
  return traitsOfMinor(V.Minor);
}

uint64_t swissMapTypeSize(const GoVersion &V) {
  if (uint64_t N = traitsOf(V).SwissMapTypeSize)
    return N;
  for (const GoVersionTraits &R : table())
    if (R.SwissMapTypeSize)
      return R.SwissMapTypeSize;
  return 0;
}

std::string supportedGoVersionsText() {
  // Runs of supported minors: "go1.19, go1.21 to go1.27".
  std::string S;
  const auto &T = table();
  for (size_t I = 0; I < T.size();) {
    if (!T[I].Supported) {
      ++I;
      continue;
    }
    size_t J = I;
    while (J + 1 < T.size() && T[J + 1].Supported &&
           T[J + 1].Minor == T[J].Minor + 1)
      ++J;
    if (!S.empty())
      S += ", ";
    S += llvm::formatv("go1.{0}", T[I].Minor).str();
    if (J > I)
      S += llvm::formatv(" to go1.{0}", T[J].Minor).str();
    I = J + 1;
  }
  return S;
}

Error checkSupported(const GoVersion &V, const std::string &File) {
  const GoVersionTraits *R = findGoVersionTraits(V);
  if (!R || !R->Supported)
    return inputError(File, "unsupported Go version {0} (supported: {1})",
                      V.Raw, supportedGoVersionsText());
  return Error::success();
}

} // namespace ms
