// Symlink resolution inside an image's merged tree, as path arithmetic only.
// An image's symlinks are untrusted and never touch the host filesystem: the
// caller answers "what is at this path?" from its own view of the tree (the
// store, a tar listing), and this code walks the names.
#ifndef DCI_INDEXER_SYSTEM_IMAGE_PATH_H_
#define DCI_INDEXER_SYSTEM_IMAGE_PATH_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

// What the caller knows about one path of the image tree.
struct ImageEntry {
  bool is_symlink = false;
  std::string link_target;  // as stored in the image; only for symlinks
};

// Returns the entry at a canonical path ("etc/os-release": relative, no
// "." or ".." components, no trailing '/'), or nullopt when nothing is there.
using EntryLookup = std::function<std::optional<ImageEntry>(std::string path)>;

// Most symlinks followed in one resolution, as Linux's path walk allows
// 40 and systemd's chase() 32; os-release needs far fewer.
inline constexpr int kMaxSymlinkHops = 16;

// Resolves `path` inside the image the way the kernel would with the image
// as the root directory (systemd's chase() with CHASE_AT_RESOLVE_IN_ROOT):
// every component is looked up, symlinks in any component are followed,
// absolute link targets start again at the image root, relative ones at the
// link's directory, and ".." at the root stays at the root. Returns the
// canonical path of what `path` finally names ("" for the root itself).
//
// Errors: NotFound when a component does not exist (including a dangling
// link or an empty link target, which the kernel reports as ENOENT);
// InvalidArgument for more than `max_hops` symlinks (ELOOP), a target with a
// NUL byte or longer than 4096 bytes. Messages name the path involved.
//
// Whether an intermediate component is a directory is the caller's business:
// the lookup callback only says whether something exists and if it is a link.
//
//   EntryLookup lookup = [&](std::string p) { return tree.Find(p); };
//   absl::StatusOr<std::string> real = ResolveInImage("etc/os-release",
//                                                     lookup);
//   // "usr/lib/os-release" on Debian, where etc/os-release is a link to
//   // "../usr/lib/os-release".
absl::StatusOr<std::string> ResolveInImage(absl::string_view path,
                                           const EntryLookup& lookup,
                                           int max_hops = kMaxSymlinkHops);

// Where a symlink at `link_path` points, by name only: an absolute `target`
// is taken from the image root, a relative one from the link's directory,
// "." and ".." are applied lexically with ".." clamped at the root. No
// component is looked up. "etc/rc2.d/S01ssh" + "../init.d/ssh" ->
// "etc/init.d/ssh"; "etc/x" + "/../../lib/y" -> "lib/y".
std::string LexicalLinkTarget(absl::string_view link_path,
                              absl::string_view target);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_IMAGE_PATH_H_
