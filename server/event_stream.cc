#include "server/event_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace dci {
namespace {

void Hook(const EventStreamCallbacks& cb, const char* point) {
  if (cb.test_hook) cb.test_hook(point);
}

}  // namespace

absl::Status RunEventStream(Store& store, EventHub& hub,
                            const EventStreamOptions& options,
                            const EventStreamCallbacks& cb) {
  // The last sequence passed (delivered or filtered out); -1: not known yet.
  int64_t last = options.since.has_value() ? *options.since : -1;
  // Wake often enough to notice a subscriber that went away.
  const absl::Duration tick = std::min(options.heartbeat, absl::Seconds(1));
  for (;;) {
    // Step 1: register, then read the head.
    std::shared_ptr<EventHub::Subscription> sub = hub.Subscribe();
    struct Unsubscribe {
      EventHub& hub;
      std::shared_ptr<EventHub::Subscription>& sub;
      ~Unsubscribe() { hub.Unsubscribe(sub); }
    } unsubscribe{hub, sub};
    Hook(cb, "registered");
    DCI_ASSIGN_OR_RETURN(int64_t head, store.HeadSeq());
    if (last < 0) last = head;

    // Step 2: replay (last, head] from the log.
    if (last < head) {
      DCI_ASSIGN_OR_RETURN(int64_t pruned, store.PrunedThrough());
      if (last < pruned) {  // invariant 4
        return absl::OutOfRangeError(absl::StrCat(
            "cursor ", last, " is older than the retained event log (events "
            "up to ", pruned, " were removed by retention); resubscribe "
            "without a cursor, or with ", pruned, " or later"));
      }
    }
    while (last < head) {
      Hook(cb, "replay");
      DCI_ASSIGN_OR_RETURN(std::vector<EventRecord> batch,
                           store.ReadEvents(last, options.replay_batch));
      if (batch.empty()) break;
      for (const EventRecord& e : batch) {
        if (e.seq > head) break;
        if (cb.accept(e) && !cb.deliver(e)) return absl::OkStatus();
        last = e.seq;  // invariant 1
      }
      if (cb.cancelled()) return absl::OkStatus();
    }
    Hook(cb, "live");

    // Step 3: live events, dropping what the replay already passed.
    absl::Time last_sent = absl::Now();
    bool overflowed = false;
    while (!overflowed) {
      if (cb.cancelled()) return absl::OkStatus();
      std::vector<EventRecord> events = sub->Wait(tick, &overflowed);
      for (const EventRecord& e : events) {
        if (e.seq <= last) continue;  // invariant 2: no duplicate
        if (cb.accept(e)) {
          if (!cb.deliver(e)) return absl::OkStatus();
          last_sent = absl::Now();
        }
        last = e.seq;
      }
      if (absl::Now() - last_sent >= options.heartbeat) {
        if (!cb.heartbeat(last)) return absl::OkStatus();
        last_sent = absl::Now();
      }
    }
    // Overflowed: the queue was dropped; read the log again from `last`.
    Hook(cb, "overflowed");
  }
}

}  // namespace dci
