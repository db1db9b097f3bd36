// A client for one repository of a container registry, over the Registry
// v2 / OCI distribution API (distribution's spec/api.md, the OCI
// distribution-spec): manifests by tag or digest, tags, and blobs, either
// whole (small ones: configs) or streamed (layers).
//
//   DCI_ASSIGN_OR_RETURN(ImageRef image,
//                        ParseImageRef("docker://127.0.0.1:5000/dci/debian:v1"));
//   DCI_ASSIGN_OR_RETURN(RegistryRef ref, RegistryRefFromImageRef(image));
//   DCI_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
//                        RegistryClient::Create(ref, RegistryOptions()));
//   DCI_ASSIGN_OR_RETURN(Manifest m, client->GetManifest(ref.reference()));
//   // parse m.bytes (m.media_type), then for each layer descriptor:
//   DCI_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> layer,
//                        client->OpenBlob(layer_digest, layer_size));
//
// Every answer is checked against the digest it was asked for or claims
// (DataLoss when it differs). Authentication (anonymous, Basic, Bearer
// tokens) and retries happen inside; see registry_options.h and session.h.
#ifndef DCI_INDEXER_REGISTRY_REGISTRY_CLIENT_H_
#define DCI_INDEXER_REGISTRY_REGISTRY_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/byte_stream.h"
#include "indexer/registry/registry_options.h"
#include "indexer/registry/registry_ref.h"

namespace dci {

namespace registry_internal {
class Session;
}  // namespace registry_internal

// Manifest media types a registry is asked for (Accept) and dci accepts.
inline constexpr char kOciManifestType[] =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kOciIndexType[] =
    "application/vnd.oci.image.index.v1+json";
inline constexpr char kDockerManifestType[] =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kDockerManifestListType[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct Manifest {
  std::string media_type;  // one of the four above
  std::string digest;      // "sha256:..." of bytes
  std::string bytes;
};

struct ManifestInfo {
  std::string media_type;
  std::string digest;
  long long size = -1;  // -1 when the registry did not say
};

// One client per repository. Thread-safe: methods may be called from
// several threads; the bearer tokens it obtains are shared. Blob streams it
// opens keep what they need alive and may outlive it.
class RegistryClient {
 public:
  // Checks the registry host and repository names, loads the cert dir and
  // the credentials. Connects to nothing yet. `ref.tag` and `ref.digest` are
  // not used.
  static absl::StatusOr<std::unique_ptr<RegistryClient>> Create(
      const RegistryRef& ref, const RegistryOptions& options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const std::string& registry() const;
  const std::string& repository() const;

  // GET /v2/REPO/manifests/REFERENCE (a tag or "sha256:..."). Errors:
  // NotFound (unknown tag or repository, the registry's error codes
  // quoted); DataLoss when the bytes do not hash to the digest asked for or
  // to the registry's Docker-Content-Digest; Unimplemented for schema 1
  // manifests; InvalidArgument for other media types; ResourceExhausted
  // above max_manifest_bytes; Unauthenticated / PermissionDenied;
  // Unavailable after the retries.
  absl::StatusOr<Manifest> GetManifest(absl::string_view reference);

  // HEAD /v2/REPO/manifests/REFERENCE: the digest and media type without
  // the body (to watch a tag). Falls back to GetManifest when the registry
  // sends no Docker-Content-Digest.
  absl::StatusOr<ManifestInfo> HeadManifest(absl::string_view reference);

  // GET /v2/REPO/tags/list, following Link rel="next" pages (at most
  // max_tag_pages pages and max_tags tags, else ResourceExhausted), in the
  // registry's order.
  absl::StatusOr<std::vector<std::string>> ListTags();

  // GET /v2/REPO/blobs/DIGEST in memory, for small blobs (configs).
  // ResourceExhausted above `max_bytes`; DataLoss when the bytes do not
  // hash to `digest`.
  absl::StatusOr<std::string> GetBlob(absl::string_view digest,
                                      size_t max_bytes);

  // Streams the blob (blob_stream.h): nothing goes to disk, at most a few
  // hundred KiB are held. The stream verifies size and digest as it goes
  // and resumes after dropped connections. `expected_size` < 0: unknown.
  // NotFound and authentication errors come back here; later ones from
  // ByteStream::Read.
  // With `verify_digest` false the stream leaves the digest to the caller,
  // who hashes the bytes anyway (the layer reader does, on its own core).
  absl::StatusOr<std::unique_ptr<ByteStream>> OpenBlob(
      absl::string_view digest, long long expected_size,
      bool verify_digest = true);

  // Body bytes received from the registry and its storage so far, by this
  // client and the streams it opened (retransmissions included).
  long long bytes_fetched() const;

 private:
  explicit RegistryClient(std::shared_ptr<registry_internal::Session> session);

  std::shared_ptr<registry_internal::Session> session_;
};

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_REGISTRY_CLIENT_H_
