// RuntimeLayouts: the embedded per-version tables, their agreement with the
// DWARF of real executables, version/variant selection and aliases.
#include "DwarfFixtures.h"

#include <set>

#include "goruntime/BuildInfo.h"
#include "goruntime/LayoutSpec.h"
#include "goruntime/Layouts.h"

using namespace ms;
using namespace ms::testing;

namespace {

BuildInfo buildInfo(const std::string &Version,
                    const std::string &Experiments = "") {
  BuildInfo BI;
  auto V = GoVersion::parse(Version);
  if (V)
    BI.Version = *V;
  else
    BI.Version.Raw = Version;
  if (!Experiments.empty())
    BI.Settings["GOEXPERIMENT"] = Experiments;
  return BI;
}

std::unique_ptr<RuntimeLayouts> table(const std::string &Name,
                                      const std::string &Arch = "amd64") {
  auto L = RuntimeLayouts::fromTable(Name, Arch);
  if (!L) {
    ADD_FAILURE() << Name << ": " << llvm::toString(L.takeError());
    return nullptr;
  }
  return std::move(*L);
}

uint64_t offsetOr(const RuntimeLayouts &L, const char *S, const char *F) {
  auto O = L.offsetOf(S, F);
  if (!O) {
    ADD_FAILURE() << S << "." << F << ": " << llvm::toString(O.takeError());
    return ~0ull;
  }
  return *O;
}

TEST(RuntimeLayouts, EveryEmbeddedTableIsWellFormed) {
  auto Names = RuntimeLayouts::tableNames();
  ASSERT_GE(Names.size(), 8u);
  for (const char *Want : {"go1.19", "go1.21", "go1.22", "go1.23", "go1.24",
                           "go1.24-noswissmap", "go1.25", "go1.25-noswissmap",
                           "go1.26", "go1.27"})
    EXPECT_NE(std::find(Names.begin(), Names.end(), Want), Names.end())
        << Want;
  for (const std::string &N : Names) {
    for (const char *Arch : {"amd64", "arm64"}) {
      SCOPED_TRACE(N + " " + Arch);
      auto L = table(N, Arch);
      ASSERT_TRUE(L);
      EXPECT_EQ(L->source(), "table " + N);
      EXPECT_EQ(L->goArch(), Arch);
      EXPECT_EQ(N.rfind(L->goVersion(), 0), 0u) << L->goVersion();
      for (const char *S : {"runtime.g", "runtime.m", "runtime.p",
                            "runtime.gobuf", "runtime.stack", "runtime.schedt",
                            "internal/abi.Type", "internal/abi.MapType",
                            "runtime.moduledata", "runtime._func"})
        EXPECT_TRUE(L->hasStruct(S)) << S;
      if (L->mapImpl() == MapImpl::Classic) {
        EXPECT_TRUE(L->hasStruct("runtime.hmap"));
        EXPECT_TRUE(L->hasStruct("runtime.bmap"));
        EXPECT_FALSE(L->hasStruct("internal/runtime/maps.Map"));
      } else {
        EXPECT_TRUE(L->hasStruct("internal/runtime/maps.Map"));
        EXPECT_TRUE(L->hasStruct("internal/runtime/maps.table"));
        EXPECT_FALSE(L->hasStruct("runtime.hmap"));
      }
      EXPECT_EQ(offsetOr(*L, "runtime.g", "stack.lo"), 0u);
      EXPECT_EQ(offsetOr(*L, "runtime.g", "stack.hi"), 8u);
      EXPECT_TRUE(L->hasField("runtime.g", "sched.sp"));
      EXPECT_TRUE(L->hasField("runtime.g", "goid"));
      EXPECT_TRUE(L->hasField("runtime.m", "curg"));
      EXPECT_TRUE(L->hasGlobal("runtime.allgs"));
      EXPECT_TRUE(L->hasGlobal("runtime.allm"));
      auto C = L->constants();
      ASSERT_TRUE(static_cast<bool>(C)) << llvm::toString(C.takeError());
      EXPECT_EQ((*C)->GStatus.at("_Grunning"), 2);
      EXPECT_EQ((*C)->GStatus.at("_Gscan"), 0x1000);
      EXPECT_EQ((*C)->PStatus.at("_Pidle"), 0);
      ASSERT_GT((*C)->WaitReasons.size(), 20u);
      EXPECT_EQ((*C)->WaitReasons[0], "");
    }
  }
}

TEST(RuntimeLayouts, MapImplementationPerTable) {
  EXPECT_EQ(table("go1.22")->mapImpl(), MapImpl::Classic);
  EXPECT_EQ(table("go1.24")->mapImpl(), MapImpl::Swiss);
  EXPECT_EQ(table("go1.24-noswissmap")->mapImpl(), MapImpl::Classic);
  EXPECT_EQ(table("go1.25-noswissmap")->mapImpl(), MapImpl::Classic);
  EXPECT_EQ(table("go1.26")->mapImpl(), MapImpl::Swiss);
  EXPECT_EQ(mapImplFor(buildInfo("go1.23.5")), MapImpl::Classic);
  EXPECT_EQ(mapImplFor(buildInfo("go1.24.4")), MapImpl::Swiss);
  EXPECT_EQ(mapImplFor(buildInfo("go1.25.1", "noswissmap")), MapImpl::Classic);
}

// For every table whose version a fixture was built with, the table agrees
// with that executable's DWARF field by field (the tables are generated
// from DWARF; this guards the generator, the embedding and the lookups).
void checkTableAgainstDwarf(const std::string &Fixture,
                            const std::string &Table) {
  auto *F = loadDwarfFixture(Fixture);
  ASSERT_TRUE(F && F->Dwarf);
  auto BI = readBuildInfo(*F->Exe);
  ASSERT_TRUE(static_cast<bool>(BI)) << llvm::toString(BI.takeError());
  auto Name = RuntimeLayouts::tableNameFor(*BI);
  ASSERT_TRUE(static_cast<bool>(Name)) << llvm::toString(Name.takeError());
  ASSERT_EQ(*Name, Table);
  auto T = table(Table);
  ASSERT_TRUE(T);
  auto D = RuntimeLayouts::fromDwarf(*F->Dwarf, *BI);
  ASSERT_TRUE(static_cast<bool>(D)) << llvm::toString(D.takeError());
  auto Names = T->structNames();
  EXPECT_GT(Names.size(), 40u);
  size_t Fields = 0;
  for (const std::string &S : Names) {
    SCOPED_TRACE(Table + " " + S);
    auto TS = T->sizeOf(S);
    auto DS = (*D)->sizeOf(S);
    ASSERT_TRUE(TS && DS);
    EXPECT_EQ(*TS, *DS);
    auto TF = T->fields(S);
    ASSERT_TRUE(static_cast<bool>(TF)) << llvm::toString(TF.takeError());
    for (const LayoutField &Want : *TF) {
      if (Want.Name == "_" || llvm::StringRef(Want.Name).endswith("._"))
        continue; // blank (padding) fields: several per struct
      auto Got = F->Dwarf->field(S, Want.Name);
      ASSERT_TRUE(static_cast<bool>(Got))
          << Want.Name << ": " << llvm::toString(Got.takeError());
      EXPECT_EQ(Got->Offset, Want.Offset) << Want.Name;
      EXPECT_EQ(Got->Size, Want.Size) << Want.Name;
      if (Want.TypeName != "struct {...}") {
        EXPECT_EQ(Got->TypeName, Want.TypeName) << Want.Name;
      }
      ++Fields;
    }
  }
  EXPECT_GT(Fields, 500u);
  // And the other way: the DWARF structs of the spec are all in the table.
  for (const std::string &S : (*D)->structNames())
    EXPECT_TRUE(T->hasStruct(S)) << S;
}

TEST(RuntimeLayouts, TableGo122AgreesWithDwarf) {
  checkTableAgainstDwarf("fixture-go1.22", "go1.22");
}

TEST(RuntimeLayouts, TableGo126AgreesWithDwarf) {
  checkTableAgainstDwarf("fixture-go1.26", "go1.26");
}

TEST(RuntimeLayouts, TableNameForVersionsAndExperiments) {
  auto Name = [](const std::string &V, const std::string &E = "") {
    auto N = RuntimeLayouts::tableNameFor(buildInfo(V, E));
    return N ? *N : "error: " + llvm::toString(N.takeError());
  };
  EXPECT_EQ(Name("go1.22.12"), "go1.22");
  EXPECT_EQ(Name("go1.19.8"), "go1.19");
  EXPECT_EQ(Name("go1.24.4", "noswissmap"), "go1.24-noswissmap");
  EXPECT_EQ(Name("go1.25.12", "boringcrypto,noswissmap"),
            "go1.25-noswissmap");
  EXPECT_EQ(Name("go1.26.11"), "go1.26");
  EXPECT_EQ(Name("go1.27.4", "mapsplitgroup"), "go1.27-mapsplitgroup");
  EXPECT_EQ(Name("go1.27rc1"), "go1.27");
  // Unknown versions and variants are errors naming them, never a guess.
  for (auto [V, E] : std::vector<std::pair<std::string, std::string>>{
           {"go1.28.0", ""}, {"go1.20.14", ""}, {"go1.18.10", ""},
           {"go1.26.1", "noswissmap"}, {"devel go1.28-abcdef", ""}}) {
    std::string R = Name(V, E);
    EXPECT_EQ(R.rfind("error: ", 0), 0u) << V << " " << R;
    EXPECT_NE(R.find(V == "go1.26.1" ? "go1.26-noswissmap" : V),
              std::string::npos)
        << R;
  }
  std::string R = Name("go1.28.0");
  EXPECT_NE(R.find("go1.27"), std::string::npos) << "lists the tables: " << R;
}

TEST(RuntimeLayouts, StrippedProgramUsesTheTable) {
  auto *F = loadDwarfFixture("fixture-go1.22-stripped");
  ASSERT_TRUE(F);
  ASSERT_EQ(F->Dwarf, nullptr);
  auto BI = readBuildInfo(*F->Exe);
  ASSERT_TRUE(static_cast<bool>(BI)) << llvm::toString(BI.takeError());
  auto L = RuntimeLayouts::forProgram(*F->Exe, *BI, nullptr);
  ASSERT_TRUE(static_cast<bool>(L)) << llvm::toString(L.takeError());
  EXPECT_EQ((*L)->source(), "table go1.22");
  EXPECT_FALSE((*L)->usesDwarf());
  EXPECT_TRUE((*L)->warnings().empty());
  // The numbers gdb gives for the unstripped build (DwarfTest).
  EXPECT_EQ(offsetOr(**L, "runtime.g", "sched.sp"), 56u);
  EXPECT_EQ(offsetOr(**L, "runtime.g", "sched.bp"), 104u);
  EXPECT_EQ(offsetOr(**L, "runtime.g", "goid"), 152u);
  EXPECT_EQ(offsetOr(**L, "runtime.m", "curg"), 192u);
  EXPECT_EQ(offsetOr(**L, "runtime.hmap", "B"), 9u);
  auto Size = (*L)->sizeOf("runtime.g");
  ASSERT_TRUE(static_cast<bool>(Size));
  EXPECT_EQ(*Size, 424u);
  auto F2 = (*L)->field("runtime.g", "sched.sp");
  ASSERT_TRUE(static_cast<bool>(F2));
  EXPECT_EQ(F2->Name, "sched.sp");
  EXPECT_EQ(F2->Size, 8u);
  EXPECT_EQ(F2->TypeName, "uintptr");
  // Flattened anonymous struct member.
  EXPECT_TRUE((*L)->hasField("runtime.schedt", "gFree.stack"));
}

TEST(RuntimeLayouts, UnstrippedProgramUsesDwarf) {
  auto *F = loadDwarfFixture("fixture-go1.26");
  ASSERT_TRUE(F && F->Dwarf);
  auto BI = readBuildInfo(*F->Exe);
  ASSERT_TRUE(static_cast<bool>(BI));
  auto L = RuntimeLayouts::forProgram(*F->Exe, *BI, F->Dwarf.get());
  ASSERT_TRUE(static_cast<bool>(L)) << llvm::toString(L.takeError());
  EXPECT_EQ((*L)->source(), "dwarf");
  EXPECT_EQ((*L)->goVersion(), "go1.26");
  EXPECT_EQ((*L)->mapImpl(), MapImpl::Swiss);
  EXPECT_EQ(offsetOr(**L, "runtime.g", "sched.bp"), 96u);
  EXPECT_EQ(offsetOr(**L, "internal/runtime/maps.Map", "dirPtr"), 16u);
  EXPECT_TRUE((*L)->hasGlobal("runtime.allgs"));
  // Constants come from the version's table even with DWARF.
  auto W = (*L)->waitReason(0);
  ASSERT_TRUE(static_cast<bool>(W)) << llvm::toString(W.takeError());
  EXPECT_EQ(*W, "");
  // Without DWARF, the same program would use the go1.26 table.
  auto T = RuntimeLayouts::forProgram(*F->Exe, *BI, nullptr);
  ASSERT_TRUE(static_cast<bool>(T));
  EXPECT_EQ((*T)->source(), "table go1.26");
  EXPECT_EQ(offsetOr(**T, "runtime.g", "sched.bp"), 96u);
}

TEST(RuntimeLayouts, DwarfOfAnUnknownVersionHasLayoutsButNoConstants) {
  auto *F = loadDwarfFixture("fixture-go1.26");
  ASSERT_TRUE(F && F->Dwarf);
  auto BI = buildInfo("go1.28.0");
  auto L = RuntimeLayouts::forProgram(*F->Exe, BI, F->Dwarf.get());
  ASSERT_TRUE(static_cast<bool>(L)) << llvm::toString(L.takeError());
  EXPECT_EQ((*L)->source(), "dwarf");
  EXPECT_EQ(offsetOr(**L, "runtime.g", "goid"), 152u);
  auto W = (*L)->waitReason(1);
  ASSERT_FALSE(static_cast<bool>(W));
  EXPECT_NE(llvm::toString(W.takeError()).find("go1.28"), std::string::npos);
  // Stripped, the same version is an error, not a guess.
  auto T = RuntimeLayouts::forProgram(*F->Exe, BI, nullptr);
  ASSERT_FALSE(static_cast<bool>(T));
  std::string Msg = llvm::toString(T.takeError());
  EXPECT_NE(Msg.find("go1.28"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("no DWARF"), std::string::npos) << Msg;
}

TEST(RuntimeLayouts, UnmodelledExperimentsAreNoted) {
  auto *F = loadDwarfFixture("fixture-go1.22-stripped");
  ASSERT_TRUE(F);
  auto L = RuntimeLayouts::forProgram(
      *F->Exe, buildInfo("go1.22.12", "staticlockranking"), nullptr);
  ASSERT_TRUE(static_cast<bool>(L)) << llvm::toString(L.takeError());
  ASSERT_EQ((*L)->warnings().all().size(), 1u);
  EXPECT_NE((*L)->warnings().all()[0].find("staticlockranking"),
            std::string::npos);
}

TEST(RuntimeLayouts, AliasesAcrossRenames) {
  auto L19 = table("go1.19"), L22 = table("go1.22"), L24 = table("go1.24"),
       L24c = table("go1.24-noswissmap"), L26 = table("go1.26");
  ASSERT_TRUE(L19 && L22 && L24 && L24c && L26);
  auto Res = [](const RuntimeLayouts &L, const char *N) {
    auto R = L.resolveStruct(N);
    return R ? *R : "error: " + llvm::toString(R.takeError());
  };
  EXPECT_EQ(Res(*L19, "internal/abi.Type"), "runtime._type");
  EXPECT_EQ(Res(*L22, "runtime._type"), "internal/abi.Type");
  EXPECT_EQ(Res(*L22, "internal/abi.ITab"), "runtime.itab");
  EXPECT_EQ(Res(*L26, "runtime.itab"), "internal/abi.ITab");
  EXPECT_EQ(Res(*L19, "internal/abi.InterfaceType"), "runtime.interfacetype");
  // The map type descriptor of the program's implementation.
  EXPECT_EQ(Res(*L19, "internal/abi.MapType"), "runtime.maptype");
  EXPECT_EQ(Res(*L22, "internal/abi.MapType"), "internal/abi.MapType");
  EXPECT_EQ(Res(*L24, "internal/abi.MapType"), "internal/abi.SwissMapType");
  EXPECT_EQ(Res(*L24c, "internal/abi.MapType"), "internal/abi.OldMapType");
  EXPECT_EQ(Res(*L26, "internal/abi.MapType"), "internal/abi.MapType");
  EXPECT_EQ(Res(*L22, "internal/abi.OldMapType"), "internal/abi.MapType");
  EXPECT_EQ(Res(*L26, "internal/abi.SwissMapType"), "internal/abi.MapType");
  // One implementation's descriptor never stands in for the other's.
  EXPECT_EQ(Res(*L22, "internal/abi.SwissMapType").rfind("error", 0), 0u);
  EXPECT_EQ(Res(*L26, "internal/abi.OldMapType").rfind("error", 0), 0u);
  EXPECT_EQ(Res(*L24, "internal/abi.OldMapType").rfind("error", 0), 0u);
  // Sizes through aliases.
  auto S = L19->sizeOf("internal/abi.Type");
  ASSERT_TRUE(static_cast<bool>(S));
  EXPECT_EQ(*S, 48u);
}

TEST(RuntimeLayouts, ErrorsNameStructFieldAndVersion) {
  auto L = table("go1.22");
  ASSERT_TRUE(L);
  auto O = L->offsetOf("runtime.g", "nosuchfield");
  ASSERT_FALSE(static_cast<bool>(O));
  std::string Msg = llvm::toString(O.takeError());
  for (const char *Want : {"runtime.g", "nosuchfield", "go1.22", "amd64"})
    EXPECT_NE(Msg.find(Want), std::string::npos) << Want << " in " << Msg;
  auto S = L->sizeOf("internal/runtime/maps.Map");
  ASSERT_FALSE(static_cast<bool>(S));
  Msg = llvm::toString(S.takeError());
  EXPECT_NE(Msg.find("internal/runtime/maps.Map"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("go1.22"), std::string::npos) << Msg;
  // Fields removed in a version are absent, not zero.
  EXPECT_TRUE(L->hasField("runtime.gobuf", "ret"));
  EXPECT_FALSE(table("go1.26")->hasField("runtime.gobuf", "ret"));
  EXPECT_FALSE(table("go1.22")->hasField("runtime.g", "m.id"))
      << "pointers are not followed";
  auto Arch = RuntimeLayouts::fromTable("go1.22", "riscv64");
  ASSERT_FALSE(static_cast<bool>(Arch));
  Msg = llvm::toString(Arch.takeError());
  EXPECT_NE(Msg.find("riscv64"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("(has amd64, arm64)"), std::string::npos) << Msg;
  // Each architecture is its own embedded table; both load whole.
  for (const char *A : {"amd64", "arm64"}) {
    auto T = RuntimeLayouts::fromTable("go1.22", A);
    ASSERT_TRUE(static_cast<bool>(T)) << A << ": " << llvm::toString(T.takeError());
    EXPECT_TRUE((*T)->hasField("runtime.g", "sched")) << A;
    EXPECT_TRUE(static_cast<bool>((*T)->constants())) << A;
  }
  auto Names = RuntimeLayouts::tableNames();
  EXPECT_EQ(Names.size(), std::set<std::string>(Names.begin(), Names.end()).size())
      << "one name per table, not per architecture";
}

TEST(RuntimeLayouts, WaitReasonsAndStatuses) {
  auto L22 = table("go1.22"), L27 = table("go1.27");
  ASSERT_TRUE(L22 && L27);
  auto C = L22->constants();
  ASSERT_TRUE(static_cast<bool>(C));
  int64_t ChanRecv = (*C)->WaitReasonConsts.at("waitReasonChanReceive");
  auto W = L22->waitReason(uint64_t(ChanRecv));
  ASSERT_TRUE(static_cast<bool>(W));
  EXPECT_EQ(*W, "chan receive");
  auto Far = L22->waitReason(10000);
  ASSERT_FALSE(static_cast<bool>(Far));
  consumeError(Far.takeError());

  auto Name = [](const RuntimeLayouts &L, uint64_t V) {
    auto N = L.gStatusName(V);
    return N ? *N : "error: " + llvm::toString(N.takeError());
  };
  EXPECT_EQ(Name(*L22, 2), "_Grunning");
  EXPECT_EQ(Name(*L22, 4), "_Gwaiting");
  EXPECT_EQ(Name(*L22, 0x1004), "_Gscanwaiting");
  EXPECT_EQ(Name(*L22, 999).rfind("error", 0), 0u);
  auto Dead = L27->gStatusValue("_Gdead");
  ASSERT_TRUE(static_cast<bool>(Dead));
  EXPECT_EQ(*Dead, 6);
}

TEST(RuntimeLayouts, SpecListsEveryStructOnce) {
  std::set<std::string> Seen;
  for (const char *S : layoutSpecStructs())
    EXPECT_TRUE(Seen.insert(S).second) << S;
  std::set<std::string> SeenG;
  for (const char *G : layoutSpecGlobals())
    EXPECT_TRUE(SeenG.insert(G).second) << G;
}

} // namespace
