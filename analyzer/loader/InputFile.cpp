#include "loader/InputFile.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zstd.h>

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
  Error write(const void *P, size_t N) {
    const char *C = static_cast<const char *>(P);
    while (N) {
      ssize_t W = ::write(FD, C, N);
      if (W < 0)
        return makeError("writing temporary file: {0}", strerror(errno));
      C += W;
      N -= static_cast<size_t>(W);
    }
    return Error::success();
  }
  int FD = -1;
};

Error inflateZstd(llvm::StringRef Src, TempFile &Out, uint64_t MaxBytes,
                  uint64_t &Total) {
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
    Total += OutB.pos;
    if (Total > MaxBytes)
      return makeError("zstd: inflated size exceeds {0} bytes", MaxBytes);
    if (auto E = Out.write(Buf.data(), OutB.pos))
      return E;
  }
  if (Ret != 0)
    return makeError("zstd: truncated stream");
  return Error::success();
}

Error inflateXz(llvm::StringRef Src, TempFile &Out, uint64_t MaxBytes,
                uint64_t &Total) {
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
    Total += Got;
    if (Total > MaxBytes) {
      Result = makeError("xz: inflated size exceeds {0} bytes", MaxBytes);
      break;
    }
    if (auto E = Out.write(Buf.data(), Got)) {
      Result = std::move(E);
      break;
    }
    if (R == LZMA_STREAM_END)
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
} // namespace

Compression InputFile::sniff(llvm::StringRef Head) {
  if (Head.startswith("\x28\xb5\x2f\xfd"))
    return Compression::Zstd;
  if (Head.startswith(llvm::StringRef("\xfd\x37\x7a\x58\x5a\x00", 6)))
    return Compression::Xz;
  return Compression::None;
}

Expected<std::unique_ptr<llvm::MemoryBuffer>>
inflate(llvm::StringRef Src, Compression C, const std::string &Name,
        uint64_t MaxBytes) {
  TempFile T;
  if (auto E = T.create())
    return E;
  uint64_t Total = 0;
  Error E = C == Compression::Zstd ? inflateZstd(Src, T, MaxBytes, Total)
                                   : inflateXz(Src, T, MaxBytes, Total);
  if (E)
    return E;
  if (Total == 0)
    return makeError("compressed stream is empty");
  auto MB = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(T.FD), Name, Total,
      /*RequiresNullTerminator=*/false);
  if (!MB)
    return makeError("cannot map inflated data: {0}", MB.getError().message());
  return std::move(*MB);
}

Expected<std::unique_ptr<InputFile>> InputFile::open(const std::string &Path) {
  auto MB = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!MB)
    return inputError(Path, "cannot open: {0}", MB.getError().message());
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

std::unique_ptr<InputFile> InputFile::fromBytes(llvm::StringRef Bytes,
                                                std::string Name) {
  auto F = std::unique_ptr<InputFile>(new InputFile);
  F->Path = Name;
  F->Buffer = llvm::MemoryBuffer::getMemBuffer(Bytes, Name,
                                               /*RequiresNullTerminator=*/false);
  return F;
}

} // namespace ms
