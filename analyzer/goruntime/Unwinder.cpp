#include "goruntime/Unwinder.h"

#include <set>

#include "goruntime/GoProgram.h"
#include "goruntime/GoVersions.h"
#include "loader/Target.h"
#include "support/ByteReader.h"

namespace ms {

llvm::StringRef frameHowName(FrameHow H) {
  switch (H) {
  case FrameHow::Registers: return "registers";
  case FrameHow::Sched: return "g.sched";
  case FrameHow::Syscall: return "g.syscallsp";
  case FrameHow::Pclntab: return "pclntab";
  case FrameHow::SignalContext: return "signal context";
  case FrameHow::StackSwitch: return "stack switch";
  case FrameHow::AsyncPreempt: return "asyncPreempt";
  case FrameHow::Cfi: return "cfi";
  case FrameHow::FramePointer: return "frame pointer";
  }
  return "?";
}

namespace {

// The ELF symbol containing Addr (link-time), for naming non-Go code.
std::string symbolFor(const ExeFile &X, uint64_t Addr, uint64_t &Entry) {
  const ExeSymbol *Best = nullptr;
  for (const auto &S : X.symbols()) {
    if (S.Type != 2 /*STT_FUNC*/ || Addr < S.Addr)
      continue;
    if (S.Size ? Addr < S.Addr + S.Size : true)
      if (!Best || S.Addr > Best->Addr)
        Best = &S;
  }
  if (!Best)
    return {};
  Entry = Best->Addr;
  return Best->Name.str();
}

} // namespace

uint64_t Unwinder::stackOwner(uint64_t SP, const MInfo *M, uint64_t UserG,
                              bool &System) const {
  System = false;
  if (M) {
    if (SP >= M->G0StackLo && SP < M->G0StackHi) {
      System = true;
      return M->G0;
    }
    if (SP >= M->GSignalStackLo && SP < M->GSignalStackHi) {
      System = true;
      return M->GSignal;
    }
  }
  if (const GoroutineInfo *G = S.byG(UserG); G && G->containsSP(SP))
    return G->G;
  for (const auto &MI : S.Ms) {
    if (SP >= MI.G0StackLo && SP < MI.G0StackHi) {
      System = true;
      return MI.G0;
    }
    if (SP >= MI.GSignalStackLo && SP < MI.GSignalStackHi) {
      System = true;
      return MI.GSignal;
    }
  }
  for (const auto &G : S.Goroutines)
    if (!G.Dead() && G.containsSP(SP))
      return G.G;
  return 0;
}

Stack Unwinder::unwindThread(const ThreadInfo &T) const {
  const Arch &A = P.arch();
  Cursor C;
  C.PC = T.Regs.get(A.pcReg()).value_or(0);
  C.SP = T.Regs.get(A.spReg()).value_or(0);
  if (auto LR = A.lrReg())
    C.LR = T.Regs.get(*LR).value_or(0);
  C.Regs = T.Regs;
  C.FullRegs = true;
  C.Exact = true;
  C.Innermost = true;
  C.How = FrameHow::Registers;
  const MInfo *M = T.M ? &S.Ms[*T.M] : nullptr;
  return walk(C, M, T.CurG);
}

Stack Unwinder::unwindGoroutine(const GoroutineInfo &G) const {
  if (const ThreadInfo *T = S.threadOf(G))
    return unwindThread(*T);
  Cursor C;
  C.Innermost = true;
  if (G.SyscallSP) {
    C.PC = G.SyscallPC;
    C.SP = G.SyscallSP;
    C.How = FrameHow::Syscall;
  } else {
    C.PC = G.Sched.PC;
    C.SP = G.Sched.SP;
    C.LR = G.Sched.LR;
    C.How = FrameHow::Sched;
  }
  RegisterSet Regs;
  Regs.set(P.arch().fpReg(), G.Sched.BP);
  Regs.set(P.arch().spReg(), C.SP);
  C.Regs = Regs;
  if (C.PC == 0 && C.SP) {
    // As the runtime does: the PC is at the top of the stack.
    auto PC = P.memory().readU64(C.SP);
    if (PC) {
      C.PC = *PC;
      if (P.arch().callPushesReturnAddress())
        C.SP += 8;
    } else {
      // The walk then ends at once ("pc is 0"), without the address that
      // could not be read.
      llvm::consumeError(PC.takeError());
    }
  }
  return walk(C, nullptr, G.G);
}

bool Unwinder::possibleFramePCs(const GoroutineInfo &G,
                                llvm::function_ref<void(uint64_t)> Each) const {
  if (S.threadOf(G) || G.SyscallSP || G.M)
    return false;
  if (G.StatusConst != "_Gwaiting" && G.StatusConst != "_Grunnable" &&
      G.StatusConst != "_Gpreempted")
    return false;
  const uint64_t SP = G.Sched.SP, Hi = G.StackHi;
  if (SP < G.StackLo || SP >= Hi || Hi - SP > MaxScanBytes)
    return false;
  const unsigned Word = P.arch().pointerSize();
  std::vector<uint8_t> Copy;
  llvm::ArrayRef<uint8_t> Bytes = P.memory().view(SP, Hi - SP);
  if (Bytes.size() != Hi - SP) {
    auto Read = P.memory().readBytes(SP, Hi - SP);
    if (!Read) {
      llvm::consumeError(Read.takeError()); // the unwind says what is wrong
      return false;
    }
    Copy = std::move(*Read);
    Bytes = Copy;
  }
  const Pclntab &Table = P.pclntab();
  auto Code = [&](uint64_t PC) {
    if (PC && Table.findFuncIndex(PC))
      Each(PC);
  };
  Code(G.Sched.PC);
  Code(G.Sched.LR);
  const ByteReader Stack(Bytes);
  for (uint64_t Off = 0; Off + Word <= Bytes.size(); Off += Word)
    if (auto V = Stack.uint(Off, Word))
      Code(*V);
  return true;
}

void Unwinder::functionsAt(uint64_t PC,
                           llvm::function_ref<void(llvm::StringRef)> Each) const {
  for (bool Exact : {false, true}) {
    const PCSym &Sym = symbolize(PC, Exact);
    if (!Sym.Go)
      continue;
    Each(Sym.F.Name);
    for (const SourceFrame &F : Sym.Src)
      Each(F.Function);
  }
}

const Unwinder::PCSym &Unwinder::symbolize(uint64_t PC, bool Exact) const {
  std::lock_guard<std::mutex> Lock(SymMu);
  const uint64_t Key = (PC << 1) | (Exact ? 1 : 0);
  auto It = SymCache.find(Key);
  if (It != SymCache.end())
    return It->second;
  const Pclntab &Table = P.pclntab();
  PCSym Sym;
  auto Found = probe(Table.findFunc(PC));
  if (!Found) // not Go code
    return SymCache.emplace(Key, std::move(Sym)).first->second;
  Sym.Go = true;
  Sym.F = std::move(*Found);
  Sym.Special = Table.special(Sym.F);
  Sym.SymPC = (Exact || PC == Sym.F.Entry) ? PC : PC - 1;
  auto Src = Table.expandInline(Sym.F, Sym.SymPC);
  if (Src) {
    Sym.Src = std::move(*Src);
  } else {
    Sym.SrcWarning = "inline expansion at " + hex(Sym.SymPC) + ": " +
                     errorText(Src.takeError());
    SourceFrame One;
    One.Function = Sym.F.Name;
    // Without a position when the line table fails too (the warning above
    // says why the frame is not expanded).
    if (auto Pos = probe(Table.fileLine(Sym.F, Sym.SymPC))) {
      One.File = Pos->File;
      One.Line = Pos->Line;
    }
    Sym.Src = {One};
  }
  auto Delta = Table.spDelta(Sym.F, PC);
  if (Delta)
    Sym.SpDelta = *Delta;
  else
    Sym.SpDeltaError = errorText(Delta.takeError());
  return SymCache.emplace(Key, std::move(Sym)).first->second;
}

struct Unwinder::Walk {
  const MInfo *M = nullptr; // the thread's M, when unwinding a thread
  uint64_t UserG = 0;       // the goroutine whose stack is wanted
  const GoroutineInfo *CurG = nullptr; // M's current goroutine
  Stack St;
  // The SP of the frame unwound before this one: a Go frame's caller must
  // lie above it (0: not checked).
  uint64_t CalleeSP = 0;
  // The frame being unwound.
  Cursor C;
  const PCSym *Sym = nullptr;
  uint64_t Owner = 0;  // the g whose stack holds it
  bool System = false; // on g0 or gsignal
  size_t First = 0;    // its first entry in St.Frames (inlined calls first)

  StackFrame &physical() { return St.Frames.back(); }
  // On the system stack of the thread that runs CurG: the runtime's stack
  // switches lead back to that goroutine, as its traceback does
  // (unwinder.resolveInternal).
  bool onCurGSystemStack() const {
    return System && CurG && CurG->M == (M ? M->M : 0);
  }
  // Sets FP (the caller's SP) of this frame's entries.
  void setFP(uint64_t FP) {
    for (size_t I = First; I < St.Frames.size(); ++I)
      St.Frames[I].FP = FP;
  }
};

Stack Unwinder::walk(Cursor C, const MInfo *M, uint64_t UserG) const {
  Walk W;
  W.M = M;
  W.UserG = UserG;
  W.CurG = M ? S.byG(M->CurG) : nullptr;
  W.C = std::move(C);
  std::set<std::pair<uint64_t, uint64_t>> Seen;
  for (size_t N = 0; N < MaxFrames; ++N) {
    if (!Seen.insert({W.C.PC, W.C.SP}).second) {
      W.St.End =
          "unwinding is stuck at pc " + hex(W.C.PC) + " sp " + hex(W.C.SP);
      return std::move(W.St);
    }
    W.Owner = stackOwner(W.C.SP, M, UserG, W.System);
    W.Sym = &symbolize(W.C.PC, W.C.Exact);
    Step Next = W.Sym->Go ? stepGo(W) : stepNonGo(W);
    if (!Next.Caller) {
      W.St.End = std::move(Next.End);
      W.St.Complete = Next.Complete;
      return std::move(W.St);
    }
    W.CalleeSP = Next.FrameSP;
    W.C = std::move(*Next.Caller);
  }
  W.St.End = "stopped after " + std::to_string(MaxFrames) + " frames";
  return std::move(W.St);
}

// ---- non-Go code: named from the ELF symbols, CFI, then frame pointers ----

Unwinder::Step Unwinder::stepNonGo(Walk &W) const {
  pushNonGoFrame(W);
  if (W.C.PC == 0)
    return Step::end("pc is 0");
  if (auto Next = callerByCfi(W))
    return std::move(*Next);
  if (auto Next = callerByFramePointer(W))
    return std::move(*Next);
  return Step::end("cannot unwind past non-Go code at " + hex(W.C.PC));
}

void Unwinder::pushNonGoFrame(Walk &W) const {
  const Target &Tgt = P.target();
  const Cursor &C = W.C;
  StackFrame Frame;
  Frame.PC = C.PC;
  Frame.SP = C.SP;
  Frame.SymPC = C.Exact ? C.PC : C.PC - 1;
  Frame.Go = false;
  Frame.Exact = C.Exact;
  Frame.How = C.How;
  Frame.StackOf = W.Owner;
  Frame.SystemStack = W.System;
  if (C.FullRegs)
    Frame.Regs = C.Regs;
  Frame.Note = C.Note;
  uint64_t Bias = Tgt.loadBias(), Entry = 0;
  Frame.Function = symbolFor(Tgt.exe(), Frame.SymPC - Bias, Entry);
  if (Frame.Function.empty()) {
    for (const auto &MF : Tgt.mappedFiles())
      if (C.PC >= MF.Start && C.PC < MF.End) {
        Frame.Function = "?? (" + MF.Path + "+" +
                         hex(C.PC - MF.Start + MF.FileOffset) + ")";
        break;
      }
    if (Frame.Function.empty())
      Frame.Function = "??";
  } else {
    Frame.Entry = Entry + Bias;
  }
  W.First = W.St.Frames.size();
  W.St.Frames.push_back(std::move(Frame));
}

std::optional<Unwinder::Step> Unwinder::callerByCfi(Walk &W) const {
  const Arch &A = P.arch();
  const Cursor &C = W.C;
  if (!P.dwarf() || !P.dwarf()->hasCfi() || !C.Regs)
    return std::nullopt;
  const uint64_t Bias = P.target().loadBias();
  RegisterSet Regs = *C.Regs;
  Regs.set(A.pcReg(), C.PC - Bias);
  auto Frame =
      probe(P.dwarf()->unwind(W.physical().SymPC - Bias, Regs, P.memory()));
  if (!Frame)
    return std::nullopt; // no CFI covers this PC
  Cursor Caller;
  Caller.PC = Frame->ReturnAddress + (Frame->ReturnAddress ? Bias : 0);
  Caller.SP = Frame->CFA;
  Caller.Regs = Frame->Caller;
  Caller.Regs->set(A.pcReg(), Caller.PC);
  Caller.How = FrameHow::Cfi;
  W.physical().FP = Frame->CFA;
  return Step::to(std::move(Caller), C.SP);
}

std::optional<Unwinder::Step> Unwinder::callerByFramePointer(Walk &W) const {
  const Arch &A = P.arch();
  const Memory &Mem = P.memory();
  const Cursor &C = W.C;
  if (!C.Regs || !C.Regs->has(A.fpReg()) || !A.callPushesReturnAddress())
    return std::nullopt;
  const uint64_t BP = *C.Regs->get(A.fpReg());
  if (BP < C.SP || BP - C.SP >= (1u << 24))
    return std::nullopt; // not a frame pointer into this stack
  auto SavedBP = probe(Mem.readU64(BP));
  auto ReturnAddress = probe(Mem.readU64(BP + 8));
  if (!SavedBP || !ReturnAddress)
    return std::nullopt;
  Cursor Caller;
  Caller.PC = *ReturnAddress;
  Caller.SP = BP + 16;
  RegisterSet Regs;
  Regs.set(A.fpReg(), *SavedBP);
  Regs.set(A.spReg(), Caller.SP);
  Caller.Regs = Regs;
  Caller.How = FrameHow::FramePointer;
  W.physical().FP = Caller.SP;
  return Step::to(std::move(Caller), C.SP);
}

// ---- Go code: the runtime's special frames, then the pclntab -------------

Unwinder::Step Unwinder::stepGo(Walk &W) const {
  pushGoFrames(W);
  if (auto Next = callerBySignalContext(W))
    return std::move(*Next);
  if (auto Next = callerByStackSwitch(W))
    return std::move(*Next);
  return callerByPclntab(W);
}

// The frame's source frames, inlined calls first; the last one is the
// physical frame.
void Unwinder::pushGoFrames(Walk &W) const {
  const Cursor &C = W.C;
  const PCSym &Sym = *W.Sym;
  W.First = W.St.Frames.size();
  if (!Sym.SrcWarning.empty())
    W.St.Warnings.push_back(Sym.SrcWarning);
  for (const SourceFrame &Src : Sym.Src) {
    StackFrame Frame;
    Frame.PC = C.PC;
    Frame.SP = C.SP;
    Frame.SymPC = Sym.SymPC;
    Frame.Function = Src.Function;
    Frame.Entry = Sym.F.Entry;
    Frame.File = Src.File;
    Frame.Line = Src.Line;
    Frame.Inlined = Src.Inlined;
    Frame.Exact = C.Exact;
    Frame.How = C.How;
    Frame.StackOf = W.Owner;
    Frame.SystemStack = W.System;
    W.St.Frames.push_back(std::move(Frame));
  }
  StackFrame &Physical = W.physical();
  if (C.FullRegs)
    Physical.Regs = C.Regs;
  Physical.Note = C.Note;
}

// A signal handler's frame: continue with the interrupted registers.
std::optional<Unwinder::Step>
Unwinder::callerBySignalContext(Walk &W) const {
  if (W.Sym->Special != SpecialFunc::Sigtramp)
    return std::nullopt;
  const Arch &A = P.arch();
  const std::optional<int32_t> &Delta = W.Sym->SpDelta;
  if (!Delta)
    return Step::end("signal frame: " + W.Sym->SpDeltaError);
  uint64_t EntrySP = W.C.SP + static_cast<uint64_t>(*Delta);
  uint64_t Ucontext = EntrySP + A.ucontextOffsetFromHandlerSP();
  auto Regs = A.regsFromUcontext(P.memory(), Ucontext);
  if (!Regs)
    return Step::end("signal frame: " + errorText(Regs.takeError()));
  W.setFP(EntrySP);
  W.physical().Note =
      "signal handler; interrupted context saved at " + hex(Ucontext);
  Cursor Caller;
  Caller.PC = Regs->get(A.pcReg()).value_or(0);
  Caller.SP = Regs->get(A.spReg()).value_or(0);
  if (auto LR = A.lrReg())
    Caller.LR = Regs->get(*LR).value_or(0);
  Caller.Regs = *Regs;
  Caller.FullRegs = true;
  Caller.Exact = true;
  Caller.Innermost = true;
  Caller.How = FrameHow::SignalContext;
  Caller.Note = "interrupted by a signal";
  // The interrupted code may be on another stack.
  return Step::to(std::move(Caller), 0);
}

// morestack and asmcgocall: the caller is where the goroutine stopped.
std::optional<Unwinder::Step> Unwinder::callerByStackSwitch(Walk &W) const {
  const SpecialFunc Special = W.Sym->Special;
  if ((Special != SpecialFunc::Morestack &&
       Special != SpecialFunc::Asmcgocall) ||
      !W.onCurGSystemStack())
    return std::nullopt;
  const GoroutineInfo &G = *W.CurG;
  Cursor Caller;
  if (Special == SpecialFunc::Asmcgocall && G.SyscallSP) {
    Caller.PC = G.SyscallPC;
    Caller.SP = G.SyscallSP;
  } else {
    Caller.PC = G.Sched.PC;
    Caller.SP = G.Sched.SP;
    Caller.LR = G.Sched.LR;
  }
  RegisterSet Regs;
  Regs.set(P.arch().fpReg(), G.Sched.BP);
  Caller.Regs = Regs;
  Caller.How = FrameHow::StackSwitch;
  Caller.Note = "back on goroutine " + std::to_string(G.Goid);
  W.physical().Note = "switches back to goroutine " + std::to_string(G.Goid);
  return Step::to(std::move(Caller), 0);
}

// systemstack: the frame itself continues on the goroutine's stack at
// g.sched.sp. Moves the frame there; false when it is not such a frame.
bool Unwinder::continueOnGoroutineStack(Walk &W) const {
  if (W.Sym->Special != SpecialFunc::Systemstack ||
      !W.onCurGSystemStack())
    return false;
  const GoroutineInfo &G = *W.CurG;
  W.C.SP = G.Sched.SP;
  for (size_t I = W.First; I < W.St.Frames.size(); ++I) {
    W.St.Frames[I].SP = W.C.SP;
    W.St.Frames[I].SystemStack = false;
    W.St.Frames[I].StackOf = G.G;
  }
  W.physical().Note = "switches back to goroutine " + std::to_string(G.Goid);
  return true;
}

// The return address of a Go frame of FrameSize bytes whose caller's SP is
// CallerSP.
Expected<uint64_t> Unwinder::goReturnAddress(const Cursor &C, int32_t FrameSize,
                                             uint64_t CallerSP) const {
  const Arch &A = P.arch();
  if (A.callPushesReturnAddress())
    return P.memory().readU64(CallerSP - 8);
  if (FrameSize == 0) // a leaf without a frame: still in LR
    return C.Regs && A.lrReg() ? C.Regs->get(*A.lrReg()).value_or(C.LR)
                               : C.LR;
  return P.memory().readU64(C.SP);
}

// The pclntab's frame size at the PC gives the caller's SP and the return
// address.
Unwinder::Step Unwinder::callerByPclntab(Walk &W) const {
  const Func &F = W.Sym->F;
  const SpecialFunc Special = W.Sym->Special;
  bool SPWrite = F.isSPWrite();
  uint64_t CalleeSP = W.CalleeSP;
  if (continueOnGoroutineStack(W)) {
    SPWrite = false;
    CalleeSP = 0; // now on another stack
  }
  const Cursor &C = W.C;
  if (F.isTopFrame())
    return Step::end(F.Name, /*Complete=*/true);
  if (SPWrite && !C.Innermost)
    return Step::end("cannot unwind past " + F.Name + " (it switches stacks)");
  const std::optional<int32_t> &Delta = W.Sym->SpDelta;
  if (!Delta)
    return Step::end("frame size of " + F.Name + ": " + W.Sym->SpDeltaError);
  if (*Delta < 0)
    return Step::end("negative frame size for " + F.Name + " at " + hex(C.PC));
  const bool PushesRA = P.arch().callPushesReturnAddress();
  const uint64_t CallerSP =
      C.SP + static_cast<uint64_t>(*Delta) + (PushesRA ? 8 : 0);
  W.setFP(CallerSP);
  auto ReturnAddress = goReturnAddress(C, *Delta, CallerSP);
  if (!ReturnAddress)
    return Step::end("return address of " + F.Name + ": " +
                     errorText(ReturnAddress.takeError()));
  if (*ReturnAddress == 0)
    return Step::end("return address 0 after " + F.Name);

  Cursor Caller;
  Caller.PC = *ReturnAddress;
  Caller.SP = CallerSP;
  Caller.How = FrameHow::Pclntab;
  // Injected calls: the caller's PC is exact, not a return address. The
  // runtime symbolizes it so from go1.21 (unwinder's unwindTrap); older
  // tracebacks did so only below sigpanic, and we print what they print.
  if (Special == SpecialFunc::Sigpanic ||
      ((Special == SpecialFunc::AsyncPreempt ||
        Special == SpecialFunc::DebugCallV2) &&
       traitsOf(P.version()).InjectedCallsExact))
    Caller.Exact = true;
  setCallerRegisters(W, Caller, CallerSP, *ReturnAddress);
  if (CalleeSP && Caller.SP <= CalleeSP)
    return Step::end("stack pointer does not increase after " + F.Name);
  return Step::to(std::move(Caller), C.SP);
}

// The registers known in a Go frame's caller: all of them after
// asyncPreempt (it saved them), otherwise SP and the frame pointer chain
// (for non-Go callers).
void Unwinder::setCallerRegisters(Walk &W, Cursor &Caller, uint64_t CallerSP,
                                  uint64_t ReturnAddress) const {
  const Arch &A = P.arch();
  const Memory &Mem = P.memory();
  if (W.Sym->Special == SpecialFunc::AsyncPreempt) {
    auto Regs = A.regsFromAsyncPreempt(Mem, W.C.SP, CallerSP, ReturnAddress);
    if (Regs) {
      Caller.Regs = *Regs;
      Caller.FullRegs = true;
      // The interrupted code's SP (arm64: above what the injected call
      // pushed).
      Caller.SP = Regs->get(A.spReg()).value_or(CallerSP);
      Caller.How = FrameHow::AsyncPreempt;
      Caller.Note = "preempted here; registers saved by asyncPreempt";
      return;
    }
    W.St.Warnings.push_back(errorText(Regs.takeError()));
  }
  // Only the innermost frame and frames after a signal or asyncPreempt
  // carry a full register set for the report.
  RegisterSet Regs;
  Regs.set(A.spReg(), CallerSP);
  if (auto Slot = A.savedFramePointerSlot(W.C.SP, CallerSP))
    if (auto BP = probe(Mem.readU64(*Slot)))
      Regs.set(A.fpReg(), *BP);
  Caller.Regs = Regs;
}

} // namespace ms
