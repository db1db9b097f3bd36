// One entry of a layer, after whiteout folding: what a layer says about one
// path. Layers are stored as lists of these; merged trees are derived.
#ifndef DCI_STORE_LAYER_ENTRY_H_
#define DCI_STORE_LAYER_ENTRY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "base/content_hash.h"

namespace dci {

// Stored as integers in the database: append only, never renumber.
enum class EntryType : uint8_t {
  kFile = 0,
  kDir = 1,
  kSymlink = 2,
  kHardlink = 3,
  kCharDevice = 4,
  kBlockDevice = 5,
  kFifo = 6,
  // The path is deleted from lower layers (OCI image-spec layer.md,
  // "Whiteouts": a ".wh.NAME" entry).
  kWhiteout = 7,
  // A Unix socket, as a container's root filesystem can hold (tar cannot,
  // so image layers never do).
  kSocket = 8,
};

// "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "whiteout",
// "socket".
absl::string_view EntryTypeName(EntryType t);
// One letter as `find -printf %y` prints it: f d l h c b p w s.
char EntryTypeLetter(EntryType t);

struct LayerEntry {
  std::string path;  // canonical form (base/path.h); never "" (the root)
  EntryType type = EntryType::kFile;
  // Directories only: the children this directory had in lower layers are
  // hidden (layer.md "Opaque Whiteout", or ".wh.NAME" plus a directory NAME
  // in the same layer).
  bool opaque = false;
  // Directories only: the layer names the path only through an opaque marker
  // and has no header of its own for it; mode/uid/gid/mtime are not known and
  // the merged tree keeps those of the lower directory.
  bool implicit = false;
  uint32_t mode = 0;  // permission bits, 07777
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;   // content bytes: files, and hardlinks (their target's)
  int64_t mtime = 0;  // seconds since the epoch
  // Symlinks: the target exactly as written (data, never followed).
  // Hardlinks: the canonical path of the entry linked to.
  std::string link_target;
  // Files and hardlinks: XXH3-128 of the content; zero otherwise.
  ContentHash content_hash{};
  uint32_t dev_major = 0;  // char and block devices
  uint32_t dev_minor = 0;
};

}  // namespace dci

#endif  // DCI_STORE_LAYER_ENTRY_H_
