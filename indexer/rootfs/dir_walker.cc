#include "indexer/rootfs/dir_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/content_hash.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/rootfs/stream_digest.h"

namespace dci {
namespace {

constexpr size_t kChunk = 256 * 1024;

struct FdCloser {
  void operator()(int* fd) const {
    if (*fd >= 0) close(*fd);
    delete fd;
  }
};
using UniqueFd = std::unique_ptr<int, FdCloser>;
UniqueFd Own(int fd) { return UniqueFd(new int(fd)); }

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

std::string Errno(int e) { return std::strerror(e); }

// One walked entry and the inode it came from (invariant 5).
struct Item {
  LayerEntry entry;
  dev_t dev = 0;
  ino_t ino = 0;
  bool multi_link = false;
};

class Walker {
 public:
  Walker(const WalkOptions& options, dev_t root_dev)
      : options_(options), root_dev_(root_dev) {}

  absl::Status WalkDir(int dir_fd, const std::string& rel, int depth);
  absl::StatusOr<RootSnapshot> Finish();

 private:
  absl::Status Visit(int dir_fd, const std::string& name,
                     const std::string& rel, int depth);
  // Hashes (and captures) the regular file `name` in `dir_fd`.
  void ReadFile(int dir_fd, const std::string& name, const struct stat& st,
                Item& item);
  absl::Status CountEntry() {
    if (++entries_ > options_.read.limits.max_entries) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "more than ", options_.read.limits.max_entries, " entries"));
    }
    return absl::OkStatus();
  }

  const WalkOptions& options_;
  const dev_t root_dev_;
  uint64_t entries_ = 0;
  std::vector<Item> items_;
  // Inodes with several names already hashed: size and content hash.
  std::map<std::pair<dev_t, ino_t>, std::pair<int64_t, ContentHash>> hashed_;
  RootSnapshot snap_;
  std::vector<char> buf_ = std::vector<char>(kChunk);
};

absl::Status Walker::WalkDir(int dir_fd, const std::string& rel, int depth) {
  // readdir on a duplicate: closedir() closes the descriptor it owns.
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    snap_.warnings.push_back(absl::StrCat(rel.empty() ? "/" : rel,
                                          ": cannot read directory: ",
                                          Errno(errno)));
    return absl::OkStatus();
  }
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(dup_fd));
  if (dir == nullptr) {
    close(dup_fd);
    snap_.warnings.push_back(absl::StrCat(rel.empty() ? "/" : rel,
                                          ": cannot read directory: ",
                                          Errno(errno)));
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* d = readdir(dir.get());
    if (d == nullptr) {
      if (errno != 0) {
        snap_.warnings.push_back(absl::StrCat(
            rel.empty() ? "/" : rel, ": reading directory: ", Errno(errno)));
      }
      break;
    }
    if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) {
      continue;
    }
    names.emplace_back(d->d_name);
  }
  dir.reset();
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string child = rel.empty() ? name : absl::StrCat(rel, "/", name);
    if (options_.read.ignore.MatchesSelf(child)) continue;  // invariant 7
    DCI_RETURN_IF_ERROR(Visit(dir_fd, name, child, depth));
  }
  return absl::OkStatus();
}

void Walker::ReadFile(int dir_fd, const std::string& name,
                      const struct stat& st, Item& item) {
  LayerEntry& e = item.entry;
  // O_NONBLOCK: if the name became a fifo since fstatat, open must not
  // hang; O_NOFOLLOW: nor may it become a symlink we follow (invariant 1).
  int fd = openat(dir_fd, name.c_str(),
                  O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snap_.warnings.push_back(
        absl::StrCat(e.path, ": cannot read: ", Errno(errno)));
    snap_.content_unknown.insert(e.path);  // invariant 3
    return;
  }
  UniqueFd owned = Own(fd);
  struct stat now;
  if (fstat(fd, &now) != 0 || !S_ISREG(now.st_mode) || now.st_ino != st.st_ino) {
    snap_.warnings.push_back(
        absl::StrCat(e.path, ": changed while being read"));
    snap_.content_unknown.insert(e.path);
    return;
  }
  const bool keep = options_.read.capture &&
                    options_.read.capture(e.path, static_cast<int64_t>(st.st_size));
  std::string kept;
  ContentHasher hasher;
  int64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf_.data(), buf_.size());  // invariant 4
    if (n < 0) {
      if (errno == EINTR) continue;
      snap_.warnings.push_back(
          absl::StrCat(e.path, ": read error: ", Errno(errno)));
      snap_.content_unknown.insert(e.path);
      return;
    }
    if (n == 0) break;
    hasher.Update(buf_.data(), static_cast<size_t>(n));
    if (keep) kept.append(buf_.data(), static_cast<size_t>(n));
    total += n;
  }
  e.size = total;
  e.content_hash = hasher.Finish();
  snap_.bytes_hashed += total;
  if (keep) snap_.captured[e.path] = std::move(kept);
}

absl::Status Walker::Visit(int dir_fd, const std::string& name,
                           const std::string& rel, int depth) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    snap_.warnings.push_back(
        absl::StrCat(rel, ": cannot stat: ", Errno(errno)));
    return absl::OkStatus();
  }
  DCI_RETURN_IF_ERROR(CountEntry());
  Item item;
  LayerEntry& e = item.entry;
  e.path = rel;
  e.mode = st.st_mode & 07777;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.mtime = st.st_mtim.tv_sec;
  item.dev = st.st_dev;
  item.ino = st.st_ino;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      e.type = EntryType::kFile;
      e.size = st.st_size;
      item.multi_link = st.st_nlink > 1;
      if (options_.overlay_upper) {
        // overlayfs metacopy: the upper file holds metadata only, its data
        // stays in the lower layer (overlayfs.rst, "Metadata only copy up").
        char v[8];
        int fd = openat(dir_fd, name.c_str(),
                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_PATH);
        if (fd >= 0) {
          UniqueFd owned = Own(fd);
          std::string proc = absl::StrCat("/proc/self/fd/", fd);
          if (getxattr(proc.c_str(), "trusted.overlay.metacopy", v, sizeof v) >= 0 ||
              getxattr(proc.c_str(), "user.overlay.metacopy", v, sizeof v) >= 0) {
            snap_.content_unknown.insert(rel);
            snap_.warnings.push_back(absl::StrCat(
                rel, ": overlayfs metacopy (data in a lower layer): content "
                     "not compared"));
            break;
          }
        }
      }
      if (item.multi_link) {
        auto seen = hashed_.find({st.st_dev, st.st_ino});
        const bool keep =
            options_.read.capture &&
            options_.read.capture(rel, static_cast<int64_t>(st.st_size));
        if (seen != hashed_.end() && !keep) {
          e.size = seen->second.first;
          e.content_hash = seen->second.second;
          break;
        }
        ReadFile(dir_fd, name, st, item);
        hashed_[{st.st_dev, st.st_ino}] = {e.size, e.content_hash};
        break;
      }
      ReadFile(dir_fd, name, st, item);
      break;
    case S_IFDIR:
      e.type = EntryType::kDir;
      break;
    case S_IFLNK: {
      e.type = EntryType::kSymlink;
      std::string target(st.st_size > 0 ? st.st_size + 1 : 256, '\0');
      for (;;) {
        ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) {
          snap_.warnings.push_back(
              absl::StrCat(rel, ": cannot read link: ", Errno(errno)));
          target.clear();
          break;
        }
        if (static_cast<size_t>(n) < target.size()) {
          target.resize(static_cast<size_t>(n));
          break;
        }
        if (target.size() > 65536) {
          snap_.warnings.push_back(absl::StrCat(rel, ": link target too long"));
          target.clear();
          break;
        }
        target.resize(target.size() * 2);
      }
      e.link_target = std::move(target);
      break;
    }
    case S_IFCHR:
      e.type = EntryType::kCharDevice;
      e.dev_major = major(st.st_rdev);
      e.dev_minor = minor(st.st_rdev);
      if (options_.overlay_upper && e.dev_major == 0 && e.dev_minor == 0) {
        e = LayerEntry{};
        e.path = rel;
        e.type = EntryType::kWhiteout;  // invariant 6
      }
      break;
    case S_IFBLK:
      e.type = EntryType::kBlockDevice;
      e.dev_major = major(st.st_rdev);
      e.dev_minor = minor(st.st_rdev);
      break;
    case S_IFIFO:
      e.type = EntryType::kFifo;
      break;
    case S_IFSOCK:
      e.type = EntryType::kSocket;
      break;
    default:
      snap_.warnings.push_back(absl::StrCat(rel, ": unknown file type"));
      return absl::OkStatus();
  }
  if (e.type != EntryType::kDir) {
    items_.push_back(std::move(item));
    return absl::OkStatus();
  }

  if (st.st_dev != root_dev_ && !options_.read.cross_filesystems) {
    snap_.warnings.push_back(absl::StrCat(
        rel, ": another filesystem (a mount point): not entered"));
    items_.push_back(std::move(item));  // invariant 2
    return absl::OkStatus();
  }
  if (depth >= options_.max_depth) {
    snap_.warnings.push_back(absl::StrCat(rel, ": deeper than ",
                                          options_.max_depth,
                                          " levels: not entered"));
    items_.push_back(std::move(item));
    return absl::OkStatus();
  }
  int fd = openat(dir_fd, name.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    snap_.warnings.push_back(
        absl::StrCat(rel, ": cannot open directory: ", Errno(errno)));
    items_.push_back(std::move(item));  // invariant 3
    return absl::OkStatus();
  }
  UniqueFd owned = Own(fd);
  if (options_.overlay_upper) {
    for (const char* attr : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
      char v[4];
      ssize_t n = fgetxattr(fd, attr, v, sizeof v);
      if (n == 1 && v[0] == 'y') e.opaque = true;
    }
    char v[8];
    if (fgetxattr(fd, "trusted.overlay.redirect", v, sizeof v) >= 0 ||
        fgetxattr(fd, "user.overlay.redirect", v, sizeof v) >= 0) {
      snap_.warnings.push_back(absl::StrCat(
          rel, ": overlayfs redirect (a renamed directory): read as a new "
               "directory"));
    }
  }
  items_.push_back(std::move(item));
  return WalkDir(fd, rel, depth + 1);
}

absl::StatusOr<RootSnapshot> Walker::Finish() {
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    return a.entry.path < b.entry.path;
  });
  // Invariant 5: the first name of an inode in path order is the file, the
  // others link to it (same inode, so same size and content).
  std::map<std::pair<dev_t, ino_t>, size_t> first;
  snap_.entries.reserve(items_.size());
  for (Item& it : items_) {
    if (it.multi_link && it.entry.type == EntryType::kFile) {
      auto [pos, inserted] =
          first.emplace(std::make_pair(it.dev, it.ino), snap_.entries.size());
      if (!inserted) {
        const LayerEntry& f = snap_.entries[pos->second];
        it.entry.type = EntryType::kHardlink;
        it.entry.link_target = f.path;
        it.entry.size = f.size;
        it.entry.content_hash = f.content_hash;
        if (snap_.content_unknown.count(f.path)) {
          snap_.content_unknown.insert(it.entry.path);
        }
      }
    }
    snap_.entries.push_back(std::move(it.entry));
  }
  return std::move(snap_);
}

}  // namespace

absl::StatusOr<RootSnapshot> WalkDirectory(const std::string& root,
                                           const WalkOptions& options) {
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("root \"", root, "\" does not exist"));
    }
    if (e == ENOTDIR) {
      return absl::InvalidArgumentError(
          absl::StrCat("root \"", root, "\" is not a directory"));
    }
    if (e == EACCES || e == EPERM) {
      return absl::PermissionDeniedError(
          absl::StrCat("root \"", root, "\": ", Errno(e)));
    }
    if (e == ELOOP) {
      return absl::InvalidArgumentError(
          absl::StrCat("root \"", root, "\": too many symlinks"));
    }
    return absl::InvalidArgumentError(absl::StrCat("root \"", root, "\": ", Errno(e)));
  }
  UniqueFd owned = Own(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("root \"", root, "\": ", Errno(errno)));
  }
  Walker w(options, st.st_dev);
  DCI_RETURN_IF_ERROR(w.WalkDir(fd, "", 0));
  DCI_ASSIGN_OR_RETURN(RootSnapshot snap, w.Finish());
  snap.kind = options.overlay_upper ? RootSnapshot::Kind::kUpperLayer
                                    : RootSnapshot::Kind::kFullTree;
  return snap;
}

absl::StatusOr<std::map<std::string, std::string>> DigestFilesUnder(
    const std::string& root, const std::map<std::string, std::string>& wanted) {
  std::map<std::string, std::string> out;
  int root_fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return absl::NotFoundError(absl::StrCat("root \"", root, "\": ", Errno(errno)));
  }
  UniqueFd owned_root = Own(root_fd);
  std::vector<char> buf(kChunk);
  for (const auto& [path, algorithm] : wanted) {
    absl::StatusOr<std::string> canon = NormalizeEntryPath(path);
    if (!canon.ok() || canon->empty()) continue;
    std::vector<std::string> parts = absl::StrSplit(*canon, '/');
    int dir = root_fd;
    UniqueFd held;
    bool ok = true;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      int next = openat(dir, parts[i].c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) {
        ok = false;
        break;
      }
      held = Own(next);
      dir = next;
    }
    if (!ok) continue;
    int fd = openat(dir, parts.back().c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    UniqueFd file = Own(fd);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    StreamDigest digest(algorithm);
    if (!digest.ok()) continue;
    bool read_ok = true;
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        read_ok = false;
        break;
      }
      if (n == 0) break;
      digest.Update(buf.data(), static_cast<size_t>(n));
    }
    if (read_ok) out[path] = digest.FinishHex();
  }
  return out;
}

}  // namespace dci
