#include "report/Stacks.h"
#include "report/Json.h"

#include <map>

#include "goruntime/GoProgram.h"
#include "goruntime/GoVersions.h"
#include "goruntime/Goroutines.h"
#include "goruntime/Unwinder.h"
#include "loader/Target.h"
#include "support/Error.h"

namespace ms {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

bool isRuntimeFunction(llvm::StringRef Name) {
  return Name.startswith("runtime.") || Name.startswith("runtime/internal/") ||
         Name.startswith("internal/runtime/") || Name.startswith("internal/abi.") ||
         Name.startswith("internal/bytealg.") || Name.startswith("gosave") ||
         Name.startswith("_rt0_");
}

std::string funcNameForPrint(llvm::StringRef Name, int GoMinor) {
  if (Name == "runtime.gopanic")
    return "panic";
  size_t I = Name.find('[');
  size_t J = Name.rfind(']');
  if (I == llvm::StringRef::npos || J == llvm::StringRef::npos || J <= I)
    return Name.str();
  llvm::StringRef Head = Name.substr(0, I), Tail = Name.substr(J + 1);
  llvm::StringRef Interior = Name.substr(I + 1, J - I - 1);
  if (!traitsOfMinor(GoMinor).NestedGenericShortNames ||
      Interior.find('[') == llvm::StringRef::npos)
    return (Head + "[...]" + Tail).str();
  // go1.27: look for "...]___[..." at depth 0 inside the brackets.
  int Depth = 1;
  long Rbr = -1, Lbr = -1;
  for (size_t K = 0; K < Interior.size(); ++K) {
    char C = Interior[K];
    if (C == '[') {
      if (++Depth != 1)
        continue;
      Lbr = static_cast<long>(K);
      break;
    }
    if (C == ']') {
      if (--Depth < 0)
        break;
      if (Depth == 0)
        Rbr = static_cast<long>(K);
    }
  }
  if (Depth == 1) {
    if (Rbr >= 0 && Lbr > Rbr)
      return (Head + "[...]" + Interior.substr(Rbr + 1, Lbr - Rbr - 1) +
              "[...]" + Tail)
          .str();
    if (Rbr == -1 && Lbr == -1)
      return (Head + "[...]" + Tail).str();
  }
  return Name.str();
}

namespace {

SourceLoc locate(const GoProgram &P, uint64_t PC, bool ReturnAddress) {
  SourceLoc L;
  if (!PC)
    return L;
  auto F = P.pclntab().findFunc(PC);
  if (!F) {
    llvm::consumeError(F.takeError());
    return L;
  }
  // printcreatedby: the position of the call instruction before gopc.
  uint64_t Sym = (ReturnAddress && PC > F->Entry) ? PC - 1 : PC;
  auto Src = P.pclntab().expandInline(*F, Sym);
  if (Src && !Src->empty()) {
    // The runtime names the outermost inlined function for "created by".
    L.Function = funcNameForPrint(Src->back().Function, P.version().Minor);
    L.File = Src->front().File;
    L.Line = Src->front().Line;
    return L;
  }
  if (!Src)
    llvm::consumeError(Src.takeError());
  L.Function = funcNameForPrint(F->Name, P.version().Minor);
  auto FL = P.pclntab().fileLine(*F, Sym);
  if (FL) {
    L.File = FL->File;
    L.Line = FL->Line;
  } else {
    llvm::consumeError(FL.takeError());
  }
  return L;
}

// The first Go frame outside the runtime, named as makeStackReport names it.
SourceLoc userFrame(const GoProgram &P, const Stack &S) {
  for (const auto &F : S.Frames)
    if (F.Go && !isRuntimeFunction(F.Function))
      return {funcNameForPrint(F.Function, P.version().Minor), F.File, F.Line};
  return {};
}

} // namespace

StackReport makeStackReport(const GoProgram &P, const Stack &S) {
  StackReport R;
  const Arch &A = P.arch();
  for (const auto &F : S.Frames) {
    FrameReport FR;
    FR.Function = funcNameForPrint(F.Function, P.version().Minor);
    FR.Runtime = F.Go && isRuntimeFunction(F.Function);
    FR.File = F.File;
    FR.Line = F.Line;
    FR.PC = F.PC;
    FR.SP = F.SP;
    FR.FP = F.FP;
    FR.Entry = F.Entry;
    FR.Inlined = F.Inlined;
    FR.Go = F.Go;
    FR.Exact = F.Exact;
    FR.SystemStack = F.SystemStack;
    FR.How = frameHowName(F.How).str();
    FR.Note = F.Note;
    if (F.Regs)
      for (unsigned Reg : A.displayRegs())
        if (auto V = F.Regs->get(Reg))
          FR.Registers.push_back({A.regName(Reg), *V});
    R.Frames.push_back(std::move(FR));
  }
  // Everything up to the throw machinery is hidden by the runtime's own
  // traceback, which starts at the caller of fatalthrow/fatalpanic.
  for (size_t I = S.Frames.size(); I-- > 0;) {
    llvm::StringRef N = S.Frames[I].Function;
    if (N == "runtime.fatalthrow" || N == "runtime.fatalpanic") {
      for (size_t J = 0; J <= I; ++J)
        R.Frames[J].RuntimeHidden = true;
      break;
    }
  }
  R.End = S.End;
  R.Complete = S.Complete;
  R.Warnings = S.Warnings;
  return R;
}

GoroutinesReport makeGoroutinesReport(const GoProgram &P,
                                      const GoroutineSet &GS,
                                      const Unwinder &U, bool WithStacks,
                                      const std::vector<int64_t> &Only) {
  GoroutinesReport R;
  R.Core = summarizeCore(P.target());
  R.Exe = summarizeExe(P.target(), &P.buildInfo());
  R.Layouts = P.layouts().source();
  R.AllgsHow = GS.AllgsHow;
  if (const GoroutineInfo *F = GS.faulting())
    R.Faulting = F->Goid;
  // Thousands of goroutines often share a few go statements and start
  // functions: locate each (pc, kind) once.
  std::map<std::pair<uint64_t, bool>, SourceLoc> Located;
  auto Locate = [&](uint64_t PC, bool ReturnAddress) {
    auto It = Located.find({PC, ReturnAddress});
    if (It == Located.end())
      It = Located.emplace(std::make_pair(PC, ReturnAddress),
                           locate(P, PC, ReturnAddress))
               .first;
    return It->second;
  };
  for (const auto &G : GS.Goroutines) {
    if (G.Dead())
      continue;
    if (!Only.empty() &&
        std::find(Only.begin(), Only.end(), G.Goid) == Only.end())
      continue;
    GoroutineReport GR;
    GR.Goid = G.Goid;
    GR.G = G.G;
    GR.Status = G.Status;
    GR.StatusConst = G.StatusConst;
    GR.WaitReason = G.WaitReason;
    GR.Thread = G.Tid;
    GR.M = G.MId;
    GR.System = G.System;
    GR.CreatedBy = Locate(G.GoPC, true);
    GR.ParentGoid = G.ParentGoid;
    GR.StartFunc = Locate(G.StartPC, false);
    // The user frame needs the stack; unwinding is cheap enough to do it
    // for the listing too, but the listing needs no report of each frame.
    Stack St = U.unwindGoroutine(G);
    GR.UserFrame = userFrame(P, St);
    if (WithStacks)
      GR.Stack = makeStackReport(P, St);
    R.Goroutines.push_back(std::move(GR));
  }
  for (const auto &T : GS.Threads) {
    ThreadReport TR;
    TR.Tid = T.Tid;
    TR.Crashed = T.Crashed;
    if (T.M)
      TR.M = GS.Ms[*T.M].Id;
    if (const GoroutineInfo *G = GS.byG(T.CurG))
      TR.Goroutine = G->Goid;
    TR.What = T.What;
    TR.PC = T.Regs.get(P.arch().pcReg()).value_or(0);
    TR.SP = T.Regs.get(P.arch().spReg()).value_or(0);
    if (WithStacks && !TR.Goroutine)
      TR.Stack = makeStackReport(P, U.unwindThread(T));
    R.Threads.push_back(std::move(TR));
  }
  R.Warnings = P.target().warnings().all();
  for (const auto &W : P.warnings())
    R.Warnings.push_back(W);
  return R;
}

namespace {
Value loc(const SourceLoc &L) {
  if (L.empty())
    return nullptr;
  return Object{{"function", jsonText(L.Function)},
                {"file", jsonText(L.File)},
                {"line", L.Line}};
}
template <typename T> Value opt(const std::optional<T> &V) {
  return V ? Value(*V) : Value(nullptr);
}
} // namespace

Value toJSON(const FrameReport &F) {
  Object O{{"function", jsonText(F.Function)},
           {"file", jsonText(F.File)},
           {"line", F.Line},
           {"pc", hex(F.PC)},
           {"sp", hex(F.SP)},
           {"fp", F.FP ? Value(hex(F.FP)) : Value(nullptr)},
           {"inlined", F.Inlined},
           {"go", F.Go},
           {"exact_pc", F.Exact},
           {"system_stack", F.SystemStack},
           {"runtime_hidden", F.RuntimeHidden},
           {"how", F.How}};
  if (F.Entry && F.PC >= F.Entry)
    O["offset"] = hex(F.PC - F.Entry);
  if (!F.Note.empty())
    O["note"] = jsonText(F.Note);
  if (!F.Registers.empty()) {
    Object Regs;
    for (const auto &[N, V] : F.Registers)
      Regs[N] = hex(V);
    O["registers"] = std::move(Regs);
  }
  return O;
}

Value toJSON(const StackReport &S) {
  Array Frames;
  for (const auto &F : S.Frames)
    Frames.push_back(toJSON(F));
  return Object{{"frames", std::move(Frames)},
                {"end", jsonText(S.End)},
                {"complete", S.Complete},
                {"warnings", jsonTexts(S.Warnings)}};
}

Value toJSON(const GoroutineReport &G) {
  Object O{{"goroutine", G.Goid},
           {"g", hex(G.G)},
           {"status", G.Status},
           {"status_const", G.StatusConst},
           {"wait_reason", G.WaitReason.empty() ? Value(nullptr)
                                                : Value(jsonText(G.WaitReason))},
           {"thread", opt(G.Thread)},
           {"m", opt(G.M)},
           {"system", G.System},
           {"created_by", loc(G.CreatedBy)},
           {"parent_goroutine", opt(G.ParentGoid)},
           {"start", loc(G.StartFunc)},
           {"user_frame", loc(G.UserFrame)}};
  if (G.Stack)
    O["stack"] = toJSON(*G.Stack);
  return O;
}

namespace {
// Every member of the goroutines document except "goroutines".
Object topLevelWithoutGoroutines(const GoroutinesReport &R) {
  Array Ts;
  for (const auto &T : R.Threads) {
    Object O{{"tid", T.Tid},
             {"crashed", T.Crashed},
             {"m", opt(T.M)},
             {"goroutine", opt(T.Goroutine)},
             {"what", jsonText(T.What)},
             {"pc", hex(T.PC)},
             {"sp", hex(T.SP)}};
    if (T.Stack)
      O["stack"] = toJSON(*T.Stack);
    Ts.push_back(std::move(O));
  }
  return Object{{"schema", "mapsleuth.goroutines/1"},
                {"core", toJSON(R.Core)},
                {"executable", toJSON(R.Exe)},
                {"layouts", jsonText(R.Layouts)},
                {"allgs_found_by", jsonText(R.AllgsHow)},
                {"faulting_goroutine", opt(R.Faulting)},
                {"threads", std::move(Ts)},
                {"warnings", jsonTexts(R.Warnings)}};
}
} // namespace

Value toJSON(const GoroutinesReport &R) {
  Object O = topLevelWithoutGoroutines(R);
  Array Gs;
  for (const auto &G : R.Goroutines)
    Gs.push_back(toJSON(G));
  O["goroutines"] = std::move(Gs);
  return O;
}

void writeJSON(const GoroutinesReport &R, llvm::raw_ostream &OS,
               unsigned Indent) {
  // json::OStream writes an Object's members sorted by key; do the same
  // for the top level, with "goroutines" streamed in its place.
  Object Top = topLevelWithoutGoroutines(R);
  std::vector<std::string> Keys;
  for (const auto &KV : Top)
    Keys.push_back(KV.first.str());
  Keys.push_back("goroutines");
  llvm::sort(Keys);
  llvm::json::OStream J(OS, Indent);
  J.object([&] {
    for (const std::string &K : Keys) {
      if (K == "goroutines")
        J.attributeArray(K, [&] {
          for (const auto &G : R.Goroutines)
            J.value(toJSON(G));
        });
      else
        J.attribute(K, *Top.get(K));
    }
  });
}

namespace {
std::string where(const SourceLoc &L) {
  if (L.empty())
    return "?";
  return L.Function + " " + L.File + ":" + std::to_string(L.Line);
}
} // namespace

void writeGoroutinesText(const GoroutinesReport &R, llvm::raw_ostream &OS) {
  OS << R.Goroutines.size() << " goroutines";
  if (R.Faulting)
    OS << "; goroutine " << *R.Faulting << " was running on the thread that "
       << "took the signal";
  OS << "\n";
  for (const auto &G : R.Goroutines) {
    OS << (R.Faulting && *R.Faulting == G.Goid ? "* " : "  ");
    OS << llvm::formatv("{0,6} {1,-22} ", G.Goid, "[" + G.Status + "]");
    OS << (G.Thread ? llvm::formatv("thread {0,-8}", *G.Thread).str()
                    : std::string(15, ' '));
    OS << (G.UserFrame.empty() ? where(G.StartFunc) : where(G.UserFrame));
    if (G.System)
      OS << "  (runtime)";
    OS << "\n";
  }
  OS << "threads\n";
  for (const auto &T : R.Threads) {
    OS << llvm::formatv("  {0,-8} {1}", T.Tid, T.What);
    if (T.M)
      OS << ", m" << *T.M;
    if (T.Goroutine)
      OS << ", goroutine " << *T.Goroutine;
    if (T.Crashed)
      OS << "  <- took the signal";
    OS << "\n";
  }
  for (const auto &W : R.Warnings)
    OS << "warning: " << W << "\n";
}

void writeStackText(const StackReport &S, llvm::raw_ostream &OS,
                    const std::string &Indent) {
  for (const auto &F : S.Frames) {
    OS << Indent << F.Function;
    if (F.Inlined)
      OS << " (inlined)";
    OS << "\n" << Indent << "    " << (F.File.empty() ? "?" : F.File) << ":"
       << F.Line;
    if (!F.Inlined) {
      OS << "  pc=" << hex(F.PC);
      if (F.Entry && F.PC >= F.Entry)
        OS << " (+" << hex(F.PC - F.Entry) << ")";
      OS << " sp=" << hex(F.SP) << " [" << F.How
         << (F.SystemStack ? ", system stack" : "") << "]";
    }
    OS << "\n";
    if (!F.Note.empty())
      OS << Indent << "    -- " << F.Note << "\n";
  }
  OS << Indent << "(" << (S.Complete ? "end of stack: " : "unwinding stopped: ")
     << S.End << ")\n";
  for (const auto &W : S.Warnings)
    OS << Indent << "warning: " << W << "\n";
}

void writeStacksText(const GoroutinesReport &R, llvm::raw_ostream &OS) {
  bool First = true;
  for (const auto &G : R.Goroutines) {
    if (!First)
      OS << "\n";
    First = false;
    OS << "goroutine " << G.Goid << " [" << G.Status << "]";
    if (G.Thread)
      OS << " on thread " << *G.Thread;
    if (R.Faulting && *R.Faulting == G.Goid)
      OS << " (took the fatal signal)";
    OS << ":\n";
    if (G.Stack)
      writeStackText(*G.Stack, OS);
    if (!G.CreatedBy.empty()) {
      OS << "  created by " << G.CreatedBy.Function;
      if (G.ParentGoid)
        OS << " in goroutine " << *G.ParentGoid;
      OS << "\n      " << G.CreatedBy.File << ":" << G.CreatedBy.Line << "\n";
    }
  }
  for (const auto &T : R.Threads)
    if (T.Stack) {
      OS << "\nthread " << T.Tid << " (" << T.What << "):\n";
      writeStackText(*T.Stack, OS);
    }
  for (const auto &W : R.Warnings)
    OS << "warning: " << W << "\n";
}

} // namespace ms
