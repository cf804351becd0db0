// Input behind a factory: memory-mapped files in production, in-memory
// bytes in tests and fuzzers. Compressed inputs (zstd, xz, lz4) are inflated
// into an unlinked temporary file and mapped, so a large core never has to
// fit in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  // Another view of an opened file's bytes, sharing them (and keeping them
  // alive): one inflated executable read by the cores that share it.
  static std::unique_ptr<InputFile> share(std::shared_ptr<const InputFile> Base);

  const std::string &path() const { return Path; }
  llvm::StringRef bytes() const { return Buffer->getBuffer(); }
  llvm::ArrayRef<uint8_t> data() const {
    return {reinterpret_cast<const uint8_t *>(bytes().data()), bytes().size()};
  }
  uint64_t size() const { return bytes().size(); }
  Compression compression() const { return Comp; }
  // The bytes are a read-only mapping of a file (the input itself or its
  // inflated copy), not memory of this process's own: their pages can be
  // dropped and read again (Memory::releaseResident).
  bool fileMapped() const;

  static Compression sniff(llvm::StringRef Head);

private:
  std::string Path;
  std::unique_ptr<llvm::MemoryBuffer> Buffer;
  Compression Comp = Compression::None;
  std::shared_ptr<const InputFile> Shared; // share(): whose bytes these are
};

// The first bytes of a file's content, inflated when it is compressed:
// enough to tell what the file is without inflating all of it. Fewer than
// N bytes when the content is shorter (or its stream is damaged early).
struct FileHead {
  Compression Comp = Compression::None;
  std::string Bytes;
};
Expected<FileHead> readHead(const std::string &Path, size_t N);

// How far inflating a compressed input may go. A compressed core can
// inflate to more than the disk holds (or claim to: a bomb): inflation
// stops with an error, leaving nothing behind (the temporary file is
// unlinked from the start), when the data passes MaxBytes or when the
// filesystem of the temporary directory would be left with less than
// Reserve bytes free.
struct InflateLimits {
  uint64_t MaxBytes = 256ull << 30; // `--max-inflate`
  // Free space left alone; 0: 1% of the filesystem, at least 64 MiB.
  uint64_t Reserve = 0;
  // The free bytes of the filesystem holding FD (fstatvfs's f_bavail):
  // tests replace it.
  std::function<Expected<uint64_t>(int FD)> FreeSpace;
  std::function<Expected<uint64_t>(int FD)> FilesystemSize;
};
// The limits InputFile::open uses; front ends set them once at start-up
// (the CLI from --max-inflate).
void setInflateLimits(InflateLimits L);
const InflateLimits &inflateLimits();
// "64G", "512M", "1.5T", "4096": a size in bytes (K, M, G, T: powers of
// 1024; an optional trailing "B" or "iB"). Nothing for anything else.
std::optional<uint64_t> parseByteSize(llvm::StringRef S);

// Inflate SRC into a temporary file and map it, within L.
Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflate(llvm::StringRef Src, Compression C, const std::string &Name,
        const InflateLimits &L);

} // namespace ms
