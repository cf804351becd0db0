// Per-architecture knowledge behind one interface: register sets (DWARF
// numbering), the core's NT_PRSTATUS register block, where the current g
// lives, the signal frame (ucontext) layout, the Go ABIInternal argument
// registers. Generic code never names a register of a particular machine.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>

#include "support/Error.h"

namespace ms {

class Memory;

// Registers indexed by DWARF register number of the architecture.
class RegisterSet {
public:
  static constexpr unsigned MaxRegs = 80;
  void set(unsigned Reg, uint64_t V) {
    if (Reg < MaxRegs) {
      Vals[Reg] = V;
      Valid.set(Reg);
    }
  }
  std::optional<uint64_t> get(unsigned Reg) const {
    if (Reg < MaxRegs && Valid.test(Reg))
      return Vals[Reg];
    return std::nullopt;
  }
  bool has(unsigned Reg) const { return Reg < MaxRegs && Valid.test(Reg); }
  void clear(unsigned Reg) {
    if (Reg < MaxRegs)
      Valid.reset(Reg);
  }
  bool empty() const { return Valid.none(); }

private:
  std::array<uint64_t, MaxRegs> Vals{};
  std::bitset<MaxRegs> Valid;
};

class Arch {
public:
  virtual ~Arch();
  // GOARCH spelling: "amd64", "arm64".
  virtual llvm::StringRef goName() const = 0;
  virtual uint16_t elfMachine() const = 0;
  virtual unsigned pointerSize() const { return 8; }

  virtual unsigned pcReg() const = 0;
  virtual unsigned spReg() const = 0;
  virtual unsigned fpReg() const = 0;
  // Link register, where calls leave the return address (arm64).
  virtual std::optional<unsigned> lrReg() const { return std::nullopt; }
  // The integer registers are DWARF numbers 0..numIntRegs()-1, the stack
  // pointer among them (amd64: rax..r15; arm64: x0..x30, sp).
  virtual unsigned numIntRegs() const = 0;
  // A vector register Go's ABIInternal keeps zero in Go code (amd64: X15),
  // by DWARF number.
  virtual std::optional<unsigned> goZeroVectorReg() const = 0;
  virtual std::string regName(unsigned Reg) const = 0;
  // The DWARF number of a register named as debuggers name it ("rip",
  // "fs_base"; "x29", "cpsr"), with the aliases "pc", "sp" and "fp".
  // For front ends that take registers by name (the Python module).
  virtual std::optional<unsigned> regByName(llvm::StringRef Name) const = 0;
  // The names a host should hand over for the library to unwind and find
  // the current goroutine: displayRegs() plus the registers that locate g.
  std::vector<std::string> wantedRegNames() const;
  // Registers a person expects to see, in display order.
  virtual std::vector<unsigned> displayRegs() const = 0;

  // NT_PRSTATUS pr_reg block.
  virtual size_t prRegSize() const = 0;
  virtual Expected<RegisterSet> parsePrRegs(llvm::ArrayRef<uint8_t> B) const = 0;

  // Go ABIInternal integer argument registers, in order.
  virtual std::vector<unsigned> goIntArgRegs() const = 0;
  // Go ABIInternal closure context register: a closure finds its captured
  // variables through it (amd64 RDX, arm64 R26).
  virtual unsigned goClosureContextReg() const = 0;
  // Register that holds the current g at Go call boundaries, if any.
  virtual std::optional<unsigned> goGReg() const = 0;
  // Address of the TLS slot holding g for a thread with these registers,
  // when the architecture keeps it in TLS (amd64: fs_base - 8).
  virtual std::optional<uint64_t> tlsGSlot(const RegisterSet &R) const = 0;

  // How the return address is found at a call boundary: true when CALL
  // pushes it on the stack (amd64), false when it lands in LR (arm64).
  virtual bool callPushesReturnAddress() const = 0;
  // Minimum frame size of a Go function with a frame (arm64 keeps the
  // saved LR at 0(SP)).
  virtual unsigned minFrameSize() const = 0;
  // The Go heap's arenaBaseOffset on linux (runtime/malloc.go): arena
  // index = (address - offset) / 64 MiB.
  virtual uint64_t goArenaBaseOffset() const = 0;

  // Registers saved by the kernel in a signal frame's ucontext_t.
  virtual Expected<RegisterSet> regsFromUcontext(const Memory &M,
                                                 uint64_t UcontextAddr) const = 0;
  // Offset of the ucontext_t from the stack pointer at the entry of the
  // signal handler (rt_sigframe layout).
  virtual uint64_t ucontextOffsetFromHandlerSP() const = 0;

  // Registers runtime.asyncPreempt saved in its frame. FrameSP is the SP
  // inside asyncPreempt (at its call to asyncPreempt2), CallerSP the SP of
  // the interrupted code; ResumePC is where it resumes.
  virtual Expected<RegisterSet> regsFromAsyncPreempt(const Memory &M,
                                                     uint64_t FrameSP,
                                                     uint64_t CallerSP,
                                                     uint64_t ResumePC) const = 0;
  // Where a Go frame with a frame pointer saved the caller's frame pointer,
  // given the frame's SP and its caller's SP (amd64: just below the return
  // address).
  virtual std::optional<uint64_t> savedFramePointerSlot(uint64_t SP,
                                                        uint64_t CallerSP) const = 0;
};

const Arch *archForElfMachine(uint16_t Machine);

// Why an ELF file whose header is ELF_HEADER (at least its first 20 bytes)
// is for no supported architecture: "a riscv64 ELF file (machine 243);
// mapsleuth reads amd64 and arm64 ...". Reads e_machine in the file's own
// byte order, so 32-bit and big-endian files are named too.
std::string unsupportedArchText(llvm::StringRef ElfHeader);
const Arch *archForGoName(llvm::StringRef Name);

} // namespace ms
