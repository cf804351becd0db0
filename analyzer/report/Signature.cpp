#include "report/Signature.h"
#include "report/Json.h"

#include <cstdio>

#include <llvm/ADT/SmallVector.h>
#include <llvm/Support/Path.h>

#include "support/Error.h"

namespace ms {

namespace {
SignatureFrame frameOf(const FrameRef &F) {
  SignatureFrame S;
  if (F.empty())
    return S;
  S.Function = F.Function;
  S.File = llvm::sys::path::filename(F.File, llvm::sys::path::Style::posix).str();
  S.Line = F.Line;
  return S;
}
} // namespace

std::string SignatureFrame::str() const {
  if (empty())
    return "-";
  return Function + " (" + File + ":" + std::to_string(Line) + ")";
}

std::string CrashSignature::key() const {
  std::string Fs;
  for (const std::string &F : Frames)
    Fs += (Fs.empty() ? "" : " < ") + F;
  return Kind + " | " + (MapType.empty() ? "?" : MapType) + " | " +
         (Fs.empty() ? "-" : Fs);
}

std::string CrashSignature::id() const {
  uint64_t H = 0xcbf29ce484222325ull;
  for (unsigned char C : "v" + std::to_string(Version) + " " + key()) {
    H ^= C;
    H *= 0x100000001b3ull;
  }
  char Buf[17];
  snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(H));
  return std::string(Buf, 12);
}

bool isSignatureSkipped(llvm::StringRef Function) {
  // The package path ends at the last '/'; its first element decides.
  llvm::StringRef Pkg = Function;
  size_t Slash = Pkg.rfind('/');
  size_t Dot = Pkg.find('.', Slash == llvm::StringRef::npos ? 0 : Slash);
  if (Dot == llvm::StringRef::npos)
    return true; // no package: a C or assembly symbol
  Pkg = Pkg.substr(0, Dot);
  llvm::StringRef First = Pkg.split('/').first;
  // The Go standard library's top-level package names (go list std).
  static const char *const Std[] = {
      "archive", "bufio",   "bytes",   "cmp",     "compress", "container",
      "context", "crypto",  "database", "debug",  "embed",    "encoding",
      "errors",  "expvar",  "flag",    "fmt",     "go",       "hash",
      "html",    "image",   "index",   "internal", "io",      "iter",
      "log",     "maps",    "math",    "mime",    "net",      "os",
      "path",    "plugin",  "reflect", "regexp",  "runtime",  "slices",
      "sort",    "strconv", "strings", "structs", "sync",     "syscall",
      "testing", "text",    "time",    "unicode", "unique",   "unsafe",
      "vendor",  "weak",    "_cgo",    "type"};
  for (const char *S : Std)
    if (First == S)
      return true;
  // Compiler-generated equality and hash functions ("type:.eq.main.T",
  // "type..eq.main.T" before Go 1.21) and cgo glue.
  return First.startswith("type:") || First.startswith("_cgo_") ||
         First.startswith("x_cgo");
}

std::string collapseTypeArguments(llvm::StringRef Function) {
  std::string Out;
  // Type arguments: everything inside the outermost brackets.
  int Depth = 0;
  for (char C : Function) {
    if (C == '[') {
      if (Depth++ == 0)
        Out += "[...";
      continue;
    }
    if (C == ']' && Depth > 0) {
      if (--Depth == 0)
        Out += ']';
      continue;
    }
    if (Depth == 0)
      Out += C;
  }
  return Out;
}

std::string normalizeSignatureFunction(llvm::StringRef Function) {
  std::string Out = collapseTypeArguments(Function);
  // Package initialisers: "pkg.init.3" -> "pkg.init", "pkg.glob." ->
  // "pkg.init" (package-level closures before Go 1.22).
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  std::string Copy = Out;
  llvm::StringRef(Copy).split(Parts, '.');
  std::string R;
  for (size_t I = 0; I < Parts.size(); ++I) {
    llvm::StringRef P = Parts[I];
    bool Numeric = !P.empty() && P.find_first_not_of("0123456789") ==
                                     llvm::StringRef::npos;
    if (I > 0 && Numeric && Parts[I - 1] == "init")
      continue;
    if (P == "glob" && I + 1 < Parts.size() && Parts[I + 1].empty()) {
      R += (R.empty() ? "" : ".") + std::string("init");
      ++I; // the empty element of ".."
      continue;
    }
    R += (I == 0 ? "" : ".") + P.str();
  }
  return R;
}

FaultKind signatureFaultClass(const FaultReport &F) {
  // Go 1.24+'s (*Iter).Next looks keys up again after the map grew, and
  // that lookup throws "concurrent map read and map write": the same race
  // as its own iteration check's.
  if (F.Kind == FaultKind::ConcurrentMapReadAndWrite && F.Operation &&
      (*F.Operation == MapOp::IterNext || *F.Operation == MapOp::IterInit))
    return FaultKind::ConcurrentMapIterationAndWrite;
  return F.Kind;
}

CrashSignature signatureOf(const AnalysisReport &R) {
  CrashSignature S;
  S.Kind = faultKindName(signatureFaultClass(R.Fault)).str();
  if (R.Map)
    S.MapType = R.Map->Type;
  if (R.FaultingStack) {
    for (const FrameReport &F : R.FaultingStack->Frames) {
      if (S.Frames.size() == SignatureFrames)
        break;
      if (!F.Go || isSignatureSkipped(F.Function))
        continue;
      S.Frames.push_back(normalizeSignatureFunction(F.Function));
    }
  }
  S.UserFrame = frameOf(R.Fault.UserFrame);
  for (const RacerReport &X : R.Racers) {
    if (!X.SameMap.value_or(false) || X.UserFrame.empty())
      continue;
    S.RacerUserFrame = frameOf(X.UserFrame);
    S.RacerGoroutine = X.Goroutine;
    break;
  }
  return S;
}

llvm::json::Value toJSON(const SignatureFrame &F) {
  if (F.empty())
    return nullptr;
  return llvm::json::Object{
      {"function", jsonText(F.Function)},
      {"file", jsonText(F.File)},
      {"line", F.Line}};
}

llvm::json::Value toJSON(const CrashSignature &S) {
  llvm::json::Array Frames;
  for (const std::string &F : S.Frames)
    Frames.push_back(jsonText(F));
  return llvm::json::Object{
      {"id", S.id()},
      {"version", S.Version},
      {"kind", S.Kind},
      {"frames", std::move(Frames)},
      {"map_type", S.MapType.empty() ? llvm::json::Value(nullptr)
                                     : llvm::json::Value(jsonText(S.MapType))},
      {"user_frame", toJSON(S.UserFrame)},
      {"racer_user_frame", toJSON(S.RacerUserFrame)}};
}

namespace {
Expected<SignatureFrame> frameFromJSON(const llvm::json::Value *V,
                                       llvm::StringRef Name) {
  SignatureFrame F;
  if (!V || V->kind() == llvm::json::Value::Null)
    return F;
  const llvm::json::Object *O = V->getAsObject();
  if (!O)
    return makeError("signature.{0}: not an object", Name);
  auto Fn = O->getString("function");
  auto File = O->getString("file");
  auto Line = O->getInteger("line");
  if (!Fn || !File || !Line)
    return makeError("signature.{0}: not a frame (function, file, line)",
                     Name);
  F.Function = Fn->str();
  F.File = File->str();
  F.Line = *Line;
  return F;
}
} // namespace

Expected<CrashSignature> signatureFromJSON(const llvm::json::Value &V) {
  const llvm::json::Object *O = V.getAsObject();
  if (!O)
    return makeError("signature: not an object");
  CrashSignature S;
  auto Version = O->getInteger("version");
  if (!Version)
    return makeError("signature: no version");
  if (*Version != SignatureVersion)
    return makeError("signature version {0}, but this mapsleuth makes "
                     "version {1}: analyze the cores again",
                     *Version, SignatureVersion);
  auto Kind = O->getString("kind");
  const llvm::json::Array *Frames = O->getArray("frames");
  const llvm::json::Value *MapType = O->get("map_type");
  if (!Kind || !Frames || !MapType)
    return makeError("signature: kind, frames or map_type missing");
  S.Kind = Kind->str();
  if (auto T = MapType->getAsString())
    S.MapType = T->str();
  else if (MapType->kind() != llvm::json::Value::Null)
    return makeError("signature.map_type: not a string");
  for (const llvm::json::Value &F : *Frames) {
    auto Fn = F.getAsString();
    if (!Fn)
      return makeError("signature.frames: not strings");
    S.Frames.push_back(Fn->str());
  }
  auto UF = frameFromJSON(O->get("user_frame"), "user_frame");
  if (!UF)
    return UF.takeError();
  S.UserFrame = std::move(*UF);
  auto RF = frameFromJSON(O->get("racer_user_frame"), "racer_user_frame");
  if (!RF)
    return RF.takeError();
  S.RacerUserFrame = std::move(*RF);
  // The id is not checked against the fields: names that were not valid
  // UTF-8 were repaired when written, so their id can differ.
  return S;
}

} // namespace ms
