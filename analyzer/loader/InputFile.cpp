#include "loader/InputFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <lzma.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zstd.h>
#if MAPSLEUTH_HAVE_LZ4
#include <lz4frame.h>
#endif

#include <llvm/Support/Errno.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/Path.h>

namespace ms {

namespace {
InflateLimits &limits() {
  static InflateLimits L;
  return L;
}

Expected<struct statvfs> statFs(int FD) {
  struct statvfs S;
  if (::fstatvfs(FD, &S) != 0)
    return makeError("cannot tell the free space of the temporary "
                     "directory: {0}",
                     llvm::sys::StrError());
  return S;
}

Expected<uint64_t> freeSpaceOf(int FD) {
  auto S = statFs(FD);
  if (!S)
    return S.takeError();
  return uint64_t(S->f_bavail) * S->f_frsize;
}

Expected<uint64_t> filesystemSizeOf(int FD) {
  auto S = statFs(FD);
  if (!S)
    return S.takeError();
  return uint64_t(S->f_blocks) * S->f_frsize;
}

std::string mib(uint64_t N) {
  return llvm::formatv("{0} MiB", (N + (1 << 20) - 1) >> 20).str();
}

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
  // Consecutive pages that are not all zeros go out in one write.
  Error write(const void *P, size_t N) {
    const char *C = static_cast<const char *>(P);
    const char *Run = C; // the pages not yet written, from Run to C
    uint64_t RunAt = Offset;
    while (N) {
      size_t InPage = Page - static_cast<size_t>(Offset % Page);
      size_t Len = std::min(N, InPage);
      if (Len == Page && isZero(C, Len)) {
        if (auto E = writeAt(Run, static_cast<size_t>(C - Run), RunAt))
          return E;
        Run = C + Len;
        RunAt = Offset + Len;
      }
      C += Len;
      N -= Len;
      Offset += Len;
    }
    return writeAt(Run, static_cast<size_t>(C - Run), RunAt);
  }
  // Bytes written so far that take disk blocks (zero pages are holes).
  uint64_t stored() const { return Stored; }
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
    Stored += N;
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
  uint64_t Stored = 0;
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
  bool Pending = false;
  // Keep calling while input remains, or while the decoder says the frame
  // is not finished and the last call made progress (more may be pending
  // inside it: a full output buffer, or a block decoded per call).
  while (In.pos < In.size || Pending) {
    ZSTD_outBuffer OutB{Buf.data(), Buf.size(), 0};
    const size_t InBefore = In.pos;
    Ret = ZSTD_decompressStream(DS.get(), &OutB, &In);
    if (ZSTD_isError(Ret))
      return makeError("zstd: {0}", ZSTD_getErrorName(Ret));
    Pending = Ret != 0 && (OutB.pos > 0 || In.pos > InBefore);
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

void setInflateLimits(InflateLimits L) { limits() = std::move(L); }
const InflateLimits &inflateLimits() { return limits(); }

std::optional<uint64_t> parseByteSize(llvm::StringRef S) {
  S = S.trim();
  llvm::StringRef Num = S.take_while(
      [](char C) { return (C >= '0' && C <= '9') || C == '.'; });
  const std::string Unit = S.drop_front(Num.size()).lower();
  static const struct {
    const char *Name;
    unsigned Shift;
  } Units[] = {{"", 0},    {"b", 0},    {"k", 10},   {"kb", 10},
               {"kib", 10}, {"m", 20},   {"mb", 20},  {"mib", 20},
               {"g", 30},   {"gb", 30},  {"gib", 30}, {"t", 40},
               {"tb", 40},  {"tib", 40}};
  const auto *U = std::find_if(std::begin(Units), std::end(Units),
                               [&](const auto &X) { return Unit == X.Name; });
  if (U == std::end(Units) || Num.empty() || Num == "." || Num.count('.') > 1)
    return std::nullopt;
  auto [Int, Frac] = Num.split('.');
  uint64_t Whole = 0, F = 0, Scale = 1;
  if ((!Int.empty() && Int.getAsInteger(10, Whole)) || Frac.size() > 6 ||
      (!Frac.empty() && Frac.getAsInteger(10, F)))
    return std::nullopt;
  if (Whole > (UINT64_MAX >> U->Shift))
    return std::nullopt;
  for (size_t I = 0; I < Frac.size(); ++I)
    Scale *= 10;
  return (Whole << U->Shift) +
         static_cast<uint64_t>(
             (static_cast<unsigned __int128>(F) << U->Shift) / Scale);
}

Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflate(llvm::StringRef Src, Compression C, const std::string &Name,
        const InflateLimits &L) {
  TempFile T;
  if (auto E = T.create())
    return E;
  auto Free = L.FreeSpace ? L.FreeSpace : freeSpaceOf;
  uint64_t Reserve = L.Reserve;
  if (!Reserve) {
    auto Size = (L.FilesystemSize ? L.FilesystemSize : filesystemSizeOf)(T.FD);
    if (!Size)
      return Size.takeError();
    Reserve = std::max<uint64_t>(64ull << 20, *Size / 100);
  }
  // Before anything is written, then every CheckEvery bytes stored: the
  // space can also go to other processes meanwhile.
  constexpr uint64_t CheckEvery = 32ull << 20;
  uint64_t NextCheck = 0;
  auto CheckSpace = [&]() -> Error {
    auto F = Free(T.FD);
    if (!F)
      return F.takeError();
    if (*F < Reserve + CheckEvery)
      return makeError("stopped inflating ({0} MiB stored so far): the "
                       "temporary directory's filesystem has {1} free, less "
                       "than the {2} kept free (set TMPDIR to a larger one)",
                       T.stored() >> 20, mib(*F), mib(Reserve));
    return Error::success();
  };
  uint64_t Total = 0;
  auto ToFile = [&](llvm::StringRef Chunk, bool &) -> Error {
    Total += Chunk.size();
    if (Total > L.MaxBytes)
      return makeError("{0}: inflates to more than {1} bytes (the limit; "
                       "--max-inflate raises it)",
                       compressionName(C), L.MaxBytes);
    if (T.stored() >= NextCheck) {
      if (auto E = CheckSpace())
        return E;
      NextCheck = T.stored() + CheckEvery;
    }
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
  auto Inflated = inflate((*MB)->getBuffer(), F->Comp, Path, inflateLimits());
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

bool InputFile::fileMapped() const {
  if (Shared)
    return Shared->fileMapped();
  return Buffer->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap;
}

std::unique_ptr<InputFile>
InputFile::share(std::shared_ptr<const InputFile> Base) {
  auto F = fromBytes(Base->bytes(), Base->path());
  F->Comp = Base->Comp;
  F->Shared = std::move(Base);
  return F;
}

} // namespace ms
