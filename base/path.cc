#include "base/path.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dci {

absl::StatusOr<std::string> NormalizeEntryPath(absl::string_view name) {
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("name contains a NUL byte");
  }
  if (name.size() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("name is ", name.size(), " bytes long (limit 4096)"));
  }
  if (!name.empty() && name[0] == '/') {
    return absl::InvalidArgumentError("absolute path");
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError("path escapes root (\"..\" component)");
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

absl::string_view ParentPath(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? absl::string_view()
                                          : path.substr(0, slash);
}

absl::string_view BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

bool IsStrictlyUnder(absl::string_view path, absl::string_view dir) {
  if (dir.empty()) return !path.empty();
  return path.size() > dir.size() && path[dir.size()] == '/' &&
         path.substr(0, dir.size()) == dir;
}

}  // namespace dci
