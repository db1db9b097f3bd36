// libFuzzer target for the registry response headers dci parses:
// WWW-Authenticate challenges and Link pagination. A registry is hostile
// input; any header value must parse or stop, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "indexer/registry/auth_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header(reinterpret_cast<const char*>(data), size);
  using dci::registry_internal::AuthChallenge;
  std::vector<AuthChallenge> challenges =
      dci::registry_internal::ParseAuthChallenges(header);
  for (const AuthChallenge& c : challenges) {
    for (char ch : c.scheme) {
      if (ch >= 'A' && ch <= 'Z') __builtin_trap();  // lowercased
    }
  }
  std::string next = dci::registry_internal::ParseNextLink(header);
  if (next.size() > size) __builtin_trap();
  return 0;
}
