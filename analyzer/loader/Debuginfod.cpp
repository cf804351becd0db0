#include "loader/Debuginfod.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/raw_ostream.h>

#if __has_include(<elfutils/debuginfod.h>)
#include <elfutils/debuginfod.h>
#define MS_HAVE_DEBUGINFOD_H 1
#endif

namespace ms {

namespace {

// The part of libdebuginfod's API used here (elfutils/debuginfod.h, 0.179
// and later). With the header installed (libdebuginfod-dev) the types are
// checked against it below.
struct Client;
using BeginFn = Client *(*)();
using EndFn = void (*)(Client *);
using FindFn = int (*)(Client *, const unsigned char *, int, char **);
using ProgressFn = int (*)(Client *, long, long);
using SetProgressFn = void (*)(Client *, ProgressFn);
using SetUserDataFn = void (*)(Client *, void *);
using GetUserDataFn = void *(*)(Client *);
using GetUrlFn = const char *(*)(Client *);
constexpr const char *Soname = "libdebuginfod.so.1";

#ifdef MS_HAVE_DEBUGINFOD_H
static_assert(std::is_same_v<decltype(&debuginfod_find_executable),
                             int (*)(debuginfod_client *, const unsigned char *,
                                     int, char **)>);
static_assert(std::is_same_v<debuginfod_progressfn_t,
                             int (*)(debuginfod_client *, long, long)>);
static_assert(std::is_same_v<decltype(&debuginfod_get_url),
                             const char *(*)(debuginfod_client *)>);
#endif

struct Library {
  void *Handle = nullptr;
  std::string Error;
  BeginFn Begin = nullptr;
  EndFn End = nullptr;
  FindFn FindExecutable = nullptr;
  SetProgressFn SetProgress = nullptr;
  SetUserDataFn SetUserData = nullptr;
  GetUserDataFn GetUserData = nullptr;
  GetUrlFn GetUrl = nullptr;
};

const Library &library() {
  static Library L;
  static std::once_flag Once;
  std::call_once(Once, [] {
    L.Handle = ::dlopen(Soname, RTLD_NOW | RTLD_LOCAL);
    if (!L.Handle) {
      const char *E = ::dlerror();
      L.Error = std::string(Soname) + " cannot be loaded (" +
                (E ? E : "unknown error") + "; Debian package libdebuginfod1)";
      return;
    }
    auto Sym = [&](const char *Name) { return ::dlsym(L.Handle, Name); };
    L.Begin = reinterpret_cast<BeginFn>(Sym("debuginfod_begin"));
    L.End = reinterpret_cast<EndFn>(Sym("debuginfod_end"));
    L.FindExecutable =
        reinterpret_cast<FindFn>(Sym("debuginfod_find_executable"));
    L.SetProgress =
        reinterpret_cast<SetProgressFn>(Sym("debuginfod_set_progressfn"));
    L.SetUserData =
        reinterpret_cast<SetUserDataFn>(Sym("debuginfod_set_user_data"));
    L.GetUserData =
        reinterpret_cast<GetUserDataFn>(Sym("debuginfod_get_user_data"));
    L.GetUrl = reinterpret_cast<GetUrlFn>(Sym("debuginfod_get_url"));
    if (!L.Begin || !L.End || !L.FindExecutable || !L.SetProgress ||
        !L.SetUserData || !L.GetUserData || !L.GetUrl)
      L.Error = std::string(Soname) +
                " lacks the functions of elfutils 0.179 and later";
  });
  return L;
}

// Downloads from 1 MiB on count as large.
constexpr long LargeDownload = 1 << 20;

struct ProgressState {
  const Library *L = nullptr;
  std::string BuildId;
  bool Tty = false;
  bool Announced = false; // a large download: something was printed
  std::chrono::steady_clock::time_point Last{};
  long Total = 0, Done = 0;
  std::string Url;
};

std::string mib(long Bytes) {
  return llvm::formatv("{0:f1} MiB", Bytes / 1048576.0).str();
}

int onProgress(Client *C, long Done, long Total) {
  auto *S = static_cast<ProgressState *>(library().GetUserData(C));
  if (!S)
    return 0;
  S->Done = Done;
  if (Total > 0)
    S->Total = Total;
  if (S->Url.empty())
    if (const char *U = S->L->GetUrl(C))
      S->Url = U;
  if (std::max(S->Total, Done) < LargeDownload)
    return 0;
  auto Now = std::chrono::steady_clock::now();
  if (!S->Announced) {
    S->Announced = true;
    llvm::errs() << (S->Tty ? "\r\x1b[K" : "")
                 << "mapsleuth: debuginfod: downloading the executable with "
                    "build id "
                 << S->BuildId;
    if (S->Total > 0)
      llvm::errs() << " (" << mib(S->Total) << ")";
    if (!S->Url.empty())
      llvm::errs() << " from " << S->Url;
    llvm::errs() << (S->Tty ? "" : "\n");
    llvm::errs().flush();
    S->Last = Now;
    return 0;
  }
  if (S->Tty && Now - S->Last >= std::chrono::milliseconds(100)) {
    S->Last = Now;
    llvm::errs() << "\r\x1b[Kmapsleuth: debuginfod: " << S->BuildId << ": "
                 << mib(Done);
    if (S->Total > 0)
      llvm::errs() << " of " << mib(S->Total)
                   << llvm::formatv(" ({0}%)", Done * 100 / S->Total);
    llvm::errs().flush();
  }
  return 0;
}

std::string errnoText(int E) {
  if (E == ENOENT)
    return "no server has it (404)";
  if (E == ENOSYS)
    return "no server configured";
  if (E == ETIME || E == ETIMEDOUT)
    return "the servers did not answer in time (DEBUGINFOD_TIMEOUT)";
  return std::strerror(E);
}

} // namespace

Expected<DebuginfodFile> debuginfodExecutable(llvm::StringRef HexBuildId,
                                              const DebuginfodOptions &O) {
  const char *Urls = std::getenv("DEBUGINFOD_URLS");
  if (!Urls || llvm::StringRef(Urls).trim().empty())
    return makeError("DEBUGINFOD_URLS is not set (no server to ask)");
  if (HexBuildId.empty() || HexBuildId.size() % 2 ||
      !llvm::all_of(HexBuildId, llvm::isHexDigit))
    return makeError("'{0}' is not a hexadecimal build id",
                     HexBuildId);
  const Library &L = library();
  if (!L.Error.empty())
    return makeError("{0}", L.Error);
  Client *C = L.Begin();
  if (!C)
    return makeError("cannot start a libdebuginfod client");
  ProgressState S;
  S.L = &L;
  S.BuildId = HexBuildId.lower();
  S.Tty = ::isatty(STDERR_FILENO);
  if (O.Progress) {
    L.SetUserData(C, &S);
    L.SetProgress(C, onProgress);
  }
  char *Path = nullptr;
  std::string Id = S.BuildId;
  int Fd = L.FindExecutable(
      C, reinterpret_cast<const unsigned char *>(Id.c_str()), 0, &Path);
  const char *U = L.GetUrl(C);
  std::string Url = U ? U : S.Url;
  L.End(C);
  if (S.Announced && S.Tty)
    llvm::errs() << "\r\x1b[K";
  if (Fd < 0) {
    free(Path);
    if (S.Announced)
      llvm::errs().flush();
    return makeError("{0} (servers: {1})", errnoText(-Fd),
                     llvm::StringRef(Urls).trim());
  }
  DebuginfodFile F;
  struct stat St;
  if (::fstat(Fd, &St) == 0)
    F.Size = static_cast<uint64_t>(St.st_size);
  ::close(Fd);
  F.Path = Path ? Path : "";
  free(Path);
  F.Url = Url;
  if (S.Announced) {
    llvm::errs() << "mapsleuth: debuginfod: fetched " << mib(long(F.Size))
                 << " into " << F.Path << "\n";
    llvm::errs().flush();
  }
  if (F.Path.empty())
    return makeError("libdebuginfod returned no cache path");
  return F;
}

} // namespace ms
