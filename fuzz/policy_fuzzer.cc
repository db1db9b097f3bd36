// libFuzzer target for the policy parser (YAML, then dci's grammar, globs,
// RE2 patterns and version ranges): any bytes must give a policy or an
// InvalidArgument "LINE:COLUMN: message", never a crash, leak or hang.
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "policy/policy.h"

namespace {

// "LINE:COLUMN: " at the start of `m`.
bool HasPosition(absl::string_view m) {
  for (int part = 0; part < 2; ++part) {
    size_t digits = 0;
    while (digits < m.size() && absl::ascii_isdigit(m[digits])) ++digits;
    if (digits == 0 || digits == m.size() || m[digits] != ':') return false;
    m.remove_prefix(digits + 1);
  }
  return !m.empty() && m[0] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<dci::Policy> policy = dci::ParsePolicy(yaml);
  if (!policy.ok()) {
    if (!absl::IsInvalidArgument(policy.status()) ||
        !HasPosition(policy.status().message())) {
      __builtin_trap();  // policy.h: InvalidArgument "LINE:COLUMN: message"
    }
  }
  return 0;
}
