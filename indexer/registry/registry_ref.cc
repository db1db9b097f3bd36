#include "indexer/registry/registry_ref.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dci {

std::string RegistryRef::ToString() const {
  std::string out = absl::StrCat("docker://", registry, "/", repository);
  if (!digest.empty()) return absl::StrCat(out, "@", digest);
  if (!tag.empty()) return absl::StrCat(out, ":", tag);
  return out;
}

absl::StatusOr<RegistryRef> RegistryRefFromImageRef(const ImageRef& image) {
  if (image.transport != Transport::kRegistry) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a docker:// reference (transport ",
                     TransportName(image.transport), ")"));
  }
  // ParseImageRef leaves "docker.io/library/busybox" for "busybox": the
  // first component is always the registry.
  size_t slash = image.path.find('/');
  if (slash == std::string::npos || slash == 0 ||
      slash + 1 == image.path.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("docker://", image.path, ": want HOST[:PORT]/REPOSITORY"));
  }
  RegistryRef out;
  out.registry = image.path.substr(0, slash);
  out.repository = image.path.substr(slash + 1);
  if (out.registry == "docker.io" || out.registry == "index.docker.io") {
    out.registry = kDockerHubRegistry;
  }
  out.digest = image.digest;
  out.tag = image.tag;
  if (out.tag.empty() && out.digest.empty()) out.tag = "latest";
  return out;
}

}  // namespace dci
