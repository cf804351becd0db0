// The JSON writer (report/Json.h) for the analyze report and the decoded
// values, maps, lookups and iterators it carries.
#include "report/Json.h"

#include <cmath>

#include "report/Analysis.h"
#include "support/Error.h"

namespace ms {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

Array jsonTexts(llvm::ArrayRef<std::string> V) {
  Array A;
  for (const auto &S : V)
    A.push_back(jsonText(S));
  return A;
}

namespace {

Value hx(uint64_t V) { return hex(V); }


Value entryJSON(bool Classic, const MapEntry &E) {
  Object O{{"bucket", static_cast<int64_t>(E.Bucket)},
           {"slot", E.Slot},
           {"tag", hx(E.Tag)},
           {"bucket_address", hx(E.BucketAddr)},
           {"key_address", hx(E.KeyAddr)},
           {"elem_address", hx(E.ElemAddr)}};
  if (Classic) {
    O["old"] = E.InOld;
    O["overflow"] = static_cast<int64_t>(E.Overflow);
  } else {
    O["table"] = E.Table;
  }
  return O;
}

Object classicHeader(const ClassicHeader &H) {
  Object Hd{{"count", static_cast<int64_t>(H.Count)},
            {"flags", H.Flags},
            {"flags_names", jsonTexts(H.flagNames())},
            {"B", H.B},
            {"noverflow", H.NOverflow},
            {"hash0", static_cast<int64_t>(H.Hash0)},
            {"buckets", hx(H.Buckets)},
            {"oldbuckets", hx(H.OldBuckets)},
            {"nevacuate", static_cast<int64_t>(H.NEvacuate)},
            {"extra", hx(H.Extra)}};
  if (H.ClearSeq)
    Hd["clearSeq"] = static_cast<int64_t>(*H.ClearSeq);
  if (H.ExtraRead)
    Hd["mapextra"] = Object{{"overflow", hx(H.Overflow)},
                            {"oldoverflow", hx(H.OldOverflow)},
                            {"nextOverflow", hx(H.NextOverflow)}};
  return Hd;
}

Object classicGrowth(const ClassicGrowth &G) {
  Object Gr{{"growing", G.Growing}};
  if (G.Growing) {
    Gr["same_size"] = G.SameSize;
    Gr["old_bucket_count"] = static_cast<int64_t>(G.OldBucketCount);
    Gr["nevacuate"] = static_cast<int64_t>(G.NEvacuate);
    Gr["evacuated_marked"] = static_cast<int64_t>(G.EvacuatedMarked);
    Gr["old_buckets_read"] = static_cast<int64_t>(G.OldBucketsRead);
    Gr["partially_evacuated"] = static_cast<int64_t>(G.PartiallyEvacuated);
    Gr["progress"] = G.progress();
  }
  return Gr;
}

Object swissHeader(const SwissHeader &H) {
  Object Hd{{"used", static_cast<int64_t>(H.Used)},
            {"seed", hx(H.Seed)},
            {"dirPtr", hx(H.DirPtr)},
            {"dirLen", H.DirLen},
            {"globalDepth", H.GlobalDepth},
            {"globalShift", H.GlobalShift},
            {"writing", H.Writing},
            {"clearSeq", static_cast<int64_t>(H.ClearSeq)},
            {"small", H.small()}};
  if (H.TombstonePossible)
    Hd["tombstonePossible"] = *H.TombstonePossible;
  return Hd;
}

Array swissTables(const std::vector<SwissTable> &Tables) {
  Array Ts;
  Ts.reserve(Tables.size()); // json::Value copies on regrowth (no noexcept move)
  for (const auto &T : Tables) {
    Array Dir;
    for (uint64_t I : T.DirIndexes)
      Dir.push_back(static_cast<int64_t>(I));
    Ts.push_back(Object{{"address", hx(T.Addr)},
                        {"used", T.Used},
                        {"capacity", T.Capacity},
                        {"growthLeft", T.GrowthLeft},
                        {"localDepth", T.LocalDepth},
                        {"index", T.Index},
                        {"groups", hx(T.GroupsData)},
                        {"lengthMask", static_cast<int64_t>(T.LengthMask)},
                        {"directory_indexes", std::move(Dir)},
                        {"full", static_cast<int64_t>(T.Full)},
                        {"deleted", static_cast<int64_t>(T.Deleted)},
                        {"empty", static_cast<int64_t>(T.Empty)},
                        {"invalid", static_cast<int64_t>(T.Invalid)},
                        {"partial", T.Partial}});
  }
  return Ts;
}

Object walk(const MapWalkReport &W) {
  return Object{{"buckets", static_cast<int64_t>(W.Buckets)},
                {"overflow_buckets", static_cast<int64_t>(W.OverflowBuckets)},
                {"groups", static_cast<int64_t>(W.Groups)},
                {"bytes", static_cast<int64_t>(W.Bytes)}};
}

Value goValue(const GoValue &V) {
  using VK = GoValue::VKind;
  switch (V.VK) {
  case VK::Error:
    return Object{{"error", jsonText(V.ErrorText)},
                        {"address", hex(V.ErrorAddr)}};
  case VK::TooDeep:
    return "...";
  case VK::Bool:
    return V.B;
  case VK::Int:
    return V.I;
  case VK::Uint:
    // As a signed integer where it fits: readers' getInteger() finds it.
    if (V.U <= static_cast<uint64_t>(INT64_MAX))
      return static_cast<int64_t>(V.U);
    return V.U;
  case VK::Float:
    if (std::isnan(V.F) || std::isinf(V.F))
      return formatGoFloat(V.F);
    return V.F;
  case VK::Complex: {
    auto Num = [](double D) -> Value {
      if (std::isnan(D) || std::isinf(D))
        return formatGoFloat(D);
      return D;
    };
    return Object{{"real", Num(V.F)}, {"imag", Num(V.Imag)}};
  }
  case VK::String:
    return jsonText(V.Str);
  case VK::Pointer:
  case VK::Chan:
  case VK::Func:
  case VK::Map:
    if (!V.Ptr)
      return nullptr;
    return hex(V.Ptr);
  case VK::Slice:
  case VK::Array: {
    if (V.VK == VK::Slice && V.Ptr == 0)
      return nullptr;
    Array A;
    for (const GoValue &E : V.Elems)
      A.push_back(goValue(E));
    return A;
  }
  case VK::Struct: {
    Object O;
    for (const auto &F : V.Fields)
      O[jsonText(F.Name)] = goValue(*F.Value);
    return O;
  }
  case VK::Interface:
    if (!V.Dynamic)
      return nullptr;
    return goValue(*V.Dynamic);
  }
  return nullptr;
}


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
Value operation(const std::optional<MapOp> &Op) {
  return Op ? mapOpName(*Op).str() : std::string();
}

// The map's "hmap" / "swiss" object: the header's fields, the Swiss
// tables, and what the walk read; null for a nil or unread map.
Value mapHeader(const MapReport &M) {
  Object O;
  if (M.Hmap)
    O = classicHeader(*M.Hmap);
  else if (M.Swiss) {
    O = swissHeader(*M.Swiss);
    O["tables"] = swissTables(M.Tables);
  } else
    return nullptr;
  if (M.Walk)
    O["walk"] = walk(*M.Walk);
  return O;
}

// {"growing", ... (classic: the oldbuckets state), "in_progress_by": [...]}
// or null when nothing is known.
Value mapGrowth(const MapReport &M) {
  if (!M.Growth && M.GrowthBy.empty())
    return nullptr;
  Object G = M.Growth ? classicGrowth(*M.Growth) : Object{};
  if (!M.GrowthBy.empty()) {
    Array By;
    for (const auto &X : M.GrowthBy) {
      Object B{{"goroutine", X.Goroutine}, {"function", text(X.Function)}};
      if (X.Table)
        B["table"] = hex(*X.Table);
      By.push_back(std::move(B));
    }
    G.insert({"in_progress_by", std::move(By)});
    if (M.Impl == MapImpl::Swiss)
      G.insert({"growing", true});
  }
  return G;
}

Value toJSON(const MapReport &M) {
  Object O{{"address", hex(M.Address)},
           {"type", textOrNull(M.Type)},
           {"key_type", textOrNull(M.KeyType)},
           {"elem_type", textOrNull(M.ElemType)},
           {"impl", M.Impl == MapImpl::Swiss ? "swiss" : "hmap"},
           {"count", opt(M.Count)},
           {"growing", opt(M.Growing)},
           {"growth", mapGrowth(M)},
           {"entries_found", opt(M.EntriesFound)},
           {"provenance", toJSON(M.Provenance)},
           {"type_provenance", M.Type.empty() ? Value(nullptr) : toJSON(M.TypeProvenance)},
           {"warnings", jsonTexts(M.Warnings)}};
  O[M.Impl == MapImpl::Swiss ? "swiss" : "hmap"] = mapHeader(M);
  return O;
}

Value toJSON(const IteratorReport &I) {
  Object O;
  if (I.State) {
    Value S = toJSON(*I.State);
    O = std::move(*S.getAsObject());
  } else {
    O["address"] = hex(I.Address);
  }
  if (I.Provenance)
    O.insert({"provenance", toJSON(*I.Provenance)});
  return O;
}

Value toJSON(const FaultReport &F) {
  Value Check = nullptr;
  if (F.Check)
    Check = Object{{"which", checkWhichName(F.Check->Which)},
                   {"explanation", text(F.Check->Explanation)},
                   {"call_site", F.Check->Index + 1},
                   {"call_sites", F.Check->Count}};
  Array Also;
  for (int64_t G : F.AlsoFaulted)
    Also.push_back(G);
  return Object{{"kind", faultKindName(F.Kind)},
                {"message", text(F.Message)},
                {"message_source", text(F.MessageSource)},
                {"goroutine", opt(F.Goroutine)},
                {"thread", opt(F.Thread)},
                {"frame", frameRef(F.Frame)},
                {"entry_function", text(F.EntryFunction)},
                {"operation", operation(F.Operation)},
                {"check", std::move(Check)},
                {"user_frame", frameRef(F.UserFrame, false)},
                {"also_faulted", std::move(Also)}};
}

Value toJSON(const RacerReport &R) {
  Object O{{"goroutine", R.Goroutine},
           {"status", text(R.Status)},
           {"thread", opt(R.Thread)},
           {"function", text(R.Function)},
           {"entry_function", text(R.EntryFunction)},
           {"operation", operation(R.Operation)},
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

Value toJSON(const GoValue &V) { return goValue(V); }

Value toJSON(const MapState &S) {
  Object O{{"address", hx(S.Addr)},
           {"type", S.Type ? jsonText(typeName(*S.Type)) : std::string()},
           {"impl", mapImplName(S.Impl)},
           {"layout", jsonText(S.LayoutSource)},
           {"nil", S.Nil}};
  if (S.Nil)
    return O;
  if (S.Classic)
    O["header"] = classicHeader(*S.Classic);
  if (S.Growth)
    O["growth"] = classicGrowth(*S.Growth);
  if (S.Swiss) {
    O["header"] = swissHeader(*S.Swiss);
    O["tables"] = swissTables(S.Tables);
  }
  O["header_count"] = static_cast<int64_t>(S.headerCount());
  O["entries_found"] = static_cast<int64_t>(S.EntriesFound);
  O["partial"] = S.Partial;
  O["walk"] = walk(walkOf(S));
  O["warnings"] = jsonTexts(S.Warn.all());
  return O;
}

Value toJSON(const KeyLocationReport &Loc) {
  const KeyLookup &L = Loc.Lookup;
  Object O{{"result", verdictName(L.Result)},
           {"compared", static_cast<int64_t>(L.Compared)},
           {"undecided", static_cast<int64_t>(L.Undecided)}};
  Array Ms;
  for (const auto &M : L.Matches) {
    size_t I = &M - L.Matches.data();
    Value E = I < Loc.MatchEntries.size() && Loc.MatchEntries[I]
                  ? entryJSON(Loc.Classic, *Loc.MatchEntries[I])
                  : Value(nullptr);
    if (auto *EO = E.getAsObject()) {
      EO->insert({"key", toJSON(M.Key)});
      EO->insert({"elem", toJSON(M.Elem)});
      if (M.AtHome)
        EO->insert({"at_home", *M.AtHome});
      if (!M.HomeDetail.empty())
        EO->insert({"home_detail", M.HomeDetail});
    }
    Ms.push_back(std::move(E));
  }
  O["matches"] = std::move(Ms);
  if (L.Home) {
    const KeyHome &H = *L.Home;
    Object Hm{{"hash", hx(H.Hash)},
              {"tag", hx(H.Tag)},
              {"hasher", H.Hasher},
              {"hash_algorithm", H.HashAlgorithm},
              {"keys_from", H.KeysSource}};
    if (Loc.Classic) {
      Hm["bucket"] = static_cast<int64_t>(H.Bucket);
      Hm["bucket_address"] = hx(H.BucketAddr);
      if (H.Growing) {
        Hm["old_bucket"] = static_cast<int64_t>(H.OldBucket);
        Hm["old_bucket_address"] = hx(H.OldBucketAddr);
        Hm["in_old"] = H.InOld;
      }
    } else if (H.Small) {
      Hm["small"] = true;
    } else {
      Array P;
      for (uint64_t G : H.Probe)
        P.push_back(static_cast<int64_t>(G));
      Hm["directory_index"] = static_cast<int64_t>(H.DirIndex);
      Hm["table"] = H.Table;
      Hm["table_address"] = hx(H.TableAddr);
      Hm["probe_groups"] = std::move(P);
      Hm["probe_complete"] = H.ProbeComplete;
    }
    O["home"] = std::move(Hm);
  } else {
    O["home_error"] = L.HomeError;
  }
  O["warnings"] = jsonTexts(L.Warn.all());
  return O;
}

Value toJSON(const MapIterState &It) {
  Object O{{"address", hx(It.Addr)},
           {"map", hx(It.MapPtr)},
           {"type", hx(It.TypePtr)},
           {"same_map", It.SameMap},
           {"consistent", It.Consistent},
           {"inconsistencies", jsonTexts(It.Inconsistencies)},
           {"position", It.Position},
           {"key_address", hx(It.Key)},
           {"elem_address", hx(It.Elem)}};
  if (It.Entry)
    O["entry"] = static_cast<int64_t>(*It.Entry);
  if (It.KeyValue)
    O["key"] = toJSON(*It.KeyValue);
  if (It.ElemValue)
    O["elem"] = toJSON(*It.ElemValue);
  if (It.Classic) {
    const auto &C = *It.Classic;
    O["fields"] = Object{{"buckets", hx(C.Buckets)},
                         {"bptr", hx(C.BPtr)},
                         {"startBucket", static_cast<int64_t>(C.StartBucket)},
                         {"offset", C.Offset},
                         {"wrapped", C.Wrapped},
                         {"B", C.B},
                         {"i", C.I},
                         {"bucket", static_cast<int64_t>(C.Bucket)},
                         {"checkBucket", hx(C.CheckBucket)}};
    O["in_old_buckets"] = It.InOldBuckets;
    O["stale_buckets"] = It.StaleBuckets;
  }
  if (It.Swiss) {
    const auto &W = *It.Swiss;
    O["fields"] = Object{{"entryOffset", hx(W.EntryOffset)},
                         {"dirOffset", hx(W.DirOffset)},
                         {"clearSeq", static_cast<int64_t>(W.ClearSeq)},
                         {"globalDepth", W.GlobalDepth},
                         {"dirIdx", W.DirIdx},
                         {"tab", hx(W.Tab)},
                         {"group", hx(W.Group)},
                         {"entryIdx", static_cast<int64_t>(W.EntryIdx)}};
    O["stale_table"] = It.StaleTable;
  }
  O["warnings"] = jsonTexts(It.Warn.all());
  return O;
}

Value toJSON(const ProvenanceReport &P) {
  Object O{{"source", sourceName(P.Src)},
           {"confidence", confidenceName(P.Conf)},
           {"detail", text(P.Detail)}};
  if (!P.Agreeing.empty()) {
    Array A;
    for (Source S : P.Agreeing)
      A.push_back(sourceName(S));
    O["agreeing"] = std::move(A);
  }
  if (!P.Conflicts.empty())
    O["conflicts"] = jsonTexts(P.Conflicts);
  if (!P.Rejected.empty())
    O["rejected"] = jsonTexts(P.Rejected);
  if (P.Stale)
    O["stale"] = true;
  return O;
}

Value toJSON(const KeyMissingReport &K) {
  return Object{{"type", text(K.Type)},
                {"reasons", jsonTexts(K.Reasons)},
                {"data", optHex(K.Data)}};
}

Value toJSON(const KeyReport &K) {
  return Object{{"type", text(K.Type)},
                {"value", K.Value ? toJSON(*K.Value) : Value(nullptr)},
                {"go", text(K.GoSyntax)},
                {"dynamic_type", optText(K.DynamicType)},
                {"address", optHex(K.Address)},
                {"in_map", opt(K.InMap)},
                {"location", K.Location ? toJSON(*K.Location) : Value(nullptr)},
                {"provenance", toJSON(K.Provenance)}};
}

Value toJSON(const AnalysisReport &R) {
  Array Racers;
  for (const auto &X : R.Racers)
    Racers.push_back(toJSON(X));
  Object O{{"schema", "mapsleuth.report/1"},
           {"core", R.Log ? Value(nullptr) : toJSON(R.Core)},
           {"executable", toJSON(R.Exe)},
           {"map_fault", R.MapFault},
           {"fault", toJSON(R.Fault)},
           {"map", R.Map ? toJSON(*R.Map) : Value(nullptr)},
           {"key", R.Key ? toJSON(*R.Key) : Value(nullptr)},
           {"key_missing", R.KeyMissing ? toJSON(*R.KeyMissing) : Value(nullptr)},
           {"iterator", R.Iterator ? toJSON(*R.Iterator) : Value(nullptr)},
           {"racers", std::move(Racers)},
           {"layouts", text(R.Layouts)},
           {"warnings", jsonTexts(R.Warnings)}};
  if (R.FaultingStack)
    O["faulting_stack"] = toJSON(*R.FaultingStack);
  if (R.Log)
    O["log"] = Object{{"path", text(R.Log->Path)},
                      {"line", static_cast<int64_t>(R.Log->Line)},
                      {"prefix", text(R.Log->Prefix)},
                      {"docker_json", R.Log->DockerJson},
                      {"goroutines", static_cast<int64_t>(R.Log->Goroutines)},
                      {"ignored_lines", static_cast<int64_t>(R.Log->IgnoredLines)}};
  return O;
}

} // namespace ms
