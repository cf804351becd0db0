#include "dwarf/DwarfImpl.h"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dwarf.h>

#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/SwapByteOrder.h>

#include <gelf.h>
#include <libdeflate.h>

namespace ms {

using namespace llvm;

Dwarf_Attribute exprAttr(const Dwarf_Attribute &A) {
  Dwarf_Attribute R = A;
  unsigned Form = dwarf_whatform(const_cast<Dwarf_Attribute *>(&A));
  if (Form == DW_FORM_block ||
      (Form == DW_FORM_block1 && A.valp && A.valp[0] < 0x80))
    R.form = DW_FORM_exprloc;
  return R;
}

std::string dwErr() {
  const char *M = dwarf_errmsg(-1);
  return M ? M : "unknown libdw error";
}

namespace {

void initLibelf() {
  static std::once_flag Once;
  std::call_once(Once, [] { elf_version(EV_CURRENT); });
}

// Whether the ELF has a section named NAME.
bool hasSection(Elf *E, StringRef Name) {
  size_t ShStrNdx = 0;
  if (elf_getshdrstrndx(E, &ShStrNdx) != 0)
    return false;
  Elf_Scn *Scn = nullptr;
  size_t Count = 0;
  while ((Scn = elf_nextscn(E, Scn)) != nullptr && Count++ < 1'000'000) {
    GElf_Shdr Sh;
    if (!gelf_getshdr(Scn, &Sh))
      continue;
    const char *N = elf_strptr(E, ShStrNdx, Sh.sh_name);
    if (N && Name == N)
      return true;
  }
  return false;
}

// Inflates the zlib-compressed (SHF_COMPRESSED) .debug_* sections of E
// with libdeflate and hands libelf the result as the section's data, so
// that dwarf_begin_elf finds them uncompressed. libdw would inflate each of
// them with zlib at open, 3-4x slower; on a small Go program that was a
// third of `analyze` (bench/RESULTS.md). A section whose header promises an
// impossible size (deflate expands at most 1032:1; all of them together
// more than 64 times the file) or whose data does not
// inflate to exactly that size is marked SHT_NOBITS, which libdw ignores,
// as it ignores a section it cannot inflate itself; nothing is allocated
// for it. Anything else (GNU .zdebug_*, other algorithms) is left to libdw.
// .debug_line is hidden the same way, compressed or not: lines come from
// the pclntab, and it is a fifth of a Go program's DWARF.
void inflateDebugSections(DwarfInfo::Impl &P) {
  size_t ShStrNdx = 0;
  if (elf_getshdrstrndx(P.E, &ShStrNdx) != 0)
    return;
  struct Pending {
    Elf_Scn *Scn;
    GElf_Shdr Sh;
    const uint8_t *In;
    size_t InSize;
    uint64_t OutSize, Align, Offset;
  };
  std::vector<Pending> Work;
  uint64_t Total = 0;
  // Section headers may all point at the same compressed bytes: bound the
  // sum of what they promise by the file, not each by its own input. Go's
  // DWARF inflates about 2.5x.
  size_t ImageSize = 0;
  const auto *Image =
      reinterpret_cast<const uint8_t *>(elf_rawfile(P.E, &ImageSize));
  const char *Ident = elf_getident(P.E, nullptr);
  const bool NativeOrder =
      Ident && Ident[EI_DATA] == (llvm::sys::IsLittleEndianHost ? ELFDATA2LSB
                                                                 : ELFDATA2MSB);
  const uint64_t MaxTotal =
      std::min<uint64_t>(uint64_t(1) << 34, 64 * uint64_t(ImageSize));
  Elf_Scn *Scn = nullptr;
  size_t Count = 0;
  while ((Scn = elf_nextscn(P.E, Scn)) != nullptr && Count++ < 1'000'000) {
    GElf_Shdr Sh;
    if (!gelf_getshdr(Scn, &Sh) || Sh.sh_type == SHT_NOBITS)
      continue;
    const char *N = elf_strptr(P.E, ShStrNdx, Sh.sh_name);
    if (!N || !StringRef(N).startswith(".debug_"))
      continue;
    auto Drop = [&] {
      Sh.sh_type = SHT_NOBITS;
      gelf_update_shdr(Scn, &Sh);
    };
    if (StringRef(N) == ".debug_line") {
      Drop();
      continue;
    }
    if (!(Sh.sh_flags & SHF_COMPRESSED))
      continue;
    // The compression header, read from the image: gelf_getchdr would
    // make libelf copy the whole (unaligned) compressed section first.
    const bool Is64 = gelf_getclass(P.E) == ELFCLASS64;
    const size_t HdrSize = Is64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);
    if (!Image || !NativeOrder || Sh.sh_offset > ImageSize ||
        Sh.sh_size > ImageSize - Sh.sh_offset || Sh.sh_size < HdrSize)
      continue;
    const uint8_t *Sec = Image + Sh.sh_offset;
    uint64_t ChType, ChSize, ChAlign;
    if (Is64) {
      Elf64_Chdr C;
      std::memcpy(&C, Sec, sizeof C);
      ChType = C.ch_type, ChSize = C.ch_size, ChAlign = C.ch_addralign;
    } else {
      Elf32_Chdr C;
      std::memcpy(&C, Sec, sizeof C);
      ChType = C.ch_type, ChSize = C.ch_size, ChAlign = C.ch_addralign;
    }
    if (ChType != ELFCOMPRESS_ZLIB)
      continue;
    const size_t InSize = Sh.sh_size - HdrSize;
    const uint64_t OutSize = ChSize;
    if (OutSize == 0 || OutSize > 1032 * uint64_t(InSize) + 64 ||
        OutSize > (uint64_t(1) << 32) || Total >= MaxTotal ||
        OutSize > MaxTotal - Total) {
      Drop();
      continue;
    }
    Work.push_back({Scn, Sh, Sec + HdrSize, InSize, OutSize,
                    ChAlign ? ChAlign : 1, Total});
    Total += (OutSize + 63) & ~uint64_t(63);
  }
  if (Work.empty())
    return;
  // One mapping, populated up front: the pages of a fresh allocation
  // faulted in one at a time cost as much as the inflation itself.
  void *Arena = ::mmap(nullptr, Total, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (Arena == MAP_FAILED)
    return; // libdw inflates them
  P.Inflated.Addr = Arena;
  P.Inflated.Size = Total;
  libdeflate_decompressor *Dec = libdeflate_alloc_decompressor();
  if (!Dec)
    return;
  for (Pending &W : Work) {
    uint8_t *Out = static_cast<uint8_t *>(Arena) + W.Offset;
    size_t Got = 0;
    if (libdeflate_zlib_decompress(Dec, W.In, W.InSize, Out, W.OutSize,
                                   &Got) != LIBDEFLATE_SUCCESS ||
        Got != W.OutSize) {
      W.Sh.sh_type = SHT_NOBITS;
      gelf_update_shdr(W.Scn, &W.Sh);
      continue;
    }
    // Uncompressed first, so that libelf reads the section's data as
    // plain bytes in place (a compressed section's it would copy to align
    // its header); then the data is replaced by what we inflated.
    GElf_Shdr Orig = W.Sh;
    W.Sh.sh_flags &= ~uint64_t(SHF_COMPRESSED);
    if (!gelf_update_shdr(W.Scn, &W.Sh))
      continue; // libelf would not take it: libdw inflates it
    Elf_Data *D = elf_getdata(W.Scn, nullptr);
    if (!D) {
      gelf_update_shdr(W.Scn, &Orig);
      continue;
    }
    D->d_buf = Out;
    D->d_size = W.OutSize;
    D->d_type = ELF_T_BYTE;
    D->d_align = W.Align;
    W.Sh.sh_size = W.OutSize;
    W.Sh.sh_addralign = W.Align;
    gelf_update_shdr(W.Scn, &W.Sh); // (libdw reads the data, not the size)
  }
  libdeflate_free_decompressor(Dec);
}

// Go spells pointer types "*T"; anonymous DIEs get a readable stand-in.
std::string synthesizeName(Dwarf_Die *T, unsigned Depth) {
  if (Depth > MaxTypeChain)
    return "<type chain too deep>";
  if (const char *N = dwarf_diename(T))
    return N;
  Dwarf_Die Inner;
  bool HasInner = typeOf(T, &Inner);
  switch (dwarf_tag(T)) {
  case DW_TAG_pointer_type:
    return HasInner ? "*" + synthesizeName(&Inner, Depth + 1)
                    : std::string("unsafe.Pointer");
  case DW_TAG_const_type:
  case DW_TAG_volatile_type:
    return HasInner ? synthesizeName(&Inner, Depth + 1) : "void";
  case DW_TAG_structure_type:
    return "struct {...}";
  case DW_TAG_subroutine_type:
    return "func(...)";
  case DW_TAG_array_type:
    return HasInner ? "[...]" + synthesizeName(&Inner, Depth + 1) : "[...]?";
  default:
    return "<anonymous>";
  }
}

} // namespace

bool typeOf(Dwarf_Die *D, Dwarf_Die *Out) {
  Dwarf_Attribute A;
  if (!dwarf_attr_integrate(D, DW_AT_type, &A))
    return false;
  return dwarf_formref_die(&A, Out) != nullptr;
}

std::string typeNameOf(Dwarf_Die *T) { return synthesizeName(T, 0); }

bool peelTypedefs(Dwarf_Die *T, Dwarf_Die *Out) {
  Dwarf_Die Cur = *T;
  for (unsigned I = 0; I < MaxTypeChain; ++I) {
    int Tag = dwarf_tag(&Cur);
    if (Tag != DW_TAG_typedef && Tag != DW_TAG_const_type &&
        Tag != DW_TAG_volatile_type && Tag != DW_TAG_restrict_type) {
      *Out = Cur;
      return true;
    }
    Dwarf_Die Next;
    if (!typeOf(&Cur, &Next))
      return false;
    Cur = Next;
  }
  return false;
}

std::optional<uint64_t> typeSizeOf(Dwarf_Die *T) {
  Dwarf_Die P;
  if (!peelTypedefs(T, &P))
    return std::nullopt;
  Dwarf_Word S = 0;
  Dwarf_Attribute A;
  if (dwarf_attr(&P, DW_AT_byte_size, &A) && dwarf_formudata(&A, &S) == 0)
    return S;
  if (dwarf_tag(&P) == DW_TAG_pointer_type)
    return 8; // Go omits nothing here, C sometimes does; all targets are 64-bit
  if (dwarf_aggregate_size(&P, &S) == 0)
    return S;
  return std::nullopt;
}

// ---- StructLayout / locations text ----------------------------------------

namespace {
// The element of Range named N, or null.
template <typename Range> auto *findNamed(Range &R, StringRef N) {
  auto It = llvm::find_if(R, [&](const auto &E) { return E.Name == N; });
  return It == R.end() ? nullptr : &*It;
}
} // namespace

const FieldLayout *StructLayout::field(StringRef N) const {
  return findNamed(Fields, N);
}

const VariableLocation *ScopeVariables::find(StringRef N) const {
  return findNamed(Variables, N);
}

namespace {
std::string regText(unsigned R, const Arch *A) {
  if (A)
    return A->regName(R);
  return "r" + std::to_string(R);
}
std::string signedHex(int64_t V) {
  if (V < 0)
    return "-" + hex(uint64_t(0) - uint64_t(V));
  return "+" + std::to_string(V);
}
} // namespace

std::string LocationPiece::describe(const Arch *A) const {
  std::string S;
  switch (K) {
  case Kind::Register:
    S = regText(Reg, A);
    break;
  case Kind::CfaOffset:
    S = "[CFA" + (Offset < 0 ? "-" + std::to_string(-Offset)
                             : "+" + std::to_string(Offset)) + "]";
    break;
  case Kind::RegOffset:
    S = "[" + regText(Reg, A) + signedHex(Offset) + "]";
    break;
  case Kind::Address:
    S = "[" + hex(Addr) + "]";
    break;
  case Kind::Value:
    S = "value " + hex(Value);
    break;
  case Kind::Unavailable:
    S = "unavailable";
    break;
  case Kind::Unsupported:
    S = "unsupported(" + Expr + ")";
    break;
  }
  if (Size)
    S += ":" + std::to_string(Size);
  return S;
}

std::string VariableLocation::describe(const Arch *A) const {
  std::string S = Name + " " + TypeName + " = ";
  if (!Available)
    return S + "unavailable at this pc";
  for (size_t I = 0; I < Pieces.size(); ++I) {
    if (I)
      S += ", ";
    S += Pieces[I].describe(A);
  }
  return S;
}

// ---- opening ---------------------------------------------------------------

DwarfInfo::Impl::Mapping::~Mapping() {
  if (Addr)
    ::munmap(Addr, Size);
}

DwarfInfo::Impl::~Impl() {
  if (EhFrame)
    dwarf_cfi_end(EhFrame);
  if (D)
    dwarf_end(D);
  if (E)
    elf_end(E);
  if (Fd >= 0)
    ::close(Fd);
}

DwarfInfo::DwarfInfo(std::unique_ptr<Impl> I) : P(std::move(I)) {}
DwarfInfo::~DwarfInfo() = default;

const std::string &DwarfInfo::name() const { return P->Name; }
const Arch *DwarfInfo::arch() const { return P->A; }

Expected<std::unique_ptr<DwarfInfo>>
DwarfInfo::finishOpen(std::unique_ptr<Impl> P) {
  if (elf_kind(P->E) != ELF_K_ELF)
    return inputError(P->Name, "not an ELF file (libelf)");
  P->HasEhFrame = hasSection(P->E, ".eh_frame");
  // (.zdebug_*: the GNU compression Go used before SHF_COMPRESSED.)
  bool HasDebug = hasSection(P->E, ".debug_info") ||
                  hasSection(P->E, ".debug_frame") ||
                  hasSection(P->E, ".zdebug_info") ||
                  hasSection(P->E, ".zdebug_frame");
  if (HasDebug) {
    inflateDebugSections(*P);
    P->D = dwarf_begin_elf(P->E, DWARF_C_READ, nullptr);
    if (!P->D)
      return inputError(P->Name, "unusable DWARF: {0}", dwErr());
  }
  if (!P->D && !P->HasEhFrame)
    return nullptr;
  return std::unique_ptr<DwarfInfo>(new DwarfInfo(std::move(P)));
}

Expected<std::unique_ptr<DwarfInfo>>
DwarfInfo::openMapped(const std::string &Path, ArrayRef<uint8_t> Bytes,
                      const Arch *A) {
  initLibelf();
  // libelf writes into the image it reads when it inflates SHF_COMPRESSED
  // sections (the section headers of an elf_memory image point into it),
  // so it must not read a read-only mapping. Let libelf map the file
  // itself (it copies what it modifies); fall back to a private copy of
  // the bytes when the file on disk is not the one we were given.
  int Fd = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat St;
  if (Fd >= 0 && ::fstat(Fd, &St) == 0 && uint64_t(St.st_size) == Bytes.size()) {
    auto P = std::make_unique<Impl>();
    P->Name = Path;
    P->A = A;
    P->Fd = Fd;
    P->E = elf_begin(Fd, ELF_C_READ_MMAP, nullptr);
    if (P->E) {
      size_t RawSize = 0;
      const char *Raw = elf_rawfile(P->E, &RawSize);
      // Same file as the bytes? Compare the start (ELF header, program
      // headers) and the section header table, which is what libelf reads.
      auto Same = [&](uint64_t Off, uint64_t Len) {
        return Off <= RawSize && Len <= RawSize - Off &&
               std::memcmp(Raw + Off, Bytes.data() + Off, Len) == 0;
      };
      GElf_Ehdr Eh;
      if (Raw && RawSize == Bytes.size() && gelf_getehdr(P->E, &Eh) &&
          Same(0, std::min<uint64_t>(RawSize, 4096)) &&
          Same(Eh.e_shoff, uint64_t(Eh.e_shnum) * Eh.e_shentsize)) {
        return finishOpen(std::move(P));
      }
    }
    // Fall through to the copy (P's destructor closes Fd).
  } else if (Fd >= 0) {
    ::close(Fd);
  }
  return openBytes(Bytes, Path, A);
}

Expected<std::unique_ptr<DwarfInfo>>
DwarfInfo::openBytes(ArrayRef<uint8_t> Bytes, std::string Name, const Arch *A) {
  initLibelf();
  auto P = std::make_unique<Impl>();
  P->Name = std::move(Name);
  P->A = A;
  if (Bytes.size() < 64)
    return inputError(P->Name, "too small for an ELF file");
  P->Copy.reset(new char[Bytes.size()]);
  std::memcpy(P->Copy.get(), Bytes.data(), Bytes.size());
  P->E = elf_memory(P->Copy.get(), Bytes.size());
  if (!P->E)
    return inputError(P->Name, "libelf: {0}", elf_errmsg(-1));
  return finishOpen(std::move(P));
}

Error DwarfInfo::Impl::needInfo() const {
  if (!D)
    return makeError("{0} has no DWARF debug info (only .eh_frame)", Name);
  return Error::success();
}

Expected<Dwarf_Die> DwarfInfo::Impl::die(Dwarf_Off Off) const {
  Dwarf_Die R;
  if (!D || !dwarf_offdie(D, Off, &R))
    return makeError("{0}: no DIE at offset {1}: {2}", Name, hex(Off), dwErr());
  return R;
}

unsigned DwarfInfo::version() const {
  if (!P->D)
    return 0;
  Dwarf_CU *Cu = nullptr, *Next = nullptr;
  Dwarf_Half Ver = 0;
  uint8_t UnitType = 0;
  Dwarf_Die CuDie, SubDie;
  if (dwarf_get_units(P->D, Cu, &Next, &Ver, &UnitType, &CuDie, &SubDie) != 0)
    return 0;
  return Ver;
}

std::string DwarfInfo::producer() const {
  if (!P->D)
    return {};
  Dwarf_CU *Next = nullptr;
  Dwarf_Half Ver = 0;
  uint8_t UnitType = 0;
  Dwarf_Die CuDie, SubDie;
  if (dwarf_get_units(P->D, nullptr, &Next, &Ver, &UnitType, &CuDie,
                      &SubDie) != 0)
    return {};
  Dwarf_Attribute A;
  if (!dwarf_attr(&CuDie, DW_AT_producer, &A))
    return {};
  const char *S = dwarf_formstring(&A);
  return S ? S : "";
}

// ---- the name index ----------------------------------------------------------

Error DwarfInfo::Impl::forEachUnit(
    llvm::function_ref<Error(Dwarf_Die &CuDie)> Body) {
  Dwarf_CU *Cu = nullptr, *Next = nullptr;
  size_t Units = 0;
  for (;;) {
    Dwarf_Half Ver = 0;
    uint8_t UnitType = 0;
    Dwarf_Die CuDie, SubDie;
    int R = dwarf_get_units(D, Cu, &Next, &Ver, &UnitType, &CuDie, &SubDie);
    if (R < 0)
      return makeError("{0}: reading DWARF units: {1}", Name, dwErr());
    if (R > 0)
      return Error::success();
    Cu = Next;
    if (++Units > 10'000'000)
      return makeError("{0}: too many DWARF units", Name);
    if (Error E = Body(CuDie))
      return E;
  }
}

Error DwarfInfo::Impl::buildIndex() {
  if (Indexed)
    return Error::success();
  if (auto Err = needInfo())
    return Err;
  uint64_t Seen = 0;
  if (Error E = forEachUnit([&](Dwarf_Die &CuDie) -> Error {
    Dwarf_Die Child;
    int C = dwarf_child(&CuDie, &Child);
    if (C < 0)
      return makeError("{0}: reading DWARF unit children: {1}", Name, dwErr());
    while (C == 0) {
      if (++Seen > MaxDiesPerIndex)
        return makeError("{0}: more than {1} top-level DIEs", Name,
                         MaxDiesPerIndex);
      const char *N = dwarf_diename(&Child);
      if (N && *N) {
        Dwarf_Off Off = dwarf_dieoffset(&Child);
        switch (dwarf_tag(&Child)) {
        case DW_TAG_structure_type:
          Structs.try_emplace(N, Off);
          break;
        case DW_TAG_variable: {
          // Prefer a definition with a location over a declaration.
          auto [It, New] = Globals.try_emplace(N, Off);
          if (!New && dwarf_hasattr(&Child, DW_AT_location)) {
            Dwarf_Die Old;
            if (dwarf_offdie(D, It->second, &Old) &&
                !dwarf_hasattr(&Old, DW_AT_location))
              It->second = Off;
          }
          break;
        }
        case DW_TAG_subprogram:
        case DW_TAG_constant:
        case DW_TAG_compile_unit:
          break;
        default:
          Types.try_emplace(N, Off);
          break;
        }
      }
      C = dwarf_siblingof(&Child, &Child);
      if (C < 0)
        return makeError("{0}: walking DWARF DIEs: {1}", Name, dwErr());
    }
    return Error::success();
  }))
    return E;
  Indexed = true;
  return Error::success();
}

// ---- types -----------------------------------------------------------------

namespace {

TypeKind kindOf(Dwarf_Die *T) {
  switch (dwarf_tag(T)) {
  case DW_TAG_base_type:
    return TypeKind::Base;
  case DW_TAG_pointer_type:
    return TypeKind::Pointer;
  case DW_TAG_structure_type:
    return TypeKind::Struct;
  case DW_TAG_array_type:
    return TypeKind::Array;
  case DW_TAG_typedef:
    return TypeKind::Typedef;
  case DW_TAG_subroutine_type:
    return TypeKind::Function;
  default:
    return TypeKind::Other;
  }
}

// Byte offset of a member (DW_AT_data_member_location, a constant or, in
// old DWARF, a DW_OP_plus_uconst expression).
std::optional<uint64_t> memberOffset(Dwarf_Die *M) {
  Dwarf_Attribute A;
  if (!dwarf_attr(M, DW_AT_data_member_location, &A))
    return 0; // DWARF: absent means the start (unions; Go always emits it)
  Dwarf_Word V = 0;
  if (dwarf_formudata(&A, &V) == 0)
    return V;
  Dwarf_Op *Ops = nullptr;
  size_t N = 0;
  if (dwarf_getlocation(&A, &Ops, &N) == 0 && N == 1 &&
      Ops[0].atom == DW_OP_plus_uconst)
    return Ops[0].number;
  return std::nullopt;
}

} // namespace

bool DwarfInfo::hasType(StringRef N) const {
  if (auto E = P->buildIndex()) {
    consumeError(std::move(E));
    return false;
  }
  return P->Structs.count(N) || P->Types.count(N);
}

Expected<Dwarf_Off> DwarfInfo::Impl::typeOffset(StringRef N,
                                                StringRef What) {
  if (auto E = buildIndex())
    return E;
  if (auto It = Structs.find(N); It != Structs.end())
    return It->second;
  if (auto It = Types.find(N); It != Types.end())
    return It->second;
  return makeError("no {0} named '{1}' in the DWARF of {2}", What, N, Name);
}

Expected<DwarfType> DwarfInfo::type(StringRef N) const {
  auto Off = P->typeOffset(N, "type");
  if (!Off)
    return Off.takeError();
  auto D = P->die(*Off);
  if (!D)
    return D.takeError();
  DwarfType T;
  T.Name = N.str();
  T.Kind = kindOf(&*D);
  T.Size = typeSizeOf(&*D);
  T.Die = *Off;
  return T;
}

Expected<const StructLayout *> DwarfInfo::Impl::layoutOf(Dwarf_Off Off) {
  if (auto It = Layouts.find(Off); It != Layouts.end())
    return It->second.get();
  auto DieOr = die(Off);
  if (!DieOr)
    return DieOr.takeError();
  Dwarf_Die S;
  if (!peelTypedefs(&*DieOr, &S))
    return makeError("{0}: broken typedef chain at DIE {1}", Name, hex(Off));
  if (dwarf_tag(&S) != DW_TAG_structure_type)
    return makeError("{0}: type {1} is not a struct", Name,
                     typeNameOf(&*DieOr));
  Dwarf_Off SOff = dwarf_dieoffset(&S);
  if (auto It = Layouts.find(SOff); It != Layouts.end()) {
    Layouts[Off] = std::make_unique<StructLayout>(*It->second);
    return Layouts[Off].get();
  }
  auto L = std::make_unique<StructLayout>();
  L->Name = typeNameOf(&S);
  auto Size = typeSizeOf(&S);
  if (!Size)
    return makeError("{0}: struct {1} has no byte size", Name, L->Name);
  L->Size = *Size;
  Dwarf_Die M;
  int C = dwarf_child(&S, &M);
  unsigned Count = 0;
  while (C == 0) {
    if (++Count > MaxMembers)
      return makeError("{0}: struct {1} has too many members", Name, L->Name);
    if (dwarf_tag(&M) == DW_TAG_member) {
      FieldLayout F;
      const char *FN = dwarf_diename(&M);
      F.Name = FN ? FN : "";
      auto O = memberOffset(&M);
      if (!O)
        return makeError("{0}: struct {1} member {2}: unsupported location",
                         Name, L->Name, F.Name);
      F.Offset = *O;
      Dwarf_Die T;
      if (typeOf(&M, &T)) {
        F.TypeName = typeNameOf(&T);
        F.Size = typeSizeOf(&T);
        F.TypeDie = dwarf_dieoffset(&T);
      } else {
        F.TypeName = "<no type>";
      }
      Dwarf_Attribute EA;
      Dwarf_Word EV = 0;
      if (dwarf_attr(&M, DW_AT_go_embedded_field, &EA) &&
          dwarf_formudata(&EA, &EV) == 0)
        F.Embedded = EV != 0;
      else if (dwarf_attr(&M, DW_AT_go_embedded_field, &EA)) {
        bool Flag = false;
        if (dwarf_formflag(&EA, &Flag) == 0)
          F.Embedded = Flag;
      }
      L->Fields.push_back(std::move(F));
    }
    C = dwarf_siblingof(&M, &M);
  }
  if (C < 0)
    return makeError("{0}: reading members of {1}: {2}", Name, L->Name,
                     dwErr());
  auto *Raw = L.get();
  Layouts[SOff] = std::move(L);
  if (Off != SOff)
    Layouts[Off] = std::make_unique<StructLayout>(*Raw);
  return Raw;
}

Expected<const StructLayout *> DwarfInfo::structLayout(StringRef N) const {
  auto Off = P->typeOffset(N, "struct type");
  if (!Off)
    return Off.takeError();
  return P->layoutOf(*Off);
}

Expected<const StructLayout *> DwarfInfo::structLayoutOfType(uint64_t Die) const {
  if (auto E = P->needInfo())
    return E;
  return P->layoutOf(Dwarf_Off(Die));
}

Expected<FieldLayout> DwarfInfo::field(StringRef Struct, StringRef Path) const {
  auto L = structLayout(Struct);
  if (!L)
    return L.takeError();
  SmallVector<StringRef, 4> Parts;
  Path.split(Parts, '.');
  if (Parts.size() > MaxPathDepth)
    return makeError("field path '{0}' is too deep", Path);
  const StructLayout *Cur = *L;
  FieldLayout Result;
  uint64_t Base = 0;
  std::string Walked;
  for (size_t I = 0; I < Parts.size(); ++I) {
    const FieldLayout *F = Cur->field(Parts[I]);
    if (!F)
      return makeError("struct {0} has no field '{1}'{2} (DWARF of {3})",
                       Cur->Name, Parts[I],
                       Walked.empty() ? std::string()
                                      : " (in " + Struct.str() + "." + Walked + ")",
                       P->Name);
    Walked += (Walked.empty() ? "" : ".") + Parts[I].str();
    Result = *F;
    Result.Offset = Base + F->Offset;
    if (I + 1 < Parts.size()) {
      if (!F->TypeDie)
        return makeError("{0}.{1} has no type", Struct, Walked);
      auto Sub = P->layoutOf(F->TypeDie);
      if (!Sub)
        return makeError("{0}.{1} ({2}) is not a struct", Struct, Walked,
                         F->TypeName);
      Base += F->Offset;
      Cur = *Sub;
    }
  }
  Result.Name = Path.str();
  return Result;
}

std::vector<std::string> DwarfInfo::structNames() const {
  std::vector<std::string> R;
  if (auto E = P->buildIndex()) {
    consumeError(std::move(E));
    return R;
  }
  for (auto &KV : P->Structs)
    R.push_back(KV.getKey().str());
  std::sort(R.begin(), R.end());
  return R;
}

// ---- globals -----------------------------------------------------------------

bool DwarfInfo::hasGlobal(StringRef N) const {
  if (auto E = P->buildIndex()) {
    consumeError(std::move(E));
    return false;
  }
  return P->Globals.count(N) != 0;
}

Expected<Dwarf_Die> DwarfInfo::Impl::globalDie(StringRef N) {
  if (auto E = buildIndex())
    return E;
  auto It = Globals.find(N);
  if (It == Globals.end())
    return makeError("no global variable '{0}' in the DWARF of {1}", N, Name);
  return die(It->second);
}

Expected<uint64_t> DwarfInfo::globalAddress(StringRef N) const {
  auto D = P->globalDie(N);
  if (!D)
    return D.takeError();
  Dwarf_Attribute A0;
  if (!dwarf_attr(&*D, DW_AT_location, &A0))
    return makeError("global '{0}' has no location in the DWARF of {1}", N,
                     P->Name);
  Dwarf_Attribute A = exprAttr(A0);
  Dwarf_Op *Ops = nullptr;
  size_t NOps = 0;
  if (dwarf_getlocation(&A, &Ops, &NOps) != 0)
    return makeError("global '{0}': {1}", N, dwErr());
  if (NOps != 1)
    return makeError("global '{0}': location is not a plain address ({1})", N,
                     opsToString(Ops, NOps));
  if (Ops[0].atom == DW_OP_addr)
    return Ops[0].number;
  if (Ops[0].atom == DW_OP_addrx || Ops[0].atom == DW_OP_GNU_addr_index) {
    Dwarf_Attribute R;
    Dwarf_Addr Addr = 0;
    if (dwarf_getlocation_attr(&A, &Ops[0], &R) == 0 &&
        dwarf_formaddr(&R, &Addr) == 0)
      return Addr;
    return makeError("global '{0}': cannot resolve DW_OP_addrx: {1}", N,
                     dwErr());
  }
  return makeError("global '{0}': location is not a plain address ({1})", N,
                   opsToString(Ops, NOps));
}

Expected<std::string> DwarfInfo::globalTypeName(StringRef N) const {
  auto D = P->globalDie(N);
  if (!D)
    return D.takeError();
  Dwarf_Die T;
  if (!typeOf(&*D, &T))
    return makeError("global '{0}' has no type", N);
  return typeNameOf(&T);
}

} // namespace ms
