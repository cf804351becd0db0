#include "GoFixture.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/ADT/StringRef.h>

using namespace ms;

namespace mstest {

void forEachGoFixture(
    llvm::function_ref<void(const std::string &Name,
                            const std::unique_ptr<GoFixture> &F)> Body) {
  for (const std::string &N : allGoFixtures()) {
    SCOPED_TRACE(N);
    if (auto F = openGoFixture(N))
      Body(N, F);
  }
}

void forEachGoFixture(
    Load What, llvm::function_ref<void(const std::string &Name,
                                       const std::unique_ptr<LoadedFixture> &L)>
                   Body) {
  for (const std::string &N : allGoFixtures()) {
    SCOPED_TRACE(N);
    if (auto L = loadGoFixture(N, What))
      Body(N, L);
  }
}

std::unique_ptr<LoadedFixture> loadGoFixture(const std::string &Name, Load What,
                                             const std::string &ExeName) {
  auto L = std::make_unique<LoadedFixture>();
  L->F = openGoFixture(Name, ExeName);
  if (!L->F)
    return nullptr;
  auto LM = ms::locateFirstModuleData(*L->F->T, L->F->BI.Version);
  if (!LM) {
    ADD_FAILURE() << llvm::toString(LM.takeError());
    return nullptr;
  }
  L->LM = std::move(*LM);
  if (What == Load::ModuleData)
    return L;
  const ms::Memory &M = L->F->T->memory();
  if (What == Load::Types) {
    L->Types = std::make_unique<ms::TypeTable>(M, L->LM.Module, L->F->BI);
    return L;
  }
  auto P = ms::Pclntab::create(M, L->LM.Module, L->F->BI.Version);
  if (!P) {
    ADD_FAILURE() << llvm::toString(P.takeError());
    return nullptr;
  }
  L->P = std::move(*P);
  return L;
}

std::string gobinPath(const std::string &File) {
  return std::string(MS_TEST_DATA_DIR) + "/gobin/" + File;
}

std::string readTextFile(const std::string &Path) {
  std::ifstream In(Path);
  std::stringstream SS;
  SS << In.rdbuf();
  return SS.str();
}

const std::vector<std::string> &allGoFixtures() {
  static const std::vector<std::string> V = {
      "go119", "go122", "go122-pie-stripped", "go124", "go126-pie", "go127"};
  return V;
}

std::unique_ptr<GoFixture> openGoFixture(const std::string &Name,
                                         const std::string &ExeName) {
  auto Core = CoreFile::open(gobinPath(Name + ".core.zst"));
  if (!Core) {
    ADD_FAILURE() << toString(Core.takeError());
    return nullptr;
  }
  auto Exe = ExeFile::open(gobinPath((ExeName.empty() ? Name : ExeName) + ".xz"));
  if (!Exe) {
    ADD_FAILURE() << toString(Exe.takeError());
    return nullptr;
  }
  auto BI = readBuildInfo(**Exe);
  if (!BI) {
    ADD_FAILURE() << toString(BI.takeError());
    return nullptr;
  }
  TargetOptions Opts;
  Opts.LoadLibraries = false;
  auto T = Target::fromFiles(std::move(*Core), std::move(*Exe), Opts);
  if (!T) {
    ADD_FAILURE() << toString(T.takeError());
    return nullptr;
  }
  auto F = std::make_unique<GoFixture>();
  F->T = std::move(*T);
  F->BI = std::move(*BI);
  return F;
}

std::vector<TraceGoroutine> parseTraceback(const std::string &Text) {
  std::vector<TraceGoroutine> Out;
  llvm::SmallVector<llvm::StringRef, 256> Lines;
  llvm::StringRef(Text).split(Lines, '\n');
  TraceGoroutine *G = nullptr;
  for (size_t I = 0; I < Lines.size(); ++I) {
    llvm::StringRef L = Lines[I];
    if (L.startswith("goroutine ") && L.endswith(":")) {
      Out.push_back({L.str(), {}});
      G = &Out.back();
      continue;
    }
    if (L.empty() || L.startswith("-----")) {
      G = nullptr;
      continue;
    }
    if (!G || L.startswith("\t") || L.startswith("created by") ||
        L.startswith("...") || I + 1 >= Lines.size() ||
        !Lines[I + 1].startswith("\t"))
      continue;
    // "name(args)" then "\tfile:line [+0xoff] [fp=.. sp=.. pc=..]"
    size_t Open = L.rfind('(');
    if (Open == llvm::StringRef::npos || !L.endswith(")"))
      continue;
    TraceFrame F;
    F.Function = L.take_front(Open).str();
    F.Args = L.drop_front(Open + 1).drop_back().str();
    F.Inlined = F.Args == "...";
    llvm::StringRef Loc = Lines[I + 1].drop_front();
    llvm::StringRef FileLine = Loc.take_until([](char C) { return C == ' '; });
    size_t Colon = FileLine.rfind(':');
    F.File = FileLine.take_front(Colon).str();
    FileLine.drop_front(Colon + 1).getAsInteger(10, F.Line);
    auto Field = [&](llvm::StringRef Key, uint64_t &V) {
      size_t P = Loc.find(Key);
      if (P == llvm::StringRef::npos)
        return false;
      llvm::StringRef Num = Loc.drop_front(P + Key.size())
                                .take_until([](char C) { return C == ' '; });
      if (!Num.consume_front("0x"))
        return false;
      return !Num.getAsInteger(16, V);
    };
    F.HasRegs = Field(" fp=", F.FP) && Field(" sp=", F.SP) && Field(" pc=", F.PC);
    F.FirstInGoroutine = G->Frames.empty();
    G->Frames.push_back(std::move(F));
    ++I;
  }
  return Out;
}

} // namespace mstest
