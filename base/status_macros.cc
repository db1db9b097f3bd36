#include "base/status_macros.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace dci {

absl::Status Annotate(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

}  // namespace dci
