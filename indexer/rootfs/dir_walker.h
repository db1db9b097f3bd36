// Walks a directory tree on the host into layer entries, for `dci drift`
// of dir: and overlay: sources.
//
// Design note. A container's root is untrusted the way image bytes are: it
// may hold symlinks to anywhere ("etc/x -> ../../../etc/shadow"), loops,
// mount points, files root cannot read, sockets. The walker therefore
// never resolves a path string below the root: it opens the root once and
// reaches every entry relative to its parent's open descriptor (openat,
// fstatat with AT_SYMLINK_NOFOLLOW, O_NOFOLLOW), so no symlink is ever
// followed and ".." is never a name it opens.
//
// Invariants (tests/rootfs/rootfs_test.cc checks them by number):
//  1. No symlink below the root is followed: a link is recorded with its
//     target as data, whatever it points to (outside, to itself, nowhere).
//  2. Without `cross_filesystems`, a directory on another filesystem than
//     the root (st_dev) is recorded but not entered, with a warning.
//  3. A directory or file that cannot be opened is a warning, never an
//     error; a file's entry is kept with its stat data and its path goes to
//     `content_unknown`.
//  4. Regular files are hashed (XXH3-128) in fixed-size chunks, whatever
//     their size.
//  5. Names sharing one inode (st_nlink > 1, same st_dev/st_ino) become a
//     file and hardlinks to it, as tar writes them: the first in path order
//     is the file.
//  6. Sockets, fifos and devices are entries of their type (devices with
//     their numbers); in overlay mode a 0/0 character device is a whiteout
//     and a directory whose trusted.overlay.opaque or user.overlay.opaque
//     xattr is "y" is opaque (the kernel's Documentation/filesystems/
//     overlayfs.rst, "whiteouts and opaque directories").
//  7. Ignored paths (and their subtrees) are never opened.
#ifndef DCI_INDEXER_ROOTFS_DIR_WALKER_H_
#define DCI_INDEXER_ROOTFS_DIR_WALKER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/rootfs/root_source.h"

namespace dci {

struct WalkOptions {
  RootReadOptions read;
  bool overlay_upper = false;  // invariant 6's overlayfs mapping
  int max_depth = 256;         // deeper directories: a warning, not entered
};

// Errors: NotFound when `root` does not exist, InvalidArgument when it is
// not a directory, PermissionDenied when it cannot be opened,
// ResourceExhausted past `limits.max_entries`. `root` itself may be a
// symlink (as /proc/PID/root is): it is the only one ever followed.
absl::StatusOr<RootSnapshot> WalkDirectory(const std::string& root,
                                           const WalkOptions& options);

// RootSource::FileDigests for a directory root: each path is opened one
// component at a time from the root, refusing symlinks.
absl::StatusOr<std::map<std::string, std::string>> DigestFilesUnder(
    const std::string& root, const std::map<std::string, std::string>& wanted);

}  // namespace dci

#endif  // DCI_INDEXER_ROOTFS_DIR_WALKER_H_
