// Design note. Both sources resolve a relative path themselves, one
// component at a time, and never let the kernel or libarchive follow a link:
//
//  1. The path a caller passes is canonicalised with NormalizeEntryPath:
//     NUL, absolute paths and ".." components are refused before anything
//     is opened (the path may come from an untrusted manifest).
//  2. A symlink met on the way is resolved lexically against the directory
//     that holds it. Every component before it is a real directory (or, in
//     a tar, a plain name), so lexical ".." is the physical one. A target
//     that is absolute or climbs above the root is refused.
//  3. At most kMaxLinkHops links are followed for one path.
//  4. A directory source opens every component with O_NOFOLLOW relative to
//     the directory before it (openat), so a link swapped in after the check
//     still fails instead of being followed; only regular files are opened
//     for reading (O_NONBLOCK keeps a FIFO from blocking the open).
//  5. A tar source lists the archive once when opened (names, types, sizes,
//     link targets); each Open() re-reads the archive up to the member,
//     skipping data, and streams it through archive_read_data. The listing
//     is immutable, so Open() may run on several threads.
#include "indexer/image_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/path.h"
#include "base/status_macros.h"

namespace dci {
namespace {

constexpr int kMaxLinkHops = 16;
constexpr size_t kMaxTarMembers = 1'000'000;

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// Rule 1.
absl::StatusOr<std::string> CheckRelPath(const std::string& rel) {
  absl::StatusOr<std::string> p = NormalizeEntryPath(rel);
  if (!p.ok()) return Annotate(p.status(), Quote(rel));
  if (p->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(rel), ": names the root, not a file"));
  }
  return p;
}

// Rule 2: the path that `target` (a symlink found at `dir`/NAME) names,
// followed by the components still to walk. Error if it leaves the root.
absl::StatusOr<std::string> ResolveLink(const std::string& rel,
                                        absl::string_view link_path,
                                        absl::string_view dir,
                                        absl::string_view target,
                                        absl::string_view rest) {
  auto escape = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(rel), ": symlink ", Quote(link_path), " -> ",
                     Quote(target), " points outside the root"));
  };
  if (target.empty() || target[0] == '/' ||
      target.find('\0') != absl::string_view::npos) {
    return escape();
  }
  std::vector<std::string> parts;
  if (!dir.empty()) {
    for (absl::string_view p : absl::StrSplit(dir, '/')) {
      parts.emplace_back(p);
    }
  }
  for (absl::string_view p : absl::StrSplit(target, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (parts.empty()) return escape();
      parts.pop_back();
      continue;
    }
    parts.emplace_back(p);
  }
  std::string out = absl::StrJoin(parts, "/");
  if (!rest.empty())
    out = out.empty() ? std::string(rest) : absl::StrCat(out, "/", rest);
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(rel), ": symlink ", Quote(link_path),
                     " names the root, not a file"));
  }
  return out;
}

absl::Status TooManyHops(const std::string& rel) {
  return absl::InvalidArgumentError(absl::StrCat(
      Quote(rel), ": more than ", kMaxLinkHops, " symlinks to follow"));
}

// Joins parts[from, to) with '/'.
std::string JoinRange(const std::vector<std::string>& parts, size_t from,
                      size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from) out += '/';
    out += parts[i];
  }
  return out;
}

// ---------------------------------------------------------------- directory

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

class DirectorySource : public ImageSource {
 public:
  explicit DirectorySource(UniqueFd root) : root_(std::move(root)) {}

  absl::StatusOr<std::unique_ptr<ByteStream>> Open(
      const std::string& rel_path) override {
    DCI_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(rel_path));
    return MakeFdStream(fd.release());
  }

  absl::StatusOr<long long> Size(const std::string& rel_path) override {
    DCI_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(rel_path));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      return absl::UnavailableError(
          absl::StrCat(Quote(rel_path), ": fstat: ", std::strerror(errno)));
    }
    return static_cast<long long>(st.st_size);
  }

 private:
  // One walk of `path` from the root: either the open file, or the path a
  // symlink on the way sends us to.
  struct Walk {
    UniqueFd file;
    std::string relinked;
  };

  // Rules 1-4.
  absl::StatusOr<UniqueFd> OpenFile(const std::string& rel) {
    DCI_ASSIGN_OR_RETURN(std::string path, CheckRelPath(rel));
    for (int hops = 0;; ++hops) {
      if (hops > kMaxLinkHops) return TooManyHops(rel);
      DCI_ASSIGN_OR_RETURN(Walk w, WalkOnce(rel, path));
      if (w.file.get() >= 0) return std::move(w.file);
      path = std::move(w.relinked);
    }
  }

  absl::StatusOr<Walk> WalkOnce(const std::string& rel,
                                const std::string& path) {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    UniqueFd dir;  // empty: root_
    for (size_t i = 0; i < parts.size(); ++i) {
      const bool last = i + 1 == parts.size();
      const int at = dir.get() >= 0 ? dir.get() : root_.get();
      int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
      if (!last) flags |= O_DIRECTORY;
      int fd = ::openat(at, parts[i].c_str(), flags);
      if (fd < 0) {
        int err = errno;
        struct stat st;
        if ((err == ELOOP || err == ENOTDIR) &&
            ::fstatat(at, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
          char buf[4096];
          ssize_t n = ::readlinkat(at, parts[i].c_str(), buf, sizeof(buf));
          if (n < 0 || n == static_cast<ssize_t>(sizeof(buf))) {
            return absl::InvalidArgumentError(
                absl::StrCat(Quote(rel), ": unreadable symlink ",
                             Quote(JoinRange(parts, 0, i + 1))));
          }
          Walk w;
          DCI_ASSIGN_OR_RETURN(
              w.relinked,
              ResolveLink(rel, JoinRange(parts, 0, i + 1),
                          JoinRange(parts, 0, i), absl::string_view(buf, n),
                          JoinRange(parts, i + 1, parts.size())));
          return w;
        }
        if (err == ENOENT || err == ENOTDIR) {
          return absl::NotFoundError(absl::StrCat(Quote(rel), ": not found"));
        }
        return absl::UnavailableError(
            absl::StrCat(Quote(rel), ": open: ", std::strerror(err)));
      }
      UniqueFd opened(fd);
      if (!last) {
        dir = std::move(opened);
        continue;
      }
      struct stat st;
      if (::fstat(opened.get(), &st) != 0) {
        return absl::UnavailableError(
            absl::StrCat(Quote(rel), ": fstat: ", std::strerror(errno)));
      }
      if (!S_ISREG(st.st_mode)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Quote(rel), ": not a regular file"));
      }
      int fl = ::fcntl(opened.get(), F_GETFL);
      if (fl >= 0) ::fcntl(opened.get(), F_SETFL, fl & ~O_NONBLOCK);
      Walk w;
      w.file = std::move(opened);
      return w;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(rel), ": names the root, not a file"));
  }

  UniqueFd root_;
};

// ---------------------------------------------------------------------- tar

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

absl::StatusOr<ArchivePtr> OpenArchive(const std::string& file) {
  ArchivePtr a(archive_read_new());
  if (a == nullptr) return absl::ResourceExhaustedError("archive_read_new");
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  // Built-in decompressors only: archive_read_support_filter_all() would
  // also run external programs (lrzip, lzop, grzip).
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) !=
      ARCHIVE_OK) {
    const char* msg = archive_error_string(a.get());
    return absl::InvalidArgumentError(
        absl::StrCat("not a readable tar archive: ", msg ? msg : "unknown"));
  }
  return a;
}

std::string ArchiveError(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

class TarMemberStream : public ByteStream {
 public:
  TarMemberStream(ArchivePtr a, std::string name)
      : archive_(std::move(a)), name_(std::move(name)) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return 0;
    la_ssize_t r = archive_read_data(archive_.get(), buf, n);
    if (r < 0) {
      return absl::DataLossError(absl::StrCat(
          "archive member ", Quote(name_), ": ", ArchiveError(archive_.get())));
    }
    return static_cast<size_t>(r);
  }

 private:
  ArchivePtr archive_;  // positioned at the member's data
  std::string name_;
};

class TarSource : public ImageSource {
 public:
  enum class Kind { kFile, kDir, kSymlink, kHardlink, kOther };
  struct Member {
    size_t ordinal = 0;  // header number in the archive, from 0
    Kind kind = Kind::kOther;
    long long size = 0;
    std::string link;  // symlink target as written; hardlink target path
  };

  static absl::StatusOr<std::unique_ptr<TarSource>> Create(
      const std::string& file) {
    DCI_ASSIGN_OR_RETURN(ArchivePtr a, OpenArchive(file));
    auto src = std::unique_ptr<TarSource>(new TarSource(file));
    archive_entry* e = nullptr;
    for (size_t ordinal = 0;; ++ordinal) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        if (ordinal == 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("not a tar archive: ", ArchiveError(a.get())));
        }
        return absl::DataLossError(
            absl::StrCat("tar header ", ordinal, ": ", ArchiveError(a.get())));
      }
      if (ordinal >= kMaxTarMembers) {
        return absl::ResourceExhaustedError(
            absl::StrCat("archive has more than ", kMaxTarMembers, " members"));
      }
      const char* name = archive_entry_pathname(e);
      if (name == nullptr) continue;
      absl::StatusOr<std::string> norm = NormalizeEntryPath(name);
      // A member whose name could escape the root can never be asked for:
      // leave it out rather than fail the whole archive.
      if (!norm.ok() || norm->empty()) continue;
      Member m;
      m.ordinal = ordinal;
      const char* hardlink = archive_entry_hardlink(e);
      if (hardlink != nullptr) {
        absl::StatusOr<std::string> target = NormalizeEntryPath(hardlink);
        if (target.ok() && !target->empty()) {
          m.kind = Kind::kHardlink;
          m.link = *target;
        }
      } else {
        switch (archive_entry_filetype(e)) {
          case AE_IFREG:
            m.kind = Kind::kFile;
            m.size = archive_entry_size(e);
            break;
          case AE_IFDIR:
            m.kind = Kind::kDir;
            break;
          case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            m.kind = Kind::kSymlink;
            m.link = target ? target : "";
            break;
          }
          default:
            break;
        }
      }
      src->members_[*norm] = std::move(m);  // a later header wins, as in tar
    }
    return src;
  }

  absl::StatusOr<std::unique_ptr<ByteStream>> Open(
      const std::string& rel_path) override {
    DCI_ASSIGN_OR_RETURN(auto found, Resolve(rel_path));
    const std::string& name = found.first;
    const Member& m = found.second;
    absl::StatusOr<ArchivePtr> a = OpenArchive(file_);
    if (!a.ok()) return Annotate(a.status(), Quote(rel_path));
    archive_entry* e = nullptr;
    for (size_t ordinal = 0; ordinal <= m.ordinal; ++ordinal) {
      int r = archive_read_next_header(a->get(), &e);
      if (r == ARCHIVE_EOF || r < ARCHIVE_WARN) {
        return absl::DataLossError(absl::StrCat(
            Quote(rel_path), ": archive changed or broke while reading: ",
            r == ARCHIVE_EOF ? "early end" : ArchiveError(a->get())));
      }
    }
    const char* got = archive_entry_pathname(e);
    absl::StatusOr<std::string> norm = NormalizeEntryPath(got ? got : "");
    if (!norm.ok() || *norm != name) {
      return absl::DataLossError(
          absl::StrCat(Quote(rel_path), ": archive changed while reading"));
    }
    return std::unique_ptr<ByteStream>(
        new TarMemberStream(*std::move(a), name));
  }

  absl::StatusOr<long long> Size(const std::string& rel_path) override {
    DCI_ASSIGN_OR_RETURN(auto found, Resolve(rel_path));
    return found.second.size;
  }

 private:
  explicit TarSource(std::string file) : file_(std::move(file)) {}

  // Rules 1-3, over the archive's listing. Directories need no header of
  // their own (many archives have none). Returns the member's name and
  // record.
  absl::StatusOr<std::pair<std::string, Member>> Resolve(
      const std::string& rel) const {
    DCI_ASSIGN_OR_RETURN(std::string path, CheckRelPath(rel));
    for (int hops = 0;; ++hops) {
      if (hops > kMaxLinkHops) return TooManyHops(rel);
      DCI_ASSIGN_OR_RETURN(Walk w, WalkOnce(rel, path));
      if (w.member != nullptr) return std::make_pair(path, *w.member);
      path = std::move(w.relinked);
    }
  }

  // One walk of `path`: the member it names, or where a link sends us.
  struct Walk {
    const Member* member = nullptr;
    std::string relinked;
  };

  absl::StatusOr<Walk> WalkOnce(const std::string& rel,
                                const std::string& path) const {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    for (size_t i = 0; i < parts.size(); ++i) {
      const bool last = i + 1 == parts.size();
      std::string prefix = JoinRange(parts, 0, i + 1);
      auto it = members_.find(prefix);
      if (it == members_.end()) {
        if (last) break;
        continue;
      }
      const Member& m = it->second;
      Walk w;
      switch (m.kind) {
        case Kind::kSymlink: {
          DCI_ASSIGN_OR_RETURN(
              w.relinked,
              ResolveLink(rel, prefix, JoinRange(parts, 0, i), m.link,
                          JoinRange(parts, i + 1, parts.size())));
          return w;
        }
        case Kind::kHardlink:
          if (!last) break;
          // A hardlink names another member by its full archive path.
          w.relinked = m.link;
          return w;
        case Kind::kFile:
          if (!last) break;
          w.member = &m;
          return w;
        case Kind::kDir:
          if (last) {
            return absl::InvalidArgumentError(
                absl::StrCat(Quote(rel), ": is a directory"));
          }
          continue;
        case Kind::kOther:
          return absl::InvalidArgumentError(
              absl::StrCat(Quote(rel), ": not a regular file"));
      }
      break;  // a file or hardlink where a directory should be
    }
    return absl::NotFoundError(absl::StrCat(Quote(rel), ": not found"));
  }

  std::string file_;
  std::unordered_map<std::string, Member> members_;  // by canonical name
};

}  // namespace

absl::StatusOr<std::string> ImageSource::ReadAll(const std::string& rel_path,
                                                 size_t max_bytes) {
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> in, Open(rel_path));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    DCI_ASSIGN_OR_RETURN(size_t n, in->Read(buf, sizeof(buf)));
    if (n == 0) break;
    if (out.size() + n > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(Quote(rel_path), ": larger than ", max_bytes, " bytes"));
    }
    out.append(buf, n);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ImageSource>> OpenDirectorySource(
    const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(
          absl::StrCat(Quote(dir), ": no such directory"));
    }
    return absl::UnavailableError(
        absl::StrCat(Quote(dir), ": ", std::strerror(err)));
  }
  return std::unique_ptr<ImageSource>(new DirectorySource(UniqueFd(fd)));
}

absl::StatusOr<std::unique_ptr<ImageSource>> OpenTarSource(
    const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(Quote(file), ": no such file"));
    }
    return absl::UnavailableError(
        absl::StrCat(Quote(file), ": ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(file), ": not a regular file"));
  }
  absl::StatusOr<std::unique_ptr<TarSource>> src = TarSource::Create(file);
  if (!src.ok()) return Annotate(src.status(), Quote(file));
  return std::unique_ptr<ImageSource>(*std::move(src));
}

}  // namespace dci
