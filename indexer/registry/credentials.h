// Registry credentials, from "USER:PASS" or a docker-style authfile.
#ifndef DCI_INDEXER_REGISTRY_CREDENTIALS_H_
#define DCI_INDEXER_REGISTRY_CREDENTIALS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

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
// Credential helpers come first, as docker has it: "credHelpers" naming
// the registry, else "credsStore", runs docker-credential-NAME (found in
// PATH) with `get`, the registry on its stdin and {"Username", "Secret"}
// JSON on its stdout, within `helper_timeout`; a helper that says
// "credentials not found" means no entry.
//
// Returns nullopt when the file has no entry for the registry. NotFound when
// the file (or a helper it names) does not exist; InvalidArgument for broken
// JSON, an "auth" that is not base64 of "user:pass", a helper name that is
// not a plain file name, or helper output that is not its JSON;
// Unavailable for a helper that fails or times out; Unimplemented for an
// identity token (a helper's "<token>" user name).
absl::StatusOr<std::optional<Credentials>> CredentialsFromAuthfile(
    const std::string& path, absl::string_view registry,
    absl::Duration helper_timeout = absl::Seconds(30));

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_CREDENTIALS_H_
