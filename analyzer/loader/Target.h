// A core file paired with its executable: the load bias, whether they
// belong together, and one address space over the core's saved memory,
// the executable's file-backed segments and mapped libraries found on disk.
#pragma once

#include <memory>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loader/CoreFile.h"
#include "loader/ExeFile.h"
#include "support/Memory.h"
#include "support/Warnings.h"

namespace ms {

struct ExeMatch {
  enum class Verdict { Match, Mismatch, Unknown };
  Verdict Result = Verdict::Unknown;
  std::string Method; // "go build id", "gnu build id", "saved bytes",
                      // "mapped file size"
  std::string Detail;
};

// The comparison of the executable's read-only segments with the bytes of
// them that the core saved.
struct SavedBytesCheck {
  uint64_t Compared = 0, Differing = 0;
  uint64_t FirstDifference = 0; // runtime address
};

// Without ExePath, the executable is looked for as locateExecutable()
// says.
struct TargetOptions {
  std::optional<std::string> ExePath;
  // How ExePath was chosen, for the report ("--exe" when empty).
  std::string ExeSource;
  std::string ExeUrl; // debuginfod: where ExePath came from
  bool Force = false;                 // analyze a mismatched executable
  bool LoadLibraries = true;          // map NT_FILE libraries found on disk
  bool Debuginfod = true;             // ask debuginfod as a last resort
  bool DebuginfodProgress = false;    // large downloads' progress on stderr
};

// The build ids the core holds of its executable: the kernel saves the
// first page of every ELF mapping, where the executable's note segment
// lies. Empty when the core lacks that page.
struct CoreExeIds {
  std::string Gnu; // NT_GNU_BUILD_ID, lowercase hex
  std::string Go;  // the Go build id note ("Go", type 4)
  // "GNU build id 1234..., Go build id abc/def/..." or a sentence saying
  // there is none.
  std::string describe() const;
};
CoreExeIds exeIdsFromCore(const CoreFile &C);

// Where the executable of a core was found.
struct ExeLocation {
  std::string Path;
  std::string Source; // "user.coredump.exe", "NT_FILE", "debuginfod"
  std::string Url;    // debuginfod: the server's URL (empty: from its cache)
};
struct ExeSearch {
  std::optional<ExeLocation> Found;
  std::vector<std::string> Tried; // what did not give one, in order
};
// The executable the core itself points to, in this order: the path in
// systemd-coredump's user.coredump.exe attribute, the path in its NT_FILE
// note, when they exist on this machine; then (Opts.Debuginfod) the
// debuginfod servers, by the GNU build id the core holds.
ExeSearch locateExecutable(const CoreFile &C, const TargetOptions &Opts);

// A process held by a host that already has it (a debugger), instead of a
// core file: its memory and threads come through callbacks.
struct LiveProcess {
  std::unique_ptr<Memory> Mem;
  std::vector<CoreThread> Threads; // the one that stopped first: Crashed
  int Pid = 0;
  CoreSignal Signal;
  std::vector<MappedFile> Files;
  std::map<uint64_t, uint64_t> Auxv;     // AT_ENTRY gives the PIE bias
  std::optional<uint64_t> LoadBias;      // overrides the auxv
  std::string Description = "live process";
};

class Target {
public:
  static Expected<std::unique_ptr<Target>> open(const std::string &CorePath,
                                                const TargetOptions &Opts);
  // A core already opened (a caller that read it to choose the executable).
  static Expected<std::unique_ptr<Target>> open(std::unique_ptr<CoreFile> Core,
                                                const TargetOptions &Opts);
  static Expected<std::unique_ptr<Target>>
  fromFiles(std::unique_ptr<CoreFile> Core, std::unique_ptr<ExeFile> Exe,
            const TargetOptions &Opts);

  // A target over a live process's memory and threads.
  static Expected<std::unique_ptr<Target>> fromLive(LiveProcess P,
                                                    std::unique_ptr<ExeFile> Exe);

  // An executable alone, loaded at BIAS, for what a crash log names: the
  // file's segments are the only memory and there are no threads. Its
  // writable segments hold their initial values, which only the link-time
  // constants (moduledata) may be read from. DESCRIPTION names the input
  // ("crash.log"); EXESOURCE says how the executable was found.
  static Expected<std::unique_ptr<Target>>
  fromExecutable(std::unique_ptr<ExeFile> Exe, uint64_t Bias,
                 std::string Description, std::string ExeSource);

  // The core file; only when hasCore().
  const CoreFile &core() const { return *Core; }
  bool hasCore() const { return Core != nullptr; }
  const ExeFile &exe() const { return *Exe; }
  const Arch &arch() const { return Exe->arch(); }
  uint64_t loadBias() const { return Bias; }
  const ExeMatch &match() const { return Match; }
  const Memory &memory() const {
    return Live ? static_cast<const Memory &>(*Live->Mem) : Mem;
  }
  // Threads, signal, mapped files and pid: from the core or the host.
  const std::vector<CoreThread> &threads() const;
  const CoreSignal &signal() const;
  const std::vector<MappedFile> &mappedFiles() const;
  int pid() const;
  // "core.1234" or the host's description of the process.
  std::string description() const;
  const SavedBytesCheck &savedBytes() const { return Saved; }
  // The core-backed address space (empty for a live target).
  const RegionMemory &regionMemory() const { return Mem; }
  const Warnings &warnings() const { return Warn; }
  // The NT_FILE entries of the executable itself.
  const MappedFile *exeMapping() const;
  std::vector<std::string> loadedLibraries() const { return LibPaths; }
  // How the executable was found: "--exe" (named by the caller: --exe,
  // the Python module's exe=, a host), "user.coredump.exe", "NT_FILE",
  // "debuginfod", a batch rule; and the debuginfod URL it came from.
  const std::string &exeSource() const { return ExeSource; }
  const std::string &exeUrl() const { return ExeUrl; }

private:
  Target() = default;
  Error setUp(const TargetOptions &Opts);
  void checkMatch();
  void checkIds();
  void checkLiveMatch();
  SavedBytesCheck compareSavedBytes() const;

  std::unique_ptr<CoreFile> Core;
  std::optional<LiveProcess> Live;
  std::unique_ptr<ExeFile> Exe;
  std::vector<std::unique_ptr<InputFile>> Libs;
  std::vector<std::string> LibPaths;
  uint64_t Bias = 0;
  std::string ExeSource, ExeUrl;
  ExeMatch Match;
  SavedBytesCheck Saved;
  RegionMemory Mem;
  Warnings Warn;
};

// The executable path the core's NT_FILE note names (the mapping that
// contains AT_ENTRY), if any.
std::optional<std::string> exePathFromCore(const CoreFile &C);

} // namespace ms
