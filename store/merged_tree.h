// The merged file tree of an image: its layers applied bottom-up with the
// whiteout rules of the OCI image-spec (layer.md, "Whiteouts").
//
// Design note. Layers are stored as folded entry lists (store/layer_entry.h,
// layer_reader.h rules 1-7); the tree is derived, never stored. Applying
// layer i to the tree of layers 0..i-1 is two passes over layer i:
//   pass 1 hides: a whiteout removes its path and subtree; a non-directory
//     removes the subtree of a directory it replaces; an opaque directory
//     removes the children it had below;
//   pass 2 writes: every non-whiteout entry replaces what was at its path;
//     an implicit directory keeps the lower directory's attributes.
// Hiding before writing is what makes whiteouts apply to lower layers only.
//
// Invariants (tests/store/merged_tree_test.cc checks them by number):
//  1. A path whited out in layer i is absent unless a layer >= i writes it.
//  2. An opaque directory in layer i has no child from a layer < i.
//  3. Entries of layer i are never hidden by whiteouts of layer i.
//  4. A non-directory replacing a directory removes the whole subtree; a
//     directory put back later does not bring the old children back.
//  5. The state of a path depends only on the entries at that path and at
//     its ancestors, so merging only those entries (MergeLayers over a
//     subset) gives the same state for it: what drift relies on.
#ifndef DCI_STORE_MERGED_TREE_H_
#define DCI_STORE_MERGED_TREE_H_

#include <map>
#include <string>
#include <vector>

#include "store/layer_entry.h"

namespace dci {

struct TreeNode {
  LayerEntry entry;
  int layer = 0;  // position (0 = bottom) of the layer that last wrote it
};

// Path -> node, in path byte order.
using MergedTree = std::map<std::string, TreeNode>;

// `layers[i]` holds the entries of layer i (bottom first), each sorted by
// path with one entry per path.
MergedTree MergeLayers(const std::vector<std::vector<LayerEntry>>& layers);

}  // namespace dci

#endif  // DCI_STORE_MERGED_TREE_H_
