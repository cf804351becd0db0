#include "mapfault/MapJSON.h"

namespace ms {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

Value hx(uint64_t V) { return hex(V); }


Value entryJSON(const MapState &S, const MapEntry &E) {
  Object O{{"bucket", static_cast<int64_t>(E.Bucket)},
           {"slot", E.Slot},
           {"tag", hx(E.Tag)},
           {"bucket_address", hx(E.BucketAddr)},
           {"key_address", hx(E.KeyAddr)},
           {"elem_address", hx(E.ElemAddr)}};
  if (S.Classic) {
    O["old"] = E.InOld;
    O["overflow"] = static_cast<int64_t>(E.Overflow);
  } else {
    O["table"] = E.Table;
  }
  return O;
}

} // namespace

Value toJSON(const MapState &S) {
  Object O{{"address", hx(S.Addr)},
           {"type", S.Type ? jsonText(typeName(*S.Type)) : std::string()},
           {"impl", mapImplName(S.Impl)},
           {"layout", jsonText(S.LayoutSource)},
           {"nil", S.Nil}};
  if (S.Nil)
    return O;
  if (S.Classic) {
    const ClassicHeader &H = *S.Classic;
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
    O["header"] = std::move(Hd);
  }
  if (S.Growth) {
    const ClassicGrowth &G = *S.Growth;
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
    O["growth"] = std::move(Gr);
  }
  if (S.Swiss) {
    const SwissHeader &H = *S.Swiss;
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
    O["header"] = std::move(Hd);
    Array Ts;
    for (const auto &T : S.Tables) {
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
    O["tables"] = std::move(Ts);
  }
  O["header_count"] = static_cast<int64_t>(S.headerCount());
  O["entries_found"] = static_cast<int64_t>(S.EntriesFound);
  O["partial"] = S.Partial;
  O["walk"] = Object{{"buckets", static_cast<int64_t>(S.BucketsVisited)},
                     {"overflow_buckets", static_cast<int64_t>(S.OverflowVisited)},
                     {"groups", static_cast<int64_t>(S.GroupsVisited)},
                     {"bytes", static_cast<int64_t>(S.BytesRead)}};
  O["warnings"] = jsonTexts(S.Warn.all());
  return O;
}

Value toJSON(const MapState &S, const KeyLookup &L) {
  Object O{{"result", verdictName(L.Result)},
           {"compared", static_cast<int64_t>(L.Compared)},
           {"undecided", static_cast<int64_t>(L.Undecided)}};
  Array Ms;
  for (const auto &M : L.Matches) {
    Value E = M.Entry < S.Entries.size() ? entryJSON(S, S.Entries[M.Entry])
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
    if (S.Classic) {
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

} // namespace ms
