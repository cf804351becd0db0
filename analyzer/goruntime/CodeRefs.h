// Addresses of data that a function's machine code refers to: how a
// stripped executable's runtime globals (runtime.allgs, runtime.allm) are
// found. The function is located by name through the pclntab (which a
// stripped executable keeps); its instructions are decoded with Capstone
// and every absolute or PC-relative memory operand and address
// computation that lands in the module's data or bss is collected.
#pragma once

#include <cstdint>
#include <vector>

#include <llvm/ADT/StringRef.h>

#include "support/Error.h"

namespace ms {

class GoProgram;

// Distinct data addresses referenced by function Name, in code order.
Expected<std::vector<uint64_t>> dataRefsOf(const GoProgram &P,
                                           llvm::StringRef FuncName);

} // namespace ms
