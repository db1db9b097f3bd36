#include "indexer/rootfs/root_source.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "indexer/rootfs/dir_walker.h"
#include "indexer/rootfs/export_tar.h"

namespace dci {
namespace {

// dir: and overlay: (a directory walked; overlay maps whiteouts).
class DirectorySource : public RootSource {
 public:
  DirectorySource(std::string reference, std::string root, bool overlay)
      : reference_(std::move(reference)), root_(std::move(root)),
        overlay_(overlay) {}
  const std::string& reference() const override { return reference_; }
  absl::StatusOr<RootSnapshot> Read(const RootReadOptions& options) override {
    WalkOptions w;
    w.read = options;
    w.overlay_upper = overlay_;
    return WalkDirectory(root_, w);
  }
  absl::StatusOr<std::map<std::string, std::string>> FileDigests(
      const std::map<std::string, std::string>& wanted) override {
    return DigestFilesUnder(root_, wanted);
  }

 private:
  const std::string reference_, root_;
  const bool overlay_;
};

class ExportTarSource : public RootSource {
 public:
  ExportTarSource(std::string reference, std::string file)
      : reference_(std::move(reference)), file_(std::move(file)) {}
  const std::string& reference() const override { return reference_; }
  absl::StatusOr<RootSnapshot> Read(const RootReadOptions& options) override {
    DCI_ASSIGN_OR_RETURN(RootSnapshot snap, ReadExportTar(file_, options));
    hardlinks_.clear();
    for (const LayerEntry& e : snap.entries) {
      if (e.type == EntryType::kHardlink) hardlinks_[e.path] = e.link_target;
    }
    return snap;
  }
  absl::StatusOr<std::map<std::string, std::string>> FileDigests(
      const std::map<std::string, std::string>& wanted) override {
    // A hardlink's bytes are its file's, in the tar.
    std::map<std::string, std::string> files;
    std::map<std::string, std::vector<std::string>> names;
    for (const auto& [path, algorithm] : wanted) {
      auto h = hardlinks_.find(path);
      const std::string& real = h == hardlinks_.end() ? path : h->second;
      files[real] = algorithm;
      names[real].push_back(path);
    }
    DCI_ASSIGN_OR_RETURN(auto digests, DigestFilesInTar(file_, files));
    std::map<std::string, std::string> out;
    for (const auto& [real, digest] : digests) {
      for (const std::string& n : names[real]) out[n] = digest;
    }
    return out;
  }

 private:
  const std::string reference_, file_;
  std::map<std::string, std::string> hardlinks_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RootSource>> OpenRootSource(
    const std::string& reference) {
  size_t colon = reference.find(':');
  std::string transport =
      colon == std::string::npos ? "" : reference.substr(0, colon);
  std::string path = colon == std::string::npos ? "" : reference.substr(colon + 1);
  if (transport != "dir" && transport != "tar" && transport != "overlay") {
    return absl::InvalidArgumentError(absl::StrCat(
        "container source \"", reference,
        "\": want dir:ROOT, tar:FILE or overlay:UPPERDIR"));
  }
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container source \"", reference, "\" has no path"));
  }
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("container source path has a NUL byte");
  }
  if (transport == "tar") {
    return std::unique_ptr<RootSource>(new ExportTarSource(reference, path));
  }
  return std::unique_ptr<RootSource>(
      new DirectorySource(reference, path, transport == "overlay"));
}

}  // namespace dci
