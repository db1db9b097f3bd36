#include "indexer/rootfs/export_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/byte_stream.h"
#include "indexer/layer_reader.h"
#include "indexer/rootfs/stream_digest.h"

namespace dci {
namespace {

absl::StatusOr<int> OpenFile(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      return absl::NotFoundError(absl::StrCat("tar \"", file, "\" does not exist"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("tar \"", file, "\": ", std::strerror(e)));
  }
  return fd;
}

// What the top level of the tar says it is, when it is not a root
// filesystem: "" for a plausible export.
std::string ImageArchiveKind(const std::vector<LayerEntry>& entries) {
  std::set<std::string> top;
  bool layer_tar = false;
  for (const LayerEntry& e : entries) {
    if (ParentPath(e.path).empty()) top.insert(e.path);
    if (absl::EndsWith(e.path, "/layer.tar") ||
        absl::StartsWith(e.path, "blobs/sha256/")) {
      layer_tar = true;
    }
  }
  if (top.count("oci-layout") && top.count("index.json")) {
    return "an OCI image layout archive (oci-layout, index.json): index it "
           "with `dci index oci-archive:FILE`";
  }
  if (top.count("manifest.json") && (layer_tar || top.count("repositories"))) {
    return "a `docker save` image archive (manifest.json): index it with "
           "`dci index docker-archive:FILE`";
  }
  return "";
}

}  // namespace

absl::StatusOr<RootSnapshot> ReadExportTar(const std::string& file,
                                           const RootReadOptions& options) {
  DCI_ASSIGN_OR_RETURN(int fd, OpenFile(file));
  std::unique_ptr<ByteStream> in = MakeFdStream(fd);
  LayerReadOptions ro;
  ro.compression = Compression::kAuto;
  ro.limits = options.limits;
  ro.capture = [&options](absl::string_view p, int64_t n) {
    if (options.ignore.Matches(p)) return false;
    return options.capture ? options.capture(p, n) : false;
  };
  absl::StatusOr<LayerReadResult> layer = ReadLayer(*in, ro);
  if (!layer.ok()) {
    return absl::Status(
        layer.status().code(),
        absl::StrCat("tar \"", file, "\" is not a readable container export: ",
                     layer.status().message()));
  }
  if (layer->tar_headers == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tar \"", file, "\" is empty: not a container export"));
  }
  std::string kind = ImageArchiveKind(layer->entries);
  if (!kind.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tar \"", file, "\" is not a container export but ", kind));
  }
  RootSnapshot snap;
  snap.kind = RootSnapshot::Kind::kFullTree;
  for (LayerEntry& e : layer->entries) {
    if (e.type == EntryType::kWhiteout || e.opaque) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar \"", file, "\" has whiteouts (\"", e.path,
          "\"): an image layer, not a container export"));
    }
    if (options.ignore.Matches(e.path)) continue;
    if (e.type == EntryType::kHardlink && options.ignore.Matches(e.link_target)) {
      e.type = EntryType::kFile;  // its file is ignored: stand alone
      e.link_target.clear();
    }
    snap.bytes_hashed += (e.type == EntryType::kFile) ? e.size : 0;
    snap.entries.push_back(std::move(e));
  }
  if (snap.entries.size() > options.limits.max_entries) {
    return absl::ResourceExhaustedError("too many entries");
  }
  snap.captured = std::move(layer->captured);
  for (std::string& w : layer->warnings) snap.warnings.push_back(std::move(w));
  return snap;
}

absl::StatusOr<std::map<std::string, std::string>> DigestFilesInTar(
    const std::string& file, const std::map<std::string, std::string>& wanted) {
  std::map<std::string, std::string> out;
  if (wanted.empty()) return out;
  DCI_ASSIGN_OR_RETURN(int fd, OpenFile(file));
  struct Closer {
    void operator()(archive* a) const { archive_read_free(a); }
  };
  std::unique_ptr<archive, Closer> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 256 * 1024) != ARCHIVE_OK) {
    close(fd);
    return absl::DataLossError(absl::StrCat("tar \"", file, "\": ",
                                            archive_error_string(a.get())));
  }
  std::vector<char> buf(256 * 1024);
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      close(fd);
      return absl::DataLossError(absl::StrCat("tar \"", file, "\": ",
                                              archive_error_string(a.get())));
    }
    const char* name = archive_entry_pathname(e);
    if (name == nullptr || archive_entry_filetype(e) != AE_IFREG ||
        archive_entry_hardlink(e) != nullptr) {
      continue;
    }
    absl::StatusOr<std::string> path = NormalizeEntryPath(name);
    if (!path.ok()) continue;
    auto it = wanted.find(*path);
    if (it == wanted.end()) continue;
    StreamDigest digest(it->second);
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) {
        close(fd);
        return absl::DataLossError(absl::StrCat("tar \"", file, "\": \"",
                                                *path, "\": ",
                                                archive_error_string(a.get())));
      }
      if (n == 0) break;
      digest.Update(buf.data(), static_cast<size_t>(n));
    }
    if (digest.ok()) out[*path] = digest.FinishHex();
  }
  close(fd);
  return out;
}

}  // namespace dci
