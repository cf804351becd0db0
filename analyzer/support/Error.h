// Errors are values with context. Everything that can fail returns
// llvm::Expected<T> or llvm::Error; errors become exit codes only in main.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/FormatVariadic.h>

namespace ms {

using llvm::Error;
using llvm::Expected;

// A plain error with a formatted message (llvm::formatv syntax: "{0}").
template <typename... Ts>
Error makeError(const char *Fmt, Ts &&...Vals) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv(Fmt, std::forward<Ts>(Vals)...).str());
}

// "0x1f" for an address or any unsigned quantity shown to a person.
std::string hex(uint64_t V);

// A read of memory that the target did not provide (not in the core,
// not in the executable, not in a mapped library). Carries the address,
// so callers can decide whether it is fatal or only a warning.
class MemoryFault : public llvm::ErrorInfo<MemoryFault> {
public:
  static char ID;
  MemoryFault(uint64_t Addr, uint64_t Size, std::string Why = {})
      : Addr(Addr), Size(Size), Why(std::move(Why)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
  uint64_t address() const { return Addr; }
  uint64_t size() const { return Size; }

private:
  uint64_t Addr;
  uint64_t Size;
  std::string Why;
};

// Input that is not what it claims (corrupt, truncated, wrong format,
// unsupported). Front ends turn it into exit status 1.
class InputError : public llvm::ErrorInfo<InputError> {
public:
  static char ID;
  InputError(std::string File, std::string Msg)
      : File(std::move(File)), Msg(std::move(Msg)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
  const std::string &file() const { return File; }
  const std::string &detail() const { return Msg; }

private:
  std::string File;
  std::string Msg;
};

template <typename... Ts>
Error inputError(std::string File, const char *Fmt, Ts &&...Vals) {
  return llvm::make_error<InputError>(
      std::move(File), llvm::formatv(Fmt, std::forward<Ts>(Vals)...).str());
}

// Prefix an error's message with context ("reading g.sched: ...").
Error addContext(Error E, const llvm::Twine &Context);

template <typename T>
Expected<T> addContext(Expected<T> V, const llvm::Twine &Context) {
  if (V)
    return V;
  return addContext(V.takeError(), Context);
}

// Probes: a read or lookup whose failure means "not this one", by design
// (a candidate address that is not mapped, a frame without a line table
// entry). The error is dropped on purpose, and the call says so; a failure
// that loses a fact the report should mention belongs in Warnings instead.
inline void dropProbeError(Error E) { llvm::consumeError(std::move(E)); }
// The value of a probe, or nullopt when it failed (the error dropped).
template <typename T> std::optional<T> probe(Expected<T> V) {
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  return std::move(*V);
}

// Consume an error and return its message (one line).
std::string errorText(Error E);

// A consumed error described for front ends that map failures onto their
// own error types (the Python module's exceptions): the one-line message of
// errorText() and the first typed payload found, looking through context
// added with addContext().
struct ErrorDescription {
  enum class Kind { Input, Memory, Other };
  Kind K = Kind::Other;
  std::string Message;
  std::string File;                // Kind::Input: the file at fault
  uint64_t Address = 0, Size = 0;  // Kind::Memory: the unreadable range
};
ErrorDescription describeError(Error E);

// S as valid UTF-8 (invalid sequences replaced by U+FFFD), for text from
// the inputs that goes into a report (llvm::json asserts on invalid UTF-8).
std::string utf8Text(llvm::StringRef S);

} // namespace ms
