#include "Pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/raw_ostream.h>

#include "goruntime/GoValue.h"
#include "goruntime/GoVersions.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Unwinder.h"
#include "diagnosis/Diagnose.h"
#include "report/Analysis.h"
#include "report/AnalysisText.h"
#include "report/Json.h"
#include "report/Stacks.h"
#include "report/Summary.h"

namespace ms::fuzz {

using namespace llvm;

namespace {

template <typename T> void drop(Expected<T> &V) {
  if (!V)
    consumeError(V.takeError());
}

// Every pclntab query an unwinder or a traceback makes about one PC.
void exercisePC(PipelineContext &C, uint64_t PC, uint64_t SP) {
  if (!C.Prog)
    return;
  const Pclntab &P = C.Prog->pclntab();
  auto F = P.findFunc(PC);
  if (!F) {
    consumeError(F.takeError());
    return;
  }
  auto SPD = P.spDelta(*F, PC);
  drop(SPD);
  auto FL = P.fileLine(*F, PC);
  drop(FL);
  auto U = P.pcData(*F, PCDATA_UnsafePoint, PC);
  drop(U);
  auto Inl = P.pcData(*F, PCDATA_InlTreeIndex, PC);
  drop(Inl);
  for (uint8_t I : {FUNCDATA_ArgsPointerMaps, FUNCDATA_InlTree,
                    FUNCDATA_ArgInfo}) {
    auto FD = P.funcData(*F, I);
    drop(FD);
  }
  auto Frames = P.expandInline(*F, PC);
  drop(Frames);
  auto Items = P.argInfo(*F, PC);
  if (Items) {
    auto Args = P.formatArgs(*Items, C.T.memory(), SP + 8);
    drop(Args);
  } else {
    consumeError(Items.takeError());
  }
  (void)P.special(*F);
  (void)P.is(*F, SpecialFunc::Goexit);
  auto Runs = P.pcValueRuns(*F, F->PcSp);
  drop(Runs);
  auto File = P.fileName(*F, 0);
  drop(File);
}

bool inText(const PipelineContext &C, uint64_t PC) {
  return C.Prog && C.Prog->module().containsPC(PC);
}

void collectWords(PipelineContext &C, uint64_t Addr, size_t N) {
  for (size_t I = 0; I < N && C.Words.size() < 16384; ++I) {
    auto W = C.T.memory().readU64(Addr + 8 * I);
    if (!W) {
      consumeError(W.takeError());
      return;
    }
    C.Words.push_back(*W);
  }
}

// ---- stages ----------------------------------------------------------

// What `mapsleuth info` does.
void stageInfo(PipelineContext &C) {
  auto BI = readBuildInfo(C.T.exe());
  if (BI) {
    C.BI = std::move(*BI);
    (void)mapImplFor(*C.BI);
    (void)C.BI->hasExperiment("noswissmap");
    if (auto E = checkSupported(C.BI->Version, C.T.exe().path()))
      consumeError(std::move(E));
  } else {
    consumeError(BI.takeError());
  }
  InfoReport R = buildInfoReport(C.T, C.BI ? &*C.BI : nullptr);
  std::string S;
  raw_string_ostream OS(S);
  OS << formatv("{0:2}", toJSON(R));
  writeText(R, OS);
}

void stageGoProgram(PipelineContext &C) {
  auto P = GoProgram::open(C.T);
  if (!P) {
    consumeError(P.takeError());
    return;
  }
  C.Prog = std::move(*P);
  std::vector<ModuleData> Chain =
      moduleChain(C.T.memory(), C.Prog->module(), C.Prog->version());
  (void)Chain;
}

// The search a stripped executable needs, also on executables with symbols.
void stageModuleDataScan(PipelineContext &C) {
  if (!C.BI)
    return;
  LocateOptions O;
  O.UseSymbols = false;
  Warnings W;
  auto L = locateFirstModuleData(C.T, C.BI->Version, O, &W);
  drop(L);
}

void stageLayouts(PipelineContext &C) {
  if (!C.BI)
    return;
  if (C.B.CacheLayouts) {
    static std::map<std::string, std::unique_ptr<RuntimeLayouts>> Cache;
    auto Name = RuntimeLayouts::tableNameFor(*C.BI);
    if (!Name) {
      consumeError(Name.takeError());
      return;
    }
    std::string Key = *Name + "/" + C.T.arch().goName().str();
    auto It = Cache.find(Key);
    if (It == Cache.end()) {
      auto L = RuntimeLayouts::fromTable(*Name, C.T.arch().goName());
      if (!L) {
        consumeError(L.takeError());
        return;
      }
      It = Cache.emplace(Key, std::move(*L)).first;
    }
    C.Layouts = It->second.get();
    return;
  }
  auto L = RuntimeLayouts::forProgram(C.T.exe(), *C.BI, nullptr);
  if (!L) {
    consumeError(L.takeError());
    return;
  }
  C.OwnedLayouts = std::move(*L);
  C.Layouts = C.OwnedLayouts.get();
}

void stageThreads(PipelineContext &C) {
  const Arch &A = C.T.arch();
  size_t N = 0;
  for (const auto &Th : C.T.core().threads()) {
    if (N++ >= C.B.MaxThreads)
      break;
    auto PC = Th.Regs.get(A.pcReg());
    auto SP = Th.Regs.get(A.spReg());
    if (PC)
      exercisePC(C, *PC, SP.value_or(0));
    if (SP) {
      collectWords(C, *SP, C.B.MaxStackWords);
      // The caller: return address at 0(SP) (amd64) or in LR (arm64).
      std::optional<uint64_t> Ret;
      if (auto LR = A.lrReg())
        Ret = Th.Regs.get(*LR);
      else if (auto W = C.T.memory().readU64(*SP))
        Ret = *W;
      else
        consumeError(W.takeError());
      if (Ret && *Ret)
        exercisePC(C, *Ret - 1, *SP + 8);
    }
    if (auto Slot = A.tlsGSlot(Th.Regs)) {
      auto G = C.T.memory().readU64(*Slot);
      if (G) {
        if (*G && C.Gs.size() < C.B.MaxGoroutines)
          C.Gs.push_back(*G);
      } else {
        consumeError(G.takeError());
      }
    }
  }
}

// What a goroutine listing reads: allgs, then each g's fields.
void stageGoroutines(PipelineContext &C) {
  if (!C.Layouts)
    return;
  const RuntimeLayouts &L = *C.Layouts;
  const Memory &M = C.T.memory();
  if (const ExeSymbol *S = C.T.exe().findSymbol("runtime.allgs")) {
    uint64_t Addr = S->Addr + C.T.loadBias();
    auto Data = M.readU64(Addr);
    auto Len = M.readU64(Addr + 8);
    if (Data && Len) {
      for (uint64_t I = 0; I < *Len && C.Gs.size() < C.B.MaxGoroutines; ++I) {
        auto G = M.readU64(*Data + 8 * I);
        if (!G) {
          consumeError(G.takeError());
          break;
        }
        C.Gs.push_back(*G);
      }
    }
    if (!Data)
      consumeError(Data.takeError());
    if (!Len)
      consumeError(Len.takeError());
  }
  std::sort(C.Gs.begin(), C.Gs.end());
  C.Gs.erase(std::unique(C.Gs.begin(), C.Gs.end()), C.Gs.end());

  auto Field = [&](uint64_t G, const char *Path) -> std::optional<uint64_t> {
    auto F = L.field("runtime.g", Path);
    if (!F) {
      consumeError(F.takeError());
      return std::nullopt;
    }
    auto V = M.readUint(G + F->Offset, F->Size && *F->Size <= 8 && *F->Size
                                           ? static_cast<unsigned>(*F->Size)
                                           : 8);
    if (!V) {
      consumeError(V.takeError());
      return std::nullopt;
    }
    return *V;
  };
  auto GSize = L.sizeOf("runtime.g");
  uint64_t GBytes = GSize ? std::min<uint64_t>(*GSize, 1024) : 0;
  if (!GSize)
    consumeError(GSize.takeError());
  for (uint64_t G : C.Gs) {
    (void)Field(G, "goid");
    if (auto St = Field(G, "atomicstatus")) {
      auto Name = L.gStatusName(*St);
      drop(Name);
    }
    if (auto W = Field(G, "waitreason")) {
      auto R = L.waitReason(*W);
      drop(R);
    }
    (void)Field(G, "m");
    (void)Field(G, "stack.lo");
    (void)Field(G, "stack.hi");
    auto PC = Field(G, "sched.pc");
    auto SP = Field(G, "sched.sp");
    if (PC && C.Prog)
      exercisePC(C, *PC, SP.value_or(0));
    if (SP)
      collectWords(C, *SP, C.B.MaxStackWords / 4);
    collectWords(C, G, GBytes / 8);
  }
}

// Return addresses among the stack words: what a scanning unwinder tries.
void stageStackWords(PipelineContext &C) {
  size_t N = 0;
  for (uint64_t W : C.Words) {
    if (!inText(C, W) || N++ >= C.B.MaxReturnAddresses)
      continue;
    exercisePC(C, W - 1, 0);
  }
}

void inspectType(PipelineContext &C, const TypeInfo &T) {
  (void)typeName(T);
  (void)composeTypeName(T);
  if (T.Map) {
    if (T.Key)
      (void)typeName(*T.Key);
    if (T.Elem)
      (void)typeName(*T.Elem);
    if (T.Map->Bucket)
      (void)typeName(*T.Map->Bucket);
  }
  (void)C;
}

// Type descriptors at addresses found in memory (interface words, map
// types on stacks), then the tables.
void stageTypes(PipelineContext &C) {
  TypeTable &TT = C.Prog->types();
  const ModuleData &MD = C.Prog->module();
  std::set<uint64_t> Seen;
  size_t N = 0;
  auto Try = [&](uint64_t A) {
    if (!Seen.insert(A).second || N++ >= C.B.MaxTypeLookups)
      return;
    auto T = TT.typeAt(A);
    if (T && *T)
      inspectType(C, **T);
    else if (!T)
      consumeError(T.takeError());
  };
  for (uint64_t A : C.H.TypeAddrs)
    Try(A);
  for (uint64_t W : C.Words)
    if (MD.containsType(W))
      Try(W);
  if (!C.B.Thorough)
    return;
  auto Maps = TT.mapTypes();
  if (Maps) {
    size_t I = 0;
    for (const TypeInfo *T : *Maps)
      if (T && I++ < 64)
        inspectType(C, *T);
  } else {
    consumeError(Maps.takeError());
  }
}

// Values: the map's header, its first buckets or groups, keys and elems
// decoded at the addresses the map header points to.
void stageValues(PipelineContext &C) {
  TypeTable &TT = C.Prog->types();
  const Memory &M = C.T.memory();
  DecodeLimits Lim;
  Lim.MaxNodes = 2000;
  size_t N = 0;
  auto Decode = [&](const TypeInfo *T, uint64_t Addr) {
    if (!T || N++ >= C.B.MaxDecodes)
      return;
    GoValue V = decodeValue(TT, *T, Addr, Lim);
    (void)V.hasErrors();
    (void)toGoSyntax(V);
    std::string S;
    raw_string_ostream OS(S);
    OS << toJSON(V);
  };
  for (uint64_t TA : C.H.TypeAddrs) {
    auto T = TT.typeAt(TA);
    if (!T) {
      consumeError(T.takeError());
      continue;
    }
    const TypeInfo *MT = *T;
    if (!MT || !MT->Map)
      continue;
    for (uint64_t MA : C.H.MapAddrs) {
      // The map value itself (a pointer to the header), then what the
      // header's words point at, as buckets/groups, keys and elems.
      auto Hdr = M.readBytes(MA, 64);
      if (!Hdr) {
        consumeError(Hdr.takeError());
        continue;
      }
      GoValue HV = decodeValueFromBytes(TT, *MT, *Hdr, Lim);
      (void)toGoSyntax(HV);
      for (size_t I = 0; I + 8 <= Hdr->size(); I += 8) {
        uint64_t W = 0;
        for (int K = 0; K < 8; ++K)
          W |= uint64_t((*Hdr)[I + K]) << (8 * K);
        if (!M.isReadable(W, 8))
          continue;
        Decode(MT->Map->Bucket, W);
        Decode(MT->Key, W);
        Decode(MT->Elem, W);
      }
      Decode(MT->Key, MA);
    }
  }
  // Interface-shaped pairs on the stacks: (type word, data word).
  size_t Pairs = 0;
  for (size_t I = 0; I + 1 < C.Words.size() && Pairs < 16; ++I) {
    if (!C.Prog->module().containsType(C.Words[I]))
      continue;
    auto T = TT.typeAt(C.Words[I]);
    if (!T) {
      consumeError(T.takeError());
      continue;
    }
    if (*T) {
      uint64_t Words[2] = {C.Words[I], C.Words[I + 1]};
      ++Pairs;
      GoValue V = decodeValueFromWords(TT, **T, Words, Lim);
      (void)toGoSyntax(V);
      Decode(*T, C.Words[I + 1]);
    }
  }
}

// What `mapsleuth analyze` and `stack --all` do: the goroutines read the
// runtime's way, every stack unwound and reported, the map fault diagnosed,
// and both writers run over the report.
void stageAnalyze(PipelineContext &C) {
  Warnings W;
  auto Set = readGoroutines(*C.Prog, W);
  if (!Set) {
    consumeError(Set.takeError());
    return;
  }
  Unwinder U(*C.Prog, *Set);
  GoroutinesReport GR = makeGoroutinesReport(*C.Prog, *Set, U, true, {});
  std::string S;
  raw_string_ostream OS(S);
  OS << toJSON(GR);
  AnalysisReport R = diagnose(*C.Prog, *Set, U);
  OS << toJSON(R);
  writeAnalysisText(R, OS);
}

} // namespace

const std::vector<Stage> &pipelineStages() {
  // One line per layer.
  static const std::vector<Stage> S = {
      {"info", stageInfo, false},
      {"goprogram", stageGoProgram, false},
      {"moduledata-scan", stageModuleDataScan, false},
      {"layouts", stageLayouts, false},
      {"threads", stageThreads, false},
      {"goroutines", stageGoroutines, false},
      {"stack-words", stageStackWords, true},
      {"types", stageTypes, true},
      {"values", stageValues, true},
      {"analyze", stageAnalyze, true},
  };
  return S;
}

void runPipeline(const Target &T, const Hints &H, Budget B) {
  PipelineContext C{T, H, B, {}, {}, {}, nullptr, {}, {}};
  // MAPSLEUTH_FUZZ_VERBOSE=1: say how far each run got (to check that the
  // seeds reach the deep stages).
  static const bool Verbose = std::getenv("MAPSLEUTH_FUZZ_VERBOSE") != nullptr;
  for (const Stage &S : pipelineStages()) {
    if (S.NeedsProgram && !C.Prog) {
      if (Verbose)
        errs() << "  stage " << S.Name << ": skipped (no Go program)\n";
      continue;
    }
    auto Start = std::chrono::steady_clock::now();
    S.Run(C);
    if (Verbose)
      errs() << "  stage " << S.Name << ": "
             << std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - Start)
                    .count()
             << " us; program " << (C.Prog ? 1 : 0)
             << " layouts " << (C.Layouts ? 1 : 0) << " gs " << C.Gs.size()
             << " words " << C.Words.size() << "\n";
  }
}

} // namespace ms::fuzz
