#include "mapfault/MapWalk.h"

#include <initializer_list>

#include "goruntime/StructView.h"
#include "support/ByteReader.h"
#include "support/Memory.h"

namespace ms {
namespace mapwalk {

using namespace llvm;

uint64_t wordAt(ArrayRef<uint8_t> Bytes, uint64_t Off) {
  return ByteReader(Bytes).u64(Off).value_or(0);
}

Error checkMapType(const TypeInfo *T, MapImpl Want) {
  if (!T)
    return makeError("no map type given");
  if (T->K != Kind::Map || !T->Map)
    return makeError("{0} is not a map type", typeName(*T));
  if (T->Map->Impl != Want)
    return makeError("map type {0} is {1}, the program uses {2} maps",
                     typeName(*T), mapImplName(T->Map->Impl), mapImplName(Want));
  if (!T->Key || !T->Elem || T->Key->Broken || T->Elem->Broken)
    return makeError("map type {0} has an unreadable key or element type",
                     typeName(*T));
  return Error::success();
}

namespace {
// Reads the named fields of V into their destinations, in order; the first
// one that cannot be read is the error.
Error readFields(const StructView &V,
                 std::initializer_list<std::pair<const char *, uint64_t *>> Fields) {
  for (auto [Name, Dst] : Fields) {
    auto X = V.get(Name);
    if (!X)
      return X.takeError();
    *Dst = *X;
  }
  return Error::success();
}
} // namespace

Expected<ClassicHeader> readClassicHeader(const MapReader &R, uint64_t Addr) {
  auto V = StructView::read(R.memory(), R.layouts(), "runtime.hmap", Addr);
  if (!V)
    return V.takeError();
  ClassicHeader H;
  uint64_t Flags = 0, B = 0, NOverflow = 0, Hash0 = 0;
  if (Error E = readFields(*V, {{"count", &H.Count},
                                {"buckets", &H.Buckets},
                                {"oldbuckets", &H.OldBuckets},
                                {"nevacuate", &H.NEvacuate},
                                {"extra", &H.Extra},
                                {"flags", &Flags},
                                {"B", &B},
                                {"noverflow", &NOverflow},
                                {"hash0", &Hash0}}))
    return E;
  H.Flags = static_cast<uint8_t>(Flags);
  H.B = static_cast<uint8_t>(B);
  H.NOverflow = static_cast<uint16_t>(NOverflow);
  H.Hash0 = static_cast<uint32_t>(Hash0);
  if (V->has("clearSeq"))
    H.ClearSeq = V->getOr("clearSeq", 0);
  return H;
}

void readExtra(const MapReader &R, ClassicHeader &H, Warnings &W) {
  if (!H.Extra)
    return;
  auto V = StructView::read(R.memory(), R.layouts(), "runtime.mapextra", H.Extra);
  if (!V) {
    W.addf("hmap.extra {0} cannot be read: {1}", hex(H.Extra),
           errorText(V.takeError()));
    return;
  }
  H.ExtraRead = true;
  H.Overflow = V->getOr("overflow", 0);
  H.OldOverflow = V->getOr("oldoverflow", 0);
  H.NextOverflow = V->getOr("nextOverflow", 0);
}

Expected<SwissHeader> readSwissHeader(const MapReader &R, uint64_t Addr) {
  auto V = StructView::read(R.memory(), R.layouts(),
                            "internal/runtime/maps.Map", Addr);
  if (!V)
    return V.takeError();
  SwissHeader H;
  uint64_t DirLen = 0, GlobalDepth = 0, GlobalShift = 0, Writing = 0;
  if (Error E = readFields(*V, {{"used", &H.Used},
                                {"seed", &H.Seed},
                                {"dirPtr", &H.DirPtr},
                                {"clearSeq", &H.ClearSeq},
                                {"dirLen", &DirLen},
                                {"globalDepth", &GlobalDepth},
                                {"globalShift", &GlobalShift},
                                {"writing", &Writing}}))
    return E;
  H.DirLen = static_cast<int64_t>(DirLen);
  H.GlobalDepth = static_cast<uint8_t>(GlobalDepth);
  H.GlobalShift = static_cast<uint8_t>(GlobalShift);
  H.Writing = static_cast<uint8_t>(Writing);
  if (V->has("tombstonePossible"))
    H.TombstonePossible = static_cast<uint8_t>(V->getOr("tombstonePossible", 0));
  return H;
}

// ---- ArrayReader, UnreadableElements, Tally -----------------------------------

ArrayReader::ArrayReader(const Memory &M, uint64_t Base, uint64_t Count,
                         uint64_t Size)
    : M(M), Base(Base), Count(Count), Size(Size) {
  uint64_t Total = Count * Size; // callers cap Count and Size
  if (Count && Size && Total / Size == Count && Base + Total >= Base) {
    Whole = M.view(Base, Total);
    if (Whole.empty() && Total <= (64u << 20)) {
      // No view: one copy, else element by element (get()).
      if (auto B = probe(M.readBytes(Base, Total))) {
        Copy = std::move(*B);
        Whole = Copy;
      }
    }
  }
}

Expected<ArrayRef<uint8_t>> ArrayReader::get(uint64_t I) {
  if (!Whole.empty())
    return Whole.slice(I * Size, Size);
  One.resize(Size);
  if (Error E = M.read(addr(I), One))
    return E;
  return ArrayRef<uint8_t>(One);
}

bool UnreadableElements::add(Error E, uint64_t Max) {
  if (Count++ == 0)
    First = errorText(std::move(E));
  else
    dropProbeError(std::move(E));
  return ++Run >= Max;
}

void Tally::add(const std::string &What, const std::string &Where) {
  auto &E = Items[What];
  if (E.N++ == 0)
    E.First = Where;
}

void Tally::flush(Warnings &W) {
  for (auto &[What, E] : Items)
    W.addf("{0}: {1} time{2} (first: {3})", What, E.N, E.N == 1 ? "" : "s",
           E.First);
  Items.clear();
}

// ---- WalkBase ------------------------------------------------------------------

WalkBase::WalkBase(const MapReader &R, const MapLimits &L, MapState &S)
    : R(R), M(R.memory()), L(L), S(S), MI(*S.Type->Map),
      NextRelease(L.ReleaseEvery) {}

bool WalkBase::budget(uint64_t Bytes, const char *What) {
  if (S.BytesRead + Bytes > L.MaxBytes) {
    if (!BudgetHit)
      S.Warn.addf("partial walk: byte budget of {0} reached while reading "
                  "{1}",
                  L.MaxBytes, What);
    BudgetHit = S.Partial = true;
    return false;
  }
  S.BytesRead += Bytes;
  if (L.ReleaseEvery && S.BytesRead >= NextRelease) {
    M.releaseResident();
    NextRelease = S.BytesRead + L.ReleaseEvery;
  }
  return true;
}

void WalkBase::addEntry(MapEntry E, ArrayRef<uint8_t> Bytes, uint64_t KeyOff,
                        uint64_t ElemOff, function_ref<std::string()> Where) {
  E.Ordinal = S.EntriesFound++;
  if (!L.CollectEntries)
    return;
  E.KeyAddr = E.KeySlot;
  E.ElemAddr = E.ElemSlot;
  if (MI.IndirectKey) {
    E.KeyAddr = wordAt(Bytes, KeyOff);
    if (E.KeyAddr == 0)
      T.add("indirect key pointer is nil in a live slot", Where());
  }
  if (MI.IndirectElem) {
    E.ElemAddr = wordAt(Bytes, ElemOff);
    if (E.ElemAddr == 0)
      T.add("indirect elem pointer is nil in a live slot", Where());
  }
  if (L.Keep && S.Entries.size() >= L.KeepFirst && !L.Keep(E, S)) {
    ++S.EntriesDropped;
    return;
  }
  if (S.Entries.size() >= L.MaxEntries) {
    if (!EntryCapHit)
      S.Warn.addf("partial walk: entry cap of {0} reached", L.MaxEntries);
    EntryCapHit = S.Partial = true;
    return;
  }
  S.Entries.push_back(E);
}

} // namespace mapwalk
} // namespace ms
