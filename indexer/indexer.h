// Indexing one image: resolve the reference, read each layer the store does
// not have yet, and commit image, new layers and tags in one transaction.
//
// Thread-safe: several Index() calls may run at once (each layer read uses
// two threads of its own); the store serialises the commits.
//
//   Indexer indexer(store.get());
//   IndexOptions opts;
//   opts.tags = {{"debian", "12"}};
//   auto summary = indexer.Index("oci:/srv/layout:debian-12", opts, nullptr);
#ifndef DCI_INDEXER_INDEXER_H_
#define DCI_INDEXER_INDEXER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "indexer/image_config.h"
#include "indexer/inventory.h"
#include "indexer/layer_reader.h"
#include "indexer/registry/registry_options.h"
#include "store/store.h"

namespace dci {

struct IndexOptions {
  Platform platform{"linux", "amd64", ""};
  // Names to point at the image. When empty, the names the source gives
  // (docker-archive RepoTags, OCI ref.name annotations) are used.
  std::vector<TagRef> tags;
  LayerLimits limits;
  InventoryOptions inventory;
  // docker:// only: TLS, credentials, retries.
  RegistryOptions registry;
};

struct IndexProgress {
  enum class Phase { kResolved, kLayerSkipped, kLayerReading, kLayerDone };
  Phase phase = Phase::kResolved;
  int layer = 0;         // position, 0 = bottom
  int layer_count = 0;
  std::string diff_id;
  int64_t blob_size = 0;   // total compressed bytes of this layer
  int64_t bytes_read = 0;  // compressed bytes read so far
  int64_t entries = 0;     // tar headers read so far
};

struct IndexSummary {
  int64_t image_id = 0;
  std::string manifest_digest;
  std::string config_digest;
  Platform platform;
  std::string index_digest;  // set when chosen from an index / list
  std::vector<Platform> available_platforms;
  bool already_indexed = false;
  int layers_new = 0;
  int layers_known = 0;
  int64_t entries = 0;  // entries of the layers read now
  // docker:// only: body bytes received from the registry (manifests,
  // config, new layers; known layers are not fetched at all).
  int64_t bytes_fetched = 0;
  double seconds = 0;
  std::vector<TagRef> tags;
  std::vector<CommitResult::TagChange> tag_changes;
  std::vector<std::string> warnings;
};

using IndexProgressFn = std::function<void(const IndexProgress&)>;

class Indexer {
 public:
  explicit Indexer(Store* store) : store_(store) {}

  // `ref` uses the transport syntax of indexer/image_ref.h. Errors name the
  // layer and entry at fault; on any error nothing is stored.
  absl::StatusOr<IndexSummary> Index(const std::string& ref,
                                     const IndexOptions& options,
                                     const IndexProgressFn& progress);

  // Resolves `ref` and reads its manifest and config only (for docker://,
  // no layer is fetched): what indexing would record of the image, less
  // its layers' entries. Stores nothing.
  absl::StatusOr<ImageRecord> Inspect(const std::string& ref,
                                      const IndexOptions& options);

 private:
  Store* store_;  // not owned
};

// Parses "NAME:TAG" (NAME may carry a registry host:port); a missing tag is
// "latest". InvalidArgument for an empty name or tag.
absl::StatusOr<TagRef> ParseTagRef(const std::string& s);

}  // namespace dci

#endif  // DCI_INDEXER_INDEXER_H_
