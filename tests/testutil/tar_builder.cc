#include "tests/testutil/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <memory>

namespace dci::testing {
namespace {

constexpr long long kDefaultMtime = 1700000000;

struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t AppendToString(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void Check(archive* a, int r, const char* what) {
  if (r < ARCHIVE_OK) {
    ADD_FAILURE() << "TarBuilder: " << what << ": "
                  << (archive_error_string(a) ? archive_error_string(a) : "?");
  }
}

}  // namespace

struct TarBuilder::Impl {
  std::string out;
  std::unique_ptr<archive, WriteDeleter> a{archive_write_new()};
  bool finished = false;

  struct Spec {
    std::string name;
    unsigned type = AE_IFREG;
    unsigned mode = 0644;
    long uid = 0;
    long gid = 0;
    long long mtime = kDefaultMtime;
    std::string content;
    std::string symlink;
    std::string hardlink;
    unsigned major = 0;
    unsigned minor = 0;
  };

  Impl() {
    Check(a.get(), archive_write_set_format_pax_restricted(a.get()), "format");
    // No padding to a 10240-byte record: the tar ends with its two
    // end-of-archive blocks, so tests can cut bytes at known offsets.
    Check(a.get(), archive_write_set_bytes_in_last_block(a.get(), 1),
          "bytes_in_last_block");
    Check(a.get(),
          archive_write_open(a.get(), &out, nullptr, &AppendToString, nullptr),
          "open");
  }

  void Add(const Spec& s) {
    if (finished) {
      ADD_FAILURE() << "TarBuilder: entry added after Finish()";
      return;
    }
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), s.name.c_str());
    archive_entry_set_filetype(e.get(), s.type);
    archive_entry_set_perm(e.get(), s.mode);
    archive_entry_set_uid(e.get(), s.uid);
    archive_entry_set_gid(e.get(), s.gid);
    archive_entry_set_mtime(e.get(), s.mtime, 0);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(s.content.size()));
    if (!s.symlink.empty())
      archive_entry_copy_symlink(e.get(), s.symlink.c_str());
    if (!s.hardlink.empty()) {
      archive_entry_copy_hardlink(e.get(), s.hardlink.c_str());
    }
    if (s.type == AE_IFCHR || s.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e.get(), s.major);
      archive_entry_set_rdevminor(e.get(), s.minor);
    }
    Check(a.get(), archive_write_header(a.get(), e.get()), s.name.c_str());
    if (!s.content.empty()) {
      la_ssize_t n =
          archive_write_data(a.get(), s.content.data(), s.content.size());
      if (n != static_cast<la_ssize_t>(s.content.size())) {
        ADD_FAILURE() << "TarBuilder: short write for " << s.name;
      }
    }
  }
};

TarBuilder::TarBuilder() : impl_(new Impl) {}
TarBuilder::~TarBuilder() { delete impl_; }

TarBuilder& TarBuilder::File(const std::string& name,
                             const std::string& content, unsigned mode,
                             long uid, long gid, long long mtime) {
  Impl::Spec s;
  s.name = name;
  s.content = content;
  s.mode = mode;
  s.uid = uid;
  s.gid = gid;
  s.mtime = mtime;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::Dir(const std::string& name, unsigned mode, long uid,
                            long gid) {
  Impl::Spec s;
  s.name = name;
  s.type = AE_IFDIR;
  s.mode = mode;
  s.uid = uid;
  s.gid = gid;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::Symlink(const std::string& name,
                                const std::string& target) {
  Impl::Spec s;
  s.name = name;
  s.type = AE_IFLNK;
  s.mode = 0777;
  s.symlink = target;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::Hardlink(const std::string& name,
                                 const std::string& target) {
  Impl::Spec s;
  s.name = name;
  s.hardlink = target;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::Fifo(const std::string& name) {
  Impl::Spec s;
  s.name = name;
  s.type = AE_IFIFO;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::CharDevice(const std::string& name, unsigned major,
                                   unsigned minor) {
  Impl::Spec s;
  s.name = name;
  s.type = AE_IFCHR;
  s.mode = 0666;
  s.major = major;
  s.minor = minor;
  impl_->Add(s);
  return *this;
}

TarBuilder& TarBuilder::Whiteout(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string name =
      slash == std::string::npos
          ? ".wh." + path
          : path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1);
  return RawName(name);
}

TarBuilder& TarBuilder::Opaque(const std::string& dir) {
  return RawName(dir.empty() ? ".wh..wh..opq" : dir + "/.wh..wh..opq");
}

TarBuilder& TarBuilder::RawName(const std::string& name) {
  if (name.find('\0') != std::string::npos) {
    ADD_FAILURE() << "TarBuilder: libarchive cannot write a NUL in a name";
  }
  Impl::Spec s;
  s.name = name;
  impl_->Add(s);
  return *this;
}

std::string TarBuilder::Finish() {
  if (!impl_->finished) {
    Check(impl_->a.get(), archive_write_close(impl_->a.get()), "close");
    impl_->finished = true;
  }
  return impl_->out;
}

std::string Gzip(const std::string& data) {
  std::string out;
  std::unique_ptr<archive, WriteDeleter> a(archive_write_new());
  Check(a.get(), archive_write_add_filter_gzip(a.get()), "gzip filter");
  Check(a.get(), archive_write_set_format_raw(a.get()), "raw format");
  // Unblocked: no zero padding after the gzip trailer.
  Check(a.get(), archive_write_set_bytes_per_block(a.get(), 0), "block size");
  Check(a.get(),
        archive_write_open(a.get(), &out, nullptr, &AppendToString, nullptr),
        "open");
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), "data");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  Check(a.get(), archive_write_header(a.get(), e.get()), "header");
  size_t done = 0;
  while (done < data.size()) {
    la_ssize_t n =
        archive_write_data(a.get(), data.data() + done, data.size() - done);
    if (n <= 0) {
      ADD_FAILURE() << "Gzip: write failed";
      break;
    }
    done += static_cast<size_t>(n);
  }
  Check(a.get(), archive_write_close(a.get()), "close");
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n =
      ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) {
    ADD_FAILURE() << "Zstd: " << ZSTD_getErrorName(n);
    return "";
  }
  out.resize(n);
  return out;
}

}  // namespace dci::testing
