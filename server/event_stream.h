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
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/event_hub.h"
#include "store/store.h"

namespace dci {

struct EventStreamOptions {
  std::optional<int64_t> since;  // absent: from now on
  absl::Duration heartbeat = absl::Seconds(15);
  int replay_batch = 1000;
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

// Runs until the subscriber goes away (OK) or an error (OutOfRange for a
// cursor older than retention, or a store error).
absl::Status RunEventStream(Store& store, EventHub& hub,
                            const EventStreamOptions& options,
                            const EventStreamCallbacks& callbacks);

}  // namespace dci

#endif  // DCI_SERVER_EVENT_STREAM_H_
