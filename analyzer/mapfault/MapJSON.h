// JSON views of decoded maps, lookups and iterators, for reports and for
// debugging. Addresses are "0x..." strings, counts are integers, absent
// optional parts are left out. Entries are not listed (they can be
// millions); decodeEntries() gives a sample.
#pragma once

#include <llvm/Support/JSON.h>

#include "mapfault/MapIter.h"
#include "mapfault/MapKeys.h"
#include "mapfault/MapState.h"

namespace ms {

// {"address", "type", "impl", "layout", "nil", "header": {...},
//  "growth": {...} | "tables": [...], "entries_found", "header_count",
//  "partial", "walk": {...}, "warnings": [...]}
llvm::json::Value toJSON(const MapState &S);

// {"result": "present"|"absent"|"unknown", "matches": [{"bucket", "slot",
//  "old", "table", "key_address", "elem_address", "elem", "at_home"}],
//  "home": {...}, "home_error", "warnings"}
llvm::json::Value toJSON(const MapState &S, const KeyLookup &L);

// {"address", "map", "same_map", "consistent", "position", "key", "elem",
//  "fields": {...}, "warnings"}
llvm::json::Value toJSON(const MapIterState &It);

} // namespace ms
