// Store: the registry repositories dcid polls.
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "store/store.h"

namespace dci {
namespace {

constexpr char kWatchColumns[] =
    "id, repository, tag_glob, interval_s, platform, skip_tls_verify, "
    "cert_dir, authfile, added_at_us, last_poll_us, last_error";

RegistryWatch ReadWatch(const Statement& st) {
  RegistryWatch w;
  w.id = st.ColumnInt(0);
  w.repository = st.ColumnText(1);
  w.tag_glob = st.ColumnText(2);
  w.interval_s = st.ColumnInt(3);
  w.platform = st.ColumnText(4);
  w.skip_tls_verify = st.ColumnInt(5) != 0;
  w.cert_dir = st.ColumnText(6);
  w.authfile = st.ColumnText(7);
  w.added_at_us = st.ColumnInt(8);
  w.last_poll_us = st.ColumnInt(9);
  w.last_error = st.ColumnText(10);
  return w;
}

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<RegistryWatch> Store::PutRegistryWatch(
    const RegistryWatch& watch) {
  if (watch.repository.empty() || watch.interval_s <= 0) {
    return absl::InvalidArgumentError(
        "a watch needs a repository and an interval above 0");
  }
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  DCI_ASSIGN_OR_RETURN(
      Statement put,
      db.Prepare(absl::StrCat(
          "INSERT INTO registry_watches(repository, tag_glob, interval_s, "
          "platform, skip_tls_verify, cert_dir, authfile, added_at_us) "
          "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(repository) DO UPDATE SET "
          "tag_glob = excluded.tag_glob, interval_s = excluded.interval_s, "
          "platform = excluded.platform, "
          "skip_tls_verify = excluded.skip_tls_verify, "
          "cert_dir = excluded.cert_dir, authfile = excluded.authfile, "
          "last_poll_us = 0, last_error = '' RETURNING ",
          kWatchColumns)));
  put.BindText(1, watch.repository);
  put.BindText(2, watch.tag_glob);
  put.BindInt(3, watch.interval_s);
  put.BindText(4, watch.platform);
  put.BindInt(5, watch.skip_tls_verify ? 1 : 0);
  put.BindText(6, watch.cert_dir);
  put.BindText(7, watch.authfile);
  put.BindInt(8, WallMicros());
  DCI_ASSIGN_OR_RETURN(bool row, put.Step());
  if (!row) return absl::InternalError("watch insert returned no row");
  RegistryWatch out = ReadWatch(put);
  DCI_ASSIGN_OR_RETURN(bool more, put.Step());
  (void)more;
  return out;
}

absl::StatusOr<std::vector<RegistryWatch>> Store::RegistryWatches() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kWatchColumns,
                               " FROM registry_watches ORDER BY repository")));
  std::vector<RegistryWatch> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(ReadWatch(st));
  }
}

absl::Status Store::RemoveRegistryWatch(const std::string& repository) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  DCI_ASSIGN_OR_RETURN(
      Statement del,
      db.Prepare("DELETE FROM registry_watches WHERE repository = ?"));
  del.BindText(1, repository);
  DCI_RETURN_IF_ERROR(del.Run());
  if (db.Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("no watch on \"", repository, "\""));
  }
  return absl::OkStatus();
}

absl::Status Store::RecordRegistryPoll(int64_t id, int64_t at_us,
                                       const std::string& error) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare("UPDATE registry_watches SET last_poll_us = ?, "
                 "last_error = ? WHERE id = ?"));
  st.BindInt(1, at_us);
  st.BindText(2, error);
  st.BindInt(3, id);
  return st.Run();
}

}  // namespace dci
