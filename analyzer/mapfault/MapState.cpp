#include "mapfault/MapState.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "goruntime/GoProgram.h"
#include "goruntime/Layouts.h"
#include "goruntime/StructView.h"
#include "support/Memory.h"
#include "mapfault/MapWalk.h"

namespace ms {

using namespace llvm;
using namespace mapwalk;

std::vector<std::string> hmapFlagNames(uint8_t Flags) {
  static const char *Names[] = {"iterator", "oldIterator", "hashWriting",
                                "sameSizeGrow"};
  std::vector<std::string> Out;
  for (unsigned I = 0; I < 4; ++I)
    if (Flags & (1u << I))
      Out.push_back(Names[I]);
  if (Flags & 0xf0)
    Out.push_back(hex(Flags & 0xf0));
  return Out;
}

// ---- MapReader ---------------------------------------------------------------

MapReader::MapReader(GoProgram &P) : P(P), M(P.memory()) {}

MapReader::MapReader(GoProgram &P, const Memory &M) : P(P), M(M) {
  if (&M != &P.memory())
    OwnTypes = std::make_unique<TypeTable>(M, P.module(), P.version(),
                                           P.mapImpl());
}

MapReader::~MapReader() = default;

TypeTable &MapReader::types() const {
  return OwnTypes ? *OwnTypes : P.types();
}
const RuntimeLayouts &MapReader::layouts() const { return P.layouts(); }
const GoVersion &MapReader::version() const { return P.version(); }

namespace {
// The function a Hasher closure (funcval) calls, and for
// runtime.memhash_varlen the size stored after the code pointer.
Expected<std::pair<std::string, std::optional<uint64_t>>>
hasherFunction(GoProgram &P, const Memory &M, uint64_t Closure) {
  auto PC = M.readU64(Closure);
  if (!PC)
    return PC.takeError();
  auto F = P.pclntab().findFunc(*PC);
  if (!F)
    return F.takeError();
  std::optional<uint64_t> Size;
  if (F->Name == "runtime.memhash_varlen") {
    auto S = M.readU64(Closure + 8);
    if (!S)
      return S.takeError();
    Size = *S;
  }
  return std::make_pair(F->Name, Size);
}
} // namespace

Expected<const HashKeys *> MapReader::hashKeys() const {
  if (!Keys && KeysError.empty()) {
    auto K = readHashKeys(P, &M);
    if (K)
      Keys = std::move(*K);
    else
      KeysError = errorText(K.takeError());
  }
  if (Keys)
    return &*Keys;
  return makeError("{0}", KeysError);
}

Expected<const KeyHasher *> MapReader::hasher(const TypeInfo &MapType) const {
  if (MapType.K != Kind::Map || !MapType.Key)
    return makeError("{0} is not a map type", typeName(MapType));
  if (auto It = Hashers.find(MapType.Addr); It != Hashers.end())
    return It->second.get();
  if (auto It = HasherErrors.find(MapType.Addr); It != HasherErrors.end())
    return makeError("{0}", It->second);
  // A failure is remembered: the next call for this type fails the same way.
  auto Fail = [&](std::string Why) -> Error {
    auto &Kept = HasherErrors[MapType.Addr];
    Kept = std::move(Why);
    return makeError("{0}", Kept);
  };
  auto K = hashKeys();
  if (!K)
    return Fail(errorText(K.takeError()));
  auto H = KeyHasher::create(*MapType.Key, version(), **K);
  if (!H)
    return Fail(errorText(H.takeError()));
  // The function the type's Hasher closure calls must be the one the plan
  // stands for.
  if (MapType.Map && MapType.Map->Hasher) {
    auto Fn = hasherFunction(P, M, MapType.Map->Hasher);
    if (!Fn)
      return Fail("the map type's hasher cannot be identified: " +
                  errorText(Fn.takeError()));
    if (Error E = H->checkFunction(Fn->first, Fn->second))
      return Fail(errorText(std::move(E)));
  }
  auto &Slot = Hashers[MapType.Addr];
  Slot = std::make_unique<KeyHasher>(std::move(*H));
  return Slot.get();
}

namespace {
// Room for the entries the header announces, up to a modest bound (the
// count of a damaged header means nothing): growing the vector copied it
// and faulted in fresh pages at every doubling.
void reserveEntries(MapState &S, const MapLimits &L) {
  if (L.CollectEntries)
    S.Entries.reserve(std::min<uint64_t>(
        {S.headerCount(), L.MaxEntries,
         L.Keep ? L.KeepFirst + 8 : uint64_t(1) << 16}));
}

// The header at S.Addr read (ReadHeader) into Slot, then the map walked by
// a WalkerT.
template <typename WalkerT, typename Header>
Error readAndWalk(const MapReader &R, const MapLimits &L, MapState &S,
                  Expected<Header> (*ReadHeader)(const MapReader &, uint64_t),
                  std::optional<Header> &Slot) {
  WalkerT W(R, L, S);
  if (Error E = W.layout())
    return E;
  auto H = ReadHeader(R, S.Addr);
  if (!H)
    return addContext(H.takeError(), "map header");
  Slot = std::move(*H);
  if constexpr (std::is_same_v<Header, ClassicHeader>)
    readExtra(R, *Slot, S.Warn);
  reserveEntries(S, L);
  W.walk();
  W.flush();
  return Error::success();
}
} // namespace

Expected<MapState> MapReader::decode(const TypeInfo &MapType,
                                     uint64_t HeaderAddr,
                                     const MapLimits &L) const {
  if (Error E = checkMapType(&MapType, P.mapImpl()))
    return E;
  MapState S;
  S.Addr = HeaderAddr;
  S.Type = &MapType;
  S.Impl = MapType.Map->Impl;
  S.LayoutSource = layouts().source();
  if (HeaderAddr == 0) {
    S.Nil = true;
    return S;
  }
  if (Error E = S.Impl == MapImpl::Classic
                    ? readAndWalk<ClassicWalker>(*this, L, S,
                                                 readClassicHeader, S.Classic)
                    : readAndWalk<SwissWalker>(*this, L, S, readSwissHeader,
                                               S.Swiss))
    return E;
  if (!S.countMatches())
    S.Warn.addf("header says {0} entries, the walk found {1}{2}",
                S.headerCount(), S.EntriesFound,
                S.Partial ? " (partial walk)"
                          : " (a race can leave them out of step)");
  return S;
}

Expected<MapState> decodeMap(GoProgram &P, const TypeInfo *MapType,
                             uint64_t HeaderAddr, const MapLimits &L) {
  if (!MapType)
    return makeError("no map type given");
  MapReader R(P);
  return R.decode(*MapType, HeaderAddr, L);
}

} // namespace ms
