// DciService: container drift (dci drift, dci drift-history).
#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "diff/container_drift.h"
#include "indexer/rootfs/root_source.h"
#include "server/convert.h"
#include "server/drift_snapshot.h"
#include "server/service.h"

namespace dci {

ContainerSnapshot SnapshotOf(const ContainerDrift& drift,
                             const std::string& name, int64_t image_id,
                             const std::string& source) {
  ContainerSnapshot s;
  s.name = name;
  s.image_id = image_id;
  s.source = source;
  DriftSummary sum = Summarize(drift.diff);
  s.files_added = sum.files_added;
  s.files_removed = sum.files_removed;
  s.files_changed = sum.files_changed;
  s.configs_changed = sum.configs_changed;
  s.modified_files = static_cast<int>(drift.modified_files.size());
  s.packages_added = sum.packages_added;
  s.packages_removed = sum.packages_removed;
  s.packages_upgraded = sum.packages_upgraded;
  s.packages_downgraded = sum.packages_downgraded;
  s.metadata_changed = sum.metadata_changed;
  for (const FileChange& c : drift.diff.files) {
    const char* k = c.kind == ChangeKind::kAdded     ? "A"
                    : c.kind == ChangeKind::kRemoved ? "R"
                                                     : "C";
    s.changes.push_back(absl::StrCat(k, " ", c.path));
  }
  return s;
}

DriftSummary SummaryOf(const ContainerSnapshot& s) {
  DriftSummary d;
  d.files_added = s.files_added;
  d.files_removed = s.files_removed;
  d.files_changed = s.files_changed;
  d.configs_changed = s.configs_changed;
  d.packages_added = s.packages_added;
  d.packages_removed = s.packages_removed;
  d.packages_upgraded = s.packages_upgraded;
  d.packages_downgraded = s.packages_downgraded;
  d.metadata_changed = s.metadata_changed;
  return d;
}

namespace {

absl::StatusOr<DiffSections> SectionsOf(
    const google::protobuf::RepeatedPtrField<std::string>& only) {
  if (only.empty()) return DiffSections{};
  DiffSections s{false, false, false, false, false, false};
  for (const std::string& o : only) {
    if (o == "files") s.files = true;
    else if (o == "packages") s.packages = true;
    else if (o == "configs") s.configs = true;
    else if (o == "metadata") s.metadata = true;
    else if (o == "users") s.users = true;
    else if (o == "services") s.services = true;
    else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown section \"", o,
                       "\": want files, packages, configs, metadata, users "
                       "or services"));
    }
  }
  return s;
}

}  // namespace

grpc::Status DciService::ContainerDrift(grpc::ServerContext* ctx,
                                        const v1::ContainerDriftRequest* req,
                                        v1::ContainerDriftReport* resp) {
  auto start = std::chrono::steady_clock::now();
  if (req->image().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the image the container started from is required "
                        "(--image NAME:TAG)");
  }
  absl::StatusOr<DiffSections> sections = SectionsOf(req->only());
  if (!sections.ok()) return ToGrpcStatus(sections.status());
  absl::StatusOr<ImageRecord> image = store_->FindImage(req->image());
  if (!image.ok()) return ToGrpcStatus(image.status());
  absl::StatusOr<std::unique_ptr<RootSource>> source =
      OpenRootSource(req->source());
  if (!source.ok()) return ToGrpcStatus(source.status());

  ContainerDriftOptions options;
  options.sections = *sections;
  options.ignore.assign(req->ignore().begin(), req->ignore().end());
  options.default_ignores = !req->no_default_ignores();
  options.cross_filesystems = req->cross_filesystems();
  options.limits = options_.limits;
  absl::StatusOr<dci::ContainerDrift> drift =
      DiffContainer(*store_, *image, **source, options);
  if (!drift.ok()) return ToGrpcStatus(drift.status());

  resp->set_source(req->source());
  resp->set_image(image->manifest_digest);
  *resp->mutable_diff() = ToProto(drift->diff, *image, *image);
  resp->mutable_diff()->set_image_b(req->source());
  for (const ModifiedPackagedFile& m : drift->modified_files) {
    v1::ModifiedPackagedFile* p = resp->add_modified_files();
    p->set_path(m.path);
    p->set_ecosystem(m.ecosystem);
    p->set_package(m.package);
    p->set_algorithm(m.algorithm);
    p->set_expected(m.expected);
    p->set_actual(m.actual);
    p->set_config(m.config);
  }
  for (const std::string& w : drift->warnings) resp->add_warnings(w);
  for (const std::string& r : drift->ignored) resp->add_ignore_rules(r);
  *resp->mutable_summary() = ToProto(Summarize(drift->diff));
  resp->set_entries_scanned(drift->entries_scanned);
  resp->set_bytes_hashed(drift->bytes_hashed);
  if (!req->name().empty()) {
    absl::StatusOr<ContainerSnapshot> stored = store_->RecordContainerSnapshot(
        SnapshotOf(*drift, req->name(), image->id, req->source()));
    if (!stored.ok()) return ToGrpcStatus(stored.status());
    resp->set_name(req->name());
    resp->set_snapshot_id(stored->id);
    resp->set_event_seq(stored->event_seq);
  }
  const double millis = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  resp->set_server_millis(millis);
  resp->mutable_diff()->mutable_summary()->set_server_millis(millis);
  return grpc::Status::OK;
}

grpc::Status DciService::DriftHistory(grpc::ServerContext* ctx,
                                      const v1::DriftHistoryRequest* req,
                                      v1::DriftHistoryResponse* resp) {
  if (req->name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a container name is required");
  }
  absl::StatusOr<std::vector<ContainerSnapshot>> snaps =
      store_->ContainerSnapshots(req->name());
  if (!snaps.ok()) return ToGrpcStatus(snaps.status());
  if (snaps->empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no drift snapshot named \"" + req->name() + "\"");
  }
  resp->set_name(req->name());
  std::set<std::string> previous;
  std::vector<std::string> previous_lines;  // in path order
  for (const ContainerSnapshot& s : *snaps) {
    v1::DriftSnapshot* out = resp->add_snapshots();
    out->set_id(s.id);
    out->set_taken_at_us(s.taken_at_us);
    out->set_image(s.image_digest);
    out->set_source(s.source);
    *out->mutable_summary() = ToProto(SummaryOf(s));
    out->set_modified_files(s.modified_files);
    out->set_event_seq(s.event_seq);
    out->set_paths_drifted(static_cast<int32_t>(s.changes.size()));
    std::set<std::string> now(s.changes.begin(), s.changes.end());
    for (const std::string& c : s.changes) {  // in path order
      if (!previous.count(c)) out->add_newly_drifted(c);
    }
    for (const std::string& c : previous_lines) {
      if (!now.count(c)) out->add_no_longer_drifted(c);
    }
    previous = std::move(now);
    previous_lines = s.changes;
  }
  return grpc::Status::OK;
}

}  // namespace dci
