#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <ctime>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "indexer/packages/version_key.h"
#include "store/event_writer.h"
#include "store/merged_tree.h"
#include "store/migrations.h"
#include "base/path.h"

namespace dci {

namespace {

constexpr int kFlagOpaque = 1;
constexpr int kFlagImplicit = 2;

// The columns ReadEntry expects, in order; `p` is paths, `e` entries.
constexpr char kEntryColumns[] =
    "p.path, e.type, e.flags, e.mode, e.uid, e.gid, e.size, e.mtime, "
    "e.link_target, e.content_hash, e.device";

LayerEntry ReadEntry(const Statement& st, int first_col = 0) {
  LayerEntry e;
  int c = first_col;
  e.path = st.ColumnText(c++);
  e.type = static_cast<EntryType>(st.ColumnInt(c++));
  int flags = static_cast<int>(st.ColumnInt(c++));
  e.opaque = flags & kFlagOpaque;
  e.implicit = flags & kFlagImplicit;
  e.mode = static_cast<uint32_t>(st.ColumnInt(c++));
  e.uid = st.ColumnInt(c++);
  e.gid = st.ColumnInt(c++);
  e.size = st.ColumnInt(c++);
  e.mtime = st.ColumnInt(c++);
  e.link_target = st.ColumnText(c++);
  std::string hash = st.ColumnBlob(c++);
  if (hash.size() == e.content_hash.size()) {
    std::memcpy(e.content_hash.data(), hash.data(), hash.size());
  }
  int64_t dev = st.ColumnInt(c++);
  e.dev_major = static_cast<uint32_t>(dev >> 32);
  e.dev_minor = static_cast<uint32_t>(dev & 0xffffffff);
  return e;
}

bool HasContent(EntryType t) {
  return t == EntryType::kFile || t == EntryType::kHardlink;
}

bool HasLink(EntryType t) {
  return t == EntryType::kSymlink || t == EntryType::kHardlink;
}

std::vector<std::string> SplitLines(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, '\n');
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LayerIdList(const std::vector<int64_t>& ids) {
  return absl::StrJoin(ids, ",");
}

// Steps `st` (rows of "layer_id, kEntryColumns") to the end, appending each
// entry to the list of its layer.
absl::Status CollectByLayer(Statement& st, const std::vector<int64_t>& layer_ids,
                            std::vector<std::vector<LayerEntry>>& out) {
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::OkStatus();
    int64_t layer = st.ColumnInt(0);
    for (size_t i = 0; i < layer_ids.size(); ++i) {
      if (layer_ids[i] == layer) out[i].push_back(ReadEntry(st, 1));
    }
  }
}

// Store::LayerEntriesAt on a given connection (the writer's, inside a
// commit, sees the layers being added).
absl::StatusOr<std::vector<std::vector<LayerEntry>>> EntriesAtOn(
    Database& db, const std::vector<int64_t>& layer_ids,
    const std::vector<std::string>& paths) {
  std::vector<std::vector<LayerEntry>> out(layer_ids.size());
  if (layer_ids.empty() || paths.empty()) return out;
  // CROSS JOIN keeps SQLite's planner on this order: the path's unique
  // index, then one primary-key probe per layer; never a scan of a layer.
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare(absl::StrCat(
          "SELECT e.layer_id, ", kEntryColumns,
          " FROM paths p CROSS JOIN entries e WHERE p.path = ? AND "
          "e.path_id = p.id AND e.layer_id IN (",
          LayerIdList(layer_ids), ")")));
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const std::string& path : sorted) {
    st.Reset();
    st.BindText(1, path);
    DCI_RETURN_IF_ERROR(CollectByLayer(st, layer_ids, out));
  }
  return out;
}

}  // namespace

// A reader connection borrowed from the pool, returned on destruction.

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                       Database::Open(path, Database::kReadWrite));
  DCI_ASSIGN_OR_RETURN(int version, Migrate(*db, EmbeddedMigrations()));
  return std::unique_ptr<Store>(new Store(path, std::move(db), version));
}

Store::Store(std::string path, std::unique_ptr<Database> writer, int version)
    : path_(std::move(path)), schema_version_(version), writer_(std::move(writer)) {}

Store::~Store() = default;

absl::StatusOr<Store::ReaderLease> Store::Reader() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!readers_.empty()) {
      std::unique_ptr<Database> db = std::move(readers_.back());
      readers_.pop_back();
      return ReaderLease(this, std::move(db));
    }
  }
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                       Database::Open(path_, Database::kReadOnly));
  return ReaderLease(this, std::move(db));
}

absl::StatusOr<std::vector<bool>> Store::HasLayers(
    const std::vector<std::string>& diff_ids) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(Statement st,
                       db->Prepare("SELECT 1 FROM layers WHERE diff_id = ?"));
  std::vector<bool> out;
  for (const std::string& d : diff_ids) {
    st.Reset();
    st.BindText(1, d);
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    out.push_back(row);
  }
  return out;
}

absl::StatusOr<std::string> Store::LayerForBlob(const std::string& digest) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT l.diff_id FROM blobs b JOIN layers l ON "
                  "l.id = b.layer_id WHERE b.digest = ?"));
  st.BindText(1, digest);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnText(0) : std::string();
}

namespace {

// Writes one layer's entries. Paths are interned: looked up first, inserted
// when new.
absl::Status InsertLayerEntries(Database& db, int64_t layer_id,
                                const std::vector<LayerEntry>& entries) {
  DCI_ASSIGN_OR_RETURN(Statement find_path,
                       db.Prepare("SELECT id FROM paths WHERE path = ?"));
  DCI_ASSIGN_OR_RETURN(Statement add_path,
                       db.Prepare("INSERT INTO paths(path) VALUES (?)"));
  DCI_ASSIGN_OR_RETURN(
      Statement add_entry,
      db.Prepare("INSERT INTO entries(layer_id, path_id, type, flags, mode, "
                 "uid, gid, size, mtime, link_target, content_hash, device) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  for (const LayerEntry& e : entries) {
    find_path.Reset();
    find_path.BindText(1, e.path);
    DCI_ASSIGN_OR_RETURN(bool found, find_path.Step());
    int64_t path_id;
    if (found) {
      path_id = find_path.ColumnInt(0);
    } else {
      add_path.Reset();
      add_path.BindText(1, e.path);
      DCI_RETURN_IF_ERROR(add_path.Run());
      path_id = db.LastInsertRowId();
    }
    add_entry.Reset();
    add_entry.BindInt(1, layer_id);
    add_entry.BindInt(2, path_id);
    add_entry.BindInt(3, static_cast<int>(e.type));
    add_entry.BindInt(4, (e.opaque ? kFlagOpaque : 0) |
                             (e.implicit ? kFlagImplicit : 0));
    add_entry.BindInt(5, e.mode);
    add_entry.BindInt(6, e.uid);
    add_entry.BindInt(7, e.gid);
    add_entry.BindInt(8, e.size);
    add_entry.BindInt(9, e.mtime);
    if (HasLink(e.type)) add_entry.BindText(10, e.link_target);
    if (HasContent(e.type)) {
      add_entry.BindBlob(11, e.content_hash.data(), e.content_hash.size());
    }
    if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
      add_entry.BindInt(12, (static_cast<int64_t>(e.dev_major) << 32) |
                                e.dev_minor);
    }
    DCI_RETURN_IF_ERROR(Annotate(add_entry.Run(),
                                 absl::StrCat("entry \"", e.path, "\"")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ImageDigest(Database& db, int64_t image_id) {
  DCI_ASSIGN_OR_RETURN(
      Statement st, db.Prepare("SELECT manifest_digest FROM images WHERE id = ?"));
  st.BindInt(1, image_id);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnText(0) : std::string();
}

// Appends an event to the log and to `out`.
absl::Status AddEvent(Database& db, absl::string_view kind, int64_t image_id,
                      const TagRef* tag, int64_t old_image_id, int64_t now_us,
                      std::vector<EventRecord>& out) {
  EventRecord e;
  e.kind = std::string(kind);
  e.at_us = now_us;
  e.image_id = image_id;
  if (tag) {
    e.name = tag->name;
    e.tag = tag->tag;
  }
  e.old_image_id = old_image_id;
  DCI_ASSIGN_OR_RETURN(EventWriter writer, EventWriter::Make(db));
  DCI_RETURN_IF_ERROR(writer.Append(e));
  DCI_ASSIGN_OR_RETURN(e.image_digest, ImageDigest(db, image_id));
  if (old_image_id != 0) {
    DCI_ASSIGN_OR_RETURN(e.old_image_digest, ImageDigest(db, old_image_id));
  }
  out.push_back(std::move(e));
  return absl::OkStatus();
}

std::string ConfigFilesText(const std::vector<ConfigFile>& files) {
  std::string out;
  for (const ConfigFile& c : files) {
    absl::StrAppend(&out, c.path, "\t", c.algorithm, "\t", c.digest,
                    c.obsolete ? "\tobsolete" : "", "\n");
  }
  return out;
}

std::vector<ConfigFile> ParseConfigFilesText(const std::string& text) {
  std::vector<ConfigFile> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ConfigFile c;
    c.path = f.size() > 0 ? f[0] : "";
    c.algorithm = f.size() > 1 ? f[1] : "";
    c.digest = f.size() > 2 ? f[2] : "";
    c.obsolete = f.size() > 3 && f[3] == "obsolete";
    out.push_back(std::move(c));
  }
  return out;
}

// packages.file_digests (migrations/0007_package_file_digests.sql): per
// line of `files`, a length byte and the raw digest; the length names the
// algorithm. Raw bytes rather than hex halve what an rpm image's digests
// cost; a directory or symlink costs its one zero byte.
absl::string_view DigestAlgorithmOfLength(size_t n) {
  switch (n) {
    case 16: return "md5";
    case 20: return "sha1";
    case 28: return "sha224";
    case 32: return "sha256";
    case 48: return "sha384";
    case 64: return "sha512";
  }
  return "";
}

// "" when the package has no digests (dpkg), stored as NULL.
std::string FileDigestsBlob(const Package& p) {
  if (p.file_digests.empty()) return "";
  std::map<absl::string_view, const FileDigest*> by_path;
  for (const FileDigest& d : p.file_digests) {
    if (d.digest.size() % 2 != 0) continue;
    const std::string raw = absl::HexStringToBytes(d.digest);
    // Only digests the decoder can name again are kept.
    if (DigestAlgorithmOfLength(raw.size()) != d.algorithm) continue;
    by_path.emplace(d.path, &d);
  }
  if (by_path.empty()) return "";
  // `files` is stored newline-separated: a name holding a newline would
  // split in two when read back and shift every digest after it.
  for (const std::string& f : p.files) {
    if (f.find('\n') != std::string::npos) return "";
  }
  std::string out;
  for (const std::string& f : p.files) {
    auto it = by_path.find(f);
    if (it == by_path.end()) {
      out.push_back('\0');
      continue;
    }
    const std::string raw = absl::HexStringToBytes(it->second->digest);
    out.push_back(static_cast<char>(raw.size()));
    out += raw;
    by_path.erase(it);  // a path listed twice has one digest
  }
  return out;
}

// The inverse; a blob that does not fit the file list gives no digests.
std::vector<FileDigest> ParseFileDigestsBlob(const std::vector<std::string>& files,
                                             absl::string_view blob) {
  std::vector<FileDigest> out;
  size_t pos = 0;
  for (const std::string& f : files) {
    if (pos >= blob.size()) break;
    const size_t n = static_cast<unsigned char>(blob[pos++]);
    if (n == 0) continue;
    const absl::string_view algorithm = DigestAlgorithmOfLength(n);
    if (algorithm.empty() || blob.size() - pos < n) return {};
    out.push_back({f, std::string(algorithm),
                   absl::BytesToHexString(blob.substr(pos, n))});
    pos += n;
  }
  if (pos != blob.size()) return {};
  return out;
}

// The set for one database file's bytes: found, or parsed rows inserted.
absl::StatusOr<int64_t> PutPackageSet(Database& db, const LayerPackageDb& p) {
  const std::string eco(EcosystemName(p.ecosystem));
  DCI_ASSIGN_OR_RETURN(
      Statement find,
      db.Prepare("SELECT id FROM package_sets WHERE ecosystem = ? AND "
                 "db_hash = ?"));
  find.BindText(1, eco);
  find.BindBlob(2, p.db_hash.data(), p.db_hash.size());
  DCI_ASSIGN_OR_RETURN(bool found, find.Step());
  if (found) return find.ColumnInt(0);
  DCI_ASSIGN_OR_RETURN(
      Statement add_set,
      db.Prepare("INSERT INTO package_sets(ecosystem, db_hash, warnings) "
                 "VALUES (?,?,?)"));
  add_set.BindText(1, eco);
  add_set.BindBlob(2, p.db_hash.data(), p.db_hash.size());
  add_set.BindText(3, absl::StrJoin(p.scan.warnings, "\n"));
  DCI_RETURN_IF_ERROR(add_set.Run());
  const int64_t set_id = db.LastInsertRowId();
  DCI_ASSIGN_OR_RETURN(
      Statement add,
      db.Prepare("INSERT INTO packages(set_id, name, epoch, version, release, "
                 "arch, source_name, source_version, status, license, "
                 "maintainer, installed_size, files, config_files, ecosystem, "
                 "version_key, file_digests) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  for (const Package& k : p.scan.packages) {
    add.Reset();
    add.BindInt(1, set_id);
    add.BindText(2, k.name);
    add.BindText(3, k.epoch);
    add.BindText(4, k.version);
    add.BindText(5, k.release);
    add.BindText(6, k.arch);
    add.BindText(7, k.source_name);
    add.BindText(8, k.source_version);
    add.BindText(9, k.status);
    add.BindText(10, k.license);
    add.BindText(11, k.maintainer);
    add.BindInt(12, k.installed_size);
    add.BindText(13, absl::StrJoin(k.files, "\n"));
    add.BindText(14, ConfigFilesText(k.config_files));
    add.BindText(15, eco);
    if (std::optional<std::string> key =
            VersionSortKey(p.ecosystem, k.FullVersion())) {
      add.BindBlob(16, key->data(), key->size());
    } else {
      add.BindNull(16);
    }
    const std::string digests = FileDigestsBlob(k);
    if (digests.empty()) {
      add.BindNull(17);
    } else {
      add.BindBlob(17, digests.data(), digests.size());
    }
    DCI_RETURN_IF_ERROR(add.Run());
  }
  return set_id;
}

// Contents and package databases of a layer just inserted.
absl::Status InsertLayerInventory(Database& db, int64_t layer_id,
                                  const NewLayer& layer) {
  DCI_ASSIGN_OR_RETURN(
      Statement add_content,
      db.Prepare("INSERT INTO contents(hash, size, data) VALUES (?,?,?) "
                 "ON CONFLICT(hash) DO NOTHING"));
  for (const auto& [hash, data] : layer.contents) {
    add_content.Reset();
    add_content.BindBlob(1, hash.data(), hash.size());
    add_content.BindInt(2, static_cast<int64_t>(data.size()));
    add_content.BindBlob(3, data.data(), data.size());
    DCI_RETURN_IF_ERROR(add_content.Run());
  }
  DCI_ASSIGN_OR_RETURN(
      Statement add_shadow,
      db.Prepare("INSERT INTO shadow_states(hash, states) VALUES (?,?) "
                 "ON CONFLICT(hash) DO NOTHING"));
  for (const auto& [hash, states] : layer.shadow_states) {
    add_shadow.Reset();
    add_shadow.BindBlob(1, hash.data(), hash.size());
    add_shadow.BindText(2, states);
    DCI_RETURN_IF_ERROR(add_shadow.Run());
  }
  DCI_ASSIGN_OR_RETURN(
      Statement add_db,
      db.Prepare("INSERT INTO layer_package_dbs(layer_id, db_path, set_id) "
                 "VALUES (?,?,?)"));
  for (const LayerPackageDb& p : layer.package_dbs) {
    DCI_ASSIGN_OR_RETURN(int64_t set_id, PutPackageSet(db, p));
    add_db.Reset();
    add_db.BindInt(1, layer_id);
    add_db.BindText(2, p.db_path);
    add_db.BindInt(3, set_id);
    DCI_RETURN_IF_ERROR(add_db.Run());
  }
  return absl::OkStatus();
}

// For each package database path among the image's layers, the version
// its merged tree shows (the top-most layer's, unless a layer above hides
// it): store/merged_tree.h invariant 5 lets this merge only the entries at
// those paths and their ancestors.
absl::Status ComputeImagePackageSets(Database& db, int64_t image_id,
                                     const std::vector<int64_t>& layer_ids) {
  DCI_ASSIGN_OR_RETURN(
      Statement versions,
      db.Prepare("SELECT il.position, d.db_path, d.set_id FROM image_layers "
                 "il JOIN layer_package_dbs d ON d.layer_id = il.layer_id "
                 "WHERE il.image_id = ? ORDER BY il.position"));
  versions.BindInt(1, image_id);
  std::map<std::string, std::pair<int, int64_t>> top;  // path -> (pos, set)
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, versions.Step());
    if (!row) break;
    top[versions.ColumnText(1)] = {static_cast<int>(versions.ColumnInt(0)),
                                   versions.ColumnInt(2)};
  }
  if (top.empty()) return absl::OkStatus();
  std::vector<std::string> paths;
  for (const auto& [path, v] : top) {
    paths.push_back(path);
    for (absl::string_view d = ParentPath(path); !d.empty(); d = ParentPath(d)) {
      paths.emplace_back(d);
    }
  }
  DCI_ASSIGN_OR_RETURN(auto entries, EntriesAtOn(db, layer_ids, paths));
  MergedTree tree = MergeLayers(entries);
  DCI_ASSIGN_OR_RETURN(
      Statement add,
      db.Prepare("INSERT INTO image_package_sets(image_id, db_path, set_id, "
                 "layer_position) VALUES (?,?,?,?)"));
  for (const auto& [path, v] : top) {
    auto it = tree.find(path);
    if (it == tree.end() || it->second.layer != v.first) continue;  // hidden
    add.Reset();
    add.BindInt(1, image_id);
    add.BindText(2, path);
    add.BindInt(3, v.second);
    add.BindInt(4, v.first);
    DCI_RETURN_IF_ERROR(add.Run());
  }
  return absl::OkStatus();
}

absl::Status PointTag(Database& db, const TagRef& tag, int64_t image_id,
                      int64_t now_us, CommitResult& result) {
  const int64_t now = now_us / 1000000;
  DCI_ASSIGN_OR_RETURN(
      Statement find,
      db.Prepare("SELECT image_id FROM tags WHERE name = ? AND tag = ?"));
  find.BindText(1, tag.name);
  find.BindText(2, tag.tag);
  DCI_ASSIGN_OR_RETURN(bool found, find.Step());
  int64_t old = found ? find.ColumnInt(0) : 0;
  if (old == image_id) {
    DCI_ASSIGN_OR_RETURN(
        Statement touch,
        db.Prepare("UPDATE tag_history SET last_seen = ? WHERE id = (SELECT "
                   "MAX(id) FROM tag_history WHERE name = ? AND tag = ?)"));
    touch.BindInt(1, now);
    touch.BindText(2, tag.name);
    touch.BindText(3, tag.tag);
    DCI_RETURN_IF_ERROR(touch.Run());
    DCI_ASSIGN_OR_RETURN(
        Statement upd,
        db.Prepare("UPDATE tags SET updated_at = ? WHERE name = ? AND tag = ?"));
    upd.BindInt(1, now);
    upd.BindText(2, tag.name);
    upd.BindText(3, tag.tag);
    return upd.Run();
  }
  DCI_ASSIGN_OR_RETURN(
      Statement put,
      db.Prepare("INSERT INTO tags(name, tag, image_id, updated_at) VALUES "
                 "(?,?,?,?) ON CONFLICT(name, tag) DO UPDATE SET "
                 "image_id = excluded.image_id, updated_at = "
                 "excluded.updated_at"));
  put.BindText(1, tag.name);
  put.BindText(2, tag.tag);
  put.BindInt(3, image_id);
  put.BindInt(4, now);
  DCI_RETURN_IF_ERROR(put.Run());
  DCI_ASSIGN_OR_RETURN(
      Statement hist,
      db.Prepare("INSERT INTO tag_history(name, tag, image_id, first_seen, "
                 "last_seen) VALUES (?,?,?,?,?)"));
  hist.BindText(1, tag.name);
  hist.BindText(2, tag.tag);
  hist.BindInt(3, image_id);
  hist.BindInt(4, now);
  hist.BindInt(5, now);
  DCI_RETURN_IF_ERROR(hist.Run());
  DCI_RETURN_IF_ERROR(AddEvent(db, old ? kEventTagMoved : kEventTagCreated,
                               image_id, &tag, old, now_us, result.events));
  result.tag_changes.push_back({tag, old});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommitResult> Store::CommitImage(
    const ImageRecord& image, const std::vector<NewLayer>& new_layers,
    const std::vector<TagRef>& tags) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  Transaction txn(db);
  DCI_RETURN_IF_ERROR(txn.Begin());
  CommitResult result;
  const int64_t now_us = NowMicros();
  const int64_t now = now_us / 1000000;

  DCI_ASSIGN_OR_RETURN(
      Statement find_image,
      db.Prepare("SELECT id FROM images WHERE manifest_digest = ?"));
  find_image.BindText(1, image.manifest_digest);
  DCI_ASSIGN_OR_RETURN(bool image_found, find_image.Step());
  if (image_found) {
    result.image_existed = true;
    result.image_id = find_image.ColumnInt(0);
    result.layers_known = static_cast<int>(image.layers.size());
  } else {
    DCI_ASSIGN_OR_RETURN(
        Statement add_layer,
        db.Prepare("INSERT INTO layers(diff_id, size, entry_count, "
                   "tar_headers, indexed_at, warnings) VALUES (?,?,?,?,?,?) "
                   "ON CONFLICT(diff_id) DO NOTHING"));
    for (const NewLayer& layer : new_layers) {
      add_layer.Reset();
      add_layer.BindText(1, layer.diff_id);
      add_layer.BindInt(2, layer.size);
      add_layer.BindInt(3, static_cast<int64_t>(layer.entries.size()));
      add_layer.BindInt(4, layer.tar_headers);
      add_layer.BindInt(5, now);
      add_layer.BindText(6, absl::StrJoin(layer.warnings, "\n"));
      DCI_RETURN_IF_ERROR(add_layer.Run());
      if (sqlite3_changes(db.raw()) == 0) continue;  // indexed meanwhile
      ++result.layers_new;
      const int64_t layer_id = db.LastInsertRowId();
      DCI_RETURN_IF_ERROR(
          Annotate(InsertLayerEntries(db, layer_id, layer.entries),
                   absl::StrCat("layer ", layer.diff_id)));
      DCI_RETURN_IF_ERROR(
          Annotate(InsertLayerInventory(db, layer_id, layer),
                   absl::StrCat("layer ", layer.diff_id)));
    }
    result.layers_known =
        static_cast<int>(image.layers.size()) - result.layers_new;

    DCI_ASSIGN_OR_RETURN(
        Statement add_image,
        db.Prepare("INSERT INTO images(manifest_digest, manifest_media_type, "
                   "manifest_synthesized, manifest_json, config_digest, "
                   "config_media_type, config_json, os, architecture, "
                   "variant, created, index_digest, source, indexed_at, "
                   "warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    add_image.BindText(1, image.manifest_digest);
    add_image.BindText(2, image.manifest_media_type);
    add_image.BindInt(3, image.manifest_synthesized);
    add_image.BindText(4, image.manifest_json);
    add_image.BindText(5, image.config_digest);
    add_image.BindText(6, image.config_media_type);
    add_image.BindText(7, image.config_json);
    add_image.BindText(8, image.os);
    add_image.BindText(9, image.architecture);
    add_image.BindText(10, image.variant);
    add_image.BindText(11, image.created);
    add_image.BindText(12, image.index_digest);
    add_image.BindText(13, image.source);
    add_image.BindInt(14, now);
    add_image.BindText(15, absl::StrJoin(image.warnings, "\n"));
    DCI_RETURN_IF_ERROR(add_image.Run());
    result.image_id = db.LastInsertRowId();

    DCI_ASSIGN_OR_RETURN(Statement layer_id,
                         db.Prepare("SELECT id FROM layers WHERE diff_id = ?"));
    DCI_ASSIGN_OR_RETURN(
        Statement add_blob,
        db.Prepare("INSERT INTO blobs(digest, layer_id, media_type, size) "
                   "VALUES (?,?,?,?) ON CONFLICT(digest) DO NOTHING"));
    DCI_ASSIGN_OR_RETURN(
        Statement add_ref,
        db.Prepare("INSERT INTO image_layers(image_id, position, layer_id, "
                   "blob_digest, media_type, blob_size, history_index) "
                   "VALUES (?,?,?,?,?,?,?)"));
    std::vector<int64_t> layer_ids;
    for (size_t i = 0; i < image.layers.size(); ++i) {
      const ImageLayer& l = image.layers[i];
      layer_id.Reset();
      layer_id.BindText(1, l.diff_id);
      DCI_ASSIGN_OR_RETURN(bool found, layer_id.Step());
      if (!found) {
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", i, " (", l.diff_id, ") is neither indexed nor given"));
      }
      int64_t id = layer_id.ColumnInt(0);
      layer_ids.push_back(id);
      add_blob.Reset();
      add_blob.BindText(1, l.blob_digest);
      add_blob.BindInt(2, id);
      add_blob.BindText(3, l.media_type);
      add_blob.BindInt(4, l.blob_size);
      DCI_RETURN_IF_ERROR(add_blob.Run());
      add_ref.Reset();
      add_ref.BindInt(1, result.image_id);
      add_ref.BindInt(2, static_cast<int64_t>(i));
      add_ref.BindInt(3, id);
      add_ref.BindText(4, l.blob_digest);
      add_ref.BindText(5, l.media_type);
      add_ref.BindInt(6, l.blob_size);
      add_ref.BindInt(7, l.history_index);
      DCI_RETURN_IF_ERROR(add_ref.Run());
    }
    DCI_RETURN_IF_ERROR(
        ComputeImagePackageSets(db, result.image_id, layer_ids));
    DCI_RETURN_IF_ERROR(AddEvent(db, kEventImageIndexed, result.image_id,
                                 tags.empty() ? nullptr : &tags[0], 0, now_us,
                                 result.events));
  }
  for (const TagRef& tag : tags) {
    DCI_RETURN_IF_ERROR(PointTag(db, tag, result.image_id, now_us, result));
  }
  DCI_RETURN_IF_ERROR(txn.Commit());
  if (observer_ && !result.events.empty()) observer_(result.events);
  return result;
}

absl::StatusOr<std::vector<ImageRecord>> Store::LoadImages(
    Database& db, const std::string& where, const std::string& arg) {
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare(absl::StrCat(
          "SELECT id, manifest_digest, manifest_media_type, "
          "manifest_synthesized, manifest_json, config_digest, "
          "config_media_type, config_json, os, architecture, variant, "
          "created, index_digest, source, indexed_at, warnings FROM images ",
          where, " ORDER BY indexed_at DESC, id DESC")));
  if (!arg.empty()) st.BindText(1, arg);
  std::vector<ImageRecord> images;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ImageRecord r;
    r.id = st.ColumnInt(0);
    r.manifest_digest = st.ColumnText(1);
    r.manifest_media_type = st.ColumnText(2);
    r.manifest_synthesized = st.ColumnInt(3) != 0;
    r.manifest_json = st.ColumnText(4);
    r.config_digest = st.ColumnText(5);
    r.config_media_type = st.ColumnText(6);
    r.config_json = st.ColumnText(7);
    r.os = st.ColumnText(8);
    r.architecture = st.ColumnText(9);
    r.variant = st.ColumnText(10);
    r.created = st.ColumnText(11);
    r.index_digest = st.ColumnText(12);
    r.source = st.ColumnText(13);
    r.indexed_at = st.ColumnInt(14);
    r.warnings = SplitLines(st.ColumnText(15));
    images.push_back(std::move(r));
  }
  DCI_ASSIGN_OR_RETURN(
      Statement layers,
      db.Prepare("SELECT il.position, il.layer_id, l.diff_id, il.blob_digest, "
                 "il.media_type, il.blob_size, l.size, l.entry_count, "
                 "il.history_index FROM image_layers il JOIN layers l ON "
                 "l.id = il.layer_id WHERE il.image_id = ? ORDER BY "
                 "il.position"));
  DCI_ASSIGN_OR_RETURN(
      Statement tags,
      db.Prepare("SELECT name, tag FROM tags WHERE image_id = ? ORDER BY "
                 "name, tag"));
  for (ImageRecord& r : images) {
    layers.Reset();
    layers.BindInt(1, r.id);
    for (;;) {
      DCI_ASSIGN_OR_RETURN(bool row, layers.Step());
      if (!row) break;
      ImageLayer l;
      l.position = static_cast<int>(layers.ColumnInt(0));
      l.layer_id = layers.ColumnInt(1);
      l.diff_id = layers.ColumnText(2);
      l.blob_digest = layers.ColumnText(3);
      l.media_type = layers.ColumnText(4);
      l.blob_size = layers.ColumnInt(5);
      l.size = layers.ColumnInt(6);
      l.entry_count = layers.ColumnInt(7);
      l.history_index = static_cast<int>(layers.ColumnInt(8));
      r.layers.push_back(std::move(l));
    }
    tags.Reset();
    tags.BindInt(1, r.id);
    for (;;) {
      DCI_ASSIGN_OR_RETURN(bool row, tags.Step());
      if (!row) break;
      r.tags.push_back({tags.ColumnText(0), tags.ColumnText(1)});
    }
  }
  return images;
}

absl::StatusOr<std::vector<ImageRecord>> Store::ListImages() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  return LoadImages(*db, "", "");
}

absl::StatusOr<ImageRecord> Store::GetImage(int64_t image_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      std::vector<ImageRecord> found,
      LoadImages(*db, "WHERE id = ?1", absl::StrCat(image_id)));
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("no image with id ", image_id));
  }
  return std::move(found[0]);
}

absl::StatusOr<ImageRecord> Store::FindImage(const std::string& ref) {
  if (ref.empty()) return absl::InvalidArgumentError("empty image reference");
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  // NAME:TAG (a ':' whose right side has no '/': "host:5000/repo" is a
  // name without a tag).
  if (!absl::StartsWith(ref, "sha256:")) {
    size_t colon = ref.rfind(':');
    TagRef tag;
    if (colon != std::string::npos &&
        ref.find('/', colon) == std::string::npos) {
      tag = {ref.substr(0, colon), ref.substr(colon + 1)};
    } else {
      tag = {ref, "latest"};
    }
    DCI_ASSIGN_OR_RETURN(
        Statement st,
        db->Prepare("SELECT image_id FROM tags WHERE name = ? AND tag = ?"));
    st.BindText(1, tag.name);
    st.BindText(2, tag.tag);
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      DCI_ASSIGN_OR_RETURN(
          std::vector<ImageRecord> found,
          LoadImages(*db, "WHERE id = ?1", absl::StrCat(st.ColumnInt(0))));
      if (!found.empty()) return std::move(found[0]);
    }
  }
  // A manifest digest or a unique prefix of one.
  std::string prefix =
      absl::StartsWith(ref, "sha256:") ? ref : absl::StrCat("sha256:", ref);
  bool hex = prefix.size() > 7;
  for (char c : prefix.substr(7)) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) hex = false;
  }
  if (hex) {
    prefix = absl::AsciiStrToLower(prefix);
    DCI_ASSIGN_OR_RETURN(
        std::vector<ImageRecord> found,
        LoadImages(*db,
                   "WHERE manifest_digest >= ?1 AND manifest_digest < ?1 || "
                   "'g'",
                   prefix));
    if (found.size() == 1) return std::move(found[0]);
    if (found.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", ref, "\" matches ", found.size(),
                       " images: give more digits"));
    }
  }
  return absl::NotFoundError(absl::StrCat("no image \"", ref, "\""));
}

absl::StatusOr<std::vector<LayerEntry>> Store::LayerEntries(int64_t layer_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kEntryColumns,
                               " FROM entries e JOIN paths p ON p.id = "
                               "e.path_id WHERE e.layer_id = ? ORDER BY "
                               "p.path")));
  st.BindInt(1, layer_id);
  std::vector<LayerEntry> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadEntry(st));
  }
  return out;
}

absl::StatusOr<std::vector<LayerEntry>> Store::LayerEntryAttributes(int64_t layer_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  // The entries' primary key (layer_id, path_id) gives the layer as one
  // range; one probe of paths' rowid per entry. Sorting here is cheaper
  // than SQLite's sorter, and the rows often come in path order already.
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT p.path, e.type, e.flags, e.mode, e.uid, e.gid, e.content_hash "
                  "FROM entries e JOIN paths p ON p.id = e.path_id WHERE e.layer_id = ?"));
  st.BindInt(1, layer_id);
  std::vector<LayerEntry> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    LayerEntry& e = out.emplace_back();
    absl::string_view path = st.ColumnView(0);
    e.path.assign(path.data(), path.size());
    e.type = static_cast<EntryType>(st.ColumnInt(1));
    const int flags = static_cast<int>(st.ColumnInt(2));
    e.opaque = flags & kFlagOpaque;
    e.implicit = flags & kFlagImplicit;
    e.mode = static_cast<uint32_t>(st.ColumnInt(3));
    e.uid = st.ColumnInt(4);
    e.gid = st.ColumnInt(5);
    absl::string_view hash = st.ColumnBlobView(6);
    if (hash.size() == e.content_hash.size()) {
      std::memcpy(e.content_hash.data(), hash.data(), hash.size());
    }
  }
  auto by_path = [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; };
  if (!std::is_sorted(out.begin(), out.end(), by_path)) {
    std::sort(out.begin(), out.end(), by_path);
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<LayerEntry>>> Store::LayerEntriesAt(
    const std::vector<int64_t>& layer_ids,
    const std::vector<std::string>& paths) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  return EntriesAtOn(*db, layer_ids, paths);
}

absl::StatusOr<std::vector<std::vector<LayerEntry>>> Store::LayerEntriesUnder(
    const std::vector<int64_t>& layer_ids, const std::string& dir) {
  std::vector<std::vector<LayerEntry>> out(layer_ids.size());
  if (layer_ids.empty()) return out;
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  // Everything under "a/b" sorts in ["a/b/", "a/b0"): '0' follows '/'.
  // CROSS JOIN: range scan on the paths index, then primary-key probes.
  std::string lo = dir.empty() ? "" : dir + "/";
  std::string hi = dir.empty() ? "\x7f\xff" : dir + "0";
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat(
          "SELECT e.layer_id, ", kEntryColumns,
          " FROM paths p CROSS JOIN entries e WHERE p.path >= ? AND "
          "p.path < ? AND e.path_id = p.id AND e.layer_id IN (",
          LayerIdList(layer_ids), ") ORDER BY p.path")));
  st.BindText(1, lo);
  st.BindText(2, hi);
  DCI_RETURN_IF_ERROR(CollectByLayer(st, layer_ids, out));
  return out;
}

void Store::SetCommitObserver(CommitObserver observer) {
  absl::MutexLock lock(&write_mu_);
  observer_ = std::move(observer);
}

absl::StatusOr<EventRecord> Store::RemoveTag(const TagRef& tag) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  Transaction txn(db);
  DCI_RETURN_IF_ERROR(txn.Begin());
  DCI_ASSIGN_OR_RETURN(
      Statement find,
      db.Prepare("SELECT image_id FROM tags WHERE name = ? AND tag = ?"));
  find.BindText(1, tag.name);
  find.BindText(2, tag.tag);
  DCI_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no tag \"", tag.ToString(), "\""));
  }
  int64_t image_id = find.ColumnInt(0);
  DCI_ASSIGN_OR_RETURN(
      Statement del, db.Prepare("DELETE FROM tags WHERE name = ? AND tag = ?"));
  del.BindText(1, tag.name);
  del.BindText(2, tag.tag);
  DCI_RETURN_IF_ERROR(del.Run());
  std::vector<EventRecord> events;
  DCI_RETURN_IF_ERROR(AddEvent(db, kEventTagRemoved, image_id, &tag, 0,
                               NowMicros(), events));
  DCI_RETURN_IF_ERROR(txn.Commit());
  if (observer_) observer_(events);
  return events[0];
}

absl::StatusOr<std::vector<EventRecord>> Store::ReadEvents(int64_t after,
                                                           int limit) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT e.seq, e.kind, e.at_us, e.image_id, "
                  "COALESCE(i.manifest_digest, ''), e.name, e.tag, "
                  "COALESCE(e.old_image_id, 0), "
                  "COALESCE(o.manifest_digest, '') FROM events e "
                  "LEFT JOIN images i ON i.id = e.image_id "
                  "LEFT JOIN images o ON o.id = e.old_image_id "
                  "WHERE e.seq > ? ORDER BY e.seq LIMIT ?"));
  st.BindInt(1, after);
  st.BindInt(2, limit);
  std::vector<EventRecord> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    EventRecord e;
    e.seq = st.ColumnInt(0);
    e.kind = st.ColumnText(1);
    e.at_us = st.ColumnInt(2);
    e.image_id = st.ColumnInt(3);
    e.image_digest = st.ColumnText(4);
    e.name = st.ColumnText(5);
    e.tag = st.ColumnText(6);
    e.old_image_id = st.ColumnInt(7);
    e.old_image_digest = st.ColumnText(8);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> Store::HeadSeq() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  // AUTOINCREMENT keeps the highest sequence ever used in sqlite_sequence,
  // even when retention has emptied the table.
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0), "
                  "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = "
                  "'events'), 0))"));
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

absl::StatusOr<int64_t> Store::PrunedThrough() {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT value FROM log_state WHERE key = 'pruned_through'"));
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

absl::StatusOr<int64_t> Store::PruneEvents(int64_t before_us) {
  absl::MutexLock lock(&write_mu_);
  Database& db = *writer_;
  Transaction txn(db);
  DCI_RETURN_IF_ERROR(txn.Begin());
  DCI_ASSIGN_OR_RETURN(
      Statement last,
      db.Prepare("SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM events WHERE "
                 "at_us < ?"));
  last.BindInt(1, before_us);
  DCI_ASSIGN_OR_RETURN(bool row, last.Step());
  int64_t through = row ? last.ColumnInt(0) : 0;
  int64_t count = row ? last.ColumnInt(1) : 0;
  if (count == 0) return 0;
  // Sequence order is commit order, so everything up to `through` goes.
  DCI_ASSIGN_OR_RETURN(Statement del,
                       db.Prepare("DELETE FROM events WHERE seq <= ?"));
  del.BindInt(1, through);
  DCI_RETURN_IF_ERROR(del.Run());
  count = sqlite3_changes(db.raw());
  DCI_ASSIGN_OR_RETURN(
      Statement mark,
      db.Prepare("UPDATE log_state SET value = MAX(value, ?) WHERE key = "
                 "'pruned_through'"));
  mark.BindInt(1, through);
  DCI_RETURN_IF_ERROR(mark.Run());
  DCI_RETURN_IF_ERROR(txn.Commit());
  return count;
}

absl::StatusOr<std::vector<TagHistoryEntry>> Store::TagHistory(
    const TagRef& tag) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT h.image_id, i.manifest_digest, h.first_seen, "
                  "h.last_seen, (t.image_id IS NOT NULL AND h.id = (SELECT "
                  "MAX(id) FROM tag_history WHERE name = h.name AND tag = "
                  "h.tag)) FROM tag_history h JOIN images i ON i.id = "
                  "h.image_id LEFT JOIN tags t ON t.name = h.name AND t.tag = "
                  "h.tag AND t.image_id = h.image_id WHERE h.name = ? AND "
                  "h.tag = ? ORDER BY h.id"));
  st.BindText(1, tag.name);
  st.BindText(2, tag.tag);
  std::vector<TagHistoryEntry> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    TagHistoryEntry e;
    e.image_id = st.ColumnInt(0);
    e.image_digest = st.ColumnText(1);
    e.first_seen = st.ColumnInt(2);
    e.last_seen = st.ColumnInt(3);
    e.current = st.ColumnInt(4) != 0;
    out.push_back(std::move(e));
  }
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no history for \"", tag.ToString(), "\""));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Store::TagsOfName(
    const std::string& name) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT DISTINCT tag FROM tag_history WHERE name = ? ORDER "
                  "BY tag"));
  st.BindText(1, name);
  std::vector<std::string> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnText(0));
  }
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("no tags of \"", name, "\""));
  }
  return out;
}

namespace {

constexpr char kPackageColumns[] =
    "k.name, k.epoch, k.version, k.release, k.arch, k.source_name, "
    "k.source_version, k.status, k.license, k.maintainer, k.installed_size, "
    "k.files, k.config_files, s.ecosystem, k.file_digests";

Ecosystem EcosystemOf(absl::string_view name) {
  if (name == "rpm") return Ecosystem::kRpm;
  if (name == "apk") return Ecosystem::kApk;
  return Ecosystem::kDeb;
}

Package ReadPackage(const Statement& st, int c) {
  Package p;
  p.name = st.ColumnText(c++);
  p.epoch = st.ColumnText(c++);
  p.version = st.ColumnText(c++);
  p.release = st.ColumnText(c++);
  p.arch = st.ColumnText(c++);
  p.source_name = st.ColumnText(c++);
  p.source_version = st.ColumnText(c++);
  p.status = st.ColumnText(c++);
  p.license = st.ColumnText(c++);
  p.maintainer = st.ColumnText(c++);
  p.installed_size = st.ColumnInt(c++);
  std::string files = st.ColumnText(c++);
  if (!files.empty()) p.files = absl::StrSplit(files, '\n');
  p.config_files = ParseConfigFilesText(st.ColumnText(c++));
  p.ecosystem = EcosystemOf(st.ColumnView(c++));
  if (!st.ColumnIsNull(c)) {
    p.file_digests = ParseFileDigestsBlob(p.files, st.ColumnBlob(c));
  }
  ++c;
  return p;
}

absl::StatusOr<std::vector<PackageDbRef>> ReadDbRefs(Statement& st) {
  std::vector<PackageDbRef> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back({st.ColumnText(0), st.ColumnInt(1),
                   static_cast<int>(st.ColumnInt(2))});
  }
}

absl::StatusOr<std::vector<EntryHit>> ReadEntryHits(Statement& st) {
  std::vector<EntryHit> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back({st.ColumnInt(0), ReadEntry(st, 1)});
  }
}

}  // namespace

absl::StatusOr<std::vector<PackageDbRef>> Store::ImagePackageDbs(
    int64_t image_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT db_path, set_id, layer_position FROM "
                  "image_package_sets WHERE image_id = ? ORDER BY db_path"));
  st.BindInt(1, image_id);
  return ReadDbRefs(st);
}

absl::StatusOr<std::vector<PackageDbRef>> Store::LayerPackageDbs(
    int64_t image_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT d.db_path, d.set_id, il.position FROM image_layers "
                  "il JOIN layer_package_dbs d ON d.layer_id = il.layer_id "
                  "WHERE il.image_id = ? ORDER BY il.position, d.db_path"));
  st.BindInt(1, image_id);
  return ReadDbRefs(st);
}

absl::StatusOr<std::vector<Package>> Store::PackageSet(int64_t set_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT ", kPackageColumns,
                               " FROM packages k JOIN package_sets s ON s.id "
                               "= k.set_id WHERE k.set_id = ? ORDER BY k.id")));
  st.BindInt(1, set_id);
  std::vector<Package> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(ReadPackage(st, 0));
  }
}

absl::StatusOr<std::vector<std::string>> Store::PackageSetWarnings(
    int64_t set_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st, db->Prepare("SELECT warnings FROM package_sets WHERE id = ?"));
  st.BindInt(1, set_id);
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? SplitLines(st.ColumnText(0)) : std::vector<std::string>();
}

absl::StatusOr<std::vector<Store::PackageVersion>> Store::PackageVersions(
    const std::string& name, bool by_source,
    const std::vector<VersionKeyRange>* ranges, const VersionMatch& match) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  // Only columns of packages_by_name / packages_by_source: no table reads,
  // and no copies until a version matches.
  const std::string select = absl::StrCat(
      "SELECT ecosystem, epoch, version, release, arch, set_id, name, "
      "source_name FROM packages INDEXED BY ",
      by_source ? "packages_by_source WHERE source_name"
                : "packages_by_name WHERE name",
      " = ?1");
  std::vector<PackageVersion> out;
  std::string full, last_key, key;
  bool last_match = false;
  auto scan = [&](Statement& st) -> absl::Status {
    for (;;) {
      DCI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::OkStatus();
      key.clear();
      for (int c = 0; c < 5; ++c) absl::StrAppend(&key, st.ColumnView(c), "\t");
      const Ecosystem e = EcosystemOf(st.ColumnView(0));
      if (key != last_key) {
        absl::string_view epoch = st.ColumnView(1), version = st.ColumnView(2),
                          release = st.ColumnView(3);
        full.clear();
        if (e == Ecosystem::kApk) {
          full.append(version.data(), version.size());
        } else {
          if (!epoch.empty()) absl::StrAppend(&full, epoch, ":");
          absl::StrAppend(&full, version);
          if (!release.empty()) absl::StrAppend(&full, "-", release);
        }
        last_match = match(e, full, st.ColumnView(4));
        last_key = key;
      }
      if (!last_match) continue;
      PackageVersion v;
      v.set_id = st.ColumnInt(5);
      v.package.ecosystem = e;
      v.package.epoch = st.ColumnText(1);
      v.package.version = st.ColumnText(2);
      v.package.release = st.ColumnText(3);
      v.package.arch = st.ColumnText(4);
      v.package.name = st.ColumnText(6);
      v.package.source_name = st.ColumnText(7);
      out.push_back(std::move(v));
    }
  };
  if (ranges == nullptr) {
    DCI_ASSIGN_OR_RETURN(Statement st, db->Prepare(select));
    st.BindText(1, name);
    DCI_RETURN_IF_ERROR(scan(st));
    return out;
  }
  for (const VersionKeyRange& r : *ranges) {
    // The keyed rows within the range, in version order, then the rows
    // without a key, which only `match` can judge.
    // (Every key is >= the empty blob; NULL keys satisfy no comparison.)
    DCI_ASSIGN_OR_RETURN(
        Statement keyed,
        db->Prepare(absl::StrCat(select, " AND ecosystem = ?2 AND ",
                                 "version_key >= ?3",
                                 r.high ? " AND version_key <= ?4" : "")));
    keyed.BindText(1, name);
    keyed.BindText(2, EcosystemName(r.ecosystem));
    const std::string low = r.low.value_or(std::string());
    keyed.BindBlob(3, low.data(), low.size());
    if (r.high) keyed.BindBlob(4, r.high->data(), r.high->size());
    DCI_RETURN_IF_ERROR(scan(keyed));
    DCI_ASSIGN_OR_RETURN(
        Statement unkeyed,
        db->Prepare(absl::StrCat(select,
                                 " AND ecosystem = ?2 AND version_key IS NULL")));
    unkeyed.BindText(1, name);
    unkeyed.BindText(2, EcosystemName(r.ecosystem));
    DCI_RETURN_IF_ERROR(scan(unkeyed));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>>
Store::ImagesShowingSet(int64_t set_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT image_id, db_path FROM image_package_sets WHERE "
                  "set_id = ? ORDER BY image_id"));
  st.BindInt(1, set_id);
  std::vector<std::pair<int64_t, std::string>> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.emplace_back(st.ColumnInt(0), st.ColumnText(1));
  }
}

absl::StatusOr<std::optional<std::string>> Store::ShadowStates(
    const ContentHash& hash) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st, db->Prepare("SELECT states FROM shadow_states WHERE hash = ?"));
  st.BindBlob(1, hash.data(), hash.size());
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnText(0));
}

absl::StatusOr<std::optional<std::string>> Store::Content(
    const ContentHash& hash) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(Statement st,
                       db->Prepare("SELECT data FROM contents WHERE hash = ?"));
  st.BindBlob(1, hash.data(), hash.size());
  DCI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnBlob(0));
}

absl::StatusOr<std::vector<EntryHit>> Store::EntriesWithPath(
    const std::string& path) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT e.layer_id, ", kEntryColumns,
                               " FROM paths p CROSS JOIN entries e WHERE "
                               "p.path = ? AND e.path_id = p.id")));
  st.BindText(1, path);
  return ReadEntryHits(st);
}

absl::StatusOr<std::vector<EntryHit>> Store::EntriesWithHash(
    const ContentHash& hash) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare(absl::StrCat("SELECT e.layer_id, ", kEntryColumns,
                               " FROM entries e JOIN paths p ON p.id = "
                               "e.path_id WHERE e.content_hash = ?")));
  st.BindBlob(1, hash.data(), hash.size());
  return ReadEntryHits(st);
}

absl::StatusOr<std::vector<int64_t>> Store::ImagesWithLayer(int64_t layer_id) {
  DCI_ASSIGN_OR_RETURN(ReaderLease db, Reader());
  DCI_ASSIGN_OR_RETURN(
      Statement st,
      db->Prepare("SELECT DISTINCT image_id FROM image_layers WHERE layer_id "
                  "= ? ORDER BY image_id"));
  st.BindInt(1, layer_id);
  std::vector<int64_t> out;
  for (;;) {
    DCI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(st.ColumnInt(0));
  }
}

}  // namespace dci
