// The warning channel: problems that do not stop the analysis (a damaged
// bucket, a frame that could not be unwound). De-duplicated, ordered.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <llvm/Support/Error.h>
#include <llvm/Support/FormatVariadic.h>

namespace ms {

class Warnings {
public:
  void add(std::string Msg);
  template <typename... Ts> void addf(const char *Fmt, Ts &&...Vals) {
    add(llvm::formatv(Fmt, std::forward<Ts>(Vals)...).str());
  }
  // Consume an error as a warning, with context.
  void add(llvm::Error E, const std::string &Context);
  const std::vector<std::string> &all() const { return List; }
  bool empty() const { return List.empty(); }

private:
  std::vector<std::string> List;
  std::set<std::string> Seen;
};

} // namespace ms
