#include "indexer/system/image_path.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dci {
namespace {

// PATH_MAX on Linux: no real link target is longer.
constexpr size_t kMaxTargetBytes = 4096;

// Pushes the components of `path` onto `todo`, a stack whose back is the
// next component to walk, so the first component of `path` ends up last.
void PushComponents(absl::string_view path, std::vector<std::string>* todo) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(path, '/', absl::SkipEmpty());
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (*it != ".") todo->emplace_back(*it);
  }
}

}  // namespace

absl::StatusOr<std::string> ResolveInImage(absl::string_view path,
                                           const EntryLookup& lookup,
                                           int max_hops) {
  std::vector<std::string> done;  // canonical components resolved so far
  std::vector<std::string> todo;  // components still to walk, next at back
  PushComponents(path, &todo);
  int hops = 0;
  while (!todo.empty()) {
    std::string component = std::move(todo.back());
    todo.pop_back();
    if (component == "..") {
      // The image root is its own parent, as "/.." is "/".
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(component));
    std::string here = absl::StrJoin(done, "/");
    std::optional<ImageEntry> entry = lookup(here);
    if (!entry.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("\"", here, "\": no such entry in the image"));
    }
    if (!entry->is_symlink) continue;

    const std::string& target = entry->link_target;
    if (++hops > max_hops) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", here, "\": more than ", max_hops, " symbolic links to follow"));
    }
    if (target.empty()) {
      return absl::NotFoundError(
          absl::StrCat("\"", here, "\": symbolic link with an empty target"));
    }
    if (target.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", here, "\": symbolic link target contains a NUL byte"));
    }
    if (target.size() > kMaxTargetBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", here, "\": symbolic link target is ", target.size(),
          " bytes long (limit ", kMaxTargetBytes, ")"));
    }
    // The link replaces its own name: relative targets continue from the
    // link's directory, absolute ones from the image root.
    done.pop_back();
    if (target.front() == '/') done.clear();
    PushComponents(target, &todo);
  }
  return absl::StrJoin(done, "/");
}

std::string LexicalLinkTarget(absl::string_view link_path,
                              absl::string_view target) {
  std::vector<absl::string_view> done;
  if (target.empty() || target.front() != '/') {
    done = absl::StrSplit(link_path, '/', absl::SkipEmpty());
    if (!done.empty()) done.pop_back();  // the link's own name
  }
  for (absl::string_view part :
       absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
  }
  return absl::StrJoin(done, "/");
}

}  // namespace dci
