// libFuzzer target for image resolution: OCI index.json, image indexes,
// manifests and configs, and docker-archive's manifest.json. Any bytes must
// give a resolved image or a precise error, never a crash, leak or hang.
//
// The input is up to four documents separated by "\n#---#\n":
//   0  index.json (OCI layout) or manifest.json (docker-archive)
//   1  the blob index.json points at (an image index or a manifest)
//   2  the config
//   3  a manifest an image index in document 1 can point at
// The documents are stored as blobs/sha256/<hex> of their own SHA-256 (and
// document 2 also as config.json, for docker-archive). So that mutations get
// past the digest checks, "@1", "@2" and "@3" in a document are replaced by
// the digest of that document, in the order 2, 3, 1, 0. The first byte picks
// the transport: even for oci:, odd for docker-archive:.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "indexer/byte_stream.h"
#include "indexer/image_config.h"
#include "indexer/image_ref.h"
#include "indexer/image_source.h"
#include "indexer/manifest.h"

namespace {

class MemorySource : public dci::ImageSource {
 public:
  std::map<std::string, std::string> files;

  absl::StatusOr<std::unique_ptr<dci::ByteStream>> Open(
      const std::string& rel_path) override {
    auto it = files.find(rel_path);
    if (it == files.end()) return absl::NotFoundError(rel_path);
    return dci::MakeStringStream(it->second);
  }
  absl::StatusOr<long long> Size(const std::string& rel_path) override {
    auto it = files.find(rel_path);
    if (it == files.end()) return absl::NotFoundError(rel_path);
    return static_cast<long long>(it->second.size());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool docker = (data[0] & 1) != 0;
  std::vector<std::string> docs = absl::StrSplit(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
      "\n#---#\n");
  docs.resize(4);
  std::string digests[4];
  for (int i : {2, 3, 1, 0}) {
    docs[i] = absl::StrReplaceAll(
        docs[i], {{"@1", digests[1]}, {"@2", digests[2]}, {"@3", digests[3]}});
    digests[i] = dci::Sha256::Of(docs[i]);
  }
  MemorySource source;
  source.files[docker ? "manifest.json" : "index.json"] = docs[0];
  for (int i = 1; i < 4; ++i) {
    source.files["blobs/sha256/" + std::string(dci::DigestHex(digests[i]))] =
        docs[i];
  }
  source.files["config.json"] = docs[2];

  dci::ImageRef ref;
  ref.transport =
      docker ? dci::Transport::kDockerArchive : dci::Transport::kOciDir;
  ref.path = "fuzz";
  dci::Platform want;
  want.os = "linux";
  want.architecture = "amd64";
  absl::StatusOr<dci::ResolvedImage> image =
      dci::ResolveImage(source, ref, want);
  if (image.ok() && image->layers.size() != image->config.diff_ids.size()) {
    __builtin_trap();  // manifest.h: the layer count equals the diff_ids'
  }
  // The config parser on its own, on the raw document.
  (void)dci::ParseImageConfig(docs[2]);
  return 0;
}
