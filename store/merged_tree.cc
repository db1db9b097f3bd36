#include "store/merged_tree.h"

namespace dci {
namespace {

// Removes every path strictly under `dir`: they sort in [dir + "/",
// dir + "0") since '0' follows '/'.
void EraseSubtree(MergedTree& tree, const std::string& dir) {
  auto first = tree.lower_bound(dir + "/");
  auto last = tree.lower_bound(dir + "0");
  tree.erase(first, last);
}

}  // namespace

MergedTree MergeLayers(const std::vector<std::vector<LayerEntry>>& layers) {
  MergedTree tree;
  for (size_t i = 0; i < layers.size(); ++i) {
    // Pass 1: hide what lower layers had (invariants 1, 2, 4).
    for (const LayerEntry& e : layers[i]) {
      if (e.type == EntryType::kWhiteout) {
        tree.erase(e.path);
        EraseSubtree(tree, e.path);
      } else if (e.type != EntryType::kDir || e.opaque) {
        EraseSubtree(tree, e.path);
      }
    }
    // Pass 2: write this layer's entries (invariant 3).
    for (const LayerEntry& e : layers[i]) {
      if (e.type == EntryType::kWhiteout) continue;
      if (e.implicit) {
        auto it = tree.find(e.path);
        if (it != tree.end() && it->second.entry.type == EntryType::kDir) {
          continue;
        }
      }
      tree[e.path] = TreeNode{e, static_cast<int>(i)};
    }
  }
  return tree;
}

}  // namespace dci
