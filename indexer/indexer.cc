#include "indexer/indexer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <system_error>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/digest.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/image_ref.h"
#include "indexer/image_source.h"
#include "indexer/manifest.h"
#include "indexer/registry_source.h"

namespace dci {

absl::StatusOr<TagRef> ParseTagRef(const std::string& s) {
  size_t colon = s.rfind(':');
  TagRef t;
  if (colon != std::string::npos && s.find('/', colon) == std::string::npos) {
    t = {s.substr(0, colon), s.substr(colon + 1)};
  } else {
    t = {s, "latest"};
  }
  if (t.name.empty() || t.tag.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad image name \"", s, "\": want NAME:TAG"));
  }
  return t;
}

namespace {

// The names a source gives an image. OCI ref.name annotations are often a
// bare tag ("1.0"): the layout directory's name stands in for NAME then.
std::vector<TagRef> SourceTags(const ImageRef& ref,
                               const ResolvedImage& image) {
  std::vector<TagRef> out;
  // docker://HOST/REPO:TAG names itself HOST/REPO:TAG, as `docker pull`
  // would.
  if (ref.transport == Transport::kRegistry && !ref.tag.empty()) {
    out.push_back({ref.path, ref.tag});
  }
  for (const std::string& s : image.source_tags) {
    if (ref.transport == Transport::kDockerArchive ||
        s.find_first_of(":/") != std::string::npos) {
      absl::StatusOr<TagRef> t = ParseTagRef(s);
      if (t.ok()) out.push_back(*t);
    } else {
      std::string dir = ref.path;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      std::string name(BaseName(dir));
      size_t dot = name.find('.');  // "img.tar" -> "img"
      if (ref.transport == Transport::kOciArchive && dot != std::string::npos &&
          dot > 0) {
        name = name.substr(0, dot);
      }
      if (!name.empty()) out.push_back({name, s});
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ImageSource>> OpenSource(
    const ImageRef& ref, const RegistryOptions& registry) {
  switch (ref.transport) {
    case Transport::kOciDir:
      return OpenDirectorySource(ref.path);
    case Transport::kOciArchive:
    case Transport::kDockerArchive:
      return OpenTarSource(ref.path);
    case Transport::kRegistry: {
      DCI_ASSIGN_OR_RETURN(std::unique_ptr<RegistrySource> s,
                           RegistrySource::Open(ref, registry));
      return std::unique_ptr<ImageSource>(std::move(s));
    }
    case Transport::kRootfsDir:
    case Transport::kRootfsTar:
      return absl::InvalidArgumentError(
          "dir: and tar: name a container's root filesystem, not an image");
  }
  return absl::InvalidArgumentError("unknown transport");
}

// What the database records of a resolved image, before its layers' entries.
ImageRecord RecordOf(const ImageRef& ref, const ResolvedImage& image) {
  const int n = static_cast<int>(image.layers.size());
  // History steps that made a layer, in order (config.md "history").
  std::vector<int> history_of_layer(n, -1);
  for (int h = 0, l = 0; h < static_cast<int>(image.config.history.size()) &&
                         l < n;
       ++h) {
    if (!image.config.history[h].empty_layer) history_of_layer[l++] = h;
  }

  ImageRecord record;
  record.manifest_digest = image.manifest_digest;
  record.manifest_media_type = image.manifest_media_type;
  record.manifest_synthesized = image.manifest_synthesized;
  record.manifest_json = image.manifest_json;
  record.config_digest = image.config_digest;
  record.config_media_type = image.config_media_type;
  record.config_json = image.config_json;
  record.os = image.config.platform.os;
  record.architecture = image.config.platform.architecture;
  record.variant = image.config.platform.variant;
  record.created = image.config.created;
  record.index_digest = image.index_digest;
  record.source = ref.ToString();
  record.warnings = image.warnings;
  for (int i = 0; i < n; ++i) {
    const LayerDescriptor& d = image.layers[i];
    ImageLayer l;
    l.position = i;
    l.diff_id = d.diff_id;
    l.blob_digest = d.digest;
    l.media_type = d.media_type;
    l.blob_size = d.size;
    l.history_index = history_of_layer[i];
    record.layers.push_back(l);
  }
  return record;
}

}  // namespace

namespace {

constexpr size_t kParallelLayers = 3;

// A stream that fails with Cancelled once `cancel` is set.
class CancellableStream : public ByteStream {
 public:
  CancellableStream(std::unique_ptr<ByteStream> in,
                    const std::atomic<bool>& cancel)
      : in_(std::move(in)), cancel_(cancel) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (cancel_) return absl::CancelledError("another layer failed");
    return in_->Read(buf, n);
  }

 private:
  std::unique_ptr<ByteStream> in_;
  const std::atomic<bool>& cancel_;
};

struct ReadOutcome {
  NewLayer layer;
  std::vector<std::string> warnings;  // for the summary, with their layer
};

// Reads layer `i` of `n` and extracts its inventory. Any thread.
absl::StatusOr<ReadOutcome> ReadOne(ImageSource& source,
                                    const LayerDescriptor& d, int i, int n,
                                    const IndexOptions& options,
                                    const IndexProgressFn& progress,
                                    const std::atomic<bool>& cancel) {
  const std::string context = absl::StrCat("layer ", i, " (", d.digest, ")");
  IndexProgress p;
  p.layer = i;
  p.layer_count = n;
  p.diff_id = d.diff_id;
  p.blob_size = d.size;
  absl::StatusOr<std::unique_ptr<ByteStream>> blob =
      source.OpenBlob(d.source_path, d.size > 0 ? d.size : -1);
  if (!blob.ok()) return Annotate(blob.status(), context);
  CancellableStream in(std::move(*blob), cancel);
  LayerReadOptions ro;
  ro.compression = d.compression;
  ro.expected_blob_digest = d.digest;
  ro.expected_diff_id = d.diff_id;
  ro.limits = options.limits;
  const InventoryOptions& inv = options.inventory;
  ro.capture = [&inv](absl::string_view path, int64_t size) {
    return WantsContent(path, size, inv);
  };
  if (progress) {
    p.phase = IndexProgress::Phase::kLayerReading;
    progress(p);
    ro.progress = [&progress, p](const LayerProgress& lp) mutable {
      p.bytes_read = static_cast<int64_t>(lp.compressed_bytes);
      p.entries = static_cast<int64_t>(lp.entries);
      progress(p);
    };
  }
  absl::StatusOr<LayerReadResult> layer = ReadLayer(in, ro);
  if (!layer.ok()) return Annotate(layer.status(), context);
  ReadOutcome out;
  for (const std::string& w : layer->warnings) {
    out.warnings.push_back(absl::StrCat(context, ": ", w));
  }
  if (progress) {
    p.phase = IndexProgress::Phase::kLayerDone;
    p.bytes_read = static_cast<int64_t>(layer->compressed_size);
    p.entries = static_cast<int64_t>(layer->tar_headers);
    progress(p);
  }
  NewLayer& nl = out.layer;
  nl.diff_id = layer->diff_id;
  nl.size = static_cast<int64_t>(layer->uncompressed_size);
  nl.tar_headers = static_cast<int64_t>(layer->tar_headers);
  nl.entries = std::move(layer->entries);
  nl.warnings = std::move(layer->warnings);
  LayerInventory inventory = ExtractInventory(layer->captured, inv);
  for (const LayerPackageDb& db : inventory.package_dbs) {
    for (const std::string& w : db.scan.warnings) {
      out.warnings.push_back(absl::StrCat(context, ": ", w));
      nl.warnings.push_back(w);
    }
  }
  nl.package_dbs = std::move(inventory.package_dbs);
  nl.contents = std::move(inventory.contents);
  nl.shadow_states = std::move(inventory.shadow_states);
  return out;
}

}  // namespace

absl::StatusOr<ImageRecord> Indexer::Inspect(const std::string& ref_text,
                                             const IndexOptions& options) {
  DCI_ASSIGN_OR_RETURN(ImageRef ref, ParseImageRef(ref_text));
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> source,
                       OpenSource(ref, options.registry));
  DCI_ASSIGN_OR_RETURN(ResolvedImage image,
                       ResolveImage(*source, ref, options.platform));
  return RecordOf(ref, image);
}

absl::StatusOr<IndexSummary> Indexer::Index(const std::string& ref_text,
                                            const IndexOptions& options,
                                            const IndexProgressFn& progress) {
  auto start = std::chrono::steady_clock::now();
  DCI_ASSIGN_OR_RETURN(ImageRef ref, ParseImageRef(ref_text));
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> source,
                       OpenSource(ref, options.registry));
  const RegistrySource* registry_source =
      ref.transport == Transport::kRegistry
          ? static_cast<const RegistrySource*>(source.get())
          : nullptr;
  DCI_ASSIGN_OR_RETURN(ResolvedImage image,
                       ResolveImage(*source, ref, options.platform));

  IndexSummary summary;
  summary.manifest_digest = image.manifest_digest;
  summary.config_digest = image.config_digest;
  summary.platform = image.config.platform;
  summary.index_digest = image.index_digest;
  summary.available_platforms = image.available_platforms;
  summary.warnings = image.warnings;
  summary.tags = options.tags.empty() ? SourceTags(ref, image) : options.tags;
  const int n = static_cast<int>(image.layers.size());
  ImageRecord record = RecordOf(ref, image);
  std::vector<std::string> diff_ids;
  for (const ImageLayer& l : record.layers) diff_ids.push_back(l.diff_id);

  DCI_ASSIGN_OR_RETURN(std::vector<bool> known, store_->HasLayers(diff_ids));
  // The layers to read: new ones, each diff_id once.
  std::vector<int> to_read;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    const LayerDescriptor& d = image.layers[i];
    if (known[i] || !seen.insert(d.diff_id).second) {
      if (progress) {
        IndexProgress p;
        p.phase = IndexProgress::Phase::kLayerSkipped;
        p.layer = i;
        p.layer_count = n;
        p.diff_id = d.diff_id;
        p.blob_size = d.size;
        progress(p);
      }
      continue;
    }
    to_read.push_back(i);
  }

  // Up to kParallelLayers layers are read at once (as `docker pull`
  // downloads several): small layers finish while a big one inflates. The
  // first failure stops the others at their next read.
  std::vector<absl::StatusOr<ReadOutcome>> outcomes(
      to_read.size(), absl::CancelledError("not read"));
  std::atomic<bool> cancel{false};
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < to_read.size() && !cancel; k = next++) {
      outcomes[k] = ReadOne(*source, image.layers[to_read[k]], to_read[k], n,
                            options, progress, cancel);
      if (!outcomes[k].ok()) cancel = true;
    }
  };
  std::vector<std::thread> workers;
  const size_t parallel = std::min(to_read.size(), kParallelLayers);
  for (size_t w = 1; w < parallel; ++w) {
    try {
      workers.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer workers, same result
    }
  }
  worker();
  for (std::thread& t : workers) t.join();
  // The first real failure in layer order (the others were stopped by it).
  for (const auto& o : outcomes) {
    if (!o.ok() && !absl::IsCancelled(o.status())) return o.status();
  }
  for (const auto& o : outcomes) {
    if (!o.ok()) return o.status();
  }

  std::vector<NewLayer> new_layers;
  for (auto& o : outcomes) {
    summary.entries += static_cast<int64_t>(o->layer.entries.size());
    summary.warnings.insert(summary.warnings.end(), o->warnings.begin(),
                            o->warnings.end());
    new_layers.push_back(std::move(o->layer));
  }
  record.warnings = summary.warnings;

  DCI_ASSIGN_OR_RETURN(CommitResult committed,
                       store_->CommitImage(record, new_layers, summary.tags));
  summary.image_id = committed.image_id;
  summary.already_indexed = committed.image_existed;
  summary.layers_new = committed.layers_new;
  summary.layers_known = committed.layers_known;
  summary.tag_changes = committed.tag_changes;
  if (registry_source != nullptr) {
    summary.bytes_fetched = registry_source->bytes_fetched();
  }
  summary.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  return summary;
}

}  // namespace dci
