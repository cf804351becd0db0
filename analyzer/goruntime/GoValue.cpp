#include "goruntime/GoValue.h"

#include <llvm/ADT/bit.h>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

namespace {

// Where register words are placed for decoding: a kernel-half address that
// no user-space target can have, so it never shadows real memory.
constexpr uint64_t WordsBase = 0xfff0000000000000ull;

// The words of a register-held value in front of the target's memory.
class WordsMemory : public Memory {
public:
  WordsMemory(const Memory &Under, ArrayRef<uint64_t> Words) : Under(Under) {
    for (uint64_t W : Words)
      for (unsigned I = 0; I < 8; ++I)
        Bytes.push_back(static_cast<uint8_t>(W >> (8 * I)));
  }
  Error read(uint64_t Addr, MutableArrayRef<uint8_t> Out) const override {
    if (Addr >= WordsBase && Addr - WordsBase < Bytes.size()) {
      uint64_t Off = Addr - WordsBase;
      if (Out.size() > Bytes.size() - Off)
        return make_error<MemoryFault>(WordsBase + Bytes.size(),
                                       Out.size() - (Bytes.size() - Off),
                                       "past the register words of the value");
      memcpy(Out.data(), Bytes.data() + Off, Out.size());
      return Error::success();
    }
    return Under.read(Addr, Out);
  }

private:
  const Memory &Under;
  std::vector<uint8_t> Bytes;
};

class Decoder {
public:
  Decoder(TypeTable &Types, const Memory &M, const DecodeLimits &L)
      : Types(Types), M(M), L(L) {}

  GoValue at(const TypeInfo &T, uint64_t Addr, unsigned Depth);

private:
  GoValue error(const TypeInfo *T, uint64_t Addr, Error E) {
    GoValue V;
    V.VK = GoValue::VKind::Error;
    V.Type = T;
    V.Addr = Addr;
    V.ErrorAddr = Addr;
    handleAllErrors(
        std::move(E),
        [&](const MemoryFault &F) {
          V.ErrorAddr = F.address();
          V.ErrorText = "memory at " + hex(F.address()) + " is not readable";
        },
        [&](const ErrorInfoBase &Other) { V.ErrorText = Other.message(); });
    return V;
  }
  GoValue error(const TypeInfo *T, uint64_t Addr, const std::string &Msg) {
    return error(T, Addr, makeError("{0}", Msg));
  }
  // One kind family each; V has its type and address set.
  GoValue integerAt(GoValue V);
  GoValue floatAt(GoValue V);
  GoValue stringAt(GoValue V);
  GoValue elementsAt(GoValue V, unsigned Depth);
  GoValue structAt(GoValue V, unsigned Depth);
  GoValue interfaceAt(const TypeInfo &T, uint64_t Addr, unsigned Depth);

  TypeTable &Types;
  const Memory &M;
  const DecodeLimits &L;
  uint64_t Nodes = 0;
};

void clearWordAddrs(GoValue &V);

int64_t signExtend(uint64_t V, unsigned Bytes) {
  if (Bytes >= 8)
    return static_cast<int64_t>(V);
  unsigned Shift = 64 - 8 * Bytes;
  return static_cast<int64_t>(V << Shift) >> Shift;
}

GoValue Decoder::at(const TypeInfo &T, uint64_t Addr, unsigned Depth) {
  using VK = GoValue::VKind;
  if (T.Broken)
    return error(&T, Addr, "type descriptor at " + hex(T.Addr) +
                               " could not be read: " + T.Error);
  GoValue V;
  V.Type = &T;
  V.Addr = Addr;
  if (Depth > L.MaxDepth || ++Nodes > L.MaxNodes) {
    V.VK = VK::TooDeep;
    return V;
  }
  if (isIntegerKind(T.K))
    return integerAt(std::move(V));
  switch (T.K) {
  case Kind::Bool: {
    auto B = M.readU8(Addr);
    if (!B)
      return error(&T, Addr, B.takeError());
    V.VK = VK::Bool;
    V.B = *B != 0;
    return V;
  }
  case Kind::Float32:
  case Kind::Float64:
  case Kind::Complex64:
  case Kind::Complex128:
    return floatAt(std::move(V));
  case Kind::String:
    return stringAt(std::move(V));
  case Kind::Pointer:
  case Kind::UnsafePointer:
  case Kind::Map:
  case Kind::Chan:
  case Kind::Func: {
    auto P = M.readU64(Addr);
    if (!P)
      return error(&T, Addr, P.takeError());
    V.Ptr = *P;
    V.VK = T.K == Kind::Map    ? VK::Map
           : T.K == Kind::Chan ? VK::Chan
           : T.K == Kind::Func ? VK::Func
                               : VK::Pointer;
    return V;
  }
  case Kind::Slice:
  case Kind::Array:
    return elementsAt(std::move(V), Depth);
  case Kind::Struct:
    return structAt(std::move(V), Depth);
  case Kind::Interface:
    return interfaceAt(T, Addr, Depth);
  default:
    break;
  }
  return error(&T, Addr, "invalid kind");
}

GoValue Decoder::integerAt(GoValue V) {
  const TypeInfo &T = *V.Type;
  const uint64_t Addr = V.Addr;
  unsigned Size = static_cast<unsigned>(T.Size);
  if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
    return error(&T, Addr, "integer type of size " + std::to_string(T.Size));
  auto X = M.readUint(Addr, Size);
  if (!X)
    return error(&T, Addr, X.takeError());
  if (isSignedKind(T.K)) {
    V.VK = GoValue::VKind::Int;
    V.I = signExtend(*X, Size);
  } else {
    V.VK = GoValue::VKind::Uint;
    V.U = *X;
  }
  return V;
}

GoValue Decoder::floatAt(GoValue V) {
  const TypeInfo &T = *V.Type;
  const uint64_t Addr = V.Addr;
  bool Cplx = T.K == Kind::Complex64 || T.K == Kind::Complex128;
  unsigned Part = (T.K == Kind::Float32 || T.K == Kind::Complex64) ? 4 : 8;
  if (T.Size != (Cplx ? 2u : 1u) * Part)
    return error(&T, Addr, "float type of size " + std::to_string(T.Size));
  auto Read = [&](uint64_t A) -> Expected<double> {
    auto X = M.readUint(A, Part);
    if (!X)
      return X.takeError();
    if (Part == 4)
      return double(llvm::bit_cast<float>(static_cast<uint32_t>(*X)));
    return llvm::bit_cast<double>(*X);
  };
  auto Re = Read(Addr);
  if (!Re)
    return error(&T, Addr, Re.takeError());
  V.F = *Re;
  V.VK = GoValue::VKind::Float;
  if (Cplx) {
    auto Im = Read(Addr + Part);
    if (!Im)
      return error(&T, Addr, Im.takeError());
    V.Imag = *Im;
    V.VK = GoValue::VKind::Complex;
  }
  return V;
}

GoValue Decoder::stringAt(GoValue V) {
  const TypeInfo &T = *V.Type;
  const uint64_t Addr = V.Addr;
  auto P = M.readU64(Addr), N = M.readU64(Addr + 8);
  if (!P)
    return error(&T, Addr, P.takeError());
  if (!N)
    return error(&T, Addr, N.takeError());
  if (static_cast<int64_t>(*N) < 0)
    return error(&T, Addr, "string of negative length " +
                               std::to_string(static_cast<int64_t>(*N)));
  V.VK = GoValue::VKind::String;
  V.Ptr = *P;
  V.Len = *N;
  uint64_t Take = std::min(*N, L.MaxStringBytes);
  V.Truncated = Take < *N;
  if (Take) {
    auto S = M.readString(*P, Take, Take);
    if (!S)
      return error(&T, Addr, S.takeError());
    V.Str = std::move(*S);
  }
  return V;
}

// Slices and arrays: the first MaxElements elements.
GoValue Decoder::elementsAt(GoValue V, unsigned Depth) {
  const TypeInfo &T = *V.Type;
  const uint64_t Addr = V.Addr;
  if (!T.Elem)
    return error(&T, Addr, "element type missing");
  uint64_t Base = Addr, N = T.Len;
  if (T.K == Kind::Slice) {
    auto P = M.readU64(Addr), Len = M.readU64(Addr + 8),
         Cap = M.readU64(Addr + 16);
    if (!P)
      return error(&T, Addr, P.takeError());
    if (!Len)
      return error(&T, Addr, Len.takeError());
    if (!Cap)
      return error(&T, Addr, Cap.takeError());
    if (*Len > *Cap || static_cast<int64_t>(*Cap) < 0)
      return error(&T, Addr, "slice with len " + std::to_string(*Len) +
                                 " > cap " + std::to_string(*Cap));
    V.VK = GoValue::VKind::Slice;
    V.Ptr = Base = *P;
    V.Cap = *Cap;
    N = *Len;
  } else {
    V.VK = GoValue::VKind::Array;
  }
  V.Len = N;
  uint64_t Take = std::min(N, L.MaxElements);
  V.Truncated = Take < N;
  const uint64_t ES = T.Elem->Size;
  if (ES && Take > (~0ull - Base) / ES)
    return error(&T, Addr, "elements overflow the address space");
  for (uint64_t I = 0; I < Take; ++I)
    V.Elems.push_back(at(*T.Elem, Base + I * ES, Depth + 1));
  return V;
}

GoValue Decoder::structAt(GoValue V, unsigned Depth) {
  const TypeInfo &T = *V.Type;
  const uint64_t Addr = V.Addr;
  V.VK = GoValue::VKind::Struct;
  for (const StructFieldInfo &F : T.Fields) {
    GoValue::Field GF;
    GF.Name = F.Name;
    GF.Embedded = F.Embedded;
    GF.Value = std::make_unique<GoValue>(
        F.Type ? at(*F.Type, Addr + F.Offset, Depth + 1)
               : error(nullptr, Addr + F.Offset, "field type missing"));
    V.Fields.push_back(std::move(GF));
  }
  return V;
}

GoValue Decoder::interfaceAt(const TypeInfo &T, uint64_t Addr,
                             unsigned Depth) {
  GoValue V;
  V.VK = GoValue::VKind::Interface;
  V.Type = &T;
  V.Addr = Addr;
  auto Tab = M.readU64(Addr), Data = M.readU64(Addr + 8);
  if (!Tab)
    return error(&T, Addr, Tab.takeError());
  if (!Data)
    return error(&T, Addr, Data.takeError());
  V.Ptr = *Data;
  if (*Tab == 0)
    return V; // nil interface
  uint64_t TypeAddr = *Tab;
  if (!T.isEmptyInterface()) {
    // iface: itab{inter, _type, hash, fun...}: the type is the 2nd word.
    auto TA = M.readU64(*Tab + 8);
    if (!TA)
      return error(&T, Addr, addContext(TA.takeError(), "reading itab"));
    TypeAddr = *TA;
  }
  auto DT = Types.typeAt(TypeAddr);
  if (!DT)
    return error(&T, Addr, addContext(DT.takeError(), "dynamic type"));
  V.DynType = *DT;
  if ((*DT)->DirectIface) {
    // The data word is the value itself (pointer-shaped types).
    WordsMemory WM(M, {*Data});
    Decoder Sub(Types, WM, L);
    Sub.Nodes = Nodes;
    V.Dynamic = std::make_unique<GoValue>(Sub.at(**DT, WordsBase, Depth + 1));
    Nodes = Sub.Nodes;
    clearWordAddrs(*V.Dynamic);
  } else {
    V.Dynamic = std::make_unique<GoValue>(at(**DT, *Data, Depth + 1));
  }
  return V;
}

void clearWordAddrs(GoValue &V) {
  if (V.Addr >= WordsBase)
    V.Addr = 0;
  for (auto &E : V.Elems)
    clearWordAddrs(E);
  for (auto &F : V.Fields)
    if (F.Value)
      clearWordAddrs(*F.Value);
}

// ---- text ------------------------------------------------------------------------

// Go's %v for floats: shortest digits, %e form when the exponent is < -4
// or >= 6 (strconv 'g' with shortest precision), else %f form.

std::string formatFloat(double D) {
  if (std::isnan(D))
    return "NaN";
  if (std::isinf(D))
    return D > 0 ? "+Inf" : "-Inf";
  char Buf[64];
  auto R = std::to_chars(Buf, Buf + sizeof Buf, D, std::chars_format::scientific);
  std::string Sci(Buf, R.ptr);
  size_t E = Sci.find('e');
  int Exp = E == std::string::npos ? 0 : std::atoi(Sci.c_str() + E + 1);
  if (Exp < -4 || Exp >= 6)
    return Sci; // "1.5e+06", two exponent digits at least, as Go
  R = std::to_chars(Buf, Buf + sizeof Buf, D, std::chars_format::fixed);
  return std::string(Buf, R.ptr);
}

std::string quote(const std::string &S, bool Truncated) {
  return quoteGoString(S) + (Truncated ? "..." : "");
}

std::string typeText(const GoValue &V) {
  return V.Type ? V.Type->Name : std::string("?");
}

std::string syntax(const GoValue &V) {
  using VK = GoValue::VKind;
  switch (V.VK) {
  case VK::Error:
    return "<error: " + V.ErrorText + ">";
  case VK::TooDeep:
    return "...";
  case VK::Bool:
    return V.B ? "true" : "false";
  case VK::Int:
    return std::to_string(V.I);
  case VK::Uint:
    if (V.Type && V.Type->K == Kind::Uintptr)
      return hex(V.U);
    return std::to_string(V.U);
  case VK::Float:
    return formatFloat(V.F);
  case VK::Complex: {
    std::string Im = formatFloat(V.Imag);
    if (Im[0] != '-' && Im[0] != '+')
      Im = "+" + Im;
    return "(" + formatFloat(V.F) + Im + "i)";
  }
  case VK::String:
    return quote(V.Str, V.Truncated);
  case VK::Pointer:
  case VK::Chan:
  case VK::Func:
  case VK::Map: {
    std::string T = typeText(V);
    bool Paren = V.Type && !V.Type->Named &&
                 (V.VK != VK::Map && V.Type->K != Kind::UnsafePointer);
    std::string Conv = Paren ? "(" + T + ")" : T;
    return Conv + "(" + (V.Ptr ? hex(V.Ptr) : std::string("nil")) + ")";
  }
  case VK::Slice:
  case VK::Array: {
    if (V.VK == VK::Slice && V.Ptr == 0)
      return typeText(V) + "(nil)";
    std::string S = typeText(V) + "{";
    for (size_t I = 0; I < V.Elems.size(); ++I) {
      if (I)
        S += ", ";
      S += syntax(V.Elems[I]);
    }
    if (V.Truncated)
      S += V.Elems.empty() ? "..." : ", ...";
    return S + "}";
  }
  case VK::Struct: {
    std::string S = typeText(V) + "{";
    for (size_t I = 0; I < V.Fields.size(); ++I) {
      if (I)
        S += ", ";
      S += V.Fields[I].Name + ":" + syntax(*V.Fields[I].Value);
    }
    return S + "}";
  }
  case VK::Interface:
    return V.Dynamic ? syntax(*V.Dynamic) : "nil";
  }
  return "?";
}

} // namespace

const GoValue *GoValue::field(StringRef Name) const {
  for (const Field &F : Fields)
    if (F.Name == Name)
      return F.Value.get();
  return nullptr;
}

GoValue::GoValue(const GoValue &O)
    : VK(O.VK), Type(O.Type), Addr(O.Addr), B(O.B), I(O.I), U(O.U), F(O.F),
      Imag(O.Imag), Str(O.Str), Ptr(O.Ptr), Len(O.Len), Cap(O.Cap),
      Truncated(O.Truncated), Elems(O.Elems), DynType(O.DynType),
      ErrorText(O.ErrorText), ErrorAddr(O.ErrorAddr) {
  Fields.reserve(O.Fields.size());
  for (const Field &Fl : O.Fields)
    Fields.push_back({Fl.Name, Fl.Embedded,
                      Fl.Value ? std::make_unique<GoValue>(*Fl.Value) : nullptr});
  if (O.Dynamic)
    Dynamic = std::make_unique<GoValue>(*O.Dynamic);
}

GoValue &GoValue::operator=(const GoValue &O) {
  if (this != &O)
    *this = GoValue(O);
  return *this;
}

GoValue GoValue::detached() const {
  GoValue C(*this);
  std::function<void(GoValue &)> Forget = [&](GoValue &V) {
    V.Type = nullptr;
    V.DynType = nullptr;
    for (GoValue &E : V.Elems)
      Forget(E);
    for (Field &Fl : V.Fields)
      if (Fl.Value)
        Forget(*Fl.Value);
    if (V.Dynamic)
      Forget(*V.Dynamic);
  };
  Forget(C);
  return C;
}

bool GoValue::hasErrors() const {
  if (isError())
    return true;
  for (const GoValue &E : Elems)
    if (E.hasErrors())
      return true;
  for (const Field &F : Fields)
    if (F.Value && F.Value->hasErrors())
      return true;
  return Dynamic && Dynamic->hasErrors();
}

GoValue decodeValue(TypeTable &Types, const TypeInfo &T, uint64_t Addr,
                    const DecodeLimits &Limits) {
  Decoder D(Types, Types.memory(), Limits);
  return D.at(T, Addr, 0);
}

GoValue decodeValueFromWords(TypeTable &Types, const TypeInfo &T,
                             ArrayRef<uint64_t> Words,
                             const DecodeLimits &Limits) {
  WordsMemory WM(Types.memory(), Words);
  Decoder D(Types, WM, Limits);
  GoValue V = D.at(T, WordsBase, 0);
  clearWordAddrs(V);
  return V;
}

GoValue decodeValueFromBytes(TypeTable &Types, const TypeInfo &T,
                             ArrayRef<uint8_t> Bytes,
                             const DecodeLimits &Limits) {
  // Whole words; the last one takes what is left (its padding is past the
  // value). Words that are not there make Error nodes when decoded.
  const ByteReader Reader(Bytes);
  std::vector<uint64_t> Words;
  for (size_t Off = 0; Off < Bytes.size(); Off += 8) {
    auto Word = Reader.uint(Off, std::min<size_t>(8, Bytes.size() - Off));
    if (!Word)
      break;
    Words.push_back(*Word);
  }
  return decodeValueFromWords(Types, T, Words, Limits);
}

std::string toGoSyntax(const GoValue &V) { return syntax(V); }

std::string formatGoFloat(double D) { return formatFloat(D); }

} // namespace ms
