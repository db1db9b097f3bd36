// One subscriber's stream: replay the log after a cursor, then go live,
// with no gap and no duplicate at the switch.
//
// Design note (NOTES.md, "An event stream without gap or duplicate").
//   1. Register with the hub first, then read the log's head H.
//   2. Replay the log from the cursor C+1 up to H, in batches.
//   3. Deliver queued live events with seq above the last delivered.
// Registering before reading H closes the race: an event committed after
// H was read is published after the registration, so it is in the queue;
// one committed before is at or below H and comes from the log; one in
// both is dropped by step 3's sequence check. A subscriber whose queue
// overflowed (it read too slowly) unregisters and starts again at step 1
// from the last event it delivered.
//
// Invariants (tests/server/event_stream_test.cc checks them by number):
//  1. Events are delivered in strictly increasing sequence order.
//  2. Every committed event after the cursor that passes the filter is
//     delivered, exactly once, even when commits race the replay.
//  3. A slow subscriber never blocks Publish (hence the writer) or other
//     subscribers.
//  4. A cursor below what retention removed is refused (OutOfRange).
#ifndef DCI_SERVER_EVENT_STREAM_H_
#define DCI_SERVER_EVENT_STREAM_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/event_hub.h"
#include "store/store.h"

namespace dci {

struct EventStreamOptions {
  std::optional<int64_t> since;  // absent: from now on
  absl::Duration heartbeat = absl::Seconds(15);
  int replay_batch = 1000;
};

// The algorithm above as a non-blocking state machine: Poll() says what to
// send next, or that there is nothing yet (then `notify` will be called
// when live events arrive). Drives both the gRPC stream reactor and
// RunEventStream below.
//
// Not thread-safe: one caller at a time. `store` and `hub` must outlive it.
class EventCursor {
 public:
  struct Next {
    enum Kind { kEvent, kHeartbeat, kIdle } kind = kIdle;
    EventRecord event;  // kEvent
    int64_t head = 0;   // kHeartbeat: the last sequence passed
  };

  EventCursor(Store* store, EventHub* hub, EventStreamOptions options,
              std::function<bool(const EventRecord&)> accept,
              std::function<void()> notify,
              std::function<void(const char*)> test_hook = nullptr);
  ~EventCursor();
  EventCursor(const EventCursor&) = delete;
  EventCursor& operator=(const EventCursor&) = delete;

  // Reads the log while replaying; never waits for live events. Errors:
  // OutOfRange for a cursor older than retention (invariant 4), or the
  // store's.
  absl::StatusOr<Next> Poll();

 private:
  enum class Phase { kRegister, kReplay, kLive };
  void Hook(const char* point) {
    if (test_hook_) test_hook_(point);
  }
  void Unsubscribe();

  Store* store_;
  EventHub* hub_;
  const EventStreamOptions options_;
  const std::function<bool(const EventRecord&)> accept_;
  const std::function<void()> notify_;
  const std::function<void(const char*)> test_hook_;
  Phase phase_ = Phase::kRegister;
  int64_t last_;      // last sequence passed (delivered or filtered out)
  int64_t head_ = 0;  // the log's head when registered
  std::deque<EventRecord> buffer_;
  std::shared_ptr<EventHub::Subscription> sub_;
  absl::Time last_sent_;
};

struct EventStreamCallbacks {
  // Whether the subscriber wants this event (kinds, name, package filters).
  std::function<bool(const EventRecord&)> accept;
  // Sends an event; false when the subscriber is gone.
  std::function<bool(const EventRecord&)> deliver;
  // Sends a heartbeat carrying the last sequence passed; false when gone.
  std::function<bool(int64_t head)> heartbeat;
  // True once the subscriber has gone away or the server is stopping.
  std::function<bool()> cancelled;
  // Tests only: called at named points of the algorithm, to force races.
  std::function<void(const char* point)> test_hook;
};

// An EventCursor driven by the calling thread, which waits while idle.
// Runs until the subscriber goes away (OK) or an error.
absl::Status RunEventStream(Store& store, EventHub& hub,
                            const EventStreamOptions& options,
                            const EventStreamCallbacks& callbacks);

}  // namespace dci

#endif  // DCI_SERVER_EVENT_STREAM_H_
