#include "loader/Coredump.h"

#include <cerrno>
#include <ctime>

#include <sys/xattr.h>

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>

#include "support/Error.h"

namespace ms {

namespace {
// The attributes systemd-coredump sets, in its order.
const char *const XattrNames[] = {"exe",       "pid",    "uid",
                                  "gid",       "signal", "timestamp",
                                  "rlimit",    "hostname", "comm"};
const char *const NumericNames[] = {"pid", "uid", "gid", "signal",
                                    "timestamp", "rlimit"};
// Values are short (a path at most); anything longer is not systemd's.
constexpr size_t MaxValue = 4096;
bool isNumericName(llvm::StringRef Name) {
  for (const char *N : NumericNames)
    if (Name == N)
      return true;
  return false;
}

std::string isoTimeUs(uint64_t Us) {
  time_t T = static_cast<time_t>(Us / 1000000);
  struct tm TM;
  if (!gmtime_r(&T, &TM))
    return std::to_string(Us);
  char Buf[32];
  strftime(Buf, sizeof Buf, "%Y-%m-%dT%H:%M:%SZ", &TM);
  return Buf;
}
} // namespace

std::optional<CoredumpName> parseCoredumpName(llvm::StringRef FileName) {
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  FileName.split(Parts, '.');
  if (Parts.size() == 7) {
    llvm::StringRef Ext = Parts.back();
    if (Ext != "zst" && Ext != "xz" && Ext != "lz4")
      return std::nullopt;
    Parts.pop_back();
  }
  if (Parts.size() != 6 || Parts[0] != "core" || Parts[1].empty())
    return std::nullopt;
  CoredumpName R;
  llvm::StringRef BootId = Parts[3];
  if (BootId.size() != 32 || !llvm::all_of(BootId, llvm::isHexDigit))
    return std::nullopt;
  if (Parts[2].getAsInteger(10, R.Uid) || Parts[4].getAsInteger(10, R.Pid) ||
      Parts[5].getAsInteger(10, R.TimestampUs))
    return std::nullopt;
  // systemd escapes '.', '/', ' ' (and \ itself) as \xNN.
  llvm::StringRef C = Parts[1];
  for (size_t I = 0; I < C.size(); ++I) {
    unsigned V = 0;
    if (C[I] == '\\' && I + 3 < C.size() && C[I + 1] == 'x' &&
        !C.substr(I + 2, 2).getAsInteger(16, V)) {
      R.Comm += static_cast<char>(V);
      I += 3;
    } else {
      R.Comm += C[I];
    }
  }
  return R;
}

std::optional<std::string> CoredumpXattrs::get(llvm::StringRef Name) const {
  for (const auto &[K, V] : Values)
    if (K == Name)
      return V;
  return std::nullopt;
}

std::optional<uint64_t> CoredumpXattrs::number(llvm::StringRef Name) const {
  auto V = get(Name);
  uint64_t N = 0;
  if (!V || llvm::StringRef(*V).trim().getAsInteger(10, N))
    return std::nullopt;
  return N;
}

CoredumpXattrs readCoredumpXattrs(const std::string &Path) {
  CoredumpXattrs R;
  // One system call for the common case of a file without them.
  std::string Names(16384, '\0');
  ssize_t Len = ::listxattr(Path.c_str(), Names.data(), Names.size());
  if (Len == 0 || (Len < 0 && errno != ERANGE))
    return R;
  if (Len > 0 &&
      llvm::StringRef(Names.data(), size_t(Len)).find("user.coredump.") ==
          llvm::StringRef::npos)
    return R;
  for (const char *Name : XattrNames) {
    std::string Attr = std::string("user.coredump.") + Name;
    std::string Buf(MaxValue, '\0');
    ssize_t N = ::getxattr(Path.c_str(), Attr.c_str(), Buf.data(), Buf.size());
    if (N < 0) {
      // No such attribute, or none at all on this file system: nothing to
      // add. Any other error (a permission, a value too long) likewise
      // leaves the attribute out: they are hints.
      if (errno == ENOTSUP)
        return R;
      continue;
    }
    Buf.resize(static_cast<size_t>(N));
    // systemd writes the value without a terminating NUL; tolerate one.
    while (!Buf.empty() && Buf.back() == '\0')
      Buf.pop_back();
    R.Values.emplace_back(Name, std::move(Buf));
  }
  return R;
}

bool CoredumpXattrs::isNumeric(llvm::StringRef Name) {
  return isNumericName(Name);
}

std::string describe(const CoredumpXattrs &X) {
  std::string S;
  for (const auto &[K, V] : X.Values) {
    if (!S.empty())
      S += ", ";
    auto N = X.number(K);
    if (K == "timestamp" && N)
      S += "time " + isoTimeUs(*N);
    else if (K == "rlimit" && N && *N == CoredumpXattrs::RlimInfinity)
      S += "rlimit unlimited";
    else
      S += K + " " + V;
  }
  return S;
}

} // namespace ms
