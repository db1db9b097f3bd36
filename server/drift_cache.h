// Drift summaries between two images, computed once and kept: images are
// immutable, so a summary never goes stale. Serves TAG_MOVED events (every
// subscriber sees the same summary, computed once) and tag timelines.
//
// Thread-safe. Bounded: when full, the oldest half is dropped.
#ifndef DCI_SERVER_DRIFT_CACHE_H_
#define DCI_SERVER_DRIFT_CACHE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "diff/diff.h"
#include "store/store.h"

namespace dci {

class DriftCache {
 public:
  explicit DriftCache(Store* store, size_t capacity = 4096)
      : store_(store), capacity_(capacity) {}

  absl::StatusOr<DriftSummary> Get(int64_t from_image, int64_t to_image);

 private:
  Store* store_;
  const size_t capacity_;
  // Held while computing, so concurrent askers of one pair wait for the
  // first instead of all diffing.
  absl::Mutex mu_;
  std::map<std::pair<int64_t, int64_t>, DriftSummary> cache_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<int64_t, int64_t>> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dci

#endif  // DCI_SERVER_DRIFT_CACHE_H_
