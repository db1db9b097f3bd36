// Store: policies bound on the server, their verdicts and POLICY_VIOLATION
// events.
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "store/event_writer.h"
#include "store/store.h"

namespace dci {
namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr char kPolicyColumns[] = "id, name, yaml, images_glob, added_at_us";

StoredPolicy ReadPolicy(const Statement& st) {
  StoredPolicy p;
  p.id = st.ColumnInt(0);
  p.name = st.ColumnText(1);
  p.yaml = st.ColumnText(2);
  p.images_glob = st.ColumnText(3);
  p.added_at_us = st.ColumnInt(4);
  return p;
}

constexpr char kVerdictColumns[] =
    "v.id, v.image_id, COALESCE(i.manifest_digest, ''), v.policy_name, "
    "v.verdict, v.evaluated_at_us, v.trigger_seq, v.name, v.tag, "
    "COALESCE(v.event_seq, 0), v.result";

PolicyVerdictRecord ReadVerdict(const Statement& st) {
  PolicyVerdictRecord v;
  int c = 0;
  v.id = st.ColumnInt(c++);
  v.image_id = st.ColumnInt(c++);
  v.image_digest = st.ColumnText(c++);
  v.policy_name = st.ColumnText(c++);
  v.verdict = st.ColumnText(c++);
  v.evaluated_at_us = st.ColumnInt(c++);
  v.trigger_seq = st.ColumnInt(c++);
  v.name = st.ColumnText(c++);
  v.tag = st.ColumnText(c++);
  v.event_seq = st.ColumnInt(c++);
  v.result = st.ColumnText(c++);
  return v;
}

}  // namespace

absl::StatusOr<StoredPolicy> Store::PutPolicy(const StoredPolicy& policy) {
  if (policy.name.empty()) return absl::InvalidArgumentError("a policy needs a name");
  StoredPolicy p = policy;
  if (p.images_glob.empty()) p.images_glob = "*";
  p.added_at_us = NowUs();
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  Transaction txn(db);
  DCI_RETURN_IF_ERROR(txn.Begin());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare("INSERT INTO policies(name, yaml, images_glob, added_at_us) "
                 "VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                 "yaml = excluded.yaml, images_glob = excluded.images_glob, "
                 "added_at_us = excluded.added_at_us"));
  st.BindText(1, p.name);
  st.BindText(2, p.yaml);
  st.BindText(3, p.images_glob);
  st.BindInt(4, p.added_at_us);
  DCI_RETURN_IF_ERROR(st.Run());
  DCI_ASSIGN_OR_RETURN(Statement id,
                       db.Prepare("SELECT id FROM policies WHERE name = ?"));
  id.BindText(1, p.name);
  DCI_ASSIGN_OR_RETURN(bool row, id.Step());
  if (row) p.id = id.ColumnInt(0);
  // The enforcer's cue to judge the images already indexed.
  EventRecord e;
  e.kind = kEventPolicyBound;
  e.at_us = p.added_at_us;
  e.name = p.name;
  DCI_ASSIGN_OR_RETURN(EventWriter writer, EventWriter::Make(db));
  DCI_RETURN_IF_ERROR(writer.Append(e));
  p.bound_seq = e.seq;
  DCI_RETURN_IF_ERROR(txn.Commit());
  if (observer_) observer_({e});
  return p;
}

absl::StatusOr<std::map<std::string, int>> Store::VerdictCountsOf(int64_t trigger_seq) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT verdict, COUNT(*) FROM policy_verdicts WHERE trigger_seq = ? "
                  "GROUP BY verdict"));
  st.BindInt(1, trigger_seq);
  std::map<std::string, int> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out[st.ColumnText(0)] = static_cast<int>(st.ColumnInt(1));
  }
  return out;
}

absl::StatusOr<std::vector<StoredPolicy>> Store::Policies() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kPolicyColumns, " FROM policies ORDER BY name")));
  std::vector<StoredPolicy> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadPolicy(st));
  }
  return out;
}

absl::StatusOr<StoredPolicy> Store::GetPolicy(const std::string& name) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kPolicyColumns, " FROM policies WHERE name = ?")));
  st.BindText(1, name);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no policy named \"", name, "\""));
  return ReadPolicy(st);
}

absl::Status Store::RemovePolicy(const std::string& name) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  DCI_ASSIGN_OR_RETURN(Statement st, db.Prepare("DELETE FROM policies WHERE name = ?"));
  st.BindText(1, name);
  DCI_RETURN_IF_ERROR(st.Run());
  if (db.Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("no policy named \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PolicyVerdictRecord>> Store::RecordPolicyVerdicts(
    const std::vector<PolicyVerdictRecord>& verdicts, int64_t cursor) {
  std::vector<PolicyVerdictRecord> out = verdicts;
  std::vector<EventRecord> events;
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  Transaction txn(db);
  DCI_RETURN_IF_ERROR(txn.Begin());
  const int64_t now = NowUs();
  DCI_ASSIGN_OR_RETURN(
      Statement digest, db.Prepare("SELECT manifest_digest FROM images WHERE id = ?"));
  DCI_ASSIGN_OR_RETURN(EventWriter writer, EventWriter::Make(db));
  DCI_ASSIGN_OR_RETURN(
      Statement add,
      db.Prepare("INSERT INTO policy_verdicts(image_id, policy_name, verdict, "
                 "evaluated_at_us, trigger_seq, name, tag, event_seq, result) "
                 "VALUES (?,?,?,?,?,?,?,?,?)"));
  for (PolicyVerdictRecord& v : out) {
    digest.Reset();
    digest.BindInt(1, v.image_id);
    DCI_ASSIGN_OR_RETURN(bool found, digest.Step());
    if (!found) {
      return absl::NotFoundError(absl::StrCat("image ", v.image_id, " is not indexed"));
    }
    v.image_digest = digest.ColumnText(0);
    v.evaluated_at_us = now;
    v.event_seq = 0;
    if (v.verdict == "warn" || v.verdict == "deny") {
      // The event first: the verdict row names it (the event log is the
      // outbox of this very transaction, PRODUCT.md principle 7).
      EventRecord e;
      e.kind = kEventPolicyViolation;
      e.at_us = now;
      e.image_id = v.image_id;
      e.image_digest = v.image_digest;
      e.name = v.name;
      e.tag = v.tag;
      DCI_RETURN_IF_ERROR(writer.Append(e));
      v.event_seq = e.seq;
      events.push_back(std::move(e));
    }
    add.Reset();
    int c = 1;
    add.BindInt(c++, v.image_id);
    add.BindText(c++, v.policy_name);
    add.BindText(c++, v.verdict);
    add.BindInt(c++, v.evaluated_at_us);
    add.BindInt(c++, v.trigger_seq);
    add.BindText(c++, v.name);
    add.BindText(c++, v.tag);
    if (v.event_seq != 0) add.BindInt(c, v.event_seq);
    else add.BindNull(c);
    ++c;
    add.BindText(c++, v.result);
    DCI_RETURN_IF_ERROR(add.Run());
    v.id = db.LastInsertRowId();
  }
  if (cursor > 0) {
    DCI_ASSIGN_OR_RETURN(
        Statement cur,
        db.Prepare("UPDATE log_state SET value = MAX(value, ?) WHERE key = 'policy_cursor'"));
    cur.BindInt(1, cursor);
    DCI_RETURN_IF_ERROR(cur.Run());
  }
  DCI_RETURN_IF_ERROR(txn.Commit());
  // As CommitImage does: observers see commits in sequence order, under the
  // writer lock.
  if (observer_ && !events.empty()) observer_(events);
  return out;
}

absl::StatusOr<std::vector<PolicyVerdictRecord>> Store::PolicyVerdicts(
    int64_t image_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat(
          "SELECT ", kVerdictColumns,
          " FROM policy_verdicts v LEFT JOIN images i ON i.id = v.image_id "
          "WHERE v.image_id = ?1 AND v.id = (SELECT MAX(id) FROM policy_verdicts "
          "WHERE image_id = ?1 AND policy_name = v.policy_name) "
          "ORDER BY v.policy_name")));
  st.BindInt(1, image_id);
  std::vector<PolicyVerdictRecord> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadVerdict(st));
  }
  return out;
}

absl::StatusOr<std::optional<PolicyVerdictRecord>> Store::PolicyVerdictOfEvent(
    int64_t event_seq) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kVerdictColumns,
                               " FROM policy_verdicts v LEFT JOIN images i "
                               "ON i.id = v.image_id WHERE v.event_seq = ?")));
  st.BindInt(1, event_seq);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<PolicyVerdictRecord>();
  return std::optional<PolicyVerdictRecord>(ReadVerdict(st));
}

absl::StatusOr<int64_t> Store::PolicyCursor() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT value FROM log_state WHERE key = 'policy_cursor'"));
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

}  // namespace dci
