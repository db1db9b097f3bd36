#include "server/policy_enforcer.h"

#include <fnmatch.h>

#include <algorithm>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "policy/result_json.h"
#include "policy/subject.h"

namespace dci {
namespace {

constexpr int kBatch = 256;

bool GlobMatches(const std::string& glob, const std::string& s) {
  return fnmatch(glob.c_str(), s.c_str(), 0) == 0;
}

}  // namespace

void PolicyEnforcer::Start() {
  absl::StatusOr<int64_t> cursor = store_->PolicyCursor();
  {
    absl::MutexLock lock(&mu_);
    processed_ = cursor.ok() ? *cursor : 0;
  }
  // Subscribe before the first read, so no commit after it goes unnoticed.
  sub_ = hub_->Subscribe();
  thread_ = std::thread([this] { Run(); });
}

void PolicyEnforcer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  if (sub_) sub_->Cancel();
  if (thread_.joinable()) thread_.join();
  if (sub_) hub_->Unsubscribe(sub_);
}

bool PolicyEnforcer::WaitProcessed(int64_t seq, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this, seq]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return processed_ >= seq || stop_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && processed_ >= seq;
}

void PolicyEnforcer::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    absl::Status s = ProcessPending();
    if (!s.ok()) {
      spdlog::warn("policy evaluation: {}", std::string(s.message()));
    }
    bool overflowed = false;
    // Only to wake up: the events themselves are read from the log.
    (void)sub_->Wait(absl::Seconds(1), &overflowed);
  }
}

absl::Status PolicyEnforcer::ProcessPending() {
  bool more = true;
  while (more) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::OkStatus();
    }
    DCI_RETURN_IF_ERROR(ProcessBatch(&more));
  }
  return absl::OkStatus();
}

std::shared_ptr<const Policy> PolicyEnforcer::Parsed(const StoredPolicy& p) {
  auto it = parsed_.find(p.name);
  if (it != parsed_.end() && it->second.first == p.added_at_us) return it->second.second;
  absl::StatusOr<Policy> parsed = ParsePolicy(p.yaml);
  if (!parsed.ok()) {  // AddPolicy parsed it; only a bug lands here
    spdlog::error("stored policy {}: {}", p.name, std::string(parsed.status().message()));
    return nullptr;
  }
  if (parsed->name.empty()) parsed->name = p.name;
  auto policy = std::make_shared<const Policy>(*std::move(parsed));
  parsed_[p.name] = {p.added_at_us, policy};
  return policy;
}

absl::Status PolicyEnforcer::ProcessBatch(bool* more) {
  absl::MutexLock work(&work_mu_);
  *more = false;
  DCI_ASSIGN_OR_RETURN(int64_t cursor, store_->PolicyCursor());
  DCI_ASSIGN_OR_RETURN(std::vector<EventRecord> events,
                       store_->ReadEvents(cursor, kBatch));
  if (events.empty()) {
    absl::MutexLock lock(&mu_);
    processed_ = std::max(processed_, cursor);
    return absl::OkStatus();
  }
  *more = static_cast<int>(events.size()) == kBatch;
  const int64_t last = events.back().seq;

  struct Job {
    int64_t image_id = 0;
    std::shared_ptr<const Policy> policy;
    std::string policy_name;
    TagRef tag;           // name "" when untagged
    int64_t trigger = 0;  // event seq
    int64_t old_image_id = 0;  // TAG_MOVED: where the tag was
  };
  std::vector<Job> jobs;
  std::set<std::pair<int64_t, std::string>> seen;
  DCI_ASSIGN_OR_RETURN(std::vector<StoredPolicy> policies, store_->Policies());
  std::optional<std::vector<ImageRecord>> all_images;  // read once, if needed
  if (!policies.empty()) {
    for (const EventRecord& e : events) {
      if (e.kind == kEventPolicyBound) {
        // The images already indexed that the policy applies to: by the
        // first of their tags it matches, else by digest.
        auto p = std::find_if(policies.begin(), policies.end(),
                              [&e](const StoredPolicy& sp) { return sp.name == e.name; });
        if (p == policies.end()) continue;  // removed since
        std::shared_ptr<const Policy> parsed = Parsed(*p);
        if (parsed == nullptr) continue;
        if (!all_images) {
          DCI_ASSIGN_OR_RETURN(std::vector<ImageRecord> images, store_->ListImages());
          all_images = std::move(images);
        }
        for (const ImageRecord& image : *all_images) {
          Job j;
          bool applies = false;
          for (const TagRef& t : image.tags) {
            if (GlobMatches(p->images_glob, absl::StrCat(t.name, ":", t.tag))) {
              j.tag = t;
              applies = true;
              break;
            }
          }
          applies = applies || GlobMatches(p->images_glob, image.manifest_digest);
          if (!applies || !seen.insert({image.id, p->name}).second) continue;
          j.image_id = image.id;
          j.policy = parsed;
          j.policy_name = p->name;
          j.trigger = e.seq;
          jobs.push_back(std::move(j));
        }
        continue;
      }
      if (e.kind != kEventImageIndexed && e.kind != kEventTagCreated &&
          e.kind != kEventTagMoved) {
        continue;
      }
      const bool tagged = !e.name.empty();
      const std::string subject =
          tagged ? absl::StrCat(e.name, ":", e.tag) : e.image_digest;
      for (const StoredPolicy& p : policies) {
        if (!GlobMatches(p.images_glob, subject) &&
            !GlobMatches(p.images_glob, e.image_digest)) {
          continue;
        }
        if (!seen.insert({e.image_id, p.name}).second) continue;
        std::shared_ptr<const Policy> parsed = Parsed(p);
        if (parsed == nullptr) continue;
        Job j;
        j.image_id = e.image_id;
        j.policy = parsed;
        j.policy_name = p.name;
        if (tagged) j.tag = {e.name, e.tag};
        j.trigger = e.seq;
        if (e.kind == kEventTagMoved) j.old_image_id = e.old_image_id;
        jobs.push_back(std::move(j));
      }
    }
  }

  std::vector<PolicyVerdictRecord> verdicts;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const Job& j : jobs) {
    absl::StatusOr<ImageRecord> image = store_->GetImage(j.image_id);
    if (!image.ok()) {
      spdlog::warn("policy {}: image {}: {}", j.policy_name, j.image_id,
                   std::string(image.status().message()));
      continue;
    }
    PreviousOf previous;
    if (j.old_image_id != 0) {
      absl::StatusOr<ImageRecord> old = store_->GetImage(j.old_image_id);
      if (old.ok()) {
        ImageRecord r = *std::move(old);
        // Named by the tag that moved, as drift evidence shows it.
        r.tags = {j.tag};
        previous.image = std::move(r);
      }
    } else if (!j.tag.name.empty()) {
      previous.tag = j.tag;
    }
    absl::StatusOr<PolicyResult> result =
        EvaluateStoredImage(*store_, *j.policy, *image, previous, now, cache_);
    if (!result.ok()) {
      spdlog::warn("policy {} on {}: {}", j.policy_name, image->manifest_digest,
                   std::string(result.status().message()));
      continue;
    }
    result->policy_name = j.policy_name;
    PolicyVerdictRecord v;
    v.image_id = j.image_id;
    v.policy_name = j.policy_name;
    v.verdict = std::string(VerdictName(result->verdict));
    v.trigger_seq = j.trigger;
    v.name = j.tag.name;
    v.tag = j.tag.tag;
    v.result = PolicyResultToJson(*result);
    verdicts.push_back(std::move(v));
  }
  DCI_ASSIGN_OR_RETURN(std::vector<PolicyVerdictRecord> recorded,
                       store_->RecordPolicyVerdicts(verdicts, last));
  for (const PolicyVerdictRecord& v : recorded) {
    if (v.event_seq != 0) {
      spdlog::info("policy {}: {} for {} (event {})", v.policy_name, v.verdict,
                   v.name.empty() ? v.image_digest : absl::StrCat(v.name, ":", v.tag),
                   v.event_seq);
    }
  }
  absl::MutexLock lock(&mu_);
  processed_ = std::max(processed_, last);
  return absl::OkStatus();
}

}  // namespace dci
