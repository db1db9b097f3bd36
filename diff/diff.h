// Drift between two indexed images: files, and every metadata field of
// PRODUCT.md's "Image" list.
//
// Design note (PRODUCT.md principle 3, "Drift costs what changed"). Two
// images that share their bottom k layers can differ only at paths their
// other layers touch: the entries of those upper layers, and the subtrees
// they hide (whiteouts, opaque directories, non-directories replacing
// directories). The state of a path depends only on entries at the path
// and its ancestors (store/merged_tree.h invariant 5), so:
//   1. load the upper layers of both images whole (they are small);
//   2. touched set S = their paths, plus the shared layers' paths under
//      every hiding entry (one range scan each);
//   3. load the shared layers' entries at S and the ancestors of S (one
//      index probe per path);
//   4. merge each image over those entries only, and compare at S.
// Cost grows with the upper layers and the subtrees they hide, never with
// the size of the shared base.
#ifndef DCI_DIFF_DIFF_H_
#define DCI_DIFF_DIFF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/merged_tree.h"
#include "store/store.h"

namespace dci {

enum class ChangeKind { kAdded, kRemoved, kChanged };

// What differs for a path present in both images (a bit set).
enum FileChangeBits : uint32_t {
  kChangedContent = 1 << 0,
  kChangedSize = 1 << 1,
  kChangedMode = 1 << 2,
  kChangedOwner = 1 << 3,  // uid or gid
  kChangedType = 1 << 4,
  kChangedLinkTarget = 1 << 5,
  kChangedDevice = 1 << 6,
};

struct FileChange {
  ChangeKind kind = ChangeKind::kChanged;
  std::string path;
  std::optional<TreeNode> before;  // in image A; absent when added
  std::optional<TreeNode> after;   // in image B; absent when removed
  uint32_t what = 0;               // FileChangeBits, for kChanged
};

// A change of one scalar metadata field ("user", "entrypoint", ...) or of
// one key of a map-like one (labels, env, exposed ports, volumes).
struct FieldChange {
  ChangeKind kind = ChangeKind::kChanged;
  std::string field;  // "user", "label", "env", "exposed_port", "volume"
  std::string key;    // the label / env name / port / volume; "" for scalars
  std::string before;
  std::string after;
};

struct HistoryChange {
  ChangeKind kind = ChangeKind::kAdded;  // added (in B) or removed (from A)
  int index = 0;                         // step index in its image
  std::string created_by;
  bool empty_layer = false;
};

struct PackageChange {
  // kAdded, kRemoved, or kChanged: an upgrade or downgrade (`upgrade`), or
  // the same version rebuilt (a different database entry, same version).
  ChangeKind kind = ChangeKind::kChanged;
  std::string ecosystem;  // deb, rpm, apk
  std::string name;
  std::string arch;
  std::string before;  // full version in A
  std::string after;   // full version in B
  int order = 0;       // CompareVersions(before, after): <0 upgrade
};

struct ConfigChange {
  ChangeKind kind = ChangeKind::kChanged;
  std::string path;
  std::string unified_diff;  // "" when a side's content was not kept
};

// A user or group added, removed or changed ("uid 1000 -> 1001, shell
// /bin/sh -> /bin/bash").
struct AccountChange {
  ChangeKind kind = ChangeKind::kChanged;
  std::string what;  // "user", "group"
  std::string name;
  std::string before;
  std::string after;
};

struct ServiceChange {
  ChangeKind kind = ChangeKind::kAdded;  // enabled (added) or disabled
  std::string unit;
  std::string target;
  std::string how;  // wants, requires, sysv
};

// Which sections of drift to compute and report.
struct DiffSections {
  bool files = true;
  bool packages = true;
  bool configs = true;
  bool metadata = true;  // image metadata, history, OS release
  bool users = true;
  bool services = true;
};

struct ImageDiff {
  std::vector<FileChange> files;  // sorted by path
  std::vector<FieldChange> metadata;
  std::vector<HistoryChange> history;  // after the common prefix of steps
  std::vector<PackageChange> packages;  // by ecosystem, name, arch
  std::vector<ConfigChange> configs;    // by path
  std::vector<AccountChange> accounts;
  std::vector<ServiceChange> services;
  int shared_layers = 0;               // bottom layers both images share
  int64_t paths_examined = 0;          // size of the touched set
};

// The counts and names a tag's timeline and TAG_MOVED events show.
struct DriftSummary {
  int files_added = 0;
  int files_removed = 0;
  int files_changed = 0;
  std::vector<std::string> metadata_changed;  // "user", "label:version", ...
  std::vector<std::string> packages_added;    // names
  std::vector<std::string> packages_removed;
  std::vector<std::string> packages_upgraded;
  std::vector<std::string> packages_downgraded;
  int configs_changed = 0;
};

DriftSummary Summarize(const ImageDiff& diff);

// Mode and time bits are compared; mtime is not (rebuilds touch it
// everywhere without changing anything a user cares about).
absl::StatusOr<ImageDiff> DiffImages(Store& store, const ImageRecord& a,
                                     const ImageRecord& b,
                                     const DiffSections& sections = {});

// What differs between two entries of one path (FileChangeBits). With
// `content_unknown`, the content hash is not compared (one side's bytes
// could not be read).
uint32_t CompareEntries(const LayerEntry& a, const LayerEntry& b,
                        bool content_unknown = false);

// The whole merged tree of `image` (every layer read from the store).
absl::StatusOr<MergedTree> LoadMergedTree(Store& store,
                                          const ImageRecord& image);

}  // namespace dci

#endif  // DCI_DIFF_DIFF_H_
