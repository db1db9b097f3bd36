// docker://HOST/REPO[:TAG|@DIGEST] as an ImageSource: "manifests/<tag or
// digest>" is the registry's manifests endpoint, "blobs/<algo>/<hex>" its
// blobs endpoint, streamed (indexer/registry/registry_client.h). Nothing
// is written to disk; every answer is checked against its digest.
#ifndef DCI_INDEXER_REGISTRY_SOURCE_H_
#define DCI_INDEXER_REGISTRY_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/image_ref.h"
#include "indexer/image_source.h"
#include "indexer/registry/registry_client.h"
#include "indexer/registry/registry_options.h"

namespace dci {

// Thread-compatible, like every ImageSource.
class RegistrySource : public ImageSource {
 public:
  // Connects to nothing yet. InvalidArgument for a reference that is not
  // docker://.
  static absl::StatusOr<std::unique_ptr<RegistrySource>> Open(
      const ImageRef& ref, const RegistryOptions& options);

  absl::StatusOr<std::unique_ptr<ByteStream>> Open(
      const std::string& rel_path) override;
  absl::StatusOr<std::unique_ptr<ByteStream>> OpenBlob(
      const std::string& rel_path, long long expected_size) override;
  // Blobs only (HEAD is not worth a round trip): Unimplemented.
  absl::StatusOr<long long> Size(const std::string& rel_path) override;

  // Body bytes received so far (manifests, configs, layers).
  long long bytes_fetched() const { return client_->bytes_fetched(); }
  RegistryClient& client() { return *client_; }

 private:
  explicit RegistrySource(std::unique_ptr<RegistryClient> client)
      : client_(std::move(client)) {}
  std::unique_ptr<RegistryClient> client_;
};

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_SOURCE_H_
