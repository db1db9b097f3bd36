#include "store/database.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dci {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", db ? sqlite3_errmsg(db)
                                                : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace

void Statement::BindInt(int i, int64_t v) {
  sqlite3_bind_int64(stmt_.get(), i, v);
}
void Statement::BindText(int i, absl::string_view v) {
  sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
}
void Statement::BindBlob(int i, const void* data, size_t n) {
  sqlite3_bind_blob(stmt_.get(), i, data, static_cast<int>(n),
                    SQLITE_TRANSIENT);
}
void Statement::BindNull(int i) { sqlite3_bind_null(stmt_.get(), i); }

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "step");
}

absl::Status Statement::Run() {
  for (;;) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int64_t Statement::ColumnInt(int i) const {
  return sqlite3_column_int64(stmt_.get(), i);
}
std::string Statement::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), i);
  int n = sqlite3_column_bytes(stmt_.get(), i);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}
absl::string_view Statement::ColumnView(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), i);
  int n = sqlite3_column_bytes(stmt_.get(), i);
  return p ? absl::string_view(reinterpret_cast<const char*>(p), n)
           : absl::string_view();
}

std::string Statement::ColumnBlob(int i) const {
  const void* p = sqlite3_column_blob(stmt_.get(), i);
  int n = sqlite3_column_bytes(stmt_.get(), i);
  return p ? std::string(static_cast<const char*>(p), n) : std::string();
}
absl::string_view Statement::ColumnBlobView(int i) const {
  const void* p = sqlite3_column_blob(stmt_.get(), i);
  int n = sqlite3_column_bytes(stmt_.get(), i);
  return p ? absl::string_view(static_cast<const char*>(p), n) : absl::string_view();
}
bool Statement::ColumnIsNull(int i) const {
  return sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, Mode mode) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (mode == kReadOnly ? SQLITE_OPEN_READONLY
                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw));
  if (rc != SQLITE_OK) {
    return SqliteError(raw, rc, "opening the database");
  }
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  if (mode == kReadWrite) {
    if (absl::Status s = db->Exec("PRAGMA journal_mode=WAL;"); !s.ok()) {
      return s;
    }
    if (absl::Status s = db->Exec("PRAGMA synchronous=NORMAL;"); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = db->Exec("PRAGMA foreign_keys=ON;"); !s.ok()) return s;
  return db;
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(),
                              static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "prepare");
  return Statement(db_.get(), s);
}

absl::Status Database::Exec(absl::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  std::unique_ptr<char, decltype(&sqlite3_free)> owned(err, &sqlite3_free);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "exec");
  return absl::OkStatus();
}

int64_t Database::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_.get());
}

int64_t Database::Changes() const { return sqlite3_changes64(db_.get()); }

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

absl::Status Transaction::Begin() {
  absl::Status s = db_.Exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

absl::Status Transaction::Commit() {
  absl::Status s = db_.Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace dci
