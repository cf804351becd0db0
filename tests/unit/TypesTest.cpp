#include "goruntime/Types.h"

#include <gtest/gtest.h>

#include "GoFixture.h"
#include "goruntime/Pclntab.h"

using namespace ms;
using namespace mstest;

namespace {

std::unique_ptr<LoadedFixture> load(const std::string &Name) {
  return loadGoFixture(Name, Load::Types);
}

// The arguments the runtime printed for the first mapassign frame:
// (maptype, map header, {key ptr, key len}).
std::vector<uint64_t> mapassignArgs(const std::string &Fixture) {
  auto Gs = parseTraceback(readTextFile(gobinPath(Fixture + ".stderr.txt")));
  for (auto &G : Gs)
    for (auto &F : G.Frames)
      if (F.Function == "runtime.mapassign_faststr" && F.Args.find('?') == std::string::npos) {
        std::vector<uint64_t> V;
        llvm::StringRef A(F.Args);
        while (!A.empty()) {
          A = A.ltrim(" ,{}");
          llvm::StringRef Num = A.take_until([](char C) { return C == ',' || C == '}'; });
          A = A.drop_front(Num.size());
          uint64_t X = 0;
          if (Num.consume_front("0x") && !Num.getAsInteger(16, X))
            V.push_back(X);
        }
        return V;
      }
  return {};
}

TEST(Types, MapTypeFromTheTracebackDecodes) {
  forEachGoFixture(Load::Types, [&](const std::string &N,
                                   const std::unique_ptr<LoadedFixture> &L) {
    auto Args = mapassignArgs(N);
    ASSERT_EQ(Args.size(), 4u);
    auto T = L->Types->typeAt(Args[0]);
    ASSERT_TRUE(static_cast<bool>(T)) << toString(T.takeError());
    const TypeInfo &M = **T;
    EXPECT_EQ(M.K, Kind::Map);
    EXPECT_EQ(M.Name, "map[string]int");
    EXPECT_EQ(typeName(M), "map[string]int");
    EXPECT_EQ(composeTypeName(M), "map[string]int");
    ASSERT_TRUE(M.Key && M.Elem && M.Map);
    EXPECT_EQ(M.Key->Name, "string");
    EXPECT_EQ(M.Key->K, Kind::String);
    EXPECT_EQ(M.Key->Size, 16u);
    EXPECT_EQ(M.Elem->Name, "int");
    EXPECT_EQ(M.Size, 8u);
    EXPECT_TRUE(M.DirectIface);
    EXPECT_FALSE(M.Named);
    EXPECT_FALSE(M.Map->IndirectKey || M.Map->IndirectElem);
    ASSERT_TRUE(M.Map->Bucket);
    if (L->F->BI.Version.atLeast(1, 24)) {
      EXPECT_EQ(M.Map->Impl, MapImpl::Swiss);
      EXPECT_EQ(M.Map->SlotSize, 24u);
      EXPECT_EQ(M.Map->ElemOff, 16u);
      EXPECT_EQ(M.Map->GroupSize, 8u + 8 * 24);
      EXPECT_EQ(M.Map->Bucket->Size, M.Map->GroupSize);
      EXPECT_EQ(M.Map->KeysOff, 8u);
      EXPECT_EQ(M.Map->ElemsOff, 24u);
      EXPECT_EQ(M.Map->KeyStride, 24u);
      EXPECT_FALSE(M.Map->SplitGroup);
      EXPECT_TRUE(M.Map->NeedKeyUpdate); // string keys are updated
    } else {
      EXPECT_EQ(M.Map->Impl, MapImpl::Classic);
      EXPECT_EQ(M.Map->KeySize, 16);
      EXPECT_EQ(M.Map->ValueSize, 8);
      EXPECT_EQ(M.Map->BucketSize, 8 + 8 * 16 + 8 * 8 + 8);
      EXPECT_EQ(M.Map->Bucket->Size, M.Map->BucketSize);
      EXPECT_TRUE(M.Map->ReflexiveKey);
      EXPECT_TRUE(M.Map->NeedKeyUpdate);
    }
  });
}

TEST(Types, NamedStructsAndTheirFields) {
  forEachGoFixture(Load::Types, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    auto RK = L->Types->findByName("main.routeKey");
    ASSERT_TRUE(static_cast<bool>(RK)) << toString(RK.takeError());
    ASSERT_TRUE(*RK);
    const TypeInfo &T = **RK;
    EXPECT_EQ(T.K, Kind::Struct);
    EXPECT_TRUE(T.Named);
    EXPECT_EQ(T.Size, 24u);
    EXPECT_EQ(T.PkgPath, "main");
    ASSERT_EQ(T.Fields.size(), 2u);
    EXPECT_EQ(T.Fields[0].Name, "Name");
    EXPECT_EQ(T.Fields[0].Type->Name, "string");
    EXPECT_EQ(T.Fields[0].Offset, 0u);
    EXPECT_EQ(T.Fields[1].Name, "ID");
    EXPECT_EQ(T.Fields[1].Type->Name, "int");
    EXPECT_EQ(T.Fields[1].Offset, 16u);
    EXPECT_TRUE(T.Fields[1].Exported);

    auto RM = L->Types->findByName("map[main.routeKey]float64");
    ASSERT_TRUE(static_cast<bool>(RM));
    ASSERT_TRUE(*RM);
    EXPECT_EQ((*RM)->Key, *RK);
    EXPECT_EQ((*RM)->Elem->K, Kind::Float64);

    auto S = L->Types->findByName("main.Sample");
    ASSERT_TRUE(static_cast<bool>(S));
    ASSERT_TRUE(*S);
    const TypeInfo &ST = **S;
    ASSERT_EQ(ST.Fields.size(), 17u);
    EXPECT_EQ(ST.Fields[16].Name, "Embedded");
    EXPECT_TRUE(ST.Fields[16].Embedded);
    EXPECT_EQ(ST.Fields[16].Type->Name, "main.Embedded");
    EXPECT_EQ(ST.Fields[10].Name, "Any");
    EXPECT_TRUE(ST.Fields[10].Type->isEmptyInterface());
    EXPECT_EQ(ST.Fields[10].Type->Name, "interface {}");
    EXPECT_EQ(ST.Fields[12].Type->Name, "error");
    ASSERT_EQ(ST.Fields[12].Type->IfaceMethods.size(), 1u);
    EXPECT_EQ(ST.Fields[12].Type->IfaceMethods[0].Name, "Error");
    EXPECT_EQ(ST.Fields[9].Type->Name, "*main.Inner");
    EXPECT_EQ(ST.Fields[9].Type->Elem->Name, "main.Inner");
    EXPECT_EQ(ST.Fields[8].Type->Name, "[3]uint16");
    EXPECT_EQ(ST.Fields[8].Type->Len, 3u);
    EXPECT_EQ(ST.Fields[14].Type->Name, "chan int");
    EXPECT_EQ(ST.Fields[14].Type->ChanDir, 3);
    EXPECT_EQ(ST.Fields[15].Type->Name, "func(int) int");
    ASSERT_EQ(ST.Fields[15].Type->In.size(), 1u);
    EXPECT_EQ(ST.Fields[15].Type->Out.size(), 1u);
    // *main.Sample has methods? No, but the error's dynamic type has.
  });
}

TEST(Types, ComposedNamesMatchTheRuntimeStrings) {
  forEachGoFixture(Load::Types, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    auto All = L->Types->reachableTypes();
    ASSERT_TRUE(static_cast<bool>(All)) << toString(All.takeError());
    EXPECT_GT(All->size(), 200u);
    size_t Maps = 0, Compared = 0;
    for (const TypeInfo *T : *All) {
      ASSERT_FALSE(T->Broken) << T->Error;
      EXPECT_FALSE(T->Name.empty()) << hex(T->Addr);
      EXPECT_GT(T->Align, 0);
      if (T->K == Kind::Map)
        ++Maps;
      if (T->Named || T->K == Kind::Struct || T->K == Kind::Interface)
        continue; // local type names and unexported struct fields differ
      EXPECT_EQ(composeTypeName(*T), T->Name) << kindName(T->K).str();
      ++Compared;
    }
    EXPECT_GT(Maps, 3u);
    EXPECT_GT(Compared, 50u);
    auto MT = L->Types->mapTypes();
    ASSERT_TRUE(static_cast<bool>(MT));
    EXPECT_EQ(MT->size(), Maps);
  });
}

TEST(Types, FindsNamedTypesNoListMentions) {
  forEachGoFixture(Load::Types, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    // The scan alone finds the same descriptors as the lists.
    for (const char *Name : {"main.routeKey", "main.Sample", "runtime.g"}) {
      auto A = L->Types->findByName(Name);
      auto B = L->Types->scanForName(Name);
      ASSERT_TRUE(A && B);
      ASSERT_TRUE(*B) << Name;
      EXPECT_EQ(*A, *B) << Name;
    }
    auto G = L->Types->scanForName("runtime.g");
    ASSERT_TRUE(static_cast<bool>(G)) << toString(G.takeError());
    ASSERT_TRUE(*G);
    EXPECT_EQ((*G)->K, Kind::Struct);
    ASSERT_GT((*G)->Fields.size(), 10u);
    EXPECT_EQ((*G)->Fields[0].Name, "stack");
    EXPECT_EQ((*G)->Fields[0].Type->Name, "runtime.stack");
    bool HasGoid = false;
    for (auto &F : (*G)->Fields)
      HasGoid |= F.Name == "goid" && F.Type->Size == 8;
    EXPECT_TRUE(HasGoid);
    auto None = L->Types->findByName("main.NoSuchType");
    ASSERT_TRUE(static_cast<bool>(None));
    EXPECT_EQ(*None, nullptr);
  });
}

TEST(Types, BrokenDescriptorIsAnError) {
  std::vector<uint8_t> Junk(48, 0xff);
  RegionMemory M;
  M.add(0x10000, Junk, RegionSource::Core);
  ModuleData MD;
  MD.Types = 0x10000;
  MD.ETypes = 0x10030;
  TypeTable TT(M, MD, *GoVersion::parse("go1.22.0"), MapImpl::Classic);
  auto T = TT.typeAt(0x10000);
  ASSERT_FALSE(static_cast<bool>(T));
  EXPECT_NE(toString(T.takeError()).find("kind"), std::string::npos);
  auto Missing = TT.typeAt(0x20000);
  ASSERT_FALSE(static_cast<bool>(Missing));
  EXPECT_NE(toString(Missing.takeError()).find("0x20000"), std::string::npos);
}

TEST(Types, MapImplementationByVersionAndExperiment) {
  BuildInfo BI;
  BI.Version = *GoVersion::parse("go1.23.4");
  EXPECT_EQ(mapImplFor(BI), MapImpl::Classic);
  BI.Version = *GoVersion::parse("go1.24.1");
  EXPECT_EQ(mapImplFor(BI), MapImpl::Swiss);
  BI.Settings["GOEXPERIMENT"] = "noswissmap";
  EXPECT_EQ(mapImplFor(BI), MapImpl::Classic);
  BI.Version = *GoVersion::parse("go1.26.0");
  EXPECT_EQ(mapImplFor(BI), MapImpl::Swiss);
}

} // namespace

namespace {

// The static data of a non-PIE executable, without a core: enough for
// type descriptors.
struct ExeOnly {
  std::unique_ptr<ExeFile> X;
  BuildInfo BI;
  RegionMemory M;
  ModuleData MD;
};
std::unique_ptr<ExeOnly> loadExeOnly(const std::string &Name) {
  auto E = std::make_unique<ExeOnly>();
  auto X = ExeFile::open(gobinPath(Name + ".xz"));
  if (!X) {
    ADD_FAILURE() << toString(X.takeError());
    return nullptr;
  }
  E->X = std::move(*X);
  auto BI = readBuildInfo(*E->X);
  if (!BI) {
    ADD_FAILURE() << toString(BI.takeError());
    return nullptr;
  }
  E->BI = std::move(*BI);
  for (const auto &S : E->X->segments())
    E->M.add(S.VAddr, E->X->bytesAt(S.VAddr, S.FileSize),
             RegionSource::Executable);
  const ExeSymbol *Sym = E->X->findSymbol("runtime.firstmoduledata");
  if (!Sym) {
    ADD_FAILURE() << "no runtime.firstmoduledata";
    return nullptr;
  }
  auto MD = readModuleData(E->M, Sym->Addr, E->BI.Version);
  if (!MD) {
    ADD_FAILURE() << toString(MD.takeError());
    return nullptr;
  }
  E->MD = std::move(*MD);
  return E;
}

// go1.27 with GOEXPERIMENT=mapsplitgroup: keys and elems in separate
// arrays of a group.
TEST(Types, SplitGroupMapLayoutOfGo127) {
  auto E = loadExeOnly("go127-split");
  ASSERT_TRUE(E);
  ASSERT_TRUE(E->BI.hasExperiment("mapsplitgroup"));
  TypeTable TT(E->M, E->MD, E->BI);
  auto T = TT.findByName("map[string]int");
  ASSERT_TRUE(T && *T);
  const MapTypeInfo &MI = *(*T)->Map;
  EXPECT_EQ(MI.Impl, MapImpl::Swiss);
  EXPECT_TRUE(MI.SplitGroup);
  EXPECT_EQ(MI.KeysOff, 8u);
  EXPECT_EQ(MI.KeyStride, 16u);
  EXPECT_EQ(MI.ElemsOff, 8u + 8 * 16);
  EXPECT_EQ(MI.ElemStride, 8u);
  EXPECT_EQ(MI.GroupSize, 8u + 8 * 16 + 8 * 8);
  EXPECT_EQ(MI.SlotSize, 0u);
  auto R = TT.findByName("map[main.routeKey]float64");
  ASSERT_TRUE(R && *R);
  EXPECT_TRUE((*R)->Map->SplitGroup);
  EXPECT_EQ((*R)->Map->KeyStride, 24u);
  EXPECT_EQ((*R)->Map->ElemsOff, 8u + 8 * 24);
}

// go1.24 with GOEXPERIMENT=noswissmap: the classic abi.OldMapType.
TEST(Types, ClassicMapsOfGo124NoSwissMap) {
  auto E = loadExeOnly("go124-noswiss");
  ASSERT_TRUE(E);
  ASSERT_TRUE(E->BI.hasExperiment("noswissmap"));
  ASSERT_EQ(mapImplFor(E->BI), MapImpl::Classic);
  TypeTable TT(E->M, E->MD, E->BI);
  auto T = TT.findByName("map[main.routeKey]float64");
  ASSERT_TRUE(T && *T);
  const MapTypeInfo &MI = *(*T)->Map;
  EXPECT_EQ(MI.Impl, MapImpl::Classic);
  EXPECT_EQ(MI.KeySize, 24);
  EXPECT_EQ(MI.ValueSize, 8);
  EXPECT_EQ(MI.BucketSize, 8 + 8 * 24 + 8 * 8 + 8);
  ASSERT_TRUE(MI.Bucket);
  EXPECT_EQ(MI.Bucket->Size, MI.BucketSize);
  EXPECT_EQ((*T)->Key->Name, "main.routeKey");
  // The same program without the experiment has swiss map types.
  auto L = load("go124");
  ASSERT_TRUE(L);
  auto S = L->Types->findByName("map[main.routeKey]float64");
  ASSERT_TRUE(S && *S);
  EXPECT_EQ((*S)->Map->Impl, MapImpl::Swiss);
  EXPECT_EQ((*S)->Map->SlotSize, 32u);
}

TEST(Types, InterleavedGroupMapLayoutOfGo127) {
  auto L = load("go127");
  ASSERT_TRUE(L);
  auto R = L->Types->findByName("map[main.routeKey]float64");
  ASSERT_TRUE(R && *R);
  const MapTypeInfo &MI = *(*R)->Map;
  EXPECT_FALSE(MI.SplitGroup);
  EXPECT_EQ(MI.SlotSize, 32u);
  EXPECT_EQ(MI.ElemOff, 24u);
  EXPECT_EQ(MI.KeysOff, 8u);
  EXPECT_EQ(MI.ElemsOff, 8u + 24);
  EXPECT_EQ(MI.KeyStride, 32u);
  EXPECT_EQ(MI.ElemStride, 32u);
}

} // namespace
