// Generic code and map types: a shape-instantiated function (Go 1.19's
// generics) passes its map operations the map's shape type,
// "map[go.shape.string_0]go.shape.struct { Name string; Version int }_1",
// not the program's "map[string]main.Plugin". The dictionary the caller
// passed that function lists the type arguments in order: the shapes'
// _0, _1, ... name them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>

namespace ms {

class GoProgram;
class TypeTable;

// Whether a type name mentions a shape type.
bool hasShapeType(llvm::StringRef Name);

// The type arguments' names read from the dictionary passed to the call
// whose return address is ReturnPC (the first integer argument, a static
// address), checked against the shapes in ShapeName. nullopt when the call
// passes no constant dictionary or it does not fit; How says what was read.
std::optional<std::vector<std::string>>
typeArgumentsAtCall(const GoProgram &P, TypeTable &Types,
                    llvm::StringRef ShapeName, uint64_t ReturnPC,
                    std::string &How);

// Name with every go.shape.X_i replaced by Args[i] (unchanged where i is
// out of range).
std::string substituteShapes(llvm::StringRef Name,
                             const std::vector<std::string> &Args);

} // namespace ms
