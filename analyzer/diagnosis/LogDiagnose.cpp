#include "diagnosis/LogDiagnose.h"
#include "diagnosis/Diagnose.h"

#include <map>

#include "goruntime/GoProgram.h"
#include "loader/Target.h"
#include "mapfault/CallSite.h"
#include "mapfault/MapFunctions.h"
#include "mapfault/Shapes.h"
#include "report/Stacks.h"

namespace ms {

namespace {

using llvm::StringRef;

// The map functions on a printed stack: from the innermost map function
// (the one that checks) out to the entry point user code called.
struct LogBlock {
  size_t Check = 0, Entry = 0;
};

std::optional<LogBlock> mapBlock(const std::vector<LogFrame> &Fs) {
  for (size_t I = 0; I < Fs.size(); ++I) {
    if (!isMapFunction(Fs[I].Function))
      continue;
    size_t E = I;
    while (E + 1 < Fs.size() && isMapFunction(Fs[E + 1].Function))
      ++E;
    // The outermost entry point of the run (helpers call each other).
    for (size_t J = E + 1; J-- > I;)
      if (auto MF = classifyMapFunction(Fs[J].Function); MF && MF->EntryPoint)
        return LogBlock{I, J};
    return LogBlock{I, E};
  }
  return std::nullopt;
}

std::string hexText(uint64_t V) {
  char B[24];
  snprintf(B, sizeof B, "0x%llx", static_cast<unsigned long long>(V));
  return B;
}

const char *const StaleWord =
    " (unverified: the slot may hold an earlier call's value; the runtime "
    "marks such words with '?' only where it records their liveness)";

// A value that can be a heap pointer: aligned and past the first page.
bool plausiblePointer(uint64_t V) { return V >= 0x1000 && V % 8 == 0; }

FrameRef refOf(const LogFrame &F) {
  return {F.Function, F.File, F.Line, F.PC.value_or(0)};
}

// The first frame from From on that is not the runtime's.
std::optional<size_t> userFrameFrom(const std::vector<LogFrame> &Fs,
                                    size_t From) {
  for (size_t I = From; I < Fs.size(); ++I)
    if (!isRuntimeFunction(Fs[I].Function) && !isThrowFunction(Fs[I].Function))
      return I;
  return std::nullopt;
}

// The physical frame of frame I: itself, or the first frame after a run of
// inlined ones (the one with a PC offset).
std::optional<size_t> physicalFrom(const std::vector<LogFrame> &Fs, size_t I) {
  for (; I < Fs.size(); ++I) {
    if (Fs[I].Offset)
      return I;
    if (!Fs[I].Inlined)
      return std::nullopt;
  }
  return std::nullopt;
}

// What the call a frame made tells, read from the executable's code: the
// callee, and the constant value (immediate, static address) of argument
// words when the caller computed them from constants.
struct CallFacts {
  std::string Callee;
  std::optional<MapFuncInfo> Info;
  std::string Caller;
};

class LogDiagnoser {
public:
  LogDiagnoser(const CrashLog &L, const std::string &Path, GoProgram *P,
               bool Force)
      : L(L), Path(Path), P(P), Force(Force) {}

  Expected<AnalysisReport> run();

private:
  // ---- the executable ----
  const Func *funcNamed(StringRef Printed);
  std::optional<uint64_t> returnPC(const LogFrame &F); // link address
  Error checkExecutable();
  void findBias();
  std::optional<CallFacts> callFrom(const LogFrame &Caller);
  std::optional<uint64_t> constantArg(const LogFrame &Caller, int Word,
                                      std::string &How);
  const TypeInfo *mapTypeAt(uint64_t Addr, std::string &Why);
  bool livenessKnown(const LogFrame &F);
  const TypeInfo *iterationType(const LogFrame &Caller, std::string &How);

  // ---- the report ----
  StackReport stackOf(const LogGoroutine &G);
  void describeFault(const LogGoroutine &G);
  void recoverMapAndKey(const LogGoroutine &G, const std::optional<LogBlock> &B);
  // The entry point's printed arguments (GOTRACEBACK=system, crash).
  struct PrintedArgs {
    const LogFrame *Entry = nullptr;
    bool Live = false; // the liveness of the printed words is known
    std::optional<LogWord> operator()(int Word) const;
  };
  void mapAddressFromLog(const PrintedArgs &Printed, const MapFuncInfo &MF,
                         MapReport &M);
  const TypeInfo *mapTypeFromLog(const LogGoroutine &G,
                                 const std::optional<LogBlock> &B,
                                 const PrintedArgs &Printed,
                                 const MapFuncInfo &MF, MapReport &M,
                                 std::vector<std::string> &TypeWhy);
  void keyFromLog(const LogGoroutine &G, const std::optional<LogBlock> &B,
                  const LogFrame *Entry, const MapFuncInfo &MF,
                  const TypeInfo *MapType);
  std::optional<KeyReport> keyFrom(const TypeInfo *MapType,
                                   const std::vector<std::optional<LogWord>> &Words,
                                   const MapFuncInfo &MF, ProvenanceReport Prov);
  void findRacers();
  void concretizeShapes(const LogGoroutine &G, const std::optional<LogBlock> &B,
                        MapReport &M);

  const CrashLog &L;
  const std::string &Path;
  GoProgram *P;
  bool Force;
  AnalysisReport R;
  std::optional<uint64_t> Bias; // runtime - link address of the executable
  std::map<std::string, std::optional<Func>> Funcs;
  // The faulting operation, as found.
  std::optional<MapFuncInfo> FaultFunc;
  std::optional<uint64_t> FaultMap;
};

const Func *LogDiagnoser::funcNamed(StringRef Printed) {
  auto [It, New] = Funcs.try_emplace(Printed.str());
  if (!New)
    return It->second ? &*It->second : nullptr;
  auto F = P->pclntab().findFuncByName(Printed);
  if (F) {
    It->second = std::move(*F);
    return &*It->second;
  }
  llvm::consumeError(F.takeError());
  // Generic functions print with their type arguments elided: the one
  // function whose printed name is this one.
  if (!Printed.contains("[...]"))
    return nullptr;
  std::optional<Func> Found;
  const int Minor = P->version().Minor;
  for (size_t I = 0; I < P->pclntab().numFuncs(); ++I) {
    auto G = P->pclntab().func(I);
    if (!G) {
      llvm::consumeError(G.takeError());
      continue;
    }
    if (funcNameForPrint(G->Name, Minor) != Printed)
      continue;
    if (Found)
      return nullptr; // several shapes: ambiguous
    Found = std::move(*G);
  }
  It->second = std::move(Found);
  return It->second ? &*It->second : nullptr;
}

std::optional<uint64_t> LogDiagnoser::returnPC(const LogFrame &F) {
  if (!P || !F.Offset)
    return std::nullopt;
  const Func *Fn = funcNamed(F.Function);
  if (!Fn || Fn->Entry + *F.Offset > Fn->End)
    return std::nullopt;
  return Fn->Entry + *F.Offset;
}

// The log's frames must be the executable's: every physical frame of the
// crashed goroutine names one of its functions, at an offset inside it,
// whose line (where nothing is inlined at it) is the printed one.
Error LogDiagnoser::checkExecutable() {
  const LogGoroutine *G = L.crashed();
  size_t Checked = 0;
  std::vector<std::string> Bad;
  for (size_t I = 0; I < G->Frames.size(); ++I) {
    const LogFrame &F = G->Frames[I];
    if (!F.Offset)
      continue;
    ++Checked;
    const Func *Fn = funcNamed(F.Function);
    if (!Fn) {
      Bad.push_back("it has no function " + F.Function);
      continue;
    }
    if (Fn->Entry + *F.Offset > Fn->End) {
      Bad.push_back(F.Function + " is shorter than +" + hexText(*F.Offset));
      continue;
    }
    if (I > 0 && G->Frames[I - 1].Inlined)
      continue;
    // The line of the call (return address - 1), or of the PC itself for
    // the frame that was running.
    bool LineOK = false;
    for (uint64_t PC : {Fn->Entry + *F.Offset - 1, Fn->Entry + *F.Offset}) {
      auto FL = P->pclntab().fileLine(*Fn, PC);
      if (!FL) {
        llvm::consumeError(FL.takeError());
        continue;
      }
      LineOK |= FL->Line == F.Line;
    }
    if (!LineOK)
      Bad.push_back(F.Function + "+" + hexText(*F.Offset) + " is not line " +
                    std::to_string(F.Line) + " there");
  }
  if (Bad.empty())
    return Error::success();
  std::string Why = "the crash log '" + Path + "' is not from this executable: " +
                    Bad.front() + " (" + std::to_string(Bad.size()) + " of " +
                    std::to_string(Checked) + " frames differ)";
  // Most frames differ: another program, or another build of it.
  if (!Force && 2 * Bad.size() >= Checked)
    return inputError(P->target().exe().path(), "{0}; use --force to analyze "
                                                "anyway",
                      StringRef(Why).drop_front(4));
  R.Warnings.push_back(Why);
  return Error::success();
}

// The load bias of a PIE: a frame printed with pc= and +offset lies at the
// function's link address plus the bias.
void LogDiagnoser::findBias() {
  if (!P->target().exe().isPIE()) {
    Bias = 0;
    return;
  }
  std::map<uint64_t, size_t> Votes;
  for (const LogGoroutine &G : L.Goroutines)
    for (const LogFrame &F : G.Frames)
      if (F.PC && F.Offset)
        if (const Func *Fn = funcNamed(F.Function))
          ++Votes[*F.PC - *F.Offset - Fn->Entry];
  if (Votes.empty())
    return;
  auto Best = std::max_element(Votes.begin(), Votes.end(),
                               [](auto &A, auto &B) { return A.second < B.second; });
  Bias = Best->first;
  if (Votes.size() > 1)
    R.Warnings.push_back("the printed PCs give " + std::to_string(Votes.size()) +
                         " load biases; using " + hexText(*Bias) + " (" +
                         std::to_string(Best->second) + " frames)");
}

std::optional<CallFacts> LogDiagnoser::callFrom(const LogFrame &Caller) {
  auto Ret = returnPC(Caller);
  if (!Ret)
    return std::nullopt;
  CallSiteAnalysis Info;
  auto E = registerAtCall(*P, *Ret, static_cast<int>(P->arch().goIntArgRegs()[0]),
                          &Info);
  if (!E) {
    llvm::consumeError(E.takeError());
    return std::nullopt;
  }
  if (!Info.Callee)
    return std::nullopt;
  auto Fn = P->pclntab().findFunc(Info.Callee);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    return std::nullopt;
  }
  CallFacts C;
  C.Callee = funcNameForPrint(Fn->Name, P->version().Minor);
  C.Info = classifyMapFunction(Fn->Name);
  C.Caller = Info.Caller;
  return C;
}

// The argument word's value when the caller's code computed it from a
// constant (an immediate or a static address), at link addresses.
std::optional<uint64_t> LogDiagnoser::constantArg(const LogFrame &Caller,
                                                  int Word, std::string &How) {
  auto Ret = returnPC(Caller);
  const auto Regs = P->arch().goIntArgRegs();
  if (!Ret || Word < 0 || static_cast<size_t>(Word) >= Regs.size())
    return std::nullopt;
  auto E = registerAtCall(*P, *Ret, static_cast<int>(Regs[Word]));
  if (!E) {
    llvm::consumeError(E.takeError());
    return std::nullopt;
  }
  // A branch target between the definition and the call: another path may
  // have set the register.
  if ((E->K != ValueExpr::Kind::Imm && E->K != ValueExpr::Kind::Address) ||
      E->Joins)
    return std::nullopt;
  How = "the call in " + Caller.Function + " at " + hexText(*Ret) +
        " passes " + E->describe();
  return E->Value;
}

const TypeInfo *LogDiagnoser::mapTypeAt(uint64_t Addr, std::string &Why) {
  auto T = P->types().typeAt(Addr);
  if (!T) {
    Why = errorText(T.takeError());
    return nullptr;
  }
  if ((*T)->K != Kind::Map) {
    Why = "the type at " + hexText(Addr) + " is " + (*T)->Name + ", not a map";
    return nullptr;
  }
  return *T;
}

// Whether the runtime knew which argument spill slots of F's function were
// live (FUNCDATA_ArgLiveInfo): then it marked the others with '?'. Without
// that record it prints every slot as if live, and a function that never
// spills an argument (Go 1.24's swiss fast paths) shows an earlier call's
// values there, unmarked.
bool LogDiagnoser::livenessKnown(const LogFrame &F) {
  if (!P)
    return false;
  const Func *Fn = funcNamed(F.Function);
  if (!Fn)
    return false;
  auto D = P->pclntab().funcData(*Fn, FUNCDATA_ArgLiveInfo);
  if (!D) {
    llvm::consumeError(D.takeError());
    return false;
  }
  return D->has_value();
}

// An iteration's map type: mapiternext takes only the iterator, but the
// loop started it with mapiterinit(type, map, it) in the same function.
// The type when every such call there passes the same constant one.
const TypeInfo *LogDiagnoser::iterationType(const LogFrame &Caller,
                                            std::string &How) {
  auto Ret = returnPC(Caller);
  if (!Ret)
    return nullptr;
  auto D = P->decodedFunction(*Ret - 1);
  if (!D) {
    llvm::consumeError(D.takeError());
    return nullptr;
  }
  const TypeInfo *Found = nullptr;
  size_t Calls = 0;
  for (const auto &In : (*D)->Insns) {
    if (In.Class != disasm::InsnClass::Call || !In.Target)
      continue;
    auto Fn = P->pclntab().findFunc(*In.Target);
    if (!Fn) {
      llvm::consumeError(Fn.takeError());
      continue;
    }
    auto MF = classifyMapFunction(Fn->Name);
    if (!MF || MF->Op != MapOp::IterInit || !MF->EntryPoint || MF->TypeWord < 0)
      continue;
    ++Calls;
    const auto Regs = P->arch().goIntArgRegs();
    auto E = registerAtCall(*P, In.next(), static_cast<int>(Regs[MF->TypeWord]));
    if (!E) {
      llvm::consumeError(E.takeError());
      return nullptr;
    }
    if (E->K != ValueExpr::Kind::Address)
      return nullptr;
    std::string Why;
    const TypeInfo *T = mapTypeAt(E->Value, Why);
    if (!T || (Found && Found != T))
      return nullptr;
    Found = T;
  }
  if (Found)
    How = "the loop's " + std::to_string(Calls) + " mapiterinit call(s) in " +
          Caller.Function + " pass this type";
  return Found;
}

StackReport LogDiagnoser::stackOf(const LogGoroutine &G) {
  StackReport S;
  for (const LogFrame &F : G.Frames) {
    FrameReport FR;
    FR.Function = F.Function;
    FR.File = F.File;
    FR.Line = F.Line;
    FR.Inlined = F.Inlined;
    FR.Runtime = isRuntimeFunction(F.Function);
    FR.How = "crash log";
    if (F.PC)
      FR.PC = *F.PC;
    else if (auto Ret = returnPC(F); Ret && Bias)
      FR.PC = *Ret + *Bias;
    FR.SP = F.SP.value_or(0);
    FR.FP = F.FP.value_or(0);
    if (P)
      if (const Func *Fn = funcNamed(F.Function); Fn && Bias)
        FR.Entry = Fn->Entry + *Bias;
    S.Frames.push_back(std::move(FR));
  }
  S.Complete = !G.FramesElided && !G.StackUnavailable && !G.Frames.empty();
  S.End = G.StackUnavailable ? "the log has no stack (running on another thread)"
          : G.FramesElided  ? "the runtime elided frames"
                            : "end of the printed stack";
  return S;
}

void LogDiagnoser::describeFault(const LogGoroutine &G) {
  FaultReport &F = R.Fault;
  F.Message = L.Message;
  F.MessageSource = "crash log";
  F.Kind = faultKindOfMessage(L.Message);
  F.Goroutine = G.Id;
  auto B = mapBlock(G.Frames);
  if (B) {
    F.Frame = refOf(G.Frames[B->Check]);
    F.EntryFunction = G.Frames[B->Entry].Function;
    FaultFunc = classifyMapFunction(G.Frames[B->Entry].Function);
  }
  size_t From = B ? B->Entry + 1 : 0;
  auto U = userFrameFrom(G.Frames, From);
  if (U)
    F.UserFrame = refOf(G.Frames[*U]);
  // The runtime hides its own frames (GOTRACEBACK=single, all): the call
  // the user's frame made names the map function.
  if (!B && U && P)
    if (auto Ph = physicalFrom(G.Frames, *U))
      if (auto C = callFrom(G.Frames[*Ph]); C && C->Info) {
        F.EntryFunction = C->Callee;
        F.Frame = FrameRef{C->Callee, "", 0, 0};
        FaultFunc = C->Info;
      }
  if (!B && F.Frame.empty())
    for (const LogFrame &Fr : G.Frames)
      if (!isThrowFunction(Fr.Function)) {
        F.Frame = refOf(Fr);
        break;
      }
  if (FaultFunc)
    F.Operation = FaultFunc->Op;
  R.MapFault = F.Kind != FaultKind::Other;
  for (const LogGoroutine &O : L.Goroutines)
    if (O.Id != G.Id && !O.Frames.empty() &&
        isThrowFunction(O.Frames.front().Function) &&
        O.Frames.front().Function != "runtime.gopanic")
      F.AlsoFaulted.push_back(O.Id);
  R.FaultingStack = stackOf(G);
  recoverMapAndKey(G, B);
}

std::optional<KeyReport>
LogDiagnoser::keyFrom(const TypeInfo *MapType,
                      const std::vector<std::optional<LogWord>> &Words,
                      const MapFuncInfo &MF, ProvenanceReport Prov) {
  if (MF.KeyWord < 0 || MF.Key == KeyPass::None)
    return std::nullopt;
  KeyReport K;
  K.Provenance = std::move(Prov);
  K.Provenance.Conf = Confidence::Low;
  const size_t N = MF.Key == KeyPass::String ? 2 : 1;
  std::vector<uint64_t> W;
  bool Uncertain = false;
  for (size_t I = 0; I < N; ++I) {
    size_t At = static_cast<size_t>(MF.KeyWord) + I;
    if (At >= Words.size() || !Words[At])
      return std::nullopt;
    W.push_back(Words[At]->Value);
    Uncertain |= Words[At]->Uncertain;
  }
  if (MapType && MapType->Key)
    K.Type = MapType->Key->Name;
  if (MF.Key == KeyPass::Pointer) {
    K.Address = W[0];
    K.Provenance.Detail += "; the key is at " + hexText(W[0]) +
                           ", memory a crash log does not hold";
    return K;
  }
  if (!MapType || !MapType->Key) {
    K.Provenance.Detail += P ? "; the map's key type is unknown"
                             : "; the key's type is unknown (no executable)";
    return K;
  }
  GoValue V = decodeValueFromWords(P->types(), *MapType->Key, W);
  if (V.hasErrors()) {
    if (MF.Key == KeyPass::String)
      K.Provenance.Detail += "; a string of " + std::to_string(W[1]) +
                             " bytes at " + hexText(W[0]) +
                             ", memory a crash log does not hold";
    else
      K.Provenance.Detail += "; " + (V.isError() ? V.ErrorText
                                                 : std::string("unreadable"));
    return K;
  }
  if (Uncertain) {
    // Not the answer: an earlier call's key, as likely as this one's.
    K.Provenance.Detail += " shows " + toGoSyntax(V) + StaleWord;
    return K;
  }
  K.GoSyntax = toGoSyntax(V);
  K.Value = V.detached();
  K.Provenance.Conf = Confidence::High;
  return K;
}

std::optional<LogWord>
LogDiagnoser::PrintedArgs::operator()(int Word) const {
  if (!Entry || Word < 0 || static_cast<size_t>(Word) >= Entry->Args.size())
    return std::nullopt;
  std::optional<LogWord> W = Entry->Args[Word];
  if (W && !Live)
    W->Uncertain = true;
  return W;
}

void LogDiagnoser::recoverMapAndKey(const LogGoroutine &G,
                                    const std::optional<LogBlock> &B) {
  if (!FaultFunc)
    return;
  const MapFuncInfo &MF = *FaultFunc;
  MapReport M;
  M.Provenance.Src = Source::None;
  const LogFrame *Entry = B ? &G.Frames[B->Entry] : nullptr;
  const PrintedArgs Printed{Entry, Entry && livenessKnown(*Entry)};
  mapAddressFromLog(Printed, MF, M);
  std::vector<std::string> TypeWhy;
  const TypeInfo *MapType =
      P ? mapTypeFromLog(G, B, Printed, MF, M, TypeWhy) : nullptr;
  if (P)
    M.Impl = P->mapImpl();
  if (MapType) {
    M.Type = MapType->Name;
    M.KeyType = MapType->Key ? MapType->Key->Name : "";
    M.ElemType = MapType->Elem ? MapType->Elem->Name : "";
    concretizeShapes(G, B, M);
  } else {
    M.Warnings.push_back(P ? "the map's type was not found" +
                                 (TypeWhy.empty() ? std::string()
                                                  : ": " + TypeWhy.front())
                           : "the map's type needs the executable");
  }
  M.Warnings.push_back("a crash log holds no memory: the map's header and "
                       "entries are not known");
  keyFromLog(G, B, Entry, MF, MapType);
  R.Map = std::move(M);
}

// The map's address: the printed argument, when it is a pointer at all.
void LogDiagnoser::mapAddressFromLog(const PrintedArgs &Printed,
                                     const MapFuncInfo &MF, MapReport &M) {
  auto MapWord = Printed(MF.MapWord);
  if (MapWord && !plausiblePointer(MapWord->Value)) {
    M.Provenance.Rejected.push_back("the printed argument " +
                                    hexText(MapWord->Value) +
                                    " is no map pointer");
    MapWord.reset();
  }
  if (auto W = MapWord) {
    M.Address = W->Value;
    M.Provenance.Src = Source::CrashLog;
    M.Provenance.Conf = W->Uncertain ? Confidence::Low : Confidence::High;
    M.Provenance.Detail = "printed argument of " + Printed.Entry->Function +
                          (W->Uncertain ? StaleWord : "");
    FaultMap = M.Address;
  } else {
    M.Provenance.Detail = "the crash log does not print " +
                          (R.Fault.EntryFunction.empty() ? std::string("the map function")
                                                     : R.Fault.EntryFunction) +
                          "'s arguments (GOTRACEBACK=system or crash does)";
  }
}

// The map's type: the printed type argument, the constant the call site
// passes (which wins over a printed slot), or the iteration's type; why
// each failed in TypeWhy.
const TypeInfo *LogDiagnoser::mapTypeFromLog(
    const LogGoroutine &G, const std::optional<LogBlock> &B,
    const PrintedArgs &Printed, const MapFuncInfo &MF, MapReport &M,
    std::vector<std::string> &TypeWhy) {
  const TypeInfo *MapType = nullptr;
  if (auto W = Printed(MF.TypeWord)) {
    if (Bias) {
      std::string Why;
      MapType = mapTypeAt(W->Value - *Bias, Why);
      if (MapType) {
        M.TypeProvenance.Src = Source::CrashLog;
        M.TypeProvenance.Conf = W->Uncertain ? Confidence::Low : Confidence::High;
        M.TypeProvenance.Detail = "printed argument of " +
                                  Printed.Entry->Function +
                                  (W->Uncertain ? StaleWord : "");
      } else {
        TypeWhy.push_back("the printed type argument " + hexText(W->Value) +
                          ": " + Why);
      }
    } else {
      TypeWhy.push_back("the printed type argument " + hexText(W->Value) +
                        " needs the load bias, which no printed pc= gives");
    }
  }
  // The call site: the map type is a static address the caller loads.
  auto U = userFrameFrom(G.Frames, B ? B->Entry + 1 : 0);
  auto Ph = U ? physicalFrom(G.Frames, *U) : std::nullopt;
  std::string How;
  if (Ph)
    if (auto A = constantArg(G.Frames[*Ph], MF.TypeWord, How)) {
      std::string Why;
      const TypeInfo *T = mapTypeAt(*A, Why);
      if (T && MapType && T != MapType) {
        // The code says which type this call passes; a printed slot
        // can be stale.
        M.TypeProvenance.Conflicts.push_back("printed argument: " + MapType->Name);
        MapType = T;
        M.TypeProvenance.Src = Source::CallsiteDataflow;
        M.TypeProvenance.Conf = Confidence::Exact;
        M.TypeProvenance.Detail = How;
        M.TypeProvenance.Agreeing.clear();
      } else if (T && MapType) {
        M.TypeProvenance.Conf = Confidence::Exact;
        M.TypeProvenance.Agreeing.push_back(Source::CallsiteDataflow);
      } else if (T) {
        MapType = T;
        M.TypeProvenance.Src = Source::CallsiteDataflow;
        M.TypeProvenance.Conf = Confidence::Exact;
        M.TypeProvenance.Detail = How;
      } else {
        TypeWhy.push_back(How + ": " + Why);
      }
    }
  if (!MapType && MF.Op == MapOp::IterNext && Ph) {
    std::string How;
    if (const TypeInfo *T = iterationType(G.Frames[*Ph], How)) {
      MapType = T;
      M.TypeProvenance.Src = Source::CallsiteDataflow;
      M.TypeProvenance.Conf = Confidence::High;
      M.TypeProvenance.Detail = How;
    }
  }
  return MapType;
}

// The key: printed, or constants at the call site; a key without a value
// is no answer, and a warning says why.
void LogDiagnoser::keyFromLog(const LogGoroutine &G,
                              const std::optional<LogBlock> &B,
                              const LogFrame *Entry, const MapFuncInfo &MF,
                              const TypeInfo *MapType) {
  if (Entry) {
    ProvenanceReport KP;
    KP.Src = Source::CrashLog;
    KP.Detail = "printed argument of " + Entry->Function;
    R.Key = keyFrom(MapType, Entry->Args, MF, KP);
  }
  if ((!R.Key || !R.Key->Value) && P && MF.Key != KeyPass::None &&
      MF.Key != KeyPass::Pointer && MapType && MapType->Key) {
    auto U = userFrameFrom(G.Frames, B ? B->Entry + 1 : 0);
    auto Ph = U ? physicalFrom(G.Frames, *U) : std::nullopt;
    std::string How;
    std::vector<std::optional<LogWord>> Ws(MF.KeyWord + 2);
    bool All = Ph.has_value();
    for (int I = 0; All && I < (MF.Key == KeyPass::String ? 2 : 1); ++I) {
      auto V = constantArg(G.Frames[*Ph], MF.KeyWord + I, How);
      if (!V)
        All = false;
      else
        Ws[MF.KeyWord + I] = LogWord{*V, false};
    }
    if (All) {
      ProvenanceReport KP;
      KP.Src = Source::CallsiteDataflow;
      KP.Detail = How;
      auto K = keyFrom(MapType, Ws, MF, KP);
      if (K && K->Value) {
        K->Provenance.Conf = Confidence::Exact;
        R.Key = std::move(K);
      }
    }
  }
  if (R.Key && !R.Key->Value) {
    R.Warnings.push_back("the key was not recovered: " + R.Key->Provenance.Detail);
    R.Key.reset();
  } else if (!R.Key && MF.Key != KeyPass::None) {
    R.Warnings.push_back(
        "the key was not recovered: it is passed in registers, and the "
        "crash log prints it only as an argument of the map function "
        "(GOTRACEBACK=system or crash), which it does not hold here");
  }
}

// A shape type (Go 1.19's generic code): the type arguments from the
// dictionary the generic function's caller passed it.
void LogDiagnoser::concretizeShapes(const LogGoroutine &G,
                                    const std::optional<LogBlock> &B,
                                    MapReport &M) {
  if (!hasShapeType(M.Type))
    return;
  auto U = userFrameFrom(G.Frames, B ? B->Entry + 1 : 0);
  if (!U || G.Frames[*U].Inlined || !G.Frames[*U].Offset)
    return;
  // The caller's physical frame: its return address is the call.
  auto C = physicalFrom(G.Frames, *U + 1);
  if (!C)
    return;
  auto Ret = returnPC(G.Frames[*C]);
  if (!Ret)
    return;
  concretizeMapShapes(*P, P->types(), *Ret, M);
}

void LogDiagnoser::findRacers() {
  const LogGoroutine *Crashed = L.crashed();
  for (const LogGoroutine &G : L.Goroutines) {
    if (&G == Crashed || G.Frames.empty())
      continue;
    auto B = mapBlock(G.Frames);
    RacerReport X;
    X.Goroutine = G.Id;
    X.Status = G.State;
    std::optional<MapFuncInfo> MF;
    const LogFrame *Entry = nullptr;
    if (B) {
      Entry = &G.Frames[B->Entry];
      X.Function = G.Frames[B->Check].Function;
      X.EntryFunction = Entry->Function;
      MF = classifyMapFunction(Entry->Function);
      X.Growing = isMapGrowthFunction(G.Frames[B->Check].Function);
      if (X.Growing)
        X.GrowthFunction = G.Frames[B->Check].Function;
    } else if (P) {
      // Hidden runtime frames: the innermost printed frame called a map
      // entry point, which has not returned.
      auto U = userFrameFrom(G.Frames, 0);
      if (!U || *U != 0)
        continue;
      auto Ph = physicalFrom(G.Frames, 0);
      if (!Ph)
        continue;
      auto C = callFrom(G.Frames[*Ph]);
      if (!C || !C->Info || !C->Info->EntryPoint)
        continue;
      X.Function = X.EntryFunction = C->Callee;
      MF = C->Info;
    } else {
      continue;
    }
    if (MF && MF->EntryPoint)
      X.Operation = MF->Op;
    auto U = userFrameFrom(G.Frames, B ? B->Entry + 1 : 0);
    if (U)
      X.UserFrame = refOf(G.Frames[*U]);
    if (Entry && MF && MF->MapWord >= 0 &&
        static_cast<size_t>(MF->MapWord) < Entry->Args.size() &&
        Entry->Args[MF->MapWord] &&
        plausiblePointer(Entry->Args[MF->MapWord]->Value)) {
      const LogWord &W = *Entry->Args[MF->MapWord];
      const bool Uncertain = W.Uncertain || !livenessKnown(*Entry);
      X.Map = W.Value;
      ProvenanceReport MP;
      MP.Src = Source::CrashLog;
      MP.Conf = Uncertain ? Confidence::Low : Confidence::High;
      MP.Detail = "printed argument of " + Entry->Function +
                  (Uncertain ? StaleWord : "");
      X.MapProvenance = MP;
      if (FaultMap)
        X.SameMap = *FaultMap == W.Value;
    }
    X.AlsoFaulted = std::find(R.Fault.AlsoFaulted.begin(),
                              R.Fault.AlsoFaulted.end(),
                              G.Id) != R.Fault.AlsoFaulted.end();
    X.Stack = stackOf(G);
    R.Racers.push_back(std::move(X));
  }
  // Same-map racers first, then by goroutine id (as for cores).
  std::stable_sort(R.Racers.begin(), R.Racers.end(),
                   [](const RacerReport &A, const RacerReport &B) {
                     bool SA = A.SameMap.value_or(false),
                          SB = B.SameMap.value_or(false);
                     if (SA != SB)
                       return SA;
                     return A.Goroutine < B.Goroutine;
                   });
}

Expected<AnalysisReport> LogDiagnoser::run() {
  R.Log = LogSummary{};
  R.Log->Path = Path;
  R.Log->Line = L.FirstLine;
  R.Log->Prefix = L.LinePrefix;
  R.Log->DockerJson = L.DockerJson;
  R.Log->Goroutines = L.Goroutines.size();
  R.Log->IgnoredLines = L.IgnoredLines;
  R.Core.Path = Path;
  if (P) {
    R.Exe = summarizeExe(P->target(), &P->buildInfo());
    R.Core.Arch = P->arch().goName().str();
    if (auto E = checkExecutable())
      return E;
    findBias();
    R.Exe.LoadBias = Bias.value_or(0);
    if (!Bias)
      R.Warnings.push_back("the executable is PIE and the log prints no pc=: "
                           "runtime addresses of its code are unknown");
  } else {
    R.Warnings.push_back("no executable: the map's type, the key's type and "
                         "the code's call sites are unknown");
  }
  if (L.LaterCrashes)
    R.Warnings.push_back("the log holds " + std::to_string(L.LaterCrashes) +
                         " more crash(es) after this one; this report is "
                         "the first map fault's");
  for (const std::string &M : L.OtherMessages)
    R.Warnings.push_back("the log also says: " + M);
  describeFault(*L.crashed());
  findRacers();
  return std::move(R);
}

} // namespace

Expected<AnalysisReport> diagnoseCrashLog(const CrashLog &L,
                                          const std::string &Path,
                                          GoProgram *P, bool Force) {
  if (!L.crashed())
    return inputError(Path, "the crash log holds no goroutine");
  LogDiagnoser D(L, Path, P, Force);
  return D.run();
}

} // namespace ms
