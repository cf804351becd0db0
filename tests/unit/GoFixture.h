// Shared helpers for tests on the Go fixtures in tests/data/gobin: the
// core and executable of a small program that died with "concurrent map
// writes", and the traceback the runtime printed (GOTRACEBACK=crash).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>

#include "goruntime/BuildInfo.h"
#include "goruntime/ModuleData.h"
#include "goruntime/Pclntab.h"
#include "goruntime/Types.h"
#include "loader/Target.h"

namespace mstest {

std::string gobinPath(const std::string &File);

struct GoFixture {
  std::unique_ptr<ms::Target> T;
  ms::BuildInfo BI;
};

// Opens <Name>.core.zst with the executable <ExeName or Name>.xz.
// Fails the current test (and returns nullopt) when it cannot.
std::unique_ptr<GoFixture> openGoFixture(const std::string &Name,
                                         const std::string &ExeName = "");

// A fixture with its moduledata located, and what the test asks for
// built over it: the type table, the pclntab (or neither).
struct LoadedFixture {
  std::unique_ptr<GoFixture> F;
  ms::LocatedModuleData LM;
  std::unique_ptr<ms::TypeTable> Types;
  std::unique_ptr<ms::Pclntab> P;
};
enum class Load { ModuleData, Types, Pclntab };
// Fails the current test (and returns null) when a step fails.
std::unique_ptr<LoadedFixture> loadGoFixture(const std::string &Name, Load What,
                                             const std::string &ExeName = "");

// Runs Body on every fixture of allGoFixtures(), opened (or loaded as
// What) and with a trace naming it; one that cannot be opened fails the
// test, and the others still run.
void forEachGoFixture(
    llvm::function_ref<void(const std::string &Name,
                            const std::unique_ptr<GoFixture> &F)> Body);
void forEachGoFixture(
    Load What, llvm::function_ref<void(const std::string &Name,
                                       const std::unique_ptr<LoadedFixture> &L)>
                   Body);

// One frame of the runtime's printed traceback.
struct TraceFrame {
  std::string Function;
  std::string Args;   // text between the outer parentheses; "..." if inlined
  std::string File;
  int Line = 0;
  bool Inlined = false;
  bool HasRegs = false; // fp/sp/pc printed
  uint64_t FP = 0, SP = 0, PC = 0;
  bool FirstInGoroutine = false;
};
struct TraceGoroutine {
  std::string Header;
  std::vector<TraceFrame> Frames;
};
std::vector<TraceGoroutine> parseTraceback(const std::string &Text);
std::string readTextFile(const std::string &Path);

// The fixtures every integration test runs over.
const std::vector<std::string> &allGoFixtures();

} // namespace mstest
