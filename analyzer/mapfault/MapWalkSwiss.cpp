// The walk of a Swiss map (internal/runtime/maps): the small map's one
// group, or the directory, its distinct tables and their groups.
#include "mapfault/MapWalk.h"

#include <algorithm>
#include <unordered_map>

#include "goruntime/StructView.h"
#include "support/Memory.h"

namespace ms {
namespace mapwalk {

using namespace llvm;

Error SwissWalker::layout() {
  const uint64_t GS = MI.GroupSize;
  if (GS < 8 || GS > (1u << 20) ||
      MI.KeysOff + SlotsPerBucket * MI.KeyStride > GS ||
      MI.ElemsOff + (SlotsPerBucket - 1) * MI.ElemStride > GS ||
      MI.KeysOff < 8 || MI.ElemsOff < 8)
    return makeError("map type {0} has an inconsistent group layout (group "
                     "size {1}, keys at {2} stride {3}, elems at {4} stride "
                     "{5})",
                     typeName(*S.Type), GS, MI.KeysOff, MI.KeyStride,
                     MI.ElemsOff, MI.ElemStride);
  return Error::success();
}

// The 8 slots of one group.
void SwissWalker::group(ArrayRef<uint8_t> G, uint64_t Addr, uint64_t GroupIdx,
                        int32_t Table, SwissTable *Tab) {
  ++S.GroupsVisited;
  if (Tab) {
    ++Tab->GroupsWalked;
    if (GroupIdx < Tab->Ctrl.size()) {
      Tab->Ctrl[GroupIdx] = wordAt(G, 0);
      Tab->CtrlRead[GroupIdx] = true;
    }
  }
  for (unsigned Slot = 0; Slot < SlotsPerBucket; ++Slot) {
    uint8_t C = G[Slot];
    if (C == CtrlEmpty) {
      if (Tab)
        ++Tab->Empty;
      continue;
    }
    if (C == CtrlDeleted) {
      if (Tab)
        ++Tab->Deleted;
      continue;
    }
    auto Here = [&] {
      return "group " + std::to_string(GroupIdx) + " at " + hex(Addr) +
             " slot " + std::to_string(Slot);
    };
    if (C & 0x80) {
      if (Tab)
        ++Tab->Invalid;
      T.add("control byte that is neither empty, deleted nor full",
            Here() + " (" + hex(C) + ")");
      continue;
    }
    if (Tab)
      ++Tab->Full;
    MapEntry E;
    E.KeySlot = Addr + MI.KeysOff + Slot * MI.KeyStride;
    E.ElemSlot = Addr + MI.ElemsOff + Slot * MI.ElemStride;
    E.BucketAddr = Addr;
    E.Bucket = GroupIdx;
    E.Slot = static_cast<uint8_t>(Slot);
    E.Tag = C;
    E.Table = Table;
    addEntry(E, G, MI.KeysOff + Slot * MI.KeyStride,
             MI.ElemsOff + Slot * MI.ElemStride, Here);
  }
}

std::optional<uint64_t> SwissWalker::groupsToWalk(SwissTable &Tab,
                                                  const std::string &Where) {
  uint64_t NG = Tab.LengthMask + 1;
  bool Pow2 = Tab.LengthMask != ~0ull && (NG & (NG - 1)) == 0;
  if (Tab.Capacity < SlotsPerBucket || (Tab.Capacity & (Tab.Capacity - 1)) ||
      Tab.Capacity > MaxTableCapacity)
    S.Warn.addf("{0}: capacity {1} is not a power of two in [8, {2}]", Where,
                Tab.Capacity, MaxTableCapacity);
  if (!Pow2 || NG * SlotsPerBucket != Tab.Capacity) {
    S.Warn.addf("{0}: groups.lengthMask {1} does not match capacity {2}",
                Where, hex(Tab.LengthMask), Tab.Capacity);
    // Walk what both allow, at most a full-size table.
    uint64_t ByCap = Tab.Capacity / SlotsPerBucket;
    NG = std::min<uint64_t>(Pow2 ? NG : ByCap, MaxTableCapacity / SlotsPerBucket);
    if (NG == 0)
      NG = ByCap ? ByCap : 1;
    Tab.Partial = true;
    S.Partial = true;
  }
  if (Tab.LocalDepth > S.Swiss->GlobalDepth)
    S.Warn.addf("{0}: localDepth {1} above globalDepth {2}", Where,
                unsigned(Tab.LocalDepth), unsigned(S.Swiss->GlobalDepth));
  if (Tab.Used > Tab.Capacity)
    S.Warn.addf("{0}: used {1} above capacity {2}", Where, Tab.Used,
                Tab.Capacity);
  if (Tab.GroupsData == 0 || Tab.GroupsData % 8) {
    S.Warn.addf("{0}: groups.data {1} is not a group array; not walked",
                Where, hex(Tab.GroupsData));
    Tab.Partial = S.Partial = true;
    return std::nullopt;
  }
  if (S.GroupsVisited + NG > L.MaxGroups) {
    S.Warn.addf("partial walk: group cap of {0} reached at {1}", L.MaxGroups,
                Where);
    Tab.Partial = S.Partial = true;
    NG = L.MaxGroups > S.GroupsVisited ? L.MaxGroups - S.GroupsVisited : 0;
  }
  return NG;
}

void SwissWalker::table(SwissTable &Tab, int32_t TI) {
  const uint64_t GS = MI.GroupSize;
  const std::string Where = "table " + hex(Tab.Addr);
  auto Groups = groupsToWalk(Tab, Where);
  if (!Groups)
    return;
  const uint64_t NG = *Groups;
  ArrayReader Reader(M, Tab.GroupsData, NG, GS);
  // Control words by group index over the whole table (lookups follow
  // probe sequences through it), read or not.
  uint64_t All = Tab.LengthMask < MaxTableCapacity / SlotsPerBucket
                     ? Tab.LengthMask + 1
                     : NG;
  Tab.Ctrl.assign(std::max(All, NG), 0);
  Tab.CtrlRead.assign(std::max(All, NG), false);
  UnreadableElements Unreadable;
  for (uint64_t G = 0; G < NG; ++G) {
    if (!budget(GS, "a group"))
      break;
    auto Group = Reader.get(G);
    if (!Group) {
      if (Unreadable.add(Group.takeError(), L.MaxUnreadableRun)) {
        S.Warn.addf("{0}: {1} unreadable groups in a row; the rest is not "
                    "walked",
                    Where, Unreadable.Run);
        Tab.Partial = S.Partial = true;
        break;
      }
      continue;
    }
    Unreadable.readOne();
    group(*Group, Reader.addr(G), G, TI, &Tab);
  }
  if (Unreadable.Count) {
    S.Warn.addf("{0}: {1} of {2} groups cannot be read (first: {3})", Where,
                Unreadable.Count, NG, Unreadable.First);
    Tab.Partial = S.Partial = true;
  }
  if (!Tab.Partial && Tab.Full != Tab.Used)
    S.Warn.addf("{0}: used is {1} but {2} slots are full", Where, Tab.Used,
                Tab.Full);
}

// A small map: dirPtr is one group.
void SwissWalker::smallMap() {
  const SwissHeader &H = *S.Swiss;
  if (H.Used > SlotsPerBucket)
    S.Warn.addf("small map with used {0} > 8", H.Used);
  if (!budget(MI.GroupSize, "the small map's group"))
    return;
  auto G = M.readBytes(H.DirPtr, MI.GroupSize);
  if (!G) {
    S.Warn.addf("the small map's group at {0} cannot be read: {1}",
                hex(H.DirPtr), errorText(G.takeError()));
    S.Partial = true;
    return;
  }
  group(*G, H.DirPtr, 0, -1, nullptr);
}

bool SwissWalker::directory() {
  const SwissHeader &H = *S.Swiss;
  uint64_t N = static_cast<uint64_t>(H.DirLen);
  if (N > L.MaxDirLen) {
    S.Warn.addf("partial walk: directory of {0} entries cut to {1}", N,
                L.MaxDirLen);
    S.Partial = true;
    N = L.MaxDirLen;
  }
  if (!budget(N * 8, "the directory"))
    return false;
  auto D = M.readBytes(H.DirPtr, N * 8);
  if (!D) {
    S.Warn.addf("directory of {0} entries at {1} cannot be read: {2}", N,
                hex(H.DirPtr), errorText(D.takeError()));
    S.Partial = true;
    return false;
  }
  std::unordered_map<uint64_t, size_t> Seen;
  for (uint64_t I = 0; I < N; ++I) {
    uint64_t TP = wordAt(*D, 8 * I);
    S.Directory.push_back(TP);
    if (TP == 0 || TP % 8) {
      T.add("directory entry is not a table pointer",
            "index " + std::to_string(I) + " = " + hex(TP));
      continue;
    }
    if (auto It = Seen.find(TP); It != Seen.end()) {
      S.Tables[It->second].DirIndexes.push_back(I);
      continue;
    }
    if (S.Tables.size() >= L.MaxTables) {
      S.Warn.addf("partial walk: table cap of {0} reached", L.MaxTables);
      S.Partial = true;
      break;
    }
    auto V = StructView::read(M, R.layouts(), "internal/runtime/maps.table", TP);
    if (!V) {
      T.add("table cannot be read", "index " + std::to_string(I) + " -> " +
                                        hex(TP) + ": " +
                                        errorText(V.takeError()));
      S.Partial = true;
      continue;
    }
    SwissTable Tab;
    Tab.Addr = TP;
    Tab.Used = static_cast<uint16_t>(V->getOr("used", 0));
    Tab.Capacity = static_cast<uint16_t>(V->getOr("capacity", 0));
    Tab.GrowthLeft = static_cast<uint16_t>(V->getOr("growthLeft", 0));
    Tab.LocalDepth = static_cast<uint8_t>(V->getOr("localDepth", 0));
    Tab.Index = static_cast<int64_t>(V->getOr("index", 0));
    Tab.GroupsData = V->getOr("groups.data", 0);
    Tab.LengthMask = V->getOr("groups.lengthMask", 0);
    Tab.DirIndexes.push_back(I);
    Seen[TP] = S.Tables.size();
    S.Tables.push_back(std::move(Tab));
  }
  return true;
}

// The directory entries of a table: 1 << (globalDepth - localDepth)
// consecutive ones starting at its index.
void SwissWalker::checkTableIndexes(const SwissTable &Tab) {
  const SwissHeader &H = *S.Swiss;
  if (Tab.LocalDepth > H.GlobalDepth || H.GlobalDepth >= 64)
    return;
  uint64_t Want = 1ull << (H.GlobalDepth - Tab.LocalDepth);
  bool Ok = Tab.Index >= 0 && Tab.DirIndexes.size() == Want &&
            Tab.DirIndexes.front() == uint64_t(Tab.Index) &&
            Tab.DirIndexes.back() == uint64_t(Tab.Index) + Want - 1;
  if (!Ok && !S.Partial)
    T.add("table's directory entries do not match its index and localDepth",
          "table " + hex(Tab.Addr) + " index " + std::to_string(Tab.Index));
}

void SwissWalker::walk() {
  const SwissHeader &H = *S.Swiss;
  if (H.Writing > 1)
    S.Warn.addf("Map.writing is {0}, not 0 or 1", unsigned(H.Writing));
  if (H.TombstonePossible && *H.TombstonePossible > 1)
    S.Warn.addf("Map.tombstonePossible is {0}, not a bool",
                unsigned(*H.TombstonePossible));
  if (H.DirPtr == 0) {
    if (H.Used)
      S.Warn.addf("Map.used is {0} but dirPtr is nil", H.Used);
    if (H.DirLen)
      S.Warn.addf("Map.dirLen is {0} but dirPtr is nil", H.DirLen);
    return;
  }
  if (H.DirPtr % 8) {
    S.Warn.addf("Map.dirPtr {0} is misaligned; not walked", hex(H.DirPtr));
    S.Partial = true;
    return;
  }
  if (H.DirLen < 0) {
    S.Warn.addf("Map.dirLen is negative ({0}); not walked", H.DirLen);
    S.Partial = true;
    return;
  }
  if (H.DirLen == 0)
    return smallMap();
  if (H.GlobalDepth >= 64 || uint64_t(H.DirLen) != (1ull << H.GlobalDepth))
    S.Warn.addf("Map.dirLen {0} is not 1 << globalDepth ({1})", H.DirLen,
                unsigned(H.GlobalDepth));
  if (H.GlobalShift != 64 - H.GlobalDepth)
    S.Warn.addf("Map.globalShift {0} is not 64 - globalDepth ({1})",
                unsigned(H.GlobalShift), 64 - unsigned(H.GlobalDepth));
  if (!directory())
    return;
  for (size_t TI = 0; TI < S.Tables.size(); ++TI) {
    checkTableIndexes(S.Tables[TI]);
    table(S.Tables[TI], static_cast<int32_t>(TI));
  }
  if (!S.Partial) {
    uint64_t Sum = 0;
    for (auto &Tab : S.Tables)
      Sum += Tab.Used;
    if (Sum != H.Used)
      S.Warn.addf("Map.used is {0} but its tables' used add up to {1}",
                  H.Used, Sum);
  }
}

} // namespace mapwalk
} // namespace ms
