// WWW-Authenticate challenges (RFC 7235 section 4.1) as registries send
// them: `Bearer realm="https://auth.example/token",service="reg",
// scope="repository:foo:pull"` or `Basic realm="registry"`. Internal to
// dci_registry; exposed for tests.
#ifndef DCI_INDEXER_REGISTRY_AUTH_CHALLENGE_H_
#define DCI_INDEXER_REGISTRY_AUTH_CHALLENGE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dci::registry_internal {

struct AuthChallenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lowercased, unquoted

  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

// Parses one header value, which may hold several challenges
// ("Basic realm=\"a\", Bearer realm=\"b\",service=\"c\""). Malformed parts
// end the parse; what was parsed before them is returned.
std::vector<AuthChallenge> ParseAuthChallenges(absl::string_view header);

// The URL in a `Link: <URL>; rel="next"` header (distribution's spec,
// "Pagination"), or "" when there is none.
std::string ParseNextLink(absl::string_view header);

}  // namespace dci::registry_internal

#endif  // DCI_INDEXER_REGISTRY_AUTH_CHALLENGE_H_
