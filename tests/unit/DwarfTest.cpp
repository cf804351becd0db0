// DwarfInfo on real Go executables (tests/data/dwarf, see
// scripts/gen-dwarf-fixtures.sh): go1.22.12 (DWARF 4, classic maps) and
// go1.26.11 (DWARF 5, swiss maps), both with zlib-compressed sections.
//
// Expected offsets were read independently with gdb 13:
//   gdb -batch -ex 'set language c' -ex "ptype /o struct 'runtime.g'" EXE
// and expected locations with llvm-dwarfdump --debug-info / --eh-frame.
#include "goruntime/ExeDwarf.h"
#include "DwarfFixtures.h"

#include <cstring>
#include <fstream>
#include <sys/resource.h>

#include <llvm/Support/FileSystem.h>

#include "support/Memory.h"

using namespace ms;
using namespace ms::testing;

namespace {

const DwarfInfo *dwarfOf(const std::string &Name) {
  auto *F = loadDwarfFixture(Name);
  if (!F || !F->Dwarf) {
    ADD_FAILURE() << Name << " has no DWARF";
    return nullptr;
  }
  return F->Dwarf.get();
}

// Address of symbol SYM, or of the one symbol starting with PREFIX and
// ending with SYM.
uint64_t symbolAddr(const std::string &Fixture, const std::string &Sym,
                    const std::string &Prefix = "") {
  auto *F = loadDwarfFixture(Fixture);
  if (!F)
    return 0;
  if (Prefix.empty())
    if (auto *S = F->Exe->findSymbol(Sym))
      return S->Addr;
  for (auto &S : F->Exe->symbols())
    if (!Prefix.empty() && llvm::StringRef(S.Name).startswith(Prefix) &&
        llvm::StringRef(S.Name).endswith(Sym))
      return S.Addr;
  ADD_FAILURE() << "no symbol " << Sym << " in " << Fixture;
  return 0;
}

// Offset (and size) of a field, failing the test on error.
std::pair<uint64_t, uint64_t> off(const DwarfInfo &D, const char *S,
                                  const char *Path) {
  auto F = D.field(S, Path);
  if (!F) {
    ADD_FAILURE() << S << "." << Path << ": " << llvm::toString(F.takeError());
    return {~0ull, ~0ull};
  }
  return {F->Offset, F->Size.value_or(~0ull)};
}

using P = std::pair<uint64_t, uint64_t>;

TEST(DwarfInfo, OpensCompressedDwarf5AndDwarf4) {
  auto *D26 = dwarfOf("fixture-go1.26");
  auto *D22 = dwarfOf("fixture-go1.22");
  ASSERT_TRUE(D26 && D22);
  EXPECT_EQ(D26->version(), 5u);
  EXPECT_EQ(D22->version(), 4u);
  EXPECT_NE(D26->producer().find("go1.26.11"), std::string::npos)
      << D26->producer();
  EXPECT_NE(D22->producer().find("go1.22.12"), std::string::npos)
      << D22->producer();
}

TEST(DwarfInfo, AbsentDwarfIsNoneNotAnError) {
  auto *F = loadDwarfFixture("fixture-go1.22-stripped");
  ASSERT_TRUE(F);
  EXPECT_EQ(F->Dwarf, nullptr);
}

TEST(DwarfInfo, OpensAFileOnDiskThroughLibelfMapping) {
  // The uncompressed path: libelf maps the file itself.
  auto In = InputFile::open(dwarfFixturePath("fixture-go1.26"));
  ASSERT_TRUE(static_cast<bool>(In)) << llvm::toString(In.takeError());
  llvm::SmallString<128> Tmp;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("ms-dwarf", "", Tmp));
  {
    std::ofstream O(Tmp.c_str(), std::ios::binary);
    O.write((*In)->bytes().data(), (*In)->bytes().size());
  }
  auto X = ExeFile::open(Tmp.str().str());
  ASSERT_TRUE(static_cast<bool>(X)) << llvm::toString(X.takeError());
  auto D = openDwarf(**X);
  llvm::sys::fs::remove(Tmp);
  ASSERT_TRUE(static_cast<bool>(D)) << llvm::toString(D.takeError());
  ASSERT_NE(*D, nullptr);
  auto L = (*D)->structLayout("runtime.g");
  ASSERT_TRUE(static_cast<bool>(L)) << llvm::toString(L.takeError());
  EXPECT_EQ((*L)->Size, 456u);
}

TEST(DwarfInfo, RuntimeGLayoutMatchesGdb) {
  auto *D22 = dwarfOf("fixture-go1.22");
  auto *D26 = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D22 && D26);
  auto G22 = D22->structLayout("runtime.g");
  auto G26 = D26->structLayout("runtime.g");
  ASSERT_TRUE(static_cast<bool>(G22)) << llvm::toString(G22.takeError());
  ASSERT_TRUE(static_cast<bool>(G26)) << llvm::toString(G26.takeError());
  EXPECT_EQ((*G22)->Size, 424u);
  EXPECT_EQ((*G26)->Size, 456u);
  EXPECT_EQ((*G22)->Fields.front().Name, "stack");

  EXPECT_EQ(off(*D22, "runtime.g", "stack"), P(0, 16));
  EXPECT_EQ(off(*D22, "runtime.g", "sched"), P(56, 56));
  EXPECT_EQ(off(*D22, "runtime.g", "atomicstatus"), P(144, 4));
  EXPECT_EQ(off(*D22, "runtime.g", "goid"), P(152, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "waitsince"), P(168, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "waitreason"), P(176, 1));
  EXPECT_EQ(off(*D22, "runtime.g", "gopc"), P(280, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "startpc"), P(296, 8));

  EXPECT_EQ(off(*D26, "runtime.g", "sched"), P(56, 48)); // no gobuf.ret (1.25+)
  EXPECT_EQ(off(*D26, "runtime.g", "atomicstatus"), P(144, 4));
  EXPECT_EQ(off(*D26, "runtime.g", "gopc"), P(288, 8));
  EXPECT_EQ(off(*D26, "runtime.g", "startpc"), P(304, 8));

  auto Status = D26->field("runtime.g", "atomicstatus");
  ASSERT_TRUE(static_cast<bool>(Status));
  EXPECT_EQ(Status->TypeName, "internal/runtime/atomic.Uint32");
  auto M = D22->field("runtime.g", "m");
  ASSERT_TRUE(static_cast<bool>(M));
  EXPECT_EQ(M->TypeName, "*runtime.m");
}

TEST(DwarfInfo, NestedFieldPaths) {
  auto *D22 = dwarfOf("fixture-go1.22");
  auto *D26 = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D22 && D26);
  // gobuf (gdb): sp 0, pc 8, g 16, ctxt 24, ret 32 (1.22 only), lr, bp.
  EXPECT_EQ(off(*D22, "runtime.g", "sched.sp"), P(56, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "sched.pc"), P(64, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "sched.bp"), P(104, 8));
  EXPECT_EQ(off(*D26, "runtime.g", "sched.lr"), P(88, 8));
  EXPECT_EQ(off(*D26, "runtime.g", "sched.bp"), P(96, 8));
  EXPECT_EQ(off(*D22, "runtime.g", "stack.hi"), P(8, 8));
  // runtime.m (gdb): g0 0, procid 72/64, curg 192/184, id 232.
  EXPECT_EQ(off(*D22, "runtime.m", "procid"), P(72, 8));
  EXPECT_EQ(off(*D22, "runtime.m", "curg"), P(192, 8));
  EXPECT_EQ(off(*D26, "runtime.m", "procid"), P(64, 8));
  EXPECT_EQ(off(*D26, "runtime.m", "curg"), P(184, 8));
  EXPECT_EQ(off(*D26, "runtime.m", "id"), P(232, 8));
  // Anonymous struct member of runtime.schedt.
  auto Lock = D22->field("runtime.schedt", "gFree.lock");
  auto GFree = D22->field("runtime.schedt", "gFree");
  ASSERT_TRUE(Lock && GFree);
  EXPECT_EQ(Lock->Offset, GFree->Offset);
}

TEST(DwarfInfo, MapHeaderLayouts) {
  auto *D22 = dwarfOf("fixture-go1.22");
  auto *D26 = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D22 && D26);
  auto H = D22->structLayout("runtime.hmap");
  ASSERT_TRUE(static_cast<bool>(H)) << llvm::toString(H.takeError());
  EXPECT_EQ((*H)->Size, 48u);
  EXPECT_EQ(off(*D22, "runtime.hmap", "count"), P(0, 8));
  EXPECT_EQ(off(*D22, "runtime.hmap", "B"), P(9, 1));
  EXPECT_EQ(off(*D22, "runtime.hmap", "hash0"), P(12, 4));
  EXPECT_EQ(off(*D22, "runtime.hmap", "buckets"), P(16, 8));
  EXPECT_EQ(off(*D22, "runtime.hmap", "extra"), P(40, 8));
  EXPECT_FALSE(D26->hasType("runtime.hmap"));

  auto Map = D26->structLayout("internal/runtime/maps.Map");
  ASSERT_TRUE(static_cast<bool>(Map)) << llvm::toString(Map.takeError());
  EXPECT_EQ((*Map)->Size, 48u);
  EXPECT_EQ(off(*D26, "internal/runtime/maps.Map", "used"), P(0, 8));
  EXPECT_EQ(off(*D26, "internal/runtime/maps.Map", "dirPtr"), P(16, 8));
  EXPECT_EQ(off(*D26, "internal/runtime/maps.Map", "dirLen"), P(24, 8));
  EXPECT_EQ(off(*D26, "internal/runtime/maps.Map", "globalDepth"), P(32, 1));
  EXPECT_EQ(off(*D26, "internal/runtime/maps.Map", "clearSeq"), P(40, 8));
}

TEST(DwarfInfo, LookupErrorsNameWhatIsMissing) {
  auto *D = dwarfOf("fixture-go1.22");
  ASSERT_TRUE(D);
  auto F = D->field("runtime.g", "sched.nosuch");
  ASSERT_FALSE(static_cast<bool>(F));
  std::string Msg = llvm::toString(F.takeError());
  EXPECT_NE(Msg.find("runtime.gobuf"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("nosuch"), std::string::npos) << Msg;
  auto S = D->structLayout("runtime.nosuchstruct");
  ASSERT_FALSE(static_cast<bool>(S));
  EXPECT_NE(llvm::toString(S.takeError()).find("runtime.nosuchstruct"),
            std::string::npos);
  // Not through pointers: m is *runtime.m.
  auto Ptr = D->field("runtime.g", "m.id");
  ASSERT_FALSE(static_cast<bool>(Ptr));
  consumeError(Ptr.takeError());
}

TEST(DwarfInfo, GlobalAddressesMatchTheSymbolTable) {
  for (const char *Fx : {"fixture-go1.22", "fixture-go1.26"}) {
    auto *D = dwarfOf(Fx);
    ASSERT_TRUE(D);
    for (const char *G : {"runtime.allgs", "runtime.allm", "runtime.allp",
                          "runtime.sched", "runtime.m0"}) {
      auto A = D->globalAddress(G);
      ASSERT_TRUE(static_cast<bool>(A)) << Fx << " " << G << ": "
                                        << llvm::toString(A.takeError());
      EXPECT_EQ(*A, symbolAddr(Fx, G)) << Fx << " " << G;
    }
    auto T = D->globalTypeName("runtime.allgs");
    ASSERT_TRUE(static_cast<bool>(T));
    EXPECT_EQ(*T, "[]*runtime.g");
    auto Missing = D->globalAddress("runtime.nosuchglobal");
    ASSERT_FALSE(static_cast<bool>(Missing));
    consumeError(Missing.takeError());
  }
  // Known numbers (readelf -s), in case the symbol table were wrong too.
  auto A = dwarfOf("fixture-go1.22")->globalAddress("runtime.allgs");
  ASSERT_TRUE(static_cast<bool>(A));
  EXPECT_EQ(*A, 0x4f2c40u);
}

// Helpers for location checks.
const VariableLocation *var(const ScopeVariables &S, const char *Name) {
  const VariableLocation *V = S.find(Name);
  if (!V)
    ADD_FAILURE() << S.Function << " has no variable " << Name;
  return V;
}
std::string locs(const VariableLocation *V) {
  if (!V)
    return "<missing>";
  if (!V->Available)
    return "unavailable";
  std::string S;
  for (auto &P : V->Pieces)
    S += (S.empty() ? "" : " ") + P.describe();
  return S;
}

TEST(DwarfInfo, MapassignFaststrParametersGo122) {
  auto *D = dwarfOf("fixture-go1.22");
  ASSERT_TRUE(D);
  uint64_t Entry = symbolAddr("fixture-go1.22", "runtime.mapassign_faststr");
  ASSERT_EQ(Entry, 0x40f880u);
  // At entry: ABIInternal registers (rax, rbx, rcx+rdi for the string).
  auto FV = D->variablesAt(Entry);
  ASSERT_TRUE(static_cast<bool>(FV)) << llvm::toString(FV.takeError());
  ASSERT_EQ(FV->Scopes.size(), 1u);
  const ScopeVariables &S = FV->function();
  EXPECT_EQ(S.Function, "runtime.mapassign_faststr");
  EXPECT_FALSE(S.Inlined);
  EXPECT_EQ(S.LowPC, Entry);
  ASSERT_GE(S.Variables.size(), 3u);
  EXPECT_EQ(S.Variables[0].Name, "t");
  EXPECT_EQ(S.Variables[1].Name, "h");
  EXPECT_EQ(S.Variables[2].Name, "s");
  EXPECT_EQ(locs(var(S, "t")), "r0:8");
  EXPECT_EQ(locs(var(S, "h")), "r3:8");
  EXPECT_EQ(locs(var(S, "s")), "r2:8 r5:8");
  EXPECT_EQ(var(S, "t")->TypeName, "*internal/abi.MapType");
  EXPECT_EQ(var(S, "h")->TypeName, "*runtime.hmap");
  EXPECT_EQ(var(S, "s")->TypeName, "string");
  EXPECT_EQ(var(S, "s")->TypeSize, 16u);
  EXPECT_TRUE(var(S, "s")->IsParameter);
  EXPECT_TRUE(var(S, "~r0")->IsResult);
  EXPECT_FALSE(var(S, "~r0")->Available); // <empty> location
  EXPECT_FALSE(var(S, "hash")->IsParameter);

  // The string's pointer half is dead first: a partial location.
  auto Mid = D->variablesAt(0x40f8c0);
  ASSERT_TRUE(static_cast<bool>(Mid)) << llvm::toString(Mid.takeError());
  EXPECT_EQ(locs(var(Mid->function(), "s")), "unavailable:8 r5:8");

  // After the prologue: spilled to the caller's argument area (fbreg with
  // frame base DW_OP_call_frame_cfa, as Delve reads it: CFA+off).
  auto Body = D->variablesAt(0x40fc00);
  ASSERT_TRUE(static_cast<bool>(Body)) << llvm::toString(Body.takeError());
  const ScopeVariables &B = Body->function();
  EXPECT_EQ(locs(var(B, "t")), "[CFA+0]:8");
  EXPECT_EQ(locs(var(B, "h")), "[CFA+8]:8");
  EXPECT_EQ(locs(var(B, "s")), "unavailable");
  EXPECT_EQ(locs(var(B, "hash")), "[CFA-72]:8");
  EXPECT_EQ(var(B, "h")->Pieces[0].K, LocationPiece::Kind::CfaOffset);
  EXPECT_EQ(var(B, "h")->Pieces[0].Offset, 8);
}

TEST(DwarfInfo, MapassignFaststrParametersGo126) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  uint64_t Entry = symbolAddr("fixture-go1.26", "runtime.mapassign_faststr");
  ASSERT_EQ(Entry, 0x40f140u);
  auto Body = D->variablesAt(Entry + 0x70);
  ASSERT_TRUE(static_cast<bool>(Body)) << llvm::toString(Body.takeError());
  const ScopeVariables &S = Body->function();
  EXPECT_EQ(S.Function, "runtime.mapassign_faststr");
  EXPECT_EQ(locs(var(S, "typ")), "[CFA+0]:8");
  EXPECT_EQ(locs(var(S, "m")), "[CFA+8]:8");
  EXPECT_EQ(locs(var(S, "key")), "[CFA+16]:8 [CFA+24]:8");
  EXPECT_EQ(var(S, "m")->TypeName, "*internal/runtime/maps.Map");
  EXPECT_EQ(var(S, "typ")->TypeName, "*internal/abi.MapType");

  auto Fn = D->functionAt(Entry + 0x70);
  ASSERT_TRUE(static_cast<bool>(Fn));
  EXPECT_EQ(Fn->first, "runtime.mapassign_faststr");
  EXPECT_EQ(Fn->second, Entry);
}

TEST(DwarfInfo, InlinedCallsAtAPcHaveTheirOwnParameters) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  // 0x40f301: (*Map).directoryAt inlined into mapassign_faststr.
  auto FV = D->variablesAt(0x40f301);
  ASSERT_TRUE(static_cast<bool>(FV)) << llvm::toString(FV.takeError());
  ASSERT_EQ(FV->Scopes.size(), 2u);
  const ScopeVariables &In = FV->Scopes[0];
  EXPECT_TRUE(In.Inlined);
  EXPECT_EQ(In.Function, "internal/runtime/maps.(*Map).directoryAt");
  EXPECT_GT(In.CallLine, 0u);
  EXPECT_EQ(locs(var(In, "m")), "[CFA+8]:8");
  EXPECT_EQ(locs(var(In, "i")), "r1:8");
  EXPECT_EQ(FV->function().Function, "runtime.mapassign_faststr");
  EXPECT_FALSE(FV->function().Inlined);
  auto Fn = D->functionAt(0x40f301);
  ASSERT_TRUE(static_cast<bool>(Fn));
  EXPECT_EQ(Fn->first, "runtime.mapassign_faststr");
}

TEST(DwarfInfo, UserFunctionTakingAMapAndAStringKey) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  uint64_t Entry = symbolAddr("fixture-go1.26", "main.store");
  ASSERT_EQ(Entry, 0x48a320u);
  auto FV = D->variablesAt(Entry);
  ASSERT_TRUE(static_cast<bool>(FV)) << llvm::toString(FV.takeError());
  const ScopeVariables &S = FV->function();
  EXPECT_EQ(S.Function, "main.store");
  EXPECT_EQ(locs(var(S, "m")), "r0:8");
  EXPECT_EQ(var(S, "m")->TypeName, "map[string]int");
  EXPECT_EQ(locs(var(S, "key")), "r3:8 r2:8");
  EXPECT_EQ(locs(var(S, "v")), "r5:8");
  // At the call to mapassign_faststr (entry+0x20 is the last byte of the
  // call; its return address is entry+0x21): half of key is gone.
  auto Call = D->variablesAt(Entry + 0x20);
  ASSERT_TRUE(static_cast<bool>(Call)) << llvm::toString(Call.takeError());
  EXPECT_EQ(locs(var(Call->function(), "m")), "r0:8");
  EXPECT_EQ(locs(var(Call->function(), "key")), "r3:8 unavailable:8");
  EXPECT_EQ(locs(var(Call->function(), "v")), "[CFA+24]:8");
}

TEST(DwarfInfo, NoFunctionAtAnAddressOutsideText) {
  auto *D = dwarfOf("fixture-go1.22");
  ASSERT_TRUE(D);
  auto FV = D->variablesAt(0x10);
  ASSERT_FALSE(static_cast<bool>(FV));
  EXPECT_NE(llvm::toString(FV.takeError()).find("0x10"), std::string::npos);
}

// A little stack for unwinding tests.
struct Stack {
  uint64_t Base;
  std::vector<uint8_t> Bytes;
  RegionMemory Mem;
  Stack(uint64_t Base, size_t Size) : Base(Base), Bytes(Size, 0) {}
  void put(uint64_t Addr, uint64_t V) {
    for (int I = 0; I < 8; ++I)
      Bytes[Addr - Base + I] = uint8_t(V >> (8 * I));
  }
  const Memory &mem() {
    if (!Mapped) {
      Mem.add(Base, Bytes, RegionSource::Core);
      Mapped = true;
    }
    return Mem;
  }
  bool Mapped = false;
};

constexpr unsigned RAX = 0, RDX = 1, RBX = 3, RBP = 6, RSP = 7, R12 = 12,
                   RIP = 16;

TEST(DwarfInfo, UnwindsAGoFrameWithDebugFrame) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  ASSERT_TRUE(D->hasCfi());
  // main.store: CFA = RSP+8 at entry, RSP+48 after the prologue (its FDE).
  uint64_t Entry = symbolAddr("fixture-go1.26", "main.store");
  Stack St(0x7000, 0x100);
  St.put(0x7028, 0x48b111); // return address at CFA-8
  RegisterSet R;
  R.set(RIP, Entry + 0x20);
  R.set(RSP, 0x7000);
  R.set(RAX, 0xaaaa);
  auto U = D->unwind(Entry + 0x20, R, St.mem());
  ASSERT_TRUE(static_cast<bool>(U)) << llvm::toString(U.takeError());
  EXPECT_EQ(U->Source, ".debug_frame");
  EXPECT_EQ(U->CFA, 0x7030u);
  EXPECT_EQ(U->ReturnAddress, 0x48b111u);
  EXPECT_EQ(U->ReturnAddressReg, RIP);
  EXPECT_EQ(U->Caller.get(RSP), 0x7030u);
  EXPECT_EQ(U->Caller.get(RIP), 0x48b111u);

  RegisterSet E;
  E.set(RIP, Entry);
  E.set(RSP, 0x7000);
  St.put(0x7000, 0x48b222);
  auto AtEntry = D->unwind(Entry, E, St.mem());
  ASSERT_TRUE(static_cast<bool>(AtEntry)) << llvm::toString(AtEntry.takeError());
  EXPECT_EQ(AtEntry->CFA, 0x7008u);
  EXPECT_EQ(AtEntry->ReturnAddress, 0x48b222u);

  // The stack is not in memory: an error naming the address, not zeros.
  RegisterSet Far;
  Far.set(RIP, Entry + 0x20);
  Far.set(RSP, 0x900000);
  auto Bad = D->unwind(Entry + 0x20, Far, St.mem());
  ASSERT_FALSE(static_cast<bool>(Bad));
  EXPECT_NE(llvm::toString(Bad.takeError()).find("0x900028"), std::string::npos);
}

TEST(DwarfInfo, UnwindsACFrameWithEhFrame) {
  // cgo fixture built with -ldflags=-w: no DWARF, but gcc's .eh_frame.
  auto *F = loadDwarfFixture("cgo-go1.22-nodwarf");
  ASSERT_TRUE(F);
  ASSERT_NE(F->Dwarf, nullptr) << ".eh_frame alone makes a DwarfInfo";
  const DwarfInfo &D = *F->Dwarf;
  EXPECT_FALSE(D.hasType("runtime.g"));
  auto L = D.structLayout("runtime.g");
  ASSERT_FALSE(static_cast<bool>(L));
  EXPECT_NE(llvm::toString(L.takeError()).find("no DWARF"), std::string::npos);
  ASSERT_TRUE(D.hasCfi());

  // _cgo_..._Cfunc_ms_c_mix: push r12; push rbp; push rbx; (+0xc: after
  // a call) CFA = RSP+32, r12 at CFA-16, rbp at CFA-24, rbx at CFA-32.
  uint64_t Fn = symbolAddr("cgo-go1.22-nodwarf", "_Cfunc_ms_c_mix", "_cgo_");
  ASSERT_NE(Fn, 0u);
  uint64_t PC = Fn + 0xc;
  Stack St(0x8000, 0x100);
  St.put(0x8018, 0x401000); // return address
  St.put(0x8010, 0x1212);   // saved r12
  St.put(0x8008, 0x6666);   // saved rbp
  St.put(0x8000, 0x3333);   // saved rbx
  RegisterSet R;
  R.set(RIP, PC);
  R.set(RSP, 0x8000);
  R.set(RBX, 0xb0b0);
  R.set(RBP, 0xb1b1);
  R.set(R12, 0xb2b2);
  R.set(RDX, 0xd0d0);
  auto U = D.unwind(PC, R, St.mem());
  ASSERT_TRUE(static_cast<bool>(U)) << llvm::toString(U.takeError());
  EXPECT_EQ(U->Source, ".eh_frame");
  EXPECT_EQ(U->CFA, 0x8020u);
  EXPECT_EQ(U->ReturnAddress, 0x401000u);
  EXPECT_EQ(U->Caller.get(R12), 0x1212u);
  EXPECT_EQ(U->Caller.get(RBP), 0x6666u);
  EXPECT_EQ(U->Caller.get(RBX), 0x3333u);
  EXPECT_EQ(U->Caller.get(RSP), 0x8020u);
  EXPECT_FALSE(U->Caller.has(RDX)) << "call-clobbered: undefined in the caller";

  // Outside any FDE.
  auto None = D.unwind(0x10, R, St.mem());
  ASSERT_FALSE(static_cast<bool>(None));
  consumeError(None.takeError());
}

TEST(DwarfInfo, StructNamesIncludeTheRuntime) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  auto Names = D->structNames();
  EXPECT_NE(std::find(Names.begin(), Names.end(), "runtime.m"), Names.end());
  EXPECT_NE(std::find(Names.begin(), Names.end(), "internal/runtime/maps.table"),
            Names.end());
}

} // namespace

namespace {

TEST(DwarfInfo, ReadsVariablesFromRegistersAndTheStack) {
  auto *D = dwarfOf("fixture-go1.26");
  ASSERT_TRUE(D);
  // main.store at entry: m in rax, key in rbx (ptr) + rcx (len).
  uint64_t Store = symbolAddr("fixture-go1.26", "main.store");
  auto FV = D->variablesAt(Store);
  ASSERT_TRUE(static_cast<bool>(FV));
  RegisterSet R;
  R.set(RAX, 0xc000010000);
  R.set(RBX, 0xc000020000);
  R.set(2 /* rcx */, 5);
  Stack St(0x7000, 0x100);
  auto Key = readVariable(*FV->function().find("key"), R, std::nullopt,
                          St.mem());
  ASSERT_TRUE(static_cast<bool>(Key)) << llvm::toString(Key.takeError());
  ASSERT_EQ(Key->size(), 16u);
  EXPECT_EQ((*Key)[0], 0x00);
  EXPECT_EQ((*Key)[2], 0x02);
  EXPECT_EQ((*Key)[4], 0xc0);
  EXPECT_EQ((*Key)[8], 5);

  // mapassign_faststr after its prologue: key spilled at CFA+16/CFA+24.
  auto Body = D->variablesAt(0x40f140 + 0x70);
  ASSERT_TRUE(static_cast<bool>(Body));
  St.put(0x7040, 0xc000030000); // CFA 0x7030 + 16
  St.put(0x7048, 7);
  auto K2 = readVariable(*Body->function().find("key"), R, 0x7030, St.mem());
  ASSERT_TRUE(static_cast<bool>(K2)) << llvm::toString(K2.takeError());
  EXPECT_EQ((*K2)[4], 0xc0);
  EXPECT_EQ((*K2)[2], 0x03);
  EXPECT_EQ((*K2)[8], 7);
  // Without the CFA, or with half the string optimized out: errors.
  auto NoCfa = readVariable(*Body->function().find("key"), R, std::nullopt,
                            St.mem());
  ASSERT_FALSE(static_cast<bool>(NoCfa));
  EXPECT_NE(llvm::toString(NoCfa.takeError()).find("key"), std::string::npos);
  auto Call = D->variablesAt(Store + 0x20);
  ASSERT_TRUE(static_cast<bool>(Call));
  auto Half = readVariable(*Call->function().find("key"), R, 0x7030, St.mem());
  ASSERT_FALSE(static_cast<bool>(Half));
  EXPECT_NE(llvm::toString(Half.takeError()).find("optimized out"),
            std::string::npos);
}

} // namespace

namespace {

// Section headers of an ELF64 image: name, flags, offset and size.
struct RawSection {
  std::string Name;
  size_t HeaderOff;
  uint64_t Flags, Offset, Size;
};
std::vector<RawSection> rawSections(const std::vector<uint8_t> &B) {
  auto U16 = [&](size_t O) { uint16_t V; std::memcpy(&V, &B[O], 2); return V; };
  auto U32 = [&](size_t O) { uint32_t V; std::memcpy(&V, &B[O], 4); return V; };
  auto U64 = [&](size_t O) { uint64_t V; std::memcpy(&V, &B[O], 8); return V; };
  uint64_t ShOff = U64(0x28);
  unsigned ShEnt = U16(0x3a), ShNum = U16(0x3c), StrNdx = U16(0x3e);
  uint64_t StrOff = U64(ShOff + StrNdx * ShEnt + 0x18);
  std::vector<RawSection> R;
  for (unsigned I = 0; I < ShNum; ++I) {
    size_t H = ShOff + I * ShEnt;
    R.push_back({reinterpret_cast<const char *>(&B[StrOff + U32(H)]), H,
                 U64(H + 8), U64(H + 0x18), U64(H + 0x20)});
  }
  return R;
}

long maxRssKib() {
  struct rusage U;
  getrusage(RUSAGE_SELF, &U);
  return U.ru_maxrss;
}

TEST(DwarfInfo, CompressedSectionsPromisingTooMuchAreDroppedNotInflated) {
  auto In = InputFile::open(dwarfFixturePath("fixture-go1.22"));
  ASSERT_TRUE(static_cast<bool>(In)) << llvm::toString(In.takeError());
  const std::vector<uint8_t> Orig((*In)->data().begin(), (*In)->data().end());
  const Arch *A = archForGoName("amd64");
  auto Secs = rawSections(Orig);
  const RawSection *Info = nullptr;
  for (const auto &S : Secs)
    if (S.Name == ".debug_info")
      Info = &S;
  ASSERT_TRUE(Info);
  ASSERT_TRUE(Info->Flags & 0x800) << "fixture's .debug_info is compressed";
  auto SetU64 = [](std::vector<uint8_t> &B, size_t O, uint64_t V) {
    std::memcpy(&B[O], &V, 8);
  };
  auto LayoutOf = [&](const std::vector<uint8_t> &B, const char *What) {
    auto D = DwarfInfo::openBytes(B, What, A);
    if (!D) {
      consumeError(D.takeError());
      return false;
    }
    if (!*D)
      return false;
    auto L = (*D)->structLayout("runtime.g");
    if (!L) {
      consumeError(L.takeError());
      return false;
    }
    return true;
  };
  // Control: the image as it is.
  EXPECT_TRUE(LayoutOf(Orig, "intact"));
  // .debug_info promising 1 TiB: more than deflate can expand its bytes to.
  {
    auto B = Orig;
    SetU64(B, Info->Offset + 8, uint64_t(1) << 40);
    EXPECT_FALSE(LayoutOf(B, "1 TiB"));
  }
  // Its compressed bytes damaged: it does not inflate to its size.
  {
    auto B = Orig;
    for (uint64_t I = Info->Offset + 24 + 1000; I < Info->Offset + Info->Size;
         I += 501)
      B[I] ^= 0xa5;
    EXPECT_FALSE(LayoutOf(B, "damaged"));
  }
  // Every debug section pointing at .debug_info's compressed bytes, each
  // promising 1000 times their size (under deflate's 1032:1, so each is
  // plausible alone): together far more than the file could hold. None may
  // be inflated; peak memory must not grow by what they promise.
  {
    auto B = Orig;
    uint64_t Promised = 0;
    for (const auto &S : Secs) {
      if (llvm::StringRef(S.Name).startswith(".debug_") && (S.Flags & 0x800)) {
        SetU64(B, S.HeaderOff + 0x18, Info->Offset);
        SetU64(B, S.HeaderOff + 0x20, Info->Size);
        Promised += 1000 * (Info->Size - 24);
      }
    }
    SetU64(B, Info->Offset + 8, 1000 * (Info->Size - 24));
    ASSERT_GT(Promised, 64 * uint64_t(B.size()));
    long Before = maxRssKib();
    EXPECT_FALSE(LayoutOf(B, "overlapping"));
    EXPECT_LT(maxRssKib() - Before, long(Promised / 1024 / 4))
        << "inflated what the headers promised";
  }
}

TEST(DwarfInfo, DamagedInputIsAnErrorOrNoneNeverACrash) {
  auto In = InputFile::open(dwarfFixturePath("fixture-go1.22"));
  ASSERT_TRUE(static_cast<bool>(In)) << llvm::toString(In.takeError());
  llvm::ArrayRef<uint8_t> All = (*In)->data();
  const Arch *A = archForGoName("amd64");
  // Truncated at various points: headers only, mid-sections, all but the
  // section header table.
  for (size_t Cut : {size_t(10), size_t(64), size_t(4096), All.size() / 2,
                     All.size() - 100}) {
    SCOPED_TRACE(Cut);
    auto D = DwarfInfo::openBytes(All.take_front(Cut), "truncated", A);
    if (!D) {
      consumeError(D.takeError());
      continue;
    }
    if (!*D)
      continue;
    // Whatever opened must answer lookups with values or errors.
    (void)(*D)->hasType("runtime.g");
    auto L = (*D)->structLayout("runtime.g");
    if (!L)
      consumeError(L.takeError());
  }
  // Garbage after a valid ELF header: corrupt section contents.
  std::vector<uint8_t> Bad(All.begin(), All.end());
  for (size_t I = 0x1000; I < Bad.size(); I += 97)
    Bad[I] ^= 0x5a;
  auto D = DwarfInfo::openBytes(Bad, "corrupt", A);
  if (!D) {
    consumeError(D.takeError());
  } else if (*D) {
    auto L = (*D)->structLayout("runtime.g");
    if (!L)
      consumeError(L.takeError());
    auto V = (*D)->variablesAt(0x40f880);
    if (!V)
      consumeError(V.takeError());
  }
  auto Junk = DwarfInfo::openBytes(llvm::ArrayRef<uint8_t>(Bad).drop_front(8),
                                   "junk", A);
  ASSERT_FALSE(static_cast<bool>(Junk)) << "not an ELF file";
  consumeError(Junk.takeError());
}

} // namespace
