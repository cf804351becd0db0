#include "loader/InputFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zstd.h>
#if MAPSLEUTH_HAVE_LZ4
#include <lz4frame.h>
#endif

#include <llvm/Support/Errno.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>

namespace ms {

namespace {
// 256 GiB: a bound on what we inflate from an untrusted stream.
constexpr uint64_t MaxInflated = 256ull << 30;

class TempFile {
public:
  ~TempFile() {
    if (FD >= 0)
      ::close(FD);
  }
  Error create() {
    llvm::SmallString<128> Path;
    if (auto EC = llvm::sys::fs::createTemporaryFile("mapsleuth", "raw", FD,
                                                     Path))
      return makeError("cannot create a temporary file: {0}", EC.message());
    ::unlink(Path.c_str()); // anonymous from now on
    return Error::success();
  }
  // Writes at the end of what was written so far. Whole pages of zeros are
  // skipped, not written: the file stays sparse (a Go core is mostly
  // untouched heap; an 8 GB corpus inflates to 0.3 GB of blocks), and
  // finish() sets the length, so the holes read back as zeros.
  Error write(const void *P, size_t N) {
    const char *C = static_cast<const char *>(P);
    while (N) {
      size_t InPage = Page - static_cast<size_t>(Offset % Page);
      size_t Len = std::min(N, InPage);
      if (!(Len == Page && isZero(C, Len)))
        if (auto E = writeAt(C, Len, Offset))
          return E;
      C += Len;
      N -= Len;
      Offset += Len;
    }
    return Error::success();
  }
  Error finish() {
    if (::ftruncate(FD, static_cast<off_t>(Offset)) != 0)
      return makeError("writing temporary file: {0}", llvm::sys::StrError());
    return Error::success();
  }
  int FD = -1;

private:
  static constexpr size_t Page = 4096;
  static bool isZero(const char *C, size_t N) {
    static const char Zeros[Page] = {};
    return std::memcmp(C, Zeros, N) == 0;
  }
  Error writeAt(const char *C, size_t N, uint64_t At) {
    while (N) {
      ssize_t W = ::pwrite(FD, C, N, static_cast<off_t>(At));
      if (W < 0) {
        if (errno == EINTR)
          continue;
        // (llvm::sys::StrError: strerror is not thread-safe.)
        return makeError("writing temporary file: {0}", llvm::sys::StrError());
      }
      C += W;
      N -= static_cast<size_t>(W);
      At += static_cast<uint64_t>(W);
    }
    return Error::success();
  }
  uint64_t Offset = 0;
};

// Where a decoder puts what it inflates. Setting Stop ends decoding early
// (a reader that only wants the first bytes); the stream is then not
// checked for truncation.
using Sink = llvm::function_ref<Error(llvm::StringRef Chunk, bool &Stop)>;

Error decodeZstd(llvm::StringRef Src, Sink Out) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream *)> DS(
      ZSTD_createDStream(), ZSTD_freeDStream);
  if (!DS)
    return makeError("zstd: out of memory");
  ZSTD_initDStream(DS.get());
  std::vector<char> Buf(ZSTD_DStreamOutSize());
  ZSTD_inBuffer In{Src.data(), Src.size(), 0};
  size_t Ret = 1;
  bool OutputFull = false;
  // Keep calling while input remains or the last call filled the output
  // buffer (more may be pending inside the decoder).
  while (In.pos < In.size || OutputFull) {
    ZSTD_outBuffer OutB{Buf.data(), Buf.size(), 0};
    Ret = ZSTD_decompressStream(DS.get(), &OutB, &In);
    if (ZSTD_isError(Ret))
      return makeError("zstd: {0}", ZSTD_getErrorName(Ret));
    OutputFull = OutB.pos == OutB.size;
    bool Stop = false;
    if (auto E = Out(llvm::StringRef(Buf.data(), OutB.pos), Stop))
      return E;
    if (Stop)
      return Error::success();
  }
  if (Ret != 0)
    return makeError("zstd: truncated stream");
  return Error::success();
}

Error decodeXz(llvm::StringRef Src, Sink Out) {
  lzma_stream S = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&S, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return makeError("xz: cannot start decoder");
  std::vector<uint8_t> Buf(1 << 16);
  S.next_in = reinterpret_cast<const uint8_t *>(Src.data());
  S.avail_in = Src.size();
  Error Result = Error::success();
  for (;;) {
    S.next_out = Buf.data();
    S.avail_out = Buf.size();
    lzma_ret R = lzma_code(&S, LZMA_FINISH);
    size_t Got = Buf.size() - S.avail_out;
    bool Stop = false;
    if (auto E = Out(llvm::StringRef(reinterpret_cast<char *>(Buf.data()), Got),
                     Stop)) {
      Result = std::move(E);
      break;
    }
    if (Stop || R == LZMA_STREAM_END)
      break;
    if (R != LZMA_OK) {
      Result = makeError(
          "xz: {0}", R == LZMA_BUF_ERROR ? "truncated stream"
                     : R == LZMA_DATA_ERROR ? "corrupt data"
                     : R == LZMA_FORMAT_ERROR ? "not an xz stream"
                                              : "decoder error");
      break;
    }
  }
  lzma_end(&S);
  return Result;
}

#if MAPSLEUTH_HAVE_LZ4
// The LZ4 frame format (what the lz4 tool writes); concatenated frames are
// read one after the other.
Error decodeLz4(llvm::StringRef Src, Sink Out) {
  LZ4F_dctx *Ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&Ctx, LZ4F_VERSION)))
    return makeError("lz4: cannot start decoder");
  std::unique_ptr<LZ4F_dctx, size_t (*)(LZ4F_dctx *)> Guard(
      Ctx, LZ4F_freeDecompressionContext);
  std::vector<char> Buf(1 << 16);
  const char *In = Src.data();
  size_t Left = Src.size();
  size_t Hint = 1;   // 0 when the last call finished a frame
  bool Full = false; // the last call filled the output: more may be pending
  while (Left || Full) {
    size_t OutSize = Buf.size(), InSize = Left;
    Hint = LZ4F_decompress(Ctx, Buf.data(), &OutSize, In, &InSize, nullptr);
    if (LZ4F_isError(Hint))
      return makeError("lz4: {0}", LZ4F_getErrorName(Hint));
    In += InSize;
    Left -= InSize;
    Full = OutSize == Buf.size();
    bool Stop = false;
    if (auto E = Out(llvm::StringRef(Buf.data(), OutSize), Stop))
      return E;
    if (Stop || (Hint == 0 && !Left))
      return Error::success();
    if (InSize == 0 && OutSize == 0)
      break;
  }
  if (Hint != 0)
    return makeError("lz4: truncated stream");
  return Error::success();
}
#endif

Error decode(llvm::StringRef Src, Compression C, Sink Out) {
  switch (C) {
  case Compression::Zstd:
    return decodeZstd(Src, Out);
  case Compression::Xz:
    return decodeXz(Src, Out);
  case Compression::Lz4:
#if MAPSLEUTH_HAVE_LZ4
    return decodeLz4(Src, Out);
#else
    return makeError("lz4: this mapsleuth was built without liblz4");
#endif
  case Compression::None:
    break;
  }
  return makeError("not a compressed stream");
}

Expected<std::unique_ptr<llvm::MemoryBuffer>> mapFile(const std::string &Path) {
  auto MB = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!MB)
    return inputError(Path, "cannot open: {0}", MB.getError().message());
  return std::move(*MB);
}
} // namespace

Compression InputFile::sniff(llvm::StringRef Head) {
  if (Head.startswith("\x28\xb5\x2f\xfd"))
    return Compression::Zstd;
  if (Head.startswith(llvm::StringRef("\xfd\x37\x7a\x58\x5a\x00", 6)))
    return Compression::Xz;
  if (Head.startswith("\x04\x22\x4d\x18"))
    return Compression::Lz4;
  return Compression::None;
}

llvm::StringRef compressionName(Compression C) {
  switch (C) {
  case Compression::None:
    return "none";
  case Compression::Zstd:
    return "zstd";
  case Compression::Xz:
    return "xz";
  case Compression::Lz4:
    return "lz4";
  }
  return "?";
}

bool haveLz4() { return MAPSLEUTH_HAVE_LZ4 != 0; }

Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflate(llvm::StringRef Src, Compression C, const std::string &Name,
        uint64_t MaxBytes) {
  TempFile T;
  if (auto E = T.create())
    return E;
  uint64_t Total = 0;
  auto ToFile = [&](llvm::StringRef Chunk, bool &) -> Error {
    Total += Chunk.size();
    if (Total > MaxBytes)
      return makeError("{0}: inflated size exceeds {1} bytes",
                       compressionName(C), MaxBytes);
    return T.write(Chunk.data(), Chunk.size());
  };
  if (auto E = decode(Src, C, ToFile))
    return E;
  if (Total == 0)
    return makeError("compressed stream is empty");
  if (auto E = T.finish())
    return E;
  auto MB = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(T.FD), Name, Total,
      /*RequiresNullTerminator=*/false);
  if (!MB)
    return makeError("cannot map inflated data: {0}", MB.getError().message());
  return std::move(*MB);
}

Expected<std::unique_ptr<InputFile>> InputFile::open(const std::string &Path) {
  auto MB = mapFile(Path);
  if (!MB)
    return MB.takeError();
  auto F = std::unique_ptr<InputFile>(new InputFile);
  F->Path = Path;
  F->Comp = sniff((*MB)->getBuffer().take_front(8));
  if (F->Comp == Compression::None) {
    F->Buffer = std::move(*MB);
    return F;
  }
  auto Inflated = inflate((*MB)->getBuffer(), F->Comp, Path, MaxInflated);
  if (!Inflated)
    return inputError(Path, "cannot decompress: {0}",
                      errorText(Inflated.takeError()));
  F->Buffer = std::move(*Inflated);
  return F;
}

Expected<FileHead> readHead(const std::string &Path, size_t N) {
  auto MB = mapFile(Path);
  if (!MB)
    return MB.takeError();
  llvm::StringRef All = (*MB)->getBuffer();
  FileHead H;
  H.Comp = InputFile::sniff(All.take_front(8));
  if (H.Comp == Compression::None) {
    H.Bytes = All.take_front(N).str();
    return H;
  }
  auto Keep = [&](llvm::StringRef Chunk, bool &Stop) -> Error {
    H.Bytes.append(Chunk.data(), std::min(Chunk.size(), N - H.Bytes.size()));
    Stop = H.Bytes.size() >= N;
    return Error::success();
  };
  if (auto E = decode(All, H.Comp, Keep)) {
    // A stream damaged after its first bytes still tells what it holds.
    if (H.Bytes.empty())
      return inputError(Path, "cannot decompress: {0}",
                        errorText(std::move(E)));
    llvm::consumeError(std::move(E));
  }
  return H;
}

std::unique_ptr<InputFile> InputFile::fromBytes(llvm::StringRef Bytes,
                                                std::string Name) {
  auto F = std::unique_ptr<InputFile>(new InputFile);
  F->Path = Name;
  F->Buffer = llvm::MemoryBuffer::getMemBuffer(Bytes, Name,
                                               /*RequiresNullTerminator=*/false);
  return F;
}

} // namespace ms
