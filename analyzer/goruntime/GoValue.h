// Go values decoded from target memory (or register words) with their
// runtime type descriptors: a bounded tree that never invents data. Memory
// that is not there becomes an error node naming the address.
//
//   TypeTable Types(Mem, MD, BI);
//   auto T = Types.findByName("main.routeKey");
//   GoValue V = decodeValue(Types, **T, Addr);
//   toGoSyntax(V)  -> main.routeKey{Name:"a", ID:3}
//   (report/AnalysisJSON.h writes it as JSON: {"Name":"a","ID":3})
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>

#include "goruntime/Types.h"

namespace ms {

struct DecodeLimits {
  uint64_t MaxStringBytes = 1024; // longer strings are cut (Truncated)
  uint64_t MaxElements = 64;      // slice/array elements decoded
  unsigned MaxDepth = 8;          // nesting (struct/array/interface)
  uint64_t MaxNodes = 20000;      // values in one tree; past it: TooDeep
};

struct GoValue {
  enum class VKind : uint8_t {
    Error,     // could not be decoded: ErrorText, ErrorAddr
    Bool,      // B
    Int,       // I (int, int8..int64)
    Uint,      // U (uint.., uintptr)
    Float,     // F
    Complex,   // F (real), Imag
    String,    // Str, Len, Truncated; Ptr = data pointer
    Pointer,   // Ptr (also unsafe.Pointer)
    Slice,     // Ptr, Len, Cap, Elems (first MaxElements), Truncated
    Array,     // Len, Elems, Truncated
    Struct,    // Fields
    Interface, // Dynamic (nullptr for a nil interface), DynType
    Map,       // Ptr: the map header (hmap / swiss Map), 0 for nil
    Chan,      // Ptr: the hchan, 0 for nil
    Func,      // Ptr: the funcval, 0 for nil
    TooDeep,   // nesting or node limit reached (not an error)
  };
  VKind VK = VKind::Error;
  const TypeInfo *Type = nullptr; // static type (nullptr for Error nodes
                                  // made before a type was known)
  uint64_t Addr = 0;              // where it was read; 0 if from registers

  bool B = false;
  int64_t I = 0;
  uint64_t U = 0;
  double F = 0, Imag = 0;
  std::string Str;
  uint64_t Ptr = 0, Len = 0, Cap = 0;
  bool Truncated = false;
  std::vector<GoValue> Elems;
  struct Field {
    std::string Name;
    bool Embedded = false;
    std::unique_ptr<GoValue> Value;
  };
  std::vector<Field> Fields;
  std::unique_ptr<GoValue> Dynamic; // interface's dynamic value
  const TypeInfo *DynType = nullptr;
  std::string ErrorText;
  uint64_t ErrorAddr = 0;

  GoValue() = default;
  GoValue(GoValue &&) = default;
  GoValue &operator=(GoValue &&) = default;
  GoValue(const GoValue &O); // deep copy
  GoValue &operator=(const GoValue &O);

  // A deep copy that names no type descriptor (Type and DynType null): a
  // value that outlives the program it was decoded from (reports).
  GoValue detached() const;

  bool isError() const { return VK == VKind::Error; }
  // For interfaces: the dynamic type (nullptr when nil); otherwise Type.
  const TypeInfo *dynamicType() const {
    return VK == VKind::Interface ? DynType : Type;
  }
  // Field by name (structs), nullptr when absent.
  const GoValue *field(llvm::StringRef Name) const;
  // Does this value or anything below it hold an error node?
  bool hasErrors() const;
};

// Decodes a value of type T at Addr. Always returns a tree; unreadable
// parts are Error nodes (the returned node itself when Addr is unreadable).
GoValue decodeValue(TypeTable &Types, const TypeInfo &T, uint64_t Addr,
                    const DecodeLimits &Limits = {});

// Decodes a value held in registers or spill slots: Words are the value's
// bytes as little-endian pointer-sized words, in order (an int: 1 word; a
// pointer: 1; a string: {ptr, len}; a slice: {ptr, len, cap}; an
// interface: {type or itab, data}; a float64: its bits). Referenced memory
// (string bytes, elements, interface data) is read through
// Types.memory(). Words that do not cover the value give an Error node.
// Nodes held in the words have Addr 0.
GoValue decodeValueFromWords(TypeTable &Types, const TypeInfo &T,
                             llvm::ArrayRef<uint64_t> Words,
                             const DecodeLimits &Limits = {});

// The same for raw bytes (little-endian; padded to whole words).
GoValue decodeValueFromBytes(TypeTable &Types, const TypeInfo &T,
                             llvm::ArrayRef<uint8_t> Bytes,
                             const DecodeLimits &Limits = {});

// Go composite-literal style text: main.routeKey{Name:"a", ID:3}, "text",
// 42, []int{1, 2}, (*main.T)(0xc000010000), map[string]int(0xc00001c030),
// nil. Cut strings end in "..."; elided elements as "...".
std::string toGoSyntax(const GoValue &V);

// A float as Go's strconv 'g' formatting would print it (NaN, +Inf, 1.5e+06).
std::string formatGoFloat(double D);

} // namespace ms
