// Which heap object holds an address: runtime.mheap_'s arena index, the
// span that owns the page, and the span's object size. What the Go
// allocator knows of an object is its size class, not the length of what
// was written into it: a string's bytes sit at the start of an object of
// the next size class up (or inside a 16-byte tiny block), followed by
// whatever the object held before (mallocgc does not clear memory for
// objects without pointers unless the span is fresh).
//
// Go 1.19 - 1.27 on linux/amd64 and linux/arm64 share the arena geometry
// (64 MiB arenas, one level of 2^22 entries, 8 KiB pages; amd64 offsets
// addresses by 0xffff800000000000) and the size-class table; the struct
// layouts come from the program's DWARF or the version's layout table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/Error.h"

namespace ms {

class GoProgram;

struct HeapObject {
  uint64_t Base = 0;      // the object's first byte
  uint64_t Size = 0;      // its size (the span's elemsize)
  unsigned SizeClass = 0; // 0: a large object (a span of its own)
  bool NoScan = false;    // the object holds no pointers
  // A tiny-allocator block (16-byte, no pointers): several small
  // pointer-free allocations may share it.
  bool tinyBlock() const { return NoScan && SizeClass == 2; }
};

class HeapIndex {
public:
  // The index of P's heap: finds runtime.mheap_ (by symbol, or in a
  // stripped executable through the code of the functions that use it).
  static Expected<HeapIndex> open(const GoProgram &P);

  // The in-use heap object holding Addr, or an error saying why there is
  // none (not in any arena, a page no span owns, a span not in use, a
  // stack span, ...). Every word it reads must be in the core.
  Expected<HeapObject> objectAt(uint64_t Addr) const;

  // Where allocation stopped in the tiny block at Base when it is some P's
  // current one (its mcache's tiny, tinyoffset): bytes of the block from
  // there on belong to no object yet.
  std::optional<uint64_t> tinyBlockEnd(uint64_t Base) const;

  const std::string &how() const { return How; } // "symbol", "code of ..."

private:
  explicit HeapIndex(const GoProgram &P) : P(&P) {}
  const GoProgram *P;
  uint64_t Mheap = 0;
  std::string How;
  uint64_t ArenasOff = 0, SpansOff = 0;
  uint64_t StartOff = 0, NPagesOff = 0, ElemOff = 0, ClassOff = 0,
           StateOff = 0;
  // Each P's current tiny block: (tiny, tiny + tinyoffset).
  std::vector<std::pair<uint64_t, uint64_t>> Tiny;
  void readTinyBlocks();
};

// A pair of words (data, length) in the core's saved memory: a string or
// slice header, or two words that look like one.
struct HeaderRef {
  uint64_t At = 0;   // where the pair is
  uint64_t Data = 0; // its first word
  uint64_t Len = 0;  // its second
};

// The 8-byte-aligned word pairs anywhere in the core's saved memory whose
// data lies at most MaxBack below Addr and whose length, at most MaxLen,
// reaches past it (Data <= Addr < Data + Len): every string or slice that
// holds the byte at Addr. At most Limit, in address order. One pass over
// the core (a live target has no saved memory: none).
std::vector<HeaderRef> headersCovering(const GoProgram &P, uint64_t Addr,
                                       uint64_t MaxBack, uint64_t MaxLen,
                                       size_t Limit = 64);

} // namespace ms
