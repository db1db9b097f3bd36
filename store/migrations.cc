#include "store/migrations.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace dci {
namespace {

absl::StatusOr<int> UserVersion(Database& db) {
  DCI_ASSIGN_OR_RETURN(Statement st, db.Prepare("PRAGMA user_version"));
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<int>(st.ColumnInt(0)) : 0;
}

}  // namespace

absl::StatusOr<int> Migrate(Database& db,
                            const std::vector<Migration>& migrations) {
  DCI_ASSIGN_OR_RETURN(int current, UserVersion(db));
  int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {  // invariant 3
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema version ", current,
        " is newer than this binary knows (", newest,
        "): upgrade dci, or use another --db"));
  }
  for (const Migration& m : migrations) {  // invariant 2
    if (m.version <= current) continue;
    Transaction txn(db);  // invariant 1
    DCI_RETURN_IF_ERROR(txn.Begin());
    DCI_RETURN_IF_ERROR(Annotate(db.Exec(m.sql), absl::StrCat("migration ", m.name)));
    DCI_RETURN_IF_ERROR(
        db.Exec(absl::StrCat("PRAGMA user_version = ", m.version)));
    DCI_RETURN_IF_ERROR(txn.Commit());
    current = m.version;
  }
  return current;
}

}  // namespace dci
