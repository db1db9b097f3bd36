#include "server/drift_cache.h"

#include "base/status_macros.h"

namespace dci {

absl::StatusOr<DriftSummary> DriftCache::Get(int64_t from_image,
                                             int64_t to_image) {
  const std::pair<int64_t, int64_t> key(from_image, to_image);
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  DCI_ASSIGN_OR_RETURN(ImageRecord a, store_->GetImage(from_image));
  DCI_ASSIGN_OR_RETURN(ImageRecord b, store_->GetImage(to_image));
  DCI_ASSIGN_OR_RETURN(ImageDiff diff, DiffImages(*store_, a, b));
  DriftSummary summary = Summarize(diff);
  if (cache_.size() >= capacity_) {
    for (size_t i = 0; i < capacity_ / 2 && !order_.empty(); ++i) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
  }
  cache_.emplace(key, summary);
  order_.push_back(key);
  return summary;
}

}  // namespace dci
