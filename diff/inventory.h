// What is installed and configured in an indexed image, derived from the
// store: packages (with the layer that introduced each and the state of
// their config files), OS release, users and groups, enabled services.
// Nothing here is stored per image: it derives from the merged tree, the
// parsed package databases and the kept text contents.
#ifndef DCI_DIFF_INVENTORY_H_
#define DCI_DIFF_INVENTORY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "indexer/packages/package.h"
#include "indexer/system/os_release.h"
#include "indexer/system/services.h"
#include "indexer/system/users.h"
#include "store/merged_tree.h"
#include "store/store.h"

namespace dci {

// A packaged config file against the digest its package recorded: what
// `dpkg -V` / `rpm -V` say for config files.
struct ConfigFileState {
  enum State { kUnmodified, kModified, kMissing, kUnknown };
  std::string path;
  State state = kUnknown;  // kUnknown: content not kept (binary, too big)
};
absl::string_view ConfigStateName(ConfigFileState::State s);

struct ImagePackage {
  Package package;
  std::string db_path;
  int layer = -1;          // position of the layer that introduced it
  int history_index = -1;  // that layer's history step
  std::vector<ConfigFileState> configs;
};

struct ImageInventory {
  std::vector<ImagePackage> packages;  // by ecosystem, name, arch
  std::vector<std::string> warnings;   // from the package databases
  std::string os_release_path;         // "" when there is none
  OsRelease os_release;
  PasswdFile users;
  GroupFile groups;
  ServiceScan services;
};

// `with_files`: attach each dpkg package's files from its .list file (rpm
// and apk databases carry theirs).
absl::StatusOr<ImageInventory> LoadInventory(Store& store,
                                             const ImageRecord& image,
                                             const MergedTree& tree,
                                             bool with_files);

// The packages of an image without its tree (no config states, no dpkg
// files): what drift and who-has need.
absl::StatusOr<std::vector<ImagePackage>> LoadPackages(Store& store,
                                                       const ImageRecord& image);

// Where a path, or a file content, is in indexed images: for every image,
// the layer entry its merged tree shows (hidden and whited-out entries are
// not reported).
struct FileHit {
  int64_t image_id = 0;
  int layer = 0;  // position in that image
  LayerEntry entry;
};
absl::StatusOr<std::vector<FileHit>> FindByPath(Store& store,
                                                const std::string& path);
absl::StatusOr<std::vector<FileHit>> FindByHash(Store& store,
                                                const ContentHash& hash);

// Compares full versions by the ecosystem's own order (dpkg, rpmvercmp,
// apk-tools): <0, 0, >0.
int CompareVersions(Ecosystem e, absl::string_view a, absl::string_view b);

}  // namespace dci

#endif  // DCI_DIFF_INVENTORY_H_
