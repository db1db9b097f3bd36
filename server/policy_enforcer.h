// Evaluates the policies bound on the server (dci policy add) on the
// matching images already indexed when a policy is bound, and whenever a
// matching image is indexed or a tag moves, on a thread of its own, and
// stores each verdict with its POLICY_VIOLATION event.
//
// Design note. The event log is the enforcer's work queue: it reads the
// events after its cursor (IMAGE_INDEXED, TAG_CREATED, TAG_MOVED, and
// POLICY_BOUND, which stands for every image indexed so far), gathers
// the (image, policy) pairs they call for, evaluates them, and commits the
// verdicts, their events and the new cursor in one transaction. So:
//  1. An index commit never waits for an evaluation (the index transaction
//     stays as short as it was), yet
//  2. a POLICY_VIOLATION event exists if and only if its verdict was
//     committed (Store::RecordPolicyVerdicts), and
//  3. a dcid killed between an index and its evaluation evaluates it after
//     the restart: the cursor only moves with the verdicts.
//  4. Within one batch, an image is evaluated once per policy, whatever
//     number of events named it (IMAGE_INDEXED and TAG_CREATED of one
//     commit give one verdict).
// The enforcer subscribes to the event hub only to wake up; what it
// evaluates always comes from the log.
//
// Thread-safe. Start() once; Stop() (or the destructor) joins the thread.
#ifndef DCI_SERVER_POLICY_ENFORCER_H_
#define DCI_SERVER_POLICY_ENFORCER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "policy/policy.h"
#include "policy/policy_cache.h"
#include "server/event_hub.h"
#include "store/store.h"

namespace dci {

class PolicyEnforcer {
 public:
  // `store`, `hub` and `cache` (may be null) must outlive the enforcer.
  PolicyEnforcer(Store* store, EventHub* hub, PolicyCache* cache = nullptr)
      : store_(store), hub_(hub), cache_(cache) {}
  ~PolicyEnforcer() { Stop(); }
  PolicyEnforcer(const PolicyEnforcer&) = delete;
  PolicyEnforcer& operator=(const PolicyEnforcer&) = delete;

  void Start();
  void Stop();

  // Waits until every event up to `seq` has been looked at and its
  // verdicts committed, or `timeout` passed. True when done.
  bool WaitProcessed(int64_t seq, absl::Duration timeout);

  // Reads and handles the events after the cursor until there are none
  // left (what the thread does when woken).
  absl::Status ProcessPending();

 private:
  void Run();
  // One batch; sets *more when the batch was full.
  absl::Status ProcessBatch(bool* more);
  // The parsed policy, cached by name and version.
  std::shared_ptr<const Policy> Parsed(const StoredPolicy& p);

  Store* store_;
  EventHub* hub_;
  PolicyCache* cache_;
  std::shared_ptr<EventHub::Subscription> sub_;
  std::thread thread_;
  absl::Mutex work_mu_;  // one batch at a time
  std::map<std::string, std::pair<int64_t, std::shared_ptr<const Policy>>>
      parsed_ ABSL_GUARDED_BY(work_mu_);
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t processed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dci

#endif  // DCI_SERVER_POLICY_ENFORCER_H_
