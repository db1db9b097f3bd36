// The image database: layers (indexed once, by diff_id), images as stacks
// of layer references, tags and their history, and the event log. One
// SQLite file in WAL mode.
//
// Thread-safe. Writes go through one writer connection, serialised by a
// mutex; each image is committed in one transaction, so a failed or killed
// index leaves nothing behind (PRODUCT.md principle 6). Reads take a
// connection of their own from a small pool and never wait for a writer.
//
//   DCI_ASSIGN_OR_RETURN(auto store, Store::Open("/var/lib/dci/dci.db"));
//   DCI_ASSIGN_OR_RETURN(ImageRecord img, store->FindImage("debian:12"));
#ifndef DCI_STORE_STORE_H_
#define DCI_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/database.h"
#include "store/event.h"
#include "base/content_hash.h"
#include "indexer/packages/package.h"
#include "store/layer_entry.h"

namespace dci {

struct ImageLayer {
  int position = 0;  // 0 = bottom
  int64_t layer_id = 0;
  std::string diff_id;
  std::string blob_digest;
  std::string media_type;
  int64_t blob_size = 0;
  int64_t size = 0;  // uncompressed
  int64_t entry_count = 0;
  int history_index = -1;  // config history step that made it, -1 if none
};

struct TagRef {
  std::string name;  // "docker.io/library/debian", "myapp"
  std::string tag;   // "12", "latest"
  std::string ToString() const { return name + ":" + tag; }
};

struct ImageRecord {
  int64_t id = 0;
  std::string manifest_digest;
  std::string manifest_media_type;
  bool manifest_synthesized = false;
  std::string manifest_json;
  std::string config_digest;
  std::string config_media_type;
  std::string config_json;
  std::string os, architecture, variant, created;
  std::string index_digest;
  std::string source;
  int64_t indexed_at = 0;
  std::vector<std::string> warnings;
  std::vector<ImageLayer> layers;  // bottom first
  std::vector<TagRef> tags;        // current tags pointing here
};

// A package database file a layer writes, parsed.
struct LayerPackageDb {
  std::string db_path;
  Ecosystem ecosystem = Ecosystem::kDeb;
  ContentHash db_hash{};
  PackageScan scan;
};

// A layer read by the indexer, not yet in the database.
struct NewLayer {
  std::string diff_id;
  int64_t size = 0;
  int64_t tar_headers = 0;
  std::vector<LayerEntry> entries;  // sorted by path, one per path
  std::vector<std::string> warnings;
  std::vector<LayerPackageDb> package_dbs;
  std::map<ContentHash, std::string> contents;  // text kept by hash
  // etc/shadow reduced to password states, by the file's content hash.
  std::map<ContentHash, std::string> shadow_states;
};

// A package database visible in an image, or a version of one in a layer.
struct PackageDbRef {
  std::string db_path;
  int64_t set_id = 0;
  int layer_position = 0;
};

// A layer entry found by path or content hash.
struct EntryHit {
  int64_t layer_id = 0;
  LayerEntry entry;
};

// What CommitImage did.
struct CommitResult {
  int64_t image_id = 0;
  bool image_existed = false;  // the manifest digest was already indexed
  int layers_new = 0;
  int layers_known = 0;
  struct TagChange {
    TagRef tag;
    int64_t old_image_id = 0;  // 0: the tag is new
  };
  std::vector<TagChange> tag_changes;  // tags created or moved
  std::vector<EventRecord> events;     // written by this commit, in order
};

// One row of a tag's timeline: the tag pointed at `image_id` from
// first_seen to last_seen (unix seconds).
// A registry repository dcid polls (migrations/0004_registry_watches.sql).
struct RegistryWatch {
  int64_t id = 0;
  std::string repository;  // HOST[:PORT]/REPO
  std::string tag_glob = "*";
  int64_t interval_s = 60;
  std::string platform;
  bool skip_tls_verify = false;
  std::string cert_dir;
  std::string authfile;
  int64_t added_at_us = 0;
  int64_t last_poll_us = 0;  // 0: not polled yet
  std::string last_error;    // of the last poll; "" when it went well
};

struct TagHistoryEntry {
  int64_t image_id = 0;
  std::string image_digest;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  bool current = false;  // the tag points here now
};

// A stored container drift snapshot (dci drift --name; migrations/
// 0005_container_drift.sql): the drift summary of a named container
// against its image at one moment.
struct ContainerSnapshot {
  int64_t id = 0;
  std::string name;
  int64_t image_id = 0;
  std::string image_digest;  // filled when read
  std::string source;
  int64_t taken_at_us = 0;
  int64_t event_seq = 0;
  int files_added = 0;
  int files_removed = 0;
  int files_changed = 0;
  int configs_changed = 0;
  int modified_files = 0;
  std::vector<std::string> packages_added, packages_removed;
  std::vector<std::string> packages_upgraded, packages_downgraded;
  std::vector<std::string> metadata_changed;
  // "A path", "R path", "C path" per drifted path (added, removed,
  // changed), sorted by path.
  std::vector<std::string> changes;
};

// A policy bound on the server (migrations/0006_policies.sql): its YAML
// text and the images it applies to.
struct StoredPolicy {
  int64_t id = 0;
  std::string name;
  std::string yaml;
  std::string images_glob = "*";  // fnmatch(3) over NAME:TAG or the digest
  int64_t added_at_us = 0;
  int64_t bound_seq = 0;  // PutPolicy: its POLICY_BOUND event
};

// One verdict a bound policy gave an image. `result` is the evaluation as
// policy/result_json.h writes it; the store keeps it as text.
struct PolicyVerdictRecord {
  int64_t id = 0;
  int64_t image_id = 0;
  std::string image_digest;  // filled when read
  std::string policy_name;
  std::string verdict;  // "pass", "warn", "deny"
  int64_t evaluated_at_us = 0;
  int64_t trigger_seq = 0;  // the event that asked for it
  std::string name, tag;    // the tag it was evaluated for ("" if none)
  int64_t event_seq = 0;    // its POLICY_VIOLATION event (0: none)
  std::string result;
};

// Called after every commit that wrote events, with those events in
// sequence order, while the writer lock is held: observers see commits in
// sequence order, one at a time. Must not call the store's write methods.
using CommitObserver = std::function<void(const std::vector<EventRecord>&)>;

class Store {
 public:
  // Opens or creates the database and applies pending migrations.
  // FailedPrecondition for a database newer than this binary.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  int schema_version() const { return schema_version_; }

  // For each diff_id, whether the layer is already indexed.
  absl::StatusOr<std::vector<bool>> HasLayers(
      const std::vector<std::string>& diff_ids);
  // The diff_id of the layer whose compressed blob has `digest`, or "".
  absl::StatusOr<std::string> LayerForBlob(const std::string& digest);

  // Records `image` (its `layers` give, bottom first, the diff_id, blob
  // digest, media type, blob size and history index of each), the layers of
  // `new_layers` not yet present, and points `tags` at it, with events, in
  // one transaction. Every layer must be in the database or in
  // `new_layers`. Re-committing a known manifest digest only updates tags.
  absl::StatusOr<CommitResult> CommitImage(const ImageRecord& image,
                                           const std::vector<NewLayer>& new_layers,
                                           const std::vector<TagRef>& tags);

  // Removes NAME:TAG (the image stays), with a TAG_REMOVED event.
  // NotFound if the tag does not exist.
  absl::StatusOr<EventRecord> RemoveTag(const TagRef& tag);

  // Registry watches (store/registry_watches.cc). Adding a repository
  // already watched replaces its settings and makes it due now.
  absl::StatusOr<RegistryWatch> PutRegistryWatch(const RegistryWatch& watch);
  absl::StatusOr<std::vector<RegistryWatch>> RegistryWatches();
  // NotFound when the repository is not watched.
  absl::Status RemoveRegistryWatch(const std::string& repository);
  absl::Status RecordRegistryPoll(int64_t id, int64_t at_us,
                                  const std::string& error);

  // Container drift snapshots (store/container_snapshots.cc). Records one
  // with its CONTAINER_DRIFT event in one transaction and returns it with
  // id, time and event_seq set. InvalidArgument without a name; NotFound
  // for an unknown image.
  absl::StatusOr<ContainerSnapshot> RecordContainerSnapshot(
      const ContainerSnapshot& snapshot);
  // A container's snapshots, oldest first (empty when none).
  absl::StatusOr<std::vector<ContainerSnapshot>> ContainerSnapshots(
      const std::string& name);
  // The snapshot a CONTAINER_DRIFT event reports, if any.
  absl::StatusOr<std::optional<ContainerSnapshot>> ContainerSnapshotOfEvent(
      int64_t event_seq);

  // Policies (store/policies.cc). Putting a name that exists replaces its
  // text and glob. Writes a POLICY_BOUND event in the same transaction.
  absl::StatusOr<StoredPolicy> PutPolicy(const StoredPolicy& policy);
  // How many verdicts of each kind ("pass", "warn", "deny") the event
  // `trigger_seq` led to.
  absl::StatusOr<std::map<std::string, int>> VerdictCountsOf(int64_t trigger_seq);
  absl::StatusOr<std::vector<StoredPolicy>> Policies();  // by name
  // NotFound when no policy has that name.
  absl::StatusOr<StoredPolicy> GetPolicy(const std::string& name);
  absl::Status RemovePolicy(const std::string& name);
  // Appends `verdicts` (their ids, times and event_seq are set), each warn
  // or deny one with a POLICY_VIOLATION event, and moves the policy cursor
  // to `cursor` (when > 0), in one transaction: a POLICY_VIOLATION event
  // exists if and only if its verdict was committed.
  absl::StatusOr<std::vector<PolicyVerdictRecord>> RecordPolicyVerdicts(
      const std::vector<PolicyVerdictRecord>& verdicts, int64_t cursor);
  // The latest verdict of each policy for an image, by policy name.
  absl::StatusOr<std::vector<PolicyVerdictRecord>> PolicyVerdicts(
      int64_t image_id);
  // The verdict a POLICY_VIOLATION event reports, if any.
  absl::StatusOr<std::optional<PolicyVerdictRecord>> PolicyVerdictOfEvent(
      int64_t event_seq);
  // How far the policy enforcer has read the event log.
  absl::StatusOr<int64_t> PolicyCursor();

  // Set once, before the store is shared between threads.
  void SetCommitObserver(CommitObserver observer);

  // Events with seq > `after`, ascending, at most `limit`.
  absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after,
                                                      int limit);
  // The highest sequence number written (0 for an empty log).
  absl::StatusOr<int64_t> HeadSeq();
  // The highest sequence number retention removed (0: none).
  absl::StatusOr<int64_t> PrunedThrough();
  // Deletes events committed before `before_us`; returns how many.
  absl::StatusOr<int64_t> PruneEvents(int64_t before_us);

  // Every image NAME:TAG has pointed at, oldest first.
  absl::StatusOr<std::vector<TagHistoryEntry>> TagHistory(const TagRef& tag);
  // The tags (current or past) of NAME, sorted.
  absl::StatusOr<std::vector<std::string>> TagsOfName(const std::string& name);

  // The package databases visible in an image's merged tree.
  absl::StatusOr<std::vector<PackageDbRef>> ImagePackageDbs(int64_t image_id);
  // Every version of a package database among an image's layers, bottom
  // first (for which layer introduced a package).
  absl::StatusOr<std::vector<PackageDbRef>> LayerPackageDbs(int64_t image_id);
  absl::StatusOr<std::vector<Package>> PackageSet(int64_t set_id);
  absl::StatusOr<std::vector<std::string>> PackageSetWarnings(int64_t set_id);
  // The package sets holding a package named `name` (or whose source
  // package is `name`), with its version: read from a covering index, so
  // a caller can filter versions before touching anything else. The
  // packages carry ecosystem, name, epoch, version, release, arch and
  // source name only.
  struct PackageVersion {
    int64_t set_id = 0;
    Package package;
  };
  // `match(ecosystem, full_version, arch)` decides which rows are kept; it
  // is called once per distinct version (index order keeps them adjacent),
  // with views valid only during the call.
  using VersionMatch = std::function<bool(Ecosystem, absl::string_view full_version,
                                          absl::string_view arch)>;
  // With `ranges`, only the rows of those ecosystems whose version sort key
  // (indexer/packages/version_key.h) lies within the range's bounds, and
  // their rows without a key, are read; `match` still judges each. Without
  // (nullptr), every row of the name is.
  struct VersionKeyRange {
    Ecosystem ecosystem = Ecosystem::kDeb;
    std::optional<std::string> low;   // inclusive; none: from the lowest
    std::optional<std::string> high;  // inclusive; none: to the highest
  };
  absl::StatusOr<std::vector<PackageVersion>> PackageVersions(
      const std::string& name, bool by_source,
      const std::vector<VersionKeyRange>* ranges, const VersionMatch& match);
  // The images whose merged tree shows a package set, and where.
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> ImagesShowingSet(
      int64_t set_id);
  // The password states kept for an etc/shadow content hash, if any.
  absl::StatusOr<std::optional<std::string>> ShadowStates(const ContentHash& hash);
  // Text contents kept for a content hash, if any.
  absl::StatusOr<std::optional<std::string>> Content(const ContentHash& hash);
  // Layer entries at `path`, or whose content has `hash`.
  absl::StatusOr<std::vector<EntryHit>> EntriesWithPath(const std::string& path);
  absl::StatusOr<std::vector<EntryHit>> EntriesWithHash(const ContentHash& hash);
  // Images that use a layer.
  absl::StatusOr<std::vector<int64_t>> ImagesWithLayer(int64_t layer_id);

  // Newest first.
  absl::StatusOr<std::vector<ImageRecord>> ListImages();
  // `ref` is NAME:TAG, a manifest digest, or a unique prefix of one
  // ("sha256:ab12", "ab12"). NotFound, or InvalidArgument when ambiguous.
  absl::StatusOr<ImageRecord> FindImage(const std::string& ref);
  absl::StatusOr<ImageRecord> GetImage(int64_t image_id);

  // All entries of a layer, sorted by path.
  absl::StatusOr<std::vector<LayerEntry>> LayerEntries(int64_t layer_id);
  // The same entries with only what file filters test (path, type, flags,
  // mode, uid, gid, content hash); size, mtime, link target and device are
  // left zero. One scan of the layer's primary-key range, no sort in SQL.
  absl::StatusOr<std::vector<LayerEntry>> LayerEntryAttributes(int64_t layer_id);
  // For each of `layer_ids` (in that order), its entries at any of `paths`,
  // sorted by path. One index probe per path.
  absl::StatusOr<std::vector<std::vector<LayerEntry>>> LayerEntriesAt(
      const std::vector<int64_t>& layer_ids,
      const std::vector<std::string>& paths);
  // For each of `layer_ids`, its entries strictly under directory `dir`,
  // sorted by path (a range scan on the interned paths).
  absl::StatusOr<std::vector<std::vector<LayerEntry>>> LayerEntriesUnder(
      const std::vector<int64_t>& layer_ids, const std::string& dir);

 private:
  class ReaderLease;
  Store(std::string path, std::unique_ptr<Database> writer, int version);
  absl::StatusOr<ReaderLease> Reader();
  absl::StatusOr<std::vector<ImageRecord>> LoadImages(Database& db,
                                                      const std::string& where,
                                                      const std::string& arg);

  const std::string path_;
  CommitObserver observer_;
  const int schema_version_;
  absl::Mutex write_mu_;
  std::unique_ptr<Database> writer_ ABSL_GUARDED_BY(write_mu_);
  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<Database>> readers_ ABSL_GUARDED_BY(pool_mu_);
};

// A reader connection borrowed from the store's pool, returned on
// destruction.
class Store::ReaderLease {
 public:
  ReaderLease(Store* store, std::unique_ptr<Database> db)
      : store_(store), db_(std::move(db)) {}
  ReaderLease(ReaderLease&&) = default;
  ~ReaderLease() {
    if (db_ == nullptr) return;
    absl::MutexLock lock(&store_->pool_mu_);
    if (store_->readers_.size() < 8) store_->readers_.push_back(std::move(db_));
  }
  Database& operator*() { return *db_; }
  Database* operator->() { return db_.get(); }

 private:
  Store* store_;
  std::unique_ptr<Database> db_;
};

}  // namespace dci

#endif  // DCI_STORE_STORE_H_
