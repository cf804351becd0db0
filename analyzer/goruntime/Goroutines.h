// The runtime's scheduler state read from a core: every goroutine in
// runtime.allgs, every M, and which OS thread of the core runs which M and
// which goroutine. Works without symbols (globals found through the code
// that uses them) and without DWARF (layouts from the version's table).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "arch/Arch.h"
#include "support/Error.h"
#include "support/Warnings.h"

namespace ms {

class GoProgram;

struct Gobuf {
  uint64_t SP = 0, PC = 0, BP = 0, LR = 0, Ctxt = 0;
};

struct GoroutineInfo {
  uint64_t G = 0;          // address of the runtime.g
  int64_t Goid = 0;
  uint32_t RawStatus = 0;  // atomicstatus, scan bit included
  std::string Status;      // as the runtime prints it: "running", "chan receive"
  std::string StatusConst; // "_Grunning"
  std::string WaitReason;  // "" unless waiting with a reason
  uint64_t WaitSince = 0;  // nanotime at park, 0 when unknown
  uint64_t M = 0;          // g.m
  std::optional<int64_t> MId;
  std::optional<int> Tid;  // OS thread running it (from the core's threads)
  uint64_t StackLo = 0, StackHi = 0;
  Gobuf Sched;
  uint64_t SyscallSP = 0, SyscallPC = 0;
  uint64_t GoPC = 0, StartPC = 0;
  std::optional<int64_t> ParentGoid; // go1.21+
  uint64_t LockedM = 0;
  bool System = false;     // a runtime goroutine (runtime.isSystemGoroutine)
  bool Dead() const { return StatusConst == "_Gdead"; }
  bool containsSP(uint64_t SP) const { return SP >= StackLo && SP < StackHi; }
};

struct MInfo {
  uint64_t M = 0;
  int64_t Id = 0;
  int64_t ProcId = 0; // OS thread id
  uint64_t G0 = 0, GSignal = 0, CurG = 0;
  uint64_t G0StackLo = 0, G0StackHi = 0;
  uint64_t GSignalStackLo = 0, GSignalStackHi = 0;
  std::optional<size_t> Thread; // index into GoroutineSet::Threads
};

struct ThreadInfo {
  int Tid = 0;
  bool Crashed = false;
  RegisterSet Regs;
  uint64_t TlsG = 0;           // g found in the thread's TLS slot (0: none)
  std::optional<size_t> M;     // index into GoroutineSet::Ms
  uint64_t CurG = 0;           // user goroutine this thread runs (0: none)
  std::string What;            // "on g0", "on gsignal", "running goroutine 7"
};

// Passes over every goroutine (reading them, unwinding them) let the
// core's pages go (Memory::releaseResident) after each this many, so that
// a process with 100,000 goroutines is not held in RAM at once.
constexpr size_t ReleaseEveryGoroutines = 512;

struct GoroutineSet {
  std::vector<GoroutineInfo> Goroutines; // allgs order
  std::vector<MInfo> Ms;
  std::vector<ThreadInfo> Threads;       // the core's threads, core order
  uint64_t AllgsAddr = 0, AllmAddr = 0;
  std::string AllgsHow, AllmHow;         // "symbol", "code of runtime.allgadd"

  const GoroutineInfo *byGoid(int64_t Goid) const;
  // The first goroutine (allgs order) whose runtime.g is at G. The unwinder
  // asks this for every frame, so it is a hash lookup once indexG() has
  // run (readGoroutines does); a scan when Goroutines changed since.
  const GoroutineInfo *byG(uint64_t G) const;
  void indexG();
  const MInfo *mByAddr(uint64_t M) const;
  const ThreadInfo *crashedThread() const;
  // The user goroutine whose thread took the fatal signal.
  const GoroutineInfo *faulting() const;
  // The thread running goroutine G, if any.
  const ThreadInfo *threadOf(const GoroutineInfo &G) const;

private:
  std::unordered_map<uint64_t, size_t> GIndex; // g address -> first index
  size_t GIndexed = 0;                         // Goroutines.size() then
};

// A thread described as readGoroutines describes the target's threads (its
// TLS g, its M by procid or through g.m, the goroutine it runs), for
// registers a host hands over later, one thread at a time (a debugger's
// frame unwinder). Only the Ms already in S are considered.
ThreadInfo identifyThread(const GoProgram &P, const GoroutineSet &S, int Tid,
                          const RegisterSet &Regs);

// Reads all goroutines, Ms and the thread mapping. Errors only when
// runtime.allgs cannot be found or read at all; damaged entries become
// warnings.
Expected<GoroutineSet> readGoroutines(const GoProgram &P, Warnings &W);

} // namespace ms
