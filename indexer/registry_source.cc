#include "indexer/registry_source.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "indexer/registry/registry_ref.h"

namespace dci {

absl::StatusOr<std::unique_ptr<RegistrySource>> RegistrySource::Open(
    const ImageRef& ref, const RegistryOptions& options) {
  DCI_ASSIGN_OR_RETURN(RegistryRef where, RegistryRefFromImageRef(ref));
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
                       RegistryClient::Create(where, options));
  return std::unique_ptr<RegistrySource>(new RegistrySource(std::move(client)));
}

absl::StatusOr<std::unique_ptr<ByteStream>> RegistrySource::Open(
    const std::string& rel_path) {
  return OpenBlob(rel_path, -1);
}

absl::StatusOr<std::unique_ptr<ByteStream>> RegistrySource::OpenBlob(
    const std::string& rel_path, long long expected_size) {
  absl::string_view path = rel_path;
  if (absl::ConsumePrefix(&path, "manifests/")) {
    DCI_ASSIGN_OR_RETURN(Manifest m, client_->GetManifest(path));
    return MakeStringStream(std::move(m.bytes));
  }
  if (absl::ConsumePrefix(&path, "blobs/")) {
    // "sha256/<hex>" -> "sha256:<hex>"
    const size_t slash = path.find('/');
    if (slash != absl::string_view::npos) {
      // Every reader of a source checks the digest itself (manifest.cc's
      // ReadBlob, the layer reader): the stream need not hash too.
      return client_->OpenBlob(absl::StrCat(path.substr(0, slash), ":",
                                            path.substr(slash + 1)),
                               expected_size, /*verify_digest=*/false);
    }
  }
  return absl::NotFoundError(
      absl::StrCat("a registry has no file \"", rel_path, "\""));
}

absl::StatusOr<long long> RegistrySource::Size(const std::string& rel_path) {
  return absl::UnimplementedError(
      absl::StrCat("registry sources do not size \"", rel_path, "\""));
}

}  // namespace dci
