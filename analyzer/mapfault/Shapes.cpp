#include "mapfault/Shapes.h"

#include <algorithm>
#include <optional>

#include "goruntime/GoProgram.h"
#include "mapfault/CallSite.h"

namespace ms {

namespace {

constexpr llvm::StringLiteral ShapePrefix = "go.shape.";

struct ShapeRef {
  size_t Begin = 0, End = 0; // of "go.shape.X_i" in the name
  std::string Underlying;    // X
  unsigned Index = 0;        // i
};

// The shape types in Name. A shape's text is its underlying type (which may
// hold spaces, brackets and braces) and "_<index>"; it ends at the last
// "_<digits>" before a delimiter at bracket depth 0.
std::vector<ShapeRef> shapesIn(llvm::StringRef Name) {
  std::vector<ShapeRef> Out;
  auto Delimiter = [&](size_t I) {
    return I >= Name.size() || llvm::StringRef("],) ;}").contains(Name[I]);
  };
  size_t From = 0;
  for (size_t At = Name.find(ShapePrefix, From); At != llvm::StringRef::npos;
       At = Name.find(ShapePrefix, From)) {
    const size_t Start = At + ShapePrefix.size();
    int Depth = 0;
    std::optional<ShapeRef> Found;
    for (size_t I = Start; I < Name.size() && !Found; ++I) {
      char C = Name[I];
      if (C == '[' || C == '{' || C == '(') {
        ++Depth;
      } else if (C == ']' || C == '}' || C == ')') {
        if (Depth-- == 0)
          break; // the enclosing type's bracket: malformed
      } else if (C == '_' && Depth == 0) {
        size_t J = I + 1;
        while (J < Name.size() && Name[J] >= '0' && Name[J] <= '9')
          ++J;
        unsigned Index = 0;
        if (J > I + 1 && Delimiter(J) &&
            !Name.slice(I + 1, J).getAsInteger(10, Index))
          Found = ShapeRef{At, J, Name.slice(Start, I).str(), Index};
      }
    }
    if (!Found) {
      From = Start;
      continue;
    }
    From = Found->End;
    Out.push_back(std::move(*Found));
  }
  return Out;
}

// Whether a type can have this shape: the same unnamed type, a pointer for
// the pointer shape, or a named type whose kind is the shape's.
bool fits(const TypeInfo &T, llvm::StringRef Underlying) {
  if (T.Name == Underlying)
    return true;
  if (T.K == Kind::Pointer || T.K == Kind::UnsafePointer)
    return Underlying.startswith("*");
  if (!T.Named)
    return false;
  switch (T.K) {
  case Kind::Struct: return Underlying.startswith("struct");
  case Kind::Interface: return Underlying.startswith("interface");
  case Kind::Slice: return Underlying.startswith("[]");
  case Kind::Array: return Underlying.startswith("[");
  case Kind::Map: return Underlying.startswith("map[");
  case Kind::Func: return Underlying.startswith("func");
  case Kind::Chan: return Underlying.contains("chan");
  default: return Underlying == kindName(T.K);
  }
}

} // namespace

bool hasShapeType(llvm::StringRef Name) { return Name.contains(ShapePrefix); }

std::optional<std::vector<std::string>>
typeArgumentsAtCall(const GoProgram &P, TypeTable &Types,
                    llvm::StringRef ShapeName, uint64_t ReturnPC,
                    std::string &How) {
  std::vector<ShapeRef> Shapes = shapesIn(ShapeName);
  if (Shapes.empty())
    return std::nullopt;
  const auto Regs = P.arch().goIntArgRegs();
  if (Regs.empty())
    return std::nullopt;
  auto E = registerAtCall(P, ReturnPC, static_cast<int>(Regs[0]));
  if (!E) {
    llvm::consumeError(E.takeError());
    return std::nullopt;
  }
  if (E->K != ValueExpr::Kind::Address || E->Joins)
    return std::nullopt;
  unsigned N = 0;
  for (const ShapeRef &S : Shapes)
    N = std::max(N, S.Index + 1);
  if (N > 64)
    return std::nullopt;
  std::vector<std::string> Args(N);
  std::vector<bool> Seen(N);
  const unsigned PtrSize = P.arch().pointerSize();
  for (const ShapeRef &S : Shapes) {
    if (Seen[S.Index])
      continue;
    auto Ptr = P.memory().readUint(E->Value + uint64_t(S.Index) * PtrSize, PtrSize);
    if (!Ptr) {
      llvm::consumeError(Ptr.takeError());
      return std::nullopt;
    }
    auto T = Types.typeAt(*Ptr);
    if (!T) {
      llvm::consumeError(T.takeError());
      return std::nullopt;
    }
    if (!fits(**T, S.Underlying))
      return std::nullopt;
    Args[S.Index] = (*T)->Name;
    Seen[S.Index] = true;
  }
  char Buf[24];
  snprintf(Buf, sizeof Buf, "0x%llx", static_cast<unsigned long long>(E->Value));
  How = std::string("the generic function's dictionary at ") + Buf +
        " names its type arguments";
  return Args;
}

std::string substituteShapes(llvm::StringRef Name,
                             const std::vector<std::string> &Args) {
  std::string Out;
  size_t Pos = 0;
  for (const ShapeRef &S : shapesIn(Name)) {
    if (S.Index >= Args.size() || Args[S.Index].empty() || S.Begin < Pos)
      continue;
    Out += Name.slice(Pos, S.Begin).str() + Args[S.Index];
    Pos = S.End;
  }
  return Out + Name.substr(Pos).str();
}

} // namespace ms
