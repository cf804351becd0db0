#include "goruntime/Types.h"

#include <algorithm>
#include <deque>
#include <set>

#include <llvm/Support/ConvertUTF.h>

#include "goruntime/FieldReader.h"
#include "goruntime/GoVersions.h"
#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

namespace {
constexpr uint64_t TypeSize = 48; // abi.Type on 64-bit
constexpr uint64_t UncommonSize = 16;
constexpr uint64_t MethodSize = 16;
constexpr uint64_t IMethodSize = 8;
constexpr uint64_t FieldSize = 24;
constexpr uint64_t MaxMembers = 1 << 16; // fields, methods, params

const char *const KindNames[] = {
    "invalid", "bool",      "int",       "int8",      "int16",   "int32",
    "int64",   "uint",      "uint8",     "uint16",    "uint32",  "uint64",
    "uintptr", "float32",   "float64",   "complex64", "complex128", "array",
    "chan",    "func",      "interface", "map",       "ptr",     "slice",
    "string",  "struct",    "unsafe.Pointer"};
} // namespace

StringRef kindName(Kind K) {
  auto I = static_cast<size_t>(K);
  return I < std::size(KindNames) ? KindNames[I] : KindNames[0];
}

TypeTable::TypeTable(const Memory &M, const ModuleData &MD, GoVersion V,
                     MapImpl Maps)
    : Mem(M), MD(MD), V(std::move(V)), Maps(Maps) {}

Expected<TypeTable::Name> TypeTable::readName(uint64_t Addr) {
  Name N;
  if (Addr == 0)
    return N;
  // flags byte, uvarint length, bytes [, uvarint tag length, tag]
  // [, int32 nameOff of the package path]. Read a small prefix first.
  auto Head = Mem.readBytes(Addr, 1);
  if (!Head)
    return addContext(Head.takeError(), "reading type name");
  uint8_t Flags = (*Head)[0];
  N.Exported = Flags & 1;
  N.Embedded = Flags & 8;
  uint64_t Pos = Addr + 1;
  auto Varint = [&]() -> Expected<uint64_t> {
    uint64_t V = 0;
    for (unsigned I = 0; I < 5; ++I) {
      auto B = Mem.readU8(Pos++);
      if (!B)
        return B.takeError();
      V |= uint64_t(*B & 0x7f) << (7 * I);
      if (!(*B & 0x80))
        return V;
    }
    return makeError("malformed name length at {0}", hex(Addr));
  };
  auto Len = Varint();
  if (!Len)
    return Len.takeError();
  auto Text = Mem.readString(Pos, *Len, 1 << 20);
  if (!Text)
    return addContext(Text.takeError(), "reading type name");
  N.Text = std::move(*Text);
  Pos += *Len;
  if (Flags & 2) {
    auto TL = Varint();
    if (!TL)
      return TL.takeError();
    auto Tag = Mem.readString(Pos, *TL, 1 << 20);
    if (!Tag)
      return addContext(Tag.takeError(), "reading struct tag");
    N.Tag = std::move(*Tag);
    Pos += *TL;
  }
  if (Flags & 4) {
    auto Off = Mem.readU32(Pos);
    if (!Off)
      return Off.takeError();
    if (*Off) {
      auto PN = nameAtOff(static_cast<int32_t>(*Off));
      if (!PN)
        return PN.takeError();
      N.PkgPath = std::move(PN->Text);
    }
  }
  return N;
}

Expected<TypeTable::Name> TypeTable::nameAtOff(int32_t Off) {
  if (Off == 0)
    return Name();
  if (Off < 0 || MD.Types + uint64_t(Off) > MD.ETypes)
    return makeError("name offset {0} outside the module's types [{1}, {2})",
                     Off, hex(MD.Types), hex(MD.ETypes));
  return readName(MD.Types + uint64_t(Off));
}

TypeInfo *TypeTable::entry(uint64_t Addr, std::vector<TypeInfo *> &Work) {
  if (Addr == 0)
    return nullptr;
  auto It = Cache.find(Addr);
  if (It != Cache.end())
    return It->second.get();
  if (Cache.size() >= MaxTypes)
    return nullptr;
  auto T = std::make_unique<TypeInfo>();
  T->Addr = Addr;
  TypeInfo *P = T.get();
  Cache.emplace(Addr, std::move(T));
  Work.push_back(P);
  return P;
}

Expected<const TypeInfo *> TypeTable::typeAtOff(int32_t Off) {
  if (Off <= 0 || MD.Types + uint64_t(Off) >= MD.ETypes)
    return makeError("type offset {0} outside the module's types", Off);
  return typeAt(MD.Types + uint64_t(Off));
}

Expected<const TypeInfo *> TypeTable::typeAt(uint64_t Addr) {
  auto It = Cache.find(Addr);
  if (It != Cache.end()) {
    if (It->second->Broken)
      return makeError("type descriptor at {0}: {1}", hex(Addr),
                       It->second->Error);
    return It->second.get();
  }
  if (Addr == 0)
    return makeError("nil type descriptor");
  if (Addr % 8)
    return makeError("misaligned type descriptor address {0}", hex(Addr));
  std::vector<TypeInfo *> Work;
  TypeInfo *Root = entry(Addr, Work);
  if (!Root)
    return makeError("type table is full ({0} types)", MaxTypes);
  while (!Work.empty()) {
    TypeInfo *T = Work.back();
    Work.pop_back();
    if (auto E = decode(*T, Work)) {
      T->Broken = true;
      T->Error = errorText(std::move(E));
    }
  }
  if (Root->Broken)
    return makeError("type descriptor at {0}: {1}", hex(Addr), Root->Error);
  return Root;
}

Error TypeTable::decode(TypeInfo &T, std::vector<TypeInfo *> &Work) {
  if (auto E = decodeHeader(T))
    return E;
  // The kind-specific part follows the common one; then the uncommon part
  // and (functions) the parameters.
  const uint64_t Base = kindPartSize(T.K);
  auto Bytes = Mem.readBytes(T.Addr, Base);
  if (!Bytes)
    return Bytes.takeError();
  FieldReader X(*Bytes, "type descriptor");
  if (auto E = decodeKindPart(T, X, Work))
    return E;
  if (T.TFlag & TFlagUncommon)
    if (auto E = decodeUncommon(T, T.Addr + Base))
      return E;
  if (T.K == Kind::Func)
    return decodeFunc(T, X, T.Addr + Base, Work);
  return Error::success();
}

// The common part (abi.Type): sizes, flags, kind, and the type's string.
Error TypeTable::decodeHeader(TypeInfo &T) {
  auto Bytes = Mem.readBytes(T.Addr, TypeSize);
  if (!Bytes)
    return Bytes.takeError();
  FieldReader C(*Bytes, "abi.Type");
  T.Size = C.u64(0);
  T.PtrBytes = C.u64(8);
  T.Hash = C.u32(16);
  T.TFlag = C.u8(20);
  T.Align = C.u8(21);
  T.FieldAlign = C.u8(22);
  T.RawKind = C.u8(23);
  T.Equal = C.u64(24);
  T.GCData = C.u64(32);
  T.Str = C.i32(40);
  T.PtrToThis = C.i32(44);
  if (auto E = C.check())
    return E;
  uint8_t K;
  if (traitsOf(V).KindIsWholeByte) {
    K = T.RawKind;
    T.DirectIface = T.TFlag & TFlagDirectIface;
  } else {
    K = T.RawKind & 31;
    T.DirectIface = T.RawKind & 32;
  }
  if (K == 0 || K > static_cast<uint8_t>(Kind::UnsafePointer))
    return makeError("not a type descriptor (kind {0})", T.RawKind);
  T.K = static_cast<Kind>(K);
  if (T.Align == 0 || (T.Align & (T.Align - 1)) || T.Align > 64 ||
      T.PtrBytes > T.Size)
    return makeError("not a type descriptor (align {0}, size {1}, ptrdata {2})",
                     T.Align, T.Size, T.PtrBytes);
  T.Named = T.TFlag & TFlagNamed;
  auto Str = nameAtOff(T.Str);
  if (!Str)
    return addContext(Str.takeError(), "type string");
  T.Name = std::move(Str->Text);
  if ((T.TFlag & TFlagExtraStar) && !T.Name.empty() && T.Name[0] == '*')
    T.Name.erase(0, 1);
  return Error::success();
}

// Size of a descriptor of kind K up to the end of its kind-specific part
// (abi.ArrayType, abi.ChanType, ...): where its uncommon part starts.
uint64_t TypeTable::kindPartSize(Kind K) const {
  switch (K) {
  case Kind::Array:
    return 72;
  case Kind::Chan:
    return 64;
  case Kind::Func:
    return 56;
  case Kind::Interface:
  case Kind::Struct:
    return 80;
  case Kind::Map:
    return Maps == MapImpl::Classic ? 88 : swissMapTypeSize(V);
  case Kind::Pointer:
  case Kind::Slice:
    return 56;
  default:
    return TypeSize;
  }
}

Error TypeTable::decodeKindPart(TypeInfo &T, FieldReader &X,
                                std::vector<TypeInfo *> &Work) {
  switch (T.K) {
  case Kind::Array:
  case Kind::Chan:
  case Kind::Pointer:
  case Kind::Slice:
    return decodeElem(T, X, Work);
  case Kind::Map:
    return decodeMap(T, X, Work);
  case Kind::Struct:
    return decodeStruct(T, X, Work);
  case Kind::Interface:
    return decodeInterface(T, X, Work);
  default: // Func: after the uncommon part; the others have no more
    return Error::success();
  }
}

// Array, Chan, Pointer, Slice: the element type, and the length of an
// array or the direction of a channel.
Error TypeTable::decodeElem(TypeInfo &T, FieldReader &X,
                           std::vector<TypeInfo *> &Work) {
  const uint64_t Elem = X.u64(48);
  const uint64_t Len = T.K == Kind::Array ? X.u64(64) : 0;
  const uint64_t Dir = T.K == Kind::Chan ? X.u64(56) : 0;
  if (auto E = X.check())
    return E;
  T.Elem = entry(Elem, Work);
  T.Len = Len;
  T.ChanDir = static_cast<int>(Dir);
  return Error::success();
}

// abi.OldMapType (classic maps) or abi.SwissMapType.
Error TypeTable::decodeMap(TypeInfo &T, FieldReader &X,
                          std::vector<TypeInfo *> &Work) {
  MapTypeInfo MI;
  MI.Impl = Maps;
  const uint64_t Key = X.u64(48), Elem = X.u64(56), Bucket = X.u64(64);
  MI.Hasher = X.u64(72);
  if (Maps == MapImpl::Classic) {
    MI.KeySize = X.u8(80);
    MI.ValueSize = X.u8(81);
    MI.BucketSize = X.u16(82);
    MI.Flags = X.u32(84);
    MI.IndirectKey = MI.Flags & 1;
    MI.IndirectElem = MI.Flags & 2;
    MI.ReflexiveKey = MI.Flags & 4;
    MI.NeedKeyUpdate = MI.Flags & 8;
    MI.HashMightPanic = MI.Flags & 16;
  } else {
    MI.GroupSize = X.u64(80);
    if (traitsOf(V).SwissMapTypeSlotOffsets) {
      MI.KeysOff = X.u64(88);
      MI.KeyStride = X.u64(96);
      MI.ElemsOff = X.u64(104);
      MI.ElemStride = X.u64(112);
      MI.ElemOff = X.u64(120);
      MI.Flags = X.u32(128);
      MI.SplitGroup = MI.KeyStride != MI.ElemStride ||
                      MI.ElemsOff != MI.KeysOff + MI.ElemOff;
      if (!MI.SplitGroup)
        MI.SlotSize = MI.KeyStride;
    } else {
      MI.SlotSize = X.u64(88);
      MI.ElemOff = X.u64(96);
      MI.Flags = X.u32(104);
      MI.KeysOff = 8; // after the control word
      MI.KeyStride = MI.SlotSize;
      MI.ElemsOff = 8 + MI.ElemOff;
      MI.ElemStride = MI.SlotSize;
    }
    MI.NeedKeyUpdate = MI.Flags & 1;
    MI.HashMightPanic = MI.Flags & 2;
    MI.IndirectKey = MI.Flags & 4;
    MI.IndirectElem = MI.Flags & 8;
  }
  if (auto E = X.check())
    return E;
  T.Key = entry(Key, Work);
  T.Elem = entry(Elem, Work);
  MI.Bucket = entry(Bucket, Work);
  T.Map = MI;
  return Error::success();
}

// Struct and interface descriptors go on alike after the common part: the
// package path, then a slice of fields or methods (What: "struct fields",
// "interface methods"), bounded by MaxMembers.
Expected<TypeTable::Members>
TypeTable::decodeMembers(TypeInfo &T, FieldReader &X, StringRef Kind,
                         StringRef What) {
  const uint64_t PkgPath = X.u64(48);
  Members Out;
  Out.Data = X.u64(56);
  Out.Len = X.u64(64);
  if (auto E = X.check())
    return E;
  auto Name = readName(PkgPath);
  if (!Name)
    return addContext(Name.takeError(), Kind + " package path");
  T.StructPkgPath = std::move(Name->Text);
  if (Out.Len > MaxMembers)
    return makeError("{0} with {1} {2}", Kind, Out.Len, What);
  return Out;
}

Error TypeTable::forEachRecord(uint64_t Addr, uint64_t Count, uint64_t Size,
                               const Twine &What,
                               function_ref<Error(FieldReader &)> Each) {
  if (Count == 0)
    return Error::success();
  auto Bytes = Mem.readBytes(Addr, Count * Size);
  if (!Bytes)
    return addContext(Bytes.takeError(), What);
  for (uint64_t I = 0; I < Count; ++I) {
    FieldReader Record(ArrayRef<uint8_t>(*Bytes).slice(I * Size, Size),
                       "type record");
    if (auto E = Each(Record))
      return E;
  }
  return Error::success();
}

Error TypeTable::nameMethod(MethodInfo &M, int32_t NameOff, const char *What) {
  auto Name = nameAtOff(NameOff);
  if (!Name)
    return addContext(Name.takeError(), What);
  M.Name = std::move(Name->Text);
  M.Exported = Name->Exported;
  return Error::success();
}

// abi.StructType: the fields (abi.StructField: name, type, offset).
Error TypeTable::decodeStruct(TypeInfo &T, FieldReader &X,
                             std::vector<TypeInfo *> &Work) {
  auto Fields = decodeMembers(T, X, "struct", "fields");
  if (!Fields)
    return Fields.takeError();
  return forEachRecord(
      Fields->Data, Fields->Len, FieldSize, "struct fields",
      [&](FieldReader &Record) -> Error {
        const uint64_t NameAddr = Record.u64(0), Type = Record.u64(8),
                       Offset = Record.u64(16);
        if (auto E = Record.check())
          return E;
        auto Name = readName(NameAddr);
        if (!Name)
          return addContext(Name.takeError(), "struct field name");
        StructFieldInfo Field;
        Field.Name = std::move(Name->Text);
        Field.Tag = std::move(Name->Tag);
        Field.Embedded = Name->Embedded;
        Field.Exported = Name->Exported;
        Field.Type = entry(Type, Work);
        Field.Offset = Offset;
        if (Field.Offset > T.Size)
          return makeError("field {0} at offset {1} beyond struct size {2}",
                           Field.Name, Field.Offset, T.Size);
        T.Fields.push_back(std::move(Field));
        return Error::success();
      });
}

// abi.InterfaceType: the methods (abi.Imethod: nameOff, typeOff).
Error TypeTable::decodeInterface(TypeInfo &T, FieldReader &X,
                                std::vector<TypeInfo *> &Work) {
  auto Methods = decodeMembers(T, X, "interface", "methods");
  if (!Methods)
    return Methods.takeError();
  return forEachRecord(
      Methods->Data, Methods->Len, IMethodSize, "interface methods",
      [&](FieldReader &Record) -> Error {
        const int32_t NameOff = Record.i32(0), TypeOff = Record.i32(4);
        if (auto E = Record.check())
          return E;
        MethodInfo M;
        if (auto E = nameMethod(M, NameOff, "interface method name"))
          return E;
        M.TypeOff = TypeOff;
        if (M.TypeOff > 0 && MD.Types + uint64_t(M.TypeOff) < MD.ETypes)
          M.Type = entry(MD.Types + uint64_t(M.TypeOff), Work);
        T.IfaceMethods.push_back(std::move(M));
        return Error::success();
      });
}

// The uncommon part at Addr (abi.UncommonType): package path and methods.
Error TypeTable::decodeUncommon(TypeInfo &T, uint64_t Addr) {
  T.HasUncommon = true;
  auto Bytes = Mem.readBytes(Addr, UncommonSize);
  if (!Bytes)
    return addContext(Bytes.takeError(), "uncommon type");
  FieldReader U(*Bytes, "abi.UncommonType");
  const int32_t PkgPath = U.i32(0);
  T.MCount = U.u16(4);
  T.XCount = U.u16(6);
  const uint32_t MethodsOff = U.u32(8);
  if (auto E = U.check())
    return E;
  auto Name = nameAtOff(PkgPath);
  if (!Name)
    return addContext(Name.takeError(), "package path");
  T.PkgPath = std::move(Name->Text);
  return forEachRecord(
      Addr + MethodsOff, T.MCount, MethodSize, "methods",
      [&](FieldReader &Record) -> Error {
        const int32_t NameOff = Record.i32(0);
        MethodInfo M;
        M.TypeOff = Record.i32(4);
        M.IfnOff = Record.i32(8);
        M.TfnOff = Record.i32(12);
        if (auto E = Record.check())
          return E;
        if (auto E = nameMethod(M, NameOff, "method name"))
          return E;
        T.Methods.push_back(std::move(M));
        return Error::success();
      });
}

// abi.FuncType: parameter counts here, the parameter types after the
// uncommon part (which starts at Uncommon, present or not).
Error TypeTable::decodeFunc(TypeInfo &T, FieldReader &X, uint64_t Uncommon,
                           std::vector<TypeInfo *> &Work) {
  const uint16_t In = X.u16(48);
  const uint16_t OutRaw = X.u16(50);
  if (auto E = X.check())
    return E;
  const uint16_t Out = OutRaw & 0x7fff;
  T.Variadic = OutRaw & 0x8000;
  const uint64_t At = Uncommon + (T.HasUncommon ? UncommonSize : 0);
  return forEachRecord(At, uint64_t(In) + Out, 8, "function parameters",
                       [&](FieldReader &Record) -> Error {
                         const uint64_t Param = Record.u64(0);
                         if (auto E = Record.check())
                           return E;
                         (T.In.size() < In ? T.In : T.Out)
                             .push_back(entry(Param, Work));
                         return Error::success();
                       });
}

Expected<uint64_t> TypeTable::descriptorSize(const TypeInfo &T) {
  // abi.Type.DescriptorSize (go1.27): the kind's part, its trailing
  // members, the uncommon part and its methods.
  uint64_t Size = kindPartSize(T.K);
  switch (T.K) {
  case Kind::Func:
    Size += (T.In.size() + T.Out.size()) * 8;
    break;
  case Kind::Interface:
    Size += T.IfaceMethods.size() * IMethodSize;
    break;
  case Kind::Struct:
    Size += T.Fields.size() * FieldSize;
    break;
  default:
    break;
  }
  if (T.HasUncommon)
    Size += UncommonSize + uint64_t(T.MCount) * MethodSize;
  return Size;
}

Expected<std::vector<const TypeInfo *>> TypeTable::typelinks() {
  if (Links)
    return *Links;
  std::vector<const TypeInfo *> Out;
  if (MD.TypeLinks) {
    const GoSlice &S = *MD.TypeLinks;
    if (S.Len > MaxTypes)
      return makeError("typelinks has {0} entries", S.Len);
    auto Bytes = Mem.readBytes(S.Data, S.Len * 4);
    if (!Bytes)
      return addContext(Bytes.takeError(), "reading typelinks");
    const ByteReader Offsets(*Bytes);
    for (uint64_t I = 0; I < S.Len; ++I) {
      const std::string Name = "typelinks[" + std::to_string(I) + "]";
      auto Off = Offsets.u32(I * 4);
      if (!Off)
        return makeError("{0} lies past the {1} bytes read", Name,
                         Offsets.size());
      auto T = typeAtOff(static_cast<int32_t>(*Off));
      if (!T)
        return addContext(T.takeError(), Name);
      Out.push_back(*T);
    }
  } else if (MD.TypeDescLen) {
    // go1.27: descriptors laid out back to back from types+PtrSize.
    uint64_t TD = MD.Types + 8, End = MD.Types + *MD.TypeDescLen;
    if (End > MD.ETypes || End < MD.Types)
      return makeError("typedesclen {0} beyond etypes", *MD.TypeDescLen);
    while (TD < End && Out.size() < MaxTypes) {
      TD = alignTo(TD, 8);
      if (TD >= End)
        break;
      auto T = typeAt(TD);
      if (!T)
        return addContext(T.takeError(), "walking type descriptors");
      Out.push_back(*T);
      auto Sz = descriptorSize(**T);
      if (!Sz)
        return Sz.takeError();
      TD += *Sz;
    }
  } else {
    return makeError("moduledata has neither typelinks nor typedesclen");
  }
  Links = Out;
  return Out;
}

Expected<std::vector<const TypeInfo *>> TypeTable::reachableTypes() {
  if (Reachable)
    return *Reachable;
  auto L = typelinks();
  if (!L)
    return L.takeError();
  std::vector<const TypeInfo *> Out;
  std::set<const TypeInfo *> Seen;
  std::deque<const TypeInfo *> Q(L->begin(), L->end());
  auto Push = [&](const TypeInfo *T) {
    if (T && !T->Broken)
      Q.push_back(T);
  };
  while (!Q.empty() && Out.size() < MaxTypes) {
    const TypeInfo *T = Q.front();
    Q.pop_front();
    if (!Seen.insert(T).second)
      continue;
    Out.push_back(T);
    Push(T->Elem);
    Push(T->Key);
    if (T->Map)
      Push(T->Map->Bucket);
    for (auto &F : T->Fields)
      Push(F.Type);
    for (auto *P : T->In)
      Push(P);
    for (auto *P : T->Out)
      Push(P);
    for (auto &M : T->IfaceMethods)
      Push(M.Type);
  }
  Reachable = Out;
  return Out;
}

Expected<const TypeInfo *> TypeTable::findByName(StringRef Name) {
  auto All = reachableTypes();
  if (!All)
    return All.takeError();
  for (const TypeInfo *T : *All)
    if (T->Name == Name)
      return T;
  return scanForName(Name);
}

Expected<const TypeInfo *> TypeTable::scanForName(StringRef Want) {
  // Named types used only by the garbage collector or by code (not by
  // reflection) are in no list: look at every 8-aligned place in
  // [types, etypes) whose str field resolves to the name, then decode.
  if (MD.ETypes <= MD.Types || MD.ETypes - MD.Types > (256u << 20))
    return makeError("implausible types range [{0}, {1})", hex(MD.Types),
                     hex(MD.ETypes));
  const uint64_t Len = MD.ETypes - MD.Types;
  std::vector<uint8_t> Copy;
  ArrayRef<uint8_t> R = Mem.view(MD.Types, Len);
  if (R.empty()) {
    auto B = Mem.readBytes(MD.Types, Len);
    if (!B)
      return addContext(B.takeError(), "reading the types section");
    Copy = std::move(*B);
    R = Copy;
  }
  const ByteReader Section(R);
  const bool WholeByte = traitsOf(V).KindIsWholeByte;
  for (uint64_t O = 0; O + TypeSize <= Len; O += 8) {
    auto TFlag = Section.u8(O + 20), RawKind = Section.u8(O + 23);
    auto StrOff = Section.u32(O + 40);
    if (!TFlag || !RawKind || !StrOff)
      continue;
    uint8_t K = WholeByte ? *RawKind : (*RawKind & 31);
    if (K == 0 || K > static_cast<uint8_t>(Kind::UnsafePointer))
      continue;
    int32_t Str = static_cast<int32_t>(*StrOff);
    if (Str <= 0 || uint64_t(Str) + 2 >= Len)
      continue;
    // Name: flags, uvarint length, text (one or two length bytes here).
    uint64_t P = uint64_t(Str) + 1;
    auto Len0 = Section.u8(P);
    if (!Len0)
      continue;
    uint64_t NameLen = *Len0 & 0x7f;
    if (*Len0 & 0x80) {
      auto Len1 = Section.u8(P + 1);
      if (!Len1 || (*Len1 & 0x80))
        continue;
      NameLen |= uint64_t(*Len1 & 0x7f) << 7;
      ++P;
    }
    ++P;
    bool Star = *TFlag & TFlagExtraStar;
    if (NameLen != Want.size() + (Star ? 1 : 0) || !Section.has(P, NameLen))
      continue;
    StringRef Text(reinterpret_cast<const char *>(R.data() + P), NameLen);
    if (Star && !Text.consume_front("*"))
      continue;
    if (Text != Want)
      continue;
    // A place whose bytes only look like a descriptor: not this one.
    auto T = probe(typeAt(MD.Types + O));
    if (T && (*T)->Name == Want)
      return *T;
  }
  return nullptr;
}

Expected<std::vector<const TypeInfo *>> TypeTable::mapTypes() {
  auto All = reachableTypes();
  if (!All)
    return All.takeError();
  std::vector<const TypeInfo *> Out;
  for (const TypeInfo *T : *All)
    if (T->K == Kind::Map)
      Out.push_back(T);
  return Out;
}

// ---- composeTypeName ----------------------------------------------------------

std::string quoteGoString(StringRef S) {
  const UTF8 *Rest = reinterpret_cast<const UTF8 *>(S.data());
  const bool ValidUTF8 = isLegalUTF8String(&Rest, Rest + S.size());
  std::string Out = "\"";
  for (unsigned char C : S) {
    switch (C) {
    case '"':
      Out += "\\\"";
      continue;
    case '\\':
      Out += "\\\\";
      continue;
    case '\n':
      Out += "\\n";
      continue;
    case '\r':
      Out += "\\r";
      continue;
    case '\t':
      Out += "\\t";
      continue;
    default:
      break;
    }
    if (C < 0x20 || C == 0x7f || (C >= 0x80 && !ValidUTF8)) {
      char B[8];
      snprintf(B, sizeof B, "\\x%02x", C);
      Out += B;
    } else {
      Out += static_cast<char>(C);
    }
  }
  return Out + "\"";
}

namespace {

std::string compose(const TypeInfo *T, unsigned Depth);

std::string funcSignature(const TypeInfo &T, unsigned Depth) {
  std::string S = "(";
  for (size_t I = 0; I < T.In.size(); ++I) {
    if (I)
      S += ", ";
    if (T.Variadic && I + 1 == T.In.size() && T.In[I] && T.In[I]->Elem)
      S += "..." + compose(T.In[I]->Elem, Depth + 1);
    else
      S += compose(T.In[I], Depth + 1);
  }
  S += ")";
  if (T.Out.size() == 1) {
    S += " " + compose(T.Out[0], Depth + 1);
  } else if (!T.Out.empty()) {
    S += " (";
    for (size_t I = 0; I < T.Out.size(); ++I) {
      if (I)
        S += ", ";
      S += compose(T.Out[I], Depth + 1);
    }
    S += ")";
  }
  return S;
}

std::string compose(const TypeInfo *T, unsigned Depth) {
  if (!T)
    return "<nil type>";
  if (T->Broken)
    return "<bad type at " + hex(T->Addr) + ">";
  if (Depth > 32)
    return "...";
  if (T->Named || T->K < Kind::Array || T->K == Kind::String ||
      T->K == Kind::UnsafePointer)
    return T->Name;
  switch (T->K) {
  case Kind::Pointer:
    return "*" + compose(T->Elem, Depth + 1);
  case Kind::Slice:
    return "[]" + compose(T->Elem, Depth + 1);
  case Kind::Array:
    return "[" + std::to_string(T->Len) + "]" + compose(T->Elem, Depth + 1);
  case Kind::Chan: {
    std::string E = compose(T->Elem, Depth + 1);
    if (T->ChanDir == 1)
      return "<-chan " + E;
    if (T->ChanDir == 2)
      return "chan<- " + E;
    if (T->Elem && T->Elem->K == Kind::Chan && T->Elem->ChanDir == 1 &&
        !T->Elem->Named)
      return "chan (" + E + ")";
    return "chan " + E;
  }
  case Kind::Map:
    return "map[" + compose(T->Key, Depth + 1) + "]" +
           compose(T->Elem, Depth + 1);
  case Kind::Func:
    return "func" + funcSignature(*T, Depth);
  case Kind::Interface: {
    if (T->IfaceMethods.empty())
      return "interface {}";
    std::string S = "interface {";
    for (size_t I = 0; I < T->IfaceMethods.size(); ++I) {
      const MethodInfo &M = T->IfaceMethods[I];
      S += I ? "; " : " ";
      S += M.Name;
      S += M.Type && M.Type->K == Kind::Func ? funcSignature(*M.Type, Depth)
                                             : "()";
    }
    return S + " }";
  }
  case Kind::Struct: {
    if (T->Fields.empty())
      return "struct {}";
    std::string S = "struct {";
    for (size_t I = 0; I < T->Fields.size(); ++I) {
      const StructFieldInfo &F = T->Fields[I];
      S += I ? "; " : " ";
      if (F.Embedded)
        S += compose(F.Type, Depth + 1);
      else
        S += F.Name + " " + compose(F.Type, Depth + 1);
      if (!F.Tag.empty())
        S += " " + quoteGoString(F.Tag);
    }
    return S + " }";
  }
  default:
    return T->Name;
  }
}
} // namespace

std::string composeTypeName(const TypeInfo &T) { return compose(&T, 0); }

std::string typeName(const TypeInfo &T) {
  if (!T.Broken && !T.Name.empty())
    return T.Name;
  return composeTypeName(T);
}

} // namespace ms
