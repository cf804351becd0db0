// mapsleuth-embed-layouts OUT.cpp TABLE.json...
//
// Build-time generator: turns the runtime layout tables
// (analyzer/goruntime/layouts/*.json, written by scripts/gen-layouts.sh)
// into constant C++ data for goruntime/LayoutTables.h, one EmbeddedLayout
// per table and architecture. Every table is checked here: a malformed one
// fails the build with a message naming the file. OUT is only rewritten
// when its content changes.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <llvm/ADT/StringRef.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>

using namespace llvm;

namespace {

[[noreturn]] void fail(const Twine &Msg) {
  errs() << "mapsleuth-embed-layouts: " << Msg << "\n";
  std::exit(1);
}

// A C string literal; octal escapes (always three digits) so that no
// following character is taken into the escape.
std::string lit(StringRef S) {
  std::string R = "\"";
  for (unsigned char C : S) {
    if (C == '"' || C == '\\')
      R += '\\', R += char(C);
    else if (C < 0x20 || C >= 0x7f || C == '?') {
      char Esc[8];
      std::snprintf(Esc, sizeof Esc, "\\%03o", unsigned(C));
      R += Esc;
    }
    else
      R += char(C);
  }
  return R + "\"";
}

struct Gen {
  std::string Body;  // definitions
  std::string Table; // the EmbeddedLayout entries
  unsigned Next = 0;

  std::string id(StringRef Prefix) {
    return (Prefix + Twine(Next++)).str();
  }

  const json::Object &object(const json::Object &O, StringRef K,
                             const Twine &Where) {
    const json::Object *R = O.getObject(K);
    if (!R)
      fail(Where + ": no object '" + K + "'");
    return *R;
  }

  // An array of EmbeddedConst from {"name": int}, sorted by name.
  std::string consts(const json::Object &Root, StringRef K,
                     const Twine &Where) {
    std::map<std::string, int64_t> Sorted;
    for (auto &KV : object(Root, K, Where)) {
      auto V = KV.second.getAsInteger();
      if (!V)
        fail(Where + ": " + K + "." + KV.first.str() + " is not an integer");
      Sorted[KV.first.str()] = *V;
    }
    std::string Id = id("C");
    Body += "const EmbeddedConst " + Id + "[] = {\n";
    for (auto &[Name, V] : Sorted)
      Body += formatv("    {{{0}, {1}LL},\n", lit(Name), V).str();
    if (Sorted.empty())
      Body += "    {nullptr, 0},\n";
    Body += "};\n";
    return formatv("llvm::ArrayRef<EmbeddedConst>({0}, {1})", Id,
                   Sorted.size())
        .str();
  }

  std::string strings(const json::Array &A, const Twine &Where) {
    std::string Id = id("S");
    Body += "const char *const " + Id + "[] = {\n";
    for (const json::Value &V : A) {
      auto S = V.getAsString();
      if (!S)
        fail(Where + ": an element is not a string");
      Body += "    " + lit(*S) + ",\n";
    }
    if (A.empty())
      Body += "    nullptr,\n";
    Body += "};\n";
    return formatv("llvm::ArrayRef<const char *>({0}, {1})", Id, A.size())
        .str();
  }

  std::string fields(const json::Array &A, const Twine &Where) {
    std::string Id = id("F");
    Body += "const EmbeddedField " + Id + "[] = {\n";
    for (const json::Value &V : A) {
      const json::Array *F = V.getAsArray();
      if (!F || F->size() != 4)
        fail(Where + ": a field is not [name, offset, size, type]");
      auto Name = (*F)[0].getAsString();
      auto Off = (*F)[1].getAsUINT64();
      auto Size = (*F)[2].getAsUINT64();
      auto Type = (*F)[3].getAsString();
      if (!Name || !Off || !Type ||
          (!Size && (*F)[2].kind() != json::Value::Null))
        fail(Where + ": malformed field");
      Body += formatv("    {{{0}, {1}, {2}, {3}, {4}},\n", lit(*Name), *Off,
                      Size ? "true" : "false", Size ? *Size : 0, lit(*Type))
                  .str();
    }
    if (A.empty())
      Body += "    {nullptr, 0, false, 0, nullptr},\n";
    Body += "};\n";
    return formatv("llvm::ArrayRef<EmbeddedField>({0}, {1})", Id, A.size())
        .str();
  }

  void table(StringRef Path) {
    auto Buf = MemoryBuffer::getFile(Path);
    if (!Buf)
      fail(Path + ": " + Buf.getError().message());
    auto J = json::parse((*Buf)->getBuffer());
    if (!J)
      fail(Path + ": " + toString(J.takeError()));
    const json::Object *Root = J->getAsObject();
    if (!Root)
      fail(Path + ": not an object");
    auto Format = Root->getInteger("format");
    if (!Format || *Format != 1)
      fail(Path + ": unknown format");
    auto Ver = Root->getString("version");
    auto Maps = Root->getString("maps");
    if (!Ver || !Maps || (*Maps != "classic" && *Maps != "swiss"))
      fail(Path + ": no version or map kind");
    StringRef File = sys::path::filename(Path);
    if (!File.consume_back(".json"))
      fail(Path + ": not a .json file");

    std::string GStatus = consts(*Root, "gStatus", Path);
    std::string PStatus = consts(*Root, "pStatus", Path);
    std::string WaitConsts = consts(*Root, "waitReasonConsts", Path);
    const json::Array *W = Root->getArray("waitReasons");
    if (!W)
      fail(Path + ": no waitReasons");
    std::string Waits = strings(*W, Path);

    const json::Object &Arches = object(*Root, "arches", Path);
    if (Arches.empty())
      fail(Path + ": no arches");
    std::vector<std::string> ArchNames;
    for (auto &KV : Arches)
      ArchNames.push_back(KV.first.str());
    std::sort(ArchNames.begin(), ArchNames.end());
    for (const std::string &Arch : ArchNames) {
      std::string Where = (Path + " " + Arch).str();
      const json::Object *A = Arches.getObject(Arch);
      if (!A)
        fail(Where + ": not an object");
      const json::Object &Structs = object(*A, "structs", Where);
      std::vector<std::string> Names;
      for (auto &KV : Structs)
        Names.push_back(KV.first.str());
      std::sort(Names.begin(), Names.end());
      std::string Rows;
      for (const std::string &Name : Names) {
        std::string SWhere = Where + " " + Name;
        const json::Object *S = Structs.getObject(Name);
        if (!S)
          fail(SWhere + ": not an object");
        auto Size = S->getInteger("size");
        const json::Array *F = S->getArray("fields");
        if (!Size || *Size < 0 || !F)
          fail(SWhere + ": no size or fields");
        std::string Fields = fields(*F, SWhere);
        Rows += formatv("    {{{0}, {1}, {2}},\n", lit(Name), *Size, Fields)
                    .str();
      }
      std::string SId = id("T");
      Body += "const EmbeddedStruct " + SId + "[] = {\n" + Rows;
      if (Names.empty())
        Body += "    {nullptr, 0, {}},\n";
      Body += "};\n";
      const json::Array *G = A->getArray("globals");
      if (!G)
        fail(Where + ": no globals");
      std::string Globals = strings(*G, Where);
      Table += formatv("    {{{0}, {1}, {2}, {3},\n"
                       "     llvm::ArrayRef<EmbeddedStruct>({4}, {5}), {6},\n"
                       "     {7}, {8}, {9}, {10}},\n",
                       lit(File), lit(Arch), lit(*Ver),
                       *Maps == "swiss" ? "true" : "false", SId,
                       Names.size(), Globals, GStatus, PStatus, WaitConsts,
                       Waits)
                   .str();
    }
  }
};

} // namespace

int main(int argc, char **argv) {
  if (argc < 3)
    fail("usage: mapsleuth-embed-layouts OUT.cpp TABLE.json...");
  std::vector<std::string> Inputs(argv + 2, argv + argc);
  std::sort(Inputs.begin(), Inputs.end(), [](const std::string &A,
                                             const std::string &B) {
    return sys::path::filename(A) < sys::path::filename(B);
  });
  Gen G;
  for (const std::string &In : Inputs)
    G.table(In);
  std::string Out =
      "// Generated by mapsleuth-embed-layouts (goruntime/tools/"
      "EmbedLayouts.cpp)\n// from analyzer/goruntime/layouts/*.json. Do not "
      "edit.\n#include \"goruntime/LayoutTables.h\"\n\nnamespace ms {\n"
      "namespace {\n" +
      G.Body + "\nconst EmbeddedLayout Tables[] = {\n" + G.Table +
      "};\n} // namespace\n\nllvm::ArrayRef<EmbeddedLayout> embeddedLayouts() "
      "{ return Tables; }\n\n} // namespace ms\n";
  StringRef OutPath = argv[1];
  if (auto Old = MemoryBuffer::getFile(OutPath);
      Old && (*Old)->getBuffer() == Out)
    return 0;
  std::error_code EC;
  raw_fd_ostream OS(OutPath, EC);
  if (EC)
    fail(OutPath + ": " + EC.message());
  OS << Out;
  OS.close();
  if (OS.has_error())
    fail(OutPath + ": write failed");
  return 0;
}
