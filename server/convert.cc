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
  for (const PackageChange& c : d.packages) {
    v1::PackageChange* p = out.add_packages();
    p->set_kind(Kind(c.kind));
    p->set_ecosystem(c.ecosystem);
    p->set_name(c.name);
    p->set_arch(c.arch);
    p->set_before(c.before);
    p->set_after(c.after);
    switch (c.kind) {
      case ChangeKind::kAdded: sum->set_packages_added(sum->packages_added() + 1); break;
      case ChangeKind::kRemoved: sum->set_packages_removed(sum->packages_removed() + 1); break;
      case ChangeKind::kChanged:
        p->set_direction(c.order < 0 ? "upgraded" : c.order > 0 ? "downgraded" : "rebuilt");
        if (c.order < 0) sum->set_packages_upgraded(sum->packages_upgraded() + 1);
        if (c.order > 0) sum->set_packages_downgraded(sum->packages_downgraded() + 1);
        break;
    }
  }
  for (const ConfigChange& c : d.configs) {
    v1::ConfigChange* p = out.add_configs();
    p->set_kind(Kind(c.kind));
    p->set_path(c.path);
    p->set_unified_diff(c.unified_diff);
  }
  sum->set_configs_changed(static_cast<int32_t>(d.configs.size()));
  for (const AccountChange& c : d.accounts) {
    v1::AccountChange* p = out.add_accounts();
    p->set_kind(Kind(c.kind));
    p->set_what(c.what);
    p->set_name(c.name);
    p->set_before(c.before);
    p->set_after(c.after);
  }
  for (const ServiceChange& c : d.services) {
    v1::ServiceChange* p = out.add_services();
    p->set_kind(Kind(c.kind));
    p->set_unit(c.unit);
    p->set_target(c.target);
    p->set_how(c.how);
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
  out.set_bytes_fetched(s.bytes_fetched);
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

v1::Package ToProto(const Package& p) {
  v1::Package out;
  out.set_ecosystem(std::string(EcosystemName(p.ecosystem)));
  out.set_name(p.name);
  out.set_epoch(p.epoch);
  out.set_version(p.version);
  out.set_release(p.release);
  out.set_arch(p.arch);
  out.set_full_version(p.FullVersion());
  out.set_source_name(p.source_name);
  out.set_source_version(p.source_version);
  out.set_status(p.status);
  out.set_license(p.license);
  out.set_maintainer(p.maintainer);
  out.set_installed_size(p.installed_size);
  return out;
}

v1::Package ToProto(const ImagePackage& ip, const ImageRecord& image) {
  v1::Package out = ToProto(ip.package);
  out.set_db_path(ip.db_path);
  out.set_layer(ip.layer);
  out.set_history_index(ip.history_index);
  absl::StatusOr<ImageConfig> c = ParseImageConfig(image.config_json);
  if (c.ok() && ip.history_index >= 0 &&
      ip.history_index < static_cast<int>(c->history.size())) {
    out.set_created_by(c->history[ip.history_index].created_by);
  }
  for (const std::string& f : ip.package.files) out.add_files(f);
  for (const ConfigFileState& cs : ip.configs) {
    v1::ConfigFileState* p = out.add_config_files();
    p->set_path(cs.path);
    p->set_state(std::string(ConfigStateName(cs.state)));
  }
  return out;
}

v1::ImageSystem ToProto(const ImageInventory& inv) {
  v1::ImageSystem out;
  out.set_os_release_path(inv.os_release_path);
  auto put = [&out](const char* k, const std::string& v) {
    if (!v.empty()) (*out.mutable_os_release())[k] = v;
  };
  for (const auto& [k, v] : inv.os_release.other) put(k.c_str(), v);
  put("ID", inv.os_release.id);
  put("ID_LIKE", inv.os_release.id_like);
  put("NAME", inv.os_release.name);
  put("PRETTY_NAME", inv.os_release.pretty_name);
  put("VERSION", inv.os_release.version);
  put("VERSION_ID", inv.os_release.version_id);
  put("VERSION_CODENAME", inv.os_release.version_codename);
  put("HOME_URL", inv.os_release.home_url);
  for (const User& u : inv.users.users) {
    v1::User* p = out.add_users();
    p->set_name(u.name);
    p->set_uid(u.uid);
    p->set_gid(u.gid);
    p->set_gecos(u.gecos);
    p->set_home(u.home);
    p->set_shell(u.shell);
    p->set_password(std::string(PasswordStateName(u.password)));
  }
  for (const Group& g : inv.groups.groups) {
    v1::Group* p = out.add_groups();
    p->set_name(g.name);
    p->set_gid(g.gid);
    for (const auto& m : g.members) p->add_members(m);
  }
  for (const EnabledUnit& u : inv.services.units) {
    v1::EnabledService* p = out.add_services();
    p->set_unit(u.unit);
    p->set_target(u.target);
    p->set_how(std::string(EnablementKindName(u.kind)));
    p->set_link_path(u.link_path);
    p->set_vendor(u.vendor);
  }
  out.set_package_count(static_cast<int32_t>(inv.packages.size()));
  for (const auto& w : inv.warnings) out.add_warnings(w);
  for (const auto& w : inv.users.warnings) out.add_warnings("etc/passwd: " + w);
  for (const auto& w : inv.groups.warnings) out.add_warnings("etc/group: " + w);
  return out;
}

}  // namespace dci
