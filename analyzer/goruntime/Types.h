// Go runtime type descriptors (runtime._type on go1.19, internal/abi.Type
// on go1.21+) read from the target's memory, with names resolved through
// moduledata.types, and the kind-specific parts (element, key, fields,
// methods, map layout). Descriptors are decoded once and cached; the graph
// of types (which can be cyclic: type T struct{ next *T }) is linked with
// plain pointers owned by the TypeTable.
//
// Layouts per version: runtime/type.go (go1.19), internal/abi/type.go and
// internal/abi/map*.go (go1.21+). Only 64-bit little-endian targets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/ADT/Twine.h>

#include "goruntime/BuildInfo.h"
#include "goruntime/ModuleData.h"
#include "support/Memory.h"
#include "support/Error.h"

namespace ms {

// reflect.Kind / abi.Kind values (the same in every supported version).
enum class Kind : uint8_t {
  Invalid = 0,
  Bool,
  Int,
  Int8,
  Int16,
  Int32,
  Int64,
  Uint,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Uintptr,
  Float32,
  Float64,
  Complex64,
  Complex128,
  Array,
  Chan,
  Func,
  Interface,
  Map,
  Pointer,
  Slice,
  String,
  Struct,
  UnsafePointer,
};
// "int", "map", "ptr", "unsafe.Pointer", ... (abi.Kind.String).
llvm::StringRef kindName(Kind K);
// Int ... Uintptr, and the signed ones among them (Int ... Int64).
inline bool isIntegerKind(Kind K) {
  return K >= Kind::Int && K <= Kind::Uintptr;
}
inline bool isSignedKind(Kind K) { return K >= Kind::Int && K <= Kind::Int64; }

// S as a double-quoted Go string literal, for text read from the target
// (struct tags, string values): quotes, backslashes and control bytes
// escaped; when S is not valid UTF-8, every byte from 0x80 as \xNN too.
std::string quoteGoString(llvm::StringRef S);

// abi.TFlag bits.
enum : uint8_t {
  TFlagUncommon = 1 << 0,
  TFlagExtraStar = 1 << 1,
  TFlagNamed = 1 << 2,
  TFlagRegularMemory = 1 << 3,
  TFlagGCMaskOnDemand = 1 << 4, // go1.24+ (TFlagUnrolledBitmap on 1.22/1.23)
  TFlagDirectIface = 1 << 5,    // go1.26+ (a Kind bit before)
};


struct TypeInfo;
class FieldReader;

// Map-specific fields of a map type descriptor.
struct MapTypeInfo {
  MapImpl Impl = MapImpl::Classic;
  const TypeInfo *Bucket = nullptr; // Classic: bucket type; Swiss: group type
  uint64_t Hasher = 0;              // func value (pointer to funcval)
  uint32_t Flags = 0;               // raw flag bits (meaning differs by Impl)
  bool IndirectKey = false, IndirectElem = false;
  bool NeedKeyUpdate = false, HashMightPanic = false;
  bool ReflexiveKey = false; // Classic only (not recorded by Swiss maps)
  // Classic (OldMapType).
  uint8_t KeySize = 0, ValueSize = 0;
  uint16_t BucketSize = 0;
  // Swiss. SlotSize/ElemOff: go1.24-1.26, and go1.27 without
  // GOEXPERIMENT=mapsplitgroup. The Keys/Elems offsets and strides are
  // go1.27's own fields, and derived (slots at 8 after the control word)
  // for earlier versions, so key(i) = group + KeysOff + i*KeyStride and
  // elem(i) = group + ElemsOff + i*ElemStride hold for every version.
  uint64_t GroupSize = 0, SlotSize = 0, ElemOff = 0;
  uint64_t KeysOff = 0, KeyStride = 0, ElemsOff = 0, ElemStride = 0;
  bool SplitGroup = false; // go1.27 GOEXPERIMENT=mapsplitgroup (KKKKVVVV)
};

struct StructFieldInfo {
  std::string Name;
  const TypeInfo *Type = nullptr;
  uint64_t Offset = 0;
  bool Embedded = false;
  bool Exported = false;
  std::string Tag;
};

struct MethodInfo {
  std::string Name;
  const TypeInfo *Type = nullptr; // resolved for interface methods only
  int32_t TypeOff = 0; // method type (without receiver), offset from types
  int32_t IfnOff = 0, TfnOff = 0; // text offsets (Method only)
  bool Exported = false;
};

struct TypeInfo {
  uint64_t Addr = 0; // descriptor address (runtime)
  // Common part.
  uint64_t Size = 0, PtrBytes = 0;
  uint32_t Hash = 0;
  uint8_t TFlag = 0, Align = 0, FieldAlign = 0;
  uint8_t RawKind = 0; // Kind_ as stored (with flag bits before go1.26)
  Kind K = Kind::Invalid;
  uint64_t Equal = 0, GCData = 0;
  int32_t Str = 0, PtrToThis = 0;
  // The runtime's string for the type ("map[string]int", "*main.T",
  // "main.routeKey"): str resolved, extra '*' dropped.
  std::string Name;
  bool Named = false;       // TFlagNamed
  bool DirectIface = false; // stored directly in an interface's data word

  // Uncommon part (named types and types with methods).
  bool HasUncommon = false;
  std::string PkgPath;
  uint16_t MCount = 0, XCount = 0;
  std::vector<MethodInfo> Methods; // bounded

  // Kind-specific parts.
  const TypeInfo *Elem = nullptr; // Array, Chan, Map, Pointer, Slice
  const TypeInfo *Key = nullptr;  // Map
  uint64_t Len = 0;               // Array
  int ChanDir = 0;                // Chan: 1 recv, 2 send, 3 both
  std::optional<MapTypeInfo> Map;
  std::vector<StructFieldInfo> Fields; // Struct
  std::string StructPkgPath;            // Struct, Interface
  std::vector<MethodInfo> IfaceMethods; // Interface
  std::vector<const TypeInfo *> In, Out; // Func
  bool Variadic = false;                 // Func

  // Decoding of this descriptor failed (only for types reached through
  // another one; the entry point reports errors as values). Broken types
  // have only Addr and Error set.
  bool Broken = false;
  std::string Error;

  bool isEmptyInterface() const {
    return K == Kind::Interface && IfaceMethods.empty();
  }
};

// Build a Go spelling of T from its components (the same text the runtime
// stores in str for unnamed types; named types use their name). Bounded
// in depth; used where str is empty and to cross-check it.
std::string composeTypeName(const TypeInfo &T);
// The Go spelling the runtime uses: the str name when there is one,
// otherwise composed from the components.
std::string typeName(const TypeInfo &T);

class TypeTable {
public:
  // Types resolve names and offsets against this module; MapImpl says
  // which map descriptor layout to use.
  TypeTable(const Memory &M, const ModuleData &MD, GoVersion V, MapImpl Maps);
  // Shorthand: map implementation from the build info.
  TypeTable(const Memory &M, const ModuleData &MD, const BuildInfo &BI)
      : TypeTable(M, MD, BI.Version, mapImplFor(BI)) {}

  // The descriptor at Addr, decoded with everything reachable from it
  // (elements, keys, fields, params; bounded). Cached: the pointer stays
  // valid as long as the table. An error when the descriptor itself
  // cannot be read or makes no sense; unreadable types reached from it
  // are Broken entries.
  Expected<const TypeInfo *> typeAt(uint64_t Addr);
  // The descriptor at Types + Off (a typeOff).
  Expected<const TypeInfo *> typeAtOff(int32_t Off);

  // Types the linker lists for reflection: moduledata.typelinks (before
  // go1.27), or the leading run of type descriptors (go1.27+: typelinks
  // are gone, descriptors are walked by size from types+8 to
  // types+typedesclen). Unnamed composite types mostly.
  Expected<std::vector<const TypeInfo *>> typelinks();
  // Every type reachable from the typelinks (elements, keys, fields,
  // params, bucket/group types): also finds named types such as
  // "main.routeKey". Bounded by MaxTypes.
  Expected<std::vector<const TypeInfo *>> reachableTypes();
  // A type by its runtime string ("map[string]int", "main.routeKey",
  // "*main.T"): among reachableTypes(), else by scanning [types, etypes)
  // for a descriptor whose str is that name (finds named types no list
  // mentions). nullptr when absent.
  Expected<const TypeInfo *> findByName(llvm::StringRef Name);
  // Only the scan of [types, etypes) that findByName falls back to.
  Expected<const TypeInfo *> scanForName(llvm::StringRef Want);
  // All map types among reachableTypes().
  Expected<std::vector<const TypeInfo *>> mapTypes();

  // A name (abi.Name) at Addr: the text, tag, flags.
  struct Name {
    std::string Text, Tag, PkgPath;
    bool Exported = false, Embedded = false;
  };
  Expected<Name> readName(uint64_t Addr);
  // resolveNameOff against moduledata.types.
  Expected<Name> nameAtOff(int32_t Off);

  const ModuleData &module() const { return MD; }
  const GoVersion &version() const { return V; }
  MapImpl mapImpl() const { return Maps; }
  const Memory &memory() const { return Mem; }

  static constexpr size_t MaxTypes = 200000;

private:
  // Decoding one descriptor; the types it refers to are entered into the
  // cache and pushed on Work, to be decoded in turn.
  Error decode(TypeInfo &T, std::vector<TypeInfo *> &Work);
  Error decodeHeader(TypeInfo &T);
  uint64_t kindPartSize(Kind K) const;
  Error decodeKindPart(TypeInfo &T, FieldReader &X,
                       std::vector<TypeInfo *> &Work);
  Error decodeElem(TypeInfo &T, FieldReader &X, std::vector<TypeInfo *> &Work);
  Error decodeMap(TypeInfo &T, FieldReader &X, std::vector<TypeInfo *> &Work);
  Error decodeStruct(TypeInfo &T, FieldReader &X,
                     std::vector<TypeInfo *> &Work);
  Error decodeInterface(TypeInfo &T, FieldReader &X,
                        std::vector<TypeInfo *> &Work);
  Error decodeUncommon(TypeInfo &T, uint64_t Addr);
  Error decodeFunc(TypeInfo &T, FieldReader &X, uint64_t Uncommon,
                   std::vector<TypeInfo *> &Work);
  struct Members {
    uint64_t Data = 0, Len = 0;
  };
  Expected<Members> decodeMembers(TypeInfo &T, FieldReader &X,
                                  llvm::StringRef Kind, llvm::StringRef What);
  // Each of Count records of Size bytes at Addr (fields, methods,
  // parameters), read in one piece; What names them in a read error.
  Error forEachRecord(uint64_t Addr, uint64_t Count, uint64_t Size,
                      const llvm::Twine &What,
                      llvm::function_ref<Error(FieldReader &)> Each);
  Error nameMethod(MethodInfo &M, int32_t NameOff, const char *What);
  TypeInfo *entry(uint64_t Addr, std::vector<TypeInfo *> &Work);
  Expected<uint64_t> descriptorSize(const TypeInfo &T);

  const Memory &Mem;
  ModuleData MD;
  GoVersion V;
  MapImpl Maps;
  std::map<uint64_t, std::unique_ptr<TypeInfo>> Cache;
  std::optional<std::vector<const TypeInfo *>> Links, Reachable;
};

} // namespace ms
