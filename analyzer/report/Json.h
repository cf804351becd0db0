// The JSON writer: every report type as llvm::json (schema
// mapsleuth.report/1 for analyze, and the info, goroutines and signature
// objects). Below the front ends only this writer and the runtime layout
// tables (goruntime/Layouts.cpp, parsed at start-up) speak JSON; the model
// headers (Analysis.h, Stacks.h, Summary.h, Signature.h) do not.
// Addresses are "0x..." strings, counts integers, absent optional parts
// null or left out as each object documents.
#pragma once

#include <string>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "report/Analysis.h"
#include "report/Signature.h"
#include "report/Stacks.h"
#include "report/Summary.h"
#include "support/Error.h"

namespace ms {

// Text from the inputs as valid UTF-8 (support/Error.h utf8Text), and a
// JSON array of such texts (warnings, names).
inline std::string jsonText(llvm::StringRef S) { return utf8Text(S); }
llvm::json::Array jsonTexts(llvm::ArrayRef<std::string> V);

// analyze: the whole report, and its parts.
llvm::json::Value toJSON(const AnalysisReport &R);
llvm::json::Value toJSON(const ProvenanceReport &P);
llvm::json::Value toJSON(const KeyReport &K);
llvm::json::Value toJSON(const KeyMissingReport &K);

// Decoded Go values: strings as strings (invalid UTF-8 repaired), integers
// exact (int64/uint64), floats as numbers (NaN/Inf as strings), complex as
// {"real":..,"imag":..}, bool, structs as objects, slices/arrays as
// arrays, pointers/maps/chans/funcs as "0x..." strings (null when nil),
// interfaces as their dynamic value (null when nil), errors as
// {"error": text, "address": "0x..."}.
llvm::json::Value toJSON(const GoValue &V);

// Decoded maps, lookups and iterators (entries are not listed: they can
// be millions).
// {"address", "type", "impl", "layout", "nil", "header": {...},
//  "growth": {...} | "tables": [...], "entries_found", "header_count",
//  "partial", "walk": {...}, "warnings": [...]}
llvm::json::Value toJSON(const MapState &S);
// {"result": "present"|"absent"|"unknown", "matches": [{"bucket", "slot",
//  "old", "table", "key_address", "elem_address", "elem", "at_home"}],
//  "home": {...}, "home_error", "warnings"}
llvm::json::Value toJSON(const KeyLocationReport &L);
// {"address", "map", "same_map", "consistent", "position", "key", "elem",
//  "fields": {...}, "warnings"}
llvm::json::Value toJSON(const MapIterState &It);

// info
llvm::json::Value toJSON(const CoreSummary &C);
llvm::json::Value toJSON(const ExeSummary &X);
llvm::json::Value toJSON(const InfoReport &R);
// {"exe": "...", "pid": 1234, "uid": ..., "signal": 6, "timestamp": ...,
//  "rlimit": ... | "unlimited", "hostname": "...", "comm": "..."}; numbers
// that do not parse stay text.
llvm::json::Value toJSON(const CoredumpXattrs &X);

// goroutines, stack
llvm::json::Value toJSON(const FrameReport &F);
llvm::json::Value toJSON(const StackReport &S);
llvm::json::Value toJSON(const GoroutineReport &G);
llvm::json::Value toJSON(const GoroutinesReport &R);
// Writes exactly what `OS << formatv("{0:<Indent>}", toJSON(R))` writes,
// without holding the whole document as json::Values at once: goroutine
// objects are built, written and freed one at a time. A core with 10,000
// goroutines makes a ~100 MB document, whose Value tree alone is >1.5 GB.
void writeJSON(const GoroutinesReport &R, llvm::raw_ostream &OS,
               unsigned Indent = 2);

// batch signatures
llvm::json::Value toJSON(const SignatureFrame &F);
llvm::json::Value toJSON(const CrashSignature &S);
// The inverse, for stored results (`mapsleuth summarize`): an error when
// a field is missing or of the wrong type, or the version is not
// SignatureVersion (a stored result is never silently regrouped).
Expected<CrashSignature> signatureFromJSON(const llvm::json::Value &V);

} // namespace ms
