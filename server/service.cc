#include "server/service.h"

#include <fnmatch.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "diff/diff.h"
#include "diff/inventory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "indexer/image_ref.h"
#include "absl/strings/strip.h"
#include "absl/strings/escaping.h"
#include "base/path.h"
#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"
#include "indexer/packages/version_key.h"
#include "server/event_stream.h"
#include "server/convert.h"
#include "server/drift_snapshot.h"

namespace dci {
namespace {

// A registry dcid cannot reach is UNAVAILABLE too; the trailing metadata
// tells dci that it was the registry, not dcid.
grpc::Status UpstreamStatus(grpc::ServerContext* ctx, const absl::Status& s) {
  if (absl::IsUnavailable(s)) {
    ctx->AddTrailingMetadata("dci-upstream", "unavailable");
  }
  return ToGrpcStatus(s);
}

RegistryOptions RegistryOptionsOf(const v1::RegistryAccess& a,
                                  const RegistryOptions& defaults) {
  RegistryOptions o = defaults;
  o.tls_verify = !a.skip_tls_verify();
  o.cert_dir = a.cert_dir();
  o.credentials = a.credentials();
  o.authfile = a.authfile();
  return o;
}

std::string Rfc3339(int64_t us) {
  if (us == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(us),
                          absl::UTCTimeZone());
}

v1::RepoWatch ToProto(const RegistryWatch& w) {
  v1::RepoWatch out;
  out.set_repository(w.repository);
  out.set_tag_glob(w.tag_glob);
  out.set_interval_seconds(w.interval_s);
  out.set_platform(w.platform);
  out.mutable_registry()->set_skip_tls_verify(w.skip_tls_verify);
  out.mutable_registry()->set_cert_dir(w.cert_dir);
  out.mutable_registry()->set_authfile(w.authfile);
  out.set_added_at(Rfc3339(w.added_at_us));
  out.set_last_poll(Rfc3339(w.last_poll_us));
  out.set_last_error(w.last_error);
  return out;
}

// "docker://HOST/REPO" or "HOST/REPO" -> "HOST/REPO", as tags name it.
absl::StatusOr<std::string> WatchedRepository(const std::string& text) {
  const std::string ref = absl::StartsWith(text, "docker://")
                              ? text
                              : absl::StrCat("docker://", text);
  DCI_ASSIGN_OR_RETURN(ImageRef r, ParseImageRef(ref));
  if (!r.digest.empty() || (r.tag != "latest" && !r.tag.empty()) ||
      absl::EndsWith(ref, ":latest")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "watch a repository, not a tag or digest: \"", text,
        "\" (pick tags with --tags GLOB)"));
  }
  return r.path;
}

}  // namespace

grpc::Status DciService::WatchRepo(grpc::ServerContext* ctx,
                                   const v1::WatchRepoRequest* req,
                                   v1::RepoWatch* resp) {
  absl::StatusOr<std::string> repo = WatchedRepository(req->repository());
  if (!repo.ok()) return ToGrpcStatus(repo.status());
  if (!req->registry().credentials().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "dcid keeps no password for a watch: give --authfile");
  }
  RegistryWatch w;
  w.repository = *repo;
  w.tag_glob = req->tag_glob().empty() ? "*" : req->tag_glob();
  w.interval_s = req->interval_seconds() > 0 ? req->interval_seconds() : 60;
  if (!req->platform().empty()) {
    absl::StatusOr<Platform> p = ParsePlatform(req->platform());
    if (!p.ok()) return ToGrpcStatus(p.status());
    w.platform = req->platform();
  }
  w.skip_tls_verify = req->registry().skip_tls_verify();
  w.cert_dir = req->registry().cert_dir();
  w.authfile = req->registry().authfile();
  absl::StatusOr<RegistryWatch> put = store_->PutRegistryWatch(w);
  if (!put.ok()) return ToGrpcStatus(put.status());
  spdlog::info("watching {} (tags {}, every {} s)", put->repository,
               put->tag_glob, put->interval_s);
  if (watcher_ != nullptr) watcher_->Wake();
  *resp = ToProto(*put);
  return grpc::Status::OK;
}

grpc::Status DciService::ListRepoWatches(grpc::ServerContext* ctx,
                                         const v1::ListRepoWatchesRequest* req,
                                         v1::ListRepoWatchesResponse* resp) {
  absl::StatusOr<std::vector<RegistryWatch>> all = store_->RegistryWatches();
  if (!all.ok()) return ToGrpcStatus(all.status());
  for (const RegistryWatch& w : *all) *resp->add_watches() = ToProto(w);
  return grpc::Status::OK;
}

grpc::Status DciService::UnwatchRepo(grpc::ServerContext* ctx,
                                     const v1::UnwatchRepoRequest* req,
                                     v1::UnwatchRepoResponse* resp) {
  absl::StatusOr<std::string> repo = WatchedRepository(req->repository());
  if (!repo.ok()) return ToGrpcStatus(repo.status());
  return ToGrpcStatus(store_->RemoveRegistryWatch(*repo));
}

grpc::Status DciService::Index(grpc::ServerContext* ctx,
                               const v1::IndexRequest* req,
                               grpc::ServerWriter<v1::IndexEvent>* writer) {
  IndexOptions options;
  options.limits = options_.limits;
  if (!req->platform().empty()) {
    absl::StatusOr<Platform> p = ParsePlatform(req->platform());
    if (!p.ok()) return ToGrpcStatus(p.status());
    options.platform = *p;
  }
  for (const std::string& t : req->tags()) {
    absl::StatusOr<TagRef> tag = ParseTagRef(t);
    if (!tag.ok()) return ToGrpcStatus(tag.status());
    options.tags.push_back(*tag);
  }
  options.registry = RegistryOptionsOf(req->registry(), options_.registry);
  // Progress comes from the layer reading threads: one writer at a time,
  // and at most every 100 ms except for phase changes.
  std::mutex mu;
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  IndexProgressFn progress = [&](const IndexProgress& p) {
    std::lock_guard<std::mutex> lock(mu);
    auto now = std::chrono::steady_clock::now();
    bool phase_change = p.phase != IndexProgress::Phase::kLayerReading ||
                        p.bytes_read == 0;
    if (!phase_change && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    v1::IndexEvent ev;
    *ev.mutable_progress() = ToProto(p);
    writer->Write(ev);
  };
  spdlog::info("index {} requested", req->reference());
  absl::StatusOr<IndexSummary> summary =
      indexer_.Index(req->reference(), options, progress);
  if (!summary.ok()) {
    spdlog::warn("index {} failed: {}", req->reference(),
                 std::string(summary.status().message()));
    return UpstreamStatus(ctx, summary.status());
  }
  spdlog::info("indexed {} as {}: {} new layers, {} known, {:.3f} s",
               req->reference(), summary->manifest_digest,
               summary->layers_new, summary->layers_known, summary->seconds);
  WaitForPolicies();  // bound policies' verdicts stored before we answer
  v1::IndexEvent ev;
  *ev.mutable_summary() = ToProto(*summary);
  grpc::Status verdicts = AttachPolicyVerdicts(
      summary->image_id, ev.mutable_summary()->mutable_policy_verdicts(),
      /*bound_only=*/true);
  if (!verdicts.ok()) return verdicts;
  std::lock_guard<std::mutex> lock(mu);
  writer->Write(ev);
  return grpc::Status::OK;
}

grpc::Status DciService::ListImages(grpc::ServerContext* ctx,
                                    const v1::ListImagesRequest* req,
                                    v1::ListImagesResponse* resp) {
  absl::StatusOr<std::vector<ImageRecord>> images = store_->ListImages();
  if (!images.ok()) return ToGrpcStatus(images.status());
  for (const ImageRecord& r : *images) {
    absl::StatusOr<v1::Image> img = ToProto(r);
    if (!img.ok()) return ToGrpcStatus(img.status());
    *resp->add_images() = std::move(*img);
  }
  return grpc::Status::OK;
}

grpc::Status DciService::GetImage(grpc::ServerContext* ctx,
                                  const v1::GetImageRequest* req,
                                  v1::Image* resp) {
  absl::StatusOr<ImageRecord> r = store_->FindImage(req->image());
  if (!r.ok()) return ToGrpcStatus(r.status());
  absl::StatusOr<v1::Image> img = ToProto(*r);
  if (!img.ok()) return ToGrpcStatus(img.status());
  *resp = std::move(*img);
  absl::StatusOr<MergedTree> tree = LoadMergedTree(*store_, *r);
  if (!tree.ok()) return ToGrpcStatus(tree.status());
  absl::StatusOr<ImageInventory> inv = LoadInventory(*store_, *r, *tree, false);
  if (!inv.ok()) return ToGrpcStatus(inv.status());
  *resp->mutable_system() = ToProto(*inv);
  return AttachPolicyVerdicts(r->id, resp->mutable_policy_verdicts());
}

grpc::Status DciService::Inspect(grpc::ServerContext* ctx,
                                 const v1::InspectRequest* req,
                                 v1::Image* resp) {
  IndexOptions options;
  if (!req->platform().empty()) {
    absl::StatusOr<Platform> p = ParsePlatform(req->platform());
    if (!p.ok()) return ToGrpcStatus(p.status());
    options.platform = *p;
  }
  options.registry = RegistryOptionsOf(req->registry(), options_.registry);
  absl::StatusOr<ImageRecord> r = indexer_.Inspect(req->reference(), options);
  if (!r.ok()) return UpstreamStatus(ctx, r.status());
  absl::StatusOr<v1::Image> img = ToProto(*r);
  if (!img.ok()) return ToGrpcStatus(img.status());
  *resp = std::move(*img);
  if (!req->policy_yaml().empty()) return InspectPolicy(*r, *req, resp);
  return grpc::Status::OK;
}

grpc::Status DciService::ListFiles(grpc::ServerContext* ctx,
                                   const v1::ListFilesRequest* req,
                                   v1::ListFilesResponse* resp) {
  absl::StatusOr<ImageRecord> r = store_->FindImage(req->image());
  if (!r.ok()) return ToGrpcStatus(r.status());
  const std::string& glob = req->path_glob();
  auto wanted = [&glob](const std::string& path) {
    return glob.empty() || fnmatch(glob.c_str(), path.c_str(), 0) == 0;
  };
  if (req->by_layer()) {
    for (const ImageLayer& l : r->layers) {
      absl::StatusOr<std::vector<LayerEntry>> entries =
          store_->LayerEntries(l.layer_id);
      if (!entries.ok()) return ToGrpcStatus(entries.status());
      for (const LayerEntry& e : *entries) {
        if (wanted(e.path)) {
          *resp->add_files() = ToProto(e, l.position, l.history_index);
        }
      }
    }
    return grpc::Status::OK;
  }
  absl::StatusOr<MergedTree> tree = LoadMergedTree(*store_, *r);
  if (!tree.ok()) return ToGrpcStatus(tree.status());
  for (const auto& [path, node] : *tree) {
    if (wanted(path)) {
      *resp->add_files() =
          ToProto(node.entry, node.layer, r->layers[node.layer].history_index);
    }
  }
  return grpc::Status::OK;
}

grpc::Status DciService::Diff(grpc::ServerContext* ctx,
                              const v1::DiffRequest* req,
                              v1::ImageDiff* resp) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ImageRecord> a = store_->FindImage(req->image_a());
  if (!a.ok()) return ToGrpcStatus(a.status());
  absl::StatusOr<ImageRecord> b = store_->FindImage(req->image_b());
  if (!b.ok()) return ToGrpcStatus(b.status());
  DiffSections sections;
  if (req->only_size() > 0) {
    sections = DiffSections{false, false, false, false, false, false};
    for (const std::string& o : req->only()) {
      if (o == "files") sections.files = true;
      else if (o == "packages") sections.packages = true;
      else if (o == "configs") sections.configs = true;
      else if (o == "metadata") sections.metadata = true;
      else if (o == "users") sections.users = true;
      else if (o == "services") sections.services = true;
      else {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "unknown section \"" + o +
                                "\": want files, packages, configs, "
                                "metadata, users or services");
      }
    }
  }
  absl::StatusOr<ImageDiff> d = DiffImages(*store_, *a, *b, sections);
  if (!d.ok()) return ToGrpcStatus(d.status());
  *resp = ToProto(*d, *a, *b);
  resp->mutable_summary()->set_server_millis(
      std::chrono::duration<double, std::milli>(
          std::chrono::steady_clock::now() - start)
          .count());
  return grpc::Status::OK;
}

grpc::Status DciService::TagHistory(grpc::ServerContext* ctx,
                                    const v1::TagHistoryRequest* req,
                                    v1::TagHistoryResponse* resp) {
  resp->set_name(req->name());
  resp->set_tag(req->tag());
  if (req->tag().empty()) {
    absl::StatusOr<std::vector<std::string>> tags =
        store_->TagsOfName(req->name());
    if (!tags.ok()) return ToGrpcStatus(tags.status());
    for (const std::string& t : *tags) {
      absl::StatusOr<std::vector<TagHistoryEntry>> h =
          store_->TagHistory({req->name(), t});
      if (!h.ok()) return ToGrpcStatus(h.status());
      auto* sum = resp->add_tags();
      sum->set_tag(t);
      sum->set_moves(static_cast<int32_t>(h->size()));
      if (h->back().current) sum->set_image(h->back().image_digest);
    }
    return grpc::Status::OK;
  }
  absl::StatusOr<std::vector<TagHistoryEntry>> h =
      store_->TagHistory({req->name(), req->tag()});
  if (!h.ok()) return ToGrpcStatus(h.status());
  for (size_t i = 0; i < h->size(); ++i) {
    const TagHistoryEntry& e = (*h)[i];
    v1::TagHistoryEntry* out = resp->add_entries();
    out->set_image(e.image_digest);
    out->set_first_seen(e.first_seen);
    out->set_last_seen(e.last_seen);
    out->set_current(e.current);
    absl::StatusOr<ImageRecord> img = store_->GetImage(e.image_id);
    if (img.ok()) out->set_created(img->created);
    if (i > 0 && (*h)[i - 1].image_id != e.image_id) {
      absl::StatusOr<DriftSummary> d = drift_.Get((*h)[i - 1].image_id,
                                                  e.image_id);
      if (!d.ok()) return ToGrpcStatus(d.status());
      *out->mutable_drift() = ToProto(*d);
    }
  }
  return grpc::Status::OK;
}

grpc::Status DciService::RemoveTag(grpc::ServerContext* ctx,
                                   const v1::RemoveTagRequest* req,
                                   v1::RemoveTagResponse* resp) {
  if (req->name().empty() || req->tag().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "name and tag are required");
  }
  absl::StatusOr<EventRecord> e = store_->RemoveTag({req->name(), req->tag()});
  if (!e.ok()) return ToGrpcStatus(e.status());
  resp->set_seq(e->seq);
  return grpc::Status::OK;
}

grpc::Status DciService::Subscribe(
    grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
    grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  EventStreamOptions options;
  if (req->has_since()) {
    if (req->since() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "since must be 0 or more");
    }
    options.since = req->since();
  }
  options.heartbeat = req->heartbeat_seconds() > 0
                          ? absl::Seconds(req->heartbeat_seconds())
                          : options_.heartbeat;
  std::set<std::string> kinds;
  for (int k : req->kinds()) {
    kinds.insert(v1::EventKind_Name(static_cast<v1::EventKind>(k)));
  }
  const std::string glob = req->name_glob();
  const std::string package = req->package();

  // TAG_MOVED events carry the drift from the old image; `drift_for` looks
  // it up once per event for both the filter and the message.
  auto drift_for = [this](const EventRecord& e) -> std::optional<DriftSummary> {
    if (e.kind == kEventContainerDrift) {  // the snapshot's own summary
      absl::StatusOr<std::optional<ContainerSnapshot>> s =
          store_->ContainerSnapshotOfEvent(e.seq);
      if (!s.ok() || !s->has_value()) return std::nullopt;
      return SummaryOf(**s);
    }
    if (e.kind != kEventTagMoved || e.old_image_id == 0) return std::nullopt;
    absl::StatusOr<DriftSummary> d = drift_.Get(e.old_image_id, e.image_id);
    if (!d.ok()) return std::nullopt;
    return *d;
  };
  auto touches = [&package](const DriftSummary& d) {
    for (const auto* list : {&d.packages_added, &d.packages_removed,
                             &d.packages_upgraded, &d.packages_downgraded}) {
      if (std::find(list->begin(), list->end(), package) != list->end()) {
        return true;
      }
    }
    return false;
  };

  EventStreamCallbacks cb;
  cb.accept = [&](const EventRecord& e) {
    if (!kinds.empty() && !kinds.count(e.kind)) return false;
    if (!glob.empty() && fnmatch(glob.c_str(), e.name.c_str(), 0) != 0) {
      return false;
    }
    if (!package.empty()) {
      std::optional<DriftSummary> d = drift_for(e);
      if (!d || !touches(*d)) return false;
    }
    return true;
  };
  cb.deliver = [&](const EventRecord& e) {
    v1::SubscribeResponse msg;
    std::optional<DriftSummary> d = drift_for(e);
    *msg.mutable_event() = ToProto(e, d ? &*d : nullptr);
    if (e.kind == kEventPolicyViolation) AttachPolicyToEvent(e.seq, msg.mutable_event());
    return writer->Write(msg);
  };
  cb.heartbeat = [&](int64_t head) {
    v1::SubscribeResponse msg;
    msg.mutable_heartbeat()->set_head_seq(head);
    msg.mutable_heartbeat()->set_server_time_us(absl::ToUnixMicros(absl::Now()));
    return writer->Write(msg);
  };
  cb.cancelled = [&]() { return stopping_.load() || ctx->IsCancelled(); };
  return ToGrpcStatus(RunEventStream(*store_, *hub_, options, cb));
}

grpc::Status DciService::ListPackages(grpc::ServerContext* ctx,
                                      const v1::ListPackagesRequest* req,
                                      v1::ListPackagesResponse* resp) {
  absl::StatusOr<ImageRecord> r = store_->FindImage(req->image());
  if (!r.ok()) return ToGrpcStatus(r.status());
  absl::StatusOr<MergedTree> tree = LoadMergedTree(*store_, *r);
  if (!tree.ok()) return ToGrpcStatus(tree.status());
  absl::StatusOr<ImageInventory> inv =
      LoadInventory(*store_, *r, *tree, req->with_files());
  if (!inv.ok()) return ToGrpcStatus(inv.status());
  for (const ImagePackage& p : inv->packages) {
    *resp->add_packages() = ToProto(p, *r);
  }
  for (const auto& w : inv->warnings) resp->add_warnings(w);
  return grpc::Status::OK;
}

namespace {

VersionCompareFn CompareFor(Ecosystem e) {
  switch (e) {
    case Ecosystem::kDeb: return &CompareDebVersions;
    case Ecosystem::kRpm: return &CompareRpmVersions;
    case Ecosystem::kApk: return &CompareApkVersions;
  }
  return &CompareDebVersions;
}

// Digest and tags of each image, for hit lists.
grpc::Status Describe(Store& store, int64_t image_id,
                      std::map<int64_t, ImageRecord>& cache,
                      std::string* digest,
                      google::protobuf::RepeatedPtrField<v1::Tag>* tags) {
  auto it = cache.find(image_id);
  if (it == cache.end()) {
    absl::StatusOr<ImageRecord> r = store.GetImage(image_id);
    if (!r.ok()) return ToGrpcStatus(r.status());
    it = cache.emplace(image_id, *std::move(r)).first;
  }
  *digest = it->second.manifest_digest;
  for (const TagRef& t : it->second.tags) {
    v1::Tag* p = tags->Add();
    p->set_name(t.name);
    p->set_tag(t.tag);
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status DciService::WhoHas(grpc::ServerContext* ctx,
                                const v1::WhoHasRequest* req,
                                v1::WhoHasResponse* resp) {
  if (req->name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a package name is required");
  }
  std::optional<VersionRange> range;
  if (!req->version_range().empty()) {
    absl::StatusOr<VersionRange> r = ParseVersionRange(req->version_range());
    if (!r.ok()) return ToGrpcStatus(r.status());
    range = *r;
  }
  const std::string& type = req->type();
  if (!type.empty() && type != "deb" && type != "rpm" && type != "apk") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "--type must be deb, rpm or apk");
  }
  // Versions come from a covering index; a range narrows it to a range of
  // version sort keys per ecosystem, and only the sets whose version
  // matches lead on to images (NOTES.md, "Version ranges").
  auto match = [&](Ecosystem e, absl::string_view full, absl::string_view) {
    if (!type.empty() && EcosystemName(e) != type) return false;
    return !range || Matches(*range, full, CompareFor(e));
  };
  std::vector<Store::VersionKeyRange> ranges;
  if (range) {
    // In the index's order of ecosystem names.
    for (Ecosystem e : {Ecosystem::kApk, Ecosystem::kDeb, Ecosystem::kRpm}) {
      if (!type.empty() && EcosystemName(e) != type) continue;
      VersionKeyBounds b = KeyBoundsOf(e, *range);
      ranges.push_back({e, std::move(b.low), std::move(b.high)});
    }
  }
  absl::StatusOr<std::vector<Store::PackageVersion>> versions =
      store_->PackageVersions(req->name(), req->source(),
                              range ? &ranges : nullptr, match);
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  std::map<int64_t, ImageRecord> cache;
  std::set<int64_t> images;
  for (const Store::PackageVersion& v : *versions) {
    const Package& p = v.package;
    absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> shown =
        store_->ImagesShowingSet(v.set_id);
    if (!shown.ok()) return ToGrpcStatus(shown.status());
    for (const auto& [image_id, db_path] : *shown) {
      v1::WhoHasHit* hit = resp->add_hits();
      grpc::Status s = Describe(*store_, image_id, cache, hit->mutable_image(),
                                hit->mutable_tags());
      if (!s.ok()) return s;
      *hit->mutable_package() = ToProto(p);
      hit->mutable_package()->set_db_path(db_path);
      images.insert(image_id);
    }
  }
  resp->set_images(static_cast<int32_t>(images.size()));
  return grpc::Status::OK;
}

grpc::Status DciService::FindFile(grpc::ServerContext* ctx,
                                  const v1::FindFileRequest* req,
                                  v1::FindFileResponse* resp) {
  absl::StatusOr<std::vector<FileHit>> hits;
  if (!req->hash().empty()) {
    ContentHash h{};
    std::string bytes;
    const bool hex = req->hash().size() == 32 &&
                     std::all_of(req->hash().begin(), req->hash().end(),
                                 [](char c) { return absl::ascii_isxdigit(c); });
    if (hex) bytes = absl::HexStringToBytes(req->hash());
    if (!hex) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "--hash wants 32 hex digits (XXH3-128, as `dci files` prints)");
    }
    std::copy(bytes.begin(), bytes.end(), h.begin());
    hits = FindByHash(*store_, h);
  } else {
    absl::string_view wanted = req->path();
    absl::ConsumePrefix(&wanted, "/");  // users write /usr/bin/x
    absl::StatusOr<std::string> path = NormalizeEntryPath(wanted);
    if (!path.ok() || path->empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad path");
    }
    hits = FindByPath(*store_, *path);
  }
  if (!hits.ok()) return ToGrpcStatus(hits.status());
  std::map<int64_t, ImageRecord> cache;
  for (const FileHit& f : *hits) {
    v1::FindFileHit* hit = resp->add_hits();
    grpc::Status s = Describe(*store_, f.image_id, cache, hit->mutable_image(),
                              hit->mutable_tags());
    if (!s.ok()) return s;
    const ImageRecord& img = cache[f.image_id];
    *hit->mutable_entry() = ToProto(f.entry, f.layer, img.layers[f.layer].history_index);
  }
  return grpc::Status::OK;
}

}  // namespace dci
