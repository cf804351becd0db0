#include "goruntime/Goroutines.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "goruntime/CodeRefs.h"
#include "goruntime/GoProgram.h"
#include "goruntime/StructView.h"
#include "loader/Target.h"
#include "support/ByteReader.h"

namespace ms {

namespace {

constexpr uint64_t MaxGoroutines = 10'000'000;
constexpr size_t MaxMs = 100'000;

const char *const RuntimeStatusNames[] = {
    "idle", "runnable", "running", "syscall", "waiting", "moribund_unused",
    "dead", "enqueue_unused", "copystack", "preempted", "leaked", "deadextra"};

// Does the word at Addr look like runtime.allgs: a slice of pointers to
// g structs whose goids are distinct and whose stacks make sense.
bool plausibleAllgs(const GoProgram &P, uint64_t Addr) {
  const Memory &M = P.memory();
  auto Slice = probe(readGoSlice(M, Addr));
  if (!Slice || Slice->Len == 0 || Slice->Len > Slice->Cap ||
      Slice->Len > MaxGoroutines || !Slice->Data)
    return false;
  std::set<uint64_t> Goids;
  uint64_t Check = std::min<uint64_t>(Slice->Len, 8);
  for (uint64_t I = 0; I < Check; ++I) {
    auto G = probe(M.readU64(Slice->Data + 8 * I));
    if (!G)
      return false;
    auto V = probe(StructView::read(M, P.layouts(), "runtime.g", *G));
    if (!V)
      return false;
    uint64_t Lo = V->getOr("stack.lo", 0), Hi = V->getOr("stack.hi", 0);
    uint64_t Goid = V->getOr("goid", 0);
    if (Hi && (Lo >= Hi || Hi - Lo > (1ull << 30)))
      return false;
    if (Goid > (1ull << 40) || !Goids.insert(Goid).second)
      return false;
  }
  return true;
}

bool plausibleAllm(const GoProgram &P, uint64_t Addr,
                   const std::set<int64_t> &Tids) {
  const Memory &M = P.memory();
  auto Head = probe(M.readU64(Addr));
  if (!Head)
    return false;
  uint64_t Cur = *Head;
  size_t Matched = 0;
  for (size_t N = 0; Cur && N < 64; ++N) {
    auto V = probe(StructView::read(M, P.layouts(), "runtime.m", Cur));
    if (!V)
      return false;
    if (Tids.count(static_cast<int64_t>(V->getOr("procid", 0))))
      ++Matched;
    Cur = V->getOr("alllink", 0);
  }
  return Matched > 0;
}

std::string statusText(const GoProgram &P, uint32_t Raw, uint64_t WaitReason,
                       std::string &Const, std::string &Reason) {
  const RuntimeLayouts &L = P.layouts();
  auto Name = probe(L.gStatusName(Raw & ~0x1000u));
  if (!Name) { // a status this Go version does not define: shown as a number
    Const = "status " + std::to_string(Raw);
    return Const;
  }
  Const = *Name;
  uint32_t Base = Raw & ~0x1000u;
  std::string S = Base < std::size(RuntimeStatusNames)
                      ? RuntimeStatusNames[Base]
                      : llvm::StringRef(*Name).drop_front(2).lower();
  if (Const == "_Gwaiting" && WaitReason) {
    // An unknown reason leaves the plain status.
    if (auto R = probe(L.waitReason(WaitReason)); R && !R->empty()) {
      Reason = *R;
      S = *R;
    }
  }
  if (Raw & 0x1000u)
    S += " (scan)";
  return S;
}

bool isSystemStart(const GoProgram &P, uint64_t StartPC) {
  auto F = probe(P.pclntab().findFunc(StartPC));
  if (!F) // not a Go function: not the runtime's
    return false;
  llvm::StringRef N = F->Name;
  // runtime.isSystemGoroutine: runtime functions other than runtime.main
  // (and user finalizer goroutines, which we cannot tell apart here).
  return N.startswith("runtime.") && N != "runtime.main" &&
         !N.startswith("runtime.main.");
}

// The g a thread's TLS slot (or g register) holds; 0 when unknown.
uint64_t currentG(const Memory &M, const Arch &A, const RegisterSet &Regs) {
  if (auto Slot = A.tlsGSlot(Regs)) {
    auto G = M.readU64(*Slot);
    if (G)
      return *G;
    // The thread then reads as having no g in TLS, without the address
    // that could not be read.
    llvm::consumeError(G.takeError());
    return 0;
  }
  if (auto GR = A.goGReg())
    return Regs.get(*GR).value_or(0);
  return 0;
}

// The goroutine a thread on M runs, and what it is doing.
void describeOnM(ThreadInfo &TI, const MInfo &MI) {
  if (TI.TlsG && TI.TlsG != MI.G0 && TI.TlsG != MI.GSignal) {
    TI.CurG = TI.TlsG;
  } else {
    TI.CurG = MI.CurG;
  }
  TI.What = TI.TlsG == MI.G0       ? "on g0 (system stack)"
            : TI.TlsG == MI.GSignal ? "on gsignal (signal stack)"
            : TI.TlsG              ? "on a goroutine stack"
                                   : "no g in TLS";
}

} // namespace

const GoroutineInfo *GoroutineSet::byGoid(int64_t Goid) const {
  for (const auto &G : Goroutines)
    if (G.Goid == Goid && !G.Dead())
      return &G;
  return nullptr;
}
const GoroutineInfo *GoroutineSet::byG(uint64_t G) const {
  if (GIndexed == Goroutines.size() && !Goroutines.empty()) {
    auto It = GIndex.find(G);
    return It == GIndex.end() ? nullptr : &Goroutines[It->second];
  }
  for (const auto &X : Goroutines)
    if (X.G == G)
      return &X;
  return nullptr;
}
void GoroutineSet::indexG() {
  GIndex.clear();
  GIndex.reserve(Goroutines.size());
  for (size_t I = 0; I < Goroutines.size(); ++I)
    GIndex.emplace(Goroutines[I].G, I); // keeps the first of duplicates
  GIndexed = Goroutines.size();
}
const MInfo *GoroutineSet::mByAddr(uint64_t M) const {
  for (const auto &X : Ms)
    if (X.M == M)
      return &X;
  return nullptr;
}
const ThreadInfo *GoroutineSet::crashedThread() const {
  for (const auto &T : Threads)
    if (T.Crashed)
      return &T;
  return nullptr;
}
const GoroutineInfo *GoroutineSet::faulting() const {
  const ThreadInfo *T = crashedThread();
  if (!T || !T->CurG)
    return nullptr;
  return byG(T->CurG);
}
const ThreadInfo *GoroutineSet::threadOf(const GoroutineInfo &G) const {
  for (const auto &T : Threads)
    if (T.CurG == G.G)
      return &T;
  return nullptr;
}

ThreadInfo identifyThread(const GoProgram &P, const GoroutineSet &S, int Tid,
                          const RegisterSet &Regs) {
  ThreadInfo TI;
  TI.Tid = Tid;
  TI.Regs = Regs;
  TI.TlsG = currentG(P.memory(), P.arch(), Regs);
  for (size_t I = 0; I < S.Ms.size(); ++I)
    if (S.Ms[I].ProcId == Tid)
      TI.M = I;
  if (!TI.M && TI.TlsG)
    for (size_t I = 0; I < S.Ms.size(); ++I) {
      const MInfo &MI = S.Ms[I];
      if (MI.G0 == TI.TlsG || MI.GSignal == TI.TlsG || MI.CurG == TI.TlsG)
        TI.M = I;
    }
  if (!TI.M) {
    TI.What = "no Go M (a thread the Go runtime does not know)";
    return TI;
  }
  describeOnM(TI, S.Ms[*TI.M]);
  return TI;
}

namespace {

// readGoroutines, one part of the runtime's state at a time: the Ms (from
// runtime.allm, and from the threads' TLS g), the threads, the goroutines
// (from runtime.allgs).
class GoroutineReader {
public:
  GoroutineReader(const GoProgram &P, Warnings &W)
      : P(P), Mem(P.memory()), L(P.layouts()), W(W) {}

  Expected<GoroutineSet> read();

private:
  Expected<std::vector<uint64_t>> readAllgs();
  void readAllm(const std::set<int64_t> &Tids);
  MInfo *addM(uint64_t MAddr);
  void readThreads();
  void readGoroutine(uint64_t Index, uint64_t G);
  // The fields of runtime.g read for every goroutine, looked up once.
  struct GFields {
    std::optional<LayoutField> Goid, Status, WaitReason, WaitSince, M, StackLo, StackHi, SP, PC, BP, LR, Ctxt, SyscallSP, SyscallPC, GoPC, StartPC, LockedM, ParentGoid;
  };
  const GFields &gFields();

  const GoProgram &P;
  const Memory &Mem;
  const RuntimeLayouts &L;
  Warnings &W;
  GoroutineSet S;
  std::set<uint64_t> SeenM;
  std::optional<GFields> GF;
  std::unordered_map<uint64_t, bool> SystemStart; // by start PC
};

const GoroutineReader::GFields &GoroutineReader::gFields() {
  if (GF)
    return *GF;
  auto Field = [&](llvm::StringRef Path) {
    return probe(L.field("runtime.g", Path)); // absent in this Go version
  };
  GF.emplace();
  GF->Goid = Field("goid");
  GF->Status = Field("atomicstatus");
  GF->WaitReason = Field("waitreason");
  GF->WaitSince = Field("waitsince");
  GF->M = Field("m");
  GF->StackLo = Field("stack.lo");
  GF->StackHi = Field("stack.hi");
  GF->SP = Field("sched.sp");
  GF->PC = Field("sched.pc");
  GF->BP = Field("sched.bp");
  GF->LR = Field("sched.lr");
  GF->Ctxt = Field("sched.ctxt");
  GF->SyscallSP = Field("syscallsp");
  GF->SyscallPC = Field("syscallpc");
  GF->GoPC = Field("gopc");
  GF->StartPC = Field("startpc");
  GF->LockedM = Field("lockedm");
  GF->ParentGoid = Field("parentGoid");
  return *GF;
}

Expected<GoroutineSet> GoroutineReader::read() {
  std::set<int64_t> Tids;
  for (const auto &Thread : P.target().threads())
    Tids.insert(Thread.Tid);
  auto Gs = readAllgs();
  if (!Gs)
    return Gs.takeError();
  readAllm(Tids);
  readThreads();
  S.Goroutines.reserve(Gs->size());
  for (uint64_t I = 0; I < Gs->size(); ++I) {
    if ((*Gs)[I])
      readGoroutine(I, (*Gs)[I]);
    // Thousands of goroutines: their pages need not stay in RAM.
    if ((I + 1) % ReleaseEveryGoroutines == 0)
      Mem.releaseResident();
  }
  S.indexG();
  return std::move(S);
}

// The g pointers of runtime.allgs (nil entries included).
Expected<std::vector<uint64_t>> GoroutineReader::readAllgs() {
  S.AllgsAddr = findGlobal(
      P, "runtime.allgs", {"runtime.allgadd", "runtime.forEachG", "runtime.checkdead"},
      [&](uint64_t Addr) { return plausibleAllgs(P, Addr); }, S.AllgsHow, W);
  if (!S.AllgsAddr)
    return makeError("cannot find runtime.allgs (no symbol, no DWARF, and "
                     "no plausible slice among the data runtime.allgadd uses)");
  auto AllG = readGoSlice(Mem, S.AllgsAddr);
  if (!AllG)
    return addContext(AllG.takeError(), "reading runtime.allgs");
  const uint64_t N = AllG->Len;
  if (N > AllG->Cap || N > MaxGoroutines)
    return makeError("runtime.allgs at {0} has implausible length {1} "
                     "(capacity {2})",
                     hex(S.AllgsAddr), N, AllG->Cap);
  auto PtrBytes = Mem.readBytes(AllG->Data, N * 8);
  if (!PtrBytes)
    return addContext(PtrBytes.takeError(), "reading the runtime.allgs array");
  const ByteReader Ptrs(*PtrBytes);
  std::vector<uint64_t> Gs;
  for (uint64_t I = 0; I < N; ++I) {
    auto Ptr = Ptrs.word(I);
    if (!Ptr) {
      W.addf("allgs[{0}] lies past the {1} bytes read", I, Ptrs.size());
      break;
    }
    Gs.push_back(*Ptr);
  }
  return Gs;
}

void GoroutineReader::readAllm(const std::set<int64_t> &Tids) {
  S.AllmAddr = findGlobal(
      P, "runtime.allm", {"runtime.mcommoninit", "runtime.checkdead"},
      [&](uint64_t Addr) { return plausibleAllm(P, Addr, Tids); }, S.AllmHow, W);
  if (!S.AllmAddr) {
    W.add("cannot find runtime.allm; Ms are found through the threads' TLS only");
    return;
  }
  auto Head = Mem.readU64(S.AllmAddr);
  if (!Head) {
    W.add(Head.takeError(), "runtime.allm");
    return;
  }
  uint64_t Cur = *Head;
  for (size_t I = 0; Cur && I < MaxMs; ++I) {
    if (!addM(Cur))
      break;
    // addM read this m already (and warned when it could not).
    auto V = probe(StructView::read(Mem, L, "runtime.m", Cur));
    Cur = V ? V->getOr("alllink", 0) : 0;
  }
}

// The m at MAddr, added to S.Ms; nullptr when it is there already, cannot
// be read, or there are too many.
MInfo *GoroutineReader::addM(uint64_t MAddr) {
  if (!MAddr || SeenM.count(MAddr) || S.Ms.size() >= MaxMs)
    return nullptr;
  auto V = StructView::read(Mem, L, "runtime.m", MAddr);
  if (!V) {
    W.add(V.takeError(), "runtime.m");
    return nullptr;
  }
  SeenM.insert(MAddr);
  MInfo MI;
  MI.M = MAddr;
  MI.Id = static_cast<int64_t>(V->getOr("id", 0));
  MI.ProcId = static_cast<int64_t>(V->getOr("procid", 0));
  MI.G0 = V->getOr("g0", 0);
  MI.GSignal = V->getOr("gsignal", 0);
  MI.CurG = V->getOr("curg", 0);
  auto StackOf = [&](uint64_t G, uint64_t &Lo, uint64_t &Hi) {
    if (!G)
      return;
    auto GV = StructView::read(Mem, L, "runtime.g", G);
    if (!GV) {
      W.add(GV.takeError(), "m.g0/gsignal");
      return;
    }
    Lo = GV->getOr("stack.lo", 0);
    Hi = GV->getOr("stack.hi", 0);
  };
  StackOf(MI.G0, MI.G0StackLo, MI.G0StackHi);
  StackOf(MI.GSignal, MI.GSignalStackLo, MI.GSignalStackHi);
  S.Ms.push_back(MI);
  return &S.Ms.back();
}

// Each core thread's M by procid, else through its TLS g.
void GoroutineReader::readThreads() {
  const Arch &A = P.target().arch();
  for (const auto &CT : P.target().threads()) {
    ThreadInfo TI;
    TI.Tid = CT.Tid;
    TI.Crashed = CT.Crashed;
    TI.Regs = CT.Regs;
    TI.TlsG = currentG(Mem, A, CT.Regs);
    S.Threads.push_back(TI);
  }
  for (size_t TIdx = 0; TIdx < S.Threads.size(); ++TIdx) {
    ThreadInfo &TI = S.Threads[TIdx];
    std::optional<size_t> MIdx;
    for (size_t I = 0; I < S.Ms.size(); ++I)
      if (S.Ms[I].ProcId == TI.Tid)
        MIdx = I;
    if (!MIdx && TI.TlsG) {
      // A TLS g that cannot be read leads to no M.
      if (auto GV = probe(StructView::read(Mem, L, "runtime.g", TI.TlsG))) {
        uint64_t MAddr = GV->getOr("m", 0);
        if (const MInfo *Known = S.mByAddr(MAddr))
          MIdx = static_cast<size_t>(Known - S.Ms.data());
        else if (addM(MAddr))
          MIdx = S.Ms.size() - 1;
      }
    }
    if (!MIdx) {
      TI.What = "no Go M (a thread the Go runtime does not know)";
      continue;
    }
    TI.M = MIdx;
    MInfo &MI = S.Ms[*MIdx];
    MI.Thread = TIdx;
    if (MI.ProcId && MI.ProcId != TI.Tid)
      W.addf("thread {0}: its TLS g belongs to m{1} whose procid is {2}",
             TI.Tid, MI.Id, MI.ProcId);
    describeOnM(TI, MI);
  }
}

// allgs[Index], the g at G.
void GoroutineReader::readGoroutine(uint64_t Index, uint64_t G) {
  auto V = StructView::read(Mem, L, "runtime.g", G);
  if (!V) {
    W.add(V.takeError(), "allgs[" + std::to_string(Index) + "]");
    return;
  }
  const GFields &F = gFields();
  GoroutineInfo GI;
  GI.G = G;
  GI.Goid = static_cast<int64_t>(V->getOr(F.Goid, 0));
  GI.RawStatus = static_cast<uint32_t>(V->getOr(F.Status, 0));
  GI.Status = statusText(P, GI.RawStatus, V->getOr(F.WaitReason, 0),
                         GI.StatusConst, GI.WaitReason);
  GI.WaitSince = V->getOr(F.WaitSince, 0);
  GI.M = V->getOr(F.M, 0);
  GI.StackLo = V->getOr(F.StackLo, 0);
  GI.StackHi = V->getOr(F.StackHi, 0);
  GI.Sched.SP = V->getOr(F.SP, 0);
  GI.Sched.PC = V->getOr(F.PC, 0);
  GI.Sched.BP = V->getOr(F.BP, 0);
  GI.Sched.LR = V->getOr(F.LR, 0);
  GI.Sched.Ctxt = V->getOr(F.Ctxt, 0);
  GI.SyscallSP = V->getOr(F.SyscallSP, 0);
  GI.SyscallPC = V->getOr(F.SyscallPC, 0);
  GI.GoPC = V->getOr(F.GoPC, 0);
  GI.StartPC = V->getOr(F.StartPC, 0);
  GI.LockedM = V->getOr(F.LockedM, 0);
  if (F.ParentGoid)
    GI.ParentGoid = static_cast<int64_t>(V->getOr(F.ParentGoid, 0));
  auto [Start, New] = SystemStart.try_emplace(GI.StartPC, false);
  if (New)
    Start->second = isSystemStart(P, GI.StartPC);
  GI.System = Start->second;
  if (const MInfo *MI = S.mByAddr(GI.M)) {
    GI.MId = MI->Id;
    if (MI->CurG == G && MI->Thread)
      GI.Tid = S.Threads[*MI->Thread].Tid;
  }
  S.Goroutines.push_back(std::move(GI));
}

} // namespace

Expected<GoroutineSet> readGoroutines(const GoProgram &P, Warnings &W) {
  return GoroutineReader(P, W).read();
}

} // namespace ms
