#include "goruntime/Heap.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "arch/Arch.h"
#include "goruntime/CodeRefs.h"
#include "goruntime/FieldReader.h"
#include "goruntime/GoProgram.h"
#include "goruntime/Layouts.h"
#include "goruntime/ModuleData.h"
#include "loader/Target.h"
#include "support/Memory.h"
#include "support/Warnings.h"

namespace ms {

namespace {
// runtime/malloc.go on 64-bit linux: heapArenaBytes = 64 MiB, arenaL1Bits
// = 0, arenaL2Bits = 48 - 26; pageSize = 8 KiB.
constexpr uint64_t LogArenaBytes = 26;
constexpr uint64_t ArenaL2Entries = uint64_t(1) << (48 - LogArenaBytes);
constexpr uint64_t PageShift = 13;
constexpr uint64_t PagesPerArena = (uint64_t(1) << LogArenaBytes) >> PageShift;
constexpr uint8_t SpanInUse = 1; // mSpanInUse (mSpanManual: stacks)

// class_to_size (runtime/sizeclasses.go; internal/runtime/gc from 1.26),
// the same in every supported version.
constexpr uint16_t ClassToSize[] = {
    0,     8,     16,    24,    32,    48,    64,    80,    96,    112,
    128,   144,   160,   176,   192,   208,   224,   240,   256,   288,
    320,   352,   384,   416,   448,   480,   512,   576,   640,   704,
    768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304,
    2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,  6528,  6784,
    6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
} // namespace

Expected<HeapIndex> HeapIndex::open(const GoProgram &P) {
  HeapIndex H(P);
  const RuntimeLayouts &L = P.layouts();
  struct {
    const char *Struct, *Field;
    uint64_t *Out;
  } Fields[] = {
      {"runtime.mheap", "arenas", &H.ArenasOff},
      {"runtime.heapArena", "spans", &H.SpansOff},
      {"runtime.mspan", "startAddr", &H.StartOff},
      {"runtime.mspan", "npages", &H.NPagesOff},
      {"runtime.mspan", "elemsize", &H.ElemOff},
      {"runtime.mspan", "spanclass", &H.ClassOff},
      {"runtime.mspan", "state", &H.StateOff},
  };
  for (auto &F : Fields) {
    auto Off = L.offsetOf(F.Struct, F.Field);
    if (!Off)
      return addContext(Off.takeError(), "the heap's layout");
    *F.Out = *Off;
  }
  const Memory &M = P.memory();
  // The L2 array an arenas[0] pointer found at Addr leads to is readable.
  auto Plausible = [&](uint64_t ArenasAddr) {
    auto L2 = probe(M.readU64(ArenasAddr));
    return L2 && *L2 && probe(M.readU64(*L2)).has_value();
  };
  // By symbol or, stripped, through the functions that index the arenas:
  // they load runtime.mheap_.arenas[0] by its address.
  Warnings W;
  H.Mheap = findGlobal(P, "runtime.mheap_",
                       {"runtime.spanOfHeap", "runtime.findObject",
                        "runtime.(*mheap).allocSpan", "runtime.markBitsForAddr"},
                       Plausible, H.How, W, H.ArenasOff);
  if (!H.Mheap)
    return makeError("cannot find runtime.mheap_ (no symbol, and no "
                     "arena index among the data the heap's functions use)");
  if (!Plausible(H.Mheap + H.ArenasOff))
    return makeError("runtime.mheap_ at {0}: its arena index (arenas[0]) is "
                     "not in the core",
                     hex(H.Mheap));
  H.readTinyBlocks();
  return H;
}

void HeapIndex::readTinyBlocks() {
  const RuntimeLayouts &L = P->layouts();
  const Memory &M = P->memory();
  auto McacheOff = probe(L.offsetOf("runtime.p", "mcache"));
  auto TinyOff = probe(L.offsetOf("runtime.mcache", "tiny"));
  auto TinyOffsetOff = probe(L.offsetOf("runtime.mcache", "tinyoffset"));
  if (!McacheOff || !TinyOff || !TinyOffsetOff)
    return;
  constexpr uint64_t MaxProcs = 1 << 12;
  // runtime.allp: a slice of *p, the first P's mcache readable.
  auto Slice = [&](uint64_t Addr) -> std::optional<GoSlice> {
    auto S = probe(readGoSlice(M, Addr));
    if (!S || !S->Len || S->Len > S->Cap || S->Len > MaxProcs)
      return std::nullopt;
    auto P0 = probe(M.readU64(S->Data));
    if (!P0 || !*P0 || !probe(M.readU64(*P0 + *McacheOff)))
      return std::nullopt;
    return S;
  };
  std::string How;
  Warnings W;
  const uint64_t Allp =
      findGlobal(*P, "runtime.allp", {"runtime.procresize", "runtime.forEachP"},
                 [&](uint64_t A) { return Slice(A).has_value(); }, How, W);
  auto S = Allp ? Slice(Allp) : std::nullopt;
  if (!S)
    return;
  for (uint64_t I = 0; I < S->Len; ++I) {
    auto Pp = probe(M.readU64(S->Data + 8 * I));
    auto C = Pp && *Pp ? probe(M.readU64(*Pp + *McacheOff)) : std::nullopt;
    auto T = C && *C ? probe(M.readU64(*C + *TinyOff)) : std::nullopt;
    auto Off = C && *C ? probe(M.readU64(*C + *TinyOffsetOff)) : std::nullopt;
    if (T && *T && Off && *Off <= 16)
      Tiny.push_back({*T, *T + *Off});
  }
}

std::optional<uint64_t> HeapIndex::tinyBlockEnd(uint64_t Base) const {
  for (const auto &[T, End] : Tiny)
    if (T == Base)
      return End;
  return std::nullopt;
}

Expected<HeapObject> HeapIndex::objectAt(uint64_t Addr) const {
  const Memory &M = P->memory();
  const uint64_t Ri = (Addr - P->arch().goArenaBaseOffset()) >> LogArenaBytes;
  if (Ri >= ArenaL2Entries)
    return makeError("{0} is outside the heap's address range", hex(Addr));
  auto L2 = M.readU64(Mheap + ArenasOff);
  if (!L2)
    return addContext(L2.takeError(), "reading runtime.mheap_.arenas[0]");
  auto Arena = M.readU64(*L2 + Ri * 8);
  if (!Arena)
    return addContext(Arena.takeError(), "reading the heap's arena index");
  if (!*Arena)
    return makeError("{0} is in no heap arena", hex(Addr));
  const uint64_t Page = (Addr >> PageShift) % PagesPerArena;
  auto Span = M.readU64(*Arena + SpansOff + Page * 8);
  if (!Span)
    return addContext(Span.takeError(), "reading the arena's span table");
  if (!*Span)
    return makeError("no span owns the page of {0}", hex(Addr));
  // The span's fields, read in one piece.
  const uint64_t SpanSize = std::max({StartOff + 8, NPagesOff + 8, ElemOff + 8,
                                      ClassOff + 1, StateOff + 1});
  auto Raw = M.readBytes(*Span, SpanSize);
  if (!Raw)
    return addContext(Raw.takeError(), "reading the span at " + hex(*Span));
  FieldReader F(*Raw, "mspan");
  const uint64_t Start = F.u64(StartOff), NPages = F.u64(NPagesOff),
                 Elem = F.u64(ElemOff);
  const uint8_t Class = F.u8(ClassOff), State = F.u8(StateOff);
  if (Error E = F.check())
    return E;
  const uint64_t Bytes = NPages << PageShift;
  if (State != SpanInUse)
    return makeError("{0} is in a span not in use by the heap (state {1})",
                     hex(Addr), unsigned(State));
  if (Addr < Start || Addr - Start >= Bytes || !Elem || Elem > Bytes)
    return makeError("the span at {0} ({1}, {2} pages) does not hold {3}",
                     hex(*Span), hex(Start), NPages, hex(Addr));
  HeapObject O;
  O.Size = Elem;
  O.SizeClass = Class >> 1;
  O.NoScan = Class & 1;
  if (O.SizeClass >= std::size(ClassToSize) ||
      (O.SizeClass && ClassToSize[O.SizeClass] != O.Size))
    return makeError("the span at {0} has size class {1} but objects of {2} "
                     "bytes",
                     hex(*Span), O.SizeClass, O.Size);
  O.Base = Start + (Addr - Start) / O.Size * O.Size;
  if (O.Base + O.Size > Start + Bytes)
    return makeError("{0} lies in the tail of the span at {1}, past its last "
                     "object",
                     hex(Addr), hex(*Span));
  return O;
}

std::vector<HeaderRef> headersCovering(const GoProgram &P, uint64_t Addr,
                                       uint64_t MaxBack, uint64_t MaxLen,
                                       size_t Limit) {
  std::vector<HeaderRef> Out;
  const uint64_t Lo = Addr >= MaxBack ? Addr - MaxBack : 0;
  const RegionMemory &M = P.target().regionMemory();
  uint64_t Scanned = 0;
  // A pass over a big core may leave its pages out of this process's RAM.
  struct Release {
    const RegionMemory &M;
    const uint64_t &Scanned;
    ~Release() {
      if (Scanned > (256u << 20))
        M.releaseResident();
    }
  } Rel{M, Scanned};
  for (const RegionMemory::Region &R : M.regions()) {
    if (R.Source != RegionSource::Core)
      continue;
    Scanned += R.Bytes.size();
    const uint8_t *B = R.Bytes.data();
    const uint64_t Skew = (8 - R.Start % 8) % 8;
    for (uint64_t Off = Skew; Off + 16 <= R.Bytes.size(); Off += 8) {
      uint64_t D;
      std::memcpy(&D, B + Off, 8);
      if (D > Addr || D < Lo)
        continue;
      uint64_t L;
      std::memcpy(&L, B + Off + 8, 8);
      if (L <= Addr - D || L > MaxLen)
        continue;
      Out.push_back({R.Start + Off, D, L});
      if (Out.size() >= Limit)
        return Out;
    }
  }
  return Out;
}

} // namespace ms
