// Shared loading of the executables under tests/data/dwarf/ (built by
// scripts/gen-dwarf-fixtures.sh; xz-compressed, inflated by InputFile).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "goruntime/ExeDwarf.h"
#include "loader/ExeFile.h"

namespace ms::testing {

inline std::string dwarfFixturePath(const std::string &Name) {
  return std::string(MS_TEST_DATA_DIR) + "/dwarf/" + Name + ".xz";
}

struct LoadedFixture {
  std::unique_ptr<ExeFile> Exe;
  std::unique_ptr<DwarfInfo> Dwarf; // null when the file has none
};

// Loads (once per test binary) a fixture and its DWARF. Fails the current
// test and returns null when the file cannot be loaded.
inline LoadedFixture *loadDwarfFixture(const std::string &Name) {
  static std::map<std::string, std::unique_ptr<LoadedFixture>> Cache;
  auto It = Cache.find(Name);
  if (It != Cache.end())
    return It->second.get();
  auto X = ExeFile::open(dwarfFixturePath(Name));
  if (!X) {
    ADD_FAILURE() << Name << ": " << llvm::toString(X.takeError());
    return nullptr;
  }
  auto D = openDwarf(**X);
  if (!D) {
    ADD_FAILURE() << Name << ": " << llvm::toString(D.takeError());
    return nullptr;
  }
  auto F = std::make_unique<LoadedFixture>();
  F->Exe = std::move(*X);
  F->Dwarf = std::move(*D);
  auto *Raw = F.get();
  Cache[Name] = std::move(F);
  return Raw;
}

} // namespace ms::testing
