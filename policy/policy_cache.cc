#include "policy/policy_cache.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "store/merged_tree.h"

namespace dci {
namespace {

std::string ChainKey(const std::string& query_key,
                     const std::vector<int64_t>& chain, size_t n) {
  std::string k = absl::StrCat("F", query_key.size(), ":", query_key, "|");
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&k, chain[i], ",");
  return k;
}

bool HidesBelow(const LayerEntry& e) {
  return e.type == EntryType::kWhiteout || e.type != EntryType::kDir || e.opaque;
}

// The entry of `layer` (sorted by path) at `path`, or null.
const LayerEntry* At(const std::vector<LayerEntry>& layer, absl::string_view path) {
  auto it = std::lower_bound(
      layer.begin(), layer.end(), path,
      [](const LayerEntry& e, absl::string_view p) { return absl::string_view(e.path) < p; });
  return it != layer.end() && it->path == path ? &*it : nullptr;
}

// Whether `path` lies strictly below a hide point of `layer`.
bool Below(const std::vector<LayerEntry>& layer, const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const LayerEntry* e = At(layer, absl::string_view(path).substr(0, slash));
    if (e != nullptr && HidesBelow(*e)) return true;
  }
  return false;
}

// The node at `path` in the merged tree of `lower` (invariant 5 of
// store/merged_tree.h: only the entries at the path and its ancestors
// matter).
absl::StatusOr<std::optional<LayerEntry>> NodeAt(Store& store,
                                                 const std::vector<int64_t>& lower,
                                                 const std::string& path) {
  if (lower.empty()) return std::optional<LayerEntry>();
  std::vector<std::string> paths;
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    paths.push_back(path.substr(0, slash));
  }
  paths.push_back(path);
  DCI_ASSIGN_OR_RETURN(auto layers, store.LayerEntriesAt(lower, paths));
  MergedTree t = MergeLayers(layers);
  auto it = t.find(path);
  if (it == t.end()) return std::optional<LayerEntry>();
  return std::optional<LayerEntry>(it->second.entry);
}

}  // namespace

PolicyCache::Value PolicyCache::Get(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.value;
}

void PolicyCache::Put(const std::string& key, Value v, size_t weight) {
  absl::MutexLock l(&mu_);
  weight += 1;
  auto it = map_.find(key);
  if (it != map_.end()) return;  // another thread was first: same content
  lru_.push_front(key);
  map_.emplace(key, Slot{std::move(v), weight, lru_.begin()});
  weight_ += weight;
  while (weight_ > capacity_ && lru_.size() > 1) {
    auto last = map_.find(lru_.back());
    weight_ -= last->second.weight;
    map_.erase(last);
    lru_.pop_back();
  }
}

PolicyCache::Stats PolicyCache::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

absl::StatusOr<std::shared_ptr<const std::vector<LayerEntry>>> PolicyCache::Layer(
    Store& store, int64_t layer_id) {
  const std::string key = absl::StrCat("L", layer_id);
  if (Value v = Get(key)) {
    return std::static_pointer_cast<const std::vector<LayerEntry>>(v);
  }
  // Sorted by path; only the fields filters and evidence read.
  DCI_ASSIGN_OR_RETURN(std::vector<LayerEntry> entries,
                       store.LayerEntryAttributes(layer_id));
  auto p = std::make_shared<const std::vector<LayerEntry>>(std::move(entries));
  Put(key, p, p->size());
  {
    absl::MutexLock l(&mu_);
    ++stats_.layers_read;
  }
  return p;
}

absl::StatusOr<std::shared_ptr<const FileHits>> PolicyCache::Files(
    Store& store, const std::vector<int64_t>& chain, const FileQuery& query) {
  // The longest chain prefix already known.
  size_t k = chain.size();
  std::shared_ptr<const FileHits> hits;
  for (; k > 0; --k) {
    if (Value v = Get(ChainKey(query.key, chain, k))) {
      hits = std::static_pointer_cast<const FileHits>(v);
      break;
    }
  }
  if (hits == nullptr) hits = std::make_shared<const FileHits>();
  for (; k < chain.size(); ++k) {
    DCI_ASSIGN_OR_RETURN(auto layer, Layer(store, chain[k]));
    // Rule 1: what the lower chain shows and this layer leaves alone.
    FileHits kept;
    for (const LayerEntry& e : *hits) {
      if (At(*layer, e.path) != nullptr || Below(*layer, e.path)) continue;
      kept.push_back(e);
    }
    // Rule 2: what this layer writes.
    FileHits added;
    const std::vector<int64_t> lower(chain.begin(), chain.begin() + k);
    for (const LayerEntry& e : *layer) {
      if (e.type == EntryType::kWhiteout) continue;
      if (e.implicit && !Below(*layer, e.path)) {
        DCI_ASSIGN_OR_RETURN(std::optional<LayerEntry> below, NodeAt(store, lower, e.path));
        if (below && below->type == EntryType::kDir) {
          if (query.match(*below)) added.push_back(*below);
          continue;
        }
      }
      if (query.match(e)) added.push_back(e);
    }
    // Rule 3: path order (both lists are sorted and disjoint).
    auto merged = std::make_shared<FileHits>();
    merged->reserve(kept.size() + added.size());
    std::merge(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()),
               std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()),
               std::back_inserter(*merged),
               [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
    Put(ChainKey(query.key, chain, k + 1), merged, merged->size());
    hits = std::move(merged);
  }
  return hits;
}

absl::StatusOr<std::shared_ptr<const std::vector<ImagePackage>>> PolicyCache::Packages(
    Store& store, const ImageRecord& image) {
  DCI_ASSIGN_OR_RETURN(std::vector<PackageDbRef> visible, store.ImagePackageDbs(image.id));
  std::string key = "P";
  for (const PackageDbRef& db : visible) {
    absl::StrAppend(&key, db.db_path.size(), ":", db.db_path, "=", db.set_id, ",");
  }
  if (Value v = Get(key)) {
    return std::static_pointer_cast<const std::vector<ImagePackage>>(v);
  }
  auto out = std::make_shared<std::vector<ImagePackage>>();
  for (const PackageDbRef& db : visible) {
    DCI_ASSIGN_OR_RETURN(std::vector<Package> set, store.PackageSet(db.set_id));
    for (Package& p : set) {
      ImagePackage ip;
      ip.db_path = db.db_path;
      ip.package = std::move(p);
      out->push_back(std::move(ip));
    }
  }
  // LoadPackages' order.
  std::stable_sort(out->begin(), out->end(), [](const ImagePackage& a, const ImagePackage& b) {
    return std::make_tuple(static_cast<int>(a.package.ecosystem), a.package.name,
                           a.package.arch) <
           std::make_tuple(static_cast<int>(b.package.ecosystem), b.package.name,
                           b.package.arch);
  });
  {
    absl::MutexLock l(&mu_);
    stats_.package_sets_read += static_cast<int64_t>(visible.size());
  }
  Put(key, out, out->size());
  return std::shared_ptr<const std::vector<ImagePackage>>(std::move(out));
}

}  // namespace dci
