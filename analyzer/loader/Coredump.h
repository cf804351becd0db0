// What systemd-coredump records about a core besides its bytes: the file
// name it gives it and the extended attributes it sets on the file
// (src/coredump/coredump.c, fix_xattr). Both are hints about the process
// that crashed; the core's own notes stay the reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llvm/ADT/StringRef.h>

namespace ms {

// core.COMM.UID.BOOTID.PID.TIMESTAMP[.zst|.xz|.lz4], TIMESTAMP in
// microseconds since the epoch, COMM with '.', '/' and ' ' escaped \xNN.
struct CoredumpName {
  std::string Comm;
  int64_t Uid = 0, Pid = 0;
  int64_t TimestampUs = 0;
};
std::optional<CoredumpName> parseCoredumpName(llvm::StringRef FileName);

// The user.coredump.* extended attributes, as systemd-coredump writes
// them: the crash's %P %u %g %s %t %c %h from the kernel's core pattern
// (the timestamp in microseconds), the command name and /proc/PID/exe.
struct CoredumpXattrs {
  // In the order systemd sets them: (name without "user.coredump.", value).
  std::vector<std::pair<std::string, std::string>> Values;

  bool empty() const { return Values.empty(); }
  std::optional<std::string> get(llvm::StringRef Name) const;
  // The value as a decimal number; none when absent or not a number.
  std::optional<uint64_t> number(llvm::StringRef Name) const;
  std::optional<std::string> exe() const { return get("exe"); }
  std::optional<std::string> comm() const { return get("comm"); }
  // Whether NAME's value is a number in reports (pid, uid, signal, ...).
  static bool isNumeric(llvm::StringRef Name);
  // The rlimit value that means "unlimited" (RLIM_INFINITY).
  static constexpr uint64_t RlimInfinity = ~0ull;
};

// The attributes of PATH (the file itself, compressed or not). Empty when
// it has none, or its file system does not keep user attributes.
CoredumpXattrs readCoredumpXattrs(const std::string &Path);

// JSON: report/Json.h.
// One line: "exe /usr/bin/x, pid 1234, uid 1000, ...".
std::string describe(const CoredumpXattrs &X);

} // namespace ms
