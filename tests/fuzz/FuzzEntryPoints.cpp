#include "FuzzEntryPoints.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <llvm/Support/JSON.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>

#include "../unit/CoreBuilder.h"
#include "dwarf/DwarfInfo.h"
#include "goruntime/GoProgram.h"
#include "loader/CoreFile.h"
#include "loader/ExeFile.h"
#include "loader/InputFile.h"
#include "loader/Target.h"
#include "diagnosis/LogDiagnose.h"
#include "loader/CrashLog.h"
#include "report/AnalysisText.h"
#include "report/Json.h"
#include "report/Signature.h"

#ifndef MS_FUZZ_CORPUS_DIR
#error "MS_FUZZ_CORPUS_DIR (fixtures/corpus) must be defined"
#endif
#ifndef MS_FUZZ_DEFAULT_CASE
#define MS_FUZZ_DEFAULT_CASE "go1.22-default/strkeys"
#endif

namespace ms::fuzz {

using namespace llvm;

namespace {

StringRef asRef(const uint8_t *D, size_t N) {
  return StringRef(reinterpret_cast<const char *>(D), N);
}

template <typename T> void drop(Expected<T> &V) {
  if (!V)
    consumeError(V.takeError());
}

uint64_t le(const uint8_t *P, unsigned N) {
  uint64_t V = 0;
  for (unsigned I = 0; I < N; ++I)
    V |= uint64_t(P[I]) << (8 * I);
  return V;
}

// Reads memory the way every layer does, at an address from the input.
void probe(const Memory &M, uint64_t Addr) {
  auto A = M.readU64(Addr);
  drop(A);
  auto B = M.readU32(Addr);
  drop(B);
  auto C = M.readBytes(Addr, 64);
  drop(C);
  auto S = M.readString(Addr, 16);
  drop(S);
  (void)M.view(Addr, 32);
  (void)M.isReadable(Addr, 4096);
  if (A) {
    auto D = M.readU64(*A); // one pointer hop
    drop(D);
  }
}

// A core with one thread and no memory: pairs with an executable alone, so
// that everything reads the executable's own file-backed segments.
const std::vector<uint8_t> &exeOnlyCore(uint16_t Machine) {
  static std::vector<uint8_t> Amd64, Arm64;
  std::vector<uint8_t> &C = Machine == 183 ? Arm64 : Amd64;
  if (C.empty()) {
    std::vector<uint8_t> PrStatus = mstest::prstatusAmd64(1, 6, 0, 0, 0);
    if (const Arch *A = archForElfMachine(Machine))
      PrStatus.resize(112 + A->prRegSize() + 8); // arm64: zero registers
    C = mstest::buildCore({{"CORE", 1 /*NT_PRSTATUS*/, PrStatus}}, {}, Machine);
  }
  return C;
}

void exerciseExe(const ExeFile &X) {
  (void)X.arch().goName();
  (void)X.isPIE();
  (void)X.hasSymbols();
  (void)X.hasDwarf();
  (void)X.interpreter();
  (void)X.entry();
  (void)X.phdrVAddr();
  size_t N = 0;
  for (const auto &S : X.sections()) {
    if (N++ > 256)
      break;
    ArrayRef<uint8_t> B = X.sectionBytes(S);
    (void)B;
    (void)X.findSection(S.Name);
    (void)X.bytesAt(S.Addr, std::min<uint64_t>(S.Size, 64));
  }
  for (const auto &Seg : X.segments()) {
    (void)X.bytesAt(Seg.VAddr, Seg.FileSize);
    (void)X.bytesAt(Seg.VAddr + Seg.FileSize / 2, 16);
  }
  (void)X.findSymbol("runtime.firstmoduledata");
  (void)X.goBuildId();
  (void)X.gnuBuildId();
  (void)X.goBuildIdAddr();
  (void)X.gnuBuildIdAddr();
  (void)X.warnings().all();
}

// The executable on its own: build info, layouts, then the Go tables read
// through a Target whose memory is the executable's segments.
void exeOnlyPipeline(std::unique_ptr<ExeFile> X, bool OpenDwarf) {
  const uint64_t X0Size = X->input().size();
  exerciseExe(*X);
  auto BI = readBuildInfo(*X);
  if (BI) {
    auto L = RuntimeLayouts::forProgram(*X, *BI, nullptr);
    drop(L);
  } else {
    consumeError(BI.takeError());
  }
  if (OpenDwarf && X->hasDwarf()) {
    auto D = DwarfInfo::openBytes(X->input().data(), "fuzz.exe", &X->arch());
    if (D && *D) {
      (void)(*D)->version();
      (void)(*D)->producer();
      auto F = (*D)->field("runtime.g", "sched.sp");
      drop(F);
    } else if (!D) {
      consumeError(D.takeError());
    }
  }
  const std::vector<uint8_t> &CoreBytes = exeOnlyCore(X->arch().elfMachine());
  auto C = CoreFile::fromInput(InputFile::fromBytes(
      asRef(CoreBytes.data(), CoreBytes.size()), "exe-only.core"));
  if (!C) {
    consumeError(C.takeError());
    return;
  }
  TargetOptions O;
  O.Force = true;
  O.LoadLibraries = false;
  auto T = Target::fromFiles(std::move(*C), std::move(X), O);
  if (!T) {
    consumeError(T.takeError());
    return;
  }
  Budget Bud;
  Bud.Thorough = X0Size % 4 == 1;
  runPipeline(**T, {}, Bud);
}

std::string caseDir() {
  const char *Env = std::getenv("MAPSLEUTH_FUZZ_CASE");
  std::string C = Env && *Env ? Env : MS_FUZZ_DEFAULT_CASE;
  if (sys::path::is_absolute(C))
    return C;
  return std::string(MS_FUZZ_CORPUS_DIR) + "/" + C;
}

Expected<std::vector<uint8_t>> slurp(const std::string &Path) {
  auto In = InputFile::open(Path);
  if (!In)
    return In.takeError();
  ArrayRef<uint8_t> D = (*In)->data();
  return std::vector<uint8_t>(D.begin(), D.end());
}

// File offset of address A in the segment of Segs whose file bytes hold
// it (Offset: where they start in the file, Size: how many), and how many
// of them are left from there.
template <typename Seg>
std::optional<std::pair<uint64_t, uint64_t>>
fileOffset(const std::vector<Seg> &Segs, uint64_t A, uint64_t Seg::*Offset,
           uint64_t Seg::*Size) {
  for (const Seg &S : Segs)
    if (A >= S.VAddr && A - S.VAddr < S.*Size)
      return std::make_pair(S.*Offset + (A - S.VAddr), S.*Size - (A - S.VAddr));
  return std::nullopt;
}

// File offset of a runtime address in the base core (saved bytes only).
std::optional<std::pair<uint64_t, uint64_t>>
coreOffset(const CoreFile &C, uint64_t VAddr) {
  return fileOffset(C.segments(), VAddr, &CoreSegment::FileOffset,
                    &CoreSegment::SavedSize);
}

std::optional<std::pair<uint64_t, uint64_t>>
exeOffset(const ExeFile &X, uint64_t LinkAddr) {
  return fileOffset(X.segments(), LinkAddr, &ExeSegment::Offset,
                    &ExeSegment::FileSize);
}

// The fixed order of windows (edit scripts name them by index).
const char *const WindowNames[] = {
    "core-headers",  // 0 ELF header and program headers of the core
    "core-notes",    // 1 PT_NOTE: threads, registers, signal, auxv, NT_FILE
    "stacks",        // 2 around each thread's SP
    "g",             // 3 the g structures (TLS g of each thread, allgs)
    "gstacks",       // 4 around each g's saved SP
    "map",           // 5 the faulting map's header and what it points at
    "core-moduledata", // 6 firstmoduledata and allgs as the core saved them
    "core-any",      // 7 the whole core
    "exe-headers",   // 8 ELF, program and section headers of the executable
    "exe-pclntab",   // 9 the function table
    "exe-types",     // 10 type descriptors
    "exe-buildinfo", // 11 .go.buildinfo and the build-id notes
    "exe-moduledata",// 12 firstmoduledata in the executable's data
    "exe-any",       // 13 the whole executable
};
constexpr size_t NumWindows = sizeof(WindowNames) / sizeof(WindowNames[0]);
constexpr size_t FirstExeWindow = 8;

Error computeWindows(BaseCase &B) {
  B.Windows.clear();
  for (size_t I = 0; I < NumWindows; ++I) {
    Window W;
    W.Name = WindowNames[I];
    W.InExe = I >= FirstExeWindow;
    B.Windows.push_back(std::move(W));
  }
  auto Core = CoreFile::fromInput(InputFile::fromBytes(
      asRef(B.Core.data(), B.Core.size()), "base.core"));
  if (!Core)
    return Core.takeError();
  auto Exe = ExeFile::fromInput(
      InputFile::fromBytes(asRef(B.Exe.data(), B.Exe.size()), "base.exe"));
  if (!Exe)
    return Exe.takeError();
  TargetOptions O;
  O.LoadLibraries = false;
  auto T = Target::fromFiles(std::move(*Core), std::move(*Exe), O);
  if (!T)
    return T.takeError();
  const CoreFile &C = (*T)->core();
  const ExeFile &X = (*T)->exe();
  const uint64_t Bias = (*T)->loadBias();
  const uint64_t CS = B.Core.size(), XS = B.Exe.size();
  auto CoreRange = [&](size_t W, uint64_t VAddr, uint64_t Len) {
    if (auto O = coreOffset(C, VAddr))
      B.Windows[W].add(O->first, std::min(Len, O->second), VAddr, CS);
  };
  auto ExeRange = [&](size_t W, uint64_t RtAddr, uint64_t Len) {
    if (auto O = exeOffset(X, RtAddr - Bias))
      B.Windows[W].add(O->first, std::min(Len, O->second), RtAddr, XS);
  };

  // Core headers and notes, from the raw program headers.
  const uint8_t *P = B.Core.data();
  uint64_t PhOff = le(P + 32, 8), PhNum = le(P + 56, 2);
  B.Windows[0].add(0, 64 + PhNum * 56, 0, CS);
  for (uint64_t I = 0; I < PhNum && PhOff + (I + 1) * 56 <= CS; ++I) {
    const uint8_t *Ph = P + PhOff + I * 56;
    if (le(Ph, 4) == 4 /*PT_NOTE*/)
      B.Windows[1].add(le(Ph + 8, 8), le(Ph + 32, 8), 0, CS);
  }
  B.Windows[7].add(0, CS, 0, CS);
  B.Windows[8].add(0, 64 + le(B.Exe.data() + 56, 2) * 56, 0, XS);
  B.Windows[8].add(le(B.Exe.data() + 40, 8), le(B.Exe.data() + 60, 2) * 64, 0,
                   XS);
  B.Windows[13].add(0, XS, 0, XS);

  const Arch &A = (*T)->arch();
  std::vector<uint64_t> Gs;
  for (const auto &Th : C.threads()) {
    if (auto SP = Th.Regs.get(A.spReg()))
      CoreRange(2, *SP - 256, 8192);
    if (auto Slot = A.tlsGSlot(Th.Regs)) {
      if (auto G = (*T)->memory().readU64(*Slot))
        Gs.push_back(*G);
      else
        consumeError(G.takeError());
    }
  }

  auto Prog = GoProgram::open(**T);
  if (!Prog)
    return addContext(Prog.takeError(), "base case");
  const ModuleData &MD = (*Prog)->module();
  CoreRange(6, MD.Addr, 0x300);
  ExeRange(12, MD.Addr, 0x300);
  if (const ExeSection *S = X.findSection(".gopclntab"))
    B.Windows[9].add(S->Offset, S->Size, S->Addr + Bias, XS);
  else
    ExeRange(9, MD.PcHeaderAddr, MD.PclnTable.Data + MD.PclnTable.Len -
                                     MD.PcHeaderAddr);
  ExeRange(10, MD.Types, MD.ETypes - MD.Types);
  for (const char *N : {".go.buildinfo", ".note.go.buildid",
                        ".note.gnu.build-id"})
    if (const ExeSection *S = X.findSection(N))
      B.Windows[11].add(S->Offset, std::min<uint64_t>(S->Size, 4096),
                        S->Addr + Bias, XS);

  // allgs and the goroutines' stacks, through the layout tables.
  auto BI = readBuildInfo(X);
  if (!BI)
    return BI.takeError();
  auto L = RuntimeLayouts::forProgram(X, *BI, nullptr);
  if (!L)
    return L.takeError();
  const Memory &M = (*T)->memory();
  if (const ExeSymbol *S = X.findSymbol("runtime.allgs")) {
    CoreRange(6, S->Addr + Bias, 16);
    auto Data = M.readU64(S->Addr + Bias);
    auto Len = M.readU64(S->Addr + Bias + 8);
    if (Data && Len) {
      CoreRange(6, *Data, 8 * std::min<uint64_t>(*Len, 64));
      for (uint64_t I = 0; I < std::min<uint64_t>(*Len, 64); ++I)
        if (auto G = M.readU64(*Data + 8 * I))
          Gs.push_back(*G);
        else
          consumeError(G.takeError());
    }
    if (!Data)
      consumeError(Data.takeError());
    if (!Len)
      consumeError(Len.takeError());
  }
  std::sort(Gs.begin(), Gs.end());
  Gs.erase(std::unique(Gs.begin(), Gs.end()), Gs.end());
  auto GSize = (*L)->sizeOf("runtime.g");
  auto SchedSP = (*L)->offsetOf("runtime.g", "sched.sp");
  for (uint64_t G : Gs) {
    if (GSize)
      CoreRange(3, G, *GSize);
    if (SchedSP) {
      if (auto SP = M.readU64(G + *SchedSP); SP && *SP)
        CoreRange(4, *SP, 4096);
      else if (!SP)
        consumeError(SP.takeError());
    }
  }
  if (!GSize)
    consumeError(GSize.takeError());
  if (!SchedSP)
    consumeError(SchedSP.takeError());

  // The map, from the case's truth.json.
  auto Truth = MemoryBuffer::getFile(B.Dir + "/truth.json");
  if (Truth) {
    auto J = json::parse((*Truth)->getBuffer());
    if (!J)
      return J.takeError();
    const json::Object *Map =
        J->getAsObject() ? J->getAsObject()->getObject("map") : nullptr;
    if (Map) {
      uint64_t Addr = 0;
      if (auto S = Map->getString("address"))
        S->getAsInteger(0, Addr);
      if (Addr) {
        B.H.MapAddrs.push_back(Addr);
        CoreRange(5, Addr, 64);
        for (unsigned I = 0; I < 8; ++I)
          if (auto W = M.readU64(Addr + 8 * I); W && coreOffset(C, *W))
            CoreRange(5, *W, 16384);
          else if (!W)
            consumeError(W.takeError());
      }
      if (auto TN = Map->getString("type")) {
        auto MT = (*Prog)->types().findByName(*TN);
        if (MT && *MT)
          B.H.TypeAddrs.push_back((*MT)->Addr);
        else if (!MT)
          consumeError(MT.takeError());
      }
    }
  }
  return Error::success();
}

} // namespace

void Window::add(uint64_t FileOff, uint64_t Len, uint64_t VAddr,
                 uint64_t FileSize) {
  if (FileOff >= FileSize)
    return;
  Len = std::min(Len, FileSize - FileOff);
  if (!Len)
    return;
  Parts.push_back({FileOff, Len, VAddr});
  Total += Len;
}

std::vector<std::string> windowNames() {
  return std::vector<std::string>(std::begin(WindowNames),
                                  std::end(WindowNames));
}

Expected<BaseCase *> baseCase() {
  static std::unique_ptr<BaseCase> B;
  static std::string Failed;
  if (B)
    return B.get();
  if (!Failed.empty())
    return makeError("{0}", Failed);
  auto N = std::make_unique<BaseCase>();
  N->Dir = caseDir();
  auto Fail = [&](Error E) -> Expected<BaseCase *> {
    Failed = "fuzz base case " + N->Dir + ": " + errorText(std::move(E));
    return makeError("{0}", Failed);
  };
  auto Core = slurp(N->Dir + "/core.zst");
  if (!Core)
    return Fail(Core.takeError());
  auto Exe = slurp(N->Dir + "/../exe.xz");
  if (!Exe)
    return Fail(Exe.takeError());
  N->Core = std::move(*Core);
  N->Exe = std::move(*Exe);
  if (auto E = computeWindows(*N))
    return Fail(std::move(E));
  N->CoreWork = N->Core;
  N->ExeWork = N->Exe;
  B = std::move(N);
  return B.get();
}

// ---- edit scripts ------------------------------------------------------

EditSession::EditSession(BaseCase &B, const uint8_t *D, size_t N, bool ExeOnly)
    : B(B) {
  size_t I = 0;
  while (I + 7 <= N && Applied < 64) {
    size_t WI = D[I] % (ExeOnly ? NumWindows - FirstExeWindow : NumWindows);
    if (ExeOnly)
      WI += FirstExeWindow;
    uint8_t Op = D[I + 1] % 6;
    uint64_t Pos = le(D + I + 2, 4);
    uint8_t Len = D[I + 6];
    I += 7;
    size_t PayloadLen = Op <= 1 ? Len : Op >= 4 ? 5 : 0;
    if (I + PayloadLen > N)
      break;
    const uint8_t *Payload = D + I;
    I += PayloadLen;
    const Window &W = B.Windows[WI];
    if (!W.Total)
      continue;
    // Window position -> file offset (and runtime address).
    auto Locate = [](const Window &W, uint64_t Pos, uint64_t &Off,
                     uint64_t &VAddr, uint64_t &Room) {
      Pos %= W.Total;
      for (const auto &Pt : W.Parts) {
        if (Pos < Pt.Len) {
          Off = Pt.FileOff + Pos;
          VAddr = Pt.VAddr ? Pt.VAddr + Pos : 0;
          Room = Pt.Len - Pos;
          return;
        }
        Pos -= Pt.Len;
      }
    };
    uint64_t Off = 0, VAddr = 0, Room = 0;
    Locate(W, Pos, Off, VAddr, Room);
    std::vector<uint8_t> Bytes;
    switch (Op) {
    case 0: // overwrite
      Bytes.assign(Payload, Payload + PayloadLen);
      break;
    case 1: { // xor
      const auto &Buf = W.InExe ? B.ExeWork : B.CoreWork;
      for (size_t K = 0; K < PayloadLen && Off + K < Buf.size(); ++K)
        Bytes.push_back(Buf[Off + K] ^ Payload[K]);
      break;
    }
    case 2: // zeros
    case 3: // 0xff
      Bytes.assign(8 * (Len ? Len : 1), Op == 2 ? 0 : 0xff);
      break;
    case 4:   // a pointer to another window's location
    case 5: { // a copy of another window's bytes
      const Window &S = B.Windows[Payload[0] % NumWindows];
      if (!S.Total)
        continue;
      uint64_t SOff = 0, SVAddr = 0, SRoom = 0;
      Locate(S, le(Payload + 1, 4), SOff, SVAddr, SRoom);
      if (Op == 4) {
        for (int K = 0; K < 8; ++K)
          Bytes.push_back(uint8_t(SVAddr >> (8 * K)));
      } else {
        const auto &Src = S.InExe ? B.ExeWork : B.CoreWork;
        uint64_t L = std::min<uint64_t>(8 * (Len ? Len : 1), SRoom);
        Bytes.assign(Src.begin() + SOff, Src.begin() + SOff + L);
      }
      break;
    }
    }
    write(W.InExe, Off, Bytes.data(), std::min<uint64_t>(Bytes.size(), Room));
    ++Applied;
  }
}

void EditSession::write(bool InExe, uint64_t Off, const uint8_t *Src,
                        uint64_t Len) {
  auto &Buf = InExe ? B.ExeWork : B.CoreWork;
  if (Off >= Buf.size() || !Len)
    return;
  Len = std::min<uint64_t>(Len, Buf.size() - Off);
  Undo.push_back({InExe, Off, std::vector<uint8_t>(Buf.begin() + Off,
                                                   Buf.begin() + Off + Len)});
  std::memmove(Buf.data() + Off, Src, Len);
}

EditSession::~EditSession() {
  for (auto It = Undo.rbegin(); It != Undo.rend(); ++It) {
    auto &Buf = It->InExe ? B.ExeWork : B.CoreWork;
    std::memcpy(Buf.data() + It->Off, It->Bytes.data(), It->Bytes.size());
  }
}

// ---- the entry points --------------------------------------------------

int fuzzCore(const uint8_t *Data, size_t Size) {
  StringRef Bytes = asRef(Data, Size);
  std::unique_ptr<MemoryBuffer> Inflated;
  Compression Comp = InputFile::sniff(Bytes.take_front(8));
  if (Comp != Compression::None) {
    InflateLimits L;
    L.MaxBytes = 64 << 20;
    auto MB = inflate(Bytes, Comp, "fuzz.core", L);
    if (!MB) {
      consumeError(MB.takeError());
      return 0;
    }
    Inflated = std::move(*MB);
    Bytes = Inflated->getBuffer();
  }
  auto C = CoreFile::fromInput(InputFile::fromBytes(Bytes, "fuzz.core"));
  if (!C) {
    consumeError(C.takeError());
    return 0;
  }
  const CoreFile &CF = **C;
  const Arch &A = CF.arch();
  (void)A.goName();
  (void)CF.pid();
  (void)CF.ppid();
  (void)CF.command();
  (void)CF.args();
  (void)CF.signal();
  (void)CF.crashedThread();
  (void)CF.auxv(AuxvEntry);
  (void)CF.auxv(AuxvPhdr);
  (void)CF.auxvAll();
  (void)CF.fileSize();
  (void)CF.warnings().all();
  (void)exePathFromCore(CF);
  const Memory &M = CF.memory();
  size_t N = 0;
  for (const auto &T : CF.threads()) {
    if (N++ >= 64)
      break;
    for (unsigned R : A.displayRegs()) {
      (void)A.regName(R);
      if (auto V = T.Regs.get(R))
        probe(M, *V);
    }
    if (auto Slot = A.tlsGSlot(T.Regs))
      probe(M, *Slot);
    if (auto SP = T.Regs.get(A.spReg())) {
      auto U = A.regsFromUcontext(M, *SP + A.ucontextOffsetFromHandlerSP());
      drop(U);
    }
  }
  if (CF.signal().Addr)
    probe(M, CF.signal().Addr);
  N = 0;
  for (const auto &F : CF.mappedFiles()) {
    if (N++ >= 64)
      break;
    probe(M, F.Start);
  }
  N = 0;
  for (const auto &S : CF.segments()) {
    if (N++ >= 64)
      break;
    probe(M, S.VAddr);
    probe(M, S.VAddr + S.SavedSize - 8);
    (void)M.view(S.VAddr, S.MemSize);
  }
  for (const auto &R : CF.memory().regions())
    (void)R.end();
  return 0;
}

int fuzzExe(const uint8_t *Data, size_t Size) {
  StringRef Bytes = asRef(Data, Size);
  if (Bytes.startswith("\x7f" "ELF")) {
    auto X = ExeFile::fromInput(InputFile::fromBytes(Bytes, "fuzz.exe"));
    if (!X) {
      consumeError(X.takeError());
      return 0;
    }
    // libdw is not instrumented; open it only on small inputs.
    exeOnlyPipeline(std::move(*X), Size < (1 << 20));
    return 0;
  }
  // An edit script over the base case's executable.
  auto B = baseCase();
  if (!B) {
    report_fatal_error(Twine(errorText(B.takeError())));
  }
  EditSession Edits(**B, Data, Size, /*ExeOnly=*/true);
  auto X = ExeFile::fromInput(InputFile::fromBytes(
      asRef((*B)->ExeWork.data(), (*B)->ExeWork.size()), "fuzz.exe"));
  if (!X) {
    consumeError(X.takeError());
    return 0;
  }
  exeOnlyPipeline(std::move(*X), false);
  return 0;
}

int fuzzTarget(const uint8_t *Data, size_t Size) {
  auto B = baseCase();
  if (!B)
    report_fatal_error(Twine(errorText(B.takeError())));
  BaseCase &BC = **B;
  EditSession Edits(BC, Data, Size, /*ExeOnly=*/false);
  auto OpenTarget = [&](bool Force) -> Expected<std::unique_ptr<Target>> {
    auto C = CoreFile::fromInput(InputFile::fromBytes(
        asRef(BC.CoreWork.data(), BC.CoreWork.size()), "fuzz.core"));
    if (!C)
      return C.takeError();
    auto X = ExeFile::fromInput(InputFile::fromBytes(
        asRef(BC.ExeWork.data(), BC.ExeWork.size()), "fuzz.exe"));
    if (!X)
      return X.takeError();
    TargetOptions O;
    O.Force = Force;
    O.LoadLibraries = false;
    return Target::fromFiles(std::move(*C), std::move(*X), O);
  };
  auto T = OpenTarget(false);
  if (!T) {
    // A mismatch (the edits hit a build id): analyze anyway, as --force.
    std::string Why = errorText(T.takeError());
    if (Why.find("does not match") == std::string::npos)
      return 0;
    T = OpenTarget(true);
    if (!T) {
      consumeError(T.takeError());
      return 0;
    }
  }
  Budget Bud;
  Bud.CacheLayouts = true;
  Bud.Thorough = Size % 4 == 1; // the whole-table walks on a quarter of inputs
  runPipeline(**T, BC.H, Bud);
  return 0;
}

namespace {
// The base case's executable as a crash log's target (opened once).
GoProgram *logProgram() {
  static std::unique_ptr<Target> T;
  static std::unique_ptr<GoProgram> P;
  static bool Tried = false;
  if (Tried)
    return P.get();
  Tried = true;
  auto X = ExeFile::open(caseDir() + "/../exe.xz");
  if (!X)
    report_fatal_error(Twine(errorText(X.takeError())));
  auto Tg = Target::fromExecutable(std::move(*X), 0, "fuzz.log", "--exe");
  if (!Tg)
    report_fatal_error(Twine(errorText(Tg.takeError())));
  T = std::move(*Tg);
  auto Pr = GoProgram::open(*T);
  if (!Pr)
    report_fatal_error(Twine(errorText(Pr.takeError())));
  P = std::move(*Pr);
  return P.get();
}

void writeLogReport(Expected<AnalysisReport> R) {
  if (!R) {
    consumeError(R.takeError());
    return;
  }
  std::string S;
  raw_string_ostream OS(S);
  writeAnalysisText(*R, OS, TextOptions{});
  OS << formatv("{0}", toJSON(*R));
  OS << formatv("{0}", toJSON(signatureOf(*R)));
}
} // namespace

int fuzzLog(const uint8_t *Data, size_t Size) {
  auto L = parseCrashLog(asRef(Data, Size), "fuzz.log");
  if (!L) {
    consumeError(L.takeError());
    return 0;
  }
  writeLogReport(diagnoseCrashLog(*L, "fuzz.log", nullptr));
  writeLogReport(diagnoseCrashLog(*L, "fuzz.log", logProgram()));
  return 0;
}

} // namespace ms::fuzz
