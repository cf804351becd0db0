// The target's address space. A read either copies every byte asked for
// or fails with a MemoryFault naming the address: never zeros for memory
// the core did not save.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>

#include "support/Error.h"

namespace ms {

class Memory {
public:
  virtual ~Memory();
  // Copies Out.size() bytes at Addr, or fails with MemoryFault.
  virtual Error read(uint64_t Addr, llvm::MutableArrayRef<uint8_t> Out) const = 0;
  // A zero-copy view when the range lies in one region; otherwise empty
  // (callers then fall back to read()).
  virtual llvm::ArrayRef<uint8_t> view(uint64_t Addr, uint64_t Size) const {
    (void)Addr;
    (void)Size;
    return {};
  }

  Expected<uint64_t> readU64(uint64_t Addr) const;
  Expected<uint32_t> readU32(uint64_t Addr) const;
  Expected<uint16_t> readU16(uint64_t Addr) const;
  Expected<uint8_t> readU8(uint64_t Addr) const;
  // Pointer-sized little-endian value (4 or 8 bytes).
  Expected<uint64_t> readUint(uint64_t Addr, unsigned Size) const;
  Expected<std::vector<uint8_t>> readBytes(uint64_t Addr, uint64_t Size) const;
  // Reads Len bytes as text; refuses lengths above MaxLen.
  Expected<std::string> readString(uint64_t Addr, uint64_t Len,
                                   uint64_t MaxLen = 1 << 20) const;
  bool isReadable(uint64_t Addr, uint64_t Size = 1) const;

  // A hint after a long pass over much of the target (a big map's walk):
  // the pages read so far may leave this process's RAM. Where the bytes
  // are a mapped file, the kernel drops them from the process and brings
  // them back from the page cache on the next access, so every view handed
  // out stays valid and reads the same bytes; elsewhere a no-op.
  virtual void releaseResident() const {}
};

// What backs a region, for reports and debugging.
enum class RegionSource { Core, Executable, Library, Other };

// A sorted set of non-overlapping regions, each backed by bytes held
// elsewhere (a mapped core or executable). Earlier-added regions win where
// they overlap later ones (the core is added before the executable).
class RegionMemory : public Memory {
public:
  struct Region {
    uint64_t Start = 0;
    llvm::ArrayRef<uint8_t> Bytes;
    RegionSource Source = RegionSource::Other;
    // Bytes lie in a read-only mapping of a file (releaseResident may
    // drop their pages); false for bytes in ordinary memory.
    bool FileMapped = false;
    uint64_t end() const { return Start + Bytes.size(); }
  };

  // Adds BYTES at START, except where an existing region already covers.
  void add(uint64_t Start, llvm::ArrayRef<uint8_t> Bytes, RegionSource Src,
           bool FileMapped = false);
  Error read(uint64_t Addr, llvm::MutableArrayRef<uint8_t> Out) const override;
  llvm::ArrayRef<uint8_t> view(uint64_t Addr, uint64_t Size) const override;
  const Region *find(uint64_t Addr) const;
  // The first region that starts after ADDR, or null.
  const Region *next(uint64_t Addr) const;
  std::vector<Region> regions() const;
  void releaseResident() const override;

private:
  std::map<uint64_t, Region> Regions; // keyed by start
};

// FRONT's bytes where it has them, BACK's everywhere else. A host's view of
// a process (a debugger's) with the executable's read-only segments laid
// over it from the file: they hold what the process mapped, and a debugger
// reading a core whose mapped files are absent answers zeros for them.
class OverlayMemory : public Memory {
public:
  OverlayMemory(RegionMemory Front, std::unique_ptr<Memory> Back)
      : Front(std::move(Front)), Back(std::move(Back)) {}
  Error read(uint64_t Addr, llvm::MutableArrayRef<uint8_t> Out) const override;
  llvm::ArrayRef<uint8_t> view(uint64_t Addr, uint64_t Size) const override;
  void releaseResident() const override;
  const RegionMemory &front() const { return Front; }
  const Memory &back() const { return *Back; }

private:
  RegionMemory Front;
  std::unique_ptr<Memory> Back;
};

} // namespace ms
