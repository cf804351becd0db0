// Bounds-checked little-endian reads of a byte buffer (a struct copied out
// of the core, a register block, a section). Every read says whether the
// bytes were there: no read past the end, no silent zeros.
#pragma once

#include <cstdint>
#include <optional>

#include <llvm/ADT/ArrayRef.h>

namespace ms {

class ByteReader {
public:
  ByteReader() = default;
  explicit ByteReader(llvm::ArrayRef<uint8_t> Bytes) : B(Bytes) {}

  size_t size() const { return B.size(); }
  llvm::ArrayRef<uint8_t> bytes() const { return B; }
  // Whether [Off, Off+N) lies inside the buffer (no overflow).
  bool has(uint64_t Off, uint64_t N) const {
    return Off <= B.size() && N <= B.size() - Off;
  }
  // The unsigned little-endian integer of N bytes (1..8) at Off; nullopt
  // when the buffer ends before it or N is out of range.
  std::optional<uint64_t> uint(uint64_t Off, unsigned N) const {
    if (N == 0 || N > 8 || !has(Off, N))
      return std::nullopt;
    uint64_t V = 0;
    for (unsigned I = 0; I < N; ++I)
      V |= uint64_t(B[Off + I]) << (8 * I);
    return V;
  }
  std::optional<uint64_t> u64(uint64_t Off) const { return uint(Off, 8); }
  std::optional<uint32_t> u32(uint64_t Off) const {
    auto V = uint(Off, 4);
    return V ? std::optional<uint32_t>(uint32_t(*V)) : std::nullopt;
  }
  std::optional<uint16_t> u16(uint64_t Off) const {
    auto V = uint(Off, 2);
    return V ? std::optional<uint16_t>(uint16_t(*V)) : std::nullopt;
  }
  std::optional<uint8_t> u8(uint64_t Off) const {
    if (!has(Off, 1))
      return std::nullopt;
    return B[Off];
  }
  // The I-th 8-byte word (a register block, an array of pointers).
  std::optional<uint64_t> word(uint64_t I) const {
    if (I > UINT64_MAX / 8)
      return std::nullopt;
    return u64(I * 8);
  }

private:
  llvm::ArrayRef<uint8_t> B;
};

} // namespace ms
