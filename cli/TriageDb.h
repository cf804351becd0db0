// The triage database of `mapsleuth batch --db FILE` (SQLite): every core
// analyzed, by the hash of its content, with its result and signature, so
// that a rerun over a growing directory analyzes only what is new, and the
// groups keep their history (first and last seen, counts) across runs.
// USAGE.md ("The triage database") documents the file; keep the two in step.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "support/Error.h"

struct sqlite3;

namespace ms::batch {

// What the database holds of one core.
struct StoredResult {
  std::string Status;    // "map_fault", "no_map_fault"
  std::string Report;    // the report's JSON object (analyze --format json)
  std::string Signature; // the signature's JSON object
  std::string Fields;    // the CSV columns' values (a JSON object of strings)
  int SignatureVersion = 0;
};

// One core's result to record.
struct NewResult {
  std::string Content; // contentKey()
  std::string Path;
  std::string Status;  // "map_fault", "no_map_fault", "error"
  std::string Error;   // when Status is "error"
  std::string SignatureId;
  std::optional<int64_t> CrashTime;
  StoredResult Result; // empty when Status is "error"
};

// A signature's history in the database.
struct SignatureHistory {
  int64_t Cores = 0;                   // cores with it, in every run
  std::optional<int64_t> First, Last;  // their crash times
  bool SeenBefore = false;             // recorded by an earlier run
};

// "xxh64:<16 hex digits>:<size>" of the file's bytes as stored (a
// compressed core: its compressed bytes).
Expected<std::string> contentKey(const std::string &Path);

class TriageDb {
public:
  // Opens FILE, creating it when it does not exist; brings an older schema
  // up to date (in one transaction). An error, and the file untouched,
  // when it is not a database, another application's, or of a newer
  // schema. Starts a run (recorded with the time and mapsleuth's version).
  static Expected<std::unique_ptr<TriageDb>> open(const std::string &Path);
  ~TriageDb();
  TriageDb(const TriageDb &) = delete;
  TriageDb &operator=(const TriageDb &) = delete;

  // The stored result of this content, when it was analyzed (not failed)
  // with the current signature version.
  Expected<std::optional<StoredResult>> find(const std::string &Content);
  // Records (or updates) one result, in its own transaction: a run killed
  // halfway keeps every result recorded before.
  Error record(const NewResult &R);
  // Marks a known core as seen by this run (its path may have changed).
  Error touch(const std::string &Content, const std::string &Path);
  Expected<SignatureHistory> history(const std::string &SignatureId);

  const std::string &path() const { return File; }
  int64_t run() const { return Run; }

  static constexpr int SchemaVersion = 1;

private:
  TriageDb(sqlite3 *Db, std::string File) : Db(Db), File(std::move(File)) {}
  Error exec(const char *Sql);
  Error migrate();
  Error startRun();

  sqlite3 *Db;
  std::string File;
  int64_t Run = 0;
};

} // namespace ms::batch
