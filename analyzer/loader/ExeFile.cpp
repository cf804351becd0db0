#include "loader/ExeFile.h"

#include <llvm/ADT/STLExtras.h>
#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/DataExtractor.h>

#include "loader/Elf.h"

namespace ms {

using namespace llvm;
using ELFT = object::ELF64LE;

namespace {
std::string hexBytes(ArrayRef<uint8_t> B) {
  static const char D[] = "0123456789abcdef";
  std::string S;
  for (uint8_t C : B) {
    S += D[C >> 4];
    S += D[C & 15];
  }
  return S;
}
} // namespace

bool ExeSection::hasBytes() const { return Type != ELF::SHT_NOBITS; }

Expected<std::unique_ptr<ExeFile>> ExeFile::open(const std::string &Path) {
  auto In = InputFile::open(Path);
  if (!In)
    return In.takeError();
  return fromInput(std::move(*In));
}

Expected<std::unique_ptr<ExeFile>>
ExeFile::fromInput(std::unique_ptr<InputFile> In) {
  return parseElfInput<ExeFile>(std::move(In));
}

const ExeSection *ExeFile::findSection(StringRef Name) const {
  auto It = llvm::find_if(
      Sections, [&](const ExeSection &S) { return S.Name == Name; });
  return It == Sections.end() ? nullptr : &*It;
}

ArrayRef<uint8_t> ExeFile::sectionBytes(const ExeSection &S) const {
  if (!S.hasBytes() || S.Offset > In->size() || S.Size > In->size() - S.Offset)
    return {};
  return In->data().slice(S.Offset, S.Size);
}

ArrayRef<uint8_t> ExeFile::bytesAt(uint64_t VAddr, uint64_t Size) const {
  for (auto &Seg : Segments) {
    if (VAddr < Seg.VAddr || VAddr - Seg.VAddr >= Seg.FileSize)
      continue;
    uint64_t Rel = VAddr - Seg.VAddr;
    if (Size > Seg.FileSize - Rel)
      return {};
    uint64_t Off = Seg.Offset + Rel;
    if (Off > In->size() || Size > In->size() - Off)
      return {};
    return In->data().slice(Off, Size);
  }
  return {};
}

const ExeSymbol *ExeFile::findSymbol(StringRef Name) const {
  auto It = SymbolIndex.find(Name);
  return It == SymbolIndex.end() ? nullptr : &Symbols[It->second];
}

Error ExeFile::parse() {
  auto Opened = openElfInput(*In, ElfRole::Executable);
  if (!Opened)
    return Opened.takeError();
  A = Opened->A;
  const auto &Hdr = Opened->Obj.getHeader();
  Pie = Hdr.e_type == ELF::ET_DYN;
  Entry = Hdr.e_entry;
  auto &Obj = Opened->Obj;
  const std::string &P = In->path();
  StringRef Bytes = In->bytes();

  bool SawPhdr = false;
  for (const auto &Ph : Opened->Phdrs) {
    if (Ph.p_type == ELF::PT_LOAD) {
      ExeSegment S{Ph.p_vaddr, Ph.p_memsz, Ph.p_offset, Ph.p_filesz,
                   Ph.p_flags};
      if (S.FileSize > S.MemSize)
        S.FileSize = S.MemSize;
      Segments.push_back(S);
      if (!SawPhdr && Ph.p_offset == 0)
        PhdrVAddr = Ph.p_vaddr + Hdr.e_phoff;
    } else if (Ph.p_type == ELF::PT_PHDR) {
      PhdrVAddr = Ph.p_vaddr;
      SawPhdr = true;
    } else if (Ph.p_type == ELF::PT_INTERP) {
      if (Ph.p_offset < Bytes.size() && Ph.p_filesz <= Bytes.size() - Ph.p_offset)
        Interp = Bytes.substr(Ph.p_offset, Ph.p_filesz).rtrim('\0').str();
    }
  }

  auto Shdrs = Obj.sections();
  if (!Shdrs)
    return inputError(P, "{0}", errorText(Shdrs.takeError()));
  for (const auto &Sh : *Shdrs) {
    auto Name = Obj.getSectionName(Sh);
    ExeSection S;
    if (!Name) {
      Warn.add(Name.takeError(), "section name");
    } else {
      S.Name = Name->str();
    }
    S.Addr = Sh.sh_addr;
    S.Offset = Sh.sh_offset;
    S.Size = Sh.sh_size;
    S.Type = Sh.sh_type;
    S.Flags = Sh.sh_flags;
    if (S.hasBytes() && (S.Offset > Bytes.size() || S.Size > Bytes.size() - S.Offset))
      Warn.addf("section {0} extends past the end of the file", S.Name);
    Sections.push_back(std::move(S));

    // LLVM 14 checks sh_offset + sh_size against the file size without
    // minding overflow: a note section whose end wraps would be read from
    // before the buffer. Checked here first.
    if (Sh.sh_type == ELF::SHT_NOTE &&
        (Sh.sh_offset > Bytes.size() || Sh.sh_size > Bytes.size() - Sh.sh_offset)) {
      Warn.addf("note section {0} at offset {1} size {2} extends past the end "
                "of the file",
                Sections.back().Name, hex(Sh.sh_offset), hex(Sh.sh_size));
    } else if (Sh.sh_type == ELF::SHT_NOTE) {
      Error Err = Error::success();
      for (const auto &N : Obj.notes(Sh, Err)) {
        // The descriptor's link-time address: section address plus its
        // offset inside the section.
        uint64_t DescAddr =
            Sh.sh_addr + (N.getDesc().data() -
                          reinterpret_cast<const uint8_t *>(Bytes.data()) -
                          Sh.sh_offset);
        if (N.getName().rtrim(StringRef("\0", 1)) == "Go" && N.getType() == 4) {
          GoBuildId = N.getDescAsStringRef().rtrim('\0').str();
          GoBuildIdAddr = DescAddr;
        } else if (N.getName().rtrim(StringRef("\0", 1)) == "GNU" &&
                   N.getType() == ELF::NT_GNU_BUILD_ID) {
          GnuBuildId = hexBytes(N.getDesc());
          GnuBuildIdAddr = DescAddr;
        }
      }
      if (Err)
        Warn.add(std::move(Err), "note section");
    }

    if (Sh.sh_type == ELF::SHT_SYMTAB) {
      auto Syms = Obj.symbols(&Sh);
      if (!Syms) {
        Warn.add(Syms.takeError(), "symbol table");
        continue;
      }
      auto StrTab = Obj.getStringTableForSymtab(Sh);
      if (!StrTab) {
        Warn.add(StrTab.takeError(), "symbol string table");
        continue;
      }
      Symbols.reserve(Symbols.size() + Syms->size());
      for (const auto &Sym : *Syms) {
        auto SymName = Sym.getName(*StrTab);
        if (!SymName) {
          consumeError(SymName.takeError());
          continue;
        }
        if (SymName->empty())
          continue;
        ExeSymbol ES{*SymName, Sym.st_value, Sym.st_size, Sym.getType()};
        SymbolIndex.try_emplace(ES.Name, Symbols.size());
        Symbols.push_back(std::move(ES));
      }
    }
  }
  return Error::success();
}

} // namespace ms
