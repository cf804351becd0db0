// Input behind a factory: memory-mapped files in production, in-memory
// bytes in tests and fuzzers. Compressed inputs (zstd, xz, lz4) are inflated
// into an unlinked temporary file and mapped, so a large core never has to
// fit in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/MemoryBuffer.h>

#include "support/Error.h"

namespace ms {

enum class Compression { None, Zstd, Xz, Lz4 };

// "none", "zstd", "xz", "lz4".
llvm::StringRef compressionName(Compression C);
// Whether this build reads lz4 (liblz4 was found at configure time).
bool haveLz4();

class InputFile {
public:
  // Maps PATH; inflates it first when it is zstd, xz or lz4 (frame
  // format) compressed.
  static Expected<std::unique_ptr<InputFile>> open(const std::string &Path);
  // Wraps bytes held elsewhere (tests, fuzzers, callers with their own
  // buffers). The bytes must outlive the InputFile.
  static std::unique_ptr<InputFile> fromBytes(llvm::StringRef Bytes,
                                              std::string Name);

  const std::string &path() const { return Path; }
  llvm::StringRef bytes() const { return Buffer->getBuffer(); }
  llvm::ArrayRef<uint8_t> data() const {
    return {reinterpret_cast<const uint8_t *>(bytes().data()), bytes().size()};
  }
  uint64_t size() const { return bytes().size(); }
  Compression compression() const { return Comp; }

  static Compression sniff(llvm::StringRef Head);

private:
  std::string Path;
  std::unique_ptr<llvm::MemoryBuffer> Buffer;
  Compression Comp = Compression::None;
};

// The first bytes of a file's content, inflated when it is compressed:
// enough to tell what the file is without inflating all of it. Fewer than
// N bytes when the content is shorter (or its stream is damaged early).
struct FileHead {
  Compression Comp = Compression::None;
  std::string Bytes;
};
Expected<FileHead> readHead(const std::string &Path, size_t N);

// Inflate SRC into a temporary file and map it. Bounded by MaxBytes.
Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflate(llvm::StringRef Src, Compression C, const std::string &Name,
        uint64_t MaxBytes);

} // namespace ms
