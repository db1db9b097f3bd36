// Polls the registry repositories dci watches (`dci watch-repo add`) on a
// thread of its own: lists each repository's tags, asks for the digest of
// every tag matching the watch's glob with a HEAD request, indexes the tags
// that are new or point elsewhere now (their TAG_CREATED / TAG_MOVED events,
// with the drift summary, come from that commit), and removes the tags that
// vanished from the registry (TAG_REMOVED). What each poll found wrong is
// recorded with the watch (`dci watch-repo list`).
//
// Thread-safe. Start() once; Stop() (or the destructor) joins the thread.
#ifndef DCI_SERVER_REGISTRY_WATCHER_H_
#define DCI_SERVER_REGISTRY_WATCHER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "indexer/indexer.h"
#include "store/store.h"

namespace dci {

class RegistryWatcher {
 public:
  // `store` must outlive the watcher. `base` carries the limits every
  // indexing run uses; each watch adds its own registry access and
  // platform. A watch is polled when `interval_s` passed since its last
  // poll; the thread looks every `tick`.
  RegistryWatcher(Store* store, IndexOptions base,
                  absl::Duration tick = absl::Seconds(1))
      : store_(store), indexer_(store), base_(std::move(base)), tick_(tick) {}
  ~RegistryWatcher() { Stop(); }
  RegistryWatcher(const RegistryWatcher&) = delete;
  RegistryWatcher& operator=(const RegistryWatcher&) = delete;

  void Start();
  void Stop();
  // Looks at the watches now rather than at the next tick (after an add).
  void Wake();

  // One poll of `watch`: OK, or an error listing what went wrong (the
  // tags that could be handled still were).
  absl::Status PollOnce(const RegistryWatch& watch);

 private:
  void Run();

  Store* store_;
  Indexer indexer_;
  const IndexOptions base_;
  const absl::Duration tick_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dci

#endif  // DCI_SERVER_REGISTRY_WATCHER_H_
