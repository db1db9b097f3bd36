// Fan-out of committed events to live subscribers.
//
// The store calls Publish() under its writer lock after each commit, so
// batches arrive in sequence order. Publish never waits for a subscriber:
// each has a bounded queue, and a subscriber whose queue is full is marked
// overflowed and its queue dropped; it then reads the log again
// (server/event_stream.h) instead of losing events or holding up the writer.
// Batches are shared between subscribers, not copied.
//
// Thread-safe.
#ifndef DCI_SERVER_EVENT_HUB_H_
#define DCI_SERVER_EVENT_HUB_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/event.h"

namespace dci {

using EventBatch = std::shared_ptr<const std::vector<EventRecord>>;

class EventHub {
 public:
  // `capacity`: events a subscriber may have queued before it overflows.
  explicit EventHub(size_t capacity = 4096) : capacity_(capacity) {}

  class Subscription {
   public:
    // Waits until events are queued, the subscription is cancelled, or
    // `timeout` passes. Returns the queued events in sequence order; sets
    // `*overflowed` when events were dropped since the last call (the
    // caller must then read the log from where it was).
    std::vector<EventRecord> Wait(absl::Duration timeout, bool* overflowed);
    // Wait() without waiting.
    std::vector<EventRecord> Take(bool* overflowed) {
      return Wait(absl::ZeroDuration(), overflowed);
    }
    // Wakes a Wait(); later Waits return at once.
    void Cancel();

   private:
    friend class EventHub;
    Subscription(size_t capacity, std::function<void()> notify)
        : capacity_(capacity), notify_(std::move(notify)) {}
    void Push(const EventBatch& batch);

    const size_t capacity_;
    const std::function<void()> notify_;
    absl::Mutex mu_;
    std::deque<EventBatch> queue_ ABSL_GUARDED_BY(mu_);
    size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
    bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  };

  // Registers a subscriber: every batch published from now on reaches it.
  // `notify`, if given, is called after each batch is queued (or dropped
  // by an overflow), on the publishing thread with the hub locked: it must
  // only wake someone, never call back into the hub or the store.
  std::shared_ptr<Subscription> Subscribe(std::function<void()> notify = nullptr);
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  void Publish(std::vector<EventRecord> events);
  size_t subscriber_count();

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dci

#endif  // DCI_SERVER_EVENT_HUB_H_
