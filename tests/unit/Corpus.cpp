#include "Corpus.h"
#include "report/Json.h"

#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <llvm/Support/MemoryBuffer.h>

#include "GoFixture.h"
#include "loader/InputFile.h"

using namespace ms;

namespace mstest {

std::string corpusDir() {
  return std::string(MS_TEST_DATA_DIR) + "/../../fixtures/corpus";
}

const std::vector<std::string> &corpusCases() {
  static const std::vector<std::string> Cases = [] {
    std::vector<std::string> Out;
    auto J = llvm::json::parse(readTextFile(corpusDir() + "/index.json"));
    if (!J) {
      llvm::consumeError(J.takeError());
      return Out;
    }
    if (auto *O = J->getAsObject())
      if (auto *A = O->getArray("cases"))
        for (auto &C : *A)
          if (auto *CO = C.getAsObject())
            if (auto N = CO->getString("case"))
              Out.push_back(N->str());
    return Out;
  }();
  return Cases;
}

namespace {
// Inflated executables, kept for the whole test run.
Expected<llvm::StringRef> exeBytes(const std::string &Path) {
  static std::map<std::string, std::unique_ptr<llvm::MemoryBuffer>> Cache;
  static std::mutex Mu;
  std::lock_guard<std::mutex> G(Mu);
  auto It = Cache.find(Path);
  if (It == Cache.end()) {
    auto In = InputFile::open(Path);
    if (!In)
      return In.takeError();
    Cache[Path] = llvm::MemoryBuffer::getMemBufferCopy((*In)->bytes(), Path);
    It = Cache.find(Path);
  }
  return It->second->getBuffer();
}
} // namespace

void forEachCorpusGoroutine(
    llvm::function_ref<void(CorpusCase &, ms::Unwinder &,
                            const ms::GoroutineInfo &)>
        Body) {
  for (const std::string &Name : corpusCases()) {
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    if (!C)
      continue; // (openCorpusCase failed the test)
    ms::Warnings W;
    auto Gs = ms::readGoroutines(*C->P, W);
    if (!Gs) {
      ADD_FAILURE() << "goroutines: " << llvm::toString(Gs.takeError());
      continue;
    }
    ms::Unwinder U(*C->P, *Gs);
    for (const ms::GoroutineInfo &G : Gs->Goroutines)
      if (!G.Dead())
        Body(*C, U, G);
  }
}

uint64_t hexField(const llvm::json::Object &O, llvm::StringRef Key) {
  auto S = O.getString(Key);
  uint64_t V = 0;
  if (!S || !S->startswith("0x") || S->drop_front(2).getAsInteger(16, V))
    return 0;
  return V;
}

std::unique_ptr<CorpusCase> openCorpusCase(const std::string &Name) {
  const std::string Dir = corpusDir() + "/" + Name;
  auto C = std::make_unique<CorpusCase>();
  C->Name = Name;
  auto J = llvm::json::parse(readTextFile(Dir + "/truth.json"));
  if (!J) {
    ADD_FAILURE() << Name << ": truth.json: " << toString(J.takeError());
    return nullptr;
  }
  C->Truth = std::move(*J);
  auto ExeRel = C->truth().getString("exe");
  std::string ExePath = Dir + "/" + (ExeRel ? ExeRel->str() : "../exe.xz");
  auto Bytes = exeBytes(ExePath);
  if (!Bytes) {
    ADD_FAILURE() << Name << ": " << toString(Bytes.takeError());
    return nullptr;
  }
  auto Exe = ExeFile::fromInput(InputFile::fromBytes(*Bytes, ExePath));
  if (!Exe) {
    ADD_FAILURE() << Name << ": " << toString(Exe.takeError());
    return nullptr;
  }
  auto Core = CoreFile::open(Dir + "/core.zst");
  if (!Core) {
    ADD_FAILURE() << Name << ": " << toString(Core.takeError());
    return nullptr;
  }
  TargetOptions Opts;
  Opts.LoadLibraries = false;
  auto T = Target::fromFiles(std::move(*Core), std::move(*Exe), Opts);
  if (!T) {
    ADD_FAILURE() << Name << ": " << toString(T.takeError());
    return nullptr;
  }
  C->T = std::move(*T);
  auto P = GoProgram::open(*C->T);
  if (!P) {
    ADD_FAILURE() << Name << ": " << toString(P.takeError());
    return nullptr;
  }
  C->P = std::move(*P);
  return C;
}

} // namespace mstest
