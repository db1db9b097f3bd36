#include "server/event_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"

namespace dci {

EventCursor::EventCursor(Store* store, EventHub* hub,
                         EventStreamOptions options,
                         std::function<bool(const EventRecord&)> accept,
                         std::function<void()> notify,
                         std::function<void(const char*)> test_hook)
    : store_(store),
      hub_(hub),
      options_(options),
      accept_(std::move(accept)),
      notify_(std::move(notify)),
      test_hook_(std::move(test_hook)),
      last_(options.since.has_value() ? *options.since : -1),
      last_sent_(absl::Now()) {}

EventCursor::~EventCursor() { Unsubscribe(); }

void EventCursor::Unsubscribe() {
  if (sub_ != nullptr) hub_->Unsubscribe(sub_);
  sub_ = nullptr;
}

absl::StatusOr<EventCursor::Next> EventCursor::Poll() {
  for (;;) {
    switch (phase_) {
      case Phase::kRegister: {
        // Step 1: register, then read the head.
        sub_ = hub_->Subscribe(notify_);
        Hook("registered");
        DCI_ASSIGN_OR_RETURN(head_, store_->HeadSeq());
        if (last_ < 0) last_ = head_;
        if (last_ < head_) {
          DCI_ASSIGN_OR_RETURN(int64_t pruned, store_->PrunedThrough());
          if (last_ < pruned) {  // invariant 4
            return absl::OutOfRangeError(absl::StrCat(
                "cursor ", last_, " is older than the retained event log "
                "(events up to ", pruned, " were removed by retention); "
                "resubscribe without a cursor, or with ", pruned, " or later"));
          }
        }
        buffer_.clear();
        phase_ = Phase::kReplay;
        break;
      }
      case Phase::kReplay: {
        // Step 2: replay (last, head] from the log, a batch at a time.
        if (buffer_.empty()) {
          if (last_ >= head_) {
            Hook("live");
            phase_ = Phase::kLive;
            break;
          }
          Hook("replay");
          DCI_ASSIGN_OR_RETURN(std::vector<EventRecord> batch,
                               store_->ReadEvents(last_, options_.replay_batch));
          for (EventRecord& e : batch) {
            if (e.seq <= head_) buffer_.push_back(std::move(e));
          }
          if (buffer_.empty()) {  // retention raced us: nothing left to read
            phase_ = Phase::kLive;
            break;
          }
        }
        EventRecord e = std::move(buffer_.front());
        buffer_.pop_front();
        last_ = e.seq;  // invariant 1
        if (accept_(e)) {
          last_sent_ = absl::Now();
          return Next{Next::kEvent, std::move(e), 0};
        }
        break;
      }
      case Phase::kLive: {
        // Step 3: live events, dropping what the replay already passed.
        if (buffer_.empty()) {
          bool overflowed = false;
          std::vector<EventRecord> events = sub_->Take(&overflowed);
          if (overflowed) {
            // The queue was dropped: register again, read the log from last_.
            Unsubscribe();
            Hook("overflowed");
            phase_ = Phase::kRegister;
            break;
          }
          for (EventRecord& e : events) buffer_.push_back(std::move(e));
        }
        while (!buffer_.empty()) {
          EventRecord e = std::move(buffer_.front());
          buffer_.pop_front();
          if (e.seq <= last_) continue;  // invariant 2: no duplicate
          last_ = e.seq;
          if (accept_(e)) {
            last_sent_ = absl::Now();
            return Next{Next::kEvent, std::move(e), 0};
          }
        }
        if (absl::Now() - last_sent_ >= options_.heartbeat) {
          last_sent_ = absl::Now();
          return Next{Next::kHeartbeat, EventRecord(), last_};
        }
        return Next{Next::kIdle, EventRecord(), 0};
      }
    }
  }
}

absl::Status RunEventStream(Store& store, EventHub& hub,
                            const EventStreamOptions& options,
                            const EventStreamCallbacks& cb) {
  // Woken by the hub when live events arrive; otherwise every tick, to
  // send heartbeats and notice a subscriber that went away.
  absl::Mutex mu;
  bool kicked = false;
  EventCursor cursor(
      &store, &hub, options, cb.accept,
      [&mu, &kicked] {
        absl::MutexLock lock(&mu);
        kicked = true;
      },
      cb.test_hook);
  const absl::Duration tick = std::min(options.heartbeat, absl::Seconds(1));
  for (;;) {
    if (cb.cancelled()) return absl::OkStatus();
    DCI_ASSIGN_OR_RETURN(EventCursor::Next next, cursor.Poll());
    switch (next.kind) {
      case EventCursor::Next::kEvent:
        if (!cb.deliver(next.event)) return absl::OkStatus();
        break;
      case EventCursor::Next::kHeartbeat:
        if (!cb.heartbeat(next.head)) return absl::OkStatus();
        break;
      case EventCursor::Next::kIdle: {
        absl::MutexLock lock(&mu);
        mu.AwaitWithTimeout(absl::Condition(&kicked), tick);
        kicked = false;
        break;
      }
    }
  }
}

}  // namespace dci
