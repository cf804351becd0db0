#include "goruntime/BuildInfo.h"

#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/DataExtractor.h>

#include "goruntime/GoVersions.h"
#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

std::optional<GoVersion> GoVersion::parse(const std::string &S) {
  GoVersion V;
  V.Raw = S;
  StringRef R(S);
  if (!R.consume_front("go"))
    return std::nullopt;
  // "1.22.12", "1.24rc1", "1.27.4 X:foo"
  // Experiments follow as " X:name" (go1.24) or "-X:name" (go1.27).
  R = R.take_until([](char C) { return C == ' ' || C == '-'; });
  V.Base = "go" + R.str();
  SmallVector<StringRef, 3> Parts;
  R.split(Parts, '.');
  auto Num = [](StringRef P, int &Out) {
    P = P.take_while([](char C) { return C >= '0' && C <= '9'; });
    return !P.empty() && !P.getAsInteger(10, Out);
  };
  if (Parts.size() < 2 || !Num(Parts[0], V.Major) || !Num(Parts[1], V.Minor))
    return std::nullopt;
  if (Parts.size() > 2)
    Num(Parts[2], V.Patch);
  return V;
}

std::optional<std::string> BuildInfo::setting(const std::string &K) const {
  auto It = Settings.find(K);
  if (It == Settings.end())
    return std::nullopt;
  return It->second;
}

bool BuildInfo::hasExperiment(const std::string &Name) const {
  auto E = setting("GOEXPERIMENT");
  if (!E)
    return false;
  SmallVector<StringRef, 4> Parts;
  StringRef(*E).split(Parts, ',');
  for (StringRef P : Parts)
    if (P.trim() == Name)
      return true;
  return false;
}

namespace {
const StringRef Magic("\xff Go buildinf:", 14);

// Reads a uvarint-prefixed string at Off in B.
bool readVarString(ArrayRef<uint8_t> B, uint64_t &Off, std::string &Out) {
  DataExtractor DE(StringRef(reinterpret_cast<const char *>(B.data()), B.size()),
                   true, 8);
  Error Err = Error::success();
  uint64_t Len = DE.getULEB128(&Off, &Err);
  if (Err) {
    dropProbeError(std::move(Err)); // the caller says the info is malformed
    return false;
  }
  if (Off > B.size() || Len > B.size() - Off)
    return false;
  Out.assign(reinterpret_cast<const char *>(B.data()) + Off, Len);
  Off += Len;
  return true;
}

void parseModInfo(BuildInfo &BI) {
  std::string M = BI.ModuleInfo;
  // The module info is wrapped in 16-byte sentinels when present.
  if (M.size() >= 33 && M[M.size() - 17] == '\n') {
    M = M.substr(16, M.size() - 32);
    BI.ModuleInfo = M;
  }
  SmallVector<StringRef, 32> Lines;
  StringRef(M).split(Lines, '\n');
  for (StringRef L : Lines) {
    auto [Kind, Rest] = L.split('\t');
    if (Kind == "path")
      BI.MainPath = Rest.str();
    else if (Kind == "build") {
      auto [K, V] = Rest.split('=');
      BI.Settings[K.str()] = V.str();
    }
  }
}
} // namespace

Expected<BuildInfo> readBuildInfo(const ExeFile &X) {
  ArrayRef<uint8_t> Blob;
  uint64_t BlobAddr = 0;
  if (const ExeSection *S = X.findSection(".go.buildinfo")) {
    Blob = X.sectionBytes(*S);
    BlobAddr = S->Addr;
  }
  if (Blob.size() < 32 ||
      StringRef(reinterpret_cast<const char *>(Blob.data()), 14) != Magic) {
    // No section (or not at its start): search the first writable
    // segment, as debug/buildinfo does.
    Blob = {};
    for (const auto &Seg : X.segments()) {
      if (!(Seg.Flags & 2 /*PF_W*/))
        continue;
      ArrayRef<uint8_t> D = X.bytesAt(Seg.VAddr, Seg.FileSize);
      StringRef SD(reinterpret_cast<const char *>(D.data()), D.size());
      for (size_t Pos = SD.find(Magic); Pos != StringRef::npos;
           Pos = SD.find(Magic, Pos + 1)) {
        if (Pos % 16 == 0) {
          Blob = D.drop_front(Pos);
          BlobAddr = Seg.VAddr + Pos;
          break;
        }
      }
      break;
    }
  }
  if (Blob.size() < 32)
    return inputError(X.path(), "not a Go program (no Go build info)");

  BuildInfo BI;
  uint8_t PtrSize = Blob[14], Flags = Blob[15];
  if (Flags & 1)
    return inputError(X.path(), "big-endian Go binaries are not supported");
  std::string Vers;
  if (Flags & 2) {
    uint64_t Off = 32;
    if (!readVarString(Blob, Off, Vers) ||
        !readVarString(Blob, Off, BI.ModuleInfo))
      return inputError(X.path(), "malformed Go build info at {0}",
                        hex(BlobAddr));
  } else {
    // Go < 1.18: pointers to Go string headers. Only used to name the
    // (unsupported) version.
    if (PtrSize != 8 && PtrSize != 4)
      return inputError(X.path(), "malformed Go build info (pointer size {0})",
                        PtrSize);
    auto ReadPtr = [&](ArrayRef<uint8_t> B, uint64_t Off) {
      return ByteReader(B).uint(Off, PtrSize);
    };
    // The Go string whose header is at HdrAddr; empty when not in the file.
    auto ReadGoString = [&](std::optional<uint64_t> HdrAddr) -> std::string {
      if (!HdrAddr)
        return {};
      ArrayRef<uint8_t> Header = X.bytesAt(*HdrAddr, 2 * PtrSize);
      auto Data = ReadPtr(Header, 0), Len = ReadPtr(Header, PtrSize);
      if (!Data || !Len || *Len > 4096)
        return {};
      ArrayRef<uint8_t> S = X.bytesAt(*Data, *Len);
      return std::string(reinterpret_cast<const char *>(S.data()), S.size());
    };
    Vers = ReadGoString(ReadPtr(Blob, 16));
    BI.ModuleInfo = ReadGoString(ReadPtr(Blob, 16 + PtrSize));
  }
  auto V = GoVersion::parse(Vers);
  if (!V)
    return inputError(X.path(), "unrecognized Go version string '{0}'", Vers);
  BI.Version = *V;
  parseModInfo(BI);
  return BI;
}

MapImpl mapImplFor(const BuildInfo &BI) {
  // Swiss tables from go1.24 on; go1.24 and go1.25 can still be built with
  // GOEXPERIMENT=noswissmap (the experiment is gone in go1.26).
  const GoVersionTraits &T = traitsOf(BI.Version);
  if (!T.SwissByDefault)
    return MapImpl::Classic;
  if (T.NoSwissExperiment && BI.hasExperiment("noswissmap"))
    return MapImpl::Classic;
  return MapImpl::Swiss;
}

StringRef mapImplName(MapImpl M) {
  return M == MapImpl::Swiss ? "swiss" : "classic";
}

} // namespace ms
