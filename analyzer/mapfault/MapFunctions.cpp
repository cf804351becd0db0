#include "mapfault/MapFunctions.h"

#include <llvm/ADT/StringSwitch.h>

namespace ms {

llvm::StringRef mapOpName(MapOp Op) {
  switch (Op) {
  case MapOp::Access: return "read";
  case MapOp::Assign: return "write";
  case MapOp::Delete: return "delete";
  case MapOp::IterInit: return "iteration start";
  case MapOp::IterNext: return "iteration";
  case MapOp::Clear: return "clear";
  case MapOp::Clone: return "clone";
  case MapOp::Grow: return "growth";
  case MapOp::Internal: return "map operation";
  }
  return "?";
}

bool isThrowFunction(llvm::StringRef N) {
  return N == "runtime.fatal" || N == "runtime.throw" ||
         N == "runtime.fatalthrow" || N == "runtime.gopanic" || N == "panic" ||
         N == "runtime.fatalpanic" || N == "internal/runtime/maps.fatal" ||
         N == "runtime.panicmem" || N == "runtime.sigpanic";
}

bool isMapGrowthFunction(llvm::StringRef N) {
  if (N.startswith("runtime.")) {
    llvm::StringRef S = N.drop_front(8);
    return S == "hashGrow" || S.startswith("growWork") ||
           S.startswith("evacuate") || S == "makeBucketArray" ||
           S == "advanceEvacuationMark";
  }
  if (N.consume_front("internal/runtime/maps.")) {
    return N.contains("rehash") || N.contains("grow") || N.contains("Grow") ||
           N.contains("split") || N.contains("uncheckedPutSlot") ||
           N.contains("resize");
  }
  return false;
}

bool isMapFunction(llvm::StringRef N) {
  if (N.consume_front("internal/runtime/maps.")) {
    // Helpers the map code calls that are not map code themselves.
    return !(N == "fatal" || N == "rand" || N == "bootstrapRand" ||
             N == "typedmemmove" || N == "typedmemclr" || N == "newarray" ||
             N == "newobject" || N == "typeString" || N.startswith("memHash") ||
             N.startswith("MemHash") || N == "mapKeyError" ||
             N == "mapKeyError2");
  }
  if (!N.consume_front("runtime."))
    return false;
  return N.startswith("map") || N.startswith("makemap") ||
         N.startswith("evacuate") || N.startswith("growWork") ||
         N == "hashGrow" || N == "makeBucketArray" ||
         N == "advanceEvacuationMark" || N == "bucketEvacuated" ||
         N == "tooManyOverflowBuckets" || N == "overLoadFactor" ||
         N.startswith("reflect_map") || N.startswith("(*hmap).") ||
         N.startswith("(*bmap).") || N.startswith("(*maptype).") ||
         N.startswith("(*hiter).") || N.startswith("(*linknameIter).");
}

std::optional<MapFuncInfo> classifyMapFunction(llvm::StringRef N) {
  if (!isMapFunction(N))
    return std::nullopt;
  MapFuncInfo I;
  auto Entry = [&](MapOp Op, KeyPass K) {
    I.Op = Op;
    I.Key = K;
    I.EntryPoint = true;
    I.TypeWord = 0;
    I.MapWord = 1;
    I.KeyWord = K == KeyPass::None ? -1 : 2;
    return I;
  };
  llvm::StringRef S = N;
  if (S.consume_front("runtime.")) {
    if (S.startswith("mapaccess")) {
      KeyPass K = S.endswith("_fast32")  ? KeyPass::Value32
                  : S.endswith("_fast64") ? KeyPass::Value64
                  : S.endswith("_faststr") ? KeyPass::String
                                          : KeyPass::Pointer;
      return Entry(MapOp::Access, K);
    }
    if (S.startswith("mapassign") || S.startswith("mapdelete")) {
      MapOp Op = S.startswith("mapassign") ? MapOp::Assign : MapOp::Delete;
      KeyPass K = S.endswith("_fast32")      ? KeyPass::Value32
                  : S.endswith("_fast64")    ? KeyPass::Value64
                  : S.endswith("ptr")        ? KeyPass::PtrValue
                  : S.endswith("_faststr")   ? KeyPass::String
                                             : KeyPass::Pointer;
      return Entry(Op, K);
    }
    // reflect's entry points take the same (t, m, key) arguments.
    if (S.consume_front("reflect_")) {
      if (S == "mapaccess" || S == "mapaccess_faststr")
        return Entry(MapOp::Access, S.endswith("faststr") ? KeyPass::String
                                                          : KeyPass::Pointer);
      if (S == "mapassign" || S == "mapassign_faststr" || S == "mapassign0")
        return Entry(MapOp::Assign, S.endswith("faststr") ? KeyPass::String
                                                          : KeyPass::Pointer);
      if (S == "mapdelete" || S == "mapdelete_faststr")
        return Entry(MapOp::Delete, S.endswith("faststr") ? KeyPass::String
                                                          : KeyPass::Pointer);
      if (S == "mapclear")
        return Entry(MapOp::Clear, KeyPass::None);
      return I;
    }
    // mapiterinit/mapiternext (classic, and go1.24/1.25 linkname shims) and
    // mapIterStart/mapIterNext (swiss).
    if (S == "mapiterinit" || S == "mapIterStart") {
      Entry(MapOp::IterInit, KeyPass::None);
      I.IterWord = 2;
      return I;
    }
    if (S == "mapiternext" || S == "mapIterNext") {
      I.Op = MapOp::IterNext;
      I.EntryPoint = true;
      I.IterWord = 0;
      return I;
    }
    if (S == "mapclear")
      return Entry(MapOp::Clear, KeyPass::None);
    if (S == "mapclone" || S == "mapclone2") {
      I.Op = MapOp::Clone;
      I.EntryPoint = true;
      return I;
    }
    if (isMapGrowthFunction(N)) {
      I.Op = MapOp::Grow;
      return I;
    }
    return I; // internal helper
  }
  // internal/runtime/maps (swiss): the iterator's Next is where the
  // iteration check lives; everything else is internal to the operation.
  if (N.endswith(".(*Iter).Next")) {
    I.Op = MapOp::IterNext;
    I.IterWord = 0;
    return I;
  }
  if (N.endswith(".(*Iter).Init")) {
    I.Op = MapOp::IterInit;
    I.TypeWord = 1;
    I.MapWord = 2;
    I.IterWord = 0;
    return I;
  }
  if (isMapGrowthFunction(N))
    I.Op = MapOp::Grow;
  return I;
}

} // namespace ms
