#include "goruntime/ModuleData.h"

#include <gtest/gtest.h>

#include "GoFixture.h"

using namespace ms;
using namespace mstest;

namespace {

TEST(ModuleData, LayoutMatchesTheSymbolSize) {
  // The size of runtime.firstmoduledata in the symbol table is the size of
  // the struct: it checks the per-version layout up to its last field.
  forEachGoFixture([&](const std::string &,
                       const std::unique_ptr<GoFixture> &F) {
    const ExeSymbol *S = F->T->exe().findSymbol("runtime.firstmoduledata");
    if (!S)
      return; // stripped
    auto Size = moduleDataFieldOffset(F->BI.Version, "sizeof");
    ASSERT_TRUE(Size);
    EXPECT_EQ(*Size, S->Size) << F->BI.Version.Raw;
    EXPECT_EQ(*moduleDataFieldOffset(F->BI.Version, "next"), S->Size - 8);
  });
}

TEST(ModuleData, SymbolAndSearchAgree) {
  forEachGoFixture([&](const std::string &,
                       const std::unique_ptr<GoFixture> &F) {
    const Target &T = *F->T;
    Warnings W;
    LocateOptions NoSyms;
    NoSyms.UseSymbols = false;
    auto Scan = locateFirstModuleData(T, F->BI.Version, NoSyms, &W);
    ASSERT_TRUE(static_cast<bool>(Scan)) << toString(Scan.takeError());
    EXPECT_EQ(Scan->Source, ModuleDataSource::Scan);
    const ModuleData &MD = Scan->Module;
    // Independent facts from the ELF file.
    const ExeSection *Text = T.exe().findSection(".text");
    ASSERT_TRUE(Text);
    EXPECT_EQ(MD.Text, Text->Addr + T.loadBias());
    EXPECT_EQ(MD.MinPC, MD.Text);
    EXPECT_GT(MD.EText, MD.Text);
    EXPECT_LE(MD.EText, Text->Addr + Text->Size + T.loadBias());
    for (const char *Sec : {".noptrdata", ".data", ".bss", ".noptrbss"}) {
      const ExeSection *S = T.exe().findSection(Sec);
      ASSERT_TRUE(S) << Sec;
      uint64_t Want = S->Addr + T.loadBias();
      uint64_t Got = std::string(Sec) == ".noptrdata" ? MD.NoPtrData
                     : std::string(Sec) == ".data"    ? MD.Data
                     : std::string(Sec) == ".bss"     ? MD.Bss
                                                      : MD.NoPtrBss;
      EXPECT_EQ(Got, Want) << Sec;
    }
    EXPECT_EQ(MD.EData, T.exe().findSection(".data")->Addr +
                            T.exe().findSection(".data")->Size + T.loadBias());
    EXPECT_EQ(MD.HasMain, 1);
    EXPECT_FALSE(MD.Bad);
    EXPECT_EQ(MD.Next, 0u);
    EXPECT_EQ(MD.CovCtrs.has_value(), F->BI.Version.atLeast(1, 20));
    EXPECT_EQ(MD.TypeLinks.has_value(), !F->BI.Version.atLeast(1, 27));
    EXPECT_EQ(MD.EPclntab.has_value(), F->BI.Version.atLeast(1, 26));
    EXPECT_EQ(Scan->Header.Magic, F->BI.Version.atLeast(1, 20)
                                      ? PcHeaderMagic120
                                      : PcHeaderMagic118);
    if (MD.TypeLinks) {
      EXPECT_GT(MD.TypeLinks->Len, 10u);
    }
    EXPECT_EQ(MD.TextSectMap.size(), 1u);

    if (const ExeSymbol *S = T.exe().findSymbol("runtime.firstmoduledata")) {
      auto Sym = locateFirstModuleData(T, F->BI.Version, {}, &W);
      ASSERT_TRUE(static_cast<bool>(Sym)) << toString(Sym.takeError());
      EXPECT_EQ(Sym->Source, ModuleDataSource::Symbol);
      EXPECT_EQ(Sym->Module.Addr, S->Addr + T.loadBias());
      EXPECT_TRUE(Sym->Module == MD);
      for (const char *Name : {"runtime.types", "runtime.etypes",
                               "runtime.etext", "runtime.end"}) {
        const ExeSymbol *X = T.exe().findSymbol(Name);
        ASSERT_TRUE(X) << Name;
        uint64_t V = X->Addr + T.loadBias();
        std::string Nm = Name;
        uint64_t Got = Nm == "runtime.types"    ? MD.Types
                       : Nm == "runtime.etypes" ? MD.ETypes
                       : Nm == "runtime.etext"  ? MD.EText
                                                : MD.End;
        EXPECT_EQ(Got, V) << Name;
      }
    }
    EXPECT_TRUE(W.empty()) << W.all().front();
  });
}

TEST(ModuleData, StrippedCopyFindsTheSameModuleAsTheSymbol) {
  // The same PIE run, analyzed once with the executable (symbol) and once
  // with a stripped copy of it (search).
  auto Full = openGoFixture("go126-pie");
  auto Stripped = openGoFixture("go126-pie", "go126-pie-stripped");
  ASSERT_TRUE(Full && Stripped);
  ASSERT_FALSE(Stripped->T->exe().hasSymbols());
  ASSERT_TRUE(Full->T->exe().isPIE());
  EXPECT_NE(Full->T->loadBias(), 0u);
  EXPECT_EQ(Full->T->loadBias(), Stripped->T->loadBias());
  auto A = locateFirstModuleData(*Full->T, Full->BI.Version);
  auto B = locateFirstModuleData(*Stripped->T, Stripped->BI.Version);
  ASSERT_TRUE(static_cast<bool>(A)) << toString(A.takeError());
  ASSERT_TRUE(static_cast<bool>(B)) << toString(B.takeError());
  EXPECT_EQ(A->Source, ModuleDataSource::Symbol);
  EXPECT_EQ(B->Source, ModuleDataSource::Scan);
  EXPECT_TRUE(A->Module == B->Module);
  EXPECT_EQ(A->Module.Addr,
            Full->T->exe().findSymbol("runtime.firstmoduledata")->Addr +
                Full->T->loadBias());
}

TEST(ModuleData, FindsThePclntabByMagicWithoutSectionHeaders) {
  // A copy of the stripped PIE without section headers: neither symbols
  // nor section names help, only the header magic and the pointer to it.
  for (const std::string &N : {std::string("go122-pie-stripped"),
                               std::string("go119")}) {
    SCOPED_TRACE(N);
    auto In = InputFile::open(gobinPath(N + ".xz"));
    ASSERT_TRUE(static_cast<bool>(In)) << toString(In.takeError());
    std::string Bytes = (*In)->bytes().str();
    for (int I = 0; I < 8; ++I)
      Bytes[0x28 + I] = 0; // e_shoff
    Bytes[0x3c] = Bytes[0x3d] = Bytes[0x3e] = Bytes[0x3f] = 0; // shnum, shstrndx
    auto Exe = ExeFile::fromInput(InputFile::fromBytes(Bytes, "noshdr"));
    ASSERT_TRUE(static_cast<bool>(Exe)) << toString(Exe.takeError());
    ASSERT_TRUE((*Exe)->sections().empty());
    auto Core = CoreFile::open(gobinPath(N + ".core.zst"));
    ASSERT_TRUE(static_cast<bool>(Core)) << toString(Core.takeError());
    TargetOptions Opts;
    Opts.LoadLibraries = false;
    Opts.Force = true;
    auto T = Target::fromFiles(std::move(*Core), std::move(*Exe), Opts);
    ASSERT_TRUE(static_cast<bool>(T)) << toString(T.takeError());
    auto Ref = openGoFixture(N);
    ASSERT_TRUE(Ref);
    LocateOptions NoSyms;
    NoSyms.UseSymbols = false;
    auto A = locateFirstModuleData(**T, Ref->BI.Version, NoSyms);
    auto B = locateFirstModuleData(*Ref->T, Ref->BI.Version, NoSyms);
    ASSERT_TRUE(static_cast<bool>(A)) << toString(A.takeError());
    ASSERT_TRUE(static_cast<bool>(B)) << toString(B.takeError());
    EXPECT_TRUE(A->Module == B->Module);
  }
}

TEST(ModuleData, MissingMemoryIsAnErrorNotZeros) {
  RegionMemory M;
  std::vector<uint8_t> Half(100, 0);
  M.add(0x1000, Half, RegionSource::Core);
  GoVersion V = *GoVersion::parse("go1.22.1");
  auto MD = readModuleData(M, 0x1000, V);
  ASSERT_FALSE(static_cast<bool>(MD));
  std::string Msg = toString(MD.takeError());
  EXPECT_NE(Msg.find("0x1064"), std::string::npos) << Msg;
}

TEST(ModuleData, RejectsAPcHeaderWithBadMagic) {
  RegionMemory M;
  std::vector<uint8_t> B(80, 0);
  B[0] = 0xfb; B[1] = B[2] = B[3] = 0xff; // go1.2 magic
  B[6] = 1; B[7] = 8;
  M.add(0x2000, B, RegionSource::Core);
  auto H = readPcHeader(M, 0x2000);
  ASSERT_FALSE(static_cast<bool>(H));
  EXPECT_NE(toString(H.takeError()).find("0xfffffffb"), std::string::npos);
  B[0] = 0xf1;
  B[8] = 10;                  // nfunc
  B[32] = 72;                 // funcnameOffset
  RegionMemory M2;
  M2.add(0x2000, B, RegionSource::Core);
  auto H2 = readPcHeader(M2, 0x2000);
  ASSERT_TRUE(static_cast<bool>(H2)) << toString(H2.takeError());
  EXPECT_EQ(H2->NFunc, 10u);
  EXPECT_EQ(H2->MinLC, 1);
}

} // namespace
