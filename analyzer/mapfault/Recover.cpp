#include "mapfault/Recover.h"

#include "goruntime/GoProgram.h"
#include "goruntime/Heap.h"
#include "loader/Target.h"
#include "mapfault/CallSite.h"
#include "mapfault/Emulator.h"
#include "mapfault/MapFunctions.h"

namespace ms {

namespace {
// The registers that pass A's words (ABIInternal integer registers); none
// when A has more words than registers.
std::optional<std::vector<int>> argRegisters(const Arch &Arch,
                                             const ArgSpec &A) {
  const auto Regs = Arch.goIntArgRegs();
  std::vector<int> Out;
  for (int W = 0; W < A.NumWords; ++W) {
    size_t R = static_cast<size_t>(A.FirstWord + W);
    if (R >= Regs.size())
      return std::nullopt;
    Out.push_back(static_cast<int>(Regs[R]));
  }
  return Out;
}

// An empty candidate from Src at exact confidence.
Candidate exactCandidate(Source Src) {
  Candidate C;
  C.Src = Src;
  C.Conf = Confidence::Exact;
  return C;
}
} // namespace

llvm::StringRef sourceName(Source S) {
  switch (S) {
  case Source::Register: return "register";
  case Source::DwarfLocation: return "dwarf_location";
  case Source::SpillSlot: return "spill_slot";
  case Source::CallsiteDataflow: return "callsite_dataflow";
  case Source::CallerVariable: return "caller_variable";
  case Source::StackScan: return "stack_scan";
  case Source::DataExtent: return "data_extent";
  case Source::HeapScan: return "heap_scan";
  case Source::Code: return "code";
  case Source::Memory: return "memory";
  case Source::CrashLog: return "crash_log";
  case Source::None: return "none";
  }
  return "?";
}

llvm::StringRef confidenceName(Confidence C) {
  switch (C) {
  case Confidence::Exact: return "exact";
  case Confidence::High: return "high";
  case Confidence::Low: return "low";
  }
  return "?";
}

FrameArgs::FrameArgs(const GoProgram &P, const Stack &St, size_t Phys,
                     EmulationCache *Emu)
    : P(P), St(St), Phys(Phys), Emu(Emu) {}

const StackFrame *FrameArgs::caller() const {
  for (size_t I = Phys + 1; I < St.Frames.size(); ++I)
    if (!St.Frames[I].Inlined)
      return &St.Frames[I];
  return nullptr;
}

const FrameArgs::NoDwarf &FrameArgs::withoutDwarf(const ArgSpec &A) const {
  auto [It, New] = Sources.try_emplace({A.FirstWord, A.NumWords});
  if (New) {
    fromRegisters(A, It->second.Before);
    fromSpill(A, It->second.After);
    fromStackHeaders(A, It->second.After);
    fromDataExtent(A, It->second.After);
    fromDataflow(A, It->second.After, It->second.NoDataflow);
    checkExtentAgainstCaller(A, It->second.After);
    confirmByPointer(A, It->second.After);
  }
  return It->second;
}

std::vector<Candidate> FrameArgs::candidates(const ArgSpec &A,
                                             bool WithDwarf) const {
  const NoDwarf &S = withoutDwarf(A);
  std::vector<Candidate> Out = S.Before;
  if (WithDwarf)
    fromDwarf(A, Out);
  Out.insert(Out.end(), S.After.begin(), S.After.end());
  return Out;
}

void FrameArgs::fromRegisters(const ArgSpec &A,
                              std::vector<Candidate> &Out) const {
  const StackFrame &F = frame();
  auto Regs = argRegisters(P.arch(), A);
  if (!F.Regs || !Regs)
    return;
  Candidate C = exactCandidate(Source::Register);
  std::string Names;
  for (int Reg : *Regs) {
    auto V = F.Regs->get(static_cast<unsigned>(Reg));
    if (!V)
      return;
    // The register still holds the argument only if nothing wrote it
    // since the function's entry.
    if (F.PC != F.Entry) {
      auto Untouched = registerUntouchedSinceEntry(P, F.PC, Reg);
      if (!Untouched) {
        llvm::consumeError(Untouched.takeError());
        return;
      }
      if (!*Untouched)
        return;
    }
    C.Words.push_back(*V);
    Names += (Names.empty() ? "" : ", ") + P.arch().regName(static_cast<unsigned>(Reg));
  }
  C.Detail = Names + " of the interrupted frame (not written since entry)";
  Out.push_back(std::move(C));
}

void FrameArgs::fromDwarf(const ArgSpec &A, std::vector<Candidate> &Out) const {
  const DwarfInfo *D = P.dwarf();
  const StackFrame &F = frame();
  if (!D || !F.Go)
    return;
  const uint64_t Bias = P.target().loadBias();
  auto Vars = D->variablesAt(F.SymPC - Bias);
  if (!Vars) {
    llvm::consumeError(Vars.takeError());
    return;
  }
  const ScopeVariables &Fn = Vars->function();
  int Index = 0;
  for (const auto &V : Fn.Variables) {
    if (!V.IsParameter || V.IsResult)
      continue;
    if (Index++ != A.ParamIndex)
      continue;
    if (!V.Available)
      return;
    bool InRegs = false;
    for (const auto &Pc : V.Pieces)
      InRegs |= Pc.K == LocationPiece::Kind::Register;
    RegisterSet Regs;
    if (F.Regs)
      Regs = *F.Regs;
    else if (InRegs)
      return; // registers of a non-top frame are not known
    auto Bytes = readVariable(V, Regs, F.FP ? std::optional<uint64_t>(F.FP)
                                            : std::nullopt,
                              P.memory(), &P.arch());
    if (!Bytes) {
      llvm::consumeError(Bytes.takeError());
      return;
    }
    if (Bytes->size() < static_cast<size_t>(A.NumWords) * 8 &&
        !(A.NumWords == 1 && !Bytes->empty()))
      return;
    Candidate C;
    C.Src = Source::DwarfLocation;
    C.Conf = InRegs ? Confidence::Exact : Confidence::High;
    for (int W = 0; W < A.NumWords; ++W) {
      uint64_t X = 0;
      for (size_t J = 0; J < 8 && W * 8 + J < Bytes->size(); ++J)
        X |= uint64_t((*Bytes)[W * 8 + J]) << (8 * J);
      C.Words.push_back(X);
    }
    C.Detail = "DWARF location of parameter '" + V.Name + "' at " +
               hex(F.SymPC) + ": " + V.describe(&P.arch());
    Out.push_back(std::move(C));
    return;
  }
}

void FrameArgs::fromSpill(const ArgSpec &A, std::vector<Candidate> &Out) const {
  const StackFrame &F = frame();
  if (!F.Go || !F.FP)
    return;
  auto Fn = P.pclntab().findFunc(F.PC);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    return;
  }
  auto Items = P.pclntab().argInfo(*Fn, F.SymPC);
  if (!Items || Items->empty()) {
    if (!Items)
      llvm::consumeError(Items.takeError());
    return;
  }
  // Flatten the slots in order; word N of the arguments is slot N.
  std::vector<const ArgInfoItem *> Slots;
  for (const auto &It : *Items) {
    if (It.K == ArgInfoItem::Kind::Slot)
      Slots.push_back(&It);
    else if (It.K == ArgInfoItem::Kind::DotDotDot ||
             It.K == ArgInfoItem::Kind::OffsetTooLarge)
      break;
  }
  // argp: the caller's SP at the call plus the fixed frame area.
  const uint64_t ArgP = F.FP + (P.arch().callPushesReturnAddress() ? 0 : 8);
  auto Regs = argRegisters(P.arch(), A);
  Candidate C;
  C.Src = Source::SpillSlot;
  bool AllLive = true;
  std::string Where, Saved;
  for (int W = 0; W < A.NumWords; ++W) {
    size_t S = static_cast<size_t>(A.FirstWord + W);
    if (S >= Slots.size())
      return;
    const ArgInfoItem &It = *Slots[S];
    auto V = P.memory().readUint(ArgP + It.Offset,
                                 It.Size == 1 || It.Size == 2 || It.Size == 4 ? It.Size : 8);
    if (!V) {
      llvm::consumeError(V.takeError());
      return;
    }
    C.Words.push_back(*V);
    if (W == 0)
      C.Slot = ArgP + It.Offset;
    bool Live = It.Live;
    // A slot the liveness map calls stale may still provably hold this
    // call's argument: the function saved the register there on every
    // path to its PC (the map functions save a string key's pointer
    // before their nil-map check, its length only after).
    if (!Live && Regs && It.Size == 8) {
      auto At = argSavedOnEveryPath(P, F.SymPC, (*Regs)[static_cast<size_t>(W)],
                                    8 + static_cast<int64_t>(It.Offset));
      if (!At)
        llvm::consumeError(At.takeError());
      else if (*At) {
        Live = true;
        C.KnownWords |= 1u << W;
        Saved += (Saved.empty() ? "" : "; ") + hex(ArgP + It.Offset) +
                 " is this call's: " + F.Function + " saves " +
                 P.arch().regName(static_cast<unsigned>((*Regs)[static_cast<size_t>(W)])) +
                 " there at " + hex(**At) + " on every path to this pc";
      }
    } else if (Live) {
      C.KnownWords |= 1u << W;
    }
    AllLive &= Live;
    Where += (Where.empty() ? "" : ", ") + hex(ArgP + It.Offset);
  }
  C.Conf = AllLive ? Confidence::High : Confidence::Low;
  C.Stale = !AllLive;
  C.Detail = std::string(AllLive ? "live" : "stale (not live at this pc)") +
             " register-argument spill slot at " + Where +
             " in the caller's frame (FUNCDATA_ArgInfo" +
             (Saved.empty() ? "" : "; " + Saved) + ")";
  Out.push_back(std::move(C));
}

void FrameArgs::confirmByPointer(const ArgSpec &A,
                                 std::vector<Candidate> &Out) const {
  if (A.NumWords != 2)
    return;
  const Candidate *Saved = nullptr;
  for (const Candidate &C : Out)
    if (C.Src == Source::SpillSlot && C.KnownWords == 1u && !C.Words.empty())
      Saved = &C;
  if (!Saved)
    return;
  // A pointer into the goroutine's stack (a conversion's buffer) is the
  // same for every key the loop makes there: it confirms no length.
  const FrameSpan Own = ownFrames();
  if (Saved->Words[0] >= Own.Lo && Saved->Words[0] < Own.Hi)
    return;
  for (Candidate &C : Out) {
    if (C.Src != Source::CallsiteDataflow || C.Conf != Confidence::Low ||
        C.Stale || C.Words.size() != 2 || C.Words[0] != Saved->Words[0])
      continue;
    C.Conf = Confidence::High;
    C.Detail += "; high because its data pointer " + hex(C.Words[0]) +
                " is the one this call was passed (" + frame().Function +
                " saved it in the spill slot at " + hex(Saved->Slot) +
                "): the header read still points at the same bytes";
  }
}

namespace {
// The string and slice headers in the stack words Bytes (read at Lo) whose
// data pointer is Ptr: length -> where, leaving out words in Skip ([from,
// to) ranges), lengths 0 or beyond MaxLen, and lengths whose bytes are not
// in the core or end in 8 or more NULs (zeroed room after the key, a
// buffer's spare capacity, not a key).
std::map<uint64_t, std::vector<uint64_t>>
headersTo(const GoProgram &P, uint64_t Ptr, uint64_t Lo,
          llvm::ArrayRef<uint8_t> Bytes,
          const std::vector<std::pair<uint64_t, uint64_t>> &Skip,
          uint64_t MaxLen) {
  auto Word = [&](uint64_t Off) {
    uint64_t V = 0;
    for (unsigned B = 0; B < 8; ++B)
      V |= static_cast<uint64_t>(Bytes[Off + B]) << (8 * B);
    return V;
  };
  std::map<uint64_t, std::vector<uint64_t>> ByLen; // length -> where
  for (uint64_t Off = 0; Off + 16 <= Bytes.size(); Off += 8) {
    const uint64_t At = Lo + Off;
    if (Word(Off) != Ptr ||
        std::any_of(Skip.begin(), Skip.end(), [&](const auto &R) {
          return At + 16 > R.first && At < R.second;
        }))
      continue;
    uint64_t Len = Word(Off + 8);
    if (Len == 0 || Len > MaxLen)
      continue;
    auto Data = P.memory().readBytes(Ptr, Len);
    if (!Data) {
      llvm::consumeError(Data.takeError());
      continue;
    }
    size_t Nuls = 0;
    while (Nuls < Data->size() && (*Data)[Data->size() - 1 - Nuls] == 0)
      ++Nuls;
    if (Nuls >= 8)
      continue;
    ByLen[Len].push_back(At);
  }
  return ByLen;
}

// "0x1, 0x2, 0x3 and 2 more".
std::string addressList(const std::vector<uint64_t> &Where) {
  std::string At;
  for (size_t I = 0; I < Where.size() && I < 3; ++I)
    At += (I ? ", " : "") + hex(Where[I]);
  if (Where.size() > 3)
    At += " and " + std::to_string(Where.size() - 3) + " more";
  return At;
}
} // namespace

size_t FrameArgs::mapCaller(
    std::vector<std::pair<uint64_t, uint64_t>> &Skip) const {
  size_t User = Phys;
  for (; User < St.Frames.size(); ++User) {
    const StackFrame &F = St.Frames[User];
    if (F.Inlined)
      continue;
    if (!F.Go || !classifyMapFunction(F.Function))
      break;
    const uint64_t ArgP = F.FP + (P.arch().callPushesReturnAddress() ? 0 : 8);
    uint64_t Extent = 64; // when the layout is not described
    if (auto Fn = P.pclntab().findFunc(F.PC)) {
      if (auto Items = P.pclntab().argInfo(*Fn, F.SymPC)) {
        uint64_t Max = 0;
        bool Whole = true;
        for (const auto &It : *Items) {
          if (It.K == ArgInfoItem::Kind::Slot)
            Max = std::max<uint64_t>(Max, It.Offset + It.Size);
          else if (It.K == ArgInfoItem::Kind::DotDotDot ||
                   It.K == ArgInfoItem::Kind::OffsetTooLarge)
            Whole = false;
        }
        if (Whole && Max)
          Extent = Max;
      } else {
        llvm::consumeError(Items.takeError());
      }
    } else {
      llvm::consumeError(Fn.takeError());
    }
    Skip.push_back({ArgP, ArgP + Extent});
  }
  return User;
}

void FrameArgs::fromStackHeaders(const ArgSpec &A,
                                 std::vector<Candidate> &Out) const {
  // A string whose data pointer is this call's but whose length is not
  // known: the spill slot candidate just added says which.
  if (A.NumWords != 2 || Out.empty() || Out.back().Src != Source::SpillSlot ||
      Out.back().KnownWords != 1u)
    return;
  const uint64_t Ptr = Out.back().Words[0];
  if (!Ptr)
    return;
  // The goroutine's live frames above the map functions' (an entry point
  // may call another with the same arguments): what its callers hold now.
  // The words a dead frame below left behind may be any earlier call's,
  // and so may the map functions' own spill slots, whose length word
  // (saved only on some paths) may be an earlier call's beside this
  // call's pointer: they are left out.
  std::vector<std::pair<uint64_t, uint64_t>> Skip; // [from, to)
  const size_t User = mapCaller(Skip);
  if (User >= St.Frames.size() || !St.Frames[User].Go)
    return;
  uint64_t Lo = St.Frames[User].SP, Hi = 0;
  for (size_t I = User; I < St.Frames.size(); ++I)
    if (!St.Frames[I].Inlined && !St.Frames[I].SystemStack && St.Frames[I].FP)
      Hi = std::max(Hi, St.Frames[I].FP);
  constexpr uint64_t MaxScan = 256 << 10, MaxLen = 1 << 20;
  if (Hi <= Lo)
    return;
  Hi = std::min(Hi, Lo + MaxScan);
  auto Bytes = P.memory().readBytes(Lo, Hi - Lo);
  if (!Bytes) {
    llvm::consumeError(Bytes.takeError());
    return;
  }
  const auto ByLen = headersTo(P, Ptr, Lo, *Bytes, Skip, MaxLen);
  if (ByLen.size() != 1)
    return;
  const auto &[Len, Where] = *ByLen.begin();
  Candidate C;
  C.Src = Source::StackScan;
  C.Conf = Confidence::Low;
  C.Words = {Ptr, Len};
  C.KnownWords = 1u;
  const std::string At = addressList(Where);
  C.Detail = "the data pointer is this call's (the spill slot at " + hex(Out.back().Slot) +
             "); the length is that of the only other string or slice header "
             "in the goroutine's live frames pointing at the same bytes (" + At +
             "): the key may be a shorter prefix of it";
  Out.push_back(std::move(C));
}

namespace {
// The length of the run of text at the start of B: valid UTF-8 without
// control characters (tab, newline and carriage return allowed).
size_t textPrefix(llvm::ArrayRef<uint8_t> B) {
  size_t I = 0;
  while (I < B.size()) {
    const uint8_t C = B[I];
    if (C < 0x80) {
      if ((C < 0x20 && C != '\t' && C != '\n' && C != '\r') || C == 0x7f)
        break;
      ++I;
      continue;
    }
    size_t N = (C & 0xe0) == 0xc0 ? 2 : (C & 0xf0) == 0xe0 ? 3
             : (C & 0xf8) == 0xf0 ? 4 : 0;
    if (!N || C == 0xc0 || C == 0xc1 || C > 0xf4 || I + N > B.size())
      break;
    bool Ok = true;
    for (size_t K = 1; K < N; ++K)
      Ok &= (B[I + K] & 0xc0) == 0x80;
    if (!Ok)
      break;
    I += N;
  }
  return I;
}
} // namespace

FrameArgs::FrameSpan FrameArgs::ownFrames() const {
  FrameSpan S;
  for (const StackFrame &F : St.Frames) {
    if (F.Inlined || F.SystemStack || !F.SP)
      continue;
    S.Lo = std::min(S.Lo, F.SP);
    S.Hi = std::max(S.Hi, F.FP);
    S.G = F.StackOf;
  }
  return S;
}

std::map<uint64_t, std::vector<uint64_t>>
FrameArgs::deadHeaders(uint64_t Ptr, uint64_t MaxLen, size_t User,
                       const std::vector<std::pair<uint64_t, uint64_t>> &Skip,
                       const FrameSpan &Own) const {
  if (User >= St.Frames.size() || !St.Frames[User].Go)
    return {};
  // From the caller's SP down over the frames below it on the goroutine's
  // stack (the map functions', the panic's or fatal error's) and 4 KiB
  // past the lowest, not below the goroutine's stack.lo.
  const uint64_t Hi = St.Frames[User].SP;
  const uint64_t G = Own.G;
  uint64_t Lo = std::min(Hi, Own.Lo);
  constexpr uint64_t Below = 4 << 10, MaxScan = 64 << 10;
  uint64_t StackLo = 0;
  if (G) {
    if (auto F = P.layouts().field("runtime.g", "stack.lo")) {
      if (auto V = probe(P.memory().readU64(G + F->Offset)))
        StackLo = *V;
    } else {
      llvm::consumeError(F.takeError());
    }
  }
  if (StackLo && StackLo <= Lo)
    Lo = std::max(StackLo, Lo >= Below ? Lo - Below : 0);
  if (Lo >= Hi || Hi - Lo > MaxScan)
    return {};
  auto Bytes = P.memory().readBytes(Lo, Hi - Lo);
  if (!Bytes) {
    llvm::consumeError(Bytes.takeError());
    return {};
  }
  return headersTo(P, Ptr, Lo, *Bytes, Skip, MaxLen);
}

void FrameArgs::fromDataExtent(const ArgSpec &A,
                               std::vector<Candidate> &Out) const {
  if (A.NumWords != 2)
    return;
  const Candidate *Half = nullptr;
  for (const Candidate &C : Out) {
    if (C.Src == Source::StackScan)
      return; // a header gave the length
    if (C.Src == Source::SpillSlot && C.KnownWords == 1u && !C.Words.empty())
      Half = &C;
  }
  if (!Half || !Half->Words[0])
    return;
  const uint64_t Ptr = Half->Words[0];
  const FrameSpan Own = ownFrames();
  // Where the bytes are: a heap object, or a buffer in the goroutine's
  // live frames (a conversion's 32-byte stack buffer). Anything else
  // (read-only data packs string constants without separators) gives no
  // end.
  uint64_t Room = 0;
  std::string Where;
  bool InStackBuf = false;
  auto Heap = P.heap();
  auto Obj = Heap ? (*Heap)->objectAt(Ptr) : Expected<HeapObject>(Heap.takeError());
  if (Obj) {
    if (!Obj->NoScan)
      return; // a string's bytes are allocated without pointers
    Room = Obj->Base + Obj->Size - Ptr;
    Where = "the " + std::to_string(Obj->Size) + "-byte heap object at " +
            hex(Obj->Base);
    if (Obj->tinyBlock()) {
      Where += " (a tiny-allocator block several small strings may share)";
      // Some P's current tiny block: nothing is allocated past its offset.
      if (auto End = (*Heap)->tinyBlockEnd(Obj->Base)) {
        if (Ptr >= *End)
          return;
        Room = *End - Ptr;
        Where += ", some P's current one, allocated up to +" +
                 std::to_string(*End - Obj->Base);
      }
    }
  } else {
    llvm::consumeError(Obj.takeError());
    constexpr uint64_t TmpBuf = 32; // runtime.tmpBuf
    if (Ptr < Own.Lo || Ptr >= Own.Hi)
      return;
    Room = std::min(TmpBuf, Own.Hi - Ptr);
    Where = "the goroutine's stack (a conversion's " + std::to_string(TmpBuf) +
            "-byte buffer at most)";
    InStackBuf = true;
  }
  constexpr uint64_t MaxRoom = 64 << 10;
  if (!Room || Room > MaxRoom)
    return;
  auto Bytes = P.memory().readBytes(Ptr, Room);
  if (!Bytes) {
    llvm::consumeError(Bytes.takeError());
    return;
  }
  const size_t Len = textPrefix(*Bytes);
  if (!Len)
    return;
  Candidate C;
  C.Src = Source::DataExtent;
  C.Conf = Confidence::Low;
  C.Words = {Ptr, Len};
  C.KnownWords = 1u;
  std::string End;
  if (Len == Room) {
    End = "the end of the object";
  } else {
    const uint8_t B = (*Bytes)[Len];
    bool Zeros = std::all_of(Bytes->begin() + Len, Bytes->end(),
                             [](uint8_t X) { return X == 0; });
    End = "the byte " + hex(B) + " at +" + std::to_string(Len) +
          (Zeros ? " (zeros to the end of the object)" : "");
  }
  C.Detail = "the data pointer is this call's (the spill slot at " + hex(Half->Slot) +
             "); its length is in no copy found, so it is taken as the text "
             "there, ended by " + End + ", in " + Where +
             ": bytes an earlier occupant left after the key would make it "
             "too long";
  // A header with this pointer that an earlier call left in the stack
  // below the caller's frame: the call that made the key returned it from
  // there (a strings.Builder's buffer, a concatenation's result). Only a
  // length within the text counts, and only when all such headers agree:
  // it can end the key where the text runs on into the next small object
  // of a shared tiny block.
  std::vector<std::pair<uint64_t, uint64_t>> Skip; // [from, to)
  const size_t User = mapCaller(Skip);
  const auto Dead = deadHeaders(Ptr, Len, User, Skip, Own);
  if (Dead.size() == 1) {
    const auto &[N, At] = *Dead.begin();
    if (N < Len) {
      C.Words[1] = N;
      C.Detail = "the data pointer is this call's (the spill slot at " +
                 hex(Half->Slot) + "); its length is in no live copy, but a "
                 "string header an earlier call left in the stack below the "
                 "caller's frame (at " + addressList(At) + "; such as the "
                 "call that made the key) gives " + std::to_string(N) +
                 " bytes. The text there runs on to +" + std::to_string(Len) +
                 " (ended by " + End + ", in " + Where + "): the bytes past " +
                 std::to_string(N) + " are taken as another object's";
    } else {
      C.Detail += "; a string header an earlier call left in the stack "
                  "below the caller's frame (at " + addressList(At) +
                  ") gives the same length";
    }
  } else if (Dead.size() > 1) {
    std::string Lens;
    for (const auto &[N, At] : Dead)
      Lens += (Lens.empty() ? "" : ", ") + std::to_string(N) + " at " +
              addressList(At);
    C.Detail += "; string headers earlier calls left in the stack below the "
                "caller's frame disagree (" + Lens + ")";
  }
  // Bytes that some other string holds: the key may be any part of it (a
  // strings.Cut, TrimSpace or Split result), and the text runs to that
  // string's end, not the key's. Any header in the core covering the
  // key's first byte counts, except the map functions' own argument
  // slots and a header of exactly this key in the goroutine's stack (the
  // call that made it).
  //
  // One exception: when Go values hold headers that start exactly at the
  // key's data pointer, and all of them give the same length within the
  // text, the key is that piece of the longer string (strings.Fields,
  // Split and csv.Reader.Read store each field's header in the slice they
  // return; the map call's own copy of the length is lost).
  const uint64_t StackLo = Own.Lo >= (4u << 10) ? Own.Lo - (4u << 10) : 0,
                 StackHi = Own.Hi;
  constexpr uint64_t MaxBack = 64 << 10, MaxLen = 1 << 20;
  std::optional<HeaderRef> Longer;
  std::map<uint64_t, std::vector<uint64_t>> Starts; // length -> where
  for (const HeaderRef &H : headersCovering(P, Ptr, MaxBack, MaxLen)) {
    if (std::any_of(Skip.begin(), Skip.end(), [&](const auto &R) {
          return H.At + 16 > R.first && H.At < R.second;
        }))
      continue;
    const bool OnStack = H.At >= StackLo && H.At < StackHi;
    if (OnStack && H.Data == Ptr && H.Len == C.Words[1])
      continue;
    // Only where Go values are: this goroutine's stack, a heap object with
    // pointers, the program's globals (not the runtime's own off-heap
    // structures: an mcache's tiny block and offset look like a header).
    const ModuleData &MD = P.module();
    const bool Global = (H.At >= MD.Data && H.At < MD.EData) ||
                        (H.At >= MD.Bss && H.At < MD.EBss);
    if (!OnStack && !Global) {
      auto Obj = Heap ? (*Heap)->objectAt(H.At) : Expected<HeapObject>(makeError("no heap"));
      if (!Obj) {
        llvm::consumeError(Obj.takeError());
        continue;
      }
      if (Obj->NoScan)
        continue;
    }
    // Only a header of text counts (two unrelated words rarely are one).
    auto Text = P.memory().readBytes(H.Data, std::min<uint64_t>(H.Len, 4096));
    if (!Text) {
      llvm::consumeError(Text.takeError());
      continue;
    }
    if (textPrefix(*Text) != Text->size())
      continue;
    // (A header below the caller's frame is an earlier call's, dead: a
    // one-byte compare or the line a reader returned before it was
    // trimmed. It may still show the key lies in a longer string.)
    const bool BelowFrame = OnStack && User < St.Frames.size() &&
                            H.At < St.Frames[User].SP;
    if (H.Data == Ptr && !BelowFrame)
      Starts[H.Len].push_back(H.At);
    else if (H.Data != Ptr && !Longer)
      Longer = H;
  }
  auto Covering = [&](const HeaderRef &H) {
    return "the header at " + hex(H.At) + " gives " + std::to_string(H.Len) +
           " bytes at " + hex(H.Data) + " (" +
           (H.Data == Ptr ? "the same start"
                          : "from " + std::to_string(Ptr - H.Data) +
                                " bytes before") +
           ")";
  };
  // (Without a longer string around it, a header as long as the text may
  // be that of a string the key is a prefix of: a strings.Cut result.)
  bool Piece = false;
  if (Starts.size() == 1 && (Longer ? Starts.begin()->first <= C.Words[1]
                                    : Starts.begin()->first < C.Words[1])) {
    Piece = true;
    const auto &[N, At] = *Starts.begin();
    const std::string Text = std::to_string(C.Words[1]);
    C.Words[1] = N;
    C.Detail = "the data pointer is this call's (the spill slot at " +
               hex(Half->Slot) + "); its length is in no copy the call "
               "made, and the text there runs " + Text + " bytes" +
               (Longer ? " and is part of a longer string (" +
                             Covering(*Longer) + ")"
                       : "") +
               ", but every string header in Go values that starts at the "
               "key's first byte (at " + addressList(At) + "; such as the "
               "slice a strings.Fields, Split or a CSV reader returned) "
               "gives " + std::to_string(N) + " bytes: the key is taken as "
               "that piece";
  } else if (Longer || !Starts.empty()) {
    HeaderRef H;
    if (Longer) {
      H = *Longer;
    } else {
      H.Data = Ptr;
      H.Len = Starts.begin()->first;
      H.At = Starts.begin()->second.front();
    }
    C.Refuted = "the text at the key's data pointer lies in a longer string: " +
                Covering(H) + ", so the key may be any part of it";
    if (Longer && Starts.size() > 1)
      C.Refuted += "; headers starting at the key's first byte disagree on "
                   "its length";
  }
  // A conversion's stack buffer is reused by every conversion the loop
  // makes there: an earlier, longer one leaves its bytes after the key (a
  // scanner's token, string(runes[:k])), and every one of them returns
  // the same data pointer, so a header left below the frame may be any
  // earlier one's (a 6-byte one ending an 11-byte concatenation's key).
  if (InStackBuf && C.Refuted.empty())
    C.Refuted = "the text lies in a conversion's buffer in the goroutine's "
                "stack, which each conversion there reuses: an earlier, "
                "longer one's bytes may follow the key's, and any earlier "
                "one's header has the same data pointer";
  // The string taken so far is likely what the call that made the key
  // returned (a header left below the frame often is that call's); the
  // caller may still have cut it before the map call (a line's newline
  // trimmed). Re-executed taking the string as what the last call before
  // the map call that is not the runtime's returned (the runtime's
  // comparisons and conversions are computed): the length the caller
  // passes, when the data pointer it passes is the key's.
  // (Done by checkExtentAgainstCaller once the caller's own re-execution
  // is known to give nothing: it costs two more.)
  if (C.Refuted.empty() && !Piece) {
    auto D = Dead.find(C.Words[1]);
    C.CheckAgainstCaller = D != Dead.end() ? "the header left below the "
                                             "frame at " +
                                                 addressList(D->second) + " gives"
                                           : "the text there gives";
  }
  Out.push_back(std::move(C));
}

void FrameArgs::checkExtentAgainstCaller(const ArgSpec &A,
                                         std::vector<Candidate> &Out) const {
  for (const Candidate &C : Out)
    if (C.Src == Source::CallsiteDataflow && C.Refuted.empty())
      return;
  for (Candidate &C : Out) {
    if (C.Src != Source::DataExtent || C.CheckAgainstCaller.empty() ||
        !C.Refuted.empty() || C.Words.size() != 2)
      continue;
    const uint64_t Len = C.Words[1];
    if (auto N = passedOn(A, C.Words[0], Len, C.CheckAgainstCaller);
        N && *N != Len) {
      C.Detail += "; the caller, re-executed taking its last call before "
                  "the map call that is not one of the runtime's (the one "
                  "that made the key) to have returned these " +
                  std::to_string(Len) + " bytes, passes the first " +
                  std::to_string(*N) + ": the key is taken as those";
      C.Words[1] = *N;
    }
  }
}

std::optional<uint64_t> FrameArgs::passedOn(const ArgSpec &A, uint64_t Data,
                                            uint64_t Len,
                                            const std::string &Seen) const {
  const StackFrame *Cl = caller();
  auto Regs = argRegisters(P.arch(), A);
  if (!Cl || !Regs || Regs->size() != 2 || !Cl->Go || Cl->Exact)
    return std::nullopt;
  StringResultHint Hint;
  Hint.Data = Data;
  Hint.Len = Len;
  Hint.Why = "of " + std::to_string(Len) + " bytes at " + hex(Data) +
             " that " + Seen;
  StepBudget *Budget = Emu ? &Emu->budget() : nullptr;
  std::optional<uint64_t> Words[2];
  for (size_t K = 0; K < 2; ++K) {
    auto E = emulateRegisterAtCall(P, Cl->PC, Cl->SP, (*Regs)[K], nullptr,
                                   Budget, nullptr, nullptr, &Hint);
    if (!E) {
      llvm::consumeError(E.takeError());
      return std::nullopt;
    }
    Words[K] = E->Value;
  }
  if (*Words[0] != Data || !*Words[1] || *Words[1] > Len)
    return std::nullopt;
  return Words[1];
}

std::optional<std::pair<uint64_t, Confidence>>
FrameArgs::registerAtCallIn(size_t CallerIdx, int Reg, std::string &Detail,
                            unsigned Depth, std::string *Why) const {
  if (Depth > 3 || CallerIdx >= St.Frames.size())
    return std::nullopt;
  const StackFrame &Cl = St.Frames[CallerIdx];
  std::string RName = P.arch().regName(static_cast<unsigned>(Reg));
  auto Fail = [&](std::string Text) {
    if (Why)
      *Why = RName + " at the call in " + Cl.Function + ": " + Text;
    return std::nullopt;
  };
  if (!Cl.Go)
    return Fail("the caller is not Go code");
  if (Cl.Exact)
    return Fail("the caller was interrupted, not calling");
  CallSiteAnalysis Info;
  auto E = registerAtCall(P, Cl.PC, Reg, &Info);
  if (!E)
    return Fail(llvm::toString(E.takeError()));
  // Registers the caller got from its own caller, inside an address
  // expression (a field of the receiver: [rax+0x10] with rax from entry).
  auto Resolve = [&](int R) -> std::optional<uint64_t> {
    size_t Next = CallerIdx + 1;
    while (Next < St.Frames.size() && St.Frames[Next].Inlined)
      ++Next;
    std::string Sub;
    auto V = registerAtCallIn(Next, R, Sub, Depth + 1);
    if (!V || V->second == Confidence::Low)
      return std::nullopt;
    return V->first;
  };
  if (E->K == ValueExpr::Kind::Load && !E->Joins) {
    auto V = evaluate(P, *E, Cl.SP, Resolve);
    if (V) {
      Detail += (Detail.empty() ? "" : "; ") + RName + " = " + E->describe() +
                " before the call at " + hex(Info.CallPC) + " in " +
                Info.Caller + (V->FromGlobal ? " (read from memory as it is now)" : "");
      return std::make_pair(V->Value,
                            V->Exact ? Confidence::Exact : Confidence::High);
    }
    llvm::consumeError(V.takeError());
  } else if (E->known() && !E->Joins) {
    auto V = evaluate(P, *E, Cl.SP);
    if (V) {
      Detail += (Detail.empty() ? "" : "; ") + RName + " = " + E->describe() +
                " before the call at " + hex(Info.CallPC) + " in " +
                Info.Caller;
      return std::make_pair(V->Value,
                            V->Exact ? Confidence::Exact : Confidence::High);
    }
    llvm::consumeError(V.takeError());
  }
  if (E->K == ValueExpr::Kind::EntryReg && !E->Joins) {
    // Passed through unchanged from the caller's caller.
    size_t Next = CallerIdx + 1;
    while (Next < St.Frames.size() && St.Frames[Next].Inlined)
      ++Next;
    std::string Sub;
    auto V = registerAtCallIn(Next, E->Reg, Sub, Depth + 1);
    if (V) {
      Detail += (Detail.empty() ? "" : "; ") + RName + " passed through " +
                Info.Caller + " from its caller: " + Sub;
      return V;
    }
  }
  // Computed in registers: re-execute the caller's code. From its entry,
  // the registers it was called with are the ones its own caller had at
  // its call (Resolve: known there with more than low confidence).
  std::optional<EmulationResult> Em;
  // (Only for the first caller: each level asked costs a re-execution in
  // the level above.)
  EntryRegisters Entry = Depth == 0 ? EntryRegisters(Resolve) : nullptr;
  std::string EmError;
  if (Emu) {
    Em = Emu->get(Cl.PC, Cl.SP, Reg, Entry);
    if (!Em)
      EmError = Emu->error(Cl.PC, Cl.SP, Reg, Entry);
  } else if (auto E = emulateRegisterAtCall(P, Cl.PC, Cl.SP, Reg, Entry)) {
    Em = std::move(*E);
  } else {
    EmError = llvm::toString(E.takeError());
  }
  if (!Em)
    return Fail(EmError);
  Detail += (Detail.empty() ? "" : "; ") + RName + " computed by " +
            Info.Caller + ": " + Em->Detail +
            (Em->ReadsHeapOrGlobals ? " (reads heap or global memory as it is "
                                      "now)" : "");
  return std::make_pair(Em->Value, Em->ReadsHeapOrGlobals || Em->Uncertain
                                       ? Confidence::Low
                                       : Confidence::High);
}

void FrameArgs::fromDataflow(const ArgSpec &A, std::vector<Candidate> &Out,
                             std::string &Why) const {
  const StackFrame *Cl = caller();
  auto Regs = argRegisters(P.arch(), A);
  if (!Cl || !Regs)
    return;
  const size_t CallerIdx = static_cast<size_t>(Cl - St.Frames.data());
  Candidate C = exactCandidate(Source::CallsiteDataflow);
  std::string Detail;
  for (int Reg : *Regs) {
    auto V = registerAtCallIn(CallerIdx, Reg, Detail, 0, &Why);
    if (!V)
      return;
    C.Words.push_back(V->first);
    C.Conf = std::min(C.Conf, V->second);
  }
  C.Detail = Detail;
  Out.push_back(std::move(C));
}

} // namespace ms
