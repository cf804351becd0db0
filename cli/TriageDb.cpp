#include "cli/TriageDb.h"

#include <ctime>
#include <filesystem>

#include <sqlite3.h>

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/xxhash.h>

#include "cli/Version.h"

namespace ms::batch {

namespace {

// PRAGMA application_id of a mapsleuth triage database: "MSLT".
constexpr int32_t ApplicationId = 0x4d534c54;

// Migrations[N] brings schema N to N + 1. Never edit one that shipped: add
// the next.
const char *const Migrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  started INTEGER NOT NULL,
  mapsleuth TEXT NOT NULL);
CREATE TABLE results(
  content TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  signature_id TEXT,
  signature_version INTEGER,
  signature TEXT,
  report TEXT,
  fields TEXT,
  crash_time INTEGER,
  first_run INTEGER NOT NULL REFERENCES runs(id),
  last_run INTEGER NOT NULL REFERENCES runs(id));
CREATE INDEX results_signature ON results(signature_id);
)sql",
};
static_assert(std::size(Migrations) == TriageDb::SchemaVersion);

// One prepared statement, finalized on scope exit.
class Stmt {
public:
  Stmt(sqlite3 *Db, const char *Sql) : Db(Db) {
    Rc = sqlite3_prepare_v2(Db, Sql, -1, &S, nullptr);
  }
  ~Stmt() { sqlite3_finalize(S); }
  Stmt(const Stmt &) = delete;
  Stmt &operator=(const Stmt &) = delete;

  Error prepared(llvm::StringRef What) const {
    if (Rc == SQLITE_OK)
      return Error::success();
    return makeError("{0}: {1}", What, sqlite3_errmsg(Db));
  }
  Stmt &text(int I, const std::string &V) {
    sqlite3_bind_text(S, I, V.data(), static_cast<int>(V.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt &textOrNull(int I, const std::string &V) {
    return V.empty() ? null(I) : text(I, V);
  }
  Stmt &integer(int I, int64_t V) {
    sqlite3_bind_int64(S, I, V);
    return *this;
  }
  Stmt &null(int I) {
    sqlite3_bind_null(S, I);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return Rc = sqlite3_step(S); }
  Error done(llvm::StringRef What) {
    if (step() == SQLITE_DONE)
      return Error::success();
    return makeError("{0}: {1}", What, sqlite3_errmsg(Db));
  }
  std::string columnText(int I) const {
    const unsigned char *T = sqlite3_column_text(S, I);
    return T ? std::string(reinterpret_cast<const char *>(T),
                           static_cast<size_t>(sqlite3_column_bytes(S, I)))
             : std::string();
  }
  std::optional<int64_t> columnInt(int I) const {
    if (sqlite3_column_type(S, I) == SQLITE_NULL)
      return std::nullopt;
    return sqlite3_column_int64(S, I);
  }

private:
  sqlite3 *Db;
  sqlite3_stmt *S = nullptr;
  int Rc;
};

} // namespace

Expected<std::string> contentKey(const std::string &Path) {
  auto B = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                       /*RequiresNullTerminator=*/false);
  if (!B)
    return inputError(Path, "cannot read: {0}", B.getError().message());
  llvm::StringRef Bytes = (*B)->getBuffer();
  return llvm::formatv("xxh64:{0:x-16}:{1}", llvm::xxHash64(Bytes),
                       Bytes.size())
      .str();
}

TriageDb::~TriageDb() { sqlite3_close_v2(Db); }

Error TriageDb::exec(const char *Sql) {
  char *Msg = nullptr;
  if (sqlite3_exec(Db, Sql, nullptr, nullptr, &Msg) == SQLITE_OK)
    return Error::success();
  std::string M = Msg ? Msg : sqlite3_errmsg(Db);
  sqlite3_free(Msg);
  return makeError("{0}", M);
}

Expected<std::unique_ptr<TriageDb>> TriageDb::open(const std::string &Path) {
  std::error_code EC;
  const bool Exists = std::filesystem::exists(Path, EC);
  if (Exists && !std::filesystem::is_regular_file(Path, EC))
    return inputError(Path, "not a regular file");
  sqlite3 *Raw = nullptr;
  int Flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
              (Exists ? 0 : SQLITE_OPEN_CREATE);
  int Rc = sqlite3_open_v2(Path.c_str(), &Raw, Flags, nullptr);
  std::unique_ptr<TriageDb> D(new TriageDb(Raw, Path));
  if (Rc != SQLITE_OK)
    return inputError(Path, "cannot open the triage database: {0}",
                      Raw ? sqlite3_errmsg(Raw) : sqlite3_errstr(Rc));
  // Another run may be writing (WAL lets readers go on): wait for it.
  sqlite3_busy_timeout(Raw, 30000);
  sqlite3_extended_result_codes(Raw, 1);

  // What is this file? Nothing is written before the answer is "ours" or
  // "empty".
  int64_t AppId = 0, Version = 0, Tables = 0;
  {
    // One statement, one snapshot: another run may be creating the file.
    Stmt S(Raw, "SELECT (SELECT application_id FROM pragma_application_id), "
                "(SELECT user_version FROM pragma_user_version), "
                "(SELECT count(*) FROM sqlite_schema)");
    if (auto E = S.prepared("reading the database header"))
      return inputError(Path, "not a mapsleuth triage database: {0}",
                        errorText(std::move(E)));
    if (S.step() != SQLITE_ROW)
      return inputError(Path, "not a mapsleuth triage database: {0}",
                        sqlite3_errmsg(Raw));
    AppId = S.columnInt(0).value_or(0);
    Version = S.columnInt(1).value_or(0);
    Tables = S.columnInt(2).value_or(0);
  }
  if (AppId != ApplicationId && !(AppId == 0 && Tables == 0))
    return inputError(Path, "another application's SQLite database "
                            "(application_id {0:x}), not a mapsleuth triage "
                            "database; left untouched",
                      AppId);
  if (Version > SchemaVersion)
    return inputError(Path, "a triage database of schema {0}, made by a "
                            "newer mapsleuth (this one knows schema {1})",
                      Version, SchemaVersion);
  if (Tables > 0) {
    Stmt S(Raw, "PRAGMA quick_check");
    if (auto E = S.prepared("checking the database"))
      return inputError(Path, "damaged: {0}", errorText(std::move(E)));
    int Step = S.step();
    std::string Verdict = Step == SQLITE_ROW ? S.columnText(0)
                                             : sqlite3_errmsg(Raw);
    if (Verdict != "ok")
      return inputError(Path, "damaged triage database: {0}", Verdict);
  }
  // Switching a new file to WAL takes an exclusive lock, and SQLite may
  // answer "locked" at once instead of waiting while another run that just
  // opened the same new file reads it: wait here, as long as the busy
  // timeout would.
  for (int Try = 0;; ++Try) {
    char *Msg = nullptr;
    const int Rc = sqlite3_exec(Raw, "PRAGMA journal_mode=WAL", nullptr, nullptr, &Msg);
    if (Rc == SQLITE_OK)
      break;
    std::string M = Msg ? Msg : sqlite3_errmsg(Raw);
    sqlite3_free(Msg);
    if (((Rc & 0xff) != SQLITE_BUSY && (Rc & 0xff) != SQLITE_LOCKED) || Try >= 600)
      return inputError(Path, "cannot use the triage database: {0}", M);
    sqlite3_sleep(50);
  }
  if (auto E = D->migrate())
    return inputError(Path, "cannot update the triage database: {0}",
                      errorText(std::move(E)));
  if (auto E = D->startRun())
    return inputError(Path, "cannot record the run: {0}",
                      errorText(std::move(E)));
  return D;
}

Error TriageDb::migrate() {
  if (auto E = exec("BEGIN IMMEDIATE"))
    return E;
  // Read again inside the transaction: another run may have migrated.
  int64_t Version = 0;
  {
    Stmt S(Db, "PRAGMA user_version");
    if (auto E = S.prepared("reading the schema version"))
      return E;
    if (S.step() == SQLITE_ROW)
      Version = S.columnInt(0).value_or(0);
  }
  Error Err = Error::success();
  for (int64_t V = Version; V < SchemaVersion && !Err; ++V)
    Err = exec(Migrations[V]);
  if (!Err && Version < SchemaVersion) {
    std::string Pragmas =
        llvm::formatv("PRAGMA application_id = {0}; PRAGMA user_version = {1}",
                      ApplicationId, SchemaVersion)
            .str();
    Err = exec(Pragmas.c_str());
  }
  if (Err) {
    consumeError(exec("ROLLBACK"));
    return Err;
  }
  return exec("COMMIT");
}

Error TriageDb::startRun() {
  Stmt S(Db, "INSERT INTO runs(started, mapsleuth) VALUES(?, ?)");
  if (auto E = S.prepared("recording the run"))
    return E;
  S.integer(1, static_cast<int64_t>(::time(nullptr))).text(2, versionText());
  if (auto E = S.done("recording the run"))
    return E;
  Run = sqlite3_last_insert_rowid(Db);
  return Error::success();
}

Expected<std::optional<StoredResult>> TriageDb::find(const std::string &Content) {
  Stmt S(Db, "SELECT status, report, signature, fields, signature_version "
             "FROM results WHERE content = ? AND status != 'error'");
  if (auto E = S.prepared("looking up a core"))
    return E;
  S.text(1, Content);
  int Rc = S.step();
  if (Rc == SQLITE_DONE)
    return std::nullopt;
  if (Rc != SQLITE_ROW)
    return makeError("looking up a core: {0}", sqlite3_errmsg(Db));
  StoredResult R;
  R.Status = S.columnText(0);
  R.Report = S.columnText(1);
  R.Signature = S.columnText(2);
  R.Fields = S.columnText(3);
  R.SignatureVersion = static_cast<int>(S.columnInt(4).value_or(0));
  return R;
}

Error TriageDb::record(const NewResult &R) {
  Stmt S(Db, R"sql(
INSERT INTO results(content, path, status, error, signature_id,
                    signature_version, signature, report, fields, crash_time,
                    first_run, last_run)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
ON CONFLICT(content) DO UPDATE SET
  path = excluded.path, status = excluded.status, error = excluded.error,
  signature_id = excluded.signature_id,
  signature_version = excluded.signature_version,
  signature = excluded.signature, report = excluded.report,
  fields = excluded.fields, crash_time = excluded.crash_time,
  last_run = excluded.last_run
)sql");
  if (auto E = S.prepared("recording a result"))
    return E;
  S.text(1, R.Content).text(2, R.Path).text(3, R.Status).textOrNull(4, R.Error);
  S.textOrNull(5, R.SignatureId);
  if (R.Status == "error")
    S.null(6);
  else
    S.integer(6, R.Result.SignatureVersion);
  S.textOrNull(7, R.Result.Signature)
      .textOrNull(8, R.Result.Report)
      .textOrNull(9, R.Result.Fields);
  if (R.CrashTime)
    S.integer(10, *R.CrashTime);
  else
    S.null(10);
  S.integer(11, Run);
  return S.done("recording a result");
}

Error TriageDb::touch(const std::string &Content, const std::string &Path) {
  Stmt S(Db, "UPDATE results SET path = ?, last_run = ? WHERE content = ?");
  if (auto E = S.prepared("recording a known core"))
    return E;
  S.text(1, Path).integer(2, Run).text(3, Content);
  return S.done("recording a known core");
}

Expected<SignatureHistory> TriageDb::history(const std::string &SignatureId) {
  Stmt S(Db, "SELECT count(*), min(crash_time), max(crash_time), "
             "min(first_run) FROM results "
             "WHERE signature_id = ? AND status != 'error'");
  if (auto E = S.prepared("reading a signature's history"))
    return E;
  S.text(1, SignatureId);
  if (S.step() != SQLITE_ROW)
    return makeError("reading a signature's history: {0}", sqlite3_errmsg(Db));
  SignatureHistory H;
  H.Cores = S.columnInt(0).value_or(0);
  H.First = S.columnInt(1);
  H.Last = S.columnInt(2);
  auto FirstRun = S.columnInt(3);
  H.SeenBefore = FirstRun && *FirstRun < Run;
  return H;
}

} // namespace ms::batch
