#include "loader/Target.h"

#include <algorithm>

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>

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
} // namespace

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
  std::string ExePath;
  if (Opts.ExePath) {
    ExePath = *Opts.ExePath;
  } else {
    auto FromCore = exePathFromCore(*Core);
    if (!FromCore)
      return inputError(CorePath,
                        "the core names no executable (no NT_FILE note); "
                        "pass --exe");
    if (!sys::fs::exists(*FromCore))
      return inputError(CorePath,
                        "no executable given and '{0}' (named by the core's "
                        "NT_FILE note) does not exist; pass --exe",
                        *FromCore);
    ExePath = *FromCore;
  }
  auto Exe = ExeFile::open(ExePath);
  if (!Exe)
    return Exe.takeError();
  return fromFiles(std::move(Core), std::move(*Exe), Opts);
}

Expected<std::unique_ptr<Target>>
Target::fromFiles(std::unique_ptr<CoreFile> Core, std::unique_ptr<ExeFile> Exe,
                  const TargetOptions &Opts) {
  auto T = std::unique_ptr<Target>(new Target);
  T->Core = std::move(Core);
  T->Exe = std::move(Exe);
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
  T->Match.Result = ExeMatch::Verdict::Unknown;
  T->Match.Method = "host";
  T->Match.Detail = "the host provided the process and its executable";
  return T;
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
    Mem.add(R.Start, R.Bytes, RegionSource::Core);
  for (const auto &Seg : Exe->segments()) {
    ArrayRef<uint8_t> B = Exe->bytesAt(Seg.VAddr, Seg.FileSize);
    Mem.add(Seg.VAddr + Bias, B, RegionSource::Executable);
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
      Mem.add(F.Start, In.data().slice(F.FileOffset, Len), RegionSource::Library);
    }
  }
  for (const auto &W : Core->warnings().all())
    Warn.add(W);
  for (const auto &W : Exe->warnings().all())
    Warn.add(W);
  return Error::success();
}

void Target::checkMatch() {
  // 1. Build ids: the kernel saves the first page of each ELF mapping, so
  // the core holds the build-id notes of the executable that ran.
  auto Compare = [&](std::optional<uint64_t> Addr, const std::string &Id,
                     bool IsHex, const char *Method) -> bool {
    if (!Addr || Id.empty())
      return false;
    uint64_t Len = IsHex ? Id.size() / 2 : Id.size();
    ArrayRef<uint8_t> Saved = Core->memory().view(*Addr + Bias, Len);
    if (Saved.empty())
      return false;
    std::string Got;
    if (IsHex) {
      static const char D[] = "0123456789abcdef";
      for (uint8_t C : Saved) {
        Got += D[C >> 4];
        Got += D[C & 15];
      }
    } else {
      Got.assign(reinterpret_cast<const char *>(Saved.data()), Saved.size());
    }
    Match.Method = Method;
    if (Got == Id) {
      Match.Result = ExeMatch::Verdict::Match;
      Match.Detail = "build id " + Id + " found in the core";
    } else {
      Match.Result = ExeMatch::Verdict::Mismatch;
      Match.Detail = "the core's build id differs from the executable's " + Id;
    }
    return true;
  };
  if (Compare(Exe->goBuildIdAddr(), Exe->goBuildId(), false, "go build id"))
    return;
  if (Compare(Exe->gnuBuildIdAddr(), Exe->gnuBuildId(), true, "gnu build id"))
    return;

  // 2. The core's record of the executable's mapping: its file-backed
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
