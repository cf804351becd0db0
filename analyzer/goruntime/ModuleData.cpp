#include "goruntime/ModuleData.h"

#include <algorithm>
#include <map>

#include <llvm/ADT/StringRef.h>
#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/DataExtractor.h>

#include "goruntime/FieldReader.h"
#include "goruntime/GoVersions.h"
#include "loader/Target.h"
#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

namespace {

constexpr unsigned PtrSize = 8;
constexpr uint64_t PcHeaderSize = 8 + 8 * PtrSize; // magic..pclnOffset

// Field kinds of runtime.moduledata, with their size and alignment on a
// 64-bit target.
enum class FK { Ptr, Slice, String, U8, BitVector };
uint64_t fkSize(FK K) {
  switch (K) {
  case FK::Ptr:
    return 8;
  case FK::Slice:
    return 24;
  case FK::String:
    return 16;
  case FK::U8:
    return 1;
  case FK::BitVector:
    return 16; // struct { n int32; bytedata *uint8 }
  }
  return 8;
}
uint64_t fkAlign(FK K) { return K == FK::U8 ? 1 : 8; }

struct Layout {
  std::map<std::string, uint64_t> Off;
  uint64_t Size = 0;
  bool has(const std::string &F) const { return Off.count(F) != 0; }
  uint64_t at(const std::string &F) const { return Off.at(F); }
};

// The moduledata struct of Go version V, field by field, in declaration
// order (runtime/symtab.go of go1.19, go1.21 ... go1.27).
Layout moduleDataLayout(const GoVersion &V) {
  std::vector<std::pair<std::string, FK>> F;
  auto P = [&](const char *N) { F.push_back({N, FK::Ptr}); };
  auto S = [&](const char *N) { F.push_back({N, FK::Slice}); };
  P("pcHeader");
  for (const char *N : {"funcnametab", "cutab", "filetab", "pctab",
                        "pclntable", "ftab"})
    S(N);
  for (const char *N :
       {"findfunctab", "minpc", "maxpc", "text", "etext", "noptrdata",
        "enoptrdata", "data", "edata", "bss", "ebss", "noptrbss", "enoptrbss"})
    P(N);
  const GoVersionTraits &T = traitsOf(V);
  if (T.ModuleCovCtrs) {
    P("covctrs");
    P("ecovctrs");
  }
  P("end");
  P("gcdata");
  P("gcbss");
  if (T.ModuleTypeDescLen) {
    P("types");
    P("typedesclen");
    P("etypes");
    P("itaboffset");
    P("itabsize");
  } else {
    P("types");
    P("etypes");
  }
  P("rodata");
  P("gofunc");
  if (T.ModuleEpclntab)
    P("epclntab");
  S("textsectmap");
  if (!T.ModuleTypeDescLen) {
    S("typelinks");
    S("itablinks");
  }
  S("ptab");
  F.push_back({"pluginpath", FK::String});
  S("pkghashes");
  if (T.ModuleInitTasks)
    S("inittasks");
  F.push_back({"modulename", FK::String});
  S("modulehashes");
  F.push_back({"hasmain", FK::U8});
  if (T.ModuleBadBeforeMasks) {
    F.push_back({"bad", FK::U8});
    F.push_back({"gcdatamask", FK::BitVector});
    F.push_back({"gcbssmask", FK::BitVector});
    P("typemap");
  } else {
    F.push_back({"gcdatamask", FK::BitVector});
    F.push_back({"gcbssmask", FK::BitVector});
    P("typemap");
    F.push_back({"bad", FK::U8});
  }
  P("next");

  Layout L;
  uint64_t Off = 0;
  for (auto &[Name, K] : F) {
    Off = alignTo(Off, fkAlign(K));
    L.Off[Name] = Off;
    Off += fkSize(K);
  }
  L.Size = alignTo(Off, 8);
  return L;
}

// Fields of a moduledata copy by name (check() before using them).
struct Reader {
  FieldReader Fields;
  const Layout &L;
  uint64_t u64(const std::string &F) { return Fields.u64(L.at(F)); }
  std::optional<uint64_t> opt(const std::string &F) {
    if (!L.has(F))
      return std::nullopt;
    return u64(F);
  }
  GoSlice slice(const std::string &F) {
    const uint64_t O = L.at(F);
    return GoSlice{Fields.u64(O), Fields.u64(O + 8), Fields.u64(O + 16)};
  }
  uint8_t u8(const std::string &F) { return Fields.u8(L.at(F)); }
};

struct Range {
  uint64_t Lo = 0, Hi = 0;
};

// Runtime ranges of the executable's segments with (or without) a flag.
std::vector<Range> segmentRanges(const Target &T, uint32_t Want,
                                 bool FileBackedOnly) {
  std::vector<Range> R;
  for (const auto &S : T.exe().segments()) {
    if ((S.Flags & Want) != Want)
      continue;
    uint64_t Len = FileBackedOnly ? S.FileSize : S.MemSize;
    if (Len)
      R.push_back({S.VAddr + T.loadBias(), S.VAddr + T.loadBias() + Len});
  }
  return R;
}

// Link-time addresses of things that look like a pclntab header.
std::vector<uint64_t> pcHeaderCandidates(const ExeFile &X, Warnings *W) {
  std::vector<uint64_t> Out;
  auto LooksLikeHeader = [](ArrayRef<uint8_t> B) {
    if (B.size() < PcHeaderSize)
      return false;
    auto Magic = ByteReader(B).u32(0);
    return Magic && (*Magic == PcHeaderMagic118 || *Magic == PcHeaderMagic120) &&
           B[4] == 0 && B[5] == 0 && (B[6] == 1 || B[6] == 2 || B[6] == 4) &&
           B[7] == PtrSize;
  };
  // 1. By section name: internal linking names it .gopclntab; PIE and
  //    external linking put it in .data.rel.ro.gopclntab.
  for (const char *Name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
    if (const ExeSection *S = X.findSection(Name)) {
      if (LooksLikeHeader(X.sectionBytes(*S)))
        Out.push_back(S->Addr);
      else if (W)
        W->addf("section {0} does not start with a pclntab header", Name);
    }
  }
  if (!Out.empty())
    return Out;
  // 2. By magic, in every file-backed segment (the header is 8-aligned).
  for (const auto &Seg : X.segments()) {
    ArrayRef<uint8_t> D = X.bytesAt(Seg.VAddr, Seg.FileSize);
    for (uint64_t Off = (8 - Seg.VAddr % 8) % 8; Off + PcHeaderSize <= D.size();
         Off += 8) {
      if (D[Off] < 0xf0 || D[Off + 1] != 0xff)
        continue;
      if (LooksLikeHeader(D.slice(Off, PcHeaderSize)))
        Out.push_back(Seg.VAddr + Off);
      if (Out.size() >= 64)
        return Out;
    }
  }
  return Out;
}

std::pair<uint64_t, uint64_t> textBounds(const Target &T) {
  auto X = segmentRanges(T, ELF::PF_X, false);
  if (X.empty())
    return {0, 0};
  uint64_t Lo = X[0].Lo, Hi = X[0].Hi;
  for (auto &R : X) {
    Lo = std::min(Lo, R.Lo);
    Hi = std::max(Hi, R.Hi);
  }
  return {Lo, Hi};
}

} // namespace

std::optional<uint64_t> moduleDataFieldOffset(const GoVersion &V,
                                              const std::string &Field) {
  Layout L = moduleDataLayout(V);
  if (Field == "sizeof")
    return L.Size;
  if (!L.has(Field))
    return std::nullopt;
  return L.at(Field);
}

Expected<GoSlice> readGoSlice(const Memory &M, uint64_t Addr) {
  auto Bytes = M.readBytes(Addr, 24);
  if (!Bytes)
    return Bytes.takeError();
  const ByteReader Words(*Bytes);
  auto Data = Words.word(0), Len = Words.word(1), Cap = Words.word(2);
  if (!Data || !Len || !Cap)
    return makeError("slice header at {0}: {1} bytes read", hex(Addr),
                     Words.size());
  return GoSlice{*Data, *Len, *Cap};
}

Expected<PcHeader> readPcHeader(const Memory &M, uint64_t Addr) {
  auto B = M.readBytes(Addr, PcHeaderSize);
  if (!B)
    return addContext(B.takeError(), "reading the pclntab header at " + hex(Addr));
  DataExtractor DE(StringRef(reinterpret_cast<const char *>(B->data()), B->size()),
                   true, 8);
  DataExtractor::Cursor C(0);
  PcHeader H;
  H.Addr = Addr;
  H.Magic = DE.getU32(C);
  uint8_t Pad1 = DE.getU8(C), Pad2 = DE.getU8(C);
  H.MinLC = DE.getU8(C);
  H.PtrSize = DE.getU8(C);
  H.NFunc = DE.getU64(C);
  H.NFiles = DE.getU64(C);
  H.TextStart = DE.getU64(C);
  H.FuncnameOffset = DE.getU64(C);
  H.CuOffset = DE.getU64(C);
  H.FiletabOffset = DE.getU64(C);
  H.PctabOffset = DE.getU64(C);
  H.PclnOffset = DE.getU64(C);
  if (!C)
    return C.takeError();
  if (H.Magic != PcHeaderMagic118 && H.Magic != PcHeaderMagic120)
    return makeError("no pclntab header at {0} (magic {1}; supported: "
                     "0xfffffff0, 0xfffffff1)",
                     hex(Addr), hex(H.Magic));
  if (Pad1 || Pad2 || H.PtrSize != PtrSize ||
      !(H.MinLC == 1 || H.MinLC == 2 || H.MinLC == 4))
    return makeError("malformed pclntab header at {0} (pad {1},{2}, minLC {3}, "
                     "ptrSize {4})",
                     hex(Addr), Pad1, Pad2, H.MinLC, H.PtrSize);
  // The tables follow the header in this order; sizes are bounded by the
  // section, which is far below 4 GiB.
  const uint64_t Limit = 1ull << 32;
  if (H.NFunc == 0 || H.NFunc > Limit || H.NFiles > Limit ||
      H.FuncnameOffset < PcHeaderSize || H.FuncnameOffset > Limit ||
      H.CuOffset > Limit || H.FiletabOffset > Limit ||
      H.PctabOffset > Limit || H.PclnOffset > Limit)
    return makeError("implausible pclntab header at {0} (nfunc {1}, offsets "
                     "{2} {3} {4} {5} {6})",
                     hex(Addr), H.NFunc, H.FuncnameOffset, H.CuOffset,
                     H.FiletabOffset, H.PctabOffset, H.PclnOffset);
  return H;
}

Expected<ModuleData> readModuleData(const Memory &M, uint64_t Addr,
                                    const GoVersion &V) {
  Layout L = moduleDataLayout(V);
  auto B = M.readBytes(Addr, L.Size);
  if (!B)
    return addContext(B.takeError(), "reading runtime.moduledata at " + hex(Addr));
  Reader R{FieldReader(*B, "runtime.moduledata"), L};
  ModuleData MD;
  MD.Addr = Addr;
  MD.PcHeaderAddr = R.u64("pcHeader");
  MD.FuncNameTab = R.slice("funcnametab");
  MD.CuTab = R.slice("cutab");
  MD.FileTab = R.slice("filetab");
  MD.PcTab = R.slice("pctab");
  MD.PclnTable = R.slice("pclntable");
  MD.Ftab = R.slice("ftab");
  MD.FindFuncTab = R.u64("findfunctab");
  MD.MinPC = R.u64("minpc");
  MD.MaxPC = R.u64("maxpc");
  MD.Text = R.u64("text");
  MD.EText = R.u64("etext");
  MD.NoPtrData = R.u64("noptrdata");
  MD.ENoPtrData = R.u64("enoptrdata");
  MD.Data = R.u64("data");
  MD.EData = R.u64("edata");
  MD.Bss = R.u64("bss");
  MD.EBss = R.u64("ebss");
  MD.NoPtrBss = R.u64("noptrbss");
  MD.ENoPtrBss = R.u64("enoptrbss");
  MD.CovCtrs = R.opt("covctrs");
  MD.ECovCtrs = R.opt("ecovctrs");
  MD.End = R.u64("end");
  MD.GcData = R.u64("gcdata");
  MD.GcBss = R.u64("gcbss");
  MD.Types = R.u64("types");
  MD.ETypes = R.u64("etypes");
  MD.TypeDescLen = R.opt("typedesclen");
  MD.ItabOffset = R.opt("itaboffset");
  MD.ItabSize = R.opt("itabsize");
  MD.Rodata = R.u64("rodata");
  MD.GoFunc = R.u64("gofunc");
  MD.EPclntab = R.opt("epclntab");
  MD.TextSectMapSlice = R.slice("textsectmap");
  if (L.has("typelinks")) {
    MD.TypeLinks = R.slice("typelinks");
    MD.ItabLinks = R.slice("itablinks");
  }
  MD.HasMain = R.u8("hasmain");
  MD.Bad = R.u8("bad") != 0;
  MD.Next = R.u64("next");
  const uint64_t NameOff = L.at("modulename");
  const uint64_t NamePtr = R.Fields.u64(NameOff),
                 NameLen = R.Fields.u64(NameOff + 8);
  if (auto E = R.Fields.check())
    return addContext(std::move(E), "reading runtime.moduledata at " + hex(Addr));

  // Module name (empty for the main executable; bounded).
  if (NameLen) {
    auto S = M.readString(NamePtr, NameLen, 4096);
    if (!S)
      return addContext(S.takeError(), "reading moduledata.modulename");
    MD.ModuleName = std::move(*S);
  }
  // textsectmap: a handful of entries at most.
  const GoSlice &TS = MD.TextSectMapSlice;
  if (TS.Len > 1024 || TS.Len > TS.Cap)
    return makeError("moduledata at {0}: implausible textsectmap length {1}",
                     hex(Addr), TS.Len);
  for (uint64_t I = 0; I < TS.Len; ++I) {
    auto Bytes = M.readBytes(TS.Data + I * 24, 24);
    if (!Bytes)
      return addContext(Bytes.takeError(), "reading moduledata.textsectmap");
    FieldReader Entry(*Bytes, "runtime.textsect");
    const TextSection Sect{Entry.u64(0), Entry.u64(8), Entry.u64(16)};
    if (auto E = Entry.check())
      return addContext(std::move(E), "reading moduledata.textsectmap");
    MD.TextSectMap.push_back(Sect);
  }
  return MD;
}

Error validateModuleData(const ModuleData &MD, const PcHeader &H,
                         uint64_t TextLo, uint64_t TextHi) {
  auto Bad = [&](const char *What) {
    return makeError("moduledata at {0} does not fit the pclntab header at "
                     "{1}: {2}",
                     hex(MD.Addr), hex(H.Addr), What);
  };
  if (MD.PcHeaderAddr != H.Addr)
    return Bad("pcHeader points elsewhere");
  if (MD.FuncNameTab.Data != H.Addr + H.FuncnameOffset)
    return Bad("funcnametab is not at pcHeader+funcnameOffset");
  if (MD.CuTab.Data != H.Addr + H.CuOffset)
    return Bad("cutab is not at pcHeader+cuOffset");
  if (MD.FileTab.Data != H.Addr + H.FiletabOffset)
    return Bad("filetab is not at pcHeader+filetabOffset");
  if (MD.PcTab.Data != H.Addr + H.PctabOffset)
    return Bad("pctab is not at pcHeader+pctabOffset");
  if (MD.PclnTable.Data != H.Addr + H.PclnOffset)
    return Bad("pclntable is not at pcHeader+pclnOffset");
  if (MD.Ftab.Data != MD.PclnTable.Data || MD.Ftab.Len != H.NFunc + 1)
    return Bad("ftab does not start pclntable with nfunc+1 entries");
  for (const GoSlice *S : {&MD.FuncNameTab, &MD.CuTab, &MD.FileTab, &MD.PcTab,
                           &MD.PclnTable, &MD.Ftab})
    if (S->Len > S->Cap || S->Len > (1ull << 32))
      return Bad("a table slice has an implausible length");
  if (!(MD.Text < MD.EText) || !(MD.MinPC < MD.MaxPC) || MD.MinPC < MD.Text ||
      MD.MaxPC > MD.EText + 1)
    return Bad("text/etext/minpc/maxpc are inconsistent");
  if (TextHi > TextLo && (MD.Text < TextLo || MD.EText > TextHi))
    return Bad("text lies outside the executable's text segment");
  if (MD.Types > MD.ETypes)
    return Bad("types > etypes");
  return Error::success();
}

Expected<LocatedModuleData> locateFirstModuleData(const Target &T,
                                                  const GoVersion &V,
                                                  const LocateOptions &Opts,
                                                  Warnings *W) {
  const Memory &M = T.memory();
  // Not a structured binding: the lambda below captures them (C++20 only).
  const auto Bounds = textBounds(T);
  const uint64_t TextLo = Bounds.first, TextHi = Bounds.second;

  auto TryAt = [&](uint64_t Addr) -> Expected<LocatedModuleData> {
    auto MD = readModuleData(M, Addr, V);
    if (!MD)
      return MD.takeError();
    auto H = readPcHeader(M, MD->PcHeaderAddr);
    if (!H)
      return H.takeError();
    if (auto E = validateModuleData(*MD, *H, TextLo, TextHi))
      return E;
    LocatedModuleData L;
    L.Module = std::move(*MD);
    L.Header = *H;
    return L;
  };

  if (Opts.UseSymbols) {
    if (const ExeSymbol *S = T.exe().findSymbol("runtime.firstmoduledata")) {
      auto L = TryAt(S->Addr + T.loadBias());
      if (L) {
        L->Source = ModuleDataSource::Symbol;
        return L;
      }
      if (W)
        W->add(L.takeError(), "runtime.firstmoduledata (symbol)");
      else
        dropProbeError(L.takeError()); // the caller wants no warnings
    }
  }

  // Search: pclntab header first, then the word that points at it.
  std::vector<uint64_t> Headers = pcHeaderCandidates(T.exe(), W);
  if (Headers.empty())
    return inputError(T.exe().path(),
                      "no Go pclntab found (no .gopclntab section and no "
                      "pclntab header magic in any segment)");
  std::vector<Range> RW = segmentRanges(T, ELF::PF_W, true);
  std::string LastErr = "no word in the writable data points at it";
  // Only the bytes the target has are scanned (the regions of its address
  // space inside the writable segments): segment sizes come from the file,
  // and walking a huge p_memsz page by page would not end.
  std::vector<RegionMemory::Region> Regions = T.regionMemory().regions();
  // A live target has no saved regions: read the writable segments through
  // its memory (bounded).
  std::vector<std::vector<uint8_t>> Owned;
  if (!T.hasCore()) {
    Owned.reserve(RW.size());
    for (const Range &R : RW) {
      uint64_t Len = std::min<uint64_t>(R.Hi - R.Lo, 64u << 20);
      auto B = probe(T.memory().readBytes(R.Lo, Len));
      if (!B)
        continue; // not readable: nothing to scan there
      Owned.push_back(std::move(*B));
      RegionMemory::Region Rg;
      Rg.Start = R.Lo;
      Rg.Bytes = Owned.back();
      Regions.push_back(Rg);
    }
  }
  size_t Tries = 0; // candidate words decoded: a crafted data segment full
                    // of the header's address must not make this slow
  for (uint64_t HLink : Headers) {
    const uint64_t Want = HLink + T.loadBias();
    for (const Range &R : RW) {
      const uint64_t Lo = alignDown(R.Lo, 8);
      for (const auto &Reg : Regions) {
        uint64_t A = std::max(Lo, Reg.Start);
        const uint64_t End = std::min(R.Hi, Reg.end());
        A = (A + 7) & ~uint64_t(7);
        const ByteReader Words(Reg.Bytes);
        for (; A < End && Reg.end() - A >= 8; A += 8) {
          if (Words.u64(A - Reg.Start) != Want)
            continue;
          if (++Tries > 256)
            return inputError(T.exe().path(),
                              "cannot find runtime.firstmoduledata: too many "
                              "words point at the pclntab header");
          auto L = TryAt(A);
          if (L) {
            L->Source = ModuleDataSource::Scan;
            return L;
          }
          LastErr = errorText(L.takeError());
        }
      }
    }
  }
  return inputError(T.exe().path(),
                    "cannot find runtime.firstmoduledata: pclntab header at "
                    "{0}, but {1}",
                    hex(Headers.front() + T.loadBias()), LastErr);
}

std::vector<ModuleData> moduleChain(const Memory &M, const ModuleData &First,
                                    const GoVersion &V, Warnings *W) {
  std::vector<ModuleData> Out{First};
  uint64_t Next = First.Next;
  while (Next && Out.size() < 64) {
    if (std::any_of(Out.begin(), Out.end(),
                    [&](const ModuleData &D) { return D.Addr == Next; })) {
      if (W)
        W->addf("moduledata chain loops back to {0}", hex(Next));
      break;
    }
    auto MD = readModuleData(M, Next, V);
    if (!MD) {
      if (W)
        W->add(MD.takeError(), "following moduledata.next");
      else
        dropProbeError(MD.takeError()); // the caller wants no warnings
      break;
    }
    Next = MD->Next;
    Out.push_back(std::move(*MD));
  }
  return Out;
}

} // namespace ms
