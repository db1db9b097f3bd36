#include "server/service.h"

#include <fnmatch.h>

#include <chrono>
#include <mutex>

#include <spdlog/spdlog.h>

#include "diff/diff.h"
#include "server/convert.h"

namespace dci {

grpc::Status DciService::Index(grpc::ServerContext* ctx,
                               const v1::IndexRequest* req,
                               grpc::ServerWriter<v1::IndexEvent>* writer) {
  IndexOptions options;
  options.limits = limits_;
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
    return ToGrpcStatus(summary.status());
  }
  spdlog::info("indexed {} as {}: {} new layers, {} known, {:.3f} s",
               req->reference(), summary->manifest_digest,
               summary->layers_new, summary->layers_known, summary->seconds);
  v1::IndexEvent ev;
  *ev.mutable_summary() = ToProto(*summary);
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
  absl::StatusOr<ImageDiff> d = DiffImages(*store_, *a, *b);
  if (!d.ok()) return ToGrpcStatus(d.status());
  *resp = ToProto(*d, *a, *b);
  resp->mutable_summary()->set_server_millis(
      std::chrono::duration<double, std::milli>(
          std::chrono::steady_clock::now() - start)
          .count());
  return grpc::Status::OK;
}

}  // namespace dci
