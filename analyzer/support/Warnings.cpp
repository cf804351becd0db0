#include "support/Warnings.h"

#include "support/Error.h"

namespace ms {

void Warnings::add(std::string Msg) {
  if (Seen.insert(Msg).second)
    List.push_back(std::move(Msg));
}

void Warnings::add(llvm::Error E, const std::string &Context) {
  if (!E)
    return;
  add(Context.empty() ? errorText(std::move(E))
                      : Context + ": " + errorText(std::move(E)));
}

} // namespace ms
