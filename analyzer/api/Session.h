// The public library API: everything a front end (the CLI, the Python
// module, the gdb plugin, batch analysis) needs, and nothing more. A
// Session is one analyzed process: a core file with its executable, or a
// live process held by a host (a debugger) that hands over its memory and
// threads. Results come as report models (report/*.h) that writers turn
// into text or JSON.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loader/Target.h"
#include "report/Analysis.h"
#include "report/Stacks.h"
#include "report/Summary.h"
#include "support/Error.h"

namespace ms {

class GoProgram;
struct GoroutineSet;
class Unwinder;

// How a session finds and checks the executable: loader/Target.h's
// options. Default ExePath: the executable the core points to
// (locateExecutable: user.coredump.exe, NT_FILE, then debuginfod).
using SessionOptions = TargetOptions;

struct CrashLogOptions {
  std::optional<std::string> Exe; // none: what the log alone gives
  std::string ExeSource;          // how Exe was found ("--exe" when empty)
  bool Force = false;             // the log's frames are not the exe's
};

// Whether PATH is a crash log: text holding the Go runtime's fatal output
// (loader/CrashLog.h).
bool isCrashLog(const std::string &Path);
// The report of a crash log, with its executable when given: the fault,
// the faulting and racing goroutines' frames, the map's address and type
// and the key as far as the printed text and the executable's code say.
Expected<AnalysisReport> analyzeCrashLog(const std::string &Path,
                                         const CrashLogOptions &O = {});

class Session {
public:
  // A core file (plain, .zst or .xz).
  static Expected<std::unique_ptr<Session>> openCore(const std::string &Core,
                                                     const SessionOptions &O = {});
  // A core already opened, e.g. by a caller that read it to choose the
  // executable (batch analysis).
  static Expected<std::unique_ptr<Session>>
  openCore(std::unique_ptr<CoreFile> Core, const SessionOptions &O = {});
  // ... with its executable already opened too (O.Exe then only names it:
  // batch analysis keeps inflated executables for the cores that share
  // them).
  static Expected<std::unique_ptr<Session>>
  openCore(std::unique_ptr<CoreFile> Core, std::unique_ptr<ExeFile> Exe,
           const SessionOptions &O = {});
  // A process held by a host: memory and thread registers from it, the
  // executable from disk.
  static Expected<std::unique_ptr<Session>> openLive(LiveProcess P,
                                                     const std::string &Exe);
  // The architecture of an executable (plain, .zst or .xz): for a host
  // that names registers (Arch::regByName) before calling openLive.
  static Expected<const Arch *> archOf(const std::string &Exe);
  ~Session();

  // What the core and executable are (works for any ELF core, Go or not).
  InfoReport info() const;
  // The Go runtime model is loaded on first use of the calls below; an
  // error when the executable is not a supported Go program.
  Expected<GoroutinesReport> goroutines(bool WithStacks,
                                        const std::vector<int64_t> &Only = {});
  Expected<AnalysisReport> analyze();

  // One thread's stack unwound from registers the host reads now, for a
  // debugger that learns registers one thread at a time (gdb's frame
  // unwinder): the frames goroutines() reports for a thread with these
  // registers (system-stack frames first, then its goroutine's), found
  // with the goroutines and Ms read when the session first needed them.
  // Tid need not be one of the threads the session was opened with.
  Expected<StackReport> threadStack(int Tid, const RegisterSet &Regs);

  const Target &target() const { return *T; }

private:
  Session() = default;
  static Expected<std::unique_ptr<Session>>
  fromTarget(Expected<std::unique_ptr<Target>> T, std::string CorePath);
  Error loadRuntime();

  std::unique_ptr<Target> T;
  std::unique_ptr<GoProgram> P;
  std::unique_ptr<GoroutineSet> GS;
  std::unique_ptr<Unwinder> U;
  std::vector<std::string> RuntimeWarnings;
  std::string CorePath;
};

} // namespace ms
