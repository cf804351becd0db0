// Addresses of data that a function's machine code refers to: how a
// stripped executable's runtime globals (runtime.allgs, runtime.allm) are
// found. The function is located by name through the pclntab (which a
// stripped executable keeps); its instructions are decoded with Capstone
// and every absolute or PC-relative memory operand and address
// computation that lands in the module's data or bss is collected.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/StringRef.h>

#include "support/Error.h"

namespace ms {

class GoProgram;
class Warnings;

// Distinct data addresses referenced by function Name, in code order.
Expected<std::vector<uint64_t>> dataRefsOf(const GoProgram &P,
                                           llvm::StringRef FuncName);

// The address of runtime global Name: by symbol or DWARF, or in a stripped
// executable through the first address that one of the functions USERS
// refers to and PLAUSIBLE accepts, which is the global's field at
// FIELD_OFFSET (the users load runtime.mheap_.arenas, not mheap_); 0: not
// found. PLAUSIBLE is given that referenced address. HOW says which
// ("symbol", "code of runtime.allgadd"); failures to decode a user go to W.
uint64_t findGlobal(const GoProgram &P, llvm::StringRef Name,
                    std::initializer_list<const char *> Users,
                    llvm::function_ref<bool(uint64_t)> Plausible,
                    std::string &How, Warnings &W, uint64_t FieldOffset = 0);

} // namespace ms
