#include "report/Signature.h"
#include "report/Json.h"

#include <cstdio>

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
  return Kind + " | " + (MapType.empty() ? "?" : MapType) + " | " +
         UserFrame.str() + " | " + RacerUserFrame.str();
}

std::string CrashSignature::id() const {
  uint64_t H = 0xcbf29ce484222325ull;
  for (unsigned char C : key()) {
    H ^= C;
    H *= 0x100000001b3ull;
  }
  char Buf[17];
  snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(H));
  return std::string(Buf, 12);
}

CrashSignature signatureOf(const AnalysisReport &R) {
  CrashSignature S;
  S.Kind = faultKindName(R.Fault.Kind).str();
  if (R.Map)
    S.MapType = R.Map->Type;
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
  return llvm::json::Object{
      {"kind", S.Kind},
      {"map_type", S.MapType.empty() ? llvm::json::Value(nullptr)
                                     : llvm::json::Value(jsonText(S.MapType))},
      {"user_frame", toJSON(S.UserFrame)},
      {"racer_user_frame", toJSON(S.RacerUserFrame)}};
}

} // namespace ms
