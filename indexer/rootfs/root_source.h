// Where a running container's files come from, for `dci drift`: the seam
// between dci and the host. Three sources, as PRODUCT.md names them:
//   dir:ROOT          a root filesystem as a directory (an overlay "merged"
//                     mount, /proc/PID/root, an unpacked root): the whole
//                     tree, walked without following any symlink below ROOT
//                     (dir_walker.h);
//   tar:FILE          a `docker export` / `podman export` tarball (plain,
//                     gzip or zstd): the whole tree (export_tar.h);
//   overlay:UPPERDIR  an overlayfs upper directory alone: only what the
//                     container wrote, with overlayfs' whiteouts mapped to
//                     OCI ones, to be applied on top of the image's layers.
//
//   DCI_ASSIGN_OR_RETURN(auto src, OpenRootSource("dir:/srv/c1/merged"));
//   RootReadOptions o;
//   o.ignore = IgnoreRules(DefaultIgnoreGlobs());
//   DCI_ASSIGN_OR_RETURN(RootSnapshot snap, src->Read(o));
//
// A source is used by one thread at a time.
#ifndef DCI_INDEXER_ROOTFS_ROOT_SOURCE_H_
#define DCI_INDEXER_ROOTFS_ROOT_SOURCE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/layer_reader.h"
#include "indexer/rootfs/ignore_rules.h"
#include "store/layer_entry.h"

namespace dci {

struct RootReadOptions {
  IgnoreRules ignore;
  // dir: and overlay: stay on the root's filesystem (st_dev) unless set:
  // /proc, /sys and /dev mounted inside a live root are not entered.
  bool cross_filesystems = false;
  // Caps against hostile input (entries; bytes of a tarball).
  LayerLimits limits;
  // Which regular files' contents to keep (config text, package
  // databases), given the canonical path and size. May be empty.
  std::function<bool(absl::string_view path, int64_t size)> capture;
};

struct RootSnapshot {
  enum class Kind {
    kFullTree,    // dir:, tar:: every path of the container
    kUpperLayer,  // overlay:: a layer to apply on top of the image's
  };
  Kind kind = Kind::kFullTree;
  // Sorted by path, one per path, ignored paths left out. kUpperLayer:
  // kWhiteout entries and opaque directories as layer_reader.h folds them.
  std::vector<LayerEntry> entries;
  // Contents `capture` asked for, by path.
  std::map<std::string, std::string> captured;
  // Regular files whose content could not be read (permission denied,
  // overlayfs metacopy): their content hash is unknown, not zero.
  std::set<std::string> content_unknown;
  // Non-fatal findings, each naming the path: permission errors, mount
  // points not entered, overlayfs features read as plain files.
  std::vector<std::string> warnings;
  int64_t bytes_hashed = 0;
};

class RootSource {
 public:
  virtual ~RootSource() = default;

  // "dir:/x", as given.
  virtual const std::string& reference() const = 0;

  // Reads the whole source once. Errors: NotFound (no such root or file),
  // InvalidArgument (not a directory, not a container export),
  // DataLoss (corrupt tar), ResourceExhausted (a limit passed).
  virtual absl::StatusOr<RootSnapshot> Read(const RootReadOptions& options) = 0;

  // Lowercase hex digests of regular files, for checks that need another
  // algorithm than the XXH3 Read() computes (package managers' md5/sha256).
  // `wanted` maps a canonical path to an OpenSSL digest name ("md5",
  // "sha256"). Paths that are missing, not regular files or unreadable are
  // left out of the result. Streams the files; nothing is kept.
  virtual absl::StatusOr<std::map<std::string, std::string>> FileDigests(
      const std::map<std::string, std::string>& wanted) = 0;
};

// Parses "dir:ROOT", "tar:FILE" or "overlay:UPPERDIR" (host paths, as the
// caller sees them). Nothing is opened yet. InvalidArgument for another
// transport or an empty path.
absl::StatusOr<std::unique_ptr<RootSource>> OpenRootSource(
    const std::string& reference);

}  // namespace dci

#endif  // DCI_INDEXER_ROOTFS_ROOT_SOURCE_H_
