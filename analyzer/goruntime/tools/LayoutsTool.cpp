// mapsleuth-layouts: dumps the layouts of the Go runtime structs mapsleuth
// needs, read from the DWARF of unstripped executables, as one JSON table
// (analyzer/goruntime/layouts/go1.XX[-variant].json). Each executable is one
// architecture of the same Go version; constants that DWARF lacks (status
// values, wait reason strings) come from --consts (scripts/goconsts).
//
//   mapsleuth-layouts [--variant NAME] [--consts FILE] GOARCH=EXE... > out.json
//   mapsleuth-layouts --show EXE STRUCT       (one struct, for people)
//   mapsleuth-layouts --check EXE...          (embedded table vs DWARF)
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include "goruntime/ExeDwarf.h"
#include "goruntime/BuildInfo.h"
#include "goruntime/LayoutSpec.h"
#include "goruntime/Layouts.h"
#include "loader/ExeFile.h"

using namespace ms;
using namespace llvm;

namespace {

// A Go executable with its build info and DWARF, for the commands that
// read or check layouts; an error when it has no DWARF (Why says what it
// was wanted for).
struct Program {
  std::unique_ptr<ExeFile> X;
  BuildInfo BI;
  std::unique_ptr<DwarfInfo> D;
};
Expected<Program> openProgram(const std::string &Path, const char *Why) {
  auto X = ExeFile::open(Path);
  if (!X)
    return X.takeError();
  auto BI = readBuildInfo(**X);
  if (!BI)
    return BI.takeError();
  auto D = openDwarf(**X);
  if (!D)
    return D.takeError();
  if (!*D)
    return makeError("{0} has no DWARF {1}", Path, Why);
  return Program{std::move(*X), std::move(*BI), std::move(*D)};
}

std::string quote(StringRef S) {
  std::string Out;
  raw_string_ostream OS(Out);
  OS << json::Value(S.str());
  return OS.str();
}

// Type names of anonymous structs are their whole definition; keep tables
// readable.
std::string shortType(const std::string &T) {
  if (StringRef(T).startswith("struct {") && T.size() > 40)
    return "struct {...}";
  return T;
}

struct Dumped {
  std::string Arch;
  std::string Toolchain;
  std::string Producer;
  unsigned DwarfVersion = 0;
  std::string Maps; // "classic" | "swiss"
  // struct name -> JSON text of {"size":..., "fields":[...]}
  std::map<std::string, std::string> Structs;
  std::vector<std::string> Globals;
};

void addFields(DwarfInfo &D, const StructLayout &L, const std::string &Prefix,
               uint64_t Base, unsigned Depth, std::vector<std::string> &Out) {
  for (const FieldLayout &F : L.Fields) {
    std::string Name = Prefix + F.Name;
    std::string Size = F.Size ? std::to_string(*F.Size) : "null";
    Out.push_back("[" + quote(Name) + ", " + std::to_string(Base + F.Offset) +
                  ", " + Size + ", " + quote(shortType(F.TypeName)) + "]");
    // Anonymous struct members are flattened ("gFree.stack"): a table has
    // no name to look their type up by.
    if (Depth < 3 && StringRef(F.TypeName).startswith("struct {") &&
        F.TypeDie) {
      auto Inner = D.structLayoutOfType(F.TypeDie);
      if (!Inner) {
        consumeError(Inner.takeError());
        continue;
      }
      addFields(D, **Inner, Name + ".", Base + F.Offset, Depth + 1, Out);
    }
  }
}

Expected<Dumped> dump(const std::string &Arch, const std::string &Path) {
  auto Prog = openProgram(Path, "(built with -w?)");
  if (!Prog)
    return Prog.takeError();
  if (Prog->X->arch().goName() != Arch)
    return makeError("{0} is {1}, not {2}", Path, Prog->X->arch().goName(),
                     Arch);
  DwarfInfo &D = *Prog->D;
  const BuildInfo *BI = &Prog->BI;
  Dumped R;
  R.Arch = Arch;
  R.Toolchain = BI->Version.Raw;
  R.Producer = D.producer();
  R.DwarfVersion = D.version();
  R.Maps = D.hasType("runtime.hmap") ? "classic"
           : D.hasType("internal/runtime/maps.Map") ? "swiss"
                                                    : "";
  for (const char *Name : layoutSpecStructs()) {
    if (!D.hasType(Name))
      continue;
    auto L = D.structLayout(Name);
    if (!L) {
      // A type of that name that is not a struct: not ours.
      consumeError(L.takeError());
      continue;
    }
    std::vector<std::string> Fields;
    addFields(D, **L, "", 0, 0, Fields);
    std::string S = "{\"size\": " + std::to_string((*L)->Size) +
                    ", \"fields\": [\n";
    for (size_t I = 0; I < Fields.size(); ++I)
      S += "          " + Fields[I] + (I + 1 < Fields.size() ? ",\n" : "\n");
    S += "        ]}";
    R.Structs[Name] = S;
  }
  for (const char *G : layoutSpecGlobals())
    if (D.hasGlobal(G))
      R.Globals.push_back(G);
  return R;
}

int fail(Error E) {
  errs() << "mapsleuth-layouts: " << toString(std::move(E)) << "\n";
  return 1;
}

int show(const std::string &Path, const std::string &Struct) {
  auto X = ExeFile::open(Path);
  if (!X)
    return fail(X.takeError());
  auto D = openDwarf(**X);
  if (!D)
    return fail(D.takeError());
  if (!*D)
    return fail(makeError("{0} has no DWARF", Path));
  auto L = (*D)->structLayout(Struct);
  if (!L)
    return fail(L.takeError());
  outs() << (*L)->Name << " size " << (*L)->Size << "\n";
  for (auto &F : (*L)->Fields)
    outs() << formatv("  {0,6} {1,6} {2} {3}\n", F.Offset,
                      F.Size ? std::to_string(*F.Size) : "?", F.Name,
                      F.TypeName);
  return 0;
}

// Compares the embedded table the program would use when stripped with the
// program's DWARF, field by field. Returns the number of differences.
Expected<unsigned> check(const std::string &Path) {
  auto Prog = openProgram(Path, "to check against");
  if (!Prog)
    return Prog.takeError();
  auto &X = Prog->X;
  auto &BI = Prog->BI;
  auto &D = Prog->D;
  auto T = RuntimeLayouts::forProgram(*X, BI, nullptr);
  if (!T)
    return T.takeError();
  unsigned Bad = 0, Fields = 0;
  auto Report = [&](const Twine &Msg) {
    ++Bad;
    outs() << Path << ": " << Msg << "\n";
  };
  unsigned Absent = 0;
  for (const std::string &S : (*T)->structNames()) {
    // Which types a program's DWARF has depends on the program.
    if (!D->hasType(S)) {
      ++Absent;
      continue;
    }
    auto L = D->structLayout(S);
    if (!L) {
      Report(S + ": " + toString(L.takeError()));
      continue;
    }
    auto Size = (*T)->sizeOf(S);
    if (!Size || *Size != (*L)->Size)
      Report(S + ": size differs");
    if (!Size)
      consumeError(Size.takeError());
    auto Fs = (*T)->fields(S);
    if (!Fs) {
      Report(S + ": " + toString(Fs.takeError()));
      continue;
    }
    for (const LayoutField &F : *Fs) {
      if (F.Name == "_" || StringRef(F.Name).endswith("._"))
        continue; // blank (padding) fields: several per struct, no lookup
      ++Fields;
      auto G = D->field(S, F.Name);
      if (!G) {
        Report(S + "." + F.Name + ": " + toString(G.takeError()));
        continue;
      }
      if (G->Offset != F.Offset || G->Size != F.Size)
        Report(formatv("{0}.{1}: table {2}+{3}, DWARF {4}+{5}", S, F.Name,
                       F.Offset, F.Size.value_or(0), G->Offset,
                       G->Size.value_or(0)));
    }
  }
  for (const char *S : layoutSpecStructs())
    if (D->hasType(S) && !(*T)->hasStruct(S))
      Report(Twine("struct ") + S + " is in DWARF but not in the table");
  outs() << formatv("{0}: {1} ({2}): {3} fields compared, {4} differences"
                    " ({5} table structs not in this program's DWARF)\n",
                    Path, (*T)->source(), (*T)->goArch(), Fields, Bad, Absent);
  return Bad;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> Args(argv + 1, argv + argc);
  if (Args.size() == 3 && Args[0] == "--show")
    return show(Args[1], Args[2]);
  if (Args.size() >= 2 && Args[0] == "--check") {
    unsigned Bad = 0;
    for (size_t I = 1; I < Args.size(); ++I) {
      auto N = check(Args[I]);
      if (!N)
        return fail(N.takeError());
      Bad += *N;
    }
    return Bad ? 1 : 0;
  }
  std::string Variant, ConstsPath;
  std::vector<std::pair<std::string, std::string>> Exes;
  for (size_t I = 0; I < Args.size(); ++I) {
    if (Args[I] == "--variant" && I + 1 < Args.size())
      Variant = Args[++I];
    else if (Args[I] == "--consts" && I + 1 < Args.size())
      ConstsPath = Args[++I];
    else if (Args[I].find('=') != std::string::npos) {
      auto [A, P] = StringRef(Args[I]).split('=');
      Exes.emplace_back(A.str(), P.str());
    } else {
      errs() << "usage: mapsleuth-layouts [--variant NAME] [--consts FILE] "
                "GOARCH=EXE...\n       mapsleuth-layouts --show EXE STRUCT\n";
      return 2;
    }
  }
  if (Exes.empty())
    return fail(makeError("no executables given"));

  std::vector<Dumped> All;
  for (auto &[A, P] : Exes) {
    auto D = dump(A, P);
    if (!D)
      return fail(D.takeError());
    All.push_back(std::move(*D));
  }
  auto Minor = [](const std::string &Raw) {
    auto V = GoVersion::parse(Raw);
    return V ? formatv("go{0}.{1}", V->Major, V->Minor).str() : Raw;
  };
  std::string Version = Minor(All[0].Toolchain);
  for (auto &D : All) {
    if (Minor(D.Toolchain) != Version)
      return fail(makeError("executables of different Go versions: {0}, {1}",
                            All[0].Toolchain, D.Toolchain));
    if (D.Maps != All[0].Maps)
      return fail(makeError("executables with different map implementations"));
  }

  std::string Consts;
  if (!ConstsPath.empty()) {
    auto B = MemoryBuffer::getFile(ConstsPath);
    if (!B)
      return fail(makeError("{0}: {1}", ConstsPath, B.getError().message()));
    auto J = json::parse((*B)->getBuffer());
    if (!J)
      return fail(J.takeError());
    auto *O = J->getAsObject();
    if (!O)
      return fail(makeError("{0}: not a JSON object", ConstsPath));
    for (const char *K :
         {"gStatus", "pStatus", "waitReasons", "waitReasonConsts"}) {
      const json::Value *V = O->get(K);
      if (!V)
        return fail(makeError("{0}: no {1}", ConstsPath, K));
      std::string Text;
      raw_string_ostream OS(Text);
      OS << formatv("{0:2}", *V);
      OS.flush();
      // Indent nested lines to sit under the top-level key.
      std::string Indented;
      for (char C : Text) {
        Indented += C;
        if (C == '\n')
          Indented += "  ";
      }
      Consts += ",\n  " + quote(K) + ": " + Indented;
    }
  }

  std::string Out = "{\n";
  Out += "  \"format\": 1,\n";
  Out += "  \"version\": " + quote(Version) + ",\n";
  Out += "  \"variant\": " + quote(Variant) + ",\n";
  Out += "  \"toolchain\": " + quote(All[0].Toolchain) + ",\n";
  Out += "  \"producer\": " + quote(All[0].Producer) + ",\n";
  Out += "  \"dwarfVersion\": " + std::to_string(All[0].DwarfVersion) + ",\n";
  Out += "  \"maps\": " + quote(All[0].Maps) + ",\n";
  Out += "  \"arches\": {\n";
  for (size_t I = 0; I < All.size(); ++I) {
    auto &D = All[I];
    Out += "    " + quote(D.Arch) + ": {\n      \"globals\": [";
    for (size_t G = 0; G < D.Globals.size(); ++G)
      Out += (G ? ", " : "") + quote(D.Globals[G]);
    Out += "],\n      \"structs\": {\n";
    size_t N = 0;
    for (auto &[Name, Text] : D.Structs)
      Out += "        " + quote(Name) + ": " + Text +
             (++N < D.Structs.size() ? ",\n" : "\n");
    Out += "      }\n    }" + std::string(I + 1 < All.size() ? ",\n" : "\n");
  }
  Out += "  }" + Consts + "\n}\n";
  // Validate before writing: the library parses this.
  if (auto J = json::parse(Out); !J)
    return fail(addContext(J.takeError(), "generated JSON is invalid"));
  outs() << Out;
  return 0;
}
