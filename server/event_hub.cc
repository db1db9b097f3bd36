#include "server/event_hub.h"

#include <algorithm>

namespace dci {

std::vector<EventRecord> EventHub::Subscription::Wait(absl::Duration timeout,
                                                      bool* overflowed) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || overflowed_ || cancelled_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  *overflowed = overflowed_;
  overflowed_ = false;
  std::vector<EventRecord> out;
  out.reserve(queued_);
  for (const EventBatch& b : queue_) out.insert(out.end(), b->begin(), b->end());
  queue_.clear();
  queued_ = 0;
  return out;
}

void EventHub::Subscription::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

void EventHub::Subscription::Push(const EventBatch& batch) {
  {
    absl::MutexLock lock(&mu_);
    if (overflowed_ || cancelled_) return;
    if (queued_ + batch->size() > capacity_) {
      queue_.clear();
      queued_ = 0;
      overflowed_ = true;
    } else {
      queue_.push_back(batch);
      queued_ += batch->size();
    }
  }
  if (notify_) notify_();
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe(
    std::function<void()> notify) {
  std::shared_ptr<Subscription> sub(new Subscription(capacity_, std::move(notify)));
  absl::MutexLock lock(&mu_);
  subs_.push_back(sub);
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& sub) {
  absl::MutexLock lock(&mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void EventHub::Publish(std::vector<EventRecord> events) {
  if (events.empty()) return;
  auto batch = std::make_shared<const std::vector<EventRecord>>(std::move(events));
  absl::MutexLock lock(&mu_);
  for (const auto& sub : subs_) sub->Push(batch);
}

size_t EventHub::subscriber_count() {
  absl::MutexLock lock(&mu_);
  return subs_.size();
}

}  // namespace dci
