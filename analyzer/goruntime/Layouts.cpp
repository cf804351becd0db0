#include "goruntime/Layouts.h"

#include <algorithm>

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>

#include "dwarf/DwarfInfo.h"
#include "goruntime/GoVersions.h"
#include "goruntime/LayoutSpec.h"
#include "goruntime/LayoutTables.h"
#include "loader/ExeFile.h"

namespace ms {

using namespace llvm;

namespace {

constexpr unsigned MaxPathDepth = 16;

// Names one struct has had across Go versions. Tried in order when the
// name asked for does not exist in the program.
struct AliasGroup {
  enum When { Any, Classic, Swiss } Cond;
  std::vector<const char *> Names;
};

const std::vector<AliasGroup> &aliasGroups() {
  static const std::vector<AliasGroup> G = {
      {AliasGroup::Any, {"internal/abi.Type", "runtime._type"}},
      {AliasGroup::Any, {"internal/abi.ITab", "runtime.itab"}},
      {AliasGroup::Any, {"internal/abi.InterfaceType", "runtime.interfacetype"}},
      {AliasGroup::Any, {"internal/abi.StructType", "runtime.structtype"}},
      {AliasGroup::Any, {"internal/abi.StructField", "runtime.structfield"}},
      {AliasGroup::Any, {"internal/abi.Imethod", "runtime.imethod"}},
      {AliasGroup::Any, {"internal/abi.UncommonType", "runtime.uncommontype"}},
      {AliasGroup::Any, {"internal/abi.PtrType", "runtime.ptrtype"}},
      {AliasGroup::Any, {"internal/abi.SliceType", "runtime.slicetype"}},
      {AliasGroup::Any, {"internal/abi.ArrayType", "runtime.arraytype"}},
      {AliasGroup::Any, {"internal/abi.ChanType", "runtime.chantype"}},
      {AliasGroup::Any, {"internal/abi.FuncType", "runtime.functype"}},
      {AliasGroup::Any, {"internal/abi.Name", "runtime.name"}},
      // The map type descriptor: MapType was the classic one (go1.21-1.23),
      // OldMapType beside SwissMapType (go1.24, 1.25), and names the swiss
      // one again from go1.26 on.
      {AliasGroup::Classic,
       {"internal/abi.OldMapType", "internal/abi.MapType", "runtime.maptype"}},
      {AliasGroup::Swiss, {"internal/abi.SwissMapType", "internal/abi.MapType"}},
  };
  return G;
}

// The constants of one table.
RuntimeConstants constantsOf(const EmbeddedLayout &T) {
  RuntimeConstants C;
  auto IntMap = [](ArrayRef<EmbeddedConst> From,
                   std::map<std::string, int64_t> &Out) {
    for (const EmbeddedConst &K : From)
      Out[K.Name] = K.Value;
  };
  IntMap(T.GStatus, C.GStatus);
  IntMap(T.PStatus, C.PStatus);
  IntMap(T.WaitReasonConsts, C.WaitReasonConsts);
  for (const char *W : T.WaitReasons)
    C.WaitReasons.push_back(W);
  return C;
}

// The table NAME for ARCH; any architecture's when ARCH is empty.
const EmbeddedLayout *findTable(StringRef Name, StringRef Arch = "") {
  for (const EmbeddedLayout &T : embeddedLayouts())
    if (Name == T.Name && (Arch.empty() || Arch == T.Arch))
      return &T;
  return nullptr;
}

std::string tableList() {
  std::string S;
  StringRef Last;
  for (const EmbeddedLayout &T : embeddedLayouts()) {
    if (Last == T.Name)
      continue;
    S += (S.empty() ? "" : ", ") + std::string(T.Name);
    Last = T.Name;
  }
  return S;
}

} // namespace

std::vector<std::string> RuntimeLayouts::tableNames() {
  std::vector<std::string> R;
  for (const EmbeddedLayout &T : embeddedLayouts())
    R.push_back(T.Name);
  std::sort(R.begin(), R.end());
  R.erase(std::unique(R.begin(), R.end()), R.end());
  return R;
}

Expected<std::string> RuntimeLayouts::tableNameFor(const BuildInfo &BI) {
  const GoVersion &V = BI.Version;
  if (V.Major != 1 || V.Minor <= 0)
    return makeError("no runtime layout table for Go version '{0}' "
                     "(tables: {1})",
                     V.Raw, tableList());
  std::string Name = formatv("go{0}.{1}", V.Major, V.Minor).str();
  bool NoSwiss = BI.hasExperiment("noswissmap");
  bool Split = BI.hasExperiment("mapsplitgroup");
  if (NoSwiss && Split)
    return makeError("{0}: GOEXPERIMENT has both noswissmap and "
                     "mapsplitgroup",
                     V.Raw);
  if (NoSwiss && traitsOf(V).SwissByDefault)
    Name += "-noswissmap";
  else if (Split)
    Name += "-mapsplitgroup";
  if (!findTable(Name))
    return makeError("no runtime layout table for {0} (Go version '{1}'); "
                     "tables: {2}",
                     Name, V.Raw, tableList());
  return Name;
}

Expected<std::unique_ptr<RuntimeLayouts>>
RuntimeLayouts::fromTable(StringRef Table, StringRef GoArch) {
  if (!findTable(Table))
    return makeError("no runtime layout table {0} (tables: {1})", Table,
                     tableList());
  const EmbeddedLayout *T = findTable(Table, GoArch);
  if (!T) {
    std::string Have;
    for (const EmbeddedLayout &X : embeddedLayouts())
      if (Table == X.Name)
        Have += (Have.empty() ? "" : ", ") + std::string(X.Arch);
    return makeError("layout table {0} has no {1} layouts (has {2})", Table,
                     GoArch, Have);
  }
  auto L = std::unique_ptr<RuntimeLayouts>(new RuntimeLayouts);
  L->Source = ("table " + Table).str();
  L->Arch = GoArch.str();
  L->Version = T->Version;
  L->Maps = T->Swiss ? MapImpl::Swiss : MapImpl::Classic;
  for (const EmbeddedStruct &S : T->Structs) {
    TableStruct TS;
    TS.Size = S.Size;
    for (const EmbeddedField &F : S.Fields) {
      LayoutField LF;
      LF.Name = F.Name;
      LF.Offset = F.Offset;
      if (F.HasSize)
        LF.Size = F.Size;
      LF.TypeName = F.Type;
      TS.Index.try_emplace(LF.Name, TS.Fields.size());
      TS.Fields.push_back(std::move(LF));
    }
    L->Structs[S.Name] = std::move(TS);
  }
  for (const char *G : T->Globals)
    L->Globals[G] = true;
  L->Consts = constantsOf(*T);
  return L;
}

Expected<std::unique_ptr<RuntimeLayouts>>
RuntimeLayouts::fromDwarf(const DwarfInfo &D, const BuildInfo &BI) {
  auto L = std::unique_ptr<RuntimeLayouts>(new RuntimeLayouts);
  L->Source = "dwarf";
  L->Dwarf = &D;
  L->Arch = D.arch() ? D.arch()->goName().str() : "";
  L->Version = formatv("go{0}.{1}", BI.Version.Major, BI.Version.Minor).str();
  L->Maps = mapImplFor(BI);
  // Constants: from the version's table, when there is one.
  auto Name = tableNameFor(BI);
  if (!Name) {
    L->ConstsError = errorText(Name.takeError());
  } else {
    auto T = fromTable(*Name, L->Arch.empty() ? "amd64" : L->Arch);
    if (!T)
      L->ConstsError = errorText(T.takeError());
    else
      L->Consts = std::move((*T)->Consts);
  }
  return L;
}

Expected<std::unique_ptr<RuntimeLayouts>>
RuntimeLayouts::forProgram(const ExeFile &X, const BuildInfo &BI,
                           const DwarfInfo *D) {
  if (D && D->hasType("runtime.g"))
    return fromDwarf(*D, BI);
  auto Name = tableNameFor(BI);
  if (!Name)
    return addContext(Name.takeError(),
                      X.path() + " has no DWARF to read runtime layouts from");
  auto L = fromTable(*Name, X.arch().goName());
  if (!L)
    return L.takeError();
  // Experiments the tables do not model may change layouts (e.g.
  // staticlockranking grows runtime.mutex).
  if (auto E = BI.setting("GOEXPERIMENT")) {
    SmallVector<StringRef, 4> Parts;
    StringRef(*E).split(Parts, ',', -1, false);
    for (StringRef P : Parts) {
      P = P.trim();
      if (P == "noswissmap" || P == "mapsplitgroup")
        continue;
      (*L)->Warn.addf("GOEXPERIMENT={0}: runtime layouts come from table {1}, "
                      "built without it",
                      P, *Name);
    }
  }
  return L;
}

// ---- lookups ------------------------------------------------------------------

std::string RuntimeLayouts::where() const {
  if (Dwarf)
    return formatv("(DWARF of {0}, {1})", Dwarf->name(), Version).str();
  return formatv("({0}, {1}, {2} maps)", Source, Arch, mapImplName(Maps)).str();
}

Expected<std::string> RuntimeLayouts::resolveStruct(StringRef Name) const {
  auto Exists = [&](StringRef N) {
    if (Dwarf)
      return Dwarf->hasType(N);
    return Structs.count(N) != 0;
  };
  if (Exists(Name))
    return Name.str();
  for (const AliasGroup &G : aliasGroups()) {
    if ((G.Cond == AliasGroup::Classic && Maps != MapImpl::Classic) ||
        (G.Cond == AliasGroup::Swiss && Maps != MapImpl::Swiss))
      continue;
    if (std::find_if(G.Names.begin(), G.Names.end(), [&](const char *N) {
          return Name == N;
        }) == G.Names.end())
      continue;
    for (const char *N : G.Names)
      if (Exists(N))
        return std::string(N);
  }
  return makeError("no struct {0} {1}", Name, where());
}

bool RuntimeLayouts::hasStruct(StringRef Name) const {
  auto R = resolveStruct(Name);
  if (!R) {
    consumeError(R.takeError());
    return false;
  }
  return true;
}

Expected<uint64_t> RuntimeLayouts::sizeOf(StringRef Name) const {
  auto N = resolveStruct(Name);
  if (!N)
    return N.takeError();
  if (Dwarf) {
    auto L = Dwarf->structLayout(*N);
    if (!L)
      return addContext(L.takeError(), "size of " + Name);
    return (*L)->Size;
  }
  return Structs.find(*N)->second.Size;
}

Expected<LayoutField> RuntimeLayouts::tableField(const std::string &Struct,
                                                 StringRef Path,
                                                 unsigned Depth) const {
  if (Depth > MaxPathDepth)
    return makeError("field path {0} is too deep", Path);
  auto It = Structs.find(Struct);
  if (It == Structs.end())
    return makeError("no struct {0} {1}", Struct, where());
  const TableStruct &S = It->second;
  // The whole path (direct field, or a flattened anonymous member).
  if (auto F = S.Index.find(Path); F != S.Index.end())
    return S.Fields[F->second];
  // Otherwise the longest prefix that is a field of a struct type that
  // the table has, and the rest inside that type.
  for (size_t Dot = Path.rfind('.'); Dot != StringRef::npos && Dot > 0;
       Dot = Path.substr(0, Dot).rfind('.')) {
    StringRef Head = Path.substr(0, Dot), Rest = Path.substr(Dot + 1);
    auto F = S.Index.find(Head);
    if (F == S.Index.end())
      continue;
    const LayoutField &HF = S.Fields[F->second];
    if (!Structs.count(HF.TypeName))
      return makeError("{0}.{1} is a {2}, which the table does not describe",
                       Struct, Head, HF.TypeName);
    auto Inner = tableField(HF.TypeName, Rest, Depth + 1);
    if (!Inner)
      return Inner.takeError();
    LayoutField R = *Inner;
    R.Offset += HF.Offset;
    return R;
  }
  return makeError("struct {0} has no field '{1}'", Struct, Path);
}

Expected<LayoutField> RuntimeLayouts::field(StringRef Struct,
                                            StringRef Path) const {
  auto N = resolveStruct(Struct);
  if (!N)
    return N.takeError();
  if (Dwarf) {
    auto F = Dwarf->field(*N, Path);
    if (!F)
      return makeError("{0}.{1}: {2} {3}", Struct, Path,
                       errorText(F.takeError()), where());
    LayoutField R;
    R.Name = Path.str();
    R.Offset = F->Offset;
    R.Size = F->Size;
    R.TypeName = F->TypeName;
    return R;
  }
  auto F = tableField(*N, Path, 0);
  if (!F)
    return makeError("{0}.{1}: {2} {3}", Struct, Path, errorText(F.takeError()),
                     where());
  F->Name = Path.str();
  return F;
}

Expected<uint64_t> RuntimeLayouts::offsetOf(StringRef Struct,
                                            StringRef Path) const {
  auto F = field(Struct, Path);
  if (!F)
    return F.takeError();
  return F->Offset;
}

bool RuntimeLayouts::hasField(StringRef Struct, StringRef Path) const {
  auto F = field(Struct, Path);
  if (!F) {
    consumeError(F.takeError());
    return false;
  }
  return true;
}

Expected<std::vector<LayoutField>>
RuntimeLayouts::fields(StringRef Struct) const {
  auto N = resolveStruct(Struct);
  if (!N)
    return N.takeError();
  if (Dwarf) {
    auto L = Dwarf->structLayout(*N);
    if (!L)
      return L.takeError();
    std::vector<LayoutField> R;
    for (const FieldLayout &F : (*L)->Fields)
      R.push_back({F.Name, F.Offset, F.Size, F.TypeName});
    return R;
  }
  return Structs.find(*N)->second.Fields;
}

std::vector<std::string> RuntimeLayouts::structNames() const {
  std::vector<std::string> R;
  if (Dwarf) {
    for (const char *N : layoutSpecStructs())
      if (Dwarf->hasType(N))
        R.push_back(N);
  } else {
    for (auto &KV : Structs)
      R.push_back(KV.getKey().str());
  }
  std::sort(R.begin(), R.end());
  return R;
}

bool RuntimeLayouts::hasGlobal(StringRef Name) const {
  if (Dwarf)
    return Dwarf->hasGlobal(Name);
  return Globals.count(Name) != 0;
}

Expected<const RuntimeConstants *> RuntimeLayouts::constants() const {
  if (!Consts)
    return makeError("no runtime constants for {0}: {1}", Version,
                     ConstsError);
  return &*Consts;
}

Expected<std::string> RuntimeLayouts::waitReason(uint64_t V) const {
  auto C = constants();
  if (!C)
    return C.takeError();
  if (V >= (*C)->WaitReasons.size())
    return makeError("wait reason {0} is out of range for {1} (0..{2})", V,
                     Version, (*C)->WaitReasons.size() - 1);
  return (*C)->WaitReasons[V];
}

Expected<std::string> RuntimeLayouts::gStatusName(uint64_t V) const {
  auto C = constants();
  if (!C)
    return C.takeError();
  for (auto &[Name, Val] : (*C)->GStatus)
    if (uint64_t(Val) == V)
      return Name;
  // A scan state the source does not name: "_Gscan" + the base state.
  auto Scan = (*C)->GStatus.find("_Gscan");
  if (Scan != (*C)->GStatus.end() && (V & uint64_t(Scan->second))) {
    uint64_t Base = V & ~uint64_t(Scan->second);
    for (auto &[Name, Val] : (*C)->GStatus)
      if (uint64_t(Val) == Base && Name != "_Gscan")
        return "_Gscan|" + Name;
  }
  return makeError("{0} is not a goroutine status of {1}", V, Version);
}

Expected<int64_t> RuntimeLayouts::gStatusValue(StringRef Name) const {
  auto C = constants();
  if (!C)
    return C.takeError();
  auto It = (*C)->GStatus.find(Name.str());
  if (It == (*C)->GStatus.end())
    return makeError("{0} has no goroutine status {1}", Version, Name);
  return It->second;
}

} // namespace ms
