#include "cli/BatchSummary.h"

#include <algorithm>
#include <climits>
#include <ctime>

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/FormatVariadic.h>

#include "report/Json.h"

namespace ms::batch {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

Value orNull(const std::string &S) {
  return S.empty() ? Value(nullptr) : Value(jsonText(S));
}

std::string isoTime(std::optional<int64_t> T) {
  if (!T)
    return "";
  time_t TT = static_cast<time_t>(*T);
  struct tm TM;
  if (!gmtime_r(&TT, &TM))
    return "";
  char Buf[32];
  strftime(Buf, sizeof Buf, "%Y-%m-%dT%H:%M:%SZ", &TM);
  return Buf;
}

std::optional<int64_t> parseIsoTime(llvm::StringRef S) {
  struct tm TM = {};
  int Y, Mo, D, H, Mi, Se;
  char Z;
  if (S.size() < 20 || S.size() > 26 ||
      sscanf(S.str().c_str(), "%d-%d-%dT%d:%d:%d%c", &Y, &Mo, &D, &H, &Mi,
             &Se, &Z) != 7 ||
      Z != 'Z')
    return std::nullopt;
  TM.tm_year = Y - 1900;
  TM.tm_mon = Mo - 1;
  TM.tm_mday = D;
  TM.tm_hour = H;
  TM.tm_min = Mi;
  TM.tm_sec = Se;
  time_t T = timegm(&TM);
  if (T == static_cast<time_t>(-1) && S != "1969-12-31T23:59:59Z")
    return std::nullopt;
  if (isoTime(static_cast<int64_t>(T)) != S)
    return std::nullopt; // out-of-range fields normalised: not our form
  return static_cast<int64_t>(T);
}

void Summary::add(const Outcome &R) {
  ++Cores;
  if (R.failed() || !R.Sig) {
    ++Failed;
    FailedCores.push_back(R.Core);
    return;
  }
  ++(R.Status == "map_fault" ? MapFaults : NoMapFault);
  Group &G = Groups[R.Sig->key()];
  if (G.Count++ == 0) {
    G.Sig = *R.Sig;
    G.Example = R.Core;
  }
  G.Cores.push_back(R.Core);
  ++G.Racers[R.Sig->RacerUserFrame.str()];
  if (R.Seen) {
    G.First = G.First ? std::min(*G.First, *R.Seen) : *R.Seen;
    G.Last = G.Last ? std::max(*G.Last, *R.Seen) : *R.Seen;
  }
}

std::vector<std::string> Summary::signatureIds() const {
  std::vector<std::string> V;
  for (const auto &KV : Groups)
    V.push_back(KV.second.Sig.id());
  return V;
}

// Largest groups first; then the earliest seen; then by id.
std::vector<const Summary::Group *> Summary::ordered() const {
  std::vector<const Group *> V;
  for (const auto &KV : Groups)
    V.push_back(&KV.second);
  std::stable_sort(V.begin(), V.end(), [](const Group *A, const Group *B) {
    if (A->Count != B->Count)
      return A->Count > B->Count;
    if (A->First != B->First)
      return A->First.value_or(INT64_MAX) < B->First.value_or(INT64_MAX);
    return A->Sig.id() < B->Sig.id();
  });
  return V;
}

Value Summary::toJSON() const {
  Array Gs;
  for (const Group *G : ordered()) {
    Array Cs;
    for (const auto &C : G->Cores)
      Cs.push_back(C);
    Array Rs;
    for (const auto &[Frame, N] : G->Racers)
      Rs.push_back(Object{{"racer_user_frame", Frame == "-" ? Value(nullptr)
                                                            : Value(jsonText(Frame))},
                          {"count", int64_t(N)}});
    Object GO{{"id", G->Sig.id()},
              {"signature", ms::toJSON(G->Sig)},
              {"racers", std::move(Rs)},
              {"count", int64_t(G->Count)},
              {"first_seen", orNull(isoTime(G->First))},
              {"last_seen", orNull(isoTime(G->Last))},
              {"example", G->Example},
              {"cores", std::move(Cs)}};
    auto N = Notes.find(G->Sig.id());
    if (N != Notes.end()) {
      GO["new"] = N->second.New;
      if (KnownIssuesGiven)
        GO["known_issue"] = N->second.KnownIssue
                                ? Value(jsonText(*N->second.KnownIssue))
                                : Value(nullptr);
      if (const auto &H = N->second.History)
        GO["history"] = Object{{"cores", H->Cores},
                               {"first_seen", orNull(isoTime(H->First))},
                               {"last_seen", orNull(isoTime(H->Last))}};
    }
    Gs.push_back(std::move(GO));
  }
  Array F;
  for (const auto &C : FailedCores)
    F.push_back(C);
  Object O{{"schema", "mapsleuth.batch-summary/1"},
           {"signature_version", SignatureVersion},
           {"cores", int64_t(Cores)},
           {"analyzed", int64_t(MapFaults + NoMapFault)},
           {"map_faults", int64_t(MapFaults)},
           {"no_map_fault", int64_t(NoMapFault)},
           {"failed", int64_t(Failed)},
           {"failed_cores", std::move(F)},
           {"skipped_files", int64_t(Skipped)},
           {"duplicates", int64_t(Duplicates)},
           {"groups", std::move(Gs)}};
  if (!Shard.empty())
    O["shard"] = Shard;
  if (Db)
    O["db"] = Object{{"path", Db->Path},
                     {"run", Db->Run},
                     {"new", int64_t(Db->New)},
                     {"known", int64_t(Db->Known)}};
  return O;
}

Error Summary::writeFile(const std::string &File, bool Text) const {
  std::error_code EC;
  llvm::raw_fd_ostream SF(File, EC, llvm::sys::fs::OF_Text);
  if (EC)
    return inputError(File, "cannot write: {0}", EC.message());
  if (Text)
    writeText(SF);
  else
    SF << llvm::formatv("{0:2}", toJSON()) << "\n";
  return Error::success();
}

void Summary::writeText(llvm::raw_ostream &OS) const {
  OS << "\n"
     << Cores << " cores: " << MapFaults + NoMapFault << " analyzed ("
     << MapFaults << " map faults, " << NoMapFault << " other), " << Failed
     << " failed; " << Skipped << " other files skipped";
  if (Duplicates)
    OS << ", " << Duplicates << " duplicates";
  if (!Shard.empty())
    OS << " (shard " << Shard << ")";
  OS << "\n";
  if (Db)
    OS << "triage database " << Db->Path << " (run " << Db->Run
       << "): " << Db->New << " analyzed now, " << Db->Known
       << " known from earlier runs\n";
  if (Groups.empty())
    return;
  OS << Groups.size() << " signatures:\n";
  OS << llvm::formatv("{0,-12}  {1,5}  {2,-20}  {3,-20}  {4}\n", "signature",
                      "cores", "first seen", "last seen",
                      "kind | map type | in-app frames (innermost first)");
  for (const Group *G : ordered()) {
    OS << llvm::formatv("{0,-12}  {1,5}  {2,-20}  {3,-20}  {4}\n",
                        G->Sig.id(), G->Count, isoTime(G->First),
                        isoTime(G->Last), G->Sig.key());
    OS << llvm::formatv("{0,-12}  {1,5}  e.g. {2}\n", "", "", G->Example);
    auto N = Notes.find(G->Sig.id());
    if (N == Notes.end())
      continue;
    if (N->second.KnownIssue)
      OS << llvm::formatv("{0,-12}  {1,5}  known: {2}\n", "", "",
                          *N->second.KnownIssue);
    else if (N->second.New)
      OS << llvm::formatv("{0,-12}  {1,5}  NEW\n", "", "");
    if (const auto &H = N->second.History)
      OS << llvm::formatv("{0,-12}  {1,5}  in the database: {2} cores, {3} to "
                          "{4}\n",
                          "", "", H->Cores, isoTime(H->First),
                          isoTime(H->Last));
  }
}

} // namespace ms::batch
