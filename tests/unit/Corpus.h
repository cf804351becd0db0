// The committed corpus of real map-fault cores (fixtures/corpus): case
// names from index.json, each case opened as a Target + GoProgram with its
// truth.json. Executables are inflated once per version directory and
// shared by the cases that use them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/Support/JSON.h>

#include "goruntime/GoProgram.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Unwinder.h"
#include "report/Json.h"
#include "loader/Target.h"

namespace mstest {

std::string corpusDir();
// "go1.22-default/growing", ... in index order.
const std::vector<std::string> &corpusCases();

struct CorpusCase {
  std::string Name;
  llvm::json::Value Truth = nullptr;
  std::unique_ptr<ms::Target> T;
  std::unique_ptr<ms::GoProgram> P; // destroyed before T

  const llvm::json::Object &truth() const { return *Truth.getAsObject(); }
  // truth["map"]
  const llvm::json::Object *map() const { return truth().getObject("map"); }
};

// Opens a case; fails the current test (and returns null) when it cannot.
std::unique_ptr<CorpusCase> openCorpusCase(const std::string &Name);

// Runs Body on every live goroutine of every corpus case, each case opened,
// its goroutines read and an Unwinder made for them. A case that cannot be
// is a test failure naming it; the others still run.
void forEachCorpusGoroutine(
    llvm::function_ref<void(CorpusCase &, ms::Unwinder &,
                            const ms::GoroutineInfo &)>
        Body);

// "0xc000012345" -> value (0 for null or malformed).
uint64_t hexField(const llvm::json::Object &O, llvm::StringRef Key);

} // namespace mstest
