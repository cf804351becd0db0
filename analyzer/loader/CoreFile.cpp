#include "loader/CoreFile.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Object/ELF.h>
#include <llvm/Support/DataExtractor.h>
#include <llvm/Support/FormatVariadic.h>

#include "loader/Elf.h"

namespace ms {

using namespace llvm;
using ELFT = object::ELF64LE;

namespace {
// Fixed offsets of struct elf_prstatus on 64-bit Linux.
constexpr size_t PrCursigOff = 12;
constexpr size_t PrPidOff = 32;
constexpr size_t PrRegOff = 112;
// struct elf_prpsinfo on 64-bit Linux.
constexpr size_t PsPidOff = 24, PsFnameOff = 40,
                 PsArgsOff = 56, PsSize = 136;
constexpr uint64_t MaxNtFileEntries = 1 << 20;

std::string cString(ArrayRef<uint8_t> B) {
  size_t N = 0;
  while (N < B.size() && B[N])
    ++N;
  return std::string(reinterpret_cast<const char *>(B.data()), N);
}

const char *noteTypeName(uint32_t T) {
  switch (T) {
  case ELF::NT_PRSTATUS: return "NT_PRSTATUS";
  case ELF::NT_PRPSINFO: return "NT_PRPSINFO";
  case ELF::NT_SIGINFO: return "NT_SIGINFO";
  case ELF::NT_AUXV: return "NT_AUXV";
  case ELF::NT_FILE: return "NT_FILE";
  }
  return "note";
}
} // namespace

Expected<std::unique_ptr<CoreFile>> CoreFile::open(const std::string &Path) {
  auto In = InputFile::open(Path);
  if (!In)
    return In.takeError();
  auto C = fromInput(std::move(*In));
  if (C)
    (*C)->Xattrs = readCoredumpXattrs(Path);
  return C;
}

std::string CoreTruncation::message() const {
  return llvm::formatv("core is truncated: the file has {0} bytes but its "
                       "segments end at {1}; {2} of {3} memory segments are "
                       "cut short ({4} bytes missing), and what they lack is "
                       "unknown",
                       FileSize, NeededSize, SegmentsCut, Segments,
                       MissingBytes)
      .str();
}

Expected<std::unique_ptr<CoreFile>>
CoreFile::fromInput(std::unique_ptr<InputFile> In) {
  return parseElfInput<CoreFile>(std::move(In));
}

const CoreThread *CoreFile::crashedThread() const {
  for (auto &T : Threads)
    if (T.Crashed)
      return &T;
  return nullptr;
}

std::optional<uint64_t> CoreFile::auxv(uint64_t Type) const {
  auto It = Auxv.find(Type);
  if (It == Auxv.end())
    return std::nullopt;
  return It->second;
}

Error CoreFile::parse() {
  auto Opened = openElfInput(*In, ElfRole::Core);
  if (!Opened)
    return Opened.takeError();
  A = Opened->A;
  auto &Obj = Opened->Obj;
  const std::string &P = In->path();
  StringRef Bytes = In->bytes();

  bool SawNote = false;
  CoreTruncation Cut;
  for (const auto &Ph : Opened->Phdrs) {
    if (Ph.p_type == ELF::PT_NOTE) {
      SawNote = true;
      Error Err = Error::success();
      if (Ph.p_offset > Bytes.size() || Ph.p_filesz > Bytes.size() - Ph.p_offset) {
        consumeError(std::move(Err));
        return inputError(P,
                          "note segment at offset {0} size {1} extends past the "
                          "end of the file ({2} bytes): the core is truncated",
                          hex(Ph.p_offset), hex(Ph.p_filesz), Bytes.size());
      }
      for (const auto &N : Obj.notes(Ph, Err)) {
        if (auto E = parseNote(N.getType(), N.getName(), N.getDesc()))
          Warn.add(std::move(E), noteTypeName(N.getType()));
      }
      if (Err)
        return inputError(P, "{0}", errorText(std::move(Err)));
    } else if (Ph.p_type == ELF::PT_LOAD) {
      CoreSegment S{Ph.p_vaddr, Ph.p_memsz, Ph.p_offset, Ph.p_filesz,
                    Ph.p_flags};
      if (S.FileSize > S.MemSize) {
        Warn.addf("segment at {0}: p_filesz {1} > p_memsz {2}; using p_memsz",
                  hex(S.VAddr), hex(S.FileSize), hex(S.MemSize));
        S.FileSize = S.MemSize;
      }
      if (S.FileOffset >= Bytes.size())
        S.SavedSize = 0;
      else
        S.SavedSize = std::min<uint64_t>(S.FileSize, Bytes.size() - S.FileOffset);
      if (S.FileSize) {
        CoreTruncation &T = Cut;
        ++T.Segments;
        if (S.SavedSize < S.FileSize) {
          ++T.SegmentsCut;
          T.MissingBytes += S.FileSize - S.SavedSize;
          // p_offset + p_filesz cannot wrap: libObject checked neither, so
          // saturate.
          uint64_t End = S.FileOffset + S.FileSize < S.FileOffset
                             ? UINT64_MAX
                             : S.FileOffset + S.FileSize;
          T.NeededSize = std::max(T.NeededSize, End);
        }
      }
      Segments.push_back(S);
    }
  }
  if (Cut.SegmentsCut) {
    Cut.FileSize = Bytes.size();
    Trunc = Cut;
    // One line, whatever the number of segments cut.
    Warn.add(Trunc->message());
  }
  if (!SawNote)
    return inputError(P, "core has no PT_NOTE segment");
  if (Threads.empty())
    return inputError(P, "core has no NT_PRSTATUS note (no threads)");
  Threads.front().Crashed = true;
  if (!Sig.FromSiginfo)
    Sig.Signo = Threads.front().CurSig;
  if (!Pid)
    Pid = Threads.front().Tid;

  for (const auto &S : Segments) {
    if (!S.SavedSize)
      continue;
    Mem.add(S.VAddr, In->data().slice(S.FileOffset, S.SavedSize),
            RegionSource::Core, In->fileMapped());
  }
  return Error::success();
}

Error CoreFile::parseNote(uint32_t Type, StringRef Name,
                          ArrayRef<uint8_t> Desc) {
  if (Name != "CORE" && Name != "LINUX")
    return Error::success();
  DataExtractor DE(StringRef(reinterpret_cast<const char *>(Desc.data()),
                             Desc.size()),
                   /*IsLittleEndian=*/true, 8);
  switch (Type) {
  case ELF::NT_PRSTATUS: {
    if (Name != "CORE")
      return Error::success();
    size_t Need = PrRegOff + A->prRegSize();
    if (Desc.size() < Need)
      return makeError("descriptor is {0} bytes, need {1}", Desc.size(), Need);
    CoreThread T;
    uint64_t Off = PrCursigOff;
    T.CurSig = static_cast<int16_t>(DE.getU16(&Off));
    Off = PrPidOff;
    T.Tid = static_cast<int32_t>(DE.getU32(&Off));
    auto Regs = A->parsePrRegs(Desc.slice(PrRegOff, A->prRegSize()));
    if (!Regs)
      return Regs.takeError();
    T.Regs = *Regs;
    Threads.push_back(std::move(T));
    return Error::success();
  }
  case ELF::NT_PRPSINFO: {
    if (Desc.size() < PsSize)
      return makeError("descriptor is {0} bytes, need {1}", Desc.size(), PsSize);
    uint64_t Off = PsPidOff;
    Pid = static_cast<int32_t>(DE.getU32(&Off));
    PPid = static_cast<int32_t>(DE.getU32(&Off));
    Fname = cString(Desc.slice(PsFnameOff, 16));
    PsArgs = cString(Desc.slice(PsArgsOff, 80));
    return Error::success();
  }
  case ELF::NT_SIGINFO: {
    if (Sig.FromSiginfo)
      return Error::success(); // only the first thread's signal matters
    if (Desc.size() < 24)
      return makeError("descriptor is {0} bytes, need 24", Desc.size());
    uint64_t Off = 0;
    Sig.Signo = static_cast<int32_t>(DE.getU32(&Off));
    Sig.Errno = static_cast<int32_t>(DE.getU32(&Off));
    Sig.Code = static_cast<int32_t>(DE.getU32(&Off));
    Off = 16;
    // Union: si_addr for faults, si_pid for kill/tkill (SI_USER, SI_TKILL).
    if (Sig.Code <= 0) {
      Sig.SenderPid = static_cast<int32_t>(DE.getU32(&Off));
    } else {
      Sig.Addr = DE.getU64(&Off);
    }
    Sig.FromSiginfo = true;
    return Error::success();
  }
  case ELF::NT_AUXV: {
    DataExtractor::Cursor C(0);
    while (C.tell() + 16 <= Desc.size()) {
      uint64_t K = DE.getU64(C), V = DE.getU64(C);
      if (!C)
        return C.takeError();
      if (K == 0)
        break;
      Auxv[K] = V;
    }
    return C.takeError();
  }
  case ELF::NT_FILE: {
    DataExtractor::Cursor C(0);
    uint64_t Count = DE.getU64(C);
    uint64_t PageSize = DE.getU64(C);
    if (!C)
      return C.takeError();
    if (Count > MaxNtFileEntries || Count * 24 > Desc.size())
      return makeError("NT_FILE claims {0} entries in {1} bytes", Count,
                       Desc.size());
    std::vector<MappedFile> V(Count);
    for (auto &F : V) {
      F.Start = DE.getU64(C);
      F.End = DE.getU64(C);
      F.FileOffset = DE.getU64(C) * PageSize;
    }
    for (auto &F : V)
      F.Path = DE.getCStrRef(C).str();
    if (!C)
      return C.takeError();
    Files = std::move(V);
    return Error::success();
  }
  }
  return Error::success();
}

} // namespace ms
