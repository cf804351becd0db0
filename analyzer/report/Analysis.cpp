#include "report/Analysis.h"

namespace ms {

namespace {
struct KindInfo {
  FaultKind Kind;
  const char *Name;    // in reports
  const char *Message; // as the runtime prints it
};
const KindInfo Kinds[] = {
    {FaultKind::ConcurrentMapWrites, "concurrent_map_writes",
     "concurrent map writes"},
    {FaultKind::ConcurrentMapReadAndWrite, "concurrent_map_read_and_write",
     "concurrent map read and map write"},
    {FaultKind::ConcurrentMapIterationAndWrite,
     "concurrent_map_iteration_and_write",
     "concurrent map iteration and map write"},
    {FaultKind::ConcurrentMapCloneAndWrite, "concurrent_map_clone_and_write",
     "concurrent map clone and map write"},
    {FaultKind::NilMapWrite, "nil_map_write", "assignment to entry in nil map"},
};
} // namespace

llvm::StringRef faultKindName(FaultKind K) {
  for (const auto &I : Kinds)
    if (I.Kind == K)
      return I.Name;
  return "other";
}

FaultKind faultKindOfMessage(llvm::StringRef Msg) {
  for (const auto &I : Kinds)
    if (Msg == I.Message)
      return I.Kind;
  return FaultKind::Other;
}

llvm::StringRef checkWhichName(CheckWhich W) {
  switch (W) {
  case CheckWhich::Entry: return "entry";
  case CheckWhich::EndOfWrite: return "end_of_write";
  case CheckWhich::Only: return "only";
  case CheckWhich::Later: return "later";
  }
  return "?";
}

MapWalkReport walkOf(const MapState &S) {
  return {S.BucketsVisited, S.OverflowVisited, S.GroupsVisited, S.BytesRead};
}

KeyLocationReport keyLocation(const MapState &S, KeyLookup L) {
  KeyLocationReport Loc;
  Loc.Classic = S.Classic.has_value();
  Loc.Lookup = std::move(L);
  for (KeyMatch &Mt : Loc.Lookup.Matches) {
    Loc.MatchEntries.push_back(Mt.Entry < S.Entries.size()
                                   ? std::optional<MapEntry>(S.Entries[Mt.Entry])
                                   : std::nullopt);
    Mt.Key = Mt.Key.detached();
    Mt.Elem = Mt.Elem.detached();
  }
  return Loc;
}

} // namespace ms
