#include "support/Memory.h"

#include <algorithm>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "support/ByteReader.h"

namespace ms {

Memory::~Memory() = default;

Expected<uint64_t> Memory::readUint(uint64_t Addr, unsigned Size) const {
  uint8_t B[8] = {};
  if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
    return makeError("unsupported integer size {0}", Size);
  if (auto E = read(Addr, llvm::MutableArrayRef<uint8_t>(B, Size)))
    return E;
  auto V = ByteReader(llvm::ArrayRef<uint8_t>(B, Size)).uint(0, Size);
  if (!V)
    return makeError("integer of {0} bytes at {1} not read", Size, hex(Addr));
  return *V;
}

Expected<uint64_t> Memory::readU64(uint64_t Addr) const {
  return readUint(Addr, 8);
}
Expected<uint32_t> Memory::readU32(uint64_t Addr) const {
  auto V = readUint(Addr, 4);
  if (!V)
    return V.takeError();
  return static_cast<uint32_t>(*V);
}
Expected<uint16_t> Memory::readU16(uint64_t Addr) const {
  auto V = readUint(Addr, 2);
  if (!V)
    return V.takeError();
  return static_cast<uint16_t>(*V);
}
Expected<uint8_t> Memory::readU8(uint64_t Addr) const {
  auto V = readUint(Addr, 1);
  if (!V)
    return V.takeError();
  return static_cast<uint8_t>(*V);
}

Expected<std::vector<uint8_t>> Memory::readBytes(uint64_t Addr,
                                                 uint64_t Size) const {
  if (Size > (1ull << 32))
    return makeError("refusing to read {0} bytes at {1}", Size, hex(Addr));
  std::vector<uint8_t> Out(Size);
  if (auto E = read(Addr, Out))
    return E;
  return Out;
}

Expected<std::string> Memory::readString(uint64_t Addr, uint64_t Len,
                                         uint64_t MaxLen) const {
  if (Len > MaxLen)
    return makeError("string at {0} has implausible length {1}", hex(Addr),
                     Len);
  std::string S(Len, '\0');
  if (auto E = read(Addr, llvm::MutableArrayRef<uint8_t>(
                              reinterpret_cast<uint8_t *>(S.data()), Len)))
    return E;
  return S;
}

bool Memory::isReadable(uint64_t Addr, uint64_t Size) const {
  if (!view(Addr, Size).empty())
    return true;
  std::vector<uint8_t> Tmp(std::min<uint64_t>(Size, 4096));
  if (Size > Tmp.size())
    return false;
  if (auto E = read(Addr, Tmp)) {
    dropProbeError(std::move(E)); // the answer is "no"
    return false;
  }
  return true;
}

void RegionMemory::add(uint64_t Start, llvm::ArrayRef<uint8_t> Bytes,
                       RegionSource Src, bool FileMapped) {
  if (Bytes.empty())
    return;
  // Clip against existing regions: keep only the parts nobody covers.
  uint64_t Cur = Start;
  const uint64_t End = Start + Bytes.size();
  if (End < Start)
    return; // wraps: ignore
  while (Cur < End) {
    const Region *R = find(Cur);
    if (R) {
      Cur = R->end();
      continue;
    }
    // Next region starting after Cur.
    auto Next = Regions.upper_bound(Cur);
    uint64_t PieceEnd = End;
    if (Next != Regions.end() && Next->first < PieceEnd)
      PieceEnd = Next->first;
    Region NR;
    NR.Start = Cur;
    NR.Bytes = Bytes.slice(Cur - Start, PieceEnd - Cur);
    NR.Source = Src;
    NR.FileMapped = FileMapped;
    Regions.emplace(Cur, NR);
    Cur = PieceEnd;
  }
}

const RegionMemory::Region *RegionMemory::find(uint64_t Addr) const {
  auto It = Regions.upper_bound(Addr);
  if (It == Regions.begin())
    return nullptr;
  --It;
  if (Addr >= It->second.Start && Addr < It->second.end())
    return &It->second;
  return nullptr;
}

const RegionMemory::Region *RegionMemory::next(uint64_t Addr) const {
  auto It = Regions.upper_bound(Addr);
  return It == Regions.end() ? nullptr : &It->second;
}

llvm::ArrayRef<uint8_t> RegionMemory::view(uint64_t Addr, uint64_t Size) const {
  const Region *R = find(Addr);
  if (!R || Size > R->end() - Addr)
    return {};
  return R->Bytes.slice(Addr - R->Start, Size);
}

Error RegionMemory::read(uint64_t Addr,
                         llvm::MutableArrayRef<uint8_t> Out) const {
  uint64_t Cur = Addr;
  size_t Done = 0;
  while (Done < Out.size()) {
    const Region *R = find(Cur);
    if (!R)
      return llvm::make_error<MemoryFault>(Cur, Out.size() - Done);
    uint64_t Avail = R->end() - Cur;
    size_t N = static_cast<size_t>(std::min<uint64_t>(Avail, Out.size() - Done));
    memcpy(Out.data() + Done, R->Bytes.data() + (Cur - R->Start), N);
    Done += N;
    Cur += N;
  }
  return Error::success();
}

void RegionMemory::releaseResident() const {
  static const uintptr_t Page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (const auto &KV : Regions) {
    const Region &R = KV.second;
    if (!R.FileMapped)
      continue;
    // Whole pages inside the region only: a page it shares with bytes
    // outside stays.
    const uintptr_t B = reinterpret_cast<uintptr_t>(R.Bytes.data()),
                    E = B + R.Bytes.size();
    const uintptr_t First = (B + Page - 1) & ~(Page - 1), Last = E & ~(Page - 1);
    if (First < Last)
      (void)madvise(reinterpret_cast<void *>(First), Last - First,
                    MADV_DONTNEED);
  }
}

std::vector<RegionMemory::Region> RegionMemory::regions() const {
  std::vector<Region> V;
  for (auto &KV : Regions)
    V.push_back(KV.second);
  return V;
}

void OverlayMemory::releaseResident() const {
  Front.releaseResident();
  Back->releaseResident();
}

Error OverlayMemory::read(uint64_t Addr,
                          llvm::MutableArrayRef<uint8_t> Out) const {
  uint64_t Cur = Addr;
  size_t Done = 0;
  while (Done < Out.size()) {
    const uint64_t Left = Out.size() - Done;
    size_t N;
    if (const RegionMemory::Region *R = Front.find(Cur)) {
      N = static_cast<size_t>(std::min<uint64_t>(R->end() - Cur, Left));
      memcpy(Out.data() + Done, R->Bytes.data() + (Cur - R->Start), N);
    } else {
      // Up to the next front region, from the back.
      uint64_t Gap = Left;
      if (const RegionMemory::Region *R = Front.next(Cur))
        Gap = std::min<uint64_t>(Gap, R->Start - Cur);
      N = static_cast<size_t>(Gap);
      if (auto E = Back->read(Cur, Out.slice(Done, N)))
        return E;
    }
    Done += N;
    Cur += N;
  }
  return Error::success();
}

llvm::ArrayRef<uint8_t> OverlayMemory::view(uint64_t Addr,
                                            uint64_t Size) const {
  if (llvm::ArrayRef<uint8_t> V = Front.view(Addr, Size); !V.empty())
    return V;
  // Only where no front region starts inside the range.
  if (Front.find(Addr))
    return {};
  if (const RegionMemory::Region *R = Front.next(Addr);
      R && R->Start - Addr < Size)
    return {};
  return Back->view(Addr, Size);
}

} // namespace ms
