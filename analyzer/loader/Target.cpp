#include "loader/Target.h"

#include <algorithm>
#include <cstring>

#include <llvm/ADT/StringExtras.h>

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/Path.h>

#include "loader/Debuginfod.h"

namespace ms {

using namespace llvm;

namespace {
constexpr size_t MaxLibraries = 512;

const MappedFile *mappingContaining(const CoreFile &C, uint64_t Addr) {
  for (auto &F : C.mappedFiles())
    if (Addr >= F.Start && Addr < F.End)
      return &F;
  return nullptr;
}
// A build id as the executable states it: hex digits of a GNU note's
// bytes, or the Go build id's text.
std::string idText(ArrayRef<uint8_t> Bytes, bool IsHex) {
  if (!IsHex)
    return std::string(Bytes.begin(), Bytes.end());
  return toHex(Bytes, /*LowerCase=*/true);
}

// Match's verdict from the build id read in Where ("the core"), whose
// holder is Whose ("the core's"), against the executable's Id (compared
// as Method).
void judgeBuildId(ExeMatch &Match, ArrayRef<uint8_t> Read, bool IsHex,
                  const std::string &Id, const char *Method,
                  const char *Where, const char *Whose) {
  Match.Method = Method;
  if (idText(Read, IsHex) == Id) {
    Match.Result = ExeMatch::Verdict::Match;
    Match.Detail = "build id " + Id + " found in " + Where;
  } else {
    Match.Result = ExeMatch::Verdict::Mismatch;
    Match.Detail =
        std::string(Whose) + " build id differs from the executable's " + Id;
  }
}
} // namespace

namespace {
// The note segments of the executable, read from the copy of its first
// page the core holds: the ELF header lies where the mapping holding the
// program headers (AT_PHDR) starts. The Go linker's PT_NOTE covers only
// .note.go.buildid and puts .note.gnu.build-id right after it, outside
// any PT_NOTE: notes that follow the segment in the same page are read
// too, up to the first thing that is not a well-formed note.
void readNotes(const Memory &M, uint64_t Addr, uint64_t Size, CoreExeIds &R) {
  constexpr uint64_t MaxNotes = 1 << 16, Page = 4096;
  Size = std::min(Size, MaxNotes);
  uint64_t PageEnd = (Addr + Size + Page - 1) & ~(Page - 1);
  ArrayRef<uint8_t> D = M.view(Addr, PageEnd - Addr);
  std::vector<uint8_t> Copy;
  if (D.empty()) {
    auto B = M.readBytes(Addr, Size);
    if (!B) {
      consumeError(B.takeError());
      return;
    }
    Copy = std::move(*B);
    D = Copy;
  }
  auto Align4 = [](uint64_t N) { return (N + 3) & ~uint64_t(3); };
  constexpr uint32_t MaxName = 64, MaxDesc = 4096;
  uint64_t Off = 0;
  while (D.size() >= 12) {
    uint32_t NameSz = support::endian::read32le(D.data());
    uint32_t DescSz = support::endian::read32le(D.data() + 4);
    uint32_t Type = support::endian::read32le(D.data() + 8);
    if (NameSz > MaxName || DescSz > MaxDesc)
      return;
    uint64_t NameEnd = 12 + Align4(NameSz);
    uint64_t End = NameEnd + Align4(DescSz);
    if (End > D.size())
      return;
    StringRef Name(reinterpret_cast<const char *>(D.data() + 12), NameSz);
    // Past the segment, only notes with a NUL-terminated name.
    if (Off >= Size && (NameSz == 0 || Name.back() != '\0'))
      return;
    ArrayRef<uint8_t> Desc = D.slice(NameEnd, DescSz);
    Name = Name.rtrim('\0');
    if (Name == "GNU" && Type == ELF::NT_GNU_BUILD_ID && R.Gnu.empty())
      R.Gnu = toHex(Desc, /*LowerCase=*/true);
    else if (Name == "Go" && Type == 4 && R.Go.empty()) // ELF_NOTE_GOBUILDID_TAG
      R.Go = StringRef(reinterpret_cast<const char *>(Desc.data()), Desc.size())
                 .rtrim('\0')
                 .str();
    D = D.drop_front(End);
    Off += End;
  }
}
} // namespace

std::string CoreExeIds::describe() const {
  if (Gnu.empty() && Go.empty())
    return "the core holds no build id of its executable";
  std::string S;
  if (!Gnu.empty())
    S = "GNU build id " + Gnu;
  if (!Go.empty())
    S += (S.empty() ? "" : ", ") + std::string("Go build id ") + Go;
  return S;
}

CoreExeIds exeIdsFromCore(const CoreFile &C) {
  CoreExeIds R;
  auto Phdr = C.auxv(AuxvPhdr);
  if (!Phdr)
    return R;
  const RegionMemory &M = C.memory();
  std::vector<uint64_t> Heads;
  if (auto *F = mappingContaining(C, *Phdr); F && F->FileOffset == 0)
    Heads.push_back(F->Start);
  if (*Phdr >= sizeof(ELF::Elf64_Ehdr))
    Heads.push_back(*Phdr - sizeof(ELF::Elf64_Ehdr));
  for (uint64_t H : Heads) {
    ArrayRef<uint8_t> E = M.view(H, sizeof(ELF::Elf64_Ehdr));
    if (E.empty() || memcmp(E.data(), ELF::ElfMagic, 4) ||
        E[ELF::EI_CLASS] != ELF::ELFCLASS64)
      continue;
    uint64_t PhOff = support::endian::read64le(E.data() + 32);
    uint16_t PhEnt = support::endian::read16le(E.data() + 54);
    uint16_t PhNum = support::endian::read16le(E.data() + 56);
    if (H + PhOff != *Phdr || PhEnt != sizeof(ELF::Elf64_Phdr) || PhNum > 256)
      continue;
    auto Ph = M.readBytes(*Phdr, uint64_t(PhNum) * PhEnt);
    if (!Ph) {
      consumeError(Ph.takeError());
      continue;
    }
    for (uint16_t I = 0; I < PhNum; ++I) {
      const uint8_t *P = Ph->data() + size_t(I) * PhEnt;
      if (support::endian::read32le(P) != ELF::PT_NOTE)
        continue;
      uint64_t Off = support::endian::read64le(P + 8);
      uint64_t Size = support::endian::read64le(P + 32);
      if (H + Off < H)
        continue;
      readNotes(M, H + Off, Size, R);
    }
    if (!R.Gnu.empty() || !R.Go.empty())
      break;
  }
  return R;
}

ExeSearch locateExecutable(const CoreFile &C, const TargetOptions &Opts) {
  ExeSearch S;
  auto IsFile = [](const std::string &P) {
    sys::fs::file_status St;
    return !sys::fs::status(P, St) && sys::fs::is_regular_file(St);
  };
  if (auto X = C.coredumpXattrs().exe()) {
    if (IsFile(*X)) {
      S.Found = ExeLocation{*X, "user.coredump.exe", ""};
      return S;
    }
    S.Tried.push_back("user.coredump.exe '" + *X + "' does not exist");
  }
  if (auto P = exePathFromCore(C)) {
    if (IsFile(*P)) {
      S.Found = ExeLocation{*P, "NT_FILE", ""};
      return S;
    }
    S.Tried.push_back("the NT_FILE path '" + *P + "' does not exist");
  } else {
    S.Tried.push_back("the core names no executable (no NT_FILE note)");
  }
  if (!Opts.Debuginfod)
    return S;
  CoreExeIds Ids = exeIdsFromCore(C);
  if (Ids.Gnu.empty()) {
    S.Tried.push_back(
        "debuginfod needs a GNU build id: " + Ids.describe() +
        (Ids.Go.empty() ? std::string()
                        : " (Go before 1.24 writes one with -ldflags=-B=gobuildid)"));
    return S;
  }
  DebuginfodOptions DO;
  DO.Progress = Opts.DebuginfodProgress;
  auto F = debuginfodExecutable(Ids.Gnu, DO);
  if (!F) {
    S.Tried.push_back("debuginfod, for GNU build id " + Ids.Gnu + ": " +
                      errorText(F.takeError()));
    return S;
  }
  S.Found = ExeLocation{F->Path, "debuginfod", F->Url};
  return S;
}

std::optional<std::string> exePathFromCore(const CoreFile &C) {
  if (auto Entry = C.auxv(AuxvEntry))
    if (auto *F = mappingContaining(C, *Entry))
      return F->Path;
  if (!C.mappedFiles().empty())
    return C.mappedFiles().front().Path;
  return std::nullopt;
}

Expected<std::unique_ptr<Target>> Target::open(const std::string &CorePath,
                                               const TargetOptions &Opts) {
  auto Core = CoreFile::open(CorePath);
  if (!Core)
    return Core.takeError();
  return open(std::move(*Core), Opts);
}

Expected<std::unique_ptr<Target>> Target::open(std::unique_ptr<CoreFile> Core,
                                               const TargetOptions &Opts) {
  const std::string CorePath = Core->path();
  TargetOptions O = Opts;
  if (!O.ExePath) {
    ExeSearch S = locateExecutable(*Core, O);
    if (!S.Found)
      return inputError(CorePath, "no executable: {0}; pass --exe",
                        llvm::join(S.Tried, "; "));
    O.ExePath = S.Found->Path;
    O.ExeSource = S.Found->Source;
    O.ExeUrl = S.Found->Url;
  }
  auto Exe = ExeFile::open(*O.ExePath);
  if (!Exe)
    return Exe.takeError();
  return fromFiles(std::move(Core), std::move(*Exe), O);
}

Expected<std::unique_ptr<Target>>
Target::fromFiles(std::unique_ptr<CoreFile> Core, std::unique_ptr<ExeFile> Exe,
                  const TargetOptions &Opts) {
  auto T = std::unique_ptr<Target>(new Target);
  T->Core = std::move(Core);
  T->Exe = std::move(Exe);
  T->ExeSource = Opts.ExeSource.empty() ? "--exe" : Opts.ExeSource;
  T->ExeUrl = Opts.ExeUrl;
  if (auto E = T->setUp(Opts))
    return E;
  return T;
}

Expected<std::unique_ptr<Target>> Target::fromLive(LiveProcess P,
                                                  std::unique_ptr<ExeFile> Exe) {
  if (!P.Mem)
    return makeError("live process without memory");
  auto T = std::unique_ptr<Target>(new Target);
  T->Exe = std::move(Exe);
  T->Live = std::move(P);
  if (T->Live->Threads.empty())
    return makeError("{0} has no threads", T->Live->Description);
  bool AnyCrashed = false;
  for (const auto &Th : T->Live->Threads)
    AnyCrashed |= Th.Crashed;
  if (!AnyCrashed)
    T->Live->Threads.front().Crashed = true;
  if (T->Live->LoadBias) {
    T->Bias = *T->Live->LoadBias;
  } else if (T->Exe->isPIE()) {
    auto It = T->Live->Auxv.find(AuxvEntry);
    if (It != T->Live->Auxv.end())
      T->Bias = It->second - T->Exe->entry();
    else
      T->Warn.add("no load bias given for a PIE executable; assuming 0");
  }
  // Named by the caller, as with --exe (reports of a host's process and of
  // its core file are the same).
  T->ExeSource = "--exe";
  T->checkLiveMatch();
  if (T->Match.Result == ExeMatch::Verdict::Mismatch)
    return inputError(T->Exe->path(), "does not match {0}: {1} ({2})",
                      T->Live->Description, T->Match.Detail, T->Match.Method);
  // The executable's read-only segments come from the file, the rest from
  // the host. Nothing writes to them at run time, and a host may not have
  // them: a debugger reading a core whose mapped files are gone (the core
  // analysed away from the machine that crashed) answers zeros there.
  RegionMemory Front;
  for (const auto &Seg : T->Exe->segments())
    if (!(Seg.Flags & ELF::PF_W))
      Front.add(Seg.VAddr + T->Bias, T->Exe->bytesAt(Seg.VAddr, Seg.FileSize),
                RegionSource::Executable);
  T->Live->Mem =
      std::make_unique<OverlayMemory>(std::move(Front), std::move(T->Live->Mem));
  return T;
}

Expected<std::unique_ptr<Target>>
Target::fromExecutable(std::unique_ptr<ExeFile> Exe, uint64_t Bias,
                       std::string Description, std::string ExeSource) {
  auto T = std::unique_ptr<Target>(new Target);
  T->Exe = std::move(Exe);
  T->Bias = Bias;
  T->ExeSource = ExeSource.empty() ? "--exe" : std::move(ExeSource);
  auto Mem = std::make_unique<RegionMemory>();
  for (const auto &Seg : T->Exe->segments())
    Mem->add(Seg.VAddr + Bias, T->Exe->bytesAt(Seg.VAddr, Seg.FileSize),
             RegionSource::Executable);
  LiveProcess P;
  P.Mem = std::move(Mem);
  P.Description = std::move(Description);
  P.LoadBias = Bias;
  T->Live = std::move(P);
  T->Match.Result = ExeMatch::Verdict::Unknown;
  T->Match.Method = "none";
  T->Match.Detail = "a crash log holds no build id to compare";
  return T;
}

void Target::checkLiveMatch() {
  // The build ids in the host's memory (the first page of the executable's
  // mapping holds the notes). Unreadable, or all zeros (a host answering
  // zeros for what it does not have), decides nothing.
  Match.Result = ExeMatch::Verdict::Unknown;
  Match.Method = "host";
  Match.Detail = "the host provided the process and its executable";
  auto Compare = [&](std::optional<uint64_t> Addr, const std::string &Id,
                     bool IsHex, const char *Method) -> bool {
    if (!Addr || Id.empty())
      return false;
    uint64_t Len = IsHex ? Id.size() / 2 : Id.size();
    auto InHost = Live->Mem->readBytes(*Addr + Bias, Len);
    if (!InHost) {
      consumeError(InHost.takeError());
      return false;
    }
    if (std::all_of(InHost->begin(), InHost->end(),
                    [](uint8_t C) { return C == 0; }))
      return false;
    judgeBuildId(Match, *InHost, IsHex, Id, Method,
                 "the process's memory", "the process's");
    return true;
  };
  if (Compare(Exe->goBuildIdAddr(), Exe->goBuildId(), false, "go build id"))
    return;
  Compare(Exe->gnuBuildIdAddr(), Exe->gnuBuildId(), true, "gnu build id");
}

const std::vector<CoreThread> &Target::threads() const {
  return Live ? Live->Threads : Core->threads();
}
const CoreSignal &Target::signal() const {
  return Live ? Live->Signal : Core->signal();
}
const std::vector<MappedFile> &Target::mappedFiles() const {
  return Live ? Live->Files : Core->mappedFiles();
}
int Target::pid() const { return Live ? Live->Pid : Core->pid(); }
std::string Target::description() const {
  return Live ? Live->Description : Core->path();
}

const MappedFile *Target::exeMapping() const {
  if (!Core)
    return nullptr;
  // The mapping at file offset 0 that holds the ELF header of the
  // executable: AT_PHDR lies in it.
  if (auto Phdr = Core->auxv(AuxvPhdr))
    if (auto *F = mappingContaining(*Core, *Phdr))
      return F;
  if (auto Entry = Core->auxv(AuxvEntry))
    if (auto *F = mappingContaining(*Core, *Entry))
      return F;
  return nullptr;
}

Error Target::setUp(const TargetOptions &Opts) {
  if (Exe->arch().elfMachine() != Core->arch().elfMachine())
    return inputError(Exe->path(),
                      "executable is for {0} but the core '{1}' is {2}",
                      Exe->arch().goName(), Core->path(),
                      Core->arch().goName());
  // Load bias. Non-PIE executables load at their link addresses.
  Bias = 0;
  if (Exe->isPIE()) {
    if (auto Entry = Core->auxv(AuxvEntry)) {
      Bias = *Entry - Exe->entry();
    } else if (auto Phdr = Core->auxv(AuxvPhdr)) {
      Bias = *Phdr - Exe->phdrVAddr();
    } else {
      Warn.add("core has no NT_AUXV: cannot compute the PIE load bias; "
               "assuming 0");
    }
  }
  checkMatch();
  if (Match.Result == ExeMatch::Verdict::Mismatch) {
    if (!Opts.Force)
      return inputError(Exe->path(),
                        "does not match the core '{0}': {1} ({2}); use --force "
                        "to analyze anyway",
                        Core->path(), Match.Detail, Match.Method);
    Warn.addf("executable does not match the core ({0}: {1}); analyzing "
              "anyway because of --force",
              Match.Method, Match.Detail);
  }

  // Address space: the core's saved memory first, then the executable's
  // file-backed segments at the bias, then libraries from disk.
  for (const auto &R : Core->memory().regions())
    Mem.add(R.Start, R.Bytes, RegionSource::Core, R.FileMapped);
  // What a truncated core lost of a writable segment is unknown: the
  // file's bytes there are the initial values, not the process's. (Lost
  // read-only bytes are the file's, which the files may supply.)
  std::vector<std::pair<uint64_t, uint64_t>> Lost;
  for (const auto &S : Core->segments())
    if ((S.Flags & ELF::PF_W) && S.SavedSize < S.FileSize &&
        S.VAddr + S.FileSize > S.VAddr)
      Lost.push_back({S.VAddr + S.SavedSize, S.VAddr + S.FileSize});
  std::sort(Lost.begin(), Lost.end());
  auto AddFileBytes = [&](uint64_t Start, ArrayRef<uint8_t> B,
                          RegionSource Src) {
    uint64_t Cur = Start;
    const uint64_t End = Start + B.size();
    if (End < Start)
      return;
    for (const auto &[Lo, Hi] : Lost) {
      if (Hi <= Cur || Lo >= End)
        continue;
      if (Lo > Cur)
        Mem.add(Cur, B.slice(Cur - Start, Lo - Cur), Src);
      Cur = std::max(Cur, Hi);
      if (Cur >= End)
        return;
    }
    Mem.add(Cur, B.slice(Cur - Start), Src);
  };
  for (const auto &Seg : Exe->segments()) {
    ArrayRef<uint8_t> B = Exe->bytesAt(Seg.VAddr, Seg.FileSize);
    AddFileBytes(Seg.VAddr + Bias, B, RegionSource::Executable);
  }
  if (Opts.LoadLibraries) {
    const MappedFile *ExeMap = exeMapping();
    std::string ExeMapPath = ExeMap ? ExeMap->Path : std::string();
    for (const auto &F : Core->mappedFiles()) {
      if (Libs.size() >= MaxLibraries)
        break;
      if (F.Path == ExeMapPath || F.Path.empty() || F.Path[0] != '/' ||
          StringRef(F.Path).startswith("/dev/") ||
          StringRef(F.Path).endswith(" (deleted)"))
        continue;
      // Only worth it where the core saved nothing.
      if (Core->memory().find(F.Start))
        continue;
      std::unique_ptr<InputFile> *Have = nullptr;
      for (size_t I = 0; I < LibPaths.size(); ++I)
        if (LibPaths[I] == F.Path)
          Have = &Libs[I];
      if (!Have) {
        sys::fs::file_status St;
        if (sys::fs::status(F.Path, St) || !sys::fs::is_regular_file(St))
          continue;
        auto In = InputFile::open(F.Path);
        if (!In) {
          Warn.add(In.takeError(), "mapped file");
          continue;
        }
        Libs.push_back(std::move(*In));
        LibPaths.push_back(F.Path);
        Have = &Libs.back();
      }
      const InputFile &In = **Have;
      if (F.FileOffset >= In.size())
        continue;
      uint64_t Len = std::min<uint64_t>(F.End - F.Start, In.size() - F.FileOffset);
      AddFileBytes(F.Start, In.data().slice(F.FileOffset, Len),
                   RegionSource::Library);
    }
  }
  for (const auto &W : Core->warnings().all())
    Warn.add(W);
  for (const auto &W : Exe->warnings().all())
    Warn.add(W);
  return Error::success();
}

SavedBytesCheck Target::compareSavedBytes() const {
  // The kernel saves the first page of every ELF mapping (and, with a wider
  // coredump_filter, whole file-backed mappings). Where the core holds
  // bytes of a read-only segment of the executable, they must be the
  // executable's bytes: nothing writes there at run time. Writable
  // segments (.data, .bss, RELRO) legitimately differ and are skipped.
  SavedBytesCheck R;
  constexpr uint64_t MaxCompared = 64ull << 20; // bound the work
  constexpr uint64_t MaxDiffering = 1 << 16;

  // What `strip` rewrites while keeping the program (so that a stripped
  // copy of the right executable still matches): the ELF header's
  // section-header fields, the section header table (which Go places in
  // the first page), and the file offsets and sizes in the program headers
  // (a segment loses trailing bytes, an empty one moves). File offsets, in the executable and in the copy
  // of the header the core saved.
  std::vector<std::pair<uint64_t, uint64_t>> Skip = {{40, 48}, {60, 64}};
  auto AddShdrTable = [&](ArrayRef<uint8_t> Ehdr) {
    if (Ehdr.size() < 64)
      return;
    uint64_t ShOff = support::endian::read64le(Ehdr.data() + 40);
    uint64_t ShEnt = support::endian::read16le(Ehdr.data() + 58);
    uint64_t ShNum = support::endian::read16le(Ehdr.data() + 60);
    if (ShOff < (1ull << 48))
      Skip.push_back({ShOff, ShOff + std::max<uint64_t>(ShEnt, 64) * ShNum});
  };
  ArrayRef<uint8_t> XBytes = Exe->input().data();
  AddShdrTable(XBytes.take_front(64));
  if (XBytes.size() >= 64) {
    uint64_t PhOff = support::endian::read64le(XBytes.data() + 32);
    uint64_t PhNum = support::endian::read16le(XBytes.data() + 56);
    for (uint64_t I = 0; I < PhNum && I < 64; ++I) {
      uint64_t O = PhOff + 56 * I;
      if (O + 56 < O || O + 56 > XBytes.size())
        break;
      Skip.push_back({O + 8, O + 16});  // p_offset
      Skip.push_back({O + 32, O + 40}); // p_filesz
    }
  }
  for (const auto &Seg : Exe->segments())
    if (Seg.Offset == 0 && Seg.FileSize >= 64)
      AddShdrTable(Core->memory().view(Seg.VAddr + Bias, 64));
  auto Skipped = [&](uint64_t Off) {
    for (const auto &[Lo, Hi] : Skip)
      if (Off >= Lo && Off < Hi)
        return true;
    return false;
  };

  for (const auto &Seg : Exe->segments()) {
    if (Seg.Flags & ELF::PF_W)
      continue;
    ArrayRef<uint8_t> File = Exe->bytesAt(Seg.VAddr, Seg.FileSize);
    if (File.empty())
      continue;
    const uint64_t Lo = Seg.VAddr + Bias;
    if (Lo + File.size() < Lo)
      continue; // wraps
    for (const auto &Reg : Core->memory().regions()) {
      if (R.Compared >= MaxCompared)
        return R;
      uint64_t A = std::max(Lo, Reg.Start),
               B = std::min(Lo + File.size(), Reg.end());
      if (A >= B)
        continue;
      B = std::min(B, A + (MaxCompared - R.Compared));
      const uint8_t *C = Reg.Bytes.data() + (A - Reg.Start);
      const uint8_t *X = File.data() + (A - Lo);
      const uint64_t Off0 = Seg.Offset + (A - Lo); // file offset of A
      for (uint64_t I = 0; I < B - A; ++I) {
        // Equal blocks at memcmp speed; byte by byte only where they differ.
        if (I % 4096 == 0) {
          uint64_t N = std::min<uint64_t>(4096, B - A - I);
          if (std::memcmp(C + I, X + I, N) == 0) {
            I += N - 1;
            continue;
          }
        }
        if (C[I] == X[I] || Skipped(Off0 + I))
          continue;
        if (!R.Differing)
          R.FirstDifference = A + I;
        if (++R.Differing >= MaxDiffering) {
          R.Compared += I + 1;
          return R; // enough to decide
        }
      }
      R.Compared += B - A;
    }
  }
  return R;
}

void Target::checkMatch() {
  Saved = compareSavedBytes();
  checkIds();
  // Matching build ids, yet the core's copy of the executable's read-only
  // bytes differs: a patched or damaged copy, not the program that ran.
  if (Saved.Differing && Match.Result != ExeMatch::Verdict::Mismatch) {
    Match.Result = ExeMatch::Verdict::Mismatch;
    Match.Method = "saved bytes";
    Match.Detail = llvm::formatv("{0} of the {1} bytes of the executable's "
                                 "read-only segments that the core saved "
                                 "differ, the first at {2}",
                                 Saved.Differing, Saved.Compared,
                                 hex(Saved.FirstDifference))
                       .str();
  }
}

void Target::checkIds() {
  // 1. Build ids: the kernel saves the first page of each ELF mapping, so
  // the core holds the build-id notes of the executable that ran.
  auto Compare = [&](std::optional<uint64_t> Addr, const std::string &Id,
                     bool IsHex, const char *Method) -> bool {
    if (!Addr || Id.empty())
      return false;
    uint64_t Len = IsHex ? Id.size() / 2 : Id.size();
    ArrayRef<uint8_t> InCore = Core->memory().view(*Addr + Bias, Len);
    if (InCore.empty())
      return false;
    judgeBuildId(Match, InCore, IsHex, Id, Method, "the core",
                 "the core's");
    return true;
  };
  if (Compare(Exe->goBuildIdAddr(), Exe->goBuildId(), false, "go build id"))
    return;
  if (Compare(Exe->gnuBuildIdAddr(), Exe->gnuBuildId(), true, "gnu build id"))
    return;

  // 2. The bytes the core saved of the executable's read-only segments
  // (the first page holds the ELF and program headers).
  if (Saved.Compared >= 256 && !Saved.Differing) {
    Match.Result = ExeMatch::Verdict::Match;
    Match.Method = "saved bytes";
    Match.Detail = llvm::formatv("the {0} bytes of the executable's read-only "
                                 "segments that the core saved are the "
                                 "executable's",
                                 Saved.Compared)
                       .str();
    return;
  }

  // 3. The core's record of the executable's mapping: its file-backed
  // first segment must have the size of our first PT_LOAD.
  const MappedFile *M = exeMapping();
  if (M && !Exe->segments().empty()) {
    const auto &S0 = Exe->segments().front();
    uint64_t Page = 4096;
    uint64_t Want = ((S0.VAddr + S0.MemSize + Page - 1) & ~(Page - 1)) -
                    (S0.VAddr & ~(Page - 1));
    Match.Method = "mapped file size";
    if (M->End - M->Start == Want && M->Start == ((S0.VAddr + Bias) & ~(Page - 1))) {
      Match.Result = ExeMatch::Verdict::Match;
      Match.Detail = "first segment maps at " + hex(M->Start) + " with the "
                     "executable's size";
    } else {
      Match.Result = ExeMatch::Verdict::Mismatch;
      Match.Detail = "the core maps " + M->Path + " at " + hex(M->Start) + "-" +
                     hex(M->End) + ", which does not fit the executable's "
                     "first segment";
    }
    return;
  }
  Match.Result = ExeMatch::Verdict::Unknown;
  Match.Method = "none";
  Match.Detail = "the core has neither the build id page nor an NT_FILE entry "
                 "for the executable";
}

} // namespace ms
