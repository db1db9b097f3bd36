// Fuzzes the os-release parser, and the in-image symlink resolution and
// service-link reading with a tree decoded from the same bytes: every line
// "path\ttarget" is a symlink, every other line a plain entry.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "indexer/system/image_path.h"
#include "indexer/system/os_release.h"
#include "indexer/system/services.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  dci::OsRelease release = dci::ParseOsRelease(input);
  (void)release;

  std::map<std::string, std::optional<std::string>> tree;
  std::vector<dci::SymlinkEntry> links;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (parts.size() == 2) {
      tree[std::string(parts[0])] = std::string(parts[1]);
      links.push_back({std::string(parts[0]), std::string(parts[1])});
    } else {
      tree[std::string(line)] = std::nullopt;
    }
  }
  dci::EntryLookup lookup =
      [&tree](std::string path) -> std::optional<dci::ImageEntry> {
    auto it = tree.find(path);
    if (it == tree.end()) return std::nullopt;
    dci::ImageEntry e;
    if (it->second.has_value()) {
      e.is_symlink = true;
      e.link_target = *it->second;
    }
    return e;
  };
  absl::StatusOr<std::string> path = dci::ResolveOsReleasePath(lookup);
  (void)path;
  for (const dci::SymlinkEntry& link : links) {
    std::string lexical = dci::LexicalLinkTarget(link.path, link.target);
    (void)lexical;
  }
  dci::ServiceScan services = dci::FindEnabledServices(links);
  (void)services;
  return 0;
}
