#include "goruntime/Types.h"

#include <algorithm>
#include <deque>
#include <set>

namespace ms {

using namespace llvm;

namespace {
constexpr uint64_t TypeSize = 48; // abi.Type on 64-bit
constexpr uint64_t UncommonSize = 16;
constexpr uint64_t MethodSize = 16;
constexpr uint64_t IMethodSize = 8;
constexpr uint64_t FieldSize = 24;
constexpr uint64_t MaxMembers = 1 << 16; // fields, methods, params

uint64_t le(ArrayRef<uint8_t> B, size_t O, unsigned N) {
  uint64_t V = 0;
  for (unsigned I = 0; I < N; ++I)
    V |= uint64_t(B[O + I]) << (8 * I);
  return V;
}

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
  auto B = Mem.readBytes(T.Addr, TypeSize);
  if (!B)
    return B.takeError();
  ArrayRef<uint8_t> C = *B;
  T.Size = le(C, 0, 8);
  T.PtrBytes = le(C, 8, 8);
  T.Hash = static_cast<uint32_t>(le(C, 16, 4));
  T.TFlag = C[20];
  T.Align = C[21];
  T.FieldAlign = C[22];
  T.RawKind = C[23];
  T.Equal = le(C, 24, 8);
  T.GCData = le(C, 32, 8);
  T.Str = static_cast<int32_t>(le(C, 40, 4));
  T.PtrToThis = static_cast<int32_t>(le(C, 44, 4));
  uint8_t K;
  if (V.atLeast(1, 26)) {
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

  // Kind-specific part.
  uint64_t Base = TypeSize;
  switch (T.K) {
  case Kind::Array:
    Base = 72;
    break;
  case Kind::Chan:
    Base = 64;
    break;
  case Kind::Func:
    Base = 56;
    break;
  case Kind::Interface:
  case Kind::Struct:
    Base = 80;
    break;
  case Kind::Map:
    Base = Maps == MapImpl::Classic ? 88 : V.atLeast(1, 27) ? 136 : 112;
    break;
  case Kind::Pointer:
  case Kind::Slice:
    Base = 56;
    break;
  default:
    break;
  }
  auto KB = Mem.readBytes(T.Addr, Base);
  if (!KB)
    return KB.takeError();
  ArrayRef<uint8_t> X = *KB;
  auto Ptr = [&](size_t O) { return le(X, O, 8); };
  switch (T.K) {
  case Kind::Array:
    T.Elem = entry(Ptr(48), Work);
    T.Len = Ptr(64);
    break;
  case Kind::Chan:
    T.Elem = entry(Ptr(48), Work);
    T.ChanDir = static_cast<int>(Ptr(56));
    break;
  case Kind::Pointer:
  case Kind::Slice:
    T.Elem = entry(Ptr(48), Work);
    break;
  case Kind::Map: {
    MapTypeInfo MI;
    MI.Impl = Maps;
    T.Key = entry(Ptr(48), Work);
    T.Elem = entry(Ptr(56), Work);
    MI.Bucket = entry(Ptr(64), Work);
    MI.Hasher = Ptr(72);
    if (Maps == MapImpl::Classic) {
      MI.KeySize = X[80];
      MI.ValueSize = X[81];
      MI.BucketSize = static_cast<uint16_t>(le(X, 82, 2));
      MI.Flags = static_cast<uint32_t>(le(X, 84, 4));
      MI.IndirectKey = MI.Flags & 1;
      MI.IndirectElem = MI.Flags & 2;
      MI.ReflexiveKey = MI.Flags & 4;
      MI.NeedKeyUpdate = MI.Flags & 8;
      MI.HashMightPanic = MI.Flags & 16;
    } else {
      MI.GroupSize = Ptr(80);
      if (V.atLeast(1, 27)) {
        MI.KeysOff = Ptr(88);
        MI.KeyStride = Ptr(96);
        MI.ElemsOff = Ptr(104);
        MI.ElemStride = Ptr(112);
        MI.ElemOff = Ptr(120);
        MI.Flags = static_cast<uint32_t>(le(X, 128, 4));
        MI.SplitGroup = MI.KeyStride != MI.ElemStride ||
                        MI.ElemsOff != MI.KeysOff + MI.ElemOff;
        if (!MI.SplitGroup)
          MI.SlotSize = MI.KeyStride;
      } else {
        MI.SlotSize = Ptr(88);
        MI.ElemOff = Ptr(96);
        MI.Flags = static_cast<uint32_t>(le(X, 104, 4));
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
    T.Map = MI;
    break;
  }
  case Kind::Struct: {
    auto PN = readName(Ptr(48));
    if (!PN)
      return addContext(PN.takeError(), "struct package path");
    T.StructPkgPath = std::move(PN->Text);
    uint64_t Data = Ptr(56), Len = Ptr(64);
    if (Len > MaxMembers)
      return makeError("struct with {0} fields", Len);
    if (Len) {
      auto FB = Mem.readBytes(Data, Len * FieldSize);
      if (!FB)
        return addContext(FB.takeError(), "struct fields");
      for (uint64_t I = 0; I < Len; ++I) {
        StructFieldInfo SF;
        auto FN = readName(le(*FB, I * FieldSize, 8));
        if (!FN)
          return addContext(FN.takeError(), "struct field name");
        SF.Name = std::move(FN->Text);
        SF.Tag = std::move(FN->Tag);
        SF.Embedded = FN->Embedded;
        SF.Exported = FN->Exported;
        SF.Type = entry(le(*FB, I * FieldSize + 8, 8), Work);
        SF.Offset = le(*FB, I * FieldSize + 16, 8);
        if (SF.Offset > T.Size)
          return makeError("field {0} at offset {1} beyond struct size {2}",
                           SF.Name, SF.Offset, T.Size);
        T.Fields.push_back(std::move(SF));
      }
    }
    break;
  }
  case Kind::Interface: {
    auto PN = readName(Ptr(48));
    if (!PN)
      return addContext(PN.takeError(), "interface package path");
    T.StructPkgPath = std::move(PN->Text);
    uint64_t Data = Ptr(56), Len = Ptr(64);
    if (Len > MaxMembers)
      return makeError("interface with {0} methods", Len);
    if (Len) {
      auto MB = Mem.readBytes(Data, Len * IMethodSize);
      if (!MB)
        return addContext(MB.takeError(), "interface methods");
      for (uint64_t I = 0; I < Len; ++I) {
        MethodInfo M;
        auto MN = nameAtOff(static_cast<int32_t>(le(*MB, I * IMethodSize, 4)));
        if (!MN)
          return addContext(MN.takeError(), "interface method name");
        M.Name = std::move(MN->Text);
        M.Exported = MN->Exported;
        M.TypeOff = static_cast<int32_t>(le(*MB, I * IMethodSize + 4, 4));
        if (M.TypeOff > 0 && MD.Types + uint64_t(M.TypeOff) < MD.ETypes)
          M.Type = entry(MD.Types + uint64_t(M.TypeOff), Work);
        T.IfaceMethods.push_back(std::move(M));
      }
    }
    break;
  }
  default:
    break;
  }

  // Uncommon part: right after the kind-specific struct.
  if (T.TFlag & TFlagUncommon) {
    T.HasUncommon = true;
    auto UB = Mem.readBytes(T.Addr + Base, UncommonSize);
    if (!UB)
      return addContext(UB.takeError(), "uncommon type");
    auto PP = nameAtOff(static_cast<int32_t>(le(*UB, 0, 4)));
    if (!PP)
      return addContext(PP.takeError(), "package path");
    T.PkgPath = std::move(PP->Text);
    T.MCount = static_cast<uint16_t>(le(*UB, 4, 2));
    T.XCount = static_cast<uint16_t>(le(*UB, 6, 2));
    uint32_t MOff = static_cast<uint32_t>(le(*UB, 8, 4));
    if (T.MCount) {
      auto MB = Mem.readBytes(T.Addr + Base + MOff, T.MCount * MethodSize);
      if (!MB)
        return addContext(MB.takeError(), "methods");
      for (unsigned I = 0; I < T.MCount; ++I) {
        MethodInfo M;
        auto MN = nameAtOff(static_cast<int32_t>(le(*MB, I * MethodSize, 4)));
        if (!MN)
          return addContext(MN.takeError(), "method name");
        M.Name = std::move(MN->Text);
        M.Exported = MN->Exported;
        M.TypeOff = static_cast<int32_t>(le(*MB, I * MethodSize + 4, 4));
        M.IfnOff = static_cast<int32_t>(le(*MB, I * MethodSize + 8, 4));
        M.TfnOff = static_cast<int32_t>(le(*MB, I * MethodSize + 12, 4));
        T.Methods.push_back(std::move(M));
      }
    }
  }

  // Function parameters: after the uncommon part.
  if (T.K == Kind::Func) {
    uint16_t In = static_cast<uint16_t>(le(X, 48, 2));
    uint16_t OutRaw = static_cast<uint16_t>(le(X, 50, 2));
    uint16_t Out = OutRaw & 0x7fff;
    T.Variadic = OutRaw & 0x8000;
    uint64_t At = T.Addr + Base + (T.HasUncommon ? UncommonSize : 0);
    if (In + Out) {
      auto PB = Mem.readBytes(At, uint64_t(In + Out) * 8);
      if (!PB)
        return addContext(PB.takeError(), "function parameters");
      for (unsigned I = 0; I < unsigned(In + Out); ++I) {
        const TypeInfo *P = entry(le(*PB, I * 8, 8), Work);
        (I < In ? T.In : T.Out).push_back(P);
      }
    }
  }
  return Error::success();
}

Expected<uint64_t> TypeTable::descriptorSize(const TypeInfo &T) {
  // abi.Type.DescriptorSize (go1.27).
  uint64_t Base = TypeSize, Add = 0;
  switch (T.K) {
  case Kind::Array:
    Base = 72;
    break;
  case Kind::Chan:
    Base = 64;
    break;
  case Kind::Func:
    Base = 56;
    Add = (T.In.size() + T.Out.size()) * 8;
    break;
  case Kind::Interface:
    Base = 80;
    Add = T.IfaceMethods.size() * IMethodSize;
    break;
  case Kind::Map:
    Base = V.atLeast(1, 27) ? 136 : 112;
    break;
  case Kind::Pointer:
  case Kind::Slice:
    Base = 56;
    break;
  case Kind::Struct:
    Base = 80;
    Add = T.Fields.size() * FieldSize;
    break;
  default:
    break;
  }
  uint64_t Size = Base + Add;
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
    auto B = Mem.readBytes(S.Data, S.Len * 4);
    if (!B)
      return addContext(B.takeError(), "reading typelinks");
    for (uint64_t I = 0; I < S.Len; ++I) {
      int32_t Off = static_cast<int32_t>(le(*B, I * 4, 4));
      auto T = typeAtOff(Off);
      if (!T)
        return addContext(T.takeError(), "typelinks[" + std::to_string(I) + "]");
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
  for (uint64_t O = 0; O + TypeSize <= Len; O += 8) {
    uint8_t TFlag = R[O + 20], RawKind = R[O + 23];
    uint8_t K = V.atLeast(1, 26) ? RawKind : (RawKind & 31);
    if (K == 0 || K > static_cast<uint8_t>(Kind::UnsafePointer))
      continue;
    int32_t Str = static_cast<int32_t>(le(R, O + 40, 4));
    if (Str <= 0 || uint64_t(Str) + 2 >= Len)
      continue;
    // Name: flags, uvarint length, text (one or two length bytes here).
    uint64_t P = uint64_t(Str) + 1, NameLen = R[P] & 0x7f;
    if (R[P] & 0x80) {
      if (P + 1 >= Len)
        continue;
      NameLen |= uint64_t(R[P + 1] & 0x7f) << 7;
      if (R[P + 1] & 0x80)
        continue;
      ++P;
    }
    ++P;
    bool Star = TFlag & TFlagExtraStar;
    if (NameLen != Want.size() + (Star ? 1 : 0) || P + NameLen > Len)
      continue;
    StringRef Text(reinterpret_cast<const char *>(R.data() + P), NameLen);
    if (Star && !Text.consume_front("*"))
      continue;
    if (Text != Want)
      continue;
    auto T = typeAt(MD.Types + O);
    if (!T) {
      consumeError(T.takeError());
      continue;
    }
    if ((*T)->Name == Want)
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

namespace {
std::string quoteGo(StringRef S) {
  std::string Out = "\"";
  for (unsigned char C : S) {
    switch (C) {
    case '"':
      Out += "\\\"";
      break;
    case '\\':
      Out += "\\\\";
      break;
    case '\n':
      Out += "\\n";
      break;
    case '\t':
      Out += "\\t";
      break;
    default:
      if (C < 0x20 || C == 0x7f) {
        char B[8];
        snprintf(B, sizeof B, "\\x%02x", C);
        Out += B;
      } else {
        Out += static_cast<char>(C);
      }
    }
  }
  return Out + "\"";
}

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
        S += " " + quoteGo(F.Tag);
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
