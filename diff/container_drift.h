// Container drift: what changed inside a running container compared with
// the image it started from (PRODUCT.md, "What changed in this running
// container compared with the image it started from?").
//
// Design note. A container's root is its image plus one more layer: what
// the container wrote. overlay:UPPERDIR gives that layer directly
// (overlayfs whiteouts mapped to OCI ones, indexer/rootfs/dir_walker.h);
// dir: and tar: give the whole tree, which is compared path by path with
// the image's merged tree. Either way the report has the sections of
// `dci diff` (diff/diff.h): files with what changed, packages, config
// files with line diffs, users and groups, services, OS release, computed
// from the container's own package databases and text, plus what only a
// live root can show: packaged files modified in place (content no longer
// matching the digest the package database recorded, as `dpkg -V` /
// `rpm -V` / `apk audit` say: dpkg md5sums and conffiles, every file rpm -V
// hashes, apk Z: checksums), hashed with the package manager's algorithm
// for the candidate files only: those whose content differs from the
// image's, and those whose content could not be read.
//
// Rules (tests/rootfs and tests/integration/drift_e2e_test.cc check them):
//  1. Ignored paths (indexer/rootfs/ignore_rules.h) are left out on both
//     sides.
//  2. Hardlinks compare as the files they are (the first name of an inode
//     on disk need not be the one the image's tar chose); mtime is ignored,
//     as in `dci diff`.
//  3. A file whose content could not be read is compared by metadata only
//     and named in a warning.
//  4. Nothing is stored here; the caller decides (Store::RecordContainerSnapshot
//     with --name).
#ifndef DCI_DIFF_CONTAINER_DRIFT_H_
#define DCI_DIFF_CONTAINER_DRIFT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "diff/diff.h"
#include "indexer/layer_reader.h"
#include "indexer/rootfs/root_source.h"
#include "store/store.h"

namespace dci {

// A file a package owns whose bytes no longer match its database's digest.
struct ModifiedPackagedFile {
  std::string path;
  std::string ecosystem;  // deb, rpm, apk
  std::string package;
  std::string algorithm;  // md5 (dpkg), sha256 / md5 (rpm, as recorded),
                          // sha1 (apk)
  std::string expected;   // as the package database recorded it
  std::string actual;
  bool config = false;    // a dpkg conffile or rpm %config
};

struct ContainerDriftOptions {
  DiffSections sections;
  std::vector<std::string> ignore;  // --ignore GLOB, on top of the defaults
  bool default_ignores = true;      // false: --no-default-ignores
  bool cross_filesystems = false;
  LayerLimits limits;
};

struct ContainerDrift {
  // Side A is the image, side B the container (its nodes carry layer =
  // the image's layer count: "the container's layer").
  ImageDiff diff;
  std::vector<ModifiedPackagedFile> modified_files;  // by path
  std::vector<std::string> warnings;
  std::vector<std::string> ignored;  // the rules applied
  int64_t entries_scanned = 0;       // entries the source gave
  int64_t bytes_hashed = 0;
};

absl::StatusOr<ContainerDrift> DiffContainer(Store& store,
                                             const ImageRecord& image,
                                             RootSource& source,
                                             const ContainerDriftOptions& options);

}  // namespace dci

#endif  // DCI_DIFF_CONTAINER_DRIFT_H_
