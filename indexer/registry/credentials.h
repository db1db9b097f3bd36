// Registry credentials, from "USER:PASS" or a docker-style authfile.
#ifndef DCI_INDEXER_REGISTRY_CREDENTIALS_H_
#define DCI_INDEXER_REGISTRY_CREDENTIALS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

// A plain value; copyable.
struct Credentials {
  std::string username;
  std::string password;
};

// Splits "USER:PASS" at the first ':' (the password may hold ':').
// InvalidArgument for no ':' or an empty user name.
absl::StatusOr<Credentials> ParseCredentials(absl::string_view user_pass);

// Looks `registry` (HOST[:PORT]) up in the "auths" object of the
// docker-style config.json at `path`, the way docker and skopeo do: keys
// may carry a scheme and a path ("https://index.docker.io/v1/"), and
// Docker Hub answers to docker.io, index.docker.io and
// registry-1.docker.io. An entry holds "auth" (base64 "user:pass") or
// "username" and "password".
//
// Returns nullopt when the file has no entry for the registry. NotFound when
// the file does not exist; InvalidArgument for broken JSON or an "auth"
// that is not base64 of "user:pass". Credential helpers ("credHelpers",
// "credsStore") are not run.
absl::StatusOr<std::optional<Credentials>> CredentialsFromAuthfile(
    const std::string& path, absl::string_view registry);

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_CREDENTIALS_H_
