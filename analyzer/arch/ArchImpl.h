// What the Arch implementations share (not part of the Arch interface):
// register blocks laid out as 8-byte little-endian words, one register
// each (NT_PRSTATUS, a signal context, runtime.asyncPreempt's save area).
#pragma once

#include <cstdint>

#include <llvm/ADT/ArrayRef.h>

#include "arch/Arch.h"

namespace ms {

// An entry of a register order that no DWARF register takes (orig_rax, cs).
constexpr unsigned NoReg = ~0u;

// The registers of a block whose word I holds register Order[I] (NoReg:
// skipped). An error naming What when Bytes is shorter than Order.
Expected<RegisterSet> registersFromWords(llvm::ArrayRef<uint8_t> Bytes,
                                         llvm::ArrayRef<unsigned> Order,
                                         const char *What);
// The same for a block read from M at Addr; a read error says "reading"
// What.
Expected<RegisterSet> readRegisterWords(const Memory &M, uint64_t Addr,
                                        llvm::ArrayRef<unsigned> Order,
                                        const char *What);

} // namespace ms
