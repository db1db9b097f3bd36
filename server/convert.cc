#include "server/convert.h"

#include <spdlog/spdlog.h>

#include "base/status_macros.h"
#include "indexer/image_config.h"

namespace dci {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  if (s.code() == absl::StatusCode::kInternal) {
    spdlog::error("internal error: {}", std::string(s.message()));
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "internal error (details in the server log)");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

v1::Platform ToProto(const Platform& p) {
  v1::Platform out;
  out.set_os(p.os);
  out.set_architecture(p.architecture);
  out.set_variant(p.variant);
  return out;
}

absl::StatusOr<v1::Image> ToProto(const ImageRecord& r) {
  DCI_ASSIGN_OR_RETURN(ImageConfig c, ParseImageConfig(r.config_json));
  v1::Image out;
  out.set_manifest_digest(r.manifest_digest);
  out.set_manifest_media_type(r.manifest_media_type);
  out.set_manifest_synthesized(r.manifest_synthesized);
  out.set_config_digest(r.config_digest);
  out.set_config_media_type(r.config_media_type);
  *out.mutable_platform() = ToProto(c.platform);
  out.set_os_version(c.os_version);
  out.set_created(c.created);
  out.set_author(c.author);
  out.set_docker_version(c.docker_version);
  for (const auto& [k, v] : c.labels) (*out.mutable_labels())[k] = v;
  for (const auto& s : c.env) out.add_env(s);
  for (const auto& s : c.entrypoint) out.add_entrypoint(s);
  for (const auto& s : c.cmd) out.add_cmd(s);
  out.set_user(c.user);
  out.set_working_dir(c.working_dir);
  for (const auto& s : c.exposed_ports) out.add_exposed_ports(s);
  for (const auto& s : c.volumes) out.add_volumes(s);
  out.set_stop_signal(c.stop_signal);
  for (const HistoryStep& h : c.history) {
    v1::HistoryStep* p = out.add_history();
    p->set_created(h.created);
    p->set_created_by(h.created_by);
    p->set_author(h.author);
    p->set_comment(h.comment);
    p->set_empty_layer(h.empty_layer);
  }
  int64_t total = 0;
  for (const ImageLayer& l : r.layers) {
    v1::Layer* p = out.add_layers();
    p->set_position(l.position);
    p->set_diff_id(l.diff_id);
    p->set_blob_digest(l.blob_digest);
    p->set_media_type(l.media_type);
    p->set_blob_size(l.blob_size);
    p->set_size(l.size);
    p->set_entry_count(l.entry_count);
    p->set_history_index(l.history_index);
    if (l.history_index >= 0 &&
        l.history_index < static_cast<int>(c.history.size())) {
      p->set_created_by(c.history[l.history_index].created_by);
    }
    total += l.size;
  }
  out.set_total_size(total);
  for (const TagRef& t : r.tags) {
    v1::Tag* p = out.add_tags();
    p->set_name(t.name);
    p->set_tag(t.tag);
  }
  out.set_index_digest(r.index_digest);
  out.set_source(r.source);
  out.set_indexed_at(r.indexed_at);
  for (const auto& w : r.warnings) out.add_warnings(w);
  return out;
}

v1::FileEntry ToProto(const LayerEntry& e, int layer, int history_index) {
  v1::FileEntry out;
  out.set_path(e.path);
  out.set_type(static_cast<v1::EntryType>(e.type));
  out.set_mode(e.mode);
  out.set_uid(e.uid);
  out.set_gid(e.gid);
  out.set_size(e.size);
  out.set_mtime(e.mtime);
  out.set_link_target(e.link_target);
  if (e.type == EntryType::kFile || e.type == EntryType::kHardlink) {
    out.set_content_hash(ContentHashHex(e.content_hash));
  }
  out.set_opaque(e.opaque);
  out.set_dev_major(e.dev_major);
  out.set_dev_minor(e.dev_minor);
  out.set_layer(layer);
  out.set_history_index(history_index);
  return out;
}

namespace {

v1::ChangeKind Kind(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAdded: return v1::ADDED;
    case ChangeKind::kRemoved: return v1::REMOVED;
    case ChangeKind::kChanged: return v1::CHANGED;
  }
  return v1::CHANGE_KIND_UNSPECIFIED;
}

int HistoryOf(const ImageRecord& r, int layer) {
  return layer >= 0 && layer < static_cast<int>(r.layers.size())
             ? r.layers[layer].history_index
             : -1;
}

}  // namespace

v1::ImageDiff ToProto(const ImageDiff& d, const ImageRecord& a,
                      const ImageRecord& b) {
  v1::ImageDiff out;
  out.set_image_a(a.manifest_digest);
  out.set_image_b(b.manifest_digest);
  v1::DiffSummary* sum = out.mutable_summary();
  for (const FileChange& c : d.files) {
    v1::FileChange* p = out.add_files();
    p->set_kind(Kind(c.kind));
    p->set_path(c.path);
    if (c.before) {
      *p->mutable_before() = ToProto(c.before->entry, c.before->layer,
                                     HistoryOf(a, c.before->layer));
    }
    if (c.after) {
      *p->mutable_after() = ToProto(c.after->entry, c.after->layer,
                                    HistoryOf(b, c.after->layer));
    }
    static constexpr std::pair<uint32_t, const char*> kBits[] = {
        {kChangedContent, "content"},   {kChangedSize, "size"},
        {kChangedMode, "mode"},         {kChangedOwner, "owner"},
        {kChangedType, "type"},         {kChangedLinkTarget, "link_target"},
        {kChangedDevice, "device"}};
    for (const auto& [bit, name] : kBits) {
      if (c.what & bit) p->add_changed(name);
    }
    switch (c.kind) {
      case ChangeKind::kAdded: sum->set_files_added(sum->files_added() + 1); break;
      case ChangeKind::kRemoved: sum->set_files_removed(sum->files_removed() + 1); break;
      case ChangeKind::kChanged: sum->set_files_changed(sum->files_changed() + 1); break;
    }
  }
  for (const FieldChange& c : d.metadata) {
    v1::FieldChange* p = out.add_metadata();
    p->set_kind(Kind(c.kind));
    p->set_field(c.field);
    p->set_key(c.key);
    p->set_before(c.before);
    p->set_after(c.after);
  }
  for (const HistoryChange& h : d.history) {
    v1::HistoryChange* p = out.add_history();
    p->set_kind(Kind(h.kind));
    p->set_index(h.index);
    p->set_created_by(h.created_by);
    p->set_empty_layer(h.empty_layer);
  }
  sum->set_metadata_changed(static_cast<int32_t>(d.metadata.size()));
  sum->set_shared_layers(d.shared_layers);
  sum->set_paths_examined(d.paths_examined);
  return out;
}

v1::IndexSummary ToProto(const IndexSummary& s) {
  v1::IndexSummary out;
  out.set_manifest_digest(s.manifest_digest);
  out.set_config_digest(s.config_digest);
  *out.mutable_platform() = ToProto(s.platform);
  out.set_index_digest(s.index_digest);
  for (const Platform& p : s.available_platforms) {
    *out.add_available_platforms() = ToProto(p);
  }
  out.set_already_indexed(s.already_indexed);
  out.set_layers_new(s.layers_new);
  out.set_layers_known(s.layers_known);
  out.set_entries(s.entries);
  out.set_seconds(s.seconds);
  for (const TagRef& t : s.tags) {
    v1::Tag* p = out.add_tags();
    p->set_name(t.name);
    p->set_tag(t.tag);
  }
  for (const auto& w : s.warnings) out.add_warnings(w);
  return out;
}

v1::LayerProgress ToProto(const IndexProgress& p) {
  v1::LayerProgress out;
  switch (p.phase) {
    case IndexProgress::Phase::kLayerSkipped: out.set_phase(v1::LayerProgress::SKIPPED); break;
    case IndexProgress::Phase::kLayerReading: out.set_phase(v1::LayerProgress::READING); break;
    case IndexProgress::Phase::kLayerDone: out.set_phase(v1::LayerProgress::DONE); break;
    case IndexProgress::Phase::kResolved: break;
  }
  out.set_layer(p.layer);
  out.set_layer_count(p.layer_count);
  out.set_diff_id(p.diff_id);
  out.set_blob_size(p.blob_size);
  out.set_bytes_read(p.bytes_read);
  out.set_entries(p.entries);
  return out;
}

v1::DriftSummary ToProto(const DriftSummary& s) {
  v1::DriftSummary out;
  out.set_files_added(s.files_added);
  out.set_files_removed(s.files_removed);
  out.set_files_changed(s.files_changed);
  for (const auto& m : s.metadata_changed) out.add_metadata_changed(m);
  for (const auto& p : s.packages_added) out.add_packages_added(p);
  for (const auto& p : s.packages_removed) out.add_packages_removed(p);
  for (const auto& p : s.packages_upgraded) out.add_packages_upgraded(p);
  for (const auto& p : s.packages_downgraded) out.add_packages_downgraded(p);
  out.set_configs_changed(s.configs_changed);
  return out;
}

v1::EventKind EventKindFromName(const std::string& kind) {
  v1::EventKind k = v1::EVENT_KIND_UNSPECIFIED;
  v1::EventKind_Parse(kind, &k);
  return k;
}

v1::Event ToProto(const EventRecord& e, const DriftSummary* drift) {
  v1::Event out;
  out.set_seq(e.seq);
  out.set_kind(EventKindFromName(e.kind));
  out.set_committed_at_us(e.at_us);
  out.set_image(e.image_digest);
  out.set_name(e.name);
  out.set_tag(e.tag);
  out.set_old_image(e.old_image_digest);
  if (drift != nullptr) *out.mutable_drift() = ToProto(*drift);
  return out;
}

}  // namespace dci
