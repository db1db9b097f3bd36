#include "server/registry_watcher.h"

#include <fnmatch.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "indexer/image_ref.h"
#include "indexer/registry/registry_client.h"
#include "indexer/registry/registry_ref.h"

namespace dci {

void RegistryWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RegistryWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void RegistryWatcher::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void RegistryWatcher::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_ || wake_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&woken), tick_);
      if (stop_) return;
      wake_ = false;
    }
    absl::StatusOr<std::vector<RegistryWatch>> watches =
        store_->RegistryWatches();
    if (!watches.ok()) continue;
    for (const RegistryWatch& w : *watches) {
      const int64_t now = absl::ToUnixMicros(absl::Now());
      if (w.last_poll_us != 0 &&
          now - w.last_poll_us < w.interval_s * 1000000) {
        continue;
      }
      absl::Status s = PollOnce(w);
      // A watch removed meanwhile simply updates no row.
      store_->RecordRegistryPoll(w.id, now, s.ok() ? "" : std::string(s.message()))
          .IgnoreError();
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
  }
}

absl::Status RegistryWatcher::PollOnce(const RegistryWatch& w) {
  DCI_ASSIGN_OR_RETURN(ImageRef ref,
                       ParseImageRef(absl::StrCat("docker://", w.repository)));
  DCI_ASSIGN_OR_RETURN(RegistryRef where, RegistryRefFromImageRef(ref));
  IndexOptions options = base_;
  options.registry.tls_verify = !w.skip_tls_verify;
  options.registry.cert_dir = w.cert_dir;
  options.registry.authfile = w.authfile;
  if (!w.platform.empty()) {
    DCI_ASSIGN_OR_RETURN(options.platform, ParsePlatform(w.platform));
  }
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
                       RegistryClient::Create(where, options.registry));
  DCI_ASSIGN_OR_RETURN(std::vector<std::string> tags, client->ListTags());

  auto wanted = [&w](const std::string& tag) {
    return fnmatch(w.tag_glob.c_str(), tag.c_str(), 0) == 0;
  };
  std::vector<std::string> errors;
  std::set<std::string> listed;
  for (const std::string& tag : tags) {
    if (!wanted(tag)) continue;
    listed.insert(tag);
    const TagRef name{w.repository, tag};
    absl::StatusOr<ManifestInfo> head = client->HeadManifest(tag);
    if (!head.ok()) {
      errors.push_back(absl::StrCat(tag, ": ", head.status().message()));
      continue;
    }
    absl::StatusOr<ImageRecord> current = store_->FindImage(name.ToString());
    if (current.ok() && (current->manifest_digest == head->digest ||
                         current->index_digest == head->digest)) {
      continue;
    }
    options.tags = {name};
    absl::StatusOr<IndexSummary> indexed = indexer_.Index(
        absl::StrCat("docker://", w.repository, ":", tag), options, nullptr);
    if (!indexed.ok()) {
      errors.push_back(absl::StrCat(tag, ": ", indexed.status().message()));
    }
  }
  // Tags that were there and are gone from the registry.
  absl::StatusOr<std::vector<std::string>> known = store_->TagsOfName(w.repository);
  if (known.ok()) {
    for (const std::string& tag : *known) {
      if (!wanted(tag) || listed.count(tag)) continue;
      absl::Status s = store_->RemoveTag({w.repository, tag}).status();
      if (!s.ok() && !absl::IsNotFound(s)) {  // NotFound: removed before
        errors.push_back(absl::StrCat(tag, ": ", s.message()));
      }
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(errors, "; "));
}

}  // namespace dci
