// Image references in the containers-image transport syntax (PRODUCT.md,
// "Image references"): oci:DIR[:TAG], oci-archive:FILE[:TAG],
// docker-archive:FILE[:NAME:TAG], docker://HOST[:PORT]/REPO[:TAG|@DIGEST],
// dir:ROOTFS, tar:FILE.
#ifndef DCI_INDEXER_IMAGE_REF_H_
#define DCI_INDEXER_IMAGE_REF_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

enum class Transport {
  kOciDir,         // oci:
  kOciArchive,     // oci-archive:
  kDockerArchive,  // docker-archive:
  kRegistry,       // docker://
  kRootfsDir,      // dir:
  kRootfsTar,      // tar:
};

absl::string_view TransportName(Transport t);  // "oci", "oci-archive", ...

struct ImageRef {
  Transport transport = Transport::kOciDir;
  std::string path;  // DIR or FILE; for docker:// the HOST[:PORT]/REPO
  // oci / oci-archive: the TAG (org.opencontainers.image.ref.name), or "".
  // docker-archive: "NAME:TAG" picking one image of the archive, or "".
  // docker://: the tag ("latest" when none and no digest).
  std::string tag;
  std::string digest;  // docker://REPO@sha256:...
  std::string ToString() const;  // round-trips through ParseImageRef
};

// InvalidArgument, naming the problem, for an unknown transport, an empty
// path, or a malformed tag or digest.
absl::StatusOr<ImageRef> ParseImageRef(absl::string_view ref);

}  // namespace dci

#endif  // DCI_INDEXER_IMAGE_REF_H_
