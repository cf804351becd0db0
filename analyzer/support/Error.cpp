#include "support/Error.h"

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

std::string errorText(Error E) {
  std::string S = llvm::toString(std::move(E));
  for (char &C : S)
    if (C == '\n')
      C = ' ';
  return S;
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
