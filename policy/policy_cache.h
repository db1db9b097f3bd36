// What policy evaluation shares between images: the files of a merged tree
// that pass one file filter, per layer chain, and the packages of a set of
// package databases.
//
// Design note. Images of one fleet share most of their layers (a base, a
// runtime) and differ in a layer or two on top; a rule about files reads
// the merged tree, which changes only where the top layers write. So a
// file filter's hits are kept per chain prefix (layer ids, bottom first),
// and the hits of chain P+L are derived from those of P and the entries of
// L alone, with MergeLayers' rules (store/merged_tree.h):
//  1. A hit of P stays unless L has an entry at its path, or it lies below
//     a hide point of L (a whiteout, a non-directory, an opaque directory),
//     or L whites out its path.
//  2. Every non-whiteout entry of L that passes the filter is a hit; an
//     implicit directory is judged by the lower directory it keeps (looked
//     up at that one path, merged tree invariant 5).
//  3. Hits are in path byte order, as a walk of the merged tree gives them.
// Packages are kept per list of visible package databases (path and
// package set id): images with the same package databases share them.
//
// Keys name content, never a policy: a filter is keyed by everything it
// tests, a chain by its layer ids, a package list by its set ids. Layers
// and package sets are immutable once stored, so an entry never goes stale,
// and a changed policy simply asks with other keys.
//
// Thread-safe. Bounded (least recently used entries go first).
#ifndef DCI_POLICY_POLICY_CACHE_H_
#define DCI_POLICY_POLICY_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "diff/inventory.h"
#include "store/layer_entry.h"
#include "store/store.h"

namespace dci {

// The merged-tree entries that pass a filter, in path order. They carry
// what filters test (Store::LayerEntryAttributes: path, type, flags, mode,
// uid, gid, content hash); size, mtime, link target and device may be zero.
using FileHits = std::vector<LayerEntry>;

// A filter over merged-tree entries; `key` names exactly what `match`
// tests (two filters with one key must accept the same entries).
struct FileQuery {
  std::string key;
  std::function<bool(const LayerEntry&)> match;
};

class PolicyCache {
 public:
  // `capacity`: kept entries, counted as file hits plus packages plus one
  // per key.
  explicit PolicyCache(size_t capacity = 2'000'000) : capacity_(capacity) {}
  PolicyCache(const PolicyCache&) = delete;
  PolicyCache& operator=(const PolicyCache&) = delete;

  // The entries of the merged tree of `chain` (layer ids, bottom first)
  // that pass `query`.
  absl::StatusOr<std::shared_ptr<const FileHits>> Files(
      Store& store, const std::vector<int64_t>& chain, const FileQuery& query);

  // The packages of `image` as LoadPackages gives them, without `layer`
  // and `history_index` (-1): rules do not read them.
  absl::StatusOr<std::shared_ptr<const std::vector<ImagePackage>>> Packages(
      Store& store, const ImageRecord& image);

  struct Stats {
    int64_t hits = 0, misses = 0, layers_read = 0, package_sets_read = 0;
  };
  Stats stats() const;

 private:
  using Value = std::shared_ptr<const void>;
  Value Get(const std::string& key);
  void Put(const std::string& key, Value v, size_t weight);
  absl::StatusOr<std::shared_ptr<const std::vector<LayerEntry>>> Layer(
      Store& store, int64_t layer_id);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  struct Slot {
    Value value;
    size_t weight;
    std::list<std::string>::iterator lru;
  };
  std::unordered_map<std::string, Slot> map_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // most recent first
  size_t weight_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dci

#endif  // DCI_POLICY_POLICY_CACHE_H_
