// The schema's history: numbered SQL files in migrations/ (NNNN_what.sql),
// embedded in the binary at build time. PRAGMA user_version holds the
// number of the last one applied.
//
// Invariants (tests/store/store_test.cc checks them by number):
//  1. Each migration runs in one transaction with its user_version bump;
//     a failing one leaves the database as it was.
//  2. Migrations run in ascending order, each exactly once.
//  3. A database whose user_version is above the newest known migration is
//     refused (FailedPrecondition) and left untouched.
#ifndef DCI_STORE_MIGRATIONS_H_
#define DCI_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/database.h"

namespace dci {

struct Migration {
  int version;
  std::string name;  // file name, for messages
  std::string sql;
};

// The migrations/ files this binary was built with, ascending.
const std::vector<Migration>& EmbeddedMigrations();

// Brings `db` up to the last of `migrations`; returns the version reached.
absl::StatusOr<int> Migrate(Database& db,
                            const std::vector<Migration>& migrations);

}  // namespace dci

#endif  // DCI_STORE_MIGRATIONS_H_
