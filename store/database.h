// A small RAII layer over SQLite's C API, after Chromium's sql/:
// Database owns one connection, Statement one prepared statement,
// Transaction rolls back unless committed. Errors come back as absl::Status
// carrying SQLite's message; callers add context, and server/ keeps SQL out
// of what clients see.
//
//   DCI_ASSIGN_OR_RETURN(auto db, Database::Open(path, Database::kReadWrite));
//   Transaction txn(*db);
//   DCI_RETURN_IF_ERROR(txn.Begin());
//   DCI_ASSIGN_OR_RETURN(auto st, db->Prepare("INSERT INTO t(x) VALUES(?)"));
//   st.BindInt(1, 42);
//   DCI_RETURN_IF_ERROR(st.Run());
//   DCI_RETURN_IF_ERROR(txn.Commit());
//
// Not thread-safe: one thread uses a connection at a time.
#ifndef DCI_STORE_DATABASE_H_
#define DCI_STORE_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

class Statement {
 public:
  Statement() = default;
  Statement(Statement&&) = default;
  Statement& operator=(Statement&&) = default;

  // Binding indexes start at 1, as in SQLite.
  void BindInt(int i, int64_t v);
  void BindText(int i, absl::string_view v);
  void BindBlob(int i, const void* data, size_t n);
  void BindNull(int i);

  // Steps once: true while a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps to completion, for statements that return no rows.
  absl::Status Run();
  // Makes the statement ready to run again; bindings are cleared.
  void Reset();

  // Column indexes start at 0.
  int64_t ColumnInt(int i) const;
  std::string ColumnText(int i) const;
  // Valid until the next Step/Reset: no copy.
  absl::string_view ColumnView(int i) const;
  std::string ColumnBlob(int i) const;
  // Valid until the next Step, Reset or column call on `i`.
  absl::string_view ColumnBlobView(int i) const;
  bool ColumnIsNull(int i) const;

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Statement(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

class Database {
 public:
  enum Mode { kReadOnly, kReadWrite };

  // Opens (kReadWrite: creating) the file, turns on WAL, foreign keys and a
  // busy timeout.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        Mode mode);

  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs one or more statements that return no rows.
  absl::Status Exec(absl::string_view sql);
  int64_t LastInsertRowId() const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  int64_t Changes() const;
  sqlite3* raw() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Database(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Closer> db_;
};

// BEGIN IMMEDIATE on Begin(); ROLLBACK in the destructor unless Commit()
// succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  absl::Status Begin();
  absl::Status Commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace dci

#endif  // DCI_STORE_DATABASE_H_
