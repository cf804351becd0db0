#include "goruntime/Pclntab.h"

#include <algorithm>

#include <llvm/Support/DataExtractor.h>

#include "goruntime/FieldReader.h"
#include "goruntime/GoVersions.h"
#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

// ---- special functions -----------------------------------------------------

namespace {
using SF = SpecialFunc;

// internal/abi/symtab.go (runtime/symtab.go on go1.19), in iota order.
const SF IDs119[] = {SF::Normal,          SF::Abort,          SF::Asmcgocall,
                     SF::AsyncPreempt,    SF::Cgocallback,    SF::DebugCallV2,
                     SF::GcBgMarkWorker,  SF::Goexit,         SF::Gogo,
                     SF::Gopanic,         SF::HandleAsyncEvent, SF::Mcall,
                     SF::Morestack,       SF::Mstart,         SF::Panicwrap,
                     SF::Rt0Go,           SF::Runfinq,        SF::RuntimeMain,
                     SF::Sigpanic,        SF::Systemstack,    SF::SystemstackSwitch,
                     SF::Wrapper};
// go1.22: corostart inserted after cgocallback.
const SF IDs122[] = {SF::Normal,         SF::Abort,          SF::Asmcgocall,
                     SF::AsyncPreempt,   SF::Cgocallback,    SF::Corostart,
                     SF::DebugCallV2,    SF::GcBgMarkWorker, SF::Goexit,
                     SF::Gogo,           SF::Gopanic,        SF::HandleAsyncEvent,
                     SF::Mcall,          SF::Morestack,      SF::Mstart,
                     SF::Panicwrap,      SF::Rt0Go,          SF::Runfinq,
                     SF::RuntimeMain,    SF::Sigpanic,       SF::Systemstack,
                     SF::SystemstackSwitch, SF::Wrapper};
// go1.25: runfinq gone; runtime_main, runFinalizers, runCleanups.
const SF IDs125[] = {SF::Normal,         SF::Abort,          SF::Asmcgocall,
                     SF::AsyncPreempt,   SF::Cgocallback,    SF::Corostart,
                     SF::DebugCallV2,    SF::GcBgMarkWorker, SF::Goexit,
                     SF::Gogo,           SF::Gopanic,        SF::HandleAsyncEvent,
                     SF::Mcall,          SF::Morestack,      SF::Mstart,
                     SF::Panicwrap,      SF::Rt0Go,          SF::RuntimeMain,
                     SF::RunFinalizers,  SF::RunCleanups,    SF::Sigpanic,
                     SF::Systemstack,    SF::SystemstackSwitch, SF::Wrapper};

ArrayRef<SF> idTable(const GoVersion &V) {
  switch (traitsOf(V).FuncIDs) {
  case FuncIDNumbering::Go125:
    return IDs125;
  case FuncIDNumbering::Go122:
    return IDs122;
  case FuncIDNumbering::Go119:
    break;
  }
  return IDs119;
}

struct NamedSpecial {
  SF S;
  const char *Name;
};
const NamedSpecial Names[] = {
    {SF::Abort, "runtime.abort"},
    {SF::Asmcgocall, "runtime.asmcgocall"},
    {SF::AsyncPreempt, "runtime.asyncPreempt"},
    {SF::Cgocallback, "runtime.cgocallback"},
    {SF::Corostart, "runtime.corostart"},
    {SF::DebugCallV2, "runtime.debugCallV2"},
    {SF::GcBgMarkWorker, "runtime.gcBgMarkWorker"},
    {SF::Goexit, "runtime.goexit"},
    {SF::Gogo, "runtime.gogo"},
    {SF::Gopanic, "runtime.gopanic"},
    {SF::HandleAsyncEvent, "runtime.handleAsyncEvent"},
    {SF::Mcall, "runtime.mcall"},
    {SF::Morestack, "runtime.morestack"},
    {SF::Mstart, "runtime.mstart"},
    {SF::Panicwrap, "runtime.panicwrap"},
    {SF::Rt0Go, "runtime.rt0_go"},
    {SF::Runfinq, "runtime.runfinq"},
    {SF::RuntimeMain, "runtime.main"},
    {SF::RunFinalizers, "runtime.runFinalizers"},
    {SF::RunCleanups, "runtime.runCleanups"},
    {SF::Sigpanic, "runtime.sigpanic"},
    {SF::Systemstack, "runtime.systemstack"},
    {SF::SystemstackSwitch, "runtime.systemstack_switch"},
    {SF::Sigtramp, "runtime.sigtramp"},
};
} // namespace

StringRef specialFuncName(SpecialFunc S) {
  for (const auto &N : Names)
    if (N.S == S)
      return N.Name;
  return "";
}

SpecialFunc specialFuncFromID(uint8_t FuncID, const GoVersion &V) {
  ArrayRef<SF> T = idTable(V);
  return FuncID < T.size() ? T[FuncID] : SF::Normal;
}

std::optional<uint8_t> funcIDFor(SpecialFunc S, const GoVersion &V) {
  if (S == SF::Sigtramp)
    return std::nullopt;
  ArrayRef<SF> T = idTable(V);
  for (size_t I = 0; I < T.size(); ++I)
    if (T[I] == S)
      return static_cast<uint8_t>(I);
  return std::nullopt;
}

SpecialFunc specialFuncFromName(StringRef Name) {
  if (Name == "runtime.cgoSigtramp")
    return SF::Sigtramp;
  for (const auto &N : Names)
    if (Name == N.Name)
      return N.S;
  return SF::Normal;
}

// ---- a bounded byte stream over target memory ------------------------------

namespace {
// Reads bytes of one table in [Addr, Limit), through zero-copy views where
// the memory allows and copies where a table straddles regions.
class ByteStream {
public:
  ByteStream(const Memory &M, uint64_t Addr, uint64_t Limit, const char *What)
      : M(M), Pos(Addr), Limit(Limit), What(What) {}
  uint64_t pos() const { return Pos; }
  Expected<uint8_t> next() {
    if (Pos >= Limit)
      return makeError("{0}: runs past the end of its table at {1}", What,
                       hex(Pos));
    if (Pos < ChunkAddr || Pos >= ChunkAddr + Chunk.size())
      if (auto E = refill())
        return E;
    return Chunk[Pos++ - ChunkAddr];
  }
  // runtime.readvarint: little-endian base-128, at most 5 bytes for a
  // uint32.
  Expected<uint32_t> varint() {
    auto B = next();
    if (!B)
      return B.takeError();
    return varintFrom(*B);
  }
  // The same, when the first byte was already read.
  Expected<uint32_t> varintFrom(uint8_t First) {
    uint32_t V = First & 0x7f;
    uint8_t B = First;
    for (unsigned Shift = 7; B & 0x80; Shift += 7) {
      if (Shift >= 35)
        return makeError("{0}: varint longer than 5 bytes at {1}", What,
                         hex(Pos));
      auto N = next();
      if (!N)
        return N.takeError();
      B = *N;
      V |= uint32_t(B & 0x7f) << (Shift & 31);
    }
    return V;
  }

private:
  Error refill() {
    ChunkAddr = Pos;
    for (uint64_t N : {uint64_t(512), uint64_t(16), uint64_t(1)}) {
      N = std::min(N, Limit - Pos);
      Chunk = M.view(Pos, N);
      if (!Chunk.empty())
        return Error::success();
      auto B = M.readBytes(Pos, N);
      if (B) {
        Buf = std::move(*B);
        Chunk = Buf;
        return Error::success();
      }
      if (N == 1)
        return addContext(B.takeError(), What);
      dropProbeError(B.takeError()); // try a smaller piece
    }
    return makeError("{0}: unreadable at {1}", What, hex(Pos));
  }

  const Memory &M;
  uint64_t Pos, Limit;
  const char *What;
  uint64_t ChunkAddr = 0;
  ArrayRef<uint8_t> Chunk;
  std::vector<uint8_t> Buf;
};
} // namespace

// ---- Pclntab ------------------------------------------------------------------

Expected<std::unique_ptr<Pclntab>> Pclntab::create(const Memory &M,
                                                   const ModuleData &MD,
                                                   const GoVersion &V) {
  auto H = readPcHeader(M, MD.PcHeaderAddr);
  if (!H)
    return H.takeError();
  std::unique_ptr<Pclntab> P(new Pclntab(M, MD, *H, V));
  if (auto E = P->load())
    return E;
  return P;
}

Error Pclntab::load() {
  const uint64_t N = MD.Ftab.Len;
  if (N < 2 || N > (1u << 24) || N != Hdr.NFunc + 1)
    return makeError("ftab has {0} entries but the pclntab header says {1} "
                     "functions",
                     N, Hdr.NFunc);
  auto Bytes = Mem.readBytes(MD.Ftab.Data, N * 8);
  if (!Bytes)
    return addContext(Bytes.takeError(), "reading ftab");
  const ByteReader Entries(*Bytes);
  Ftab.resize(N);
  for (uint64_t I = 0; I < N; ++I) {
    auto EntryOff = Entries.u32(I * 8), FuncOff = Entries.u32(I * 8 + 4);
    if (!EntryOff || !FuncOff)
      return makeError("ftab entry {0} lies past the {1} bytes read", I,
                       Entries.size());
    Ftab[I] = {*EntryOff, *FuncOff};
    if (I && Ftab[I].EntryOff < Ftab[I - 1].EntryOff)
      return makeError("ftab is not sorted at entry {0}", I);
    if (I + 1 < N && uint64_t(Ftab[I].FuncOff) + funcSize() > MD.PclnTable.Len)
      return makeError("ftab entry {0} points outside pclntable", I);
  }
  if (MD.TextSectMap.empty() && Hdr.NFunc)
    return makeError("moduledata has an empty textsectmap");
  return Error::success();
}

uint64_t Pclntab::textAddr(uint32_t Off32) const {
  uint64_t Off = Off32, Res = MD.Text + Off;
  if (MD.TextSectMap.size() > 1) {
    for (size_t I = 0; I < MD.TextSectMap.size(); ++I) {
      const TextSection &S = MD.TextSectMap[I];
      if ((Off >= S.VAddr && Off < S.End) ||
          (I == MD.TextSectMap.size() - 1 && Off == S.End)) {
        Res = S.BaseAddr + Off - S.VAddr;
        break;
      }
    }
  }
  return Res;
}

std::optional<uint32_t> Pclntab::textOff(uint64_t PC) const {
  uint32_t Res = static_cast<uint32_t>(PC - MD.Text);
  if (MD.TextSectMap.size() > 1) {
    for (size_t I = 0; I < MD.TextSectMap.size(); ++I) {
      const TextSection &S = MD.TextSectMap[I];
      if (S.BaseAddr > PC)
        return std::nullopt;
      uint64_t End = S.BaseAddr + (S.End - S.VAddr);
      if (I == MD.TextSectMap.size() - 1)
        ++End;
      if (PC < End) {
        Res = static_cast<uint32_t>(PC - S.BaseAddr + S.VAddr);
        break;
      }
    }
  }
  return Res;
}

std::optional<size_t> Pclntab::findFuncIndex(uint64_t PC) const {
  if (!MD.containsPC(PC) || Ftab.size() < 2)
    return std::nullopt;
  auto Off = textOff(PC);
  if (!Off || *Off < Ftab.front().EntryOff)
    return std::nullopt;
  // Last entry with EntryOff <= Off among the real functions.
  auto It = std::upper_bound(
      Ftab.begin(), Ftab.end() - 1, *Off,
      [](uint32_t O, const FtabEntry &E) { return O < E.EntryOff; });
  size_t I = static_cast<size_t>(It - Ftab.begin()) - 1;
  if (*Off >= Ftab[I + 1].EntryOff && I + 1 == Ftab.size() - 1)
    return std::nullopt; // at or past the etext sentinel
  return I;
}

Expected<Func> Pclntab::findFunc(uint64_t PC) const {
  auto I = findFuncIndex(PC);
  if (!I)
    return makeError("no Go function contains pc {0}", hex(PC));
  return func(*I);
}

Expected<Func> Pclntab::findFuncByName(StringRef Name) const {
  for (size_t I = 0; I < numFuncs(); ++I) {
    auto F = func(I);
    if (!F)
      return F.takeError();
    if (F->Name == Name)
      return F;
  }
  return makeError("no Go function named '{0}'", Name);
}

Expected<std::string> Pclntab::cString(const GoSlice &S, uint64_t Off,
                                       const char *What) const {
  if (Off >= S.Len)
    return makeError("{0}: offset {1} outside its table ({2} bytes)", What, Off,
                     S.Len);
  ByteStream BS(Mem, S.Data + Off, S.Data + std::min(S.Len, Off + 65536), What);
  std::string Out;
  for (;;) {
    auto C = BS.next();
    if (!C)
      return C.takeError();
    if (*C == 0)
      return Out;
    Out.push_back(static_cast<char>(*C));
  }
}

Expected<std::string> Pclntab::funcName(int32_t NameOff) const {
  // Offset 0 is a real name: the first function's. (runtime.funcName
  // returns "" for it, so the runtime itself prints that function nameless.)
  if (NameOff < 0)
    return makeError("negative function name offset {0}", NameOff);
  return cString(MD.FuncNameTab, static_cast<uint64_t>(NameOff),
                 "funcnametab");
}

Expected<Func> Pclntab::func(size_t I) const {
  if (I >= numFuncs())
    return makeError("function index {0} out of range ({1} functions)", I,
                     numFuncs());
  Func F;
  F.Index = I;
  F.Record = MD.PclnTable.Data + Ftab[I].FuncOff;
  auto Bytes = Mem.readBytes(F.Record, funcSize());
  if (!Bytes)
    return addContext(Bytes.takeError(), "reading _func record");
  FieldReader R(*Bytes, "_func");
  const uint32_t EntryOff = R.u32(0);
  F.NameOff = R.i32(4);
  F.Args = R.i32(8);
  F.DeferReturn = R.u32(12);
  F.PcSp = R.u32(16);
  F.PcFile = R.u32(20);
  F.PcLn = R.u32(24);
  F.NPcData = R.u32(28);
  F.CuOffset = R.u32(32);
  unsigned O = 36;
  if (traitsOf(V).FuncStartLine) {
    F.StartLine = R.i32(36);
    O = 40;
  }
  F.FuncID = R.u8(O);
  F.Flag = R.u8(O + 1);
  F.NFuncData = R.u8(O + 3);
  if (auto E = R.check())
    return addContext(std::move(E), "reading _func at " + hex(F.Record));
  if (EntryOff != Ftab[I].EntryOff)
    return makeError("_func at {0} has entry offset {1}, ftab says {2}",
                     hex(F.Record), hex(EntryOff), hex(Ftab[I].EntryOff));
  F.Entry = textAddr(EntryOff);
  F.End = textAddr(Ftab[I + 1].EntryOff);
  if (F.NPcData > 1024)
    return makeError("_func at {0} claims {1} pcdata tables", hex(F.Record),
                     F.NPcData);
  uint64_t Tail = uint64_t(Ftab[I].FuncOff) + funcSize() +
                  4 * (uint64_t(F.NPcData) + F.NFuncData);
  if (Tail > MD.PclnTable.Len)
    return makeError("_func at {0} runs past the end of pclntable",
                     hex(F.Record));
  auto Name = funcName(F.NameOff);
  if (!Name)
    return addContext(Name.takeError(), "function at " + hex(F.Entry));
  F.Name = std::move(*Name);
  return F;
}

Error Pclntab::walkPcTable(
    const Func &F, uint32_t Off,
    function_ref<bool(int32_t, uint64_t, uint64_t)> Visit) const {
  if (Off >= MD.PcTab.Len)
    return makeError("pc-value table offset {0} outside pctab ({1} bytes)",
                     Off, MD.PcTab.Len);
  ByteStream BS(Mem, MD.PcTab.Data + Off, MD.PcTab.Data + MD.PcTab.Len,
                "pctab");
  uint64_t PC = F.Entry;
  int32_t Val = -1;
  // runtime.step; every step consumes at least two bytes of the table.
  for (uint64_t Steps = 0; Steps <= MD.PcTab.Len - Off; ++Steps) {
    auto First = BS.next();
    if (!First)
      return First.takeError();
    // A zero value delta ends the table, except on the first step (the
    // runtime's test is "pc == entry").
    if (*First == 0 && PC != F.Entry)
      return Error::success();
    auto UVDelta = BS.varintFrom(*First);
    if (!UVDelta)
      return UVDelta.takeError();
    Val += static_cast<int32_t>(-(*UVDelta & 1) ^ (*UVDelta >> 1));
    auto PCDelta = BS.varint();
    if (!PCDelta)
      return PCDelta.takeError();
    uint64_t Start = PC;
    PC += uint64_t(*PCDelta) * Hdr.MinLC;
    if (PC > F.End + (1u << 20))
      return makeError("pc-value table {0} of {1} runs far past the "
                       "function's end",
                       Off, F.Name);
    if (Visit(Val, Start, PC))
      return Error::success();
  }
  return makeError("pc-value table {0} of {1} does not terminate", Off,
                   F.Name);
}

Expected<std::vector<Pclntab::Run>> Pclntab::pcValueRuns(const Func &F,
                                                         uint32_t Off) const {
  std::vector<Run> Out;
  if (Off == 0)
    return Out;
  if (auto E = walkPcTable(F, Off, [&](int32_t V, uint64_t S, uint64_t End) {
        Out.push_back({V, S, End});
        return false;
      }))
    return E;
  return Out;
}

Expected<int32_t> Pclntab::pcValue(const Func &F, uint32_t Off, uint64_t PC,
                                   uint64_t *StartPC) const {
  if (Off == 0) {
    if (StartPC)
      *StartPC = 0;
    return -1;
  }
  std::optional<int32_t> Found;
  if (auto E = walkPcTable(F, Off, [&](int32_t V, uint64_t S, uint64_t End) {
        if (PC < End) {
          Found = V;
          if (StartPC)
            *StartPC = S;
          return true;
        }
        return false;
      }))
    return E;
  if (!Found)
    return makeError("pc-value table {0} of {1} does not cover pc {2}", Off,
                     F.Name, hex(PC));
  return *Found;
}

Expected<int32_t> Pclntab::spDelta(const Func &F, uint64_t PC) const {
  if (F.PcSp == 0)
    return makeError("{0} has no pcsp table", F.Name);
  return addContext(pcValue(F, F.PcSp, PC), "pcsp");
}

Expected<std::string> Pclntab::fileName(const Func &F, int32_t FileNo) const {
  if (FileNo < 0)
    return makeError("negative file number {0}", FileNo);
  uint64_t Idx = uint64_t(F.CuOffset) + uint64_t(FileNo);
  if (Idx >= MD.CuTab.Len)
    return makeError("file {0} of CU {1} is outside cutab", FileNo, F.CuOffset);
  auto Off = Mem.readU32(MD.CuTab.Data + Idx * 4);
  if (!Off)
    return addContext(Off.takeError(), "reading cutab");
  if (*Off == ~0u)
    return makeError("cutab has no file {0} for CU {1}", FileNo, F.CuOffset);
  return cString(MD.FileTab, *Off, "filetab");
}

Expected<FileLine> Pclntab::fileLine(const Func &F, uint64_t PC) const {
  auto FileNo = pcValue(F, F.PcFile, PC);
  if (!FileNo)
    return addContext(FileNo.takeError(), "pcfile");
  auto Line = pcValue(F, F.PcLn, PC);
  if (!Line)
    return addContext(Line.takeError(), "pcln");
  if (*FileNo == -1 || *Line == -1)
    return makeError("{0} has no line information for pc {1}", F.Name, hex(PC));
  auto File = fileName(F, *FileNo);
  if (!File)
    return File.takeError();
  return FileLine{std::move(*File), *Line};
}

Expected<int32_t> Pclntab::pcData(const Func &F, uint32_t Table,
                                  uint64_t PC) const {
  if (Table >= F.NPcData)
    return -1;
  auto Off = Mem.readU32(F.Record + funcSize() + 4 * uint64_t(Table));
  if (!Off)
    return Off.takeError();
  return pcValue(F, *Off, PC);
}

Expected<std::optional<uint64_t>> Pclntab::funcData(const Func &F,
                                                    uint8_t I) const {
  if (I >= F.NFuncData)
    return std::optional<uint64_t>();
  auto Off = Mem.readU32(F.Record + funcSize() + 4 * uint64_t(F.NPcData) +
                         4 * uint64_t(I));
  if (!Off)
    return Off.takeError();
  if (*Off == ~0u)
    return std::optional<uint64_t>();
  return std::optional<uint64_t>(MD.GoFunc + *Off);
}

Expected<std::vector<SourceFrame>> Pclntab::expandInline(const Func &F,
                                                         uint64_t PC) const {
  std::vector<SourceFrame> Out;
  auto Tree = funcData(F, FUNCDATA_InlTree);
  if (!Tree)
    return Tree.takeError();
  // inlinedCall: go1.19 {parent int16; funcID uint8; _ byte; file, line,
  // func_, parentPc int32}; go1.20+ {funcID uint8; _ [3]byte; nameOff,
  // parentPc, startLine int32}.
  const bool Old = !traitsOf(V).FuncStartLine;
  const unsigned RecSize = Old ? 20 : 16;
  uint64_t Cur = PC;
  for (unsigned Depth = 0; Depth < 256; ++Depth) {
    int32_t Ix = -1;
    if (*Tree) {
      auto X = pcData(F, PCDATA_InlTreeIndex, Cur);
      if (!X)
        return X.takeError();
      Ix = *X;
    }
    auto Pos = fileLine(F, Cur);
    if (!Pos)
      return Pos.takeError();
    SourceFrame SF;
    SF.File = std::move(Pos->File);
    SF.Line = Pos->Line;
    SF.PC = Cur;
    if (Ix < 0) {
      SF.Function = F.Name;
      SF.FuncID = F.FuncID;
      SF.StartLine = F.StartLine;
      Out.push_back(std::move(SF));
      return Out;
    }
    auto Bytes = Mem.readBytes(**Tree + uint64_t(Ix) * RecSize, RecSize);
    if (!Bytes)
      return addContext(Bytes.takeError(),
                        "reading the inline tree of " + F.Name);
    FieldReader Call(*Bytes, "inlinedCall");
    int32_t NameOff, ParentPc;
    if (Old) {
      SF.FuncID = Call.u8(2);
      NameOff = Call.i32(12);
      ParentPc = Call.i32(16);
    } else {
      SF.FuncID = Call.u8(0);
      NameOff = Call.i32(4);
      ParentPc = Call.i32(8);
      SF.StartLine = Call.i32(12);
    }
    if (auto E = Call.check())
      return addContext(std::move(E), "reading the inline tree of " + F.Name);
    auto Name = funcName(NameOff);
    if (!Name)
      return addContext(Name.takeError(), "inlined function name");
    SF.Function = std::move(*Name);
    SF.Inlined = true;
    Out.push_back(std::move(SF));
    if (ParentPc < 0 || F.Entry + uint64_t(ParentPc) >= F.End)
      return makeError("inline tree of {0}: parent pc {1} outside the function",
                       F.Name, ParentPc);
    Cur = F.Entry + uint64_t(ParentPc);
  }
  return makeError("inline tree of {0} is deeper than 256", F.Name);
}

Expected<std::vector<ArgInfoItem>> Pclntab::argInfo(const Func &F,
                                                    uint64_t PC) const {
  // abi.TraceArgs* (runtime/traceback.go printArgs).
  constexpr uint8_t EndSeq = 0xff, StartAgg = 0xfe, EndAgg = 0xfd,
                    DotDotDot = 0xfc, OffsetTooLarge = 0xfb;
  constexpr unsigned MaxLen = (5 * 3 + 2) * 10 + 1;
  std::vector<ArgInfoItem> Out;
  auto P = funcData(F, FUNCDATA_ArgInfo);
  if (!P)
    return P.takeError();
  if (!*P)
    return Out;
  auto LiveInfo = funcData(F, FUNCDATA_ArgLiveInfo);
  if (!LiveInfo)
    return LiveInfo.takeError();
  auto LiveIdx = pcData(F, PCDATA_ArgLiveIndex, PC);
  if (!LiveIdx)
    return LiveIdx.takeError();
  uint8_t StartOffset = 0xff;
  if (*LiveInfo) {
    auto S = Mem.readU8(**LiveInfo);
    if (!S)
      return S.takeError();
    StartOffset = *S;
  }
  ByteStream BS(Mem, **P, **P + MaxLen, "FUNCDATA_ArgInfo");
  uint8_t SlotIdx = 0;
  for (unsigned Items = 0; Items < MaxLen; ++Items) {
    auto O = BS.next();
    if (!O)
      return O.takeError();
    ArgInfoItem It;
    switch (*O) {
    case EndSeq:
      return Out;
    case StartAgg:
      It.K = ArgInfoItem::Kind::StartAgg;
      break;
    case EndAgg:
      It.K = ArgInfoItem::Kind::EndAgg;
      break;
    case DotDotDot:
      It.K = ArgInfoItem::Kind::DotDotDot;
      break;
    case OffsetTooLarge:
      It.K = ArgInfoItem::Kind::OffsetTooLarge;
      break;
    default: {
      auto Sz = BS.next();
      if (!Sz)
        return Sz.takeError();
      It.K = ArgInfoItem::Kind::Slot;
      It.Offset = *O;
      It.Size = *Sz;
      if (*LiveInfo && *LiveIdx > 0 && It.Offset >= StartOffset) {
        auto Bits =
            Mem.readU8(**LiveInfo + uint64_t(*LiveIdx) + uint64_t(SlotIdx / 8));
        if (!Bits)
          return Bits.takeError();
        It.Live = (*Bits & (1u << (SlotIdx % 8))) != 0;
      }
      if (It.Offset >= StartOffset)
        ++SlotIdx;
      break;
    }
    }
    Out.push_back(It);
  }
  return makeError("FUNCDATA_ArgInfo of {0} has no end marker", F.Name);
}

Expected<std::string> Pclntab::formatArgs(const std::vector<ArgInfoItem> &Items,
                                          const Memory &M,
                                          uint64_t ArgP) const {
  std::string Out;
  bool Start = true;
  auto Comma = [&] {
    if (!Start)
      Out += ", ";
  };
  for (const ArgInfoItem &It : Items) {
    switch (It.K) {
    case ArgInfoItem::Kind::StartAgg:
      Comma();
      Out += "{";
      Start = true;
      continue;
    case ArgInfoItem::Kind::EndAgg:
      Out += "}";
      break;
    case ArgInfoItem::Kind::DotDotDot:
      Comma();
      Out += "...";
      break;
    case ArgInfoItem::Kind::OffsetTooLarge:
      Comma();
      Out += "_";
      break;
    case ArgInfoItem::Kind::Slot: {
      Comma();
      if (It.Size == 0 || It.Size > 8)
        return makeError("argument slot of {0} bytes", It.Size);
      // The runtime reads 8 bytes; at the very end of a stack only the slot
      // itself may be there.
      std::optional<uint64_t> Word = probe(M.readUint(ArgP + It.Offset, 8));
      if (!Word) {
        auto Bytes = M.readBytes(ArgP + It.Offset, It.Size);
        if (!Bytes)
          return Bytes.takeError();
        Word = ByteReader(*Bytes).uint(0, It.Size);
        if (!Word)
          return makeError("argument slot of {0} bytes at {1} not read",
                           It.Size, hex(ArgP + It.Offset));
      }
      uint64_t V = *Word;
      if (It.Size < 8)
        V &= (uint64_t(1) << (8 * It.Size)) - 1;
      Out += hex(V);
      if (!It.Live)
        Out += "?";
      break;
    }
    }
    Start = false;
  }
  return Out;
}

SpecialFunc Pclntab::special(const Func &F) const {
  SpecialFunc S = specialFuncFromID(F.FuncID, V);
  if (S == SF::Normal && specialFuncFromName(F.Name) == SF::Sigtramp)
    return SF::Sigtramp;
  return S;
}

bool Pclntab::is(const Func &F, SpecialFunc S) const {
  return special(F) == S || (S != SF::Wrapper && S != SF::Normal &&
                             specialFuncFromName(F.Name) == S);
}

unsigned Pclntab::funcSize() const {
  return traitsOf(V).FuncStartLine ? 44 : 40;
}

} // namespace ms
