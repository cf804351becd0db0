#include "report/Analysis.h"

#include <algorithm>

#include "support/Error.h"

namespace ms {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {
template <typename T> Value opt(const std::optional<T> &V) {
  return V ? Value(*V) : Value(nullptr);
}
Value optHex(const std::optional<uint64_t> &V) {
  return V ? Value(hex(*V)) : Value(nullptr);
}
// Text that may quote the inputs (function, file and type names, paths)
// goes through jsonText: JSON must not carry invalid UTF-8 from a damaged
// core or executable.
Value text(const std::string &S) { return jsonText(S); }
Value optText(const std::optional<std::string> &S) {
  return S ? text(*S) : Value(nullptr);
}
Value textOrNull(const std::string &S) {
  return S.empty() ? Value(nullptr) : text(S);
}
Value frameRef(const FrameRef &F, bool WithPC = true) {
  if (F.empty())
    return nullptr;
  Object O{{"function", text(F.Function)}, {"file", text(F.File)}, {"line", F.Line}};
  if (WithPC)
    O["pc"] = hex(F.PC);
  return O;
}
} // namespace

Value toJSON(const ProvenanceReport &P) {
  Object O{{"source", P.Source}, {"confidence", P.Confidence}, {"detail", text(P.Detail)}};
  if (!P.Agreeing.empty())
    O["agreeing"] = jsonTexts(P.Agreeing);
  if (!P.Conflicts.empty())
    O["conflicts"] = jsonTexts(P.Conflicts);
  if (!P.Rejected.empty())
    O["rejected"] = jsonTexts(P.Rejected);
  return O;
}

Value toJSON(const KeyReport &K) {
  return Object{{"type", text(K.Type)},
                {"value", K.Value},
                {"go", text(K.GoSyntax)},
                {"dynamic_type", optText(K.DynamicType)},
                {"address", optHex(K.Address)},
                {"in_map", opt(K.InMap)},
                {"location", K.Location},
                {"provenance", toJSON(K.Provenance)}};
}

namespace {
Value toJSON(const MapReport &M) {
  Object O{{"address", hex(M.Address)},
           {"type", textOrNull(M.Type)},
           {"key_type", textOrNull(M.KeyType)},
           {"elem_type", textOrNull(M.ElemType)},
           {"impl", M.Impl},
           {"count", opt(M.Count)},
           {"growing", opt(M.Growing)},
           {"growth", M.Growth},
           {"entries_found", opt(M.EntriesFound)},
           {"provenance", toJSON(M.Provenance)},
           {"type_provenance", M.Type.empty() ? Value(nullptr) : toJSON(M.TypeProvenance)},
           {"warnings", jsonTexts(M.Warnings)}};
  O[M.Impl == "swiss" ? "swiss" : "hmap"] = M.Header;
  return O;
}

Value toJSON(const FaultReport &F) {
  Value Check = nullptr;
  if (F.Check)
    Check = Object{{"which", F.Check->Which},
                   {"explanation", text(F.Check->Explanation)},
                   {"call_site", F.Check->Index + 1},
                   {"call_sites", F.Check->Count}};
  Array Also;
  for (int64_t G : F.AlsoFaulted)
    Also.push_back(G);
  return Object{{"kind", F.Kind},
                {"message", text(F.Message)},
                {"message_source", text(F.MessageSource)},
                {"goroutine", opt(F.Goroutine)},
                {"thread", opt(F.Thread)},
                {"frame", frameRef(F.Frame)},
                {"entry_function", text(F.EntryFunction)},
                {"operation", F.Operation},
                {"check", std::move(Check)},
                {"user_frame", frameRef(F.UserFrame, false)},
                {"also_faulted", std::move(Also)}};
}

Value toJSON(const RacerReport &R) {
  Object O{{"goroutine", R.Goroutine},
           {"status", R.Status},
           {"thread", opt(R.Thread)},
           {"function", text(R.Function)},
           {"entry_function", text(R.EntryFunction)},
           {"operation", R.Operation},
           {"same_map", opt(R.SameMap)},
           {"map", optHex(R.Map)},
           {"map_provenance", R.MapProvenance ? toJSON(*R.MapProvenance) : Value(nullptr)},
           {"key", R.Key ? toJSON(*R.Key) : Value(nullptr)},
           {"user_frame", frameRef(R.UserFrame, false)},
           {"also_faulted", R.AlsoFaulted},
           {"growing", R.Growing}};
  if (!R.GrowthFunction.empty())
    O["growth_function"] = text(R.GrowthFunction);
  if (R.GrowthTable)
    O["growth_table"] = hex(*R.GrowthTable);
  if (R.Stack)
    O["stack"] = toJSON(*R.Stack);
  return O;
}
} // namespace

Value toJSON(const AnalysisReport &R) {
  Array Racers;
  for (const auto &X : R.Racers)
    Racers.push_back(toJSON(X));
  Object O{{"schema", "mapsleuth.report/1"},
           {"core", toJSON(R.Core)},
           {"executable", toJSON(R.Exe)},
           {"map_fault", R.MapFault},
           {"fault", toJSON(R.Fault)},
           {"map", R.Map ? toJSON(*R.Map) : Value(nullptr)},
           {"key", R.Key ? toJSON(*R.Key) : Value(nullptr)},
           {"iterator", R.Iterator},
           {"racers", std::move(Racers)},
           {"layouts", text(R.Layouts)},
           {"warnings", jsonTexts(R.Warnings)}};
  if (R.FaultingStack)
    O["faulting_stack"] = toJSON(*R.FaultingStack);
  return O;
}

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
  return F.Function + " (" + F.File + ":" + std::to_string(F.Line) + ")";
}

std::string sure(const ProvenanceReport &P) {
  return P.Confidence + ", from " + P.Source;
}
} // namespace

void writeAnalysisText(const AnalysisReport &R, llvm::raw_ostream &OS,
                       bool Colour) {
  Style S{Colour};
  const FaultReport &F = R.Fault;
  // What happened, where in the user's code, on which map, with which key.
  OS << S.red()
     << (R.MapFault        ? "fatal map fault: "
         : R.Core.Truncated ? "no map fault found in what the truncated core "
                              "holds: "
                            : "not a map fault: ")
     << (F.Message.empty() ? F.Kind : F.Message) << S.off() << "\n";
  if (F.Goroutine)
    OS << "  goroutine " << *F.Goroutine;
  if (F.Thread)
    OS << " on thread " << *F.Thread;
  if (!F.Operation.empty())
    OS << ", during a map " << F.Operation;
  OS << "\n";
  if (!F.UserFrame.empty())
    OS << "  at " << S.bold() << F.UserFrame.File << ":" << F.UserFrame.Line
       << S.off() << " in " << F.UserFrame.Function << "\n";
  for (const auto &X : R.Racers) {
    if (!X.SameMap.value_or(false))
      continue;
    OS << "  racing with goroutine " << X.Goroutine << " (" << X.Operation
       << ", " << X.Status << ")";
    if (!X.UserFrame.empty())
      OS << " at " << S.bold() << X.UserFrame.File << ":" << X.UserFrame.Line
         << S.off() << " in " << X.UserFrame.Function;
    OS << "\n";
  }
  if (R.Map) {
    const MapReport &M = *R.Map;
    OS << "  map  " << S.bold() << (M.Type.empty() ? "(type unknown)" : M.Type)
       << S.off() << " at " << hex(M.Address) << S.dim() << "  ["
       << sure(M.Provenance) << "]" << S.off() << "\n";
    if (M.Growing)
      OS << "       " << (*M.Growing ? "growing" : "not growing") << "\n";
  }
  if (R.Key) {
    OS << "  key  " << S.bold() << R.Key->GoSyntax << S.off();
    if (R.Key->DynamicType)
      OS << " (" << *R.Key->DynamicType << ")";
    if (R.Key->InMap)
      OS << (*R.Key->InMap ? ", present in the map" : ", not in the map");
    OS << S.dim() << "  [" << sure(R.Key->Provenance) << "]" << S.off() << "\n";
  }
  // Whatever was concluded above came from part of the process only.
  if (R.Core.Truncated)
    OS << "  " << S.red() << R.Core.Truncated->Message << S.off() << "\n";
  OS << "\n";

  // Details.
  OS << S.bold() << "fault" << S.off() << "\n";
  OS << "  kind       " << F.Kind << "\n";
  if (!F.MessageSource.empty())
    OS << "  message    \"" << F.Message << "\" (from " << F.MessageSource << ")\n";
  OS << "  detected   " << at(F.Frame) << " pc=" << hex(F.Frame.PC) << "\n";
  if (!F.EntryFunction.empty())
    OS << "  called     " << F.EntryFunction << "\n";
  if (F.Check)
    OS << "  check      " << F.Check->Which << " (fatal call " << F.Check->Index + 1
       << " of " << F.Check->Count << "): " << F.Check->Explanation << "\n";
  if (!F.AlsoFaulted.empty()) {
    OS << "  also threw";
    for (int64_t G : F.AlsoFaulted)
      OS << " goroutine " << G;
    OS << "\n";
  }
  if (R.Map) {
    const MapReport &M = *R.Map;
    OS << S.bold() << "map" << S.off() << "\n";
    OS << "  address    " << hex(M.Address) << "  (" << M.Provenance.Source << ", "
       << M.Provenance.Confidence << ": " << M.Provenance.Detail << ")\n";
    if (!M.Provenance.Agreeing.empty()) {
      OS << "             agreeing:";
      for (const auto &A : M.Provenance.Agreeing)
        OS << " " << A;
      OS << "\n";
    }
    for (const auto &C : M.Provenance.Conflicts)
      OS << "             conflict: " << C << "\n";
    if (!M.Type.empty())
      OS << "  type       " << M.Type << "  (" << M.TypeProvenance.Source << ", "
         << M.TypeProvenance.Confidence << ")\n";
    OS << "  impl       " << M.Impl << "\n";
    if (M.Count)
      OS << "  count      " << *M.Count << "\n";
    if (M.EntriesFound)
      OS << "  entries    " << *M.EntriesFound << " found walking the "
         << (M.Impl == "swiss" ? "groups" : "buckets") << "\n";
    if (auto *H = M.Header.getAsObject()) {
      // The header's own fields, in the runtime's order.
      static const char *const Classic[] = {"count", "flags", "B", "noverflow",
                                            "hash0", "buckets", "oldbuckets",
                                            "nevacuate", "extra", "clearSeq"};
      static const char *const Swiss[] = {"used", "seed", "dirPtr", "dirLen",
                                          "globalDepth", "globalShift",
                                          "writing", "tombstonePossible",
                                          "clearSeq"};
      OS << "  header    ";
      auto Show = [&](const char *K) {
        if (const Value *V = H->get(K)) {
          std::string T;
          llvm::raw_string_ostream VS(T);
          if (auto Str = V->getAsString())
            VS << *Str;
          else
            VS << *V;
          OS << " " << K << "=" << VS.str();
        }
      };
      if (M.Impl == "swiss")
        for (const char *K : Swiss)
          Show(K);
      else
        for (const char *K : Classic)
          Show(K);
      if (const Array *F = H->getArray("flags_names"); F && !F->empty()) {
        OS << " (";
        bool First = true;
        for (const auto &N : *F)
          if (auto Str = N.getAsString()) {
            OS << (First ? "" : "|") << *Str;
            First = false;
          }
        OS << ")";
      }
      OS << "\n";
      if (const Array *Ts = H->getArray("tables"))
        for (const auto &T : *Ts)
          if (const Object *TO = T.getAsObject())
            OS << "  table      " << TO->getString("address").getValueOr("?")
               << ": used " << TO->getInteger("used").getValueOr(0) << " of "
               << TO->getInteger("capacity").getValueOr(0) << ", growthLeft "
               << TO->getInteger("growthLeft").getValueOr(0) << ", localDepth "
               << TO->getInteger("localDepth").getValueOr(0) << "\n";
    }
    if (M.Growing) {
      OS << "  growth     ";
      const Object *Gr = M.Growth.getAsObject();
      if (!*M.Growing) {
        OS << "none in progress\n";
      } else {
        OS << "in progress";
        if (Gr && Gr->getInteger("old_bucket_count")) {
          OS << " (" << (Gr->getBoolean("same_size").getValueOr(false)
                             ? "same-size"
                             : "doubling")
             << "): " << Gr->getInteger("evacuated_marked").getValueOr(0) << " of "
             << *Gr->getInteger("old_bucket_count")
             << " old buckets evacuated, nevacuate "
             << Gr->getInteger("nevacuate").getValueOr(0);
        }
        OS << "\n";
      }
      if (Gr)
        if (const Array *By = Gr->getArray("in_progress_by"))
          for (const auto &B : *By)
            if (const Object *BO = B.getAsObject())
              OS << "             goroutine " << BO->getInteger("goroutine").getValueOr(0)
                 << " is in " << BO->getString("function").getValueOr("?")
                 << (BO->getString("table") ? " on table " + BO->getString("table")->str()
                                            : std::string())
                 << "\n";
    }
    for (const auto &Wn : M.Warnings)
      OS << "  warning    " << Wn << "\n";
  }
  if (R.Key) {
    OS << S.bold() << "key" << S.off() << "\n";
    OS << "  value      " << R.Key->GoSyntax << "  (" << R.Key->Type << ")\n";
    if (R.Key->Address)
      OS << "  address    " << hex(*R.Key->Address) << "\n";
    if (R.Key->InMap)
      OS << "  in map     " << (*R.Key->InMap ? "yes" : "no") << "\n";
    if (const Object *L = R.Key->Location.getAsObject()) {
      if (const Array *Ms = L->getArray("matches"))
        for (const auto &Mt : *Ms)
          if (const Object *MO = Mt.getAsObject()) {
            OS << "  lives in   " << (MO->getBoolean("old").getValueOr(false) ? "old " : "")
               << "bucket/group " << MO->getInteger("bucket").getValueOr(0)
               << " slot " << MO->getInteger("slot").getValueOr(0) << " at "
               << MO->getString("key_address").getValueOr("?");
            if (const Value *E = MO->get("elem")) {
              std::string T;
              llvm::raw_string_ostream VS(T);
              VS << *E;
              OS << ", value " << VS.str();
            }
            OS << "\n";
          }
      if (const Object *H = L->getObject("home")) {
        OS << "  home       hash " << H->getString("hash").getValueOr("?");
        if (auto B = H->getInteger("bucket"))
          OS << ", bucket " << *B;
        if (auto T = H->getInteger("table"))
          OS << ", table " << *T;
        if (auto A = H->getString("hash_algorithm"))
          OS << " (" << *A << ")";
        OS << "\n";
      }
    }
    OS << "  found by   " << R.Key->Provenance.Source << ", "
       << R.Key->Provenance.Confidence << ": " << R.Key->Provenance.Detail << "\n";
  }
  if (!R.Racers.empty()) {
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
        OS << "      key " << X.Key->GoSyntax << " [" << sure(X.Key->Provenance)
           << "]\n";
    }
  }
  if (R.FaultingStack) {
    OS << S.bold() << "faulting goroutine's stack" << S.off() << "\n";
    writeStackText(*R.FaultingStack, OS, "  ");
  }
  // Where the inputs came from, when it was not simply --exe.
  if (!R.Core.Coredump.empty() || R.Exe.FoundBy != "--exe") {
    OS << S.bold() << "inputs" << S.off() << "\n";
    if (!R.Core.Coredump.empty()) {
      std::string D = describe(R.Core.Coredump);
      std::replace(D.begin(), D.end(), '\n', ' ');
      OS << "  systemd-coredump  " << D << "\n";
    }
    OS << "  executable  " << R.Exe.Path << " (found by " << R.Exe.FoundBy;
    if (!R.Exe.DebuginfodUrl.empty())
      OS << ", " << R.Exe.DebuginfodUrl;
    OS << ")\n";
  }
  for (const auto &Wn : R.Warnings)
    if (!R.Core.Truncated || Wn != R.Core.Truncated->Message) // shown above
      OS << "warning: " << Wn << "\n";
}

} // namespace ms
