// Recovering the arguments of a map function's frame after the fact, with
// provenance. In a fatal map fault the map frame is never the top frame,
// so its register arguments are gone from the registers; they come back
// from, in order of trust:
//   register          the frame's exact registers (a thread stopped in it,
//                     a signal, async preemption), when the argument
//                     register provably still holds the argument
//   dwarf_location    the frame's DWARF variable locations at its PC
//   spill_slot        the ABI spill area in the caller's frame
//                     (FUNCDATA_ArgInfo; live or stale per ArgLiveInfo)
//   callsite_dataflow the caller's code before the CALL (Capstone)
//   caller_variable   the caller's DWARF variables of the right type
//   stack_scan        a string whose pointer the spill slot holds for sure:
//                     the length of another header in the live stack
//                     pointing at the same bytes
//   data_extent       such a string with no header to take the length
//                     from: the text at the pointer, within the heap
//                     object (or stack buffer) holding it
// Every candidate is kept; the caller validates and ranks them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/Unwinder.h"
#include "mapfault/Emulator.h"
#include "mapfault/Provenance.h"
#include "support/Error.h"

namespace ms {

class GoProgram;


struct Candidate {
  std::vector<uint64_t> Words; // the argument's words (1, or 2 for strings)
  Source Src = Source::SpillSlot;
  Confidence Conf = Confidence::Low;
  std::string Detail; // how, in words
  // A spill slot not live at the PC: it may hold an earlier call's value.
  bool Stale = false;
  // Bit W: word W is known to be this call's even when the candidate as a
  // whole is stale (a string whose pointer was saved, its length not).
  uint32_t KnownWords = 0;
  uint64_t Slot = 0; // spill_slot: the address word 0 was read from
  // Why the words cannot be taken as the argument although the source
  // gave them (empty: nothing against them); such a candidate is never
  // chosen, only listed among the reasons a value is missing.
  std::string Refuted;
  // data_extent: a string taken whole, to check against the caller when
  // nothing else gives the argument (where it was seen, in words).
  std::string CheckAgainstCaller;
};

// One argument of a frame: which register words it occupies.
struct ArgSpec {
  int FirstWord = 0;  // ABIInternal integer register position
  int NumWords = 1;
  std::string Name;   // for messages ("h", "key")
  int ParamIndex = 0; // position among the function's parameters (DWARF)
};

class FrameArgs {
public:
  // Frames: a goroutine's stack; Phys: index of the (physical) frame whose
  // arguments are wanted. Its caller is the next physical frame.
  // Emu: where re-executions of callers' code are kept between queries
  // (optional; without it each query re-executes).
  FrameArgs(const GoProgram &P, const Stack &St, size_t Phys,
            EmulationCache *Emu = nullptr);

  // Every candidate value for the argument, most trusted source first;
  // without the DWARF locations when not WithDwarf (opening DWARF is the
  // largest cost of a small analysis, and what it locates of a Go
  // argument is the same spill slot or register the other sources read).
  std::vector<Candidate> candidates(const ArgSpec &A,
                                    bool WithDwarf = true) const;

  const StackFrame &frame() const { return St.Frames[Phys]; }
  const StackFrame *caller() const; // next physical frame, if any

  // Why the caller's code gave no value for the argument (empty when it
  // gave one, or was not asked), in words.
  std::string whyNoDataflow(const ArgSpec &A) const {
    return withoutDwarf(A).NoDataflow;
  }

private:
  void fromRegisters(const ArgSpec &A, std::vector<Candidate> &Out) const;
  void fromDwarf(const ArgSpec &A, std::vector<Candidate> &Out) const;
  void fromSpill(const ArgSpec &A, std::vector<Candidate> &Out) const;
  // A string argument whose data pointer the spill slot holds for sure
  // but not its length: the length of the other header(s) pointing at the
  // same bytes from the goroutine's live frames, when they all agree (low:
  // the key may be a prefix).
  void fromStackHeaders(const ArgSpec &A, std::vector<Candidate> &Out) const;
  // The first frame above the map functions' (the user code that called
  // them; St.Frames.size() when none), with the map functions' argument
  // areas added to Skip: their spill slots may pair this call's pointer
  // with an earlier call's length.
  size_t mapCaller(std::vector<std::pair<uint64_t, uint64_t>> &Skip) const;
  // The same string when no header gave its length: the run of text at
  // the pointer, ended by a byte that is not text (a NUL, a control
  // byte, invalid UTF-8) or by the end of the heap object holding it (low:
  // bytes an earlier object left after the key can make it too long; not
  // bounded below by the object's size class, since a strings.Builder's
  // key lies in a buffer that append grew). Ended sooner by the one
  // length that headers with this pointer left in dead frames agree on
  // (deadHeaders), when it lies within the text.
  void fromDataExtent(const ArgSpec &A, std::vector<Candidate> &Out) const;
  // The goroutine's own frames (not those on g0 or gsignal): the lowest
  // SP, the highest caller SP, and the g whose stack holds them.
  struct FrameSpan {
    uint64_t Lo = UINT64_MAX, Hi = 0, G = 0;
  };
  FrameSpan ownFrames() const;
  // The string and slice headers with data pointer Ptr and a length up to
  // MaxLen that earlier calls left in the goroutine's stack below the
  // caller's frame, St.Frames[User] (length -> where), the map functions'
  // argument areas (Skip, from mapCaller) left out.
  std::map<uint64_t, std::vector<uint64_t>>
  deadHeaders(uint64_t Ptr, uint64_t MaxLen, size_t User,
              const std::vector<std::pair<uint64_t, uint64_t>> &Skip,
              const FrameSpan &Own) const;
  // The length of the string argument A the caller passes, re-executed
  // taking its last call before the map call that is not the runtime's to
  // have returned the string (Data, Len) (Seen: where it was seen, in
  // words); only when the data pointer it passes is Data and the length
  // is within Len.
  std::optional<uint64_t> passedOn(const ArgSpec &A, uint64_t Data,
                                   uint64_t Len, const std::string &Seen) const;
  // The data_extent candidates of Out to check with passedOn, when no
  // re-execution of the caller gave the argument.
  void checkExtentAgainstCaller(const ArgSpec &A,
                                std::vector<Candidate> &Out) const;
  // A string that the caller's code gives at low confidence (read from
  // memory as it is now, or by a path that may not be the one that ran)
  // whose data pointer is the one the spill slot holds for sure: high.
  void confirmByPointer(const ArgSpec &A, std::vector<Candidate> &Out) const;
  void fromDataflow(const ArgSpec &A, std::vector<Candidate> &Out,
                    std::string &Why) const;
  // The value of Reg at the call made by physical frame CallerIdx's callee
  // (i.e. at CallerIdx's PC), following values passed through from
  // further callers. Appends to Detail; says in Why (if given) why not.
  std::optional<std::pair<uint64_t, Confidence>>
  registerAtCallIn(size_t CallerIdx, int Reg, std::string &Detail,
                   unsigned Depth, std::string *Why = nullptr) const;

  // The candidates of the sources that need no DWARF, around where the
  // DWARF locations go in the trust order: registers before, spill slots
  // and dataflow after. Kept per argument (first word, words): a choice
  // asks without DWARF first and again with it when that did not settle.
  struct NoDwarf {
    std::vector<Candidate> Before, After;
    std::string NoDataflow; // why the caller's code gave none
  };
  const NoDwarf &withoutDwarf(const ArgSpec &A) const;

  const GoProgram &P;
  const Stack &St;
  size_t Phys;
  EmulationCache *Emu;
  mutable std::map<std::pair<int, int>, NoDwarf> Sources;
};

} // namespace ms
