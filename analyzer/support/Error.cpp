#include "support/Error.h"

#include <vector>

#include <llvm/Support/ConvertUTF.h>

#include <llvm/Support/raw_ostream.h>

namespace ms {

char MemoryFault::ID = 0;
char InputError::ID = 0;

std::string hex(uint64_t V) {
  char Buf[24];
  snprintf(Buf, sizeof Buf, "0x%llx", static_cast<unsigned long long>(V));
  return Buf;
}

void MemoryFault::log(llvm::raw_ostream &OS) const {
  OS << "memory at " << hex(Addr) << " (" << Size
     << " bytes) is not in the core or any mapped file";
  if (!Why.empty())
    OS << ": " << Why;
}

void InputError::log(llvm::raw_ostream &OS) const {
  OS << "'" << File << "': " << Msg;
}

namespace {
class ContextError : public llvm::ErrorInfo<ContextError> {
public:
  static char ID;
  ContextError(std::string Ctx, std::unique_ptr<llvm::ErrorInfoBase> Inner)
      : Ctx(std::move(Ctx)), Inner(std::move(Inner)) {}
  void log(llvm::raw_ostream &OS) const override {
    OS << Ctx << ": ";
    Inner->log(OS);
  }
  const llvm::ErrorInfoBase &inner() const { return *Inner; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  std::string Ctx;
  std::unique_ptr<llvm::ErrorInfoBase> Inner;
};
char ContextError::ID = 0;
} // namespace

Error addContext(Error E, const llvm::Twine &Context) {
  if (!E)
    return E;
  std::string Ctx = Context.str();
  // Keep the typed payload (MemoryFault, InputError) reachable by
  // rebuilding the same type with a prefixed message.
  return llvm::handleErrors(
      std::move(E),
      [&](std::unique_ptr<InputError> IE) -> Error {
        return llvm::make_error<InputError>(IE->file(),
                                            Ctx + ": " + IE->detail());
      },
      [&](std::unique_ptr<llvm::ErrorInfoBase> Other) -> Error {
        return llvm::make_error<ContextError>(Ctx, std::move(Other));
      });
}

std::string utf8Text(llvm::StringRef S) {
  using namespace llvm;
  const UTF8 *In8 = reinterpret_cast<const UTF8 *>(S.data());
  if (isLegalUTF8String(&In8, In8 + S.size()))
    return S.str();
  // As llvm::json::fixUTF8: decode leniently (invalid sequences become
  // U+FFFD), encode again.
  In8 = reinterpret_cast<const UTF8 *>(S.data());
  std::vector<UTF32> Codepoints(S.size()); // one per byte at most
  UTF32 *Out32 = Codepoints.data();
  ConvertUTF8toUTF32(&In8, In8 + S.size(), &Out32,
                     Out32 + Codepoints.size(), lenientConversion);
  Codepoints.resize(Out32 - Codepoints.data());
  std::string Res(4 * Codepoints.size(), 0);
  const UTF32 *In32 = Codepoints.data();
  UTF8 *Out8 = reinterpret_cast<UTF8 *>(Res.data());
  ConvertUTF32toUTF8(&In32, In32 + Codepoints.size(), &Out8,
                     Out8 + Res.size(), strictConversion);
  Res.resize(reinterpret_cast<char *>(Out8) - Res.data());
  return Res;
}

std::string errorText(Error E) {
  // One printable line: messages quote text from the inputs (paths, build
  // ids, section names), which may hold control characters, line or
  // paragraph separators and invalid UTF-8. Those are escaped.
  std::string S = utf8Text(llvm::toString(std::move(E)));
  std::string Out;
  Out.reserve(S.size());
  for (size_t I = 0; I < S.size(); ++I) {
    unsigned char C = static_cast<unsigned char>(S[I]);
    if (C == '\n') {
      Out += ' ';
    } else if (C < 0x20 || C == 0x7f) {
      Out += llvm::formatv("\\x{0:x-2}", unsigned(C)).str();
    } else if (C == 0xc2 && I + 1 < S.size() &&
               static_cast<unsigned char>(S[I + 1]) == 0x85) {
      Out += "\\u0085"; // NEL
      ++I;
    } else if (C == 0xe2 && I + 2 < S.size() &&
               static_cast<unsigned char>(S[I + 1]) == 0x80 &&
               (static_cast<unsigned char>(S[I + 2]) == 0xa8 ||
                static_cast<unsigned char>(S[I + 2]) == 0xa9)) {
      Out += static_cast<unsigned char>(S[I + 2]) == 0xa8 ? "\\u2028"
                                                           : "\\u2029";
      I += 2;
    } else {
      Out += S[I];
    }
  }
  return Out;
}

namespace {
// Fills D's kind from the innermost typed payload; false when none.
bool classify(const llvm::ErrorInfoBase &EI, ErrorDescription &D) {
  if (EI.isA<ContextError>())
    return classify(static_cast<const ContextError &>(EI).inner(), D);
  if (EI.isA<InputError>()) {
    D.K = ErrorDescription::Kind::Input;
    D.File = static_cast<const InputError &>(EI).file();
    return true;
  }
  if (EI.isA<MemoryFault>()) {
    const auto &MF = static_cast<const MemoryFault &>(EI);
    D.K = ErrorDescription::Kind::Memory;
    D.Address = MF.address();
    D.Size = MF.size();
    return true;
  }
  return false;
}
} // namespace

ErrorDescription describeError(Error E) {
  ErrorDescription D;
  bool Classified = false;
  llvm::handleAllErrors(std::move(E), [&](const llvm::ErrorInfoBase &EI) {
    if (!D.Message.empty())
      D.Message += ' ';
    D.Message += EI.message();
    if (!Classified)
      Classified = classify(EI, D);
  });
  for (char &C : D.Message)
    if (C == '\n')
      C = ' ';
  return D;
}

} // namespace ms
