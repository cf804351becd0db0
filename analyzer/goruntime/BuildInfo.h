// Go version and build settings from the .go.buildinfo blob (present even
// in stripped executables).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "loader/ExeFile.h"

namespace ms {

struct GoVersion {
  int Major = 0, Minor = 0, Patch = 0;
  std::string Raw;  // as recorded: "go1.22.12", "go1.24.4 X:noswissmap"
  std::string Base; // without the experiment suffix: "go1.24.4"
  bool operator<(const GoVersion &O) const {
    return std::tie(Major, Minor, Patch) < std::tie(O.Major, O.Minor, O.Patch);
  }
  bool atLeast(int Ma, int Mi) const {
    return Major > Ma || (Major == Ma && Minor >= Mi);
  }
  static std::optional<GoVersion> parse(const std::string &S);
};

struct BuildInfo {
  GoVersion Version;
  std::string ModuleInfo; // raw "path\t...\nbuild\t..." text
  std::string MainPath;
  // "build" settings: GOARCH, GOOS, CGO_ENABLED, GOEXPERIMENT, -buildmode,
  // -ldflags, ...
  std::map<std::string, std::string> Settings;
  std::optional<std::string> setting(const std::string &K) const;
  bool hasExperiment(const std::string &Name) const;
};

// Reads build info from the executable file. Errors when the file has no
// Go build info (not a Go program) or it is malformed.
Expected<BuildInfo> readBuildInfo(const ExeFile &X);

// How a Go version lays out maps (decides the map type descriptor, the
// header and bucket/group structures).
enum class MapImpl {
  Classic, // hmap + buckets (runtime.maptype / abi.OldMapType): < go1.24,
           // or go1.24/1.25 built with GOEXPERIMENT=noswissmap
  Swiss,   // swiss tables with groups (abi.SwissMapType go1.24/1.25,
           // abi.MapType go1.26+)
};
MapImpl mapImplFor(const BuildInfo &BI);
llvm::StringRef mapImplName(MapImpl M); // "classic" / "swiss"

// Which Go versions are supported, and what differs between them:
// goruntime/GoVersions.h.

} // namespace ms
