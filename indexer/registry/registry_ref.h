// Where a docker:// image lives: the registry to connect to and the
// repository in it, with a tag or a digest.
#ifndef DCI_INDEXER_REGISTRY_REGISTRY_REF_H_
#define DCI_INDEXER_REGISTRY_REGISTRY_REF_H_

#include <string>

#include "absl/status/statusor.h"
#include "indexer/image_ref.h"

namespace dci {

// Docker Hub's API endpoint. References name it "docker.io".
inline constexpr char kDockerHubRegistry[] = "registry-1.docker.io";

// A plain value; copyable.
struct RegistryRef {
  // HOST[:PORT] to connect to, as written ("127.0.0.1:5000", "[::1]:5000",
  // "quay.io"); docker.io and index.docker.io become registry-1.docker.io.
  std::string registry;
  std::string repository;  // "library/debian", "dci/debian"
  std::string tag;         // "" when digest is set
  std::string digest;      // "sha256:..." or ""

  // The manifest reference: the digest if there is one, else the tag.
  const std::string& reference() const { return digest.empty() ? tag : digest; }
  // docker://REGISTRY/REPOSITORY[:TAG|@DIGEST]
  std::string ToString() const;
};

// Splits a reference that ParseImageRef (indexer/image_ref.h) has already
// checked and normalised, the way `docker pull` and skopeo do: the first
// path component is the registry when it holds a '.' or a ':' or is
// "localhost"; otherwise the registry is Docker Hub and single-component
// names get "library/". The tag defaults to "latest".
//
//   DCI_ASSIGN_OR_RETURN(ImageRef image, ParseImageRef("docker://debian"));
//   DCI_ASSIGN_OR_RETURN(RegistryRef ref, RegistryRefFromImageRef(image));
//   // ref.registry == "registry-1.docker.io", ref.repository ==
//   // "library/debian", ref.tag == "latest"
//
// InvalidArgument when `image` is not a docker:// reference.
absl::StatusOr<RegistryRef> RegistryRefFromImageRef(const ImageRef& image);

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_REGISTRY_REF_H_
