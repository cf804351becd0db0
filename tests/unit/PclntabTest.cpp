#include "goruntime/Pclntab.h"

#include <gtest/gtest.h>
#include <llvm/BinaryFormat/ELF.h>

#include "GoFixture.h"
#include "report/Signature.h"

using namespace ms;
using namespace mstest;

namespace {

// ELF symbol names carry an ".abi0" suffix for assembly functions, and the
// full type arguments where the pclntab has "[...]".
std::string normalizeSymbolName(std::string S) {
  // The pclntab spells generated names with a middle dot where the
  // symbol table has '.'.
  for (size_t P; (P = S.find("\xC2\xB7")) != std::string::npos;)
    S.replace(P, 2, ".");
  if (llvm::StringRef(S).endswith(".abi0"))
    S.resize(S.size() - 5);
  return collapseTypeArguments(S);
}

std::unique_ptr<LoadedFixture> load(const std::string &Name,
                                    const std::string &Exe = "") {
  return loadGoFixture(Name, Load::Pclntab, Exe);
}

TEST(Pclntab, EverySymbolIsFoundAtItsAddressWithItsName) {
  forEachGoFixture(Load::Pclntab, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const Target &T = *L->F->T;
    if (!T.exe().hasSymbols())
      return;
    size_t Checked = 0;
    for (const ExeSymbol &S : T.exe().symbols()) {
      if (S.Type != llvm::ELF::STT_FUNC)
        continue;
      const std::string Name = S.Name.str();
      uint64_t A = S.Addr + T.loadBias();
      if (!L->LM.Module.containsPC(A))
        continue;
      auto F = L->P->findFunc(A);
      ASSERT_TRUE(static_cast<bool>(F)) << Name << ": " << toString(F.takeError());
      if (Name == "runtime.text" || Name == "runtime.etext")
        continue; // markers, not functions
      EXPECT_EQ(normalizeSymbolName(F->Name), normalizeSymbolName(Name));
      EXPECT_EQ(F->Entry, A) << Name;
      if (S.Size) {
        EXPECT_GE(F->End, A + S.Size) << Name;
      }
      ++Checked;
    }
    EXPECT_GT(Checked, 1000u);
    EXPECT_GE(Checked + 8, L->P->numFuncs()) << "most functions have symbols";
  });
}

TEST(Pclntab, AllFunctionsDecodeAndTheirTablesCoverThem) {
  forEachGoFixture(Load::Pclntab, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const Pclntab &P = *L->P;
    uint64_t PrevEnd = 0;
    size_t WithInline = 0;
    for (size_t I = 0; I < P.numFuncs(); ++I) {
      auto F = P.func(I);
      ASSERT_TRUE(static_cast<bool>(F)) << toString(F.takeError());
      EXPECT_FALSE(F->Name.empty());
      EXPECT_LT(F->Entry, F->End) << F->Name;
      EXPECT_GE(F->Entry, PrevEnd);
      PrevEnd = F->End;
      auto Again = P.findFunc(F->Entry);
      ASSERT_TRUE(static_cast<bool>(Again));
      EXPECT_EQ(Again->Index, I);
      auto Last = P.findFunc(F->End - 1);
      ASSERT_TRUE(static_cast<bool>(Last));
      EXPECT_EQ(Last->Index, I);
      if (F->PcSp) {
        auto SP = P.spDelta(*F, F->Entry);
        ASSERT_TRUE(static_cast<bool>(SP)) << F->Name << toString(SP.takeError());
        EXPECT_EQ(*SP, 0) << F->Name << ": no frame at entry";
        auto Runs = P.pcValueRuns(*F, F->PcSp);
        ASSERT_TRUE(static_cast<bool>(Runs)) << toString(Runs.takeError());
        ASSERT_FALSE(Runs->empty());
        EXPECT_EQ(Runs->front().Start, F->Entry);
      }
      if (F->PcLn) {
        auto FL = P.fileLine(*F, F->Entry);
        ASSERT_TRUE(static_cast<bool>(FL)) << F->Name << toString(FL.takeError());
        EXPECT_FALSE(FL->File.empty());
        if (F->StartLine) {
          EXPECT_LE(F->StartLine, FL->Line) << F->Name;
        }
      }
      auto Tree = P.funcData(*F, FUNCDATA_InlTree);
      ASSERT_TRUE(static_cast<bool>(Tree));
      if (*Tree)
        ++WithInline;
    }
    EXPECT_GT(WithInline, 100u);
    EXPECT_FALSE(P.findFuncIndex(L->LM.Module.MinPC - 1));
    EXPECT_FALSE(P.findFuncIndex(L->LM.Module.MaxPC));
    auto None = P.findFunc(0x10);
    ASSERT_FALSE(static_cast<bool>(None));
    EXPECT_NE(toString(None.takeError()).find("0x10"), std::string::npos);
  });
}

// The traceback the runtime printed before the core was written: every
// frame's function, position, frame size, inlined callers and argument
// words must come out the same from the pclntab.
TEST(Pclntab, AgreesWithTheRuntimeTraceback) {
  forEachGoFixture(Load::Pclntab, [&](const std::string &N,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const Pclntab &P = *L->P;
    auto Gs = parseTraceback(readTextFile(gobinPath(N + ".stderr.txt")));
    ASSERT_GT(Gs.size(), 4u);
    size_t Frames = 0, InlinedFrames = 0, ArgFrames = 0;
    for (const TraceGoroutine &G : Gs) {
      SCOPED_TRACE(G.Header);
      std::vector<const TraceFrame *> Pending; // inlined frames so far
      for (const TraceFrame &TF : G.Frames) {
        if (TF.Inlined) {
          Pending.push_back(&TF);
          continue;
        }
        if (!TF.HasRegs) {
          Pending.clear();
          continue;
        }
        SCOPED_TRACE(TF.Function);
        auto F = P.findFunc(TF.PC);
        ASSERT_TRUE(static_cast<bool>(F)) << toString(F.takeError());
        EXPECT_EQ(F->Name, TF.Function);
        // fp - sp: the frame size, plus the return address on amd64.
        auto SP = P.spDelta(*F, TF.PC);
        ASSERT_TRUE(static_cast<bool>(SP)) << toString(SP.takeError());
        EXPECT_EQ(uint64_t(*SP) + 8, TF.FP - TF.SP);
        // A return address names the call instruction (pc-1); the first
        // frame of a goroutine interrupted by a signal is its own pc.
        uint64_t SymPC = TF.PC > F->Entry ? TF.PC - 1 : TF.PC;
        auto Src = P.expandInline(*F, SymPC);
        ASSERT_TRUE(static_cast<bool>(Src)) << toString(Src.takeError());
        if (TF.FirstInGoroutine && Src->back().Line != TF.Line) {
          auto Trap = P.expandInline(*F, TF.PC);
          ASSERT_TRUE(static_cast<bool>(Trap));
          Src = std::move(Trap);
        }
        ASSERT_EQ(Src->size(), Pending.size() + 1);
        for (size_t I = 0; I < Pending.size(); ++I) {
          EXPECT_EQ((*Src)[I].Function, Pending[I]->Function);
          EXPECT_EQ((*Src)[I].File, Pending[I]->File);
          EXPECT_EQ((*Src)[I].Line, Pending[I]->Line);
          EXPECT_TRUE((*Src)[I].Inlined);
          ++InlinedFrames;
        }
        EXPECT_EQ(Src->back().Function, TF.Function);
        EXPECT_EQ(Src->back().File, TF.File);
        EXPECT_EQ(Src->back().Line, TF.Line);
        EXPECT_FALSE(Src->back().Inlined);
        Pending.clear();
        // Arguments, printed from the spill slots at argp (= fp on amd64)
        // with liveness at the symbolization pc.
        // go1.19 evaluated liveness at the outermost inlined call site.
        uint64_t LivePC =
            L->F->BI.Version.atLeast(1, 21) ? SymPC : Src->back().PC;
        auto Items = P.argInfo(*F, LivePC);
        ASSERT_TRUE(static_cast<bool>(Items)) << toString(Items.takeError());
        auto Text = P.formatArgs(*Items, L->F->T->memory(), TF.FP);
        ASSERT_TRUE(static_cast<bool>(Text)) << toString(Text.takeError());
        EXPECT_EQ(*Text, TF.Args);
        if (!Items->empty())
          ++ArgFrames;
        ++Frames;
      }
    }
    EXPECT_GT(Frames, 20u);
    EXPECT_GT(InlinedFrames, 2u);
    EXPECT_GT(ArgFrames, 10u);
  });
}

TEST(Pclntab, StrippedPIEMatchesTheUnstrippedView) {
  auto A = load("go126-pie");
  auto B = load("go126-pie", "go126-pie-stripped");
  ASSERT_TRUE(A && B);
  ASSERT_EQ(A->P->numFuncs(), B->P->numFuncs());
  for (size_t I = 0; I < A->P->numFuncs(); I += 97) {
    auto FA = A->P->func(I), FB = B->P->func(I);
    ASSERT_TRUE(FA && FB);
    EXPECT_EQ(FA->Name, FB->Name);
    EXPECT_EQ(FA->Entry, FB->Entry);
  }
}

TEST(Pclntab, SpecialFunctionsByIdAndByName) {
  forEachGoFixture(Load::Pclntab, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const Pclntab &P = *L->P;
    const GoVersion &V = L->F->BI.Version;
    for (SpecialFunc S :
         {SpecialFunc::Systemstack, SpecialFunc::Mcall, SpecialFunc::Morestack,
          SpecialFunc::Goexit, SpecialFunc::AsyncPreempt, SpecialFunc::Rt0Go,
          SpecialFunc::Mstart, SpecialFunc::Gopanic, SpecialFunc::RuntimeMain,
          SpecialFunc::Sigpanic, SpecialFunc::SystemstackSwitch}) {
      std::string Name = specialFuncName(S).str();
      SCOPED_TRACE(Name);
      auto F = P.findFuncByName(Name);
      ASSERT_TRUE(static_cast<bool>(F)) << toString(F.takeError());
      // The funcID the linker stored means this function in this version.
      EXPECT_EQ(specialFuncFromID(F->FuncID, V), S) << int(F->FuncID);
      EXPECT_EQ(funcIDFor(S, V), F->FuncID);
      EXPECT_TRUE(P.is(*F, S));
      EXPECT_EQ(specialFuncFromName(F->Name), S);
    }
    auto Tramp = P.findFuncByName("runtime.sigtramp");
    ASSERT_TRUE(static_cast<bool>(Tramp));
    EXPECT_TRUE(P.is(*Tramp, SpecialFunc::Sigtramp));
    EXPECT_TRUE(Tramp->isAsm());
    auto Goexit = P.findFuncByName("runtime.goexit");
    ASSERT_TRUE(static_cast<bool>(Goexit));
    EXPECT_TRUE(Goexit->isTopFrame());
    auto Main = P.findFuncByName("main.main");
    ASSERT_TRUE(static_cast<bool>(Main));
    EXPECT_EQ(P.special(*Main), SpecialFunc::Normal);
    EXPECT_FALSE(Main->isAsm() || Main->isTopFrame() || Main->isSPWrite());
    // systemstack switches stacks by writing SP.
    auto SS = P.findFuncByName("runtime.systemstack");
    ASSERT_TRUE(static_cast<bool>(SS));
    EXPECT_TRUE(SS->isSPWrite());
  });
}

TEST(Pclntab, FuncIDTablesDifferAcrossVersions) {
  GoVersion V119 = *GoVersion::parse("go1.19.8"),
            V122 = *GoVersion::parse("go1.22.1"),
            V125 = *GoVersion::parse("go1.25.0");
  EXPECT_EQ(funcIDFor(SpecialFunc::Systemstack, V119), 19);
  EXPECT_EQ(funcIDFor(SpecialFunc::Systemstack, V122), 20);
  EXPECT_EQ(funcIDFor(SpecialFunc::Systemstack, V125), 21);
  EXPECT_EQ(funcIDFor(SpecialFunc::Corostart, V119), std::nullopt);
  EXPECT_EQ(funcIDFor(SpecialFunc::Runfinq, V125), std::nullopt);
  EXPECT_EQ(funcIDFor(SpecialFunc::Sigtramp, V125), std::nullopt);
  EXPECT_EQ(specialFuncFromID(21, V119), SpecialFunc::Wrapper);
  EXPECT_EQ(specialFuncFromID(23, V125), SpecialFunc::Wrapper);
  EXPECT_EQ(specialFuncFromID(200, V125), SpecialFunc::Normal);
  EXPECT_EQ(specialFuncFromName("runtime.cgoSigtramp"), SpecialFunc::Sigtramp);
  EXPECT_EQ(specialFuncFromName("main.systemstack"), SpecialFunc::Normal);
}

} // namespace
