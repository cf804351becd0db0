#include "mapfault/Emulator.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringSwitch.h>
#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/MathExtras.h>
#include <llvm/Support/raw_ostream.h>

#include "disasm/Disassembler.h"
#include "goruntime/GoProgram.h"
#include "goruntime/GoValue.h"
#include "goruntime/GoVersions.h"
#include "goruntime/Types.h"
#include "mapfault/CallSite.h"
#include "mapfault/MapFunctions.h"
#include "mapfault/MapKeys.h"
#include "mapfault/MapState.h"

namespace ms {

using namespace disasm;

namespace {

constexpr size_t MaxSteps = 50000;

struct Val {
  bool Known = false;
  uint64_t V = 0;
  bool Heap = false; // derived from heap/global memory read now
};

Val known(uint64_t V, bool Heap = false) { return {true, V, Heap}; }
Val unknown() { return {}; }
Val combine(bool K, uint64_t V, const Val &A, const Val &B) {
  return {K && A.Known && B.Known, V, A.Heap || B.Heap};
}

uint64_t mask(unsigned Size) {
  return Size >= 8 ? ~0ull : ((1ull << (8 * Size)) - 1);
}
int64_t sext(uint64_t V, unsigned Size) {
  if (Size >= 8)
    return static_cast<int64_t>(V);
  unsigned B = 8 * Size;
  uint64_t M = 1ull << (B - 1);
  V &= mask(Size);
  return static_cast<int64_t>((V ^ M) - M);
}

// The mnemonics the re-execution interprets, decoded once per instruction:
// comparing strings at every step was most of its cost.
enum class Mn : uint8_t {
  other,
  i_add,
  i_and,
  i_bt,
  i_bsf,
  i_bsr,
  i_lzcnt,
  i_popcnt,
  i_tzcnt,
  i_cdqe,
  i_cmp,
  i_cqo,
  i_sbb,
  i_adc,
  i_cdq,
  i_div,
  i_idiv,
  i_dec,
  i_endbr64,
  i_imul,
  i_inc,
  i_lea,
  i_mov,
  i_movabs,
  i_movaps,
  i_movd,
  i_movdqu,
  i_movq,
  i_movsx,
  i_movsxd,
  i_movups,
  i_movzx,
  i_mul,
  i_neg,
  i_nop,
  i_not,
  i_or,
  i_pause,
  i_pop,
  i_push,
  i_rol,
  i_ror,
  i_sal,
  i_sar,
  i_shl,
  i_shr,
  i_sub,
  i_test,
  i_xchg,
  i_xor,
};

Mn mnemonicKind(llvm::StringRef M) {
  return llvm::StringSwitch<Mn>(M)
      .Case("add", Mn::i_add)
      .Case("and", Mn::i_and)
      .Case("bt", Mn::i_bt)
      .Case("bsf", Mn::i_bsf)
      .Case("bsr", Mn::i_bsr)
      .Case("lzcnt", Mn::i_lzcnt)
      .Case("popcnt", Mn::i_popcnt)
      .Case("tzcnt", Mn::i_tzcnt)
      .Case("cdqe", Mn::i_cdqe)
      .Case("cmp", Mn::i_cmp)
      .Case("cqo", Mn::i_cqo)
      .Case("sbb", Mn::i_sbb)
      .Case("adc", Mn::i_adc)
      .Case("cdq", Mn::i_cdq)
      .Case("div", Mn::i_div)
      .Case("idiv", Mn::i_idiv)
      .Case("dec", Mn::i_dec)
      .Case("endbr64", Mn::i_endbr64)
      .Case("imul", Mn::i_imul)
      .Case("inc", Mn::i_inc)
      .Case("lea", Mn::i_lea)
      .Case("mov", Mn::i_mov)
      .Case("movabs", Mn::i_movabs)
      .Case("movaps", Mn::i_movaps)
      .Case("movd", Mn::i_movd)
      .Case("movdqu", Mn::i_movdqu)
      .Case("movq", Mn::i_movq)
      .Case("movsx", Mn::i_movsx)
      .Case("movsxd", Mn::i_movsxd)
      .Case("movups", Mn::i_movups)
      .Case("movzx", Mn::i_movzx)
      .Case("mul", Mn::i_mul)
      .Case("neg", Mn::i_neg)
      .Case("nop", Mn::i_nop)
      .Case("not", Mn::i_not)
      .Case("or", Mn::i_or)
      .Case("pause", Mn::i_pause)
      .Case("pop", Mn::i_pop)
      .Case("push", Mn::i_push)
      .Case("rol", Mn::i_rol)
      .Case("ror", Mn::i_ror)
      .Case("sal", Mn::i_sal)
      .Case("sar", Mn::i_sar)
      .Case("shl", Mn::i_shl)
      .Case("shr", Mn::i_shr)
      .Case("sub", Mn::i_sub)
      .Case("test", Mn::i_test)
      .Case("xchg", Mn::i_xchg)
      .Case("xor", Mn::i_xor)
      .Default(Mn::other);
}

// The instruction set a function is re-executed in (amd64 or arm64: the
// instruction semantics), and its registers, from the Arch.
struct Isa {
  bool Arm64 = false;
  int SP = -1;
  int NumRegs = 0; // integer registers tracked: DWARF 0..NumRegs-1
  int ZeroVector = -100; // ABIInternal's zero vector register, if any
};

struct Code {
  Isa I;
  // The program's decoded function (GoProgram::decodedFunction), not a copy.
  llvm::ArrayRef<Instruction> Insns;
  std::vector<Mn> Kinds; // mnemonicKind of each instruction
  std::map<uint64_t, size_t> Index;
  // Conditional jumps one way of which soon calls what never comes back to
  // this path (the stack check's morestack, a runtime panic): a path that
  // reached the call went the other way. Index -> taken.
  std::map<size_t, bool> KnownBranches;
  uint64_t Entry = 0;
  // The lowest frame offset (from the SP of the frame's body) whose
  // address some instruction computes: a local whose address is taken, so
  // a pointer may reach it and what lies above it. Slots below it cannot be
  // reached through a pointer. Unset: no address in the frame is taken.
  std::optional<uint64_t> LowestTakenOffset = 0;
  std::vector<size_t> Starts; // where re-executions start (startPoints)
};

// The lowest address of a frame (whose SP is FrameLo, entered with EntrySP)
// that a pointer may reach: its slots whose address the function takes and
// those above them, and the frame of its caller above the entry SP.
uint64_t pointerReachableFrom(const Code &C, uint64_t FrameLo,
                              uint64_t EntrySP) {
  return C.LowestTakenOffset
             ? std::min(FrameLo + *C.LowestTakenOffset, EntrySP)
             : EntrySP;
}

Expected<const Code *> decodeFor(const GoProgram &P, uint64_t PC,
                                 StepBudget *Budget, std::optional<Code> &Own);
bool callsNoReturn(const GoProgram &P, uint64_t Target);
bool isStringHelper(llvm::StringRef Name);

// Whether a return run may follow a call of the function so named: not
// the runtime's (it allocates, schedules and synchronizes: what it returns
// depends on state the core no longer has), but for its string helpers.
bool followableCallee(llvm::StringRef Name) {
  if (isStringHelper(Name))
    return true;
  return !Name.startswith("runtime.") && !Name.startswith("internal/runtime/") &&
         !Name.startswith("sync.");
}

// How far below its entry SP function Fn (decoded as C) moves its SP.
uint64_t deepestFrame(const GoProgram &P, const Func &Fn, const Code &C) {
  uint64_t Deepest = 0;
  for (const auto &I : C.Insns) {
    auto D = P.pclntab().spDelta(Fn, I.Addr);
    if (!D) { // (the padding after the function has no SP)
      llvm::consumeError(D.takeError());
      continue;
    }
    Deepest = std::max<uint64_t>(Deepest, static_cast<uint64_t>(std::max<int64_t>(*D, 0)));
  }
  return Deepest;
}

// Whether instruction S follows a call (a re-execution start there takes
// what that call returned, if anything).
bool afterCall(const Code &C, size_t S) {
  return S > 0 && C.Insns[S - 1].Class == InsnClass::Call;
}

struct FlagState {
  bool Known = false;
  uint64_t Res = 0, A = 0, B = 0;
  unsigned Size = 8;
  enum Kind { Sub, Logic, Add } K = Logic;
  bool Heap = false; // computed from memory others may have changed
};

// The condition bits of a known FlagState: zero, sign, carry (x86's: a
// borrow after a subtraction) and signed overflow.
struct FlagBits {
  bool Zero = false, Sign = false, Carry = false, Overflow = false;
};

// A byte the path stored: whether its value is known, and whether it was
// computed from heap or global memory as it is now (then it proves nothing
// against the core, and a load of it reads memory as it is now). A store
// on a path some branch of which was decided by such memory is not itself
// from memory: if it differs from the core, that path (as re-executed)
// did not run.
struct OverlayByte {
  bool Known = false;
  uint8_t Byte = 0;
  bool Heap = false;
};

struct StoreRec {
  uint64_t Addr;
  unsigned Size;
  int SrcReg; // -1 when not a plain register store
  size_t Step;
  uint64_t Addend = 0; // the value stored is SrcReg's plus this
  // The store instruction's index when it is not the step's (a store
  // further on that every path passes, recorded at an earlier step).
  std::optional<size_t> Insn = std::nullopt;
};

struct Seed {
  int Reg;
  uint64_t V;
  uint64_t Slot = 0;      // the stack slot whose core value gave it
  uint64_t SlotValue = 0; // that value
  size_t StoreInsn = 0;   // instruction index of the path's store there
  uint64_t Addend = 0;    // the store's value is the register's plus this
};

// A reached run whose own stores to the caller's frame are not what the
// core holds there: the path did not run (the frame is frozen at the call).
struct Contradiction {
  uint64_t Addr = 0;     // the slot
  unsigned Size = 0;     // the store's width
  uint64_t PathValue = 0, CoreValue = 0;
  size_t StoreIndex = 0; // instruction index of the store
};

struct Run {
  bool Reached = false;
  std::optional<Contradiction> Contradicted;
  std::string Fail;
  Val Target;
  std::vector<size_t> Trace;             // instruction index per step
  std::vector<int> DestReg;              // register written per step (-1)
  std::vector<Val> DestVal;              // its value after the step
  std::vector<std::optional<Seed>> Applied;
  std::vector<StoreRec> Stores;
  std::map<uint64_t, size_t> LastWrite; // byte address -> last step writing it
  bool UnknownStore = false; // stored through a pointer it did not know
  // Branches on an unknown condition decided because only one way could
  // reach the call without passing another.
  size_t Pruned = 0;
};

bool reachable(const Code &C, size_t Start, std::optional<size_t> Stop,
               size_t Target, std::set<size_t> &Seen);

class Machine {
public:
  Machine(const GoProgram &P, const Code &C, uint64_t EntrySP,
          uint64_t FrameLo, uint64_t FrameHi)
      : P(P), C(C), EntrySP(EntrySP), FrameLo(FrameLo), FrameHi(FrameHi) {}

  // Frame bytes from this address up are the caller's alone while the
  // callee runs (below: the callee's argument and spill area): a reached
  // run's last store there must be what the core holds. Unset: no check.
  void setCallerOwnsFrom(std::optional<uint64_t> A) { OwnsFrom = A; }

  // Runs from the function's entry take the registers the caller passed
  // from this, the first time one is read before being written.
  void setEntryRegisters(const EntryRegisters *E, std::vector<int> Which) {
    Entry = E;
    EntryRegs = 0;
    for (int R : Which)
      if (R >= 0 && R < 64)
        EntryRegs |= 1ull << R;
  }
  bool usedEntryRegisters() const { return UsedEntry; }

  // A branch on an unknown condition takes the only way from which the
  // call run() runs to can be reached without passing another call.
  void setPrune(bool On) { Prune = On; }

  // Runs that start right after a call take the registers that call
  // returned (Go's results come back in the argument registers) from
  // this, the first time one is read before being written.
  using Results = std::function<std::optional<Val>(int Reg)>;
  void setStartResults(const Results *Rs, std::vector<int> Which) {
    StartResults = Rs;
    ResultRegs = 0;
    for (int R : Which)
      if (R >= 0 && R < 64)
        ResultRegs |= 1ull << R;
  }
  bool usedStartResults() const { return UsedResults; }
  // Instructions executed by every run of this machine so far.
  uint64_t executed() const { return Executed; }

  // A run of a callee that returned long ago: it stops at its first return
  // (Target is not used), and the stack it finds (its own frame, the
  // argument area, its caller's frame as it is now) is not what it read
  // then: a read there the path did not write is unknown.
  // Also dead: the caller's frame bytes its path wrote after the call
  // (CallerWrites), and all of them from CallerDeadFrom up when that path
  // stored through a pointer it did not know.
  void setReturnRun(uint64_t DeadLo, uint64_t DeadHi,
                    const std::map<uint64_t, size_t> *CallerWrites,
                    std::optional<uint64_t> CallerDeadFrom) {
    StopAtRet = true;
    Dead = {DeadLo, DeadHi};
    DeadWrites = CallerWrites;
    DeadFrom = CallerDeadFrom;
  }

  // The caller's frame bytes written after the call being run to, before
  // the point the core was saved at: the core holds their later values, so
  // a read there the run did not write itself is unknown.
  // Known: of those bytes, the ones whose value at the call is proven.
  void setWrittenLater(const std::map<uint64_t, size_t> *W,
                       const std::map<uint64_t, uint8_t> *Known = nullptr) {
    DeadWrites = W;
    DeadKnown = Known;
  }

  // Runs from instruction index Start to the CALL at index Target.
  Run run(size_t Start, size_t Target, int Reg,
          const std::map<uint64_t, size_t> *LaterWrites,
          const std::map<size_t, Seed> &Seeds);

  // Can execution starting at Start reach Target without passing another
  // call? Follows both ways of branches whose condition is unknown.
  enum class Reach { No, Yes, Unknown };
  Reach mayReach(size_t Start, size_t Target, std::string &Why);

  // A return run (setReturnRun) from the function's entry along every path
  // (both ways of a branch it cannot decide, up to a few paths): Reg at the
  // returns, when every path that returns agrees (a path that panics never
  // returned). Steps: instructions executed on all paths.
  std::optional<Val> returnValue(int Reg, std::string &Why, size_t &Steps);

  // Calls a return run meets are followed, Depth levels down: a Go
  // function is re-executed in turn from its entry with the registers it
  // is passed (a return run of its own), a string search of
  // internal/bytealg is computed from the bytes it searches. Without this,
  // a call ends the run.
  void setNestedCalls(StepBudget *B, int Depth) {
    Budget = B;
    NestDepth = Depth;
  }
  // The functions the return runs followed, in the order met.
  const std::vector<std::string> &followed() const { return Followed; }

private:
  Val reg(int R, unsigned Size, bool High = false) const {
    if (R < 0 || R >= C.I.NumRegs) {
      if (R == C.I.ZeroVector || R == ZeroReg)
        return known(0);
      return unknown();
    }
    if (FromEntry && Entry && (EntryRegs >> R & 1) && !(Written >> R & 1)) {
      Written |= 1ull << R; // asked once per run
      if (auto V = (*Entry)(R)) {
        Regs[static_cast<size_t>(R)] = known(*V);
        UsedEntry = true;
      }
    }
    if (AfterCall && StartResults && (ResultRegs >> R & 1) &&
        !(Written >> R & 1)) {
      Written |= 1ull << R;
      if (auto V = (*StartResults)(R)) {
        Regs[static_cast<size_t>(R)] = *V;
        UsedResults = true;
      }
    }
    Val X = Regs[static_cast<size_t>(R)];
    if (High)
      X.V >>= 8;
    X.V &= mask(Size);
    return X;
  }
  void setReg(int R, unsigned Size, Val X, bool High = false) {
    if (R < 0 || R >= C.I.NumRegs)
      return;
    Written |= 1ull << R;
    Val &D = Regs[static_cast<size_t>(R)];
    if (High) {
      D = {D.Known && X.Known, (D.V & ~0xff00ull) | ((X.V & 0xff) << 8),
           D.Heap || X.Heap};
      return;
    }
    if (Size >= 4) { // 32-bit writes zero-extend
      D = X;
      D.V &= mask(Size);
      return;
    }
    D = {D.Known && X.Known, (D.V & ~mask(Size)) | (X.V & mask(Size)),
         D.Heap || X.Heap};
  }
  std::optional<uint64_t> address(const MemOperand &M) const {
    if (M.FsSegment)
      return std::nullopt;
    if (M.Absolute)
      return *M.Absolute;
    uint64_t A = static_cast<uint64_t>(M.Disp);
    if (M.Base >= 0) {
      Val B = reg(M.Base, 8);
      if (!B.Known)
        return std::nullopt;
      A += B.V;
    }
    if (M.Index >= 0) {
      Val I = reg(M.Index, 8);
      if (!I.Known)
        return std::nullopt;
      A += I.V * static_cast<uint64_t>(M.Scale);
    }
    return A;
  }
  Val load(const MemOperand &M, unsigned Size);
  void store(const MemOperand &M, unsigned Size, Val X, int SrcReg);
  // A store through a pointer the run does not know.
  void forgetUnknownStore();
  Val read(const Operand &O) {
    unsigned S = O.Size ? O.Size : 8;
    switch (O.Kind) {
    case OpKind::Reg: return reg(O.Reg, S, O.HighByte);
    case OpKind::Imm: return known(static_cast<uint64_t>(O.Imm) & mask(S));
    case OpKind::Mem: return load(O.Mem, S);
    }
    return unknown();
  }
  void write(const Operand &O, Val X, int SrcReg = -1) {
    unsigned S = O.Size ? O.Size : 8;
    if (O.Kind == OpKind::Reg) {
      setReg(O.Reg, S, X, O.HighByte);
      LastDest = O.Reg;
    } else if (O.Kind == OpKind::Mem) {
      store(O.Mem, S, X, SrcReg);
    }
  }
  FlagBits flagBits() const;
  std::optional<bool> cond(llvm::StringRef CC) const;
  std::optional<bool> condArm64(int CC) const;
  bool step(const Instruction &I, std::string &Fail, size_t &Next, bool &Jumped);
  bool unmodelled(const Instruction &I, std::string &Fail, bool FlagsToo);
  // step's amd64 instruction groups: each steps the instructions it knows
  // (the step's result) and gives nullopt for the others.
  struct Amd64Insn {
    const Instruction &I;
    llvm::StringRef M;             // mnemonic
    Mn Op;                         // its kind
    const std::vector<Operand> &O; // operands
  };
  unsigned amd64Size(const Amd64Insn &In, size_t K) const; // operand K's
  std::optional<bool> amd64Move(const Amd64Insn &In, std::string &Fail);
  std::optional<bool> amd64Alu(const Amd64Insn &In);
  std::optional<bool> amd64MulDiv(const Amd64Insn &In, std::string &Fail);
  std::optional<bool> amd64CondSet(const Amd64Insn &In);
  std::optional<bool> amd64RepStos(const Amd64Insn &In);
  std::optional<bool> amd64Stack(const Amd64Insn &In, std::string &Fail);
  std::optional<bool> amd64Control(const Amd64Insn &In, std::string &Fail,
                                   size_t &Next, bool &Jumped);
  bool stepArm64(const Instruction &I, std::string &Fail, size_t &Next,
                 bool &Jumped);
  // stepArm64's instruction groups: each steps the instructions it knows
  // (the step's result) and gives nullopt for the others.
  struct Arm64Insn {
    const Instruction &I;
    llvm::StringRef M;            // mnemonic
    const std::vector<Operand> &O; // operands
    unsigned S;                    // destination size
  };
  unsigned arm64DestSize(const Instruction &I) const;
  void arm64Dest(const Instruction &I, Val X);
  Val arm64Src(const Arm64Insn &In, size_t K) {
    return operandArm64(In.O[K], In.S);
  }
  std::optional<bool> arm64Control(const Arm64Insn &In, std::string &Fail,
                                   size_t &Next, bool &Jumped);
  bool arm64LoadStore(const Arm64Insn &In, std::string &Fail);
  std::optional<bool> arm64Move(const Arm64Insn &In);
  std::optional<bool> arm64Alu(const Arm64Insn &In, std::string &Fail);
  std::optional<bool> arm64MulDiv(const Arm64Insn &In);
  std::optional<bool> arm64CondSelect(const Arm64Insn &In);
  bool branchTo(const Instruction &I, std::string &Fail, size_t &Next,
                bool &Jumped);
  // A conditional branch taken when Cd says so (unknown: fork when
  // exploring, else fail). Heap: the condition was read from memory others
  // may have changed.
  bool condBranch(const Instruction &I, std::optional<bool> Cd, bool Heap,
                  std::string &Fail, size_t &Next, bool &Jumped);
  Val operandArm64(const Operand &O, unsigned Size);

  const GoProgram &P;
  const Code &C;
  uint64_t EntrySP, FrameLo, FrameHi;
  // (mutable: reg() fills an entry register in the first time it is read)
  mutable std::array<Val, 32> Regs{};
  // amd64's vector registers as 16-byte moves left them (a struct copied
  // through xmm14): two 8-byte halves. Absent: unknown.
  std::map<int, std::array<Val, 2>> Vec;
  mutable uint64_t Written = 0; // registers written (or asked for) this run
  const EntryRegisters *Entry = nullptr;
  uint64_t EntryRegs = 0; // which registers Entry may be asked for
  const Results *StartResults = nullptr;
  uint64_t ResultRegs = 0; // which registers StartResults may be asked for
  bool AfterCall = false;  // this run starts right after a call
  mutable bool UsedResults = false;
  bool StopAtRet = false;
  uint64_t Executed = 0;
  std::optional<std::pair<uint64_t, uint64_t>> Dead;
  const std::map<uint64_t, size_t> *DeadWrites = nullptr;
  const std::map<uint64_t, uint8_t> *DeadKnown = nullptr;
  // Whether byte B was written after the call being run to (DeadWrites);
  // then AtCall is its value at the call, when that is proven (DeadKnown).
  bool writtenLater(uint64_t B, std::optional<uint8_t> &AtCall) const {
    AtCall.reset();
    if (!DeadWrites || !DeadWrites->count(B))
      return false;
    if (DeadKnown) {
      auto K = DeadKnown->find(B);
      if (K != DeadKnown->end())
        AtCall = K->second;
    }
    return true;
  }
  std::optional<uint64_t> DeadFrom;
  bool FromEntry = false; // this run starts at the function's entry
  mutable bool UsedEntry = false;
  FlagState F;
  std::map<uint64_t, OverlayByte> Overlay; // bytes the path stored
  std::optional<uint64_t> OwnsFrom;
  std::optional<Contradiction> contradiction(const Run &R) const;
  // contradiction() at the call Call; for a call through a register or
  // memory the path knows, the callee's argument area is its.
  std::optional<Contradiction> contradictionAt(const Run &R,
                                               const Instruction &Call);
  const std::map<uint64_t, size_t> *Later = nullptr;
  size_t StepNo = 0;
  int LastDest = -1;
  Run *Cur = nullptr;
  // Exploration: on an unknown condition, record the other way here
  // instead of failing.
  bool Exploring = false;
  std::optional<size_t> ForkTo;
  // The call run() runs to: a branch on an unknown condition takes the
  // only way that can reach it without passing a call.
  std::optional<size_t> RunTarget;
  bool Prune = false;
  bool PathHeap = false; // a branch was decided on memory others may change

  // What every path of a return run that returned left: the registers
  // in Want (each known only when all paths agree) and the bytes it
  // stored outside its own frame (unknown where the paths differ).
  struct Returned {
    std::array<std::optional<Val>, 32> Regs;
    std::map<uint64_t, OverlayByte> Stores;
  };
  std::optional<Returned> returnAll(uint64_t Want, std::string &Why,
                                    size_t &Steps);
  // A call met by a return run (setNestedCalls): its results set, the
  // registers it may change unknown. False (Why) when it cannot be
  // followed.
  bool callInReturnRun(const Instruction &I, size_t &Steps, std::string &Why);
  // An internal/bytealg search or runtime comparison called at I, computed
  // from the bytes it reads: true when Name is one (Done: it could be).
  bool stringHelper(llvm::StringRef Name, uint64_t SP,
                    std::array<std::optional<Val>, 32> &Out, size_t &Steps,
                    std::string &Why, bool &Done);
  StepBudget *Budget = nullptr;
  int NestDepth = 0;
  std::vector<std::string> Followed;
  std::map<uint64_t, OverlayByte> InitialOverlay; // a nested run's start
};

Val Machine::load(const MemOperand &M, unsigned Size) {
  auto A = address(M);
  if (!A || Size > 8)
    return unknown();
  uint64_t V = 0;
  // (Below the frame lie dead callee frames, but Go code reads there only
  // through a pointer into one, which escape analysis never lets it keep;
  // what a path reads below is memory beside the stack: a heap object next
  // to a goroutine stack the heap allocated.)
  bool Heap = !(*A >= FrameLo && *A + Size <= FrameHi);
  for (unsigned I = 0; I < Size; ++I) {
    uint64_t B = *A + I;
    auto O = Overlay.find(B);
    if (O != Overlay.end()) {
      if (!O->second.Known)
        return unknown();
      V |= uint64_t(O->second.Byte) << (8 * I);
      Heap |= O->second.Heap;
      continue;
    }
    if (Dead && B >= Dead->first && B < Dead->second)
      return unknown();
    std::optional<uint8_t> AtCall;
    if (writtenLater(B, AtCall)) {
      if (!AtCall)
        return unknown();
      V |= uint64_t(*AtCall) << (8 * I);
      continue;
    }
    if (DeadFrom && B >= *DeadFrom && B < FrameHi)
      return unknown();
    // The core holds the byte's final value: wrong for a read that comes
    // before a later write on the path (or the write of this same step: a
    // read-modify-write such as incq [rsp+0x20] reads first).
    if (Later) {
      auto L = Later->find(B);
      if (L != Later->end() && L->second >= StepNo)
        return unknown();
    }
    auto Byte = P.memory().readU8(B);
    if (!Byte) {
      llvm::consumeError(Byte.takeError());
      return unknown();
    }
    V |= uint64_t(*Byte) << (8 * I);
  }
  return known(V, Heap);
}

void Machine::forgetUnknownStore() {
  Cur->UnknownStore = true;
  // A store through a pointer the run does not know: it may hit whatever
  // the path stored outside the frame, the slots of the frame whose
  // address the function takes (and those above them), and the caller's
  // caller's frame above the entry SP (a pointer argument may point
  // there). Slots below every taken address cannot be reached.
  const uint64_t From = pointerReachableFrom(C, FrameLo, EntrySP);
  for (auto &[B, V] : Overlay)
    if (B < FrameLo || B >= From)
      V = {};
  for (uint64_t B = From; B < FrameHi && B - From < 65536; ++B)
    Overlay[B] = {};
}

void Machine::store(const MemOperand &M, unsigned Size, Val X, int SrcReg) {
  auto A = address(M);
  if (!A)
    return forgetUnknownStore();
  for (unsigned I = 0; I < Size && I < 16; ++I) {
    Overlay[*A + I] = {X.Known, static_cast<uint8_t>(I < 8 ? X.V >> (8 * I) : 0),
                       X.Heap};
    Cur->LastWrite[*A + I] = StepNo;
  }
  Cur->Stores.push_back({*A, Size, SrcReg, StepNo});
}

FlagBits Machine::flagBits() const {
  const uint64_t M = mask(F.Size);
  const uint64_t R = F.Res & M, A = F.A & M, B = F.B & M;
  const bool NegR = sext(R, F.Size) < 0, NegA = sext(A, F.Size) < 0,
             NegB = sext(B, F.Size) < 0;
  FlagBits Bits{R == 0, NegR, false, false};
  if (F.K == FlagState::Sub) {
    Bits.Carry = A < B;
    Bits.Overflow = NegA != NegB && NegR != NegA;
  } else if (F.K == FlagState::Add) {
    Bits.Carry = R < A;
    Bits.Overflow = NegA == NegB && NegR != NegA;
  }
  return Bits;
}

std::optional<bool> Machine::cond(llvm::StringRef CC) const {
  if (!F.Known)
    return std::nullopt;
  const FlagBits Bits = flagBits();
  const bool ZF = Bits.Zero, SF = Bits.Sign, CF = Bits.Carry,
             OF = Bits.Overflow;
  if (CC == "e" || CC == "z") return ZF;
  if (CC == "ne" || CC == "nz") return !ZF;
  if (CC == "l") return SF != OF;
  if (CC == "ge") return SF == OF;
  if (CC == "le") return ZF || SF != OF;
  if (CC == "g") return !ZF && SF == OF;
  if (CC == "b") return CF;
  if (CC == "ae") return !CF;
  if (CC == "be") return CF || ZF;
  if (CC == "a") return !CF && !ZF;
  if (CC == "s") return SF;
  if (CC == "ns") return !SF;
  return std::nullopt;
}

unsigned Machine::amd64Size(const Amd64Insn &In, size_t K) const {
  return K < In.O.size() && In.O[K].Size ? In.O[K].Size : 8;
}

// No-ops, moves (scalar and vector), lea and xchg.
std::optional<bool> Machine::amd64Move(const Amd64Insn &In, std::string &Fail) {
  const auto &[I, M, Op, O] = In;
  if (Op == Mn::i_nop || Op == Mn::i_endbr64 || M.startswith("prefetch") || Op == Mn::i_pause)
    return true;
  if (Op == Mn::i_mov || Op == Mn::i_movabs || Op == Mn::i_movzx || Op == Mn::i_movsx ||
      Op == Mn::i_movsxd || (Op == Mn::i_movq && O.size() == 2 && O[0].Reg < 16 &&
                        O[1].Kind != OpKind::Reg)) {
    if (O.size() != 2)
      return Fail = "operands of " + I.text(), false;
    Val X = read(O[1]);
    unsigned DS = amd64Size(In, 0);
    if (Op == Mn::i_movsx || Op == Mn::i_movsxd)
      X.V = static_cast<uint64_t>(sext(X.V, amd64Size(In, 1))) & mask(DS);
    write(O[0], X, O[1].Kind == OpKind::Reg ? O[1].Reg : -1);
    return true;
  }
  if (Op == Mn::i_movups || Op == Mn::i_movaps || Op == Mn::i_movdqu || Op == Mn::i_movq ||
      Op == Mn::i_movd) {
    // 16-byte moves carry both halves (a struct copied through a vector
    // register); X15 is always zero in ABIInternal.
    if (Op != Mn::i_movq && Op != Mn::i_movd && O.size() == 2 &&
        O[0].Kind != OpKind::Imm && O[1].Kind != OpKind::Imm &&
        (O[0].Kind != OpKind::Reg || O[0].Reg >= C.I.NumRegs) &&
        (O[1].Kind != OpKind::Reg || O[1].Reg >= C.I.NumRegs)) {
      auto High = [](MemOperand M) {
        M.Disp += 8;
        if (M.Absolute)
          *M.Absolute += 8;
        return M;
      };
      std::array<Val, 2> V = {unknown(), unknown()};
      if (O[1].Kind == OpKind::Reg && O[1].Reg == C.I.ZeroVector) {
        V = {known(0), known(0)};
      } else if (O[1].Kind == OpKind::Reg) {
        auto It = Vec.find(O[1].Reg);
        if (It != Vec.end())
          V = It->second;
      } else {
        V = {load(O[1].Mem, 8), load(High(O[1].Mem), 8)};
      }
      if (O[0].Kind == OpKind::Mem) {
        store(O[0].Mem, 8, V[0], -1);
        store(High(O[0].Mem), 8, V[1], -1);
      } else {
        Vec[O[0].Reg] = V;
      }
      return true;
    }
    if (O.size() == 2 && O[0].Kind == OpKind::Mem)
      store(O[0].Mem, amd64Size(In, 0), O[1].Reg == C.I.ZeroVector ? known(0) : unknown(), -1);
    else if (O.size() == 2 && O[0].Kind == OpKind::Reg && O[0].Reg < 16)
      write(O[0], unknown());
    return true;
  }
  if (Op == Mn::i_lea) {
    auto A = address(O[1].Mem);
    write(O[0], A ? known(*A & mask(amd64Size(In, 0))) : unknown());
    return true;
  }
  if (Op == Mn::i_xchg && O.size() == 2) {
    Val A = read(O[0]), B = read(O[1]);
    write(O[0], B);
    write(O[1], A);
    return true;
  }
  return std::nullopt;
}

// Two-operand arithmetic and logic, shifts and rotates, inc/dec/not/neg.
std::optional<bool> Machine::amd64Alu(const Amd64Insn &In) {
  // (Named references, not a structured binding: the lambda below
  // captures them, which clang 14 does not allow for bindings.)
  [[maybe_unused]] const Instruction &I = In.I;
  [[maybe_unused]] const llvm::StringRef M = In.M;
  const Mn Op = In.Op;
  const auto &O = In.O;
  auto Alu = [&](auto Fn, FlagState::Kind K, bool WriteBack) {
    unsigned S = amd64Size(In, 0);
    Val A = read(O[0]), B = read(O[1]);
    // xor r, r / sub r, r are zero whatever r holds.
    if ((Op == Mn::i_xor || Op == Mn::i_sub) && O[0].Kind == OpKind::Reg &&
        O[1].Kind == OpKind::Reg && O[0].Reg == O[1].Reg && !O[0].HighByte) {
      A = B = known(0);
    }
    uint64_t R = Fn(A.V, B.V) & mask(S);
    bool Kn = A.Known && B.Known;
    F = {Kn, R, A.V, B.V, S, K, A.Heap || B.Heap};
    if (WriteBack)
      write(O[0], combine(true, R, A, B));
    return true;
  };
  // bt: the carry is the bit (the other flags are undefined). Kept as a
  // subtraction whose borrow is that bit: 0 - 1 when set, 1 - 0 when not.
  if (Op == Mn::i_bt && O.size() == 2 && O[0].Kind == OpKind::Reg) {
    const unsigned S = amd64Size(In, 0);
    Val A = read(O[0]), N = read(O[1]);
    const bool Bit = (A.V >> (N.V & (8 * S - 1))) & 1;
    F = {A.Known && N.Known, Bit ? ~0ull : 1, Bit ? 0u : 1u, Bit ? 1u : 0u,
         S, FlagState::Sub, A.Heap || N.Heap};
    return true;
  }
  // Bit counts (math/bits: OnesCount, Len, LeadingZeros, TrailingZeros).
  // bsf/bsr and popcnt set the zero flag when the source is 0 (kept as a
  // logic result equal to the source; bsf/bsr leave the destination as it
  // was then, as AMD documents and Go's code relies on only through a
  // cmov); lzcnt/tzcnt set the carry when the source is 0 and the zero
  // flag when the count is (kept as a subtraction: 0 - 1, 1 - 1, 1 - 0).
  if ((Op == Mn::i_popcnt || Op == Mn::i_bsf || Op == Mn::i_bsr ||
       Op == Mn::i_lzcnt || Op == Mn::i_tzcnt) &&
      O.size() == 2 && O[0].Kind == OpKind::Reg) {
    const unsigned S = amd64Size(In, 0);
    const unsigned Bits = 8 * S;
    const Val Src = read(O[1]);
    const uint64_t X = Src.V & mask(S);
    Val Dst = read(O[0]);
    // (X is zero-extended: 64 - Bits of its leading zeros are not the
    // operand's.)
    const unsigned Lead = llvm::countLeadingZeros(X) - (64 - Bits);
    const unsigned Trail = X ? llvm::countTrailingZeros(X) : Bits;
    const uint64_t R = Op == Mn::i_popcnt ? llvm::countPopulation(X)
                       : Op == Mn::i_lzcnt ? Lead
                       : Op == Mn::i_tzcnt ? Trail
                       : !X               ? 0
                       : Op == Mn::i_bsf  ? Trail
                                          : Bits - 1 - Lead;
    if (Op == Mn::i_lzcnt || Op == Mn::i_tzcnt) {
      const uint64_t A = X ? 1 : 0, B = X && R ? 0 : 1;
      F = {Src.Known, A - B, A, B, S, FlagState::Sub, Src.Heap};
    } else {
      F = {Src.Known, X, X, X, S, FlagState::Logic, Src.Heap};
    }
    if ((Op == Mn::i_bsf || Op == Mn::i_bsr) && !X)
      write(O[0], {Src.Known && Dst.Known, Dst.V, Src.Heap || Dst.Heap});
    else
      write(O[0], {Src.Known, R, Src.Heap});
    return true;
  }
  if (O.size() == 2) {
    if (Op == Mn::i_add) return Alu([](uint64_t a, uint64_t b) { return a + b; }, FlagState::Add, true);
    if (Op == Mn::i_sub) return Alu([](uint64_t a, uint64_t b) { return a - b; }, FlagState::Sub, true);
    if (Op == Mn::i_cmp) return Alu([](uint64_t a, uint64_t b) { return a - b; }, FlagState::Sub, false);
    if (Op == Mn::i_and) return Alu([](uint64_t a, uint64_t b) { return a & b; }, FlagState::Logic, true);
    if (Op == Mn::i_test) return Alu([](uint64_t a, uint64_t b) { return a & b; }, FlagState::Logic, false);
    if (Op == Mn::i_or) return Alu([](uint64_t a, uint64_t b) { return a | b; }, FlagState::Logic, true);
    if (Op == Mn::i_xor) return Alu([](uint64_t a, uint64_t b) { return a ^ b; }, FlagState::Logic, true);
  }
  if ((Op == Mn::i_shl || Op == Mn::i_sal || Op == Mn::i_shr || Op == Mn::i_sar || Op == Mn::i_rol ||
       Op == Mn::i_ror) && !O.empty()) {
    unsigned S = amd64Size(In, 0);
    Val A = read(O[0]);
    Val N = O.size() > 1 ? read(O[1]) : known(1);
    unsigned Bits = 8 * S;
    uint64_t Cnt = N.V & (S == 8 ? 63 : 31);
    uint64_t R = A.V;
    if (Op == Mn::i_shl || Op == Mn::i_sal)
      R = Cnt >= 64 ? 0 : A.V << Cnt;
    else if (Op == Mn::i_shr)
      R = Cnt >= 64 ? 0 : (A.V & mask(S)) >> Cnt;
    else if (Op == Mn::i_sar)
      R = static_cast<uint64_t>(sext(A.V, S) >> (Cnt >= 64 ? 63 : Cnt));
    else if (Cnt % Bits) {
      uint64_t X = A.V & mask(S);
      unsigned C2 = static_cast<unsigned>(Cnt % Bits);
      R = Op == Mn::i_rol ? (X << C2) | (X >> (Bits - C2)) : (X >> C2) | (X << (Bits - C2));
    }
    R &= mask(S);
    F.Known = false; // CF/OF of shifts are not modelled
    write(O[0], combine(true, R, A, N));
    return true;
  }
  if ((Op == Mn::i_sbb || Op == Mn::i_adc) && O.size() == 2) {
    // With the carry of the flags (a compare's borrow): sbb r, r is 0 or
    // all ones whatever r holds.
    unsigned S = amd64Size(In, 0);
    const bool Same = O[0].Kind == OpKind::Reg && O[1].Kind == OpKind::Reg &&
                      O[0].Reg == O[1].Reg && !O[0].HighByte;
    Val A = read(O[0]), B = read(O[1]);
    if (Same && Op == Mn::i_sbb)
      A = B = known(0);
    const bool CarryKnown = F.Known;
    const uint64_t Carry = CarryKnown && flagBits().Carry ? 1 : 0;
    uint64_t R = (Op == Mn::i_sbb ? A.V - B.V - Carry : A.V + B.V + Carry) & mask(S);
    Val X = combine(CarryKnown, R, A, B);
    X.Heap |= F.Heap;
    F.Known = false; // the flags after it are not modelled
    write(O[0], X);
    return true;
  }
  if ((Op == Mn::i_inc || Op == Mn::i_dec || Op == Mn::i_not || Op == Mn::i_neg) && O.size() == 1) {
    unsigned S = amd64Size(In, 0);
    Val A = read(O[0]);
    uint64_t R = Op == Mn::i_inc ? A.V + 1 : Op == Mn::i_dec ? A.V - 1
               : Op == Mn::i_not ? ~A.V : 0 - A.V;
    R &= mask(S);
    if (Op == Mn::i_inc)
      F = {false, R, A.V, 1, S, FlagState::Add, false}; // CF: not modelled
    else if (Op == Mn::i_dec)
      F = {false, R, A.V, 1, S, FlagState::Sub, false};
    else if (Op == Mn::i_neg)
      F = {A.Known, R, 0, A.V, S, FlagState::Sub, false};
    write(O[0], {A.Known, R, A.Heap});
    return true;
  }
  return std::nullopt;
}

// Multiplication and sign extension of rax.
std::optional<bool> Machine::amd64MulDiv(const Amd64Insn &In,
                                         std::string &Fail) {
  const auto &[I, M, Op, O] = In;
  if (Op == Mn::i_imul && O.size() >= 2) {
    unsigned S = amd64Size(In, 0);
    Val A = O.size() == 3 ? read(O[1]) : read(O[0]);
    Val B = O.size() == 3 ? read(O[2]) : read(O[1]);
    // The low S bytes of a signed product equal those of the unsigned one.
    uint64_t R = (A.V * B.V) & mask(S);
    F.Known = false;
    write(O[0], combine(true, R, A, B));
    return true;
  }
  if ((Op == Mn::i_mul || Op == Mn::i_imul) && O.size() == 1) {
    unsigned S = amd64Size(In, 0);
    if (S != 8)
      return Fail = "narrow " + M.str(), false;
    Val A = reg(0, 8), B = read(O[0]);
    unsigned __int128 Pr = Op == Mn::i_mul
        ? static_cast<unsigned __int128>(A.V) * B.V
        : static_cast<unsigned __int128>(static_cast<__int128>(
              static_cast<int64_t>(A.V)) * static_cast<int64_t>(B.V));
    Val Lo = combine(true, static_cast<uint64_t>(Pr), A, B);
    Val Hi = combine(true, static_cast<uint64_t>(Pr >> 64), A, B);
    setReg(0, 8, Lo);
    setReg(1, 8, Hi); // rdx
    F.Known = false;
    LastDest = 0;
    return true;
  }
  if (Op == Mn::i_cdqe) {
    Val A = reg(0, 4);
    setReg(0, 8, {A.Known, static_cast<uint64_t>(sext(A.V, 4)), A.Heap});
    return true;
  }
  if (Op == Mn::i_cqo) {
    Val A = reg(0, 8);
    setReg(1, 8, {A.Known, static_cast<int64_t>(A.V) < 0 ? ~0ull : 0, A.Heap});
    return true;
  }
  if (Op == Mn::i_cdq) {
    Val A = reg(0, 4);
    setReg(1, 4, {A.Known, sext(A.V, 4) < 0 ? 0xffffffffull : 0, A.Heap});
    return true;
  }
  if ((Op == Mn::i_div || Op == Mn::i_idiv) && O.size() == 1) {
    // rdx:rax (edx:eax) divided by the operand: quotient to rax, remainder
    // to rdx. A zero divisor or a quotient that does not fit traps: this
    // path did not run.
    unsigned S = amd64Size(In, 0);
    if (S != 8 && S != 4)
      return Fail = "narrow " + M.str(), false;
    Val Lo = reg(0, S), Hi = reg(1, S), D = read(O[0]);
    Val Q = combine(true, 0, combine(true, 0, Lo, Hi), D);
    if (!Q.Known) {
      setReg(0, 8, unknown());
      setReg(1, 8, unknown());
      F.Known = false;
      LastDest = 0;
      return true;
    }
    const unsigned Bits = 8 * S;
    unsigned __int128 N = (static_cast<unsigned __int128>(Hi.V) << Bits) | Lo.V;
    uint64_t Quot = 0, Rem = 0;
    if (D.V == 0)
      return Fail = "division by zero at " + hex(I.Addr), false;
    if (Op == Mn::i_div) {
      unsigned __int128 Qt = N / D.V;
      if (Qt >> Bits)
        return Fail = "quotient overflow at " + hex(I.Addr), false;
      Quot = static_cast<uint64_t>(Qt);
      Rem = static_cast<uint64_t>(N % D.V);
    } else {
      // Sign-extend the dividend and divisor from their widths.
      __int128 SN = S == 8 ? static_cast<__int128>(N)
                           : static_cast<__int128>(static_cast<int64_t>(
                                 static_cast<uint64_t>(N)));
      const int64_t SD = sext(D.V, S);
      if (SD == -1 && SN == (S == 8 ? -(static_cast<__int128>(1) << 63)
                                    : -(static_cast<__int128>(1) << 31)))
        return Fail = "quotient overflow at " + hex(I.Addr), false;
      __int128 Qt = SN / SD;
      if (Qt > (static_cast<__int128>(1) << (Bits - 1)) - 1 ||
          Qt < -(static_cast<__int128>(1) << (Bits - 1)))
        return Fail = "quotient overflow at " + hex(I.Addr), false;
      Quot = static_cast<uint64_t>(Qt);
      Rem = static_cast<uint64_t>(SN % SD);
    }
    setReg(0, S, combine(true, Quot & mask(S), Q, Q));
    setReg(1, S, combine(true, Rem & mask(S), Q, Q));
    F.Known = false;
    LastDest = 0;
    return true;
  }
  return std::nullopt;
}

// cmov and set.
std::optional<bool> Machine::amd64CondSet(const Amd64Insn &In) {
  const auto &[I, M, Op, O] = In;
  if (M.startswith("cmov") && O.size() == 2) {
    auto Cd = cond(M.drop_front(4));
    PathHeap |= Cd && F.Heap;
    if (!Cd) {
      write(O[0], unknown());
      return true;
    }
    if (*Cd)
      write(O[0], read(O[1]));
    else if (amd64Size(In, 0) == 4) // a 32-bit cmov zero-extends even when false
      write(O[0], read(O[0]));
    return true;
  }
  if (M.startswith("set") && O.size() == 1) {
    auto Cd = cond(M.drop_front(3));
    write(O[0], Cd ? known(*Cd ? 1 : 0) : unknown());
    return true;
  }
  return std::nullopt;
}

// rep stos{b,w,d,q}: rcx units of al/ax/eax/rax stored from rdi up (the
// ABI keeps the direction flag clear; Go zeroes large stack objects so).
// With the count and the address known the bytes are stored; otherwise it
// is a store the run cannot place.
std::optional<bool> Machine::amd64RepStos(const Amd64Insn &In) {
  const llvm::StringRef M = In.M;
  if (!M.startswith("rep stos"))
    return std::nullopt;
  const unsigned Unit = M.endswith("q") ? 8 : M.endswith("d") ? 4 : M.endswith("w") ? 2 : 1;
  constexpr int Rax = 0, Rcx = 2, Rdi = 5; // DWARF numbers
  const Val N = reg(Rcx, 8), D = reg(Rdi, 8), X = reg(Rax, 8);
  constexpr uint64_t MaxBytes = 256 << 10;
  if (!N.Known || !D.Known || N.V > MaxBytes / Unit) {
    forgetUnknownStore();
    setReg(Rcx, 8, known(0));
    setReg(Rdi, 8, unknown());
    return true;
  }
  const uint64_t Bytes = N.V * Unit;
  for (uint64_t B = 0; B < Bytes; ++B) {
    Overlay[D.V + B] = {X.Known, static_cast<uint8_t>(X.V >> (8 * (B % Unit))),
                        X.Heap};
    Cur->LastWrite[D.V + B] = StepNo;
  }
  if (Bytes)
    Cur->Stores.push_back({D.V, static_cast<unsigned>(Bytes), -1, StepNo});
  setReg(Rcx, 8, known(0));
  setReg(Rdi, 8, known(D.V + Bytes));
  return true;
}

// push and pop.
std::optional<bool> Machine::amd64Stack(const Amd64Insn &In,
                                        std::string &Fail) {
  const auto &[I, M, Op, O] = In;
  if (Op == Mn::i_push && O.size() == 1) {
    Val X = read(O[0]);
    Val SP = reg(C.I.SP, 8);
    if (!SP.Known)
      return Fail = "push with unknown sp", false;
    setReg(C.I.SP, 8, known(SP.V - 8));
    MemOperand Mm;
    Mm.Absolute = SP.V - 8;
    store(Mm, 8, X, O[0].Kind == OpKind::Reg ? O[0].Reg : -1);
    return true;
  }
  if (Op == Mn::i_pop && O.size() == 1) {
    Val SP = reg(C.I.SP, 8);
    if (!SP.Known)
      return Fail = "pop with unknown sp", false;
    MemOperand Mm;
    Mm.Absolute = SP.V;
    write(O[0], load(Mm, 8));
    setReg(C.I.SP, 8, known(SP.V + 8));
    return true;
  }
  return std::nullopt;
}

// Jumps, calls, returns and traps.
std::optional<bool> Machine::amd64Control(const Amd64Insn &In,
                                          std::string &Fail, size_t &Next,
                                          bool &Jumped) {
  const auto &[I, M, Op, O] = In;
  if (I.Class == InsnClass::Jump) {
    if (!I.Target)
      return Fail = "indirect jump at " + hex(I.Addr), false;
    return branchTo(I, Fail, Next, Jumped);
  }
  if (I.Class == InsnClass::CondJump) {
    auto Cd = cond(M.drop_front(1));
    return condBranch(I, Cd, Cd && F.Heap, Fail, Next, Jumped);
  }
  if (I.Class == InsnClass::Call)
    return Fail = "passes another call at " + hex(I.Addr), false;
  if (I.Class == InsnClass::Ret || I.Class == InsnClass::Trap)
    return Fail = "leaves the function at " + hex(I.Addr), false;
  return std::nullopt;
}

bool Machine::step(const Instruction &I, std::string &Fail, size_t &Next,
                   bool &Jumped) {
  if (I.Undecoded) {
    Fail = "an instruction the disassembler does not know at " + hex(I.Addr);
    return false;
  }
  if (C.I.Arm64)
    return stepArm64(I, Fail, Next, Jumped);
  LastDest = -1;
  Jumped = false;
  const Amd64Insn In{I, I.Mnemonic,
                     C.Kinds[static_cast<size_t>(&I - C.Insns.data())], I.Ops};
  // (A vector register any instruction writes is unknown unless a move
  // below sets it.)
  if (!Vec.empty())
    for (int W : I.RegsWritten)
      if (W >= C.I.NumRegs)
        Vec.erase(W);
  if (auto R = amd64Move(In, Fail))
    return *R;
  if (auto R = amd64Alu(In))
    return *R;
  if (auto R = amd64MulDiv(In, Fail))
    return *R;
  if (auto R = amd64CondSet(In))
    return *R;
  if (auto R = amd64RepStos(In))
    return *R;
  if (auto R = amd64Stack(In, Fail))
    return *R;
  if (auto R = amd64Control(In, Fail, Next, Jumped))
    return *R;
  // Anything else: its written registers become unknown, flags too.
  return unmodelled(I, Fail, true);
}

// An instruction no group models: a memory write ends the run (Fail says
// which); the registers it writes become unknown, and the flags when
// FlagsToo.
bool Machine::unmodelled(const Instruction &I, std::string &Fail,
                         bool FlagsToo) {
  for (const auto &Op : I.Ops)
    if (Op.Written && Op.Kind == OpKind::Mem)
      return Fail = "unmodelled store " + I.text(), false;
  for (int R : I.RegsWritten)
    if (R >= 0 && R < C.I.NumRegs)
      setReg(R, 8, unknown());
  if (FlagsToo)
    F.Known = false;
  return true;
}

// ---- arm64 ------------------------------------------------------------------

// A register or immediate source operand of an arm64 data-processing
// instruction: the register's value at its width, extended and shifted as
// the operand says.
Val Machine::operandArm64(const Operand &O, unsigned Size) {
  if (O.Kind == OpKind::Imm)
    return known(static_cast<uint64_t>(O.Imm) & mask(Size));
  if (O.Kind != OpKind::Reg)
    return unknown();
  const unsigned RS = O.Size ? O.Size : 8;
  Val X = reg(O.Reg, RS);
  using E = MemOperand::Extend;
  switch (O.Ext) {
  case E::UXTB: X.V &= 0xff; break;
  case E::UXTH: X.V &= 0xffff; break;
  case E::UXTW: X.V &= 0xffffffff; break;
  case E::SXTB: X.V = static_cast<uint64_t>(sext(X.V, 1)); break;
  case E::SXTH: X.V = static_cast<uint64_t>(sext(X.V, 2)); break;
  case E::SXTW: X.V = static_cast<uint64_t>(sext(X.V, 4)); break;
  case E::UXTX: case E::SXTX: case E::None: break;
  }
  const unsigned Bits = 8 * Size, N = O.ShiftAmount % Bits;
  const uint64_t V = X.V & mask(Size);
  switch (O.Shift) {
  case ShiftKind::None: X.V = O.Ext != E::None ? X.V << N : V; break;
  case ShiftKind::LSL: X.V = V << N; break;
  case ShiftKind::LSR: X.V = V >> N; break;
  case ShiftKind::ASR: X.V = static_cast<uint64_t>(sext(V, Size) >> N); break;
  case ShiftKind::ROR: X.V = N ? (V >> N) | (V << (Bits - N)) : V; break;
  }
  X.V &= mask(Size);
  return X;
}

std::optional<bool> Machine::condArm64(int CC) const {
  if (!F.Known)
    return std::nullopt;
  const FlagBits Bits = flagBits();
  const bool Z = Bits.Zero, N = Bits.Sign, V = Bits.Overflow;
  // arm64's C after a subtraction is "no borrow".
  const bool Cf = F.K == FlagState::Sub ? !Bits.Carry : Bits.Carry;
  switch (CC) { // Capstone's arm64_cc
  case 1: return Z;             // eq
  case 2: return !Z;            // ne
  case 3: return Cf;            // hs
  case 4: return !Cf;           // lo
  case 5: return N;             // mi
  case 6: return !N;            // pl
  case 7: return V;             // vs
  case 8: return !V;            // vc
  case 9: return Cf && !Z;      // hi
  case 10: return !Cf || Z;     // ls
  case 11: return N == V;       // ge
  case 12: return N != V;       // lt
  case 13: return !Z && N == V; // gt
  case 14: return Z || N != V;  // le
  default: return std::nullopt;
  }
}

bool Machine::branchTo(const Instruction &I, std::string &Fail, size_t &Next,
                       bool &Jumped) {
  auto It = C.Index.find(I.Target.value_or(~0ull));
  if (It == C.Index.end())
    return Fail = "branch out of the function at " + hex(I.Addr), false;
  Next = It->second;
  Jumped = true;
  return true;
}

bool Machine::condBranch(const Instruction &I, std::optional<bool> Cd,
                         bool Heap, std::string &Fail, size_t &Next,
                         bool &Jumped) {
  auto Idx = C.Index.find(I.Addr)->second;
  auto KB = C.KnownBranches.find(Idx);
  if (KB != C.KnownBranches.end()) {
    // The other way never comes back: the stack check did not fail, the
    // bounds check did not panic.
    if (KB->second)
      return branchTo(I, Fail, Next, Jumped);
    return true;
  }
  if (!Cd && Exploring) {
    auto It = C.Index.find(I.Target.value_or(~0ull));
    if (It == C.Index.end())
      return Fail = "branch out of the function at " + hex(I.Addr), false;
    ForkTo = It->second; // fall through now, the target later
    return true;
  }
  if (!Cd && Prune && RunTarget && !StopAtRet) {
    // A run starts right after the last call before the one it runs to,
    // so the path it follows passes no call: a way from which the target
    // cannot be reached without one was not taken (an error check whose
    // other way allocates, logs or loops back to the call before).
    auto It = C.Index.find(I.Target.value_or(~0ull));
    if (It != C.Index.end()) {
      auto Reaches = [&](size_t From) {
        std::set<size_t> Seen;
        return From == *RunTarget ||
               (reachable(C, From, std::nullopt, *RunTarget, Seen) &&
                Seen.count(*RunTarget));
      };
      const bool Taken = Reaches(It->second), Falls = Reaches(Idx + 1);
      if (Taken != Falls) {
        ++Cur->Pruned;
        Cd = Taken;
      }
    }
  }
  if (!Cd)
    return Fail = "branch on an unknown condition at " + hex(I.Addr), false;
  PathHeap |= Heap;
  if (*Cd)
    return branchTo(I, Fail, Next, Jumped);
  return true;
}

unsigned Machine::arm64DestSize(const Instruction &I) const {
  return !I.Ops.empty() && I.Ops[0].Size ? I.Ops[0].Size : 8;
}

void Machine::arm64Dest(const Instruction &I, Val X) {
  const auto &O = I.Ops;
  if (!O.empty() && O[0].Kind == OpKind::Reg && O[0].Reg != ZeroReg) {
    setReg(O[0].Reg, arm64DestSize(I), X);
    LastDest = O[0].Reg;
  }
}

// Hints, barriers and control flow.
std::optional<bool> Machine::arm64Control(const Arm64Insn &In,
                                          std::string &Fail, size_t &Next,
                                          bool &Jumped) {
  const auto &[I, M, O, S] = In;
  if (M == "nop" || M == "hint" || M.startswith("prfm") || M == "yield" ||
      M == "dmb" || M == "isb")
    return true;

  // Control flow.
  if (I.Class == InsnClass::Call)
    return Fail = "passes another call at " + hex(I.Addr), false;
  if (I.Class == InsnClass::Ret || I.Class == InsnClass::Trap)
    return Fail = "leaves the function at " + hex(I.Addr), false;
  if (M == "br")
    return Fail = "indirect jump at " + hex(I.Addr), false;
  if (M == "b" && I.Class == InsnClass::Jump)
    return branchTo(I, Fail, Next, Jumped);
  if (M == "cbz" || M == "cbnz") {
    Val X = operandArm64(O[0], O[0].Size ? O[0].Size : 8);
    std::optional<bool> Cd;
    if (X.Known)
      Cd = (X.V == 0) == (M == "cbz");
    return condBranch(I, Cd, X.Heap, Fail, Next, Jumped);
  }
  if ((M == "tbz" || M == "tbnz") && O.size() == 3) {
    Val X = reg(O[0].Reg, 8);
    std::optional<bool> Cd;
    if (X.Known)
      Cd = (((X.V >> (O[1].Imm & 63)) & 1) == 0) == (M == "tbz");
    return condBranch(I, Cd, X.Heap, Fail, Next, Jumped);
  }
  if (I.Class == InsnClass::CondJump) // b.cond
    return condBranch(I, condArm64(I.Cond), F.Heap, Fail, Next, Jumped);

  return std::nullopt;
}

// Loads and stores (ldr/str, ldp/stp, pre- and post-index).
bool Machine::arm64LoadStore(const Arm64Insn &In, std::string &Fail) {
  const auto &[I, M, O, S] = In;
  size_t MI = 0;
  while (MI < O.size() && O[MI].Kind != OpKind::Mem)
    ++MI;
  if (MI == O.size())
    return Fail = "operands of " + I.text(), false;
  const MemOperand &Mm = O[MI].Mem;
  // Post-index ("[x1], #8"): the access at the base, then base += imm.
  const bool Post = I.Writeback && MI + 1 < O.size() &&
                    O[MI + 1].Kind == OpKind::Imm;
  MemOperand At = Mm;
  if (Post)
    At.Disp = 0;
  std::optional<uint64_t> A;
  {
    Val B = Mm.Base >= 0 ? reg(Mm.Base, 8) : known(0);
    if (Mm.Index >= 0) {
      Operand IO;
      IO.Kind = OpKind::Reg;
      IO.Reg = Mm.Index;
      IO.Ext = Mm.IndexExtend;
      IO.Size = (Mm.IndexExtend == MemOperand::Extend::UXTW ||
                 Mm.IndexExtend == MemOperand::Extend::SXTW) ? 4 : 8;
      Val X = operandArm64(IO, 8);
      if (B.Known && X.Known)
        A = B.V + X.V * static_cast<uint64_t>(Mm.Scale) +
            static_cast<uint64_t>(At.Disp);
    } else if (B.Known) {
      A = B.V + static_cast<uint64_t>(At.Disp);
    }
  }
  MemOperand Abs;
  if (A)
    Abs.Absolute = *A;
  const size_t NRegs = MI; // registers transferred: 1, or 2 for ldp/stp
  const unsigned Each = O[MI].Size ? O[MI].Size : (O[0].Size ? O[0].Size : 8);
  for (size_t K = 0; K < NRegs; ++K) {
    MemOperand Slot = Abs;
    if (A)
      Slot.Absolute = *A + K * Each;
    if (I.Class == InsnClass::Load) {
      Val X = A ? load(Slot, Each) : unknown();
      if (M.startswith("ldrs") || M.startswith("ldurs"))
        X.V = static_cast<uint64_t>(sext(X.V, Each));
      if (O[K].Reg != ZeroReg) {
        setReg(O[K].Reg, O[K].Size ? O[K].Size : 8, X);
        LastDest = O[K].Reg;
      }
    } else {
      Val X = O[K].Reg == ZeroReg ? known(0) : reg(O[K].Reg, 8);
      if (!A) {
        forgetUnknownStore();
        continue;
      }
      store(Slot, Each, X, O[K].Reg >= 0 ? O[K].Reg : -1);
    }
  }
  if (I.Writeback && Mm.Base >= 0) {
    Val B = reg(Mm.Base, 8);
    int64_t D = Post ? O[MI + 1].Imm : Mm.Disp;
    setReg(Mm.Base, 8, {B.Known, B.V + static_cast<uint64_t>(D), B.Heap});
  }
  return true;
}

// Addresses, moves, negation and extension.
std::optional<bool> Machine::arm64Move(const Arm64Insn &In) {
  const auto &[I, M, O, S] = In;
  // Addresses.
  if (M == "adrp" || M == "adr") {
    arm64Dest(I, known(static_cast<uint64_t>(O[1].Imm)));
    return true;
  }

  // Moves.
  if ((M == "mov" || M == "movz" || M == "movn") && O.size() == 2) {
    Val X = O[1].Kind == OpKind::Reg && O[1].Reg == C.I.SP ? reg(C.I.SP, 8)
                                                          : arm64Src(In, 1);
    arm64Dest(I, {X.Known, X.V & mask(S), X.Heap});
    return true;
  }
  if (M == "movk" && O.size() == 2 && O[1].Kind == OpKind::Imm) {
    Val D = reg(O[0].Reg, S);
    const uint64_t Field = 0xffffull << O[1].ShiftAmount;
    arm64Dest(I, {D.Known, (D.V & ~Field) | (static_cast<uint64_t>(O[1].Imm) & Field),
          D.Heap});
    return true;
  }
  if (M == "mvn" && O.size() == 2) {
    Val X = arm64Src(In, 1);
    arm64Dest(I, {X.Known, ~X.V & mask(S), X.Heap});
    return true;
  }
  // Bit counts and reversal (math/bits: Len, LeadingZeros,
  // TrailingZeros as rbit then clz).
  if ((M == "clz" || M == "rbit") && O.size() == 2 && O[1].Kind == OpKind::Reg) {
    Val X = reg(O[1].Reg, S);
    const uint64_t V = X.V & mask(S);
    const unsigned Bits = 8 * S; // (V is zero-extended to 64 bits)
    const uint64_t R = M == "clz" ? llvm::countLeadingZeros(V) - (64 - Bits)
                                  : llvm::reverseBits(V) >> (64 - Bits);
    arm64Dest(I, {X.Known, R, X.Heap});
    return true;
  }
  if ((M == "neg" || M == "negs") && O.size() == 2) {
    Val X = arm64Src(In, 1);
    uint64_t R = (0 - X.V) & mask(S);
    if (M == "negs")
      F = {X.Known, R, 0, X.V, S, FlagState::Sub, X.Heap};
    arm64Dest(I, {X.Known, R, X.Heap});
    return true;
  }
  // Sign and zero extension.
  if ((M == "sxtw" || M == "sxth" || M == "sxtb" || M == "uxtw" ||
       M == "uxth" || M == "uxtb") && O.size() == 2) {
    Val X = reg(O[1].Reg, 8);
    unsigned W = M.endswith("w") ? 4 : M.endswith("h") ? 2 : 1;
    uint64_t R = M.startswith("s") ? static_cast<uint64_t>(sext(X.V, W))
                                   : X.V & mask(W);
    arm64Dest(I, {X.Known, R & mask(S), X.Heap});
    return true;
  }
  return std::nullopt;
}

// Two-source arithmetic and logic, comparisons, shifts and bitfields.
std::optional<bool> Machine::arm64Alu(const Arm64Insn &In, std::string &Fail) {
  // (Named references, not a structured binding: the lambda below
  // captures them, which clang 14 does not allow for bindings.)
  const Instruction &I = In.I;
  const llvm::StringRef M = In.M;
  const auto &O = In.O;
  const unsigned S = In.S;
  // Two-source arithmetic and logic, with or without flags.
  auto Alu = [&](uint64_t (*Fn)(uint64_t, uint64_t), FlagState::Kind K,
                 bool SetsFlags, bool Writes, size_t A0) {
    Val A = A0 < O.size() && O[A0].Kind == OpKind::Reg && O[A0].Reg == C.I.SP
                ? reg(C.I.SP, 8) : arm64Src(In, A0);
    Val B = arm64Src(In, A0 + 1);
    uint64_t R = Fn(A.V, B.V) & mask(S);
    if (SetsFlags)
      F = {A.Known && B.Known, R, A.V, B.V, S, K, A.Heap || B.Heap};
    if (Writes)
      arm64Dest(I, combine(true, R, A, B));
    return true;
  };
  static auto AddF = +[](uint64_t a, uint64_t b) { return a + b; };
  static auto SubF = +[](uint64_t a, uint64_t b) { return a - b; };
  static auto AndF = +[](uint64_t a, uint64_t b) { return a & b; };
  static auto OrF = +[](uint64_t a, uint64_t b) { return a | b; };
  static auto XorF = +[](uint64_t a, uint64_t b) { return a ^ b; };
  static auto BicF = +[](uint64_t a, uint64_t b) { return a & ~b; };
  static auto OrnF = +[](uint64_t a, uint64_t b) { return a | ~b; };
  static auto EonF = +[](uint64_t a, uint64_t b) { return a ^ ~b; };
  if (O.size() == 3) {
    if (M == "add") return Alu(AddF, FlagState::Add, false, true, 1);
    if (M == "adds") return Alu(AddF, FlagState::Add, true, true, 1);
    if (M == "sub") return Alu(SubF, FlagState::Sub, false, true, 1);
    if (M == "subs") return Alu(SubF, FlagState::Sub, true, true, 1);
    if (M == "and") return Alu(AndF, FlagState::Logic, false, true, 1);
    if (M == "ands") return Alu(AndF, FlagState::Logic, true, true, 1);
    if (M == "orr") return Alu(OrF, FlagState::Logic, false, true, 1);
    if (M == "eor") return Alu(XorF, FlagState::Logic, false, true, 1);
    if (M == "bic") return Alu(BicF, FlagState::Logic, false, true, 1);
    if (M == "bics") return Alu(BicF, FlagState::Logic, true, true, 1);
    if (M == "orn") return Alu(OrnF, FlagState::Logic, false, true, 1);
    if (M == "eon") return Alu(EonF, FlagState::Logic, false, true, 1);
  }
  if (O.size() == 2) {
    if (M == "cmp") return Alu(SubF, FlagState::Sub, true, false, 0);
    if (M == "cmn") return Alu(AddF, FlagState::Add, true, false, 0);
    if (M == "tst") return Alu(AndF, FlagState::Logic, true, false, 0);
  }
  // Shifts: lsl/lsr/asr/ror by an immediate or a register.
  if ((M == "lsl" || M == "lsr" || M == "asr" || M == "ror") && O.size() == 3) {
    Val A = arm64Src(In, 1), N = arm64Src(In, 2);
    const unsigned Bits = 8 * S;
    const unsigned Cnt = static_cast<unsigned>(N.V % Bits);
    const uint64_t V = A.V & mask(S);
    uint64_t R = M == "lsl"   ? V << Cnt
               : M == "lsr" ? V >> Cnt
               : M == "asr" ? static_cast<uint64_t>(sext(V, S) >> Cnt)
               : Cnt ? (V >> Cnt) | (V << (Bits - Cnt)) : V;
    arm64Dest(I, combine(true, R & mask(S), A, N));
    return true;
  }
  // Bitfield moves.
  if ((M == "ubfx" || M == "sbfx" || M == "ubfiz" || M == "sbfiz") &&
      O.size() == 4) {
    Val A = reg(O[1].Reg, 8);
    const unsigned Lsb = static_cast<unsigned>(O[2].Imm) & 63,
                   W = static_cast<unsigned>(O[3].Imm) & 127;
    if (!W || W > 64)
      return Fail = "operands of " + I.text(), false;
    const uint64_t FieldMask = W >= 64 ? ~0ull : (1ull << W) - 1;
    uint64_t R;
    if (M == "ubfx" || M == "sbfx") {
      R = (A.V >> Lsb) & FieldMask;
      if (M == "sbfx" && W < 64 && (R >> (W - 1)) & 1)
        R |= ~FieldMask;
    } else {
      R = A.V & FieldMask;
      if (M == "sbfiz" && W < 64 && (R >> (W - 1)) & 1)
        R |= ~FieldMask;
      R <<= Lsb;
    }
    arm64Dest(I, {A.Known, R & mask(S), A.Heap});
    return true;
  }
  return std::nullopt;
}

// Multiplication and division.
std::optional<bool> Machine::arm64MulDiv(const Arm64Insn &In) {
  const auto &[I, M, O, S] = In;
  if ((M == "mul" || M == "mneg") && O.size() == 3) {
    Val A = arm64Src(In, 1), B = arm64Src(In, 2);
    uint64_t R = A.V * B.V;
    arm64Dest(I, combine(true, (M == "mneg" ? 0 - R : R) & mask(S), A, B));
    return true;
  }
  if ((M == "madd" || M == "msub") && O.size() == 4) {
    Val A = arm64Src(In, 1), B = arm64Src(In, 2), Acc = arm64Src(In, 3);
    uint64_t Pr = A.V * B.V;
    uint64_t R = M == "madd" ? Acc.V + Pr : Acc.V - Pr;
    Val X = combine(true, R & mask(S), A, B);
    arm64Dest(I, combine(X.Known, X.V, X, Acc));
    return true;
  }
  if ((M == "smulh" || M == "umulh") && O.size() == 3) {
    Val A = arm64Src(In, 1), B = arm64Src(In, 2);
    uint64_t R = M == "umulh"
        ? static_cast<uint64_t>((static_cast<unsigned __int128>(A.V) * B.V) >> 64)
        : static_cast<uint64_t>(
              (static_cast<__int128>(static_cast<int64_t>(A.V)) *
               static_cast<int64_t>(B.V)) >> 64);
    arm64Dest(I, combine(true, R, A, B));
    return true;
  }
  if ((M == "smull" || M == "umull") && O.size() == 3) {
    Val A = reg(O[1].Reg, 4), B = reg(O[2].Reg, 4);
    uint64_t R = M == "umull"
        ? A.V * B.V
        : static_cast<uint64_t>(sext(A.V, 4) * sext(B.V, 4));
    arm64Dest(I, combine(true, R, A, B));
    return true;
  }
  if ((M == "sdiv" || M == "udiv") && O.size() == 3) {
    Val A = arm64Src(In, 1), B = arm64Src(In, 2);
    uint64_t R = 0; // division by zero gives 0 on arm64
    if ((B.V & mask(S)) != 0) {
      if (M == "udiv") {
        R = (A.V & mask(S)) / (B.V & mask(S));
      } else {
        int64_t X = sext(A.V, S), Y = sext(B.V, S);
        R = (Y == -1) ? static_cast<uint64_t>(0) - static_cast<uint64_t>(X)
                      : static_cast<uint64_t>(X / Y);
      }
    }
    arm64Dest(I, combine(true, R & mask(S), A, B));
    return true;
  }
  return std::nullopt;
}

// Conditional selects, sets and increments.
std::optional<bool> Machine::arm64CondSelect(const Arm64Insn &In) {
  const auto &[I, M, O, S] = In;
  if ((M == "csel" || M == "csinc" || M == "csinv" || M == "csneg") &&
      O.size() == 3) {
    auto Cd = condArm64(I.Cond);
    PathHeap |= Cd && F.Heap;
    if (!Cd) {
      arm64Dest(I, unknown());
      return true;
    }
    if (*Cd) {
      arm64Dest(I, arm64Src(In, 1));
      return true;
    }
    Val B = arm64Src(In, 2);
    uint64_t R = M == "csel" ? B.V : M == "csinc" ? B.V + 1
               : M == "csinv" ? ~B.V : 0 - B.V;
    arm64Dest(I, {B.Known, R & mask(S), B.Heap});
    return true;
  }
  if ((M == "cset" || M == "csetm") && O.size() == 1) {
    auto Cd = condArm64(I.Cond);
    PathHeap |= Cd && F.Heap;
    arm64Dest(I, Cd ? known(*Cd ? (M == "cset" ? 1 : mask(S)) : 0) : unknown());
    return true;
  }
  if ((M == "cinc" || M == "cinv" || M == "cneg") && O.size() == 2) {
    auto Cd = condArm64(I.Cond);
    PathHeap |= Cd && F.Heap;
    Val X = arm64Src(In, 1);
    if (!Cd) {
      arm64Dest(I, unknown());
      return true;
    }
    uint64_t R = !*Cd ? X.V : M == "cinc" ? X.V + 1 : M == "cinv" ? ~X.V
                                                                   : 0 - X.V;
    arm64Dest(I, {X.Known, R & mask(S), X.Heap});
    return true;
  }
  return std::nullopt;
}

bool Machine::stepArm64(const Instruction &I, std::string &Fail, size_t &Next,
                        bool &Jumped) {
  LastDest = -1;
  Jumped = false;
  const Arm64Insn In{I, I.Mnemonic, I.Ops, arm64DestSize(I)};
  if (auto R = arm64Control(In, Fail, Next, Jumped))
    return *R;
  if (auto R = arm64Move(In)) // adrp/adr before loads, as always
    return *R;
  if (I.Class == InsnClass::Load || I.Class == InsnClass::Store)
    return arm64LoadStore(In, Fail);
  if (auto R = arm64Alu(In, Fail))
    return *R;
  if (auto R = arm64MulDiv(In))
    return *R;
  if (auto R = arm64CondSelect(In))
    return *R;
  // Anything else: the registers it writes become unknown, the flags when
  // it may set them.
  return unmodelled(I, Fail, I.UpdatesFlags || I.RegsWritten.empty());
}

Run Machine::run(size_t Start, size_t Target, int Reg,
                 const std::map<uint64_t, size_t> *LaterWrites,
                 const std::map<size_t, Seed> &Seeds) {
  Run R;
  Cur = &R;
  RunTarget = Target;
  Later = LaterWrites;
  Regs = {};
  Vec.clear();
  F = {};
  Overlay.clear();
  PathHeap = false;
  Written = 0;
  FromEntry = C.Insns[Start].Addr == C.Entry;
  AfterCall = afterCall(C, Start);
  // SP at the start from the pcsp table: SP = entry SP - delta(pc).
  auto Fn = P.pclntab().findFunc(C.Insns[Start].Addr);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    R.Fail = "no function";
    return R;
  }
  auto D = P.pclntab().spDelta(*Fn, C.Insns[Start].Addr);
  if (!D) {
    llvm::consumeError(D.takeError());
    R.Fail = "no frame size";
    return R;
  }
  Regs[static_cast<size_t>(C.I.SP)] = known(EntrySP - static_cast<uint64_t>(*D));
  size_t PC = Start;
  for (StepNo = 0; StepNo < MaxSteps; ++StepNo, ++Executed) {
    if (PC >= C.Insns.size()) {
      R.Fail = "ran off the function";
      return R;
    }
    if (PC == Target && StepNo > 0) {
      R.Reached = true;
      R.Target = reg(Reg, 8);
      R.Target.Heap |= PathHeap;
      R.Contradicted = contradictionAt(R, C.Insns[PC]);
      return R;
    }
    const Instruction &I = C.Insns[PC];
    if (StopAtRet && I.Class == InsnClass::Ret) {
      R.Reached = true;
      R.Target = reg(Reg, 8);
      R.Target.Heap |= PathHeap;
      return R;
    }
    R.Trace.push_back(PC);
    size_t Next = PC + 1;
    bool Jumped = false;
    if (I.Class == InsnClass::Call && PC == Target) {
      R.Reached = true;
      R.Target = reg(Reg, 8);
      R.Target.Heap |= PathHeap;
      R.Contradicted = contradictionAt(R, C.Insns[PC]);
      return R;
    }
    if (!step(I, R.Fail, Next, Jumped))
      return R;
    R.DestReg.push_back(LastDest);
    R.DestVal.push_back(LastDest >= 0 ? Regs[static_cast<size_t>(LastDest)] : Val{});
    R.Applied.push_back(std::nullopt);
    auto S = Seeds.find(StepNo);
    if (S != Seeds.end()) {
      Regs[static_cast<size_t>(S->second.Reg)] = known(S->second.V);
      if (S->second.Reg >= 0 && S->second.Reg < 64)
        Written |= 1ull << S->second.Reg;
      R.Applied.back() = S->second;
    }
    (void)Jumped;
    PC = Next;
  }
  R.Fail = "too many steps";
  return R;
}

std::optional<Contradiction> Machine::contradictionAt(const Run &R,
                                                      const Instruction &Call) {
  if (OwnsFrom || StopAtRet || Call.Target || Call.Ops.empty())
    return contradiction(R);
  std::optional<uint64_t> T;
  const Operand &O = Call.Ops[0];
  if (O.Kind == OpKind::Reg) {
    Val V = reg(O.Reg, 8);
    if (V.Known)
      T = V.V;
  } else if (O.Kind == OpKind::Mem) {
    Val V = load(O.Mem, 8);
    if (V.Known)
      T = V.V;
  }
  if (!T)
    return std::nullopt;
  auto Callee = P.pclntab().findFunc(*T);
  if (!Callee) {
    llvm::consumeError(Callee.takeError());
    return std::nullopt;
  }
  if (Callee->Entry != *T || Callee->Args < 0)
    return std::nullopt;
  OwnsFrom = FrameLo + static_cast<uint64_t>(Callee->Args) + (C.I.Arm64 ? 8 : 0);
  auto X = contradiction(R);
  OwnsFrom.reset();
  return X;
}

// The first of the run's last stores to the caller's own frame slots whose
// known value (not computed from memory others may have changed) differs
// from the core's bytes there.
std::optional<Contradiction> Machine::contradiction(const Run &R) const {
  if (!OwnsFrom)
    return std::nullopt;
  for (auto It = R.Stores.rbegin(); It != R.Stores.rend(); ++It) {
    const StoreRec &S = *It;
    if (S.Addr < *OwnsFrom || S.Addr + S.Size > FrameHi || S.Size > 8)
      continue;
    uint64_t Path = 0, Core = 0;
    bool Usable = true;
    for (unsigned B = 0; B < S.Size && Usable; ++B) {
      auto LW = R.LastWrite.find(S.Addr + B);
      auto O = Overlay.find(S.Addr + B);
      // Only the path's last store to each byte, known and not from memory.
      if (LW == R.LastWrite.end() || LW->second != S.Step ||
          O == Overlay.end() || !O->second.Known || O->second.Heap) {
        Usable = false;
        break;
      }
      // (A byte written after the call holds that later value in the
      // core: compared only with what its value at the call is proven.)
      std::optional<uint8_t> AtCall;
      if (!writtenLater(S.Addr + B, AtCall)) {
        auto Byte = P.memory().readU8(S.Addr + B);
        if (Byte)
          AtCall = *Byte;
        else
          llvm::consumeError(Byte.takeError());
      }
      if (!AtCall) {
        Usable = false;
        break;
      }
      Path |= uint64_t(O->second.Byte) << (8 * B);
      Core |= uint64_t(*AtCall) << (8 * B);
    }
    if (Usable && Path != Core)
      return Contradiction{S.Addr, S.Size, Path, Core, R.Trace[S.Step]};
  }
  return std::nullopt;
}

Machine::Reach Machine::mayReach(size_t Start, size_t Target,
                                 std::string &Why) {
  struct State {
    size_t PC;
    std::array<Val, 32> Regs;
    FlagState F;
    std::map<uint64_t, OverlayByte> Overlay;
  };
  Run Scratch;
  Cur = &Scratch;
  Later = nullptr;
  Exploring = true;
  Regs = {};
  Vec.clear();
  F = {};
  Overlay.clear();
  auto Fn = P.pclntab().findFunc(C.Insns[Start].Addr);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    Why = "no function";
    return Reach::Unknown;
  }
  auto D = P.pclntab().spDelta(*Fn, C.Insns[Start].Addr);
  if (!D) {
    llvm::consumeError(D.takeError());
    Why = "no frame size";
    return Reach::Unknown;
  }
  Regs[static_cast<size_t>(C.I.SP)] = known(EntrySP - static_cast<uint64_t>(*D));
  std::vector<State> Work;
  Work.push_back({Start, Regs, F, Overlay});
  std::set<std::pair<size_t, size_t>> Seen; // (fork PC, path count) guard
  size_t Paths = 0, Steps = 0;
  Reach Result = Reach::No;
  while (!Work.empty()) {
    if (++Paths > 64) {
      Why = "too many paths";
      Exploring = false;
      return Reach::Unknown;
    }
    State St = std::move(Work.back());
    Work.pop_back();
    Regs = St.Regs;
    F = St.F;
    Overlay = std::move(St.Overlay);
    size_t PC = St.PC;
    std::map<size_t, unsigned> Visits;
    for (;;) {
      ++Executed;
      if (++Steps > MaxSteps) {
        Why = "too many steps";
        Exploring = false;
        return Reach::Unknown;
      }
      if (PC >= C.Insns.size()) {
        Why = "ran off the function";
        Exploring = false;
        return Reach::Unknown;
      }
      if (PC == Target && !(PC == Start && Visits.empty())) {
        Result = Reach::Yes;
        break;
      }
      // A loop whose exit depends on something unknown: give up on it.
      if (++Visits[PC] > 1000) {
        Why = "loop with an unknown exit";
        Exploring = false;
        return Reach::Unknown;
      }
      const Instruction &I = C.Insns[PC];
      if (I.Class == InsnClass::Call || I.Class == InsnClass::Ret ||
          I.Class == InsnClass::Trap)
        break; // this path meets a call (or leaves): it does not count
      std::string Fail;
      size_t Next = PC + 1;
      bool Jumped = false;
      ForkTo.reset();
      if (!step(I, Fail, Next, Jumped)) {
        Why = Fail;
        Exploring = false;
        return Reach::Unknown;
      }
      if (ForkTo)
        Work.push_back({*ForkTo, Regs, F, Overlay});
      PC = Next;
    }
  }
  Exploring = false;
  return Result;
}

std::optional<Val> Machine::returnValue(int Reg, std::string &Why,
                                        size_t &Steps) {
  if (Reg < 0 || Reg >= 32)
    return std::nullopt;
  auto R = returnAll(1ull << Reg, Why, Steps);
  if (!R)
    return std::nullopt;
  return R->Regs[static_cast<size_t>(Reg)];
}

std::optional<Machine::Returned>
Machine::returnAll(uint64_t Want, std::string &Why, size_t &Steps) {
  struct State {
    size_t PC;
    std::array<Val, 32> Regs;
    FlagState F;
    std::map<uint64_t, OverlayByte> Overlay;
    uint64_t Written;
    bool PathHeap;
  };
  Run Scratch;
  Cur = &Scratch;
  Later = nullptr;
  Exploring = true;
  Regs = {};
  Vec.clear();
  F = {};
  Overlay = InitialOverlay;
  PathHeap = false;
  Written = 0;
  FromEntry = true;
  AfterCall = false;
  Regs[static_cast<size_t>(C.I.SP)] = known(EntrySP);
  std::vector<State> Work;
  Work.push_back({0, Regs, F, Overlay, Written, false});
  Returned Out;
  // Per wanted register: agreed so far (a path left it unknown, or two
  // paths differ: why, for the first such).
  std::array<std::string, 32> Lost;
  size_t Paths = 0, Returns = 0;
  const size_t StepsAtStart = Steps;
  auto Stop = [&](std::string W) -> std::optional<Returned> {
    Why = std::move(W);
    Exploring = false;
    return std::nullopt;
  };
  // Bytes outside its own frame (from its deepest SP up to the return
  // address or link register's slot).
  auto OwnFrame = [&](uint64_t B) { return B >= FrameLo && B < EntrySP + (C.I.Arm64 ? 0 : 8); };
  while (!Work.empty()) {
    if (++Paths > 8)
      return Stop("too many paths");
    State St = std::move(Work.back());
    Work.pop_back();
    Regs = St.Regs;
    F = St.F;
    Overlay = std::move(St.Overlay);
    Written = St.Written;
    PathHeap = St.PathHeap;
    size_t PC = St.PC;
    bool Returning = false;
    for (;;) {
      ++Executed;
      if (++Steps - StepsAtStart > 4096 || Steps > 16384)
        return Stop("too many steps");
      if (PC >= C.Insns.size())
        return Stop("ran off the function");
      const Instruction &I = C.Insns[PC];
      if (I.Class == InsnClass::Ret) {
        Returning = true;
        break;
      }
      if (I.Class == InsnClass::Call) {
        // A path that panics (or starts over on a bigger stack) did not
        // return: it is not the path the callee took.
        if (I.Target && callsNoReturn(P, *I.Target))
          break;
        std::string W;
        if (!callInReturnRun(I, Steps, W))
          return Stop(W);
        PC = PC + 1;
        continue;
      }
      std::string Fail;
      size_t Next = PC + 1;
      bool Jumped = false;
      ForkTo.reset();
      if (!step(I, Fail, Next, Jumped))
        return Stop(Fail);
      if (ForkTo)
        Work.push_back({*ForkTo, Regs, F, Overlay, Written, PathHeap});
      PC = Next;
    }
    if (!Returning)
      continue;
    const std::string At = hex(C.Insns[PC].Addr);
    for (int R = 0; R < 32; ++R) {
      if (!(Want >> R & 1) || !Lost[static_cast<size_t>(R)].empty())
        continue;
      Val V = reg(R, 8);
      V.Heap |= PathHeap;
      auto &O = Out.Regs[static_cast<size_t>(R)];
      if (!V.Known) {
        Lost[static_cast<size_t>(R)] = "the result is not known on a path to " + At;
        O.reset();
      } else if (Returns && (!O || O->V != V.V)) {
        Lost[static_cast<size_t>(R)] = "paths return different values";
        O.reset();
      } else if (!Returns) {
        O = V;
      } else {
        O->Heap |= V.Heap;
      }
    }
    // Its stores outside its frame: kept where every path agrees.
    std::map<uint64_t, OverlayByte> Mine;
    for (const auto &[B, V] : Overlay)
      if (!OwnFrame(B)) {
        auto It = InitialOverlay.find(B);
        if (It == InitialOverlay.end() || It->second.Known != V.Known ||
            It->second.Byte != V.Byte)
          Mine[B] = {V.Known, V.Byte, V.Heap || PathHeap};
      }
    if (!Returns) {
      Out.Stores = std::move(Mine);
    } else {
      for (auto &[B, V] : Out.Stores) {
        auto It = Mine.find(B);
        if (It == Mine.end() || It->second.Known != V.Known ||
            It->second.Byte != V.Byte)
          V = {};
      }
      for (const auto &[B, V] : Mine)
        if (!Out.Stores.count(B))
          Out.Stores[B] = {};
    }
    ++Returns;
  }
  Exploring = false;
  if (!Returns)
    return Stop("no path returns");
  for (int R = 0; R < 32; ++R)
    if ((Want >> R & 1) && !Out.Regs[static_cast<size_t>(R)] && Why.empty())
      Why = Lost[static_cast<size_t>(R)];
  return Out;
}

bool Machine::callInReturnRun(const Instruction &I, size_t &Steps,
                              std::string &Why) {
  Vec.clear(); // a call may change every vector register but X15
  if (!I.Target)
    return Why = "calls through a register at " + hex(I.Addr), false;
  auto Fn = P.pclntab().findFunc(*I.Target);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    return Why = "calls " + hex(*I.Target) + " (no function there) at " + hex(I.Addr), false;
  }
  if (Fn->Entry != *I.Target)
    return Why = "calls into the middle of " + Fn->Name + " at " + hex(I.Addr), false;
  const Val SP = reg(C.I.SP, 8);
  if (!SP.Known)
    return Why = "calls with an unknown sp at " + hex(I.Addr), false;
  const Arch &A = P.arch();
  std::array<std::optional<Val>, 32> Results;
  bool Done = false;
  if (stringHelper(Fn->Name, SP.V, Results, Steps, Why, Done)) {
    if (!Done)
      return false;
  } else {
    if (NestDepth <= 0 || !followableCallee(Fn->Name))
      return Why = "calls " + Fn->Name + " at " + hex(I.Addr), false;
    if (Fn->End - Fn->Entry > 4096)
      return Why = "calls " + Fn->Name + " (too large to follow) at " + hex(I.Addr), false;
    std::optional<Code> Own;
    auto CC = decodeFor(P, *I.Target, Budget, Own);
    if (!CC) {
      llvm::consumeError(CC.takeError());
      return Why = "calls " + Fn->Name + " (not decoded) at " + hex(I.Addr), false;
    }
    const uint64_t CalleeSP = SP.V - (C.I.Arm64 ? 0 : 8);
    const uint64_t Lo = CalleeSP - deepestFrame(P, *Fn, **CC) - 16;
    Machine N(P, **CC, CalleeSP, Lo, FrameHi);
    // Its frame is dead like its caller's; what its caller stored is as
    // the path left it.
    N.StopAtRet = true;
    N.Dead = {Lo, Dead ? std::max(Dead->second, CalleeSP) : CalleeSP};
    N.DeadWrites = DeadWrites;
    N.DeadKnown = DeadKnown;
    N.DeadFrom = DeadFrom;
    N.InitialOverlay = Overlay;
    bool ArgHeap = false;
    EntryRegisters Args = [&](int R) -> std::optional<uint64_t> {
      Val V = reg(R, 8);
      if (!V.Known)
        return std::nullopt;
      ArgHeap |= V.Heap;
      return V.V;
    };
    std::vector<int> Passed;
    uint64_t Want = 0;
    for (unsigned R : A.goIntArgRegs()) {
      Passed.push_back(static_cast<int>(R));
      Want |= 1ull << R;
    }
    Passed.push_back(static_cast<int>(A.goClosureContextReg()));
    N.setEntryRegisters(&Args, Passed);
    N.setNestedCalls(Budget, NestDepth - 1);
    std::string NWhy;
    auto Ret = N.returnAll(Want, NWhy, Steps);
    Executed += N.executed();
    if (!Ret)
      return Why = Fn->Name + " (called at " + hex(I.Addr) + "): " + NWhy, false;
    Results = Ret->Regs;
    for (auto &V : Results)
      if (V)
        V->Heap |= ArgHeap;
    for (const auto &[B, V] : Ret->Stores)
      Overlay[B] = {V.Known, V.Byte, V.Heap || ArgHeap};
    Followed.push_back(Fn->Name);
    for (const auto &F : N.followed())
      Followed.push_back(F);
  }
  // Go's calls keep only the stack and frame pointers and g: every other
  // register is the callee's to change.
  const int Fp = static_cast<int>(A.fpReg());
  const int G = A.goGReg() ? static_cast<int>(*A.goGReg()) : -1;
  for (int R = 0; R < C.I.NumRegs && R < 32; ++R) {
    if (R == C.I.SP || R == Fp || R == G)
      continue;
    Written |= 1ull << R;
    Regs[static_cast<size_t>(R)] = Results[static_cast<size_t>(R)].value_or(unknown());
  }
  F = {};
  return true;
}

namespace {
// The string searches and comparisons of internal/bytealg and the runtime
// that Go code calls (assembly: nothing to re-execute), by what they do.
enum class Helper { IndexByteString, IndexByte, IndexString, Index,
                    CountString, Count, Memequal, Cmpstring };
struct HelperInfo {
  Helper H;
  unsigned Words;    // argument words (a byte argument takes one)
  bool AlwaysInRegs; // <ABIInternal> on every architecture and version
  // The byte argument (the one to search for), if any: on the stack, the
  // caller stores only its byte.
  int ByteArg = -1;
};
std::optional<HelperInfo> helperNamed(llvm::StringRef N) {
  N.consume_back(".abi0"); // (as the symbol table names an ABI0 body)
  return llvm::StringSwitch<std::optional<HelperInfo>>(N)
      .Case("internal/bytealg.IndexByteString", HelperInfo{Helper::IndexByteString, 3, false, 2})
      .Case("internal/bytealg.IndexByte", HelperInfo{Helper::IndexByte, 4, false, 3})
      .Case("internal/bytealg.IndexString", HelperInfo{Helper::IndexString, 4, false})
      .Case("internal/bytealg.Index", HelperInfo{Helper::Index, 6, false})
      .Case("internal/bytealg.CountString", HelperInfo{Helper::CountString, 3, false, 2})
      .Case("internal/bytealg.Count", HelperInfo{Helper::Count, 4, false, 3})
      .Case("runtime.memequal", HelperInfo{Helper::Memequal, 3, true})
      .Case("runtime.cmpstring", HelperInfo{Helper::Cmpstring, 4, true})
      .Default(std::nullopt);
}
} // namespace

bool isStringHelper(llvm::StringRef Name) {
  return helperNamed(Name).has_value();
}

// The helper named Name when it takes its arguments in registers in this
// program.
std::optional<HelperInfo> stringHelperInRegs(const GoProgram &P,
                                             llvm::StringRef Name) {
  if (Name.endswith(".abi0"))
    return std::nullopt;
  auto H = helperNamed(Name);
  if (!H)
    return std::nullopt;
  const bool Arm64 = P.arch().elfMachine() == llvm::ELF::EM_AARCH64;
  if (H->AlwaysInRegs || (Arm64 && traitsOf(P.version()).Arm64BytealgRegisterABI))
    return H;
  return std::nullopt;
}

// What helper H returns for argument words W, reading the bytes it
// compares or searches with Bytes (nullopt: some are not known).
std::optional<int64_t>
helperResult(const HelperInfo &H, const std::vector<uint64_t> &W,
             const std::function<bool(uint64_t, uint64_t, std::string &)> &Bytes);

bool Machine::stringHelper(llvm::StringRef Name, uint64_t SP,
                           std::array<std::optional<Val>, 32> &Out,
                           size_t &Steps, std::string &Why, bool &Done) {
  Done = false;
  Name.consume_back(".abi0");
  auto H = helperNamed(Name);
  if (!H)
    return false;
  const Arch &A = P.arch();
  const auto ArgRegs = A.goIntArgRegs();
  const bool InRegs = stringHelperInRegs(P, Name).has_value();
  // ABI0: the arguments in the caller's outgoing area (arm64 keeps 0(RSP)
  // for the callee's saved link register), the result after them.
  const uint64_t Area = SP + (C.I.Arm64 ? 8 : 0);
  bool Heap = false;
  std::vector<uint64_t> W;
  for (unsigned K = 0; K < H->Words; ++K) {
    Val V;
    if (InRegs) {
      V = K < ArgRegs.size() ? reg(static_cast<int>(ArgRegs[K]), 8) : unknown();
    } else {
      MemOperand M;
      M.Absolute = Area + 8 * K;
      V = load(M, static_cast<int>(K) == H->ByteArg ? 1 : 8);
    }
    if (!V.Known)
      return Why = Name.str() + "'s argument " + std::to_string(K) + " is not known", true;
    Heap |= V.Heap;
    W.push_back(V.V);
  }
  // The bytes a helper reads, as the path left them or the core holds
  // them (a string's bytes do not change once made).
  auto Bytes = [&](uint64_t Addr, uint64_t Len, std::string &S) {
    if (Len > (1u << 16))
      return false;
    S.resize(static_cast<size_t>(Len));
    for (uint64_t K = 0; K < Len; ++K) {
      MemOperand M;
      M.Absolute = Addr + K;
      Val V = load(M, 1);
      if (!V.Known)
        return false;
      Heap |= V.Heap;
      S[static_cast<size_t>(K)] = static_cast<char>(V.V);
    }
    Steps += Len / 8;
    return true;
  };
  auto R = helperResult(*H, W, Bytes);
  if (!R)
    return Why = Name.str() + " reads bytes the re-execution does not know", true;
  const Val Result = known(static_cast<uint64_t>(*R), Heap);
  if (InRegs) {
    Out[ArgRegs[0]] = Result;
  } else {
    MemOperand M;
    M.Absolute = Area + 8 * H->Words;
    store(M, 8, Result, -1);
  }
  Followed.push_back(Name.str());
  Done = true;
  return true;
}

std::optional<int64_t>
helperResult(const HelperInfo &H, const std::vector<uint64_t> &W,
             const std::function<bool(uint64_t, uint64_t, std::string &)> &Bytes) {
  std::string S1, S2;
  int64_t R = 0;
  auto Find = [](const std::string &Hay, llvm::StringRef Needle) {
    auto P = llvm::StringRef(Hay).find(Needle);
    return P == llvm::StringRef::npos ? int64_t(-1) : static_cast<int64_t>(P);
  };
  bool Ok = false;
  switch (H.H) {
  case Helper::IndexByteString:
  case Helper::CountString:
  case Helper::IndexByte:
  case Helper::Count: {
    const bool Slice = H.H == Helper::IndexByte || H.H == Helper::Count;
    const char Ch = static_cast<char>(W[Slice ? 3 : 2] & 0xff);
    Ok = Bytes(W[0], W[1], S1);
    if (Ok && (H.H == Helper::IndexByteString || H.H == Helper::IndexByte))
      R = Find(S1, llvm::StringRef(&Ch, 1));
    else if (Ok)
      R = static_cast<int64_t>(std::count(S1.begin(), S1.end(), Ch));
    break;
  }
  case Helper::IndexString:
  case Helper::Index: {
    const unsigned B = H.H == Helper::Index ? 3 : 2;
    Ok = Bytes(W[0], W[1], S1) && Bytes(W[B], W[B + 1], S2);
    if (Ok)
      R = Find(S1, S2);
    break;
  }
  case Helper::Memequal:
    Ok = Bytes(W[0], W[2], S1) && Bytes(W[1], W[2], S2);
    R = S1 == S2;
    break;
  case Helper::Cmpstring: {
    Ok = Bytes(W[0], W[1], S1) && Bytes(W[2], W[3], S2);
    const int Cm = S1.compare(S2);
    R = Cm < 0 ? -1 : Cm > 0 ? 1 : 0;
    break;
  }
  }
  if (!Ok)
    return std::nullopt;
  return R;
}

// Values a run proves backwards: the last store of each register to a
// stack slot gives the register's value at the store; moves, additions
// and xors with constants carry it further back.
std::map<size_t, Seed> seedsFrom(const GoProgram &P, const Code &C,
                                 const Run &R, uint64_t FrameLo,
                                 uint64_t FrameHi) {
  std::map<size_t, Seed> Out;
  // Last store to each slot address.
  std::map<uint64_t, const StoreRec *> Final;
  for (const auto &S : R.Stores)
    if (S.Addr >= FrameLo && S.Addr < FrameHi)
      Final[S.Addr] = &S;
  auto LastDef = [&](size_t Before, int Reg) -> std::optional<size_t> {
    for (size_t T = Before; T-- > 0;) {
      if (R.DestReg[T] == Reg)
        return T;
      // Written as a second result (rdx of a mul or div) or implicitly:
      // no value to carry back through it.
      if (C.Insns[R.Trace[T]].writes(Reg))
        return std::nullopt;
    }
    return std::nullopt;
  };
  for (const auto &[Addr, S] : Final) {
    if (S->SrcReg < 0 || S->SrcReg >= C.I.NumRegs || S->SrcReg == C.I.SP ||
        (S->Size != 8 && S->Size != 4))
      continue;
    // Only a store nobody overwrote afterwards tells the value.
    bool Overwritten = false;
    for (unsigned B = 0; B < S->Size; ++B) {
      auto It = R.LastWrite.find(Addr + B);
      if (It != R.LastWrite.end() && It->second != S->Step)
        Overwritten = true;
    }
    if (Overwritten)
      continue;
    auto V = P.memory().readUint(Addr, S->Size);
    if (!V) {
      llvm::consumeError(V.takeError());
      continue;
    }
    int Reg = S->SrcReg;
    uint64_t Value = *V - S->Addend;
    size_t At = S->Step;
    bool Low32 = false; // the value carried is a 32-bit one
    // Walk back through invertible definitions.
    for (int Depth = 0; Depth < 8; ++Depth) {
      auto Def = LastDef(At, Reg);
      if (!Def)
        break;
      if ((S->Size == 4 && Depth == 0) || Low32) {
        // A 32-bit store (or a 32-bit step carried back) shows only the
        // low half; the definition must be 32-bit too (zero-extended) for
        // the seed to be whole.
        const Instruction &DI = C.Insns[R.Trace[*Def]];
        if (DI.Ops.empty() || DI.Ops[0].Size != 4)
          break;
        Value &= 0xffffffffu;
      }
      if (!R.DestVal[*Def].Known && !Out.count(*Def))
        Out[*Def] = {Reg, Value, Addr, *V, S->Insn.value_or(R.Trace[S->Step]),
                     S->Addend};
      const Instruction &I = C.Insns[R.Trace[*Def]];
      const auto &O = I.Ops;
      llvm::StringRef M = I.Mnemonic;
      const bool Arm = C.I.Arm64;
      auto GeneralReg = [&](const Operand &X) {
        return X.Kind == OpKind::Reg && X.Reg >= 0 && X.Reg < C.I.NumRegs &&
               X.Reg != C.I.SP && X.Shift == ShiftKind::None &&
               X.Ext == MemOperand::Extend::None;
      };
      if ((M == "mov") && O.size() == 2 && GeneralReg(O[1]) && O[0].Size == 8) {
        Reg = O[1].Reg;
      } else if (Arm && (M == "add" || M == "sub" || M == "eor") &&
                 O.size() == 3 && GeneralReg(O[1]) && O[2].Kind == OpKind::Imm &&
                 O[0].Size == 8) {
        uint64_t K = static_cast<uint64_t>(O[2].Imm);
        Value = M == "add" ? Value - K : M == "sub" ? Value + K : Value ^ K;
        Reg = O[1].Reg;
      } else if (Arm) {
        break;
      } else if (M == "lea" && O.size() == 2 && O[1].Mem.Index == NoReg &&
                 O[1].Mem.Base >= 0 && O[1].Mem.Base < 16 &&
                 O[1].Mem.Base != C.I.SP && (O[0].Size == 8 || O[0].Size == 4)) {
        // lea r32, [r + d] tells r's low half only.
        Low32 = O[0].Size == 4;
        Reg = O[1].Mem.Base;
        Value -= static_cast<uint64_t>(O[1].Mem.Disp);
      } else if ((M == "add" || M == "sub" || M == "xor") && O.size() == 2 &&
                 O[1].Kind == OpKind::Imm && O[0].Size == 8) {
        uint64_t K = static_cast<uint64_t>(O[1].Imm);
        Value = M == "add" ? Value - K : M == "sub" ? Value + K : Value ^ K;
      } else if ((M == "inc" || M == "dec") && O.size() == 1 && O[0].Size == 8) {
        Value = M == "inc" ? Value - 1 : Value + 1;
      } else {
        break;
      }
      At = *Def;
    }
  }
  return Out;
}

// The name of the function that starts at or contains Target (nullopt:
// none does).
std::optional<std::string> calleeName(const GoProgram &P, uint64_t Target) {
  auto Callee = P.pclntab().findFunc(Target);
  if (!Callee) {
    llvm::consumeError(Callee.takeError());
    return std::nullopt;
  }
  return std::move(Callee->Name);
}

// Whether a call to Target calls runtime.morestack*.
bool callsMorestack(const GoProgram &P, uint64_t Target) {
  auto N = calleeName(P, Target);
  return N && llvm::StringRef(*N).startswith("runtime.morestack");
}

// Whether a function so named never returns to the path that called it:
// the stack check's runtime.morestack* (the function starts over) or a
// runtime panic or throw.
bool neverReturns(llvm::StringRef N) {
  return N.startswith("runtime.morestack") || N.startswith("runtime.panic") ||
         N.startswith("runtime.goPanic") || N == "runtime.gopanic" ||
         N == "runtime.throw" || N == "runtime.fatal";
}

bool callsNoReturn(const GoProgram &P, uint64_t Target) {
  auto N = calleeName(P, Target);
  return N && neverReturns(*N);
}

// Whether straight-line code from index J calls such a function before any
// branch (within a few instructions).
bool leadsToNoReturn(const GoProgram &P, const Code &C, size_t J) {
  for (size_t K = J; K < C.Insns.size() && K < J + 12; ++K) {
    const auto &T = C.Insns[K];
    if (T.Class == InsnClass::Call)
      return T.Target && callsNoReturn(P, *T.Target);
    if (T.Class == InsnClass::Jump || T.Class == InsnClass::CondJump ||
        T.Class == InsnClass::Ret || T.Undecoded)
      return false;
  }
  return false;
}

// Whether the conditional jump at index J is a wrapper's check for a
// panic in progress (the method value, promoted-method and pointer-receiver
// wrappers of Go 1.24 and earlier: if g._panic != nil && g._panic.argp ==
// FP { g._panic.argp = SP }): a load through the g register tested
// against zero (amd64 mov r, [g+off]; test r, r; jne; arm64 ldr x, [g,
// #off]; cbnz x), whose taken side only stores through that register and
// jumps back to the fall-through within a few instructions. It changes
// the panic record, nothing the wrapper computes: the body after it is
// the same either way, so the run follows the fall-through.
bool panicArgpCheck(const Code &C, size_t J, int G) {
  const Instruction &Br = C.Insns[J];
  int X = -1;
  size_t LoadAt = 0;
  if (C.I.Arm64) {
    if (Br.Mnemonic != "cbnz" || Br.Ops.size() != 2 || Br.Ops[0].Kind != OpKind::Reg ||
        J < 1)
      return false;
    X = Br.Ops[0].Reg;
    LoadAt = J - 1;
  } else {
    if (Br.Mnemonic != "jne" || J < 2)
      return false;
    const Instruction &T = C.Insns[J - 1];
    if (T.Mnemonic != "test" || T.Ops.size() != 2 || T.Ops[0].Kind != OpKind::Reg ||
        T.Ops[1].Kind != OpKind::Reg || T.Ops[0].Reg != T.Ops[1].Reg)
      return false;
    X = T.Ops[0].Reg;
    LoadAt = J - 2;
  }
  const Instruction &L = C.Insns[LoadAt];
  if (L.Class != InsnClass::Load || L.Ops.size() != 2 || L.Ops[0].Kind != OpKind::Reg ||
      L.Ops[0].Reg != X || L.Ops[1].Kind != OpKind::Mem || L.Ops[1].Mem.Base != G ||
      L.Ops[1].Mem.Index != NoReg)
    return false;
  auto It = C.Index.find(*Br.Target);
  if (It == C.Index.end())
    return false;
  const uint64_t Back = Br.next();
  for (size_t K = It->second; K < C.Insns.size() && K < It->second + 8; ++K) {
    const Instruction &I = C.Insns[K];
    if (I.Undecoded || I.Class == InsnClass::Call || I.Class == InsnClass::Ret)
      return false;
    // Stores only through the panic record.
    for (const Operand &O : I.Ops)
      if (O.Kind == OpKind::Mem && (O.Written || I.Class == InsnClass::Store) &&
          O.Mem.Base != X)
        return false;
    if (I.Class == InsnClass::Jump)
      return I.Target && *I.Target == Back;
    if (I.Class == InsnClass::CondJump && (!I.Target || *I.Target != Back))
      return false;
  }
  return false;
}

Expected<Code> decode(const GoProgram &P, uint64_t PC) {
  auto DF = P.decodedFunction(PC);
  if (!DF)
    return DF.takeError();
  Code C;
  const Arch &A = P.arch();
  C.I.Arm64 = A.elfMachine() == llvm::ELF::EM_AARCH64;
  C.I.SP = static_cast<int>(A.spReg());
  C.I.NumRegs = static_cast<int>(A.numIntRegs());
  if (auto Z = A.goZeroVectorReg())
    C.I.ZeroVector = static_cast<int>(*Z);
  C.Entry = (*DF)->Entry;
  C.Insns = (*DF)->Insns;
  for (size_t I = 0; I < C.Insns.size(); ++I) {
    C.Index[C.Insns[I].Addr] = I;
    C.Kinds.push_back(mnemonicKind(C.Insns[I].Mnemonic));
  }
  C.LowestTakenOffset = lowestTakenStackOffset(C.Insns, C.I.SP,
                                               static_cast<int>(A.fpReg()), C.I.Arm64);
  for (size_t I = 0; I < C.Insns.size(); ++I) {
    const auto &In = C.Insns[I];
    if (In.Class != InsnClass::CondJump || !In.Target)
      continue;
    auto It = C.Index.find(*In.Target);
    if (It == C.Index.end())
      continue;
    const bool TargetDies = leadsToNoReturn(P, C, It->second);
    const bool FallDies = leadsToNoReturn(P, C, I + 1);
    if (TargetDies != FallDies)
      C.KnownBranches[I] = FallDies;
    else if (auto G = A.goGReg(); G && panicArgpCheck(C, I, static_cast<int>(*G)))
      C.KnownBranches[I] = false;
  }
  return C;
}

} // namespace

namespace {

bool debugEmulation() { return getenv("MAPSLEUTH_DEBUG_EMU") != nullptr; }

// Re-executions asked for while re-executing a callee for its results: no
// further callee is followed from there (the cost stays bounded).
thread_local int ReturnNesting = 0;
struct ReturnDepth {
  ReturnDepth() { ++ReturnNesting; }
  ~ReturnDepth() { --ReturnNesting; }
};

// The call that returns to ReturnPC and the caller's frame around it.
struct CallFrame {
  size_t Target = 0; // the call's index in the code
  uint64_t EntrySP = 0, FrameLo = 0, FrameHi = 0;
  // Frame bytes from here up are not the callee's to write (its arguments
  // and their spill area lie below); unset when the callee is not known.
  std::optional<uint64_t> CallerOwnsFrom;
};

Expected<CallFrame> callFrame(const GoProgram &P, const Code &C,
                              uint64_t ReturnPC, uint64_t CallerSP) {
  CallFrame F;
  F.Target = C.Insns.size();
  for (size_t I = 0; I < C.Insns.size(); ++I)
    if (C.Insns[I].next() == ReturnPC)
      F.Target = I;
  if (F.Target == C.Insns.size() ||
      C.Insns[F.Target].Class != InsnClass::Call)
    return makeError("no call ends at {0}", hex(ReturnPC));
  auto Fn = P.pclntab().findFunc(C.Insns[F.Target].Addr);
  if (!Fn)
    return Fn.takeError();
  auto D = P.pclntab().spDelta(*Fn, C.Insns[F.Target].Addr);
  if (!D)
    return D.takeError();
  // SP at the call is the frame's SP; the entry SP is above it.
  F.EntrySP = CallerSP + static_cast<uint64_t>(*D);
  F.FrameLo = CallerSP;
  F.FrameHi = F.EntrySP + 8 + 256;
  if (auto T = C.Insns[F.Target].Target) {
    auto Callee = P.pclntab().findFunc(*T);
    if (Callee && Callee->Args >= 0)
      // (arm64: 0(RSP) is the word the callee's frame record sits on)
      F.CallerOwnsFrom = CallerSP + static_cast<uint64_t>(Callee->Args) +
                         (C.I.Arm64 ? 8 : 0);
    else if (!Callee)
      llvm::consumeError(Callee.takeError());
  }
  return F;
}

// Start points: right after each call (no register survives a call in
// ABIInternal) and the function's entry. After runtime.morestack the code
// reloads the arguments and restarts the function: not a path to the call.
std::vector<size_t> startPoints(const GoProgram &P, const Code &C) {
  std::vector<size_t> Starts = {0};
  for (size_t I = 0; I + 1 < C.Insns.size(); ++I) {
    const auto &In = C.Insns[I];
    if (In.Class != InsnClass::Call)
      continue;
    if (In.Target && callsMorestack(P, *In.Target))
      continue;
    Starts.push_back(I + 1);
  }
  return Starts;
}

// The decoded function around PC with what the re-execution derives from
// it: kept in the diagnosis's budget (by entry) when there is one, else in
// Own.
Expected<const Code *> decodeFor(const GoProgram &P, uint64_t PC,
                                 StepBudget *Budget, std::optional<Code> &Own) {
  using Cache = std::map<uint64_t, Code>;
  Cache *Kept = nullptr;
  uint64_t Entry = 0;
  if (Budget) {
    if (!Budget->Codes)
      Budget->Codes = std::make_shared<Cache>();
    Kept = static_cast<Cache *>(Budget->Codes.get());
    auto Fn = P.pclntab().findFunc(PC);
    if (!Fn)
      return Fn.takeError();
    Entry = Fn->Entry;
    auto It = Kept->find(Entry);
    if (It != Kept->end())
      return &It->second;
  }
  auto C = decode(P, PC);
  if (!C)
    return C.takeError();
  C->Starts = startPoints(P, *C);
  if (Kept)
    return &Kept->emplace(Entry, std::move(*C)).first->second;
  Own = std::move(*C);
  return &*Own;
}

// The instructions control may pass to from instruction K of C within the
// function (Out): none after a call, a return or a trap (the walks below
// stop there). False when a jump's target is none of the function's
// instructions (Out then holds the rest).
bool successors(const Code &C, size_t K, std::vector<size_t> &Out) {
  Out.clear();
  const Instruction &I = C.Insns[K];
  if (I.Class == InsnClass::Call || I.Class == InsnClass::Ret ||
      I.Class == InsnClass::Trap)
    return true;
  bool Whole = true;
  if (I.Class == InsnClass::Jump || I.Class == InsnClass::CondJump) {
    auto It = C.Index.find(I.Target.value_or(~0ull));
    if (It == C.Index.end())
      Whole = false;
    else
      Out.push_back(It->second);
  }
  if (I.Class != InsnClass::Jump)
    Out.push_back(K + 1);
  return Whole;
}

// Whether instruction I may store to the frame slot at offset Off from
// the body's SP.
bool mayStoreTo(const Code &C, const Instruction &I, uint64_t Off) {
  const bool Taken = C.LowestTakenOffset && Off + 8 > *C.LowestTakenOffset;
  if (I.Undecoded)
    return true;
  for (const auto &O : I.Ops)
    if (O.Written && O.Kind == OpKind::Mem) {
      if (O.Mem.Base == C.I.SP && O.Mem.Index == NoReg) {
        const uint64_t D = static_cast<uint64_t>(O.Mem.Disp);
        if (O.Mem.Disp < 0 || (D < Off + 8 && Off < D + (O.Size ? O.Size : 16)))
          return true;
      } else if (Taken || O.Mem.Base == C.I.SP) {
        return true;
      }
    }
  // (rep stos writes through rdi, an operand Capstone may not list.)
  return llvm::StringRef(I.Mnemonic).startswith("rep");
}

// Whether some path from instruction index From on to Target (not through
// a call, a return or an indirect jump) may store to the frame slot at
// offset Off from the body's SP: a store there, or through any other
// pointer when the slot's address may be taken.
bool mayStoreOnTheWay(const Code &C, size_t From, size_t Target, uint64_t Off) {
  std::vector<size_t> Work = {From}, Next;
  std::set<size_t> Seen;
  while (!Work.empty()) {
    const size_t K = Work.back();
    Work.pop_back();
    if (K >= C.Insns.size() || !Seen.insert(K).second)
      continue;
    if (Seen.size() > 4096)
      return true;
    if (K != From) {
      if (K == Target)
        continue;
      if (mayStoreTo(C, C.Insns[K], Off))
        return true;
    }
    if (!successors(C, K, Next))
      return true;
    Work.insert(Work.end(), Next.begin(), Next.end());
  }
  return false;
}

// The frame bytes (offsets from the body's SP) some path from instruction
// index From on to Target (not through a call) may store to, and whether
// one stores through another pointer; nullopt when the walk cannot tell.
struct MaybeStored {
  std::set<uint64_t> Slots;
  bool ThroughPointer = false;
};
std::optional<MaybeStored> slotsMaybeStored(const Code &C, size_t From,
                                            size_t Target) {
  // The instructions reachable from From without a call, each with its
  // successors; then those of them from which Target can be reached (a
  // path that meets a call first is not one the path after the call took).
  std::map<size_t, std::vector<size_t>> Succ;
  std::vector<size_t> Work = {From};
  while (!Work.empty()) {
    const size_t K = Work.back();
    Work.pop_back();
    if (K >= C.Insns.size() || Succ.count(K))
      continue;
    if (Succ.size() > 4096)
      return std::nullopt;
    auto &Next = Succ[K];
    if (K != From && K == Target)
      continue;
    if (C.Insns[K].Undecoded || !successors(C, K, Next))
      return std::nullopt;
    Work.insert(Work.end(), Next.begin(), Next.end());
  }
  std::map<size_t, std::vector<size_t>> Pred;
  for (const auto &[K, Ns] : Succ)
    for (size_t N : Ns)
      Pred[N].push_back(K);
  std::set<size_t> ToTarget;
  std::vector<size_t> Back = {Target};
  while (!Back.empty()) {
    const size_t K = Back.back();
    Back.pop_back();
    if (!ToTarget.insert(K).second)
      continue;
    for (size_t Pk : Pred[K])
      Back.push_back(Pk);
  }
  MaybeStored Out;
  for (size_t K : ToTarget) {
    if (K == From || K == Target || !Succ.count(K))
      continue;
    const Instruction &I = C.Insns[K];
    if (llvm::StringRef(I.Mnemonic).startswith("rep"))
      return std::nullopt;
    for (const auto &O : I.Ops)
      if (O.Written && O.Kind == OpKind::Mem) {
        if (O.Mem.Base == C.I.SP && O.Mem.Index == NoReg && O.Mem.Disp >= 0) {
          for (unsigned B = 0; B < (O.Size ? O.Size : 16u); ++B)
            Out.Slots.insert(static_cast<uint64_t>(O.Mem.Disp) + B);
        } else if (O.Mem.Base == C.I.SP) {
          return std::nullopt;
        } else {
          Out.ThroughPointer = true;
        }
      }
  }
  return Out;
}

// A plain 8-byte store of a register to a frame slot, [sp + d] (amd64
// mov, arm64 str): the register and d.
std::optional<std::pair<int, uint64_t>> slotStore(const Code &C, const Instruction &I) {
  const auto &O = I.Ops;
  if (O.size() != 2)
    return std::nullopt;
  const Operand *Mem = nullptr, *Src = nullptr;
  if (!C.I.Arm64 && I.Mnemonic == "mov") {
    Mem = &O[0];
    Src = &O[1];
  } else if (C.I.Arm64 && I.Mnemonic == "str" && !I.Writeback) {
    Mem = &O[1];
    Src = &O[0];
  } else {
    return std::nullopt;
  }
  if (Mem->Kind != OpKind::Mem || Mem->Mem.Base != C.I.SP ||
      Mem->Mem.Index != NoReg || Mem->Mem.Disp < 0 || Src->Kind != OpKind::Reg ||
      Src->Size != 8 || Src->Reg < 0 || Src->Reg >= C.I.NumRegs ||
      Src->Reg == C.I.SP || Src->Shift != ShiftKind::None)
    return std::nullopt;
  return std::make_pair(Src->Reg, static_cast<uint64_t>(Mem->Mem.Disp));
}

// The instructions reachable from Start without passing Stop or Target
// (Start itself expanded; Target and Stop not entered, Target recorded),
// into Seen; false when the walk meets anything it cannot follow or grows
// past 1024 instructions.
bool reachable(const Code &C, size_t Start, std::optional<size_t> Stop,
               size_t Target, std::set<size_t> &Seen) {
  std::vector<size_t> Work = {Start}, Next;
  while (!Work.empty()) {
    const size_t K = Work.back();
    Work.pop_back();
    if (K >= C.Insns.size() || (Stop && K == *Stop) || !Seen.insert(K).second)
      continue;
    if (Seen.size() > 1024)
      return false;
    if (K != Start && (K == Target || C.Insns[K].Undecoded))
      continue;
    if (!successors(C, K, Next))
      return false;
    Work.insert(Work.end(), Next.begin(), Next.end());
  }
  return true;
}

// A register set to another (or itself) plus a constant: amd64 lea d(r),
// inc, dec, add or sub with an immediate, arm64 add or sub with an
// immediate, a 64-bit move. (Source register, constant.)
std::optional<std::pair<int, uint64_t>> regPlusConst(const Code &C,
                                                     const Instruction &I) {
  const auto &O = I.Ops;
  auto General = [&](const Operand &X) {
    return X.Kind == OpKind::Reg && X.Reg >= 0 && X.Reg < C.I.NumRegs &&
           X.Reg != C.I.SP && X.Size == 8 && X.Shift == ShiftKind::None &&
           X.Ext == MemOperand::Extend::None;
  };
  if (O.empty() || !General(O[0]))
    return std::nullopt;
  if (I.Mnemonic == "mov" && O.size() == 2 && General(O[1]))
    return std::make_pair(O[1].Reg, uint64_t{0});
  if (!C.I.Arm64 && (I.Mnemonic == "inc" || I.Mnemonic == "dec") && O.size() == 1)
    return std::make_pair(O[0].Reg, I.Mnemonic == "inc" ? uint64_t{1} : ~uint64_t{0});
  if (!C.I.Arm64 && (I.Mnemonic == "add" || I.Mnemonic == "sub") &&
      O.size() == 2 && O[1].Kind == OpKind::Imm) {
    const uint64_t K = static_cast<uint64_t>(O[1].Imm);
    return std::make_pair(O[0].Reg, I.Mnemonic == "add" ? K : uint64_t{0} - K);
  }
  if (!C.I.Arm64 && I.Mnemonic == "lea" && O.size() == 2 &&
      O[1].Kind == OpKind::Mem && O[1].Mem.Index == NoReg &&
      O[1].Mem.Base >= 0 && O[1].Mem.Base < C.I.NumRegs &&
      O[1].Mem.Base != C.I.SP)
    return std::make_pair(O[1].Mem.Base, static_cast<uint64_t>(O[1].Mem.Disp));
  if (C.I.Arm64 && (I.Mnemonic == "add" || I.Mnemonic == "sub") &&
      O.size() == 3 && General(O[1]) && O[2].Kind == OpKind::Imm &&
      O[2].Shift == ShiftKind::None) {
    const uint64_t K = static_cast<uint64_t>(O[2].Imm);
    return std::make_pair(O[1].Reg, I.Mnemonic == "add" ? K : uint64_t{0} - K);
  }
  return std::nullopt;
}

// The plain register stores to frame slots (slotStore) among the
// instructions reachable from From without passing Target, when Target is
// reached: each one's instruction index, register and slot offset, in
// instruction order.
struct SlotStoreAt {
  size_t X;
  int Reg;
  uint64_t Off;
};
std::vector<SlotStoreAt> slotStoresAhead(const Code &C, size_t From,
                                         size_t Target) {
  std::vector<SlotStoreAt> Out;
  std::set<size_t> All;
  if (!reachable(C, From, std::nullopt, Target, All) || !All.count(Target))
    return Out;
  for (size_t X : All) {
    if (X == From || X == Target)
      continue;
    if (auto St = slotStore(C, C.Insns[X]))
      Out.push_back({X, St->first, St->second});
  }
  return Out;
}

struct StoreAhead {
  int Reg;         // the register at From
  uint64_t Off;    // the slot
  uint64_t Addend; // the slot holds Reg's value at From plus this
  size_t Store;    // the store's instruction index
};

// Stores every path from instruction index From on to Target passes (not
// through a call), of a register no instruction on the way there changes
// (or set, on every path, from such a register plus a constant: the
// counter's i+1), to a slot nothing else stores to from From to Target:
// each slot's value in the core is then that register's at From (plus the
// constant).
std::vector<StoreAhead> storesAhead(const Code &C, size_t From, size_t Target) {
  auto Reach = [&](size_t Start, std::optional<size_t> Stop, std::set<size_t> &Seen) {
    return reachable(C, Start, Stop, Target, Seen);
  };
  std::vector<StoreAhead> Out;
  for (const auto &[X, SReg, Off] : slotStoresAhead(C, From, Target)) {
    // Every path from From to Target passes X, and the slot is not stored
    // to on the way there ...
    std::set<size_t> Before;
    if (!Reach(From, X, Before) || Before.count(Target))
      continue;
    bool Clean = true;
    std::vector<size_t> Defs; // what sets the stored register on the way
    for (size_t K : Before) {
      if (K == From)
        continue;
      if (mayStoreTo(C, C.Insns[K], Off))
        Clean = false;
      if (C.Insns[K].writes(SReg))
        Defs.push_back(K);
    }
    // ... and nothing stores to the slot after it.
    if (!Clean || mayStoreOnTheWay(C, X, Target, Off))
      continue;
    if (Defs.empty()) {
      Out.push_back({SReg, Off, 0, X});
      continue;
    }
    // The register stored set from another plus a constant, at D: every
    // path from From to X passes D, none sets the stored register again
    // after D, and none changes D's source register before X.
    for (size_t D : Defs) {
      auto Src = regPlusConst(C, C.Insns[D]);
      if (!Src || Src->first == SReg)
        continue;
      std::set<size_t> ToD, AfterD;
      if (!Reach(From, D, ToD) || ToD.count(X) || ToD.count(Target) ||
          !Reach(D, X, AfterD) || AfterD.count(Target))
        continue;
      bool Ok = true;
      for (size_t K : Before)
        if (K != From && C.Insns[K].writes(Src->first))
          Ok = false;
      for (size_t K : AfterD)
        if (K != D && C.Insns[K].writes(SReg))
          Ok = false;
      if (Ok)
        Out.push_back({Src->first, Off, Src->second, X});
      break;
    }
  }
  return Out;
}

// Stores of a register to a frame slot that some path from instruction
// index From on to Target passes (nothing else storing to the slot after
// them), each with a definition D of the stored register from another (or
// itself) plus a constant on the way there: if the path runs through D and
// then the store, the source register's value at From is the core's of
// the slot minus the constant. A guess, kept only when a run seeded with
// it does take that path (a rune loop's i++ on its one-byte path, where
// the other path's index comes from runtime.decoderune).
struct GuessAhead {
  StoreAhead Store;
  size_t Def; // D's instruction index
  int Stored; // the register the store stores
};
std::vector<GuessAhead> guessesAhead(const Code &C, size_t From, size_t Target) {
  std::vector<GuessAhead> Out;
  for (const auto &[X, SReg, Off] : slotStoresAhead(C, From, Target)) {
    if (mayStoreOnTheWay(C, X, Target, Off))
      continue;
    std::set<size_t> Before;
    if (!reachable(C, From, X, Target, Before))
      continue;
    for (size_t D : Before) {
      if (D == From || !C.Insns[D].writes(SReg))
        continue;
      auto Src = regPlusConst(C, C.Insns[D]);
      if (!Src)
        continue;
      Out.push_back({{Src->first, Off, Src->second, X}, D, SReg});
      if (Out.size() >= 8)
        return Out;
    }
  }
  return Out;
}

// Whether some path from the entry of C reaches a return without calling
// anything a return run cannot follow (the runtime, a call through a
// register) or what never returns.
bool returnsWithoutRuntime(const GoProgram &P, const Code &C) {
  std::vector<size_t> Work = {0}, Next;
  std::set<size_t> Seen;
  std::map<uint64_t, bool> Ok; // call target -> followable
  while (!Work.empty()) {
    const size_t K = Work.back();
    Work.pop_back();
    if (K >= C.Insns.size() || !Seen.insert(K).second)
      continue;
    const Instruction &I = C.Insns[K];
    if (I.Undecoded)
      continue;
    if (I.Class == InsnClass::Ret)
      return true;
    if (I.Class == InsnClass::Call) {
      if (!I.Target)
        continue;
      auto It = Ok.find(*I.Target);
      if (It == Ok.end()) {
        auto N = calleeName(P, *I.Target);
        It = Ok.emplace(*I.Target, N && !neverReturns(*N) &&
                                       followableCallee(*N)).first;
      }
      if (It->second)
        Work.push_back(K + 1);
      continue;
    }
    // (A jump out of the function is no way to a return of its own.)
    successors(C, K, Next);
    Work.insert(Work.end(), Next.begin(), Next.end());
  }
  return false;
}

// The re-executions of the caller towards the call, from each start point:
// the value of Reg they agree on, or that they disagree.
class Reexecutions {
public:
  Reexecutions(const GoProgram &P, const Code &C, const CallFrame &F,
               int Reg, const EntryRegisters &Entry, StepBudget *Budget,
               const std::map<uint64_t, size_t> *WrittenLater = nullptr,
               const std::map<uint64_t, uint8_t> *LaterKnown = nullptr,
               const StringResultHint *Hint = nullptr)
      : P(P), C(C), F(F), Reg(Reg), Entry(Entry), Budget(Budget),
        WrittenLater(WrittenLater), LaterKnown(LaterKnown), Hint(Hint) {
    for (unsigned R : P.arch().goIntArgRegs())
      Passed.push_back(static_cast<int>(R));
    Passed.push_back(static_cast<int>(P.arch().goClosureContextReg()));
  }

  // Re-executes from start S (WithEntry: with the registers the caller's
  // caller passed).
  // WithResults: a start right after a call takes what that call
  // returned, by re-executing the callee (a leaf) from its entry.
  // Guess: a start whose path stops at a branch on a register that only
  // some paths on store (a rune loop's index), run with each such path's
  // guess; a value found so is uncertain.
  void tryStart(size_t S, bool WithEntry, bool WithResults = false,
                bool Guess = false);
  // Whether some start that stopped might still reach the call along a
  // path not followed.
  bool someStopReaches();

  std::optional<uint64_t> Agreed;
  bool Heap = false, Conflict = false;
  std::string Detail;
  // Paths that reached the call but left the caller's frame otherwise than
  // the core holds it: they did not run (in words, for the detail).
  std::vector<std::string> RuledOut;
  // The budget ran out: no further start is tried.
  bool Spent = false;
  bool charge(const Machine &M) {
    if (Budget && !Budget->take(M.executed()))
      Spent = true;
    return !Spent;
  }
  // Why the register was unknown at the call on the first path that
  // reached it without knowing it, in words.
  std::string Unknown;
  // Runs from the entry that reach the call without knowing the value:
  // to try again with the registers the caller's caller passed.
  std::vector<size_t> EntryRetry;
  // Runs right after a call that reach the call without knowing the
  // value: to try again with what that call returned.
  std::vector<size_t> ResultRetry;
  // Starts whose path reached the call, not ruled out, without knowing the
  // value (and not settled by a retry): each may be where the last call
  // before this one was, so a value another start found is not certain.
  std::set<size_t> ReachedUnknown;
  // Starts to try again with guesses (tryStart's Guess), and what the
  // guess that gave the value assumed, in words.
  std::vector<size_t> GuessRetry;
  std::string Guessed;
  // Starts stopped at a branch on an unknown condition: to try again,
  // last, taking at such a branch the only way that reaches the call
  // without another call (Prune).
  std::vector<size_t> PruneRetry;
  bool Prune = false;
  // Starts whose callee's result was the hint; whether a value found took
  // it (it is then uncertain).
  std::set<size_t> UsedHint;
  bool Hinted = false;

private:
  Machine machine() const {
    Machine M(P, C, F.EntrySP, F.FrameLo, F.FrameHi);
    M.setCallerOwnsFrom(F.CallerOwnsFrom);
    M.setPrune(Prune);
    if (WrittenLater)
      M.setWrittenLater(WrittenLater, LaterKnown);
    return M;
  }
  // R again with the values the path's last stores left on the stack
  // (Seeds), up to three rounds, while that follows the same path.
  Run seeded(Machine &Mc, size_t S, const Run &First, Run R,
             std::map<size_t, Seed> &Seeds) const;
  void agree(const Run &R, size_t S, const std::map<size_t, Seed> &Seeds,
             bool UsedEntry);
  std::string slot(uint64_t Addr) const;
  std::string startWords(size_t S) const;
  std::optional<Val> calleeResult(size_t S, int R);
  // Result register R of a call of the runtime's string conversion or
  // concatenation Name, from its arguments (AtCall); Heap is set when
  // that read memory as it is now.
  std::optional<uint64_t>
  conversionResult(llvm::StringRef Name, int R,
                   const std::function<std::optional<uint64_t>(int)> &AtCall,
                   bool &Heap) const;
  // Result register R of a call to map read entry point Name (described
  // by MF), with its arguments as the caller had them (AtCall): the
  // address of the key's element in the map as the core holds it (or of
  // the zero value, or the ok flag), when the key is found or the map is
  // walked whole without it.
  std::optional<Val>
  mapReadResult(const MapFuncInfo &MF, llvm::StringRef Name, int R,
                const std::function<std::optional<uint64_t>(int)> &AtCall);
  std::map<std::pair<size_t, int>, std::optional<Val>> Results;
  std::map<size_t, std::string> Returns; // start -> what the callee gave
  // Result register R of the call before start S as the hint supposes it
  // (emulateRegisterAtCall's Hint), when nothing else tells.
  std::optional<Val> hintedResult(size_t S, int R);
  // What the caller's path from a start did to its frame, kept for a retry
  // with the results of the call before the start.
  struct PathAfterCall {
    std::map<uint64_t, size_t> Writes; // frame bytes it wrote
    bool UnknownStore = false; // stored through a pointer it did not know
    bool Partial = false;      // stopped before the call: Writes not whole
    // Of the frame bytes it wrote, those whose value at its start (and so
    // at the call) it proves: loaded before it stored there, the load's
    // value given by a seed.
    std::map<uint64_t, uint8_t> Known;
    // A partial path's Writes hold every frame byte a path on may write
    // (false: not known, nothing in the frame is as it was at the call).
    bool WritesKnown = true;
  };
  std::map<size_t, PathAfterCall> Paths;
  std::string unknownOrigin(const Run &R, size_t S) const;
  std::map<uint64_t, uint8_t> slotsAtStart(const Run &R,
                                           const std::map<size_t, Seed> &Seeds) const;
  // Whether the caller wrote some byte of the 8-byte slot at A after the
  // call being run to (then the core holds that later value).
  bool slotWrittenLater(uint64_t A) const {
    if (!WrittenLater)
      return false;
    auto W = WrittenLater->lower_bound(A);
    return W != WrittenLater->end() && W->first < A + 8;
  }

  const GoProgram &P;
  const Code &C;
  const CallFrame &F;
  const int Reg;
  const EntryRegisters &Entry;
  StepBudget *Budget;
  const std::map<uint64_t, size_t> *WrittenLater;
  const std::map<uint64_t, uint8_t> *LaterKnown;
  const StringResultHint *Hint;
  std::vector<int> Passed;
  // Each start and each re-run asks again: ask the caller's caller once.
  std::map<int, std::optional<uint64_t>> Asked;
  EntryRegisters Memo = [this](int R) {
    auto It = Asked.find(R);
    if (It == Asked.end())
      It = Asked.emplace(R, Entry(R)).first;
    return It->second;
  };
  // Starts whose replay stopped for another reason than meeting a call (or
  // leaving the function): they might reach the call along a path we could
  // not follow. Explored only when some start gave a value: the
  // exploration can only make that value uncertain.
  std::vector<size_t> ToExplore;
};

void Reexecutions::tryStart(size_t S, bool WithEntry, bool WithResults,
                            bool Guess) {
  if (Spent)
    return;
  Machine Mc = machine();
  struct Charge {
    Reexecutions &X;
    Machine &M;
    ~Charge() { X.charge(M); }
  } Charged{*this, Mc};
  if (WithEntry)
    Mc.setEntryRegisters(&Memo, Passed);
  Machine::Results Returned = [this, S](int R) {
    auto V = calleeResult(S, R);
    if (!V && Hint)
      V = hintedResult(S, R);
    return V;
  };
  if (WithResults && afterCall(C, S)) // (S - 1 is that call)
    Mc.setStartResults(&Returned, Passed);
  Run First = Mc.run(S, F.Target, Reg, nullptr, {});
  if (!WithEntry && !First.Reached &&
      !llvm::StringRef(First.Fail).startswith("passes another call") &&
      !llvm::StringRef(First.Fail).startswith("leaves the function"))
    ToExplore.push_back(S);
  if (!First.Reached) {
    if (!Prune && !WithEntry && !WithResults && !Guess &&
        llvm::StringRef(First.Fail).startswith("branch on an unknown condition"))
      PruneRetry.push_back(S);
    // A branch on what the call before the start returned (an ok result):
    // worth a retry with that call's results. Its path is not whole, so
    // the callee will find the whole caller frame unknown.
    if (!WithResults && afterCall(C, S) &&
        llvm::StringRef(First.Fail).startswith("branch on an unknown condition") &&
        !First.Trace.empty()) {
      ResultRetry.push_back(S);
      // What it wrote up to the branch, and what any path on from there
      // to the call may write: the core's value of those slots may be a
      // later one for a re-execution up to the call before the start.
      PathAfterCall &Pa = Paths[S];
      Pa.Partial = true;
      Pa.Writes = First.LastWrite;
      Pa.UnknownStore = First.UnknownStore;
      auto More = slotsMaybeStored(C, First.Trace.back(), F.Target);
      if (!More) {
        Pa.WritesKnown = false;
      } else {
        for (uint64_t Off : More->Slots)
          Pa.Writes.emplace(F.FrameLo + Off, First.Trace.size());
        Pa.UnknownStore |= More->ThroughPointer;
      }
    }
    if (debugEmulation())
      llvm::errs() << "emu start " << hex(C.Insns[S].Addr)
                   << " fails: " << First.Fail << "\n";
    return;
  }
  // Reads of slots the path writes later see the wrong value in the core.
  Run R = Mc.run(S, F.Target, Reg, &First.LastWrite, {});
  std::map<size_t, Seed> Seeds;
  if (!R.Reached) {
    // A loop counter read back from its slot, then a branch on what it
    // indexes: the store of the counter back to its slot, before that
    // branch, is the last one to reach the call when no path on from the
    // branch stores there again; the core's value of the slot is then the
    // stored register's, and gives the counter.
    if (debugEmulation())
      llvm::errs() << "emu start " << hex(C.Insns[S].Addr)
                   << " fails with the later writes unknown: " << R.Fail << "\n";
    if (!llvm::StringRef(R.Fail).startswith("branch on an unknown condition") ||
        R.Trace.empty())
      return;
    // And a store every path on from the branch passes, of a register
    // unchanged until then: the register's value at the branch is the
    // core's of that slot (a counter stored after an inlined search loop).
    const size_t At = R.DestReg.size(); // the branch's step
    const auto StoresAhead = storesAhead(C, R.Trace.back(), F.Target);
    if (debugEmulation())
      llvm::errs() << "emu stores ahead of " << hex(C.Insns[R.Trace.back()].Addr)
                   << ": " << StoresAhead.size() << "\n";
    // R again, seeded from the stores List says lie ahead and from the
    // path's own stores.
    auto SeededBy = [&](const std::vector<StoreAhead> &List,
                        std::map<size_t, Seed> &Sd) -> std::optional<Run> {
      Run Ahead = R;
      std::set<uint64_t> Ahead8; // (their slots: checked by storesAhead)
      for (const auto &[SReg, Off, Addend, Store] : List) {
        const uint64_t A = F.FrameLo + Off;
        Ahead8.insert(A);
        Ahead.Stores.push_back({A, 8, SReg, At, Addend, Store});
        for (unsigned B = 0; B < 8; ++B)
          Ahead.LastWrite[A + B] = At;
      }
      Sd = seedsFrom(P, C, Ahead, F.FrameLo, F.FrameHi);
      for (auto It = Sd.begin(); It != Sd.end();) {
        const uint64_t A = It->second.Slot;
        It = slotWrittenLater(A) || (!Ahead8.count(A) &&
                       mayStoreOnTheWay(C, R.Trace.back(), F.Target, A - F.FrameLo))
                 ? Sd.erase(It)
                 : std::next(It);
      }
      if (Sd.empty())
        return std::nullopt;
      return Mc.run(S, F.Target, Reg, &First.LastWrite, Sd);
    };
    if (!Guess) {
      auto R2 = SeededBy(StoresAhead, Seeds);
      if (debugEmulation() && R2)
        llvm::errs() << "emu start " << hex(C.Insns[S].Addr)
                     << " seeded before its unknown branch: "
                     << (R2->Reached ? "reached" : R2->Fail) << "\n";
      if (!R2 || !R2->Reached) {
        if (!WithEntry && !WithResults)
          GuessRetry.push_back(S);
        return;
      }
      R = std::move(*R2);
    } else {
      // Each guess counts only when its run takes the guessed path: D,
      // with the source register unchanged since the branch, then the
      // store, with the stored register unchanged since D, and no later
      // store to the slot.
      auto Follows = [&](const Run &X, const GuessAhead &G) {
        size_t T = At;
        while (T < X.Trace.size() && X.Trace[T] != G.Def) {
          if (T > At && C.Insns[X.Trace[T]].writes(G.Store.Reg))
            return false;
          ++T;
        }
        size_t U = T + 1;
        while (U < X.Trace.size() && X.Trace[U] != G.Store.Store) {
          if (C.Insns[X.Trace[U]].writes(G.Stored))
            return false;
          ++U;
        }
        if (U >= X.Trace.size())
          return false;
        auto W = X.LastWrite.find(F.FrameLo + G.Store.Off);
        return W != X.LastWrite.end() && W->second == U;
      };
      std::optional<Run> Best;
      const auto Guesses = guessesAhead(C, R.Trace.back(), F.Target);
      if (debugEmulation())
        llvm::errs() << "emu start " << hex(C.Insns[S].Addr) << " guesses: "
                     << Guesses.size() << "\n";
      for (const GuessAhead &G : Guesses) {
        std::vector<StoreAhead> List;
        for (const StoreAhead &A : StoresAhead)
          if (A.Off != G.Store.Off)
            List.push_back(A);
        List.push_back(G.Store);
        std::map<size_t, Seed> Sd;
        auto R2 = SeededBy(List, Sd);
        if (debugEmulation())
          llvm::errs() << "emu guess " << hex(C.Insns[G.Def].Addr) << " -> "
                       << hex(C.Insns[G.Store.Store].Addr) << ": "
                       << (!R2 ? "no seeds" : !R2->Reached ? R2->Fail
                           : !R2->Target.Known ? "unknown"
                           : Follows(*R2, G) ? "follows" : "other path")
                       << "\n";
        if (!R2 || !R2->Reached || !R2->Target.Known || !Follows(*R2, G))
          continue;
        if (debugEmulation())
          llvm::errs() << "emu start " << hex(C.Insns[S].Addr)
                       << " guessing the path through " << hex(C.Insns[G.Def].Addr)
                       << ": " << hex(R2->Target.V) << "\n";
        if (Best && Best->Target.V != R2->Target.V)
          return; // two guesses, two values
        if (!Best) {
          Best = std::move(*R2);
          Seeds = std::move(Sd);
          Guessed = "assuming the path through " + hex(C.Insns[G.Def].Addr) +
                    " and the store at " + hex(C.Insns[G.Store.Store].Addr) +
                    " ran (it does when seeded so; another path from the "
                    "branch at " + hex(C.Insns[R.Trace.back()].Addr) +
                    " to that store could not be followed)";
        }
      }
      if (!Best)
        return;
      R = std::move(*Best);
    }
  }
  R = seeded(Mc, S, First, std::move(R), Seeds);
  if (debugEmulation())
    llvm::errs() << "emu start " << hex(C.Insns[S].Addr) << " reached="
                 << R.Reached << " known=" << R.Target.Known << " value="
                 << hex(R.Target.V) << " steps=" << R.Trace.size()
                 << " seeds=" << Seeds.size() << " contradicted="
                 << bool(R.Contradicted) << (WithResults ? " with-results" : "")
                 << (Mc.usedStartResults() ? " used" : "") << "\n";
  if (R.Contradicted) {
    const Contradiction &X = *R.Contradicted;
    RuledOut.push_back(startWords(S) + " (it stores " +
                       std::to_string(X.PathValue) + " to " + slot(X.Addr) +
                       " at " + hex(C.Insns[X.StoreIndex].Addr) +
                       ", the core holds " + std::to_string(X.CoreValue) +
                       ")");
    return;
  }
  if (!R.Target.Known) {
    ReachedUnknown.insert(S);
    if (!WithEntry && Entry && C.Insns[S].Addr == C.Entry)
      EntryRetry.push_back(S);
    if (!WithResults && afterCall(C, S)) {
      ResultRetry.push_back(S);
      Paths[S] = {First.LastWrite, First.UnknownStore, false,
                  slotsAtStart(R, Seeds)};
    }
    if (Unknown.empty())
      Unknown = unknownOrigin(R, S);
    return;
  }
  ReachedUnknown.erase(S);
  agree(R, S, Seeds, Mc.usedEntryRegisters());
  if (UsedHint.count(S) && Mc.usedStartResults())
    Hinted = true;
  if (Mc.usedStartResults() && Detail.find(" returned at ") == std::string::npos) {
    auto It = Returns.find(S);
    if (It != Returns.end())
      Detail += ", taking " + It->second;
  }
}

std::optional<Val> Reexecutions::hintedResult(size_t S, int R) {
  const auto Regs = P.arch().goIntArgRegs();
  if (Regs.size() < 2)
    return std::nullopt;
  const bool Data = R == static_cast<int>(Regs[0]);
  if (!Data && R != static_cast<int>(Regs[1]))
    return std::nullopt;
  // Not a call of the runtime's (a comparison, an allocation): the ones
  // that make strings are computed above, from their arguments.
  const Instruction &Call = C.Insns[S - 1];
  if (!Call.Target)
    return std::nullopt;
  auto Fn = P.pclntab().findFunc(*Call.Target);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    return std::nullopt;
  }
  llvm::StringRef Name = Fn->Name;
  if (Fn->Entry != *Call.Target || Name.startswith("runtime.") ||
      Name.startswith("internal/"))
    return std::nullopt;
  if (debugEmulation())
    llvm::errs() << "emu hint for " << Name << " at " << hex(Call.Addr) << "\n";
  if (!Returns.count(S))
    Returns.emplace(S, "as what the call at " + hex(C.Insns[S - 1].Addr) +
                           " returned the string " + Hint->Why);
  UsedHint.insert(S);
  return known(Data ? Hint->Data : Hint->Len, true);
}

std::optional<Val> Reexecutions::mapReadResult(
    const MapFuncInfo &MF, llvm::StringRef Name, int R,
    const std::function<std::optional<uint64_t>(int)> &AtCall) {
  const auto Regs = P.arch().goIntArgRegs();
  const bool Two = Name.contains("mapaccess2");
  if (Name.contains("_fat") || MF.TypeWord < 0 || MF.MapWord < 0 || MF.KeyWord < 0)
    return std::nullopt;
  const int Result = R == static_cast<int>(Regs[0]) ? 0
                     : Two && R == static_cast<int>(Regs[1]) ? 1
                                                              : -1;
  if (Result < 0)
    return std::nullopt;
  auto Arg = [&](int Word) -> std::optional<uint64_t> {
    if (Word < 0 || static_cast<size_t>(Word) >= Regs.size())
      return std::nullopt;
    return AtCall(static_cast<int>(Regs[static_cast<size_t>(Word)]));
  };
  auto T = Arg(MF.TypeWord), M = Arg(MF.MapWord);
  if (!T || !M)
    return std::nullopt;
  GoProgram &GP = const_cast<GoProgram &>(P);
  TypeTable &Types = GP.types();
  auto TI = Types.typeAt(*T);
  if (!TI) {
    llvm::consumeError(TI.takeError());
    return std::nullopt;
  }
  if ((*TI)->K != Kind::Map || !(*TI)->Key)
    return std::nullopt;
  const TypeInfo &KeyT = *(*TI)->Key;
  const DecodeLimits L = keyDecodeLimits();
  GoValue KeyV;
  switch (MF.Key) {
  case KeyPass::Pointer: {
    auto A = Arg(MF.KeyWord);
    if (!A)
      return std::nullopt;
    KeyV = decodeValue(Types, KeyT, *A, L);
    break;
  }
  case KeyPass::String: {
    auto A = Arg(MF.KeyWord), N = Arg(MF.KeyWord + 1);
    if (!A || !N)
      return std::nullopt;
    KeyV = decodeValueFromWords(Types, KeyT, {*A, *N}, L);
    break;
  }
  case KeyPass::Value32:
  case KeyPass::Value64:
  case KeyPass::PtrValue: {
    auto A = Arg(MF.KeyWord);
    if (!A)
      return std::nullopt;
    KeyV = decodeValueFromWords(
        Types, KeyT, {MF.Key == KeyPass::Value32 ? *A & 0xffffffffu : *A}, L);
    break;
  }
  default:
    return std::nullopt;
  }
  if (KeyV.hasErrors())
    return std::nullopt;
  MapReader Reader(GP);
  MapLimits Lim;
  auto Keep = keyMayEqualFilter(Reader, KeyT, KeyV);
  if (!Keep)
    return std::nullopt; // (every entry of a big map would be kept)
  Lim.Keep = std::move(Keep);
  auto St = Reader.decode(**TI, *M, Lim);
  if (!St) {
    llvm::consumeError(St.takeError());
    return std::nullopt;
  }
  KeyLookupOptions O;
  O.DecodeElem = false;
  O.ComputeHome = false;
  auto Found = findKey(Reader, *St, KeyV, O);
  if (!Found) {
    llvm::consumeError(Found.takeError());
    return std::nullopt;
  }
  if (Found->Result == KeyLookup::Verdict::Present && Found->Matches.size() == 1) {
    if (Result == 1)
      return known(1);
    const uint64_t Elem = St->Entries[Found->Matches[0].Entry].ElemAddr;
    return Elem ? std::optional<Val>(known(Elem)) : std::nullopt;
  }
  if (Found->Result == KeyLookup::Verdict::Absent) {
    if (Result == 1)
      return known(0);
    // The element of a key not in the map: the runtime's zero value.
    auto Z = P.globalAddress("runtime.zeroVal");
    if (!Z) {
      llvm::consumeError(Z.takeError());
      return std::nullopt;
    }
    return known(*Z);
  }
  return std::nullopt;
}

// The value of register R when the call just before start S returned:
// the callee re-executed from its entry to its first return, with the
// argument registers the caller had at that call (each re-executed in the
// caller in turn). Only a callee that reaches its return without a call
// of its own; its reads of the stack it did not write are unknown.
std::optional<uint64_t> Reexecutions::conversionResult(
    llvm::StringRef Name, int R,
    const std::function<std::optional<uint64_t>(int)> &AtCall,
    bool &Heap) const {
  constexpr uint64_t TmpBuf = 32; // runtime.tmpStringBufSize
  const auto Regs = P.arch().goIntArgRegs();
  if (Regs.size() < 9)
    return std::nullopt;
  const bool WantPtr = R == static_cast<int>(Regs[0]);
  if (!WantPtr && R != static_cast<int>(Regs[1]))
    return std::nullopt;
  auto Arg = [&](unsigned K) { return AtCall(static_cast<int>(Regs[K])); };
  // The result's length, and the size rawstringtmp is asked for (the data
  // pointer is the buffer when that fits it).
  std::optional<uint64_t> Len, Asked;
  std::optional<unsigned> Only; // concatenation: the one non-empty operand
  if (Name == "runtime.slicebytetostring") {
    // (buf *tmpBuf, ptr *byte, n int): one byte comes from staticuint64s.
    Len = Arg(2);
    if (!Len || (*Len < 2 && WantPtr))
      return std::nullopt;
    Asked = Len;
  } else if (Name == "runtime.slicerunetostring") {
    // (buf *tmpBuf, a []rune): each rune's UTF-8 length (an invalid one
    // encodes as U+FFFD), read from the slice as the core holds it.
    auto Ptr = Arg(1), N = Arg(2);
    if (!Ptr || !N || *N > (1u << 16))
      return std::nullopt;
    auto B = P.memory().readBytes(*Ptr, *N * 4);
    if (!B) {
      llvm::consumeError(B.takeError());
      return std::nullopt;
    }
    Heap = true;
    uint64_t Size = 0;
    for (uint64_t K = 0; K < *N; ++K) {
      const int32_t Rn = static_cast<int32_t>(
          (*B)[4 * K] | (*B)[4 * K + 1] << 8 | (*B)[4 * K + 2] << 16 |
          static_cast<uint32_t>((*B)[4 * K + 3]) << 24);
      Size += Rn < 0 ? 3 : Rn < 0x80 ? 1 : Rn < 0x800 ? 2
            : (Rn >= 0xd800 && Rn <= 0xdfff) ? 3 : Rn < 0x10000 ? 3
            : Rn <= 0x10ffff ? 4 : 3;
    }
    Len = Size;
    Asked = Size + 3;
  } else if (Name.consume_front("runtime.concatstring") && Name.size() == 1 &&
             Name[0] >= '2' && Name[0] <= '4') {
    // (buf *tmpBuf, a0, a1, ... string; concatstring5 does not fit the
    // registers amd64 passes)
    const unsigned N = static_cast<unsigned>(Name[0] - '0');
    uint64_t Sum = 0, NonEmpty = 0;
    for (unsigned K = 0; K < N; ++K) {
      auto L = Arg(2 + 2 * K);
      if (!L)
        return std::nullopt;
      Sum += *L;
      if (*L) {
        ++NonEmpty;
        Only = K;
      }
    }
    Len = Sum;
    Asked = Sum;
    if (NonEmpty != 1)
      Only.reset();
  } else {
    return std::nullopt;
  }
  if (!WantPtr)
    return Len;
  if (Only) // one non-empty operand is returned as it is (when buf is set)
    return std::nullopt;
  auto Buf = Arg(0);
  if (!Buf || !*Buf || *Asked > TmpBuf || !*Len)
    return std::nullopt;
  return *Buf;
}

std::optional<Val> Reexecutions::calleeResult(size_t S, int R) {
  auto Key = std::make_pair(S, R);
  auto Memo = Results.find(Key);
  if (Memo != Results.end())
    return Memo->second;
  std::optional<Val> Out;
  Results[Key] = std::nullopt; // (no recursion through the same start)
  const Instruction &Call = C.Insns[S - 1];
  const uint64_t RetPC = Call.next();
  bool Heap = false;
  // A register of the caller at that call, re-executed in the caller.
  // (The caller's slots its path wrote after this call hold their later
  // values in the core: a loop counter stored back before the map call.)
  const PathAfterCall &After = Paths[S];
  auto AtCall = [&](int A) -> std::optional<uint64_t> {
    if (!After.WritesKnown)
      return std::nullopt;
    ReturnDepth Guard;
    // (The hint too: the call that made the key may come before this
    // one, whose arguments are computed from what that call returned.)
    auto E = emulateRegisterAtCall(P, RetPC, F.FrameLo, A, nullptr, Budget,
                                   &After.Writes,
                                   After.Partial ? nullptr : &After.Known,
                                   Hint);
    if (!E) {
      if (debugEmulation())
        llvm::errs() << "emu callee arg " << A << ": " << llvm::toString(E.takeError()) << "\n";
      else
        llvm::consumeError(E.takeError());
      return std::nullopt;
    }
    // (A value of one path among others the caller might have taken: the
    // result is then no more than likely.)
    Heap |= E->ReadsHeapOrGlobals || E->Uncertain;
    if (debugEmulation())
      llvm::errs() << "emu callee arg " << A << " = " << hex(E->Value) << "\n";
    return E->Value;
  };
  std::optional<uint64_t> Target = Call.Target;
  if (!Target && !Call.Ops.empty()) {
    // Through a register (a func value), or memory through one (a
    // closure's code pointer, an itab method): those words are not
    // changed once made.
    const Operand &O = Call.Ops[0];
    if (O.Kind == OpKind::Reg && O.Reg >= 0 && O.Reg < C.I.NumRegs) {
      Target = AtCall(O.Reg);
    } else if (O.Kind == OpKind::Mem && O.Mem.Base >= 0 &&
               O.Mem.Base < C.I.NumRegs && O.Mem.Index == NoReg) {
      if (auto B = AtCall(O.Mem.Base)) {
        auto W = P.memory().readUint(*B + static_cast<uint64_t>(O.Mem.Disp), 8);
        if (W)
          Target = *W;
        else
          llvm::consumeError(W.takeError());
      }
    }
  }
  if (!Target)
    return Out;
  auto Fn = P.pclntab().findFunc(*Target);
  if (!Fn) {
    llvm::consumeError(Fn.takeError());
    return Out;
  }
  // A map read (v := m[k]; v, ok := m[k]): what it returned is where the
  // map holds k's element now (or the zero value), looked up in the core.
  if (auto MF = classifyMapFunction(Fn->Name);
      MF && MF->EntryPoint && MF->Op == MapOp::Access && Fn->Entry == *Target) {
    Out = mapReadResult(*MF, Fn->Name, R, AtCall);
    if (Out) {
      Out->Heap = true; // the map as it is now
      Results[Key] = Out;
      Returns.emplace(S, "what " + Fn->Name + " returned at " + hex(Call.Addr) +
                             " (the key looked up in the map as the core "
                             "holds it)");
    }
    return Out;
  }
  // A string comparison or search of the runtime's assembly that takes its
  // arguments in registers (runtime.memequal for a HasPrefix): computed
  // from the bytes it reads, as the core holds them.
  if (auto H = Fn->Entry == *Target ? stringHelperInRegs(P, Fn->Name) : std::nullopt) {
    const auto Regs = P.arch().goIntArgRegs();
    if (R != static_cast<int>(Regs[0]) || H->Words > Regs.size())
      return Out;
    std::vector<uint64_t> W;
    for (unsigned K = 0; K < H->Words; ++K) {
      auto V = AtCall(static_cast<int>(Regs[K]));
      if (!V)
        return Out;
      W.push_back(static_cast<int>(K) == H->ByteArg ? *V & 0xff : *V);
    }
    auto Bytes = [&](uint64_t A, uint64_t N, std::string &Str) {
      if (N > (1u << 16))
        return false;
      auto B = P.memory().readBytes(A, N);
      if (!B) {
        llvm::consumeError(B.takeError());
        return false;
      }
      Str.assign(B->begin(), B->end());
      return true;
    };
    auto V = helperResult(*H, W, Bytes);
    if (!V)
      return Out;
    Out = known(static_cast<uint64_t>(*V), true);
    Results[Key] = Out;
    Returns.emplace(S, "what " + Fn->Name + " returned at " + hex(Call.Addr) +
                           " (computed from the bytes it compares, as the "
                           "core holds them)");
    return Out;
  }
  // The runtime's string conversions and concatenations allocate, but
  // what they return is fixed by their arguments: the length always, the
  // data pointer when the result fits the caller's stack buffer.
  if (Fn->Entry == *Target) {
    if (auto V = conversionResult(Fn->Name, R, AtCall, Heap)) {
      Out = known(*V, Heap);
      Results[Key] = Out;
      Returns.emplace(S, "what " + Fn->Name + " returned at " + hex(Call.Addr) +
                             " (its result's " +
                             (R == static_cast<int>(P.arch().goIntArgRegs()[0])
                                  ? "data pointer, the caller's stack buffer"
                                  : "length") +
                             ", from its arguments)");
      return Out;
    }
  }
  // A leaf worth following is small (a getter, a method value, a table
  // lookup): a large callee is not decoded to find out it calls.
  if (Fn->Entry != *Target || Fn->End - Fn->Entry > 4096 ||
      neverReturns(Fn->Name))
    return Out;
  std::optional<Code> OwnCC;
  auto CCp = decodeFor(P, *Target, Budget, OwnCC);
  if (!CCp) {
    llvm::consumeError(CCp.takeError());
    return Out;
  }
  const Code *CC = *CCp;
  // A callee every return of which comes after a call of the runtime (to
  // allocate its result, say) gives nothing a re-execution can know: found
  // out before its arguments, which cost re-executions of the caller. One
  // that calls the runtime only on some paths (strconv.Atoi's error) may
  // return without.
  if (!returnsWithoutRuntime(P, *CC))
    return Out;
  const std::string &Callee = Fn->Name;
  // Its frame: down to its deepest SP (the goroutine's stack ends there;
  // below may lie heap objects, which are read as they are).
  const uint64_t Deepest = deepestFrame(P, *Fn, *CC);
  EntryRegisters Args = AtCall;
  const uint64_t CalleeSP = F.FrameLo - (C.I.Arm64 ? 0 : 8);
  const uint64_t Lo = CalleeSP - Deepest - 16;
  // Dead: its own frame and the argument area it spills to (in the
  // caller's frame, below what the caller keeps); the caller's slots its
  // path wrote after the call. The rest of the caller's frame is as it was
  // at the call (a closure or a struct the callee reads through a pointer).
  const uint64_t ArgsHi = F.FrameLo + static_cast<uint64_t>(std::max(Fn->Args, 0)) +
                          (C.I.Arm64 ? 8 : 0);
  std::optional<uint64_t> CallerDeadFrom;
  if (After.Partial)
    CallerDeadFrom = F.FrameLo;
  else if (After.UnknownStore)
    CallerDeadFrom = pointerReachableFrom(C, F.FrameLo, F.EntrySP);
  Machine M(P, *CC, CalleeSP, Lo, F.FrameHi);
  M.setEntryRegisters(&Args, Passed);
  M.setReturnRun(Lo, ArgsHi, After.Partial ? nullptr : &After.Writes,
                 CallerDeadFrom);
  // (Cut calls Index, which calls IndexByteString.)
  M.setNestedCalls(Budget, 2);
  std::string Why;
  size_t Steps = 0;
  auto Ret = M.returnValue(R, Why, Steps);
  charge(M);
  if (debugEmulation())
    llvm::errs() << "emu callee " << Callee << " for "
                 << P.arch().regName(static_cast<unsigned>(R)) << ": "
                 << (Ret ? hex(Ret->V) : Why) << " steps=" << Steps << "\n";
  if (!Ret)
    return Out;
  Val V = *Ret;
  V.Heap |= Heap;
  Out = V;
  Results[Key] = Out;
  std::string Through;
  for (const auto &N : M.followed())
    if (Through.find(N) == std::string::npos)
      Through += (Through.empty() ? ", following its calls of " : ", ") + N;
  Returns.emplace(S, "what " + Callee + " returned at " + hex(Call.Addr) +
                         " (re-executed from its entry, " +
                         std::to_string(Steps) +
                         " instructions, with the arguments the caller "
                         "passed it" + Through + ")");
  return Out;
}

// Where the unknown value of Reg at the call came from on run R (from
// start S): the register moves back to its definition; a call's result
// (Go returns results in registers and keeps no copy), a register the
// caller was entered with, or an instruction whose inputs were unknown.
std::string Reexecutions::unknownOrigin(const Run &R, size_t S) const {
  int Want = Reg;
  size_t At = R.DestReg.size();
  for (int Depth = 0; Depth < 16; ++Depth) {
    std::optional<size_t> Def;
    for (size_t T = At; T-- > 0;)
      if (R.DestReg[T] == Want) {
        Def = T;
        break;
      }
    std::string Name = P.arch().regName(static_cast<unsigned>(Want));
    if (Want != Reg)
      Name = P.arch().regName(static_cast<unsigned>(Reg)) + " (a copy of " +
             Name + ")";
    if (!Def) {
      if (afterCall(C, S)) {
        std::string Callee = "the function";
        if (auto T = C.Insns[S - 1].Target) {
          if (auto Fn = P.pclntab().findFunc(*T))
            Callee = Fn->Name;
          else
            llvm::consumeError(Fn.takeError());
        }
        return Name + " holds what " + Callee + " returned (the call at " +
               hex(C.Insns[S - 1].Addr) +
               "): a result comes back in registers and this path keeps no "
               "copy of it in memory";
      }
      if (C.Insns[S].Addr == C.Entry)
        return Name + " is as the caller was entered with it, and what its "
                      "own caller passed is not known";
      return Name + " is not set on the path from " + hex(C.Insns[S].Addr);
    }
    const Instruction &I = C.Insns[R.Trace[*Def]];
    const auto &O = I.Ops;
    // A plain register move: follow it.
    if (I.Mnemonic == "mov" && O.size() == 2 && O[1].Kind == OpKind::Reg &&
        O[1].Reg >= 0 && O[1].Reg < C.I.NumRegs && O[1].Reg != C.I.SP) {
      Want = O[1].Reg;
      At = *Def;
      continue;
    }
    return Name + " is computed at " + hex(I.Addr) + " (" + I.Mnemonic +
           ") from values the re-execution does not know";
  }
  return "";
}

// A frame slot as the caller's code names it.
std::string Reexecutions::slot(uint64_t Addr) const {
  std::string Reg = C.I.Arm64 ? "sp" : "rsp";
  return "[" + Reg + "+" + hex(Addr - F.FrameLo) + "]";
}

// Where a re-execution started, in words.
std::string Reexecutions::startWords(size_t S) const {
  const uint64_t A = C.Insns[S].Addr;
  if (A == C.Entry)
    return "the path from the function's entry at " + hex(A);
  if (S == F.Target + 1)
    return "the path from " + hex(A) +
           ", right after this same call one loop iteration earlier";
  if (S > F.Target)
    return "the path from " + hex(A) + ", after the call at " +
           hex(C.Insns[S - 1].Addr) + " (a loop's back edge)";
  return "the path from " + hex(A) + ", after the call at " +
         hex(C.Insns[S - 1].Addr);
}

// The frame slots whose value at the start of seeded run R its seeds
// prove: a plain 8-byte load from [sp + d] (sp is the frame's in the body)
// of bytes the path had not stored to yet, whose destination a seed gives.
std::map<uint64_t, uint8_t>
Reexecutions::slotsAtStart(const Run &R, const std::map<size_t, Seed> &Seeds) const {
  std::map<uint64_t, uint8_t> Out;
  for (const auto &[T, Sd] : Seeds) {
    if (T >= R.Trace.size())
      continue;
    const Instruction &I = C.Insns[R.Trace[T]];
    const auto &O = I.Ops;
    const bool Load = C.I.Arm64 ? I.Mnemonic == "ldr" && !I.Writeback
                                : I.Mnemonic == "mov";
    if (!Load || O.size() != 2 || O[0].Kind != OpKind::Reg || O[0].Size != 8 ||
        O[0].Reg != Sd.Reg || O[1].Kind != OpKind::Mem ||
        O[1].Mem.Base != C.I.SP || O[1].Mem.Index != NoReg || O[1].Mem.Disp < 0)
      continue;
    const uint64_t A = F.FrameLo + static_cast<uint64_t>(O[1].Mem.Disp);
    bool Stored = false;
    for (const auto &St : R.Stores)
      if (St.Step < T && St.Addr < A + 8 && A < St.Addr + St.Size)
        Stored = true;
    if (Stored)
      continue;
    for (unsigned B = 0; B < 8; ++B)
      Out[A + B] = static_cast<uint8_t>(Sd.V >> (8 * B));
  }
  return Out;
}

Run Reexecutions::seeded(Machine &Mc, size_t S, const Run &First, Run R,
                         std::map<size_t, Seed> &Seeds) const {
  // (Also for a known value whose path stored through a pointer it did
  // not know: with the pointer seeded the store may miss the frame, and
  // the frame's slots stay checked against the core.)
  for (int Round = 0; Round < 3 && (!R.Target.Known || R.UnknownStore); ++Round) {
    auto More = seedsFrom(P, C, R, F.FrameLo, F.FrameHi);
    // A slot written after the call being run to holds that later value,
    // not the one this path stored.
    for (auto It = More.begin(); It != More.end();)
      It = slotWrittenLater(It->second.Slot) ? More.erase(It) : std::next(It);
    size_t Before = Seeds.size();
    Seeds.insert(More.begin(), More.end());
    if (Seeds.size() == Before)
      break;
    Run Again = Mc.run(S, F.Target, Reg, &First.LastWrite, Seeds);
    if (!Again.Reached || Again.Trace != R.Trace)
      break;
    R = std::move(Again);
  }
  return R;
}

void Reexecutions::agree(const Run &R, size_t S,
                         const std::map<size_t, Seed> &Seeds, bool UsedEntry) {
  if (Agreed && *Agreed != R.Target.V)
    Conflict = true;
  if (!Agreed) {
    Agreed = R.Target.V;
    std::string From = startWords(S);
    From.replace(0, std::string("the path from").size(), "from");
    Detail = "re-executed " + std::to_string(R.Trace.size()) +
             " instructions of the caller " + From;
    // The values the core's stack gave the path, where it stores them
    // (each slot once: one slot may seed several registers).
    std::map<uint64_t, const Seed *> Slots;
    for (const auto &[Step, Sd] : Seeds) {
      (void)Step;
      Slots.emplace(Sd.Slot, &Sd);
    }
    std::string Taken;
    for (const auto &[Addr, Sd] : Slots)
      Taken += std::string(Taken.empty() ? "" : ", ") + slot(Addr) + " = " +
               std::to_string(Sd->SlotValue) + " (the path stores it at " +
               hex(C.Insns[Sd->StoreInsn].Addr) +
               (Sd->Addend ? ", a register plus " +
                                 std::to_string(static_cast<int64_t>(Sd->Addend))
                           : std::string()) +
               ")";
    if (!Taken.empty())
      Detail += ", with the core's " + Taken;
    if (UsedEntry)
      Detail += ", with registers as its caller passed them";
    if (R.Pruned)
      Detail += ", taking at " + std::to_string(R.Pruned) + " branch" +
                (R.Pruned == 1 ? "" : "es") + " on what it did not know the "
                "only way that reaches the call without another call";
  }
  Heap |= R.Target.Heap;
}

bool Reexecutions::someStopReaches() {
  // Both ways of the unknown branches of the starts that stopped: if some
  // path from one reaches the call, the value found may come from a path
  // that did not run.
  for (size_t S : ToExplore) {
    Machine Mc = machine();
    std::string Why;
    auto Reach = Mc.mayReach(S, F.Target, Why);
    charge(Mc);
    if (debugEmulation())
      llvm::errs() << "emu explore " << hex(C.Insns[S].Addr) << ": "
                   << (Reach == Machine::Reach::No    ? "no path"
                       : Reach == Machine::Reach::Yes ? "reaches"
                                                      : "unknown: " + Why)
                   << "\n";
    if (Reach != Machine::Reach::No)
      return true;
  }
  return false;
}

} // namespace

Expected<EmulationResult>
emulateRegisterAtCall(const GoProgram &P, uint64_t ReturnPC, uint64_t CallerSP,
                      int Reg, const EntryRegisters &Entry, StepBudget *Budget,
                      const std::map<uint64_t, size_t> *WrittenLater,
                      const std::map<uint64_t, uint8_t> *LaterKnown,
                      const StringResultHint *Hint) {
  if (Budget && Budget->Left == 0)
    return makeError("the re-execution budget of this diagnosis ({0} "
                     "instructions) is spent",
                     Budget->Spent);
  const uint16_t Elf = P.arch().elfMachine();
  if (Elf != llvm::ELF::EM_X86_64 && Elf != llvm::ELF::EM_AARCH64)
    return makeError("re-execution is implemented for amd64 and arm64 only");
  if (Reg < 0 || Reg >= static_cast<int>(P.arch().numIntRegs()) ||
      Reg == static_cast<int>(P.arch().spReg()))
    return makeError("register {0} is not a general register", Reg);
  std::optional<Code> OwnC;
  auto Cp = decodeFor(P, ReturnPC - 1, Budget, OwnC);
  if (!Cp)
    return Cp.takeError();
  const Code *C = *Cp;
  auto F = callFrame(P, *C, ReturnPC, CallerSP);
  if (!F)
    return F.takeError();
  Reexecutions X(P, *C, *F, Reg, Entry, Budget, WrittenLater, LaterKnown,
                 Hint);
  for (size_t S : C->Starts)
    X.tryStart(S, false);
  // (Asking the caller's caller costs a re-execution there: only when
  // nothing else gave the value.)
  if (!X.Agreed)
    for (size_t S : std::vector<size_t>(X.EntryRetry))
      X.tryStart(S, true);
  // Then with what the call before a start returned (the callee re-run;
  // inside a callee's argument, only to take the hint: the call that
  // made the key may come before the one the argument is for).
  const bool Results = ReturnNesting == 0 || (Hint && ReturnNesting == 1);
  if (!X.Agreed && Results)
    for (size_t S : std::vector<size_t>(X.ResultRetry))
      X.tryStart(S, false, true);
  // Last, starts stopped at a branch only some paths on from which store
  // the register it depends on: with a guess of each such path.
  if (!X.Agreed && ReturnNesting == 0)
    for (size_t S : std::vector<size_t>(X.GuessRetry))
      X.tryStart(S, false, false, true);
  // Then starts stopped at a branch on an unknown condition, taking the
  // only way on that can reach the call without another call (the error
  // check after a call, whose other way allocates or loops back).
  if (!X.Agreed && !X.Conflict && !X.PruneRetry.empty()) {
    X.Prune = true;
    for (size_t S : std::vector<size_t>(X.PruneRetry))
      X.tryStart(S, false);
    if (!X.Agreed && !X.Conflict && Results)
      for (size_t S : std::vector<size_t>(X.PruneRetry))
        if (afterCall(*C, S)) // (only these have a call's results to take)
          X.tryStart(S, false, true);
  }
  if (X.Spent && !X.Agreed)
    return makeError("the re-execution budget of this diagnosis ({0} "
                     "instructions) ran out",
                     Budget->Spent);
  if (X.Conflict)
    return makeError("re-executions from different points disagree");
  if (!X.Agreed)
    return makeError("no re-execution of the caller reaches the call with "
                     "the register known{0}",
                     X.Unknown.empty() ? std::string() : ": " + X.Unknown);
  // (A budget spent before every start ran leaves paths unexplored.)
  const bool Unexplored = X.someStopReaches() || X.Spent ||
                          !X.ReachedUnknown.empty() || !X.Guessed.empty() ||
                          X.Hinted;
  if (!X.Guessed.empty())
    X.Detail += ", " + X.Guessed;
  EmulationResult Res;
  Res.Value = *X.Agreed;
  Res.ReadsHeapOrGlobals = X.Heap;
  Res.Uncertain = Unexplored;
  for (const auto &W : X.RuledOut)
    X.Detail += "; " + W + " did not run";
  Res.Detail = X.Detail + (Unexplored ? "; other paths to the call could not "
                                        "be followed, so this one may not be "
                                        "the one that ran"
                                      : "");
  return Res;
}

const std::optional<EmulationResult> &
EmulationCache::get(uint64_t ReturnPC, uint64_t CallerSP, int Reg,
                    const EntryRegisters &Entry) {
  auto Key = std::make_tuple(ReturnPC, CallerSP, Reg, bool(Entry));
  auto It = Done.find(Key);
  if (It != Done.end())
    return It->second;
  std::optional<EmulationResult> R;
  auto E = emulateRegisterAtCall(P, ReturnPC, CallerSP, Reg, Entry, &Budget);
  if (E)
    R = std::move(*E);
  else
    Errors[Key] = llvm::toString(E.takeError());
  return Done.emplace(Key, std::move(R)).first->second;
}

EmulationCache::~EmulationCache() {
  if (debugEmulation())
    llvm::errs() << "emu budget: " << Budget.Spent << " instructions\n";
}

std::string EmulationCache::error(uint64_t ReturnPC, uint64_t CallerSP,
                                  int Reg, const EntryRegisters &Entry) const {
  auto It = Errors.find(std::make_tuple(ReturnPC, CallerSP, Reg, bool(Entry)));
  return It == Errors.end() ? std::string() : It->second;
}

} // namespace ms
