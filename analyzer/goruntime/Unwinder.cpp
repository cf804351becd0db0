#include "goruntime/Unwinder.h"

#include <set>

#include "goruntime/GoProgram.h"
#include "loader/Target.h"

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
  RegisterSet R;
  R.set(P.arch().fpReg(), G.Sched.BP);
  R.set(P.arch().spReg(), C.SP);
  C.Regs = R;
  if (C.PC == 0 && C.SP) {
    // As the runtime does: the PC is at the top of the stack.
    auto PC = P.memory().readU64(C.SP);
    if (PC) {
      C.PC = *PC;
      if (P.arch().callPushesReturnAddress())
        C.SP += 8;
    } else {
      llvm::consumeError(PC.takeError());
    }
  }
  return walk(C, nullptr, G.G);
}

const Unwinder::PCSym &Unwinder::symbolize(uint64_t PC, bool Exact) const {
  std::lock_guard<std::mutex> Lock(SymMu);
  const uint64_t Key = (PC << 1) | (Exact ? 1 : 0);
  auto It = SymCache.find(Key);
  if (It != SymCache.end())
    return It->second;
  const Pclntab &T = P.pclntab();
  PCSym Y;
  auto F = T.findFunc(PC);
  if (!F) {
    llvm::consumeError(F.takeError());
    return SymCache.emplace(Key, std::move(Y)).first->second;
  }
  Y.Go = true;
  Y.F = std::move(*F);
  Y.Special = T.special(Y.F);
  Y.SymPC = (Exact || PC == Y.F.Entry) ? PC : PC - 1;
  auto Src = T.expandInline(Y.F, Y.SymPC);
  if (Src) {
    Y.Src = std::move(*Src);
  } else {
    Y.SrcWarning = "inline expansion at " + hex(Y.SymPC) + ": " +
                   errorText(Src.takeError());
    SourceFrame One;
    One.Function = Y.F.Name;
    auto FL = T.fileLine(Y.F, Y.SymPC);
    if (FL) {
      One.File = FL->File;
      One.Line = FL->Line;
    } else {
      llvm::consumeError(FL.takeError());
    }
    Y.Src = {One};
  }
  auto Delta = T.spDelta(Y.F, PC);
  if (Delta)
    Y.SpDelta = *Delta;
  else
    Y.SpDeltaError = errorText(Delta.takeError());
  return SymCache.emplace(Key, std::move(Y)).first->second;
}

Stack Unwinder::walk(Cursor C, const MInfo *M, uint64_t UserG) const {
  const Memory &Mem = P.memory();
  const Arch &A = P.arch();
  const Target &Tg = P.target();
  Stack St;
  std::set<std::pair<uint64_t, uint64_t>> Seen;
  uint64_t PrevSP = 0;
  const GoroutineInfo *CurG = M ? S.byG(M->CurG) : nullptr;

  for (size_t N = 0; N < MaxFrames; ++N) {
    if (!Seen.insert({C.PC, C.SP}).second) {
      St.End = "unwinding is stuck at pc " + hex(C.PC) + " sp " + hex(C.SP);
      return St;
    }
    bool System = false;
    uint64_t Owner = stackOwner(C.SP, M, UserG, System);

    const PCSym &Sym = symbolize(C.PC, C.Exact);
    const Func *F = Sym.Go ? &Sym.F : nullptr;
    if (!F) {
      // Not Go code: name it from the ELF symbols, step with CFI or the
      // frame pointer chain.
      StackFrame Fr;
      Fr.PC = C.PC;
      Fr.SP = C.SP;
      Fr.SymPC = C.Exact ? C.PC : C.PC - 1;
      Fr.Go = false;
      Fr.Exact = C.Exact;
      Fr.How = C.How;
      Fr.StackOf = Owner;
      Fr.SystemStack = System;
      if (C.FullRegs)
        Fr.Regs = C.Regs;
      Fr.Note = C.Note;
      uint64_t Bias = Tg.loadBias(), Entry = 0;
      Fr.Function = symbolFor(Tg.exe(), Fr.SymPC - Bias, Entry);
      if (Fr.Function.empty()) {
        for (const auto &MF : Tg.mappedFiles())
          if (C.PC >= MF.Start && C.PC < MF.End) {
            Fr.Function = "?? (" + MF.Path + "+" +
                          hex(C.PC - MF.Start + MF.FileOffset) + ")";
            break;
          }
        if (Fr.Function.empty())
          Fr.Function = "??";
      } else {
        Fr.Entry = Entry + Bias;
      }
      St.Frames.push_back(Fr);
      if (C.PC == 0) {
        St.End = "pc is 0";
        return St;
      }
      Cursor Next;
      bool Stepped = false;
      if (P.dwarf() && P.dwarf()->hasCfi() && C.Regs) {
        RegisterSet R = *C.Regs;
        R.set(A.pcReg(), C.PC - Bias);
        auto U = P.dwarf()->unwind(Fr.SymPC - Bias, R, Mem);
        if (U) {
          Next.PC = U->ReturnAddress + (U->ReturnAddress ? Bias : 0);
          Next.SP = U->CFA;
          Next.Regs = U->Caller;
          Next.Regs->set(A.pcReg(), Next.PC);
          Next.How = FrameHow::Cfi;
          St.Frames.back().FP = U->CFA;
          Stepped = true;
        } else {
          llvm::consumeError(U.takeError());
        }
      }
      if (!Stepped && C.Regs && C.Regs->has(A.fpReg()) &&
          A.callPushesReturnAddress()) {
        uint64_t BP = *C.Regs->get(A.fpReg());
        if (BP >= C.SP && BP - C.SP < (1u << 24)) {
          auto SavedBP = Mem.readU64(BP);
          auto RA = Mem.readU64(BP + 8);
          if (SavedBP && RA) {
            Next.PC = *RA;
            Next.SP = BP + 16;
            RegisterSet R;
            R.set(A.fpReg(), *SavedBP);
            R.set(A.spReg(), Next.SP);
            Next.Regs = R;
            Next.How = FrameHow::FramePointer;
            St.Frames.back().FP = Next.SP;
            Stepped = true;
          }
          if (!SavedBP)
            llvm::consumeError(SavedBP.takeError());
          if (!RA)
            llvm::consumeError(RA.takeError());
        }
      }
      if (!Stepped) {
        St.End = "cannot unwind past non-Go code at " + hex(C.PC);
        return St;
      }
      PrevSP = C.SP;
      C = Next;
      continue;
    }

    // --- Go code: emit its source frames (inlined calls first).
    const uint64_t SymPC = Sym.SymPC;
    size_t First = St.Frames.size();
    if (!Sym.SrcWarning.empty())
      St.Warnings.push_back(Sym.SrcWarning);
    for (const SourceFrame &SF : Sym.Src) {
      StackFrame Fr;
      Fr.PC = C.PC;
      Fr.SP = C.SP;
      Fr.SymPC = SymPC;
      Fr.Function = SF.Function;
      Fr.Entry = F->Entry;
      Fr.File = SF.File;
      Fr.Line = SF.Line;
      Fr.Inlined = SF.Inlined;
      Fr.Exact = C.Exact;
      Fr.How = C.How;
      Fr.StackOf = Owner;
      Fr.SystemStack = System;
      St.Frames.push_back(std::move(Fr));
    }
    StackFrame &Phys = St.Frames.back();
    if (C.FullRegs)
      Phys.Regs = C.Regs;
    Phys.Note = C.Note;
    auto SetFP = [&](uint64_t FP) {
      for (size_t I = First; I < St.Frames.size(); ++I)
        St.Frames[I].FP = FP;
    };
    auto SetSP = [&](uint64_t SP) {
      for (size_t I = First; I < St.Frames.size(); ++I)
        St.Frames[I].SP = SP;
    };

    const SpecialFunc SF = Sym.Special;

    // A signal handler's frame: continue with the interrupted registers.
    if (SF == SpecialFunc::Sigtramp) {
      const std::optional<int32_t> &Delta = Sym.SpDelta;
      if (!Delta) {
        St.End = "signal frame: " + Sym.SpDeltaError;
        return St;
      }
      uint64_t EntrySP = C.SP + static_cast<uint64_t>(*Delta);
      uint64_t Uc = EntrySP + A.ucontextOffsetFromHandlerSP();
      auto R = A.regsFromUcontext(Mem, Uc);
      if (!R) {
        St.End = "signal frame: " + errorText(R.takeError());
        return St;
      }
      SetFP(EntrySP);
      Phys.Note = "signal handler; interrupted context saved at " + hex(Uc);
      Cursor Next;
      Next.PC = R->get(A.pcReg()).value_or(0);
      Next.SP = R->get(A.spReg()).value_or(0);
      if (auto LR = A.lrReg())
        Next.LR = R->get(*LR).value_or(0);
      Next.Regs = *R;
      Next.FullRegs = true;
      Next.Exact = true;
      Next.Innermost = true;
      Next.How = FrameHow::SignalContext;
      Next.Note = "interrupted by a signal";
      PrevSP = 0; // the interrupted code may be on another stack
      C = Next;
      continue;
    }

    // Switches from the system stack back to the goroutine, as the
    // runtime's traceback does (unwinder.resolveInternal).
    bool SPWrite = F->isSPWrite();
    if (System && CurG && CurG->M == (M ? M->M : 0)) {
      if (SF == SpecialFunc::Systemstack) {
        // The frame continues on the goroutine's stack at g.sched.sp.
        C.SP = CurG->Sched.SP;
        SetSP(C.SP);
        for (size_t I = First; I < St.Frames.size(); ++I) {
          St.Frames[I].SystemStack = false;
          St.Frames[I].StackOf = CurG->G;
        }
        Phys.Note = "switches back to goroutine " + std::to_string(CurG->Goid);
        PrevSP = 0;
        SPWrite = false;
      } else if (SF == SpecialFunc::Morestack ||
                 SF == SpecialFunc::Asmcgocall) {
        Cursor Next;
        if (SF == SpecialFunc::Asmcgocall && CurG->SyscallSP) {
          Next.PC = CurG->SyscallPC;
          Next.SP = CurG->SyscallSP;
        } else {
          Next.PC = CurG->Sched.PC;
          Next.SP = CurG->Sched.SP;
          Next.LR = CurG->Sched.LR;
        }
        RegisterSet R;
        R.set(A.fpReg(), CurG->Sched.BP);
        Next.Regs = R;
        Next.How = FrameHow::StackSwitch;
        Next.Note = "back on goroutine " + std::to_string(CurG->Goid);
        Phys.Note = "switches back to goroutine " + std::to_string(CurG->Goid);
        PrevSP = 0;
        C = Next;
        continue;
      }
    }

    if (F->isTopFrame()) {
      St.Complete = true;
      St.End = F->Name;
      return St;
    }
    if (SPWrite && !C.Innermost) {
      St.End = "cannot unwind past " + F->Name + " (it switches stacks)";
      return St;
    }
    const std::optional<int32_t> &Delta = Sym.SpDelta;
    if (!Delta) {
      St.End = "frame size of " + F->Name + ": " + Sym.SpDeltaError;
      return St;
    }
    if (*Delta < 0) {
      St.End = "negative frame size for " + F->Name + " at " + hex(C.PC);
      return St;
    }
    const bool PushesRA = A.callPushesReturnAddress();
    const uint64_t FP = C.SP + static_cast<uint64_t>(*Delta) + (PushesRA ? 8 : 0);
    SetFP(FP);
    uint64_t RA = 0;
    if (PushesRA) {
      auto V = Mem.readU64(FP - 8);
      if (!V) {
        St.End = "return address of " + F->Name + ": " + errorText(V.takeError());
        return St;
      }
      RA = *V;
    } else if (*Delta == 0) {
      RA = C.Regs && A.lrReg() ? C.Regs->get(*A.lrReg()).value_or(C.LR) : C.LR;
    } else {
      auto V = Mem.readU64(C.SP);
      if (!V) {
        St.End = "return address of " + F->Name + ": " + errorText(V.takeError());
        return St;
      }
      RA = *V;
    }
    if (RA == 0) {
      St.End = "return address 0 after " + F->Name;
      return St;
    }

    Cursor Next;
    Next.PC = RA;
    Next.SP = FP;
    Next.How = FrameHow::Pclntab;
    // Injected calls: the caller's PC is exact, not a return address. The
    // runtime symbolizes it so from go1.21 (unwinder's unwindTrap); older
    // tracebacks did so only below sigpanic, and we print what they print.
    if (SF == SpecialFunc::Sigpanic ||
        ((SF == SpecialFunc::AsyncPreempt || SF == SpecialFunc::DebugCallV2) &&
         P.version().atLeast(1, 21)))
      Next.Exact = true;
    if (SF == SpecialFunc::AsyncPreempt) {
      auto R = A.regsFromAsyncPreempt(Mem, C.SP, FP, RA);
      if (R) {
        Next.Regs = *R;
        Next.FullRegs = true;
        // The interrupted code's SP (arm64: above what the injected call
        // pushed).
        Next.SP = R->get(A.spReg()).value_or(FP);
        Next.How = FrameHow::AsyncPreempt;
        Next.Note = "preempted here; registers saved by asyncPreempt";
      } else {
        St.Warnings.push_back(errorText(R.takeError()));
      }
    }
    if (!Next.Regs) {
      // Keep the frame pointer chain for non-Go callers.
      RegisterSet R;
      R.set(A.spReg(), FP);
      if (auto Slot = A.savedFramePointerSlot(C.SP, FP)) {
        auto BP = Mem.readU64(*Slot);
        if (BP)
          R.set(A.fpReg(), *BP);
        else
          llvm::consumeError(BP.takeError());
      }
      Next.Regs = R;
      // Only the innermost frame and frames after a signal or
      // asyncPreempt carry a full register set for the report.
    }
    if (PrevSP && Next.SP <= PrevSP) {
      St.End = "stack pointer does not increase after " + F->Name;
      return St;
    }
    PrevSP = C.SP;
    C = Next;
  }
  St.End = "stopped after " + std::to_string(MaxFrames) + " frames";
  return St;
}

} // namespace ms
