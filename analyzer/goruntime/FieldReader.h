// Fields of a runtime structure copied out of the target in one read (a
// type descriptor, the moduledata, a record of a table), read by offset
// through a ByteReader. A field that lies past the copy (a layout that is
// out of step with the size read) is remembered, and check() reports it as
// an error: read the fields, check, and only then use them.
#pragma once

#include <cstdint>
#include <optional>

#include <llvm/ADT/ArrayRef.h>

#include "support/ByteReader.h"
#include "support/Error.h"

namespace ms {

class FieldReader {
public:
  // What names the structure in the error ("abi.Type", "moduledata").
  FieldReader(llvm::ArrayRef<uint8_t> Bytes, const char *What)
      : R(Bytes), What(What) {}

  uint64_t u64(uint64_t Off) { return take(R.u64(Off), Off); }
  uint32_t u32(uint64_t Off) { return take(R.u32(Off), Off); }
  uint16_t u16(uint64_t Off) { return take(R.u16(Off), Off); }
  uint8_t u8(uint64_t Off) { return take(R.u8(Off), Off); }
  int32_t i32(uint64_t Off) { return static_cast<int32_t>(u32(Off)); }

  // An error naming the first field that was not in the bytes read.
  Error check() const {
    if (!Missing)
      return Error::success();
    return makeError("{0}: a field at offset {1} lies past the {2} bytes read",
                     What, *Missing, R.size());
  }

private:
  template <typename T> T take(std::optional<T> V, uint64_t Off) {
    if (!V && !Missing)
      Missing = Off;
    return V.value_or(0);
  }

  ByteReader R;
  const char *What;
  std::optional<uint64_t> Missing;
};

} // namespace ms
