// The text writer of the analyze report: what a person reads first.
#include "report/AnalysisText.h"

#include <algorithm>

#include "report/Json.h"
#include "support/Error.h"

namespace ms {

namespace {
struct Style {
  bool On;
  const char *bold() const { return On ? "\x1b[1m" : ""; }
  const char *red() const { return On ? "\x1b[1;31m" : ""; }
  const char *dim() const { return On ? "\x1b[2m" : ""; }
  const char *off() const { return On ? "\x1b[0m" : ""; }
};

std::string at(const FrameRef &F) {
  if (F.empty())
    return "?";
  if (F.File.empty()) // a crash log's hidden runtime frame: no line known
    return F.Function;
  return F.Function + " (" + F.File + ":" + std::to_string(F.Line) + ")";
}

std::string sure(const ProvenanceReport &P) {
  return (confidenceName(P.Conf) + ", from " + sourceName(P.Src)).str();
}

constexpr const char *StaleNote = "probably an earlier call's key";

// The index in MapReport::Tables of the key's home table.
std::optional<size_t> homeTable(const KeyReport &K) {
  if (!K.Location || !K.Location->Lookup.Home)
    return std::nullopt;
  const auto &H = *K.Location->Lookup.Home;
  if (H.Small || H.Table < 0)
    return std::nullopt;
  return static_cast<size_t>(H.Table);
}

void writeTable(llvm::raw_ostream &OS, const SwissTable &T,
                llvm::StringRef Why = "") {
  OS << "  table      " << hex(T.Addr) << ": used " << T.Used << " of "
     << T.Capacity << ", growthLeft " << T.GrowthLeft << ", localDepth "
     << unsigned(T.LocalDepth);
  if (!Why.empty())
    OS << "  (" << Why << ")";
  OS << "\n";
}

// A few tables are listed; a big map's (a million entries: thousands of
// tables) is summarised, with the tables that matter: the key's home,
// those being grown or split, replaced ones and those the walk could not
// read whole or found inconsistent.
void writeTables(llvm::raw_ostream &OS, const MapReport &M,
                 std::optional<size_t> Home, bool All) {
  if (All || M.Tables.size() <= MaxTablesListed) {
    for (const SwissTable &T : M.Tables)
      writeTable(OS, T);
    return;
  }
  std::vector<uint16_t> Used;
  uint64_t Cap = 0, Partial = 0;
  for (const SwissTable &T : M.Tables) {
    Used.push_back(T.Used);
    Cap += T.Capacity;
    Partial += T.Partial;
  }
  std::sort(Used.begin(), Used.end());
  OS << "  tables     " << M.Tables.size() << ", used per table min "
     << Used.front() << ", median " << Used[Used.size() / 2] << ", max "
     << Used.back() << "; capacity " << Cap << " in all";
  if (Partial)
    OS << "; " << Partial << " not read whole";
  OS << "\n";
  std::vector<std::pair<size_t, std::string>> Shown;
  auto Note = [&](size_t I, std::string Why) {
    for (auto &S : Shown)
      if (S.first == I) {
        S.second += ", " + Why;
        return;
      }
    Shown.emplace_back(I, std::move(Why));
  };
  if (Home && *Home < M.Tables.size())
    Note(*Home, "the key's home");
  for (const GrowthWorker &W : M.GrowthBy)
    for (size_t I = 0; I < M.Tables.size(); ++I)
      if (W.Table && M.Tables[I].Addr == *W.Table)
        Note(I, "goroutine " + std::to_string(W.Goroutine) + " is growing it");
  for (size_t I = 0; I < M.Tables.size(); ++I) {
    const SwissTable &T = M.Tables[I];
    if (T.Index < 0)
      Note(I, "replaced by a grow");
    if (T.Partial)
      Note(I, "not read whole");
    if (T.Invalid)
      Note(I, std::to_string(T.Invalid) + " invalid control bytes");
    if (T.Used > T.Capacity ||
        (T.GroupsWalked && !T.Partial && T.Full != T.Used))
      Note(I, "used " + std::to_string(T.Used) + " but " +
                  std::to_string(T.Full) + " full slots");
  }
  std::stable_sort(Shown.begin(), Shown.end());
  size_t N = 0;
  for (const auto &[I, Why] : Shown) {
    if (N++ == MaxTablesListed) {
      OS << "             ... and " << Shown.size() - MaxTablesListed
         << " more tables of note\n";
      break;
    }
    writeTable(OS, M.Tables[I], Why);
  }
  OS << "             (every table: --all-tables, or --format json)\n";
}

// The header's own fields, in the runtime's order, and the Swiss tables.
void writeMapHeader(llvm::raw_ostream &OS, const MapReport &M,
                    const AnalysisReport &R, const TextOptions &O) {
  if (!M.Hmap && !M.Swiss)
    return;
  OS << "  header    ";
  if (M.Hmap) {
    const ClassicHeader &H = *M.Hmap;
    OS << " count=" << H.Count << " flags=" << unsigned(H.Flags)
       << " B=" << unsigned(H.B) << " noverflow=" << H.NOverflow
       << " hash0=" << H.Hash0 << " buckets=" << hex(H.Buckets)
       << " oldbuckets=" << hex(H.OldBuckets) << " nevacuate=" << H.NEvacuate
       << " extra=" << hex(H.Extra);
    if (H.ClearSeq)
      OS << " clearSeq=" << *H.ClearSeq;
    auto Names = H.flagNames();
    if (!Names.empty()) {
      OS << " (";
      for (size_t I = 0; I < Names.size(); ++I)
        OS << (I ? "|" : "") << Names[I];
      OS << ")";
    }
  } else {
    const SwissHeader &H = *M.Swiss;
    OS << " used=" << H.Used << " seed=" << hex(H.Seed)
       << " dirPtr=" << hex(H.DirPtr) << " dirLen=" << H.DirLen
       << " globalDepth=" << unsigned(H.GlobalDepth)
       << " globalShift=" << unsigned(H.GlobalShift)
       << " writing=" << unsigned(H.Writing);
    if (H.TombstonePossible)
      OS << " tombstonePossible=" << unsigned(*H.TombstonePossible);
    OS << " clearSeq=" << H.ClearSeq;
  }
  OS << "\n";
  if (M.Swiss)
    writeTables(OS, M, R.Key ? homeTable(*R.Key) : std::nullopt,
                O.AllTables);
}

// What happened, where in the user's code, on which map, with which key.
void writeSummary(llvm::raw_ostream &OS, const AnalysisReport &R,
                  const Style &S) {
  const FaultReport &F = R.Fault;
  OS << S.red()
     << (R.MapFault        ? "fatal map fault: "
         : R.Core.Truncated ? "no map fault found in what the truncated core "
                              "holds: "
                            : "not a map fault: ")
     << (F.Message.empty() ? faultKindName(F.Kind).str() : F.Message) << S.off()
     << "\n";
  if (F.Goroutine)
    OS << "  goroutine " << *F.Goroutine;
  if (F.Thread)
    OS << " on thread " << *F.Thread;
  if (F.Operation)
    OS << ", during a map " << mapOpName(*F.Operation);
  OS << "\n";
  if (!F.UserFrame.empty())
    OS << "  at " << S.bold() << F.UserFrame.File << ":" << F.UserFrame.Line
       << S.off() << " in " << F.UserFrame.Function << "\n";
  for (const auto &X : R.Racers) {
    if (!X.SameMap.value_or(false))
      continue;
    OS << "  racing with goroutine " << X.Goroutine << " ("
       << (X.Operation ? mapOpName(*X.Operation) : "") << ", " << X.Status
       << ")";
    if (!X.UserFrame.empty())
      OS << " at " << S.bold() << X.UserFrame.File << ":" << X.UserFrame.Line
         << S.off() << " in " << X.UserFrame.Function;
    OS << "\n";
  }
  if (R.Map) {
    const MapReport &M = *R.Map;
    OS << "  map  " << S.bold() << (M.Type.empty() ? "(type unknown)" : M.Type)
       << S.off() << " at "
       << (M.Address || !R.Log ? hex(M.Address) : std::string("an unknown address"))
       << S.dim() << "  ["
       << sure(M.Provenance) << "]" << S.off() << "\n";
    if (M.Growing)
      OS << "       " << (*M.Growing ? "growing" : "not growing") << "\n";
  }
  if (R.Key && R.Key->Provenance.Stale) {
    // Not the answer: say what the slot holds, and what it probably is.
    OS << "  key  not recovered" << S.dim() << "  (a stale spill slot holds "
       << shortValueText(R.Key->GoSyntax) << ": " << StaleNote << ")  ["
       << sure(R.Key->Provenance) << "]" << S.off() << "\n";
  } else if (R.Key) {
    OS << "  key  " << S.bold() << shortValueText(R.Key->GoSyntax) << S.off();
    if (R.Key->DynamicType)
      OS << " (" << *R.Key->DynamicType << ")";
    if (R.Key->InMap)
      OS << (*R.Key->InMap ? ", present in the map" : ", not in the map");
    OS << S.dim() << "  [" << sure(R.Key->Provenance) << "]" << S.off() << "\n";
  } else if (R.KeyMissing) {
    OS << "  key  not recovered" << S.dim() << "  ("
       << (R.KeyMissing->Type.empty() ? "" : R.KeyMissing->Type + ": ")
       << (R.KeyMissing->Data ? "its bytes are at " + hex(*R.KeyMissing->Data) +
                                    ", its length is in no copy found"
                              : std::string("no copy of it found in the core"))
       << "; why below)" << S.off() << "\n";
  }
  // Whatever was concluded above came from part of the process only.
  if (R.Core.Truncated)
    OS << "  " << S.red() << R.Core.Truncated->Message << S.off() << "\n";
  OS << "\n";

}

void writeFaultSection(llvm::raw_ostream &OS, const AnalysisReport &R,
                       const Style &S) {
  const FaultReport &F = R.Fault;
  OS << S.bold() << "fault" << S.off() << "\n";
  OS << "  kind       " << faultKindName(F.Kind) << "\n";
  if (!F.MessageSource.empty())
    OS << "  message    \"" << F.Message << "\" (from " << F.MessageSource << ")\n";
  OS << "  detected   " << at(F.Frame);
  if (F.Frame.PC || !R.Log)
    OS << " pc=" << hex(F.Frame.PC);
  OS << "\n";
  if (!F.EntryFunction.empty())
    OS << "  called     " << F.EntryFunction << "\n";
  if (F.Check)
    OS << "  check      " << checkWhichName(F.Check->Which) << " (fatal call " << F.Check->Index + 1
       << " of " << F.Check->Count << "): " << F.Check->Explanation << "\n";
  if (!F.AlsoFaulted.empty()) {
    OS << "  also threw";
    for (int64_t G : F.AlsoFaulted)
      OS << " goroutine " << G;
    OS << "\n";
  }
}

void writeMapSection(llvm::raw_ostream &OS, const AnalysisReport &R,
                     const Style &S, const TextOptions &O) {
  if (!R.Map)
    return;
  const MapReport &M = *R.Map;
  OS << S.bold() << "map" << S.off() << "\n";
  OS << "  address    " << hex(M.Address) << "  (" << sourceName(M.Provenance.Src)
     << ", " << confidenceName(M.Provenance.Conf) << ": " << M.Provenance.Detail
     << ")\n";
  if (!M.Provenance.Agreeing.empty()) {
    OS << "             agreeing:";
    for (Source A : M.Provenance.Agreeing)
      OS << " " << sourceName(A);
    OS << "\n";
  }
  for (const auto &C : M.Provenance.Conflicts)
    OS << "             conflict: " << C << "\n";
  if (!M.Type.empty())
    OS << "  type       " << M.Type << "  (" << sourceName(M.TypeProvenance.Src)
       << ", " << confidenceName(M.TypeProvenance.Conf) << ")\n";
  const bool Swiss = M.Impl == MapImpl::Swiss;
  OS << "  impl       " << (Swiss ? "swiss" : "hmap") << "\n";
  if (M.Count)
    OS << "  count      " << *M.Count << "\n";
  if (M.EntriesFound)
    OS << "  entries    " << *M.EntriesFound << " found walking the "
       << (Swiss ? "groups" : "buckets") << "\n";
  writeMapHeader(OS, M, R, O);
  if (M.Growing) {
    OS << "  growth     ";
    if (!*M.Growing) {
      OS << "none in progress\n";
    } else {
      OS << "in progress";
      if (M.Growth && M.Growth->Growing)
        OS << " (" << (M.Growth->SameSize ? "same-size" : "doubling")
           << "): " << M.Growth->EvacuatedMarked << " of "
           << M.Growth->OldBucketCount << " old buckets evacuated, nevacuate "
           << M.Growth->NEvacuate;
      OS << "\n";
    }
    for (const GrowthWorker &B : M.GrowthBy)
      OS << "             goroutine " << B.Goroutine << " is in " << B.Function
         << (B.Table ? " on table " + hex(*B.Table) : std::string()) << "\n";
  }
  for (const auto &Wn : M.Warnings)
    OS << "  warning    " << Wn << "\n";
}

// Why the key was not recovered: one line per source.
void writeKeyMissing(llvm::raw_ostream &OS, const KeyMissingReport &KM) {
  for (size_t I = 0; I < KM.Reasons.size(); ++I)
    OS << (I ? "             " : "  why        ") << KM.Reasons[I] << "\n";
}

void writeKeySection(llvm::raw_ostream &OS, const AnalysisReport &R,
                     const Style &S) {
  if (!R.Key && R.KeyMissing) {
    OS << S.bold() << "key" << S.off() << "\n";
    OS << "  value      not recovered  (" << R.KeyMissing->Type << ")\n";
    writeKeyMissing(OS, *R.KeyMissing);
    return;
  }
  if (!R.Key)
    return;
  OS << S.bold() << "key" << S.off() << "\n";
  OS << "  value      " << shortValueText(R.Key->GoSyntax) << "  ("
     << R.Key->Type << ")\n";
  if (R.Key->Provenance.Stale)
    OS << "  stale      " << StaleNote
       << ": the slot it was read from is not live at this pc\n";
  if (R.Key->Address)
    OS << "  address    " << hex(*R.Key->Address) << "\n";
  if (R.Key->InMap)
    OS << "  in map     " << (*R.Key->InMap ? "yes" : "no") << "\n";
  if (const auto &Loc = R.Key->Location) {
    const KeyLookup &L = Loc->Lookup;
    for (size_t I = 0; I < L.Matches.size(); ++I) {
      if (I >= Loc->MatchEntries.size() || !Loc->MatchEntries[I])
        continue;
      const MapEntry &E = *Loc->MatchEntries[I];
      OS << "  lives in   " << (Loc->Classic && E.InOld ? "old " : "")
         << "bucket/group " << E.Bucket << " slot " << unsigned(E.Slot)
         << " at " << hex(E.KeyAddr) << ", value " << toJSON(L.Matches[I].Elem)
         << "\n";
    }
    if (const auto &H = L.Home) {
      OS << "  home       hash " << hex(H->Hash);
      if (Loc->Classic)
        OS << ", bucket " << H->Bucket;
      else if (!H->Small)
        OS << ", table " << H->Table;
      OS << " (" << H->HashAlgorithm << ")\n";
    }
  }
  OS << "  found by   " << sourceName(R.Key->Provenance.Src) << ", "
     << confidenceName(R.Key->Provenance.Conf) << ": "
     << R.Key->Provenance.Detail << "\n";
  if (R.Key->Provenance.Stale && R.KeyMissing)
    writeKeyMissing(OS, *R.KeyMissing);
}

void writeRacersSection(llvm::raw_ostream &OS, const AnalysisReport &R,
                        const Style &S) {
  if (R.Racers.empty())
    return;
  OS << S.bold() << "goroutines in map operations" << S.off() << "\n";
  for (const auto &X : R.Racers) {
    OS << "  goroutine " << X.Goroutine << " [" << X.Status << "]";
    if (X.Thread)
      OS << " thread " << *X.Thread;
    OS << ": " << X.Function;
    if (X.SameMap)
      OS << (*X.SameMap ? "  SAME MAP" : "  other map");
    else
      OS << "  (map unknown)";
    if (X.AlsoFaulted)
      OS << "  also threw";
    if (X.Growing)
      OS << "  growing the map";
    OS << "\n";
    if (!X.UserFrame.empty())
      OS << "      from " << at(X.UserFrame) << "\n";
    if (X.Map && X.MapProvenance)
      OS << "      map " << hex(*X.Map) << " [" << sure(*X.MapProvenance) << "]\n";
    if (X.Key)
      OS << "      key " << shortValueText(X.Key->GoSyntax)
         << (X.Key->Provenance.Stale ? std::string(" (stale: ") + StaleNote + ")"
                                     : std::string())
         << " [" << sure(X.Key->Provenance) << "]\n";
  }
}

// Where the inputs came from, when it was not simply --exe.
void writeInputsSection(llvm::raw_ostream &OS, const AnalysisReport &R,
                        const Style &S) {
  if (R.Core.Coredump.empty() && R.Exe.FoundBy == "--exe" && !R.Log)
    return;
  OS << S.bold() << "inputs" << S.off() << "\n";
  if (R.Log) {
    OS << "  crash log   " << R.Log->Path << " (line " << R.Log->Line;
    if (!R.Log->Prefix.empty())
      OS << ", lines prefixed like \"" << R.Log->Prefix << "\"";
    if (R.Log->DockerJson)
      OS << ", Docker JSON records";
    OS << ", " << R.Log->Goroutines << " goroutines)\n";
  }
  if (!R.Core.Coredump.empty()) {
    std::string D = describe(R.Core.Coredump);
    std::replace(D.begin(), D.end(), '\n', ' ');
    OS << "  systemd-coredump  " << D << "\n";
  }
  if (R.Exe.Path.empty()) {
    OS << "  executable  none\n";
  } else {
    OS << "  executable  " << R.Exe.Path << " (found by " << R.Exe.FoundBy;
    if (!R.Exe.DebuginfodUrl.empty())
      OS << ", " << R.Exe.DebuginfodUrl;
    OS << ")\n";
  }
}
} // namespace

std::string shortValueText(llvm::StringRef S, size_t MaxBytes) {
  if (S.size() <= MaxBytes)
    return S.str();
  size_t Cut = MaxBytes;
  while (Cut > 0 && (static_cast<unsigned char>(S[Cut]) & 0xc0) == 0x80)
    --Cut; // not inside a UTF-8 sequence
  return (S.take_front(Cut) + "\u2026 (" + std::to_string(S.size()) +
          " bytes)")
      .str();
}

void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       const TextOptions &O) {
  const Style S{O.Colour};
  writeSummary(OS, R, S);
  // Details.
  writeFaultSection(OS, R, S);
  writeMapSection(OS, R, S, O);
  writeKeySection(OS, R, S);
  writeRacersSection(OS, R, S);
  if (R.FaultingStack) {
    OS << S.bold() << "faulting goroutine's stack" << S.off() << "\n";
    writeStackText(*R.FaultingStack, OS, "  ");
  }
  writeInputsSection(OS, R, S);
  for (const auto &Wn : R.Warnings)
    if (!R.Core.Truncated || Wn != R.Core.Truncated->Message) // shown above
      OS << "warning: " << Wn << "\n";
}

} // namespace ms
