// Store: container drift snapshots and their CONTAINER_DRIFT events.
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "store/event_writer.h"
#include "store/store.h"

namespace dci {
namespace {

constexpr char kSnapshotColumns[] =
    "s.id, s.name, s.image_id, COALESCE(i.manifest_digest, ''), s.source, "
    "s.taken_at_us, s.event_seq, s.files_added, s.files_removed, "
    "s.files_changed, s.configs_changed, s.modified_files, s.packages_added, "
    "s.packages_removed, s.packages_upgraded, s.packages_downgraded, "
    "s.metadata_changed, s.changes";

std::vector<std::string> Lines(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, '\n');
}

ContainerSnapshot ReadSnapshot(const Statement& st) {
  ContainerSnapshot s;
  int c = 0;
  s.id = st.ColumnInt(c++);
  s.name = st.ColumnText(c++);
  s.image_id = st.ColumnInt(c++);
  s.image_digest = st.ColumnText(c++);
  s.source = st.ColumnText(c++);
  s.taken_at_us = st.ColumnInt(c++);
  s.event_seq = st.ColumnInt(c++);
  s.files_added = static_cast<int>(st.ColumnInt(c++));
  s.files_removed = static_cast<int>(st.ColumnInt(c++));
  s.files_changed = static_cast<int>(st.ColumnInt(c++));
  s.configs_changed = static_cast<int>(st.ColumnInt(c++));
  s.modified_files = static_cast<int>(st.ColumnInt(c++));
  s.packages_added = Lines(st.ColumnText(c++));
  s.packages_removed = Lines(st.ColumnText(c++));
  s.packages_upgraded = Lines(st.ColumnText(c++));
  s.packages_downgraded = Lines(st.ColumnText(c++));
  s.metadata_changed = Lines(st.ColumnText(c++));
  s.changes = Lines(st.ColumnText(c++));
  return s;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<ContainerSnapshot> Store::RecordContainerSnapshot(
    const ContainerSnapshot& snapshot) {
  if (snapshot.name.empty()) {
    return absl::InvalidArgumentError("a snapshot needs a container name");
  }
  ContainerSnapshot s = snapshot;
  std::vector<EventRecord> events;
  {
    absl::MutexLock lock(&write_mu_);
    Database& db = *writer_;
    Transaction txn(db);
    DCI_RETURN_IF_ERROR(txn.Begin());
    DCI_ASSIGN_OR_RETURN(
        Statement image,
        db.Prepare("SELECT manifest_digest FROM images WHERE id = ?"));
    image.BindInt(1, s.image_id);
    DCI_ASSIGN_OR_RETURN(bool found, image.Step());
    if (!found) return absl::NotFoundError("the snapshot's image is not indexed");
    s.image_digest = image.ColumnText(0);
    s.taken_at_us = NowUs();

    // The event first: the snapshot row names it (PRODUCT.md principle 7,
    // the event log is the outbox of this very transaction).
    EventRecord e;
    e.kind = kEventContainerDrift;
    e.at_us = s.taken_at_us;
    e.image_id = s.image_id;
    e.image_digest = s.image_digest;
    e.name = s.name;
    DCI_ASSIGN_OR_RETURN(EventWriter writer, EventWriter::Make(db));
    DCI_RETURN_IF_ERROR(writer.Append(e));
    s.event_seq = e.seq;

    DCI_ASSIGN_OR_RETURN(
        Statement add,
        db.Prepare("INSERT INTO container_snapshots(name, image_id, source, "
                   "taken_at_us, event_seq, files_added, files_removed, "
                   "files_changed, configs_changed, modified_files, "
                   "packages_added, packages_removed, packages_upgraded, "
                   "packages_downgraded, metadata_changed, changes) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    int c = 1;
    add.BindText(c++, s.name);
    add.BindInt(c++, s.image_id);
    add.BindText(c++, s.source);
    add.BindInt(c++, s.taken_at_us);
    add.BindInt(c++, s.event_seq);
    add.BindInt(c++, s.files_added);
    add.BindInt(c++, s.files_removed);
    add.BindInt(c++, s.files_changed);
    add.BindInt(c++, s.configs_changed);
    add.BindInt(c++, s.modified_files);
    add.BindText(c++, absl::StrJoin(s.packages_added, "\n"));
    add.BindText(c++, absl::StrJoin(s.packages_removed, "\n"));
    add.BindText(c++, absl::StrJoin(s.packages_upgraded, "\n"));
    add.BindText(c++, absl::StrJoin(s.packages_downgraded, "\n"));
    add.BindText(c++, absl::StrJoin(s.metadata_changed, "\n"));
    add.BindText(c++, absl::StrJoin(s.changes, "\n"));
    DCI_RETURN_IF_ERROR(add.Run());
    s.id = db.LastInsertRowId();
    DCI_RETURN_IF_ERROR(txn.Commit());

    events.push_back(std::move(e));
    // As CommitImage does: observers see commits in sequence order, under
    // the writer lock.
    if (observer_) observer_(events);
  }
  return s;
}

absl::StatusOr<std::vector<ContainerSnapshot>> Store::ContainerSnapshots(
    const std::string& name) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kSnapshotColumns,
                               " FROM container_snapshots s LEFT JOIN images i "
                               "ON i.id = s.image_id WHERE s.name = ? "
                               "ORDER BY s.id")));
  st.BindText(1, name);
  std::vector<ContainerSnapshot> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadSnapshot(st));
  }
  return out;
}

absl::StatusOr<std::optional<ContainerSnapshot>> Store::ContainerSnapshotOfEvent(
    int64_t event_seq) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kSnapshotColumns,
                               " FROM container_snapshots s LEFT JOIN images i "
                               "ON i.id = s.image_id WHERE s.event_seq = ?")));
  st.BindInt(1, event_seq);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ContainerSnapshot>();
  return std::optional<ContainerSnapshot>(ReadSnapshot(st));
}

}  // namespace dci
