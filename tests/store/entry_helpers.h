// Terse LayerEntry builders for store and diff tests.
#ifndef DCI_TESTS_STORE_ENTRY_HELPERS_H_
#define DCI_TESTS_STORE_ENTRY_HELPERS_H_

#include <algorithm>
#include <string>
#include <vector>

#include "base/content_hash.h"
#include "store/layer_entry.h"

namespace dci::testing {

inline LayerEntry F(const std::string& path, const std::string& content = "x",
                    uint32_t mode = 0644) {
  LayerEntry e;
  e.path = path;
  e.type = EntryType::kFile;
  e.mode = mode;
  e.size = static_cast<int64_t>(content.size());
  e.content_hash = ContentHasher::Of(content.data(), content.size());
  return e;
}
inline LayerEntry D(const std::string& path, bool opaque = false) {
  LayerEntry e;
  e.path = path;
  e.type = EntryType::kDir;
  e.mode = 0755;
  e.opaque = opaque;
  return e;
}
inline LayerEntry W(const std::string& path) {
  LayerEntry e;
  e.path = path;
  e.type = EntryType::kWhiteout;
  return e;
}
inline LayerEntry L(const std::string& path, const std::string& target) {
  LayerEntry e;
  e.path = path;
  e.type = EntryType::kSymlink;
  e.mode = 0777;
  e.link_target = target;
  return e;
}
inline std::vector<LayerEntry> Layer(std::vector<LayerEntry> v) {
  std::sort(v.begin(), v.end(), [](const LayerEntry& a, const LayerEntry& b) {
    return a.path < b.path;
  });
  return v;
}

}  // namespace dci::testing

#endif  // DCI_TESTS_STORE_ENTRY_HELPERS_H_
