// The Go runtime's map functions by name, for every supported version
// (classic runtime/map*.go and the swiss internal/runtime/maps, whose entry
// points keep their runtime.* names through linkname): what operation each
// performs and how its arguments are passed (Go ABIInternal: one integer
// register per word, in order).
#pragma once

#include <optional>
#include <string>

#include <llvm/ADT/StringRef.h>

namespace ms {

enum class MapOp { Access, Assign, Delete, IterInit, IterNext, Clear, Clone,
                   Grow, Internal };
llvm::StringRef mapOpName(MapOp Op);

// How the key reaches the function.
enum class KeyPass {
  None,
  Pointer,   // key unsafe.Pointer: a pointer to the key value
  Value32,   // uint32 by value (fast32)
  Value64,   // uint64 by value (fast64)
  PtrValue,  // the key is itself a pointer, by value (fast32ptr/fast64ptr)
  String,    // string by value: {ptr, len} in two words (faststr)
};

struct MapFuncInfo {
  MapOp Op = MapOp::Internal;
  KeyPass Key = KeyPass::None;
  // Argument word positions (ABIInternal integer registers in order); -1
  // when the function has no such argument.
  int TypeWord = -1, MapWord = -1, KeyWord = -1, IterWord = -1;
  // An entry point user code calls (runtime.mapassign_faststr...), as
  // opposed to a helper inside the implementation.
  bool EntryPoint = false;
};

// Is this any function of the map implementation (entry points, their
// helpers, growth and evacuation, swiss table code)? Hashing, allocation
// and fatal helpers do not count.
bool isMapFunction(llvm::StringRef Name);
// Entry points with their argument conventions; helpers give Internal.
std::optional<MapFuncInfo> classifyMapFunction(llvm::StringRef Name);
// Functions that grow a map (classic hashGrow/growWork/evacuate, swiss
// rehash/grow/split): a goroutine inside one is growing the map.
bool isMapGrowthFunction(llvm::StringRef Name);
// The runtime's throw entry points a map fault goes through.
bool isThrowFunction(llvm::StringRef Name);

} // namespace ms
