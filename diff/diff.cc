#include "diff/diff.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/image_config.h"
#include "diff/inventory_diff.h"

namespace dci {
namespace {

bool HidesLower(const LayerEntry& e) {
  return e.type == EntryType::kWhiteout || e.type != EntryType::kDir ||
         e.opaque;
}

absl::StatusOr<std::vector<std::vector<LayerEntry>>> LoadLayers(
    Store& store, const ImageRecord& image, size_t from) {
  std::vector<std::vector<LayerEntry>> out;
  for (size_t i = from; i < image.layers.size(); ++i) {
    DCI_ASSIGN_OR_RETURN(std::vector<LayerEntry> entries,
                         store.LayerEntries(image.layers[i].layer_id));
    out.push_back(std::move(entries));
  }
  return out;
}

void DiffFiles(const std::set<std::string>& touched, const MergedTree& ta,
               const MergedTree& tb, std::vector<FileChange>& out) {
  for (const std::string& path : touched) {
    auto ia = ta.find(path);
    auto ib = tb.find(path);
    bool in_a = ia != ta.end();
    bool in_b = ib != tb.end();
    if (!in_a && !in_b) continue;
    FileChange c;
    c.path = path;
    if (in_a) c.before = ia->second;
    if (in_b) c.after = ib->second;
    if (!in_a) {
      c.kind = ChangeKind::kAdded;
    } else if (!in_b) {
      c.kind = ChangeKind::kRemoved;
    } else {
      c.kind = ChangeKind::kChanged;
      c.what = CompareEntries(ia->second.entry, ib->second.entry);
      if (c.what == 0) continue;
    }
    out.push_back(std::move(c));
  }
}

void Scalar(std::vector<FieldChange>& out, const std::string& field,
            const std::string& a, const std::string& b) {
  if (a == b) return;
  FieldChange c;
  c.kind = a.empty() ? ChangeKind::kAdded
                     : (b.empty() ? ChangeKind::kRemoved : ChangeKind::kChanged);
  c.field = field;
  c.before = a;
  c.after = b;
  out.push_back(std::move(c));
}

void Keyed(std::vector<FieldChange>& out, const std::string& field,
           const std::map<std::string, std::string>& a,
           const std::map<std::string, std::string>& b) {
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) {
      out.push_back({ChangeKind::kRemoved, field, k, v, ""});
    } else if (it->second != v) {
      out.push_back({ChangeKind::kChanged, field, k, v, it->second});
    }
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) out.push_back({ChangeKind::kAdded, field, k, "", v});
  }
}

std::map<std::string, std::string> EnvMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> m;
  for (const std::string& kv : env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      m[kv] = "";
    } else {
      m[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return m;
}

std::map<std::string, std::string> KeySet(const std::vector<std::string>& v) {
  std::map<std::string, std::string> m;
  for (const std::string& k : v) m[k] = "";
  return m;
}

std::string JsonArray(const std::vector<std::string>& v) {
  return v.empty() ? std::string() : nlohmann::json(v).dump();
}

absl::Status DiffMetadata(const ImageRecord& a, const ImageRecord& b,
                          ImageDiff& out) {
  DCI_ASSIGN_OR_RETURN(ImageConfig ca, ParseImageConfig(a.config_json));
  DCI_ASSIGN_OR_RETURN(ImageConfig cb, ParseImageConfig(b.config_json));
  std::vector<FieldChange>& m = out.metadata;
  Scalar(m, "manifest_media_type", a.manifest_media_type, b.manifest_media_type);
  Scalar(m, "config_media_type", a.config_media_type, b.config_media_type);
  Scalar(m, "os", ca.platform.os, cb.platform.os);
  Scalar(m, "architecture", ca.platform.architecture, cb.platform.architecture);
  Scalar(m, "variant", ca.platform.variant, cb.platform.variant);
  Scalar(m, "os_version", ca.os_version, cb.os_version);
  Scalar(m, "created", ca.created, cb.created);
  Scalar(m, "author", ca.author, cb.author);
  Scalar(m, "docker_version", ca.docker_version, cb.docker_version);
  Scalar(m, "user", ca.user, cb.user);
  Scalar(m, "working_dir", ca.working_dir, cb.working_dir);
  Scalar(m, "stop_signal", ca.stop_signal, cb.stop_signal);
  Scalar(m, "entrypoint", JsonArray(ca.entrypoint), JsonArray(cb.entrypoint));
  Scalar(m, "cmd", JsonArray(ca.cmd), JsonArray(cb.cmd));
  Keyed(m, "label", ca.labels, cb.labels);
  Keyed(m, "env", EnvMap(ca.env), EnvMap(cb.env));
  Keyed(m, "exposed_port", KeySet(ca.exposed_ports), KeySet(cb.exposed_ports));
  Keyed(m, "volume", KeySet(ca.volumes), KeySet(cb.volumes));

  size_t common = 0;
  while (common < ca.history.size() && common < cb.history.size() &&
         ca.history[common].created_by == cb.history[common].created_by &&
         ca.history[common].empty_layer == cb.history[common].empty_layer) {
    ++common;
  }
  for (size_t i = common; i < ca.history.size(); ++i) {
    out.history.push_back({ChangeKind::kRemoved, static_cast<int>(i),
                           ca.history[i].created_by,
                           ca.history[i].empty_layer});
  }
  for (size_t i = common; i < cb.history.size(); ++i) {
    out.history.push_back({ChangeKind::kAdded, static_cast<int>(i),
                           cb.history[i].created_by,
                           cb.history[i].empty_layer});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MergedTree> LoadMergedTree(Store& store,
                                          const ImageRecord& image) {
  DCI_ASSIGN_OR_RETURN(auto layers, LoadLayers(store, image, 0));
  return MergeLayers(layers);
}

absl::StatusOr<ImageDiff> DiffImages(Store& store, const ImageRecord& a,
                                     const ImageRecord& b,
                                     const DiffSections& sections) {
  ImageDiff out;
  size_t k = 0;
  while (k < a.layers.size() && k < b.layers.size() &&
         a.layers[k].layer_id == b.layers[k].layer_id) {
    ++k;
  }
  out.shared_layers = static_cast<int>(k);

  // Step 1: the upper layers, whole.
  DCI_ASSIGN_OR_RETURN(auto upper_a, LoadLayers(store, a, k));
  DCI_ASSIGN_OR_RETURN(auto upper_b, LoadLayers(store, b, k));

  // Step 2: the touched set.
  std::set<std::string> touched;
  std::set<std::string> hide_points;
  for (const auto* uppers : {&upper_a, &upper_b}) {
    for (const auto& layer : *uppers) {
      for (const LayerEntry& e : layer) {
        touched.insert(e.path);
        if (HidesLower(e)) hide_points.insert(e.path);
      }
    }
  }
  std::vector<int64_t> shared_ids;
  for (size_t i = 0; i < k; ++i) shared_ids.push_back(a.layers[i].layer_id);
  for (const std::string& h : hide_points) {
    DCI_ASSIGN_OR_RETURN(auto under, store.LayerEntriesUnder(shared_ids, h));
    for (const auto& layer : under) {
      for (const LayerEntry& e : layer) touched.insert(e.path);
    }
  }
  out.paths_examined = static_cast<int64_t>(touched.size());

  // Step 3: the shared layers' entries at the touched paths and their
  // ancestors.
  std::set<std::string> relevant = touched;
  for (const std::string& p : touched) {
    for (absl::string_view d = ParentPath(p); !d.empty(); d = ParentPath(d)) {
      if (!relevant.insert(std::string(d)).second) break;
    }
  }
  DCI_ASSIGN_OR_RETURN(
      auto shared,
      store.LayerEntriesAt(shared_ids, std::vector<std::string>(
                                           relevant.begin(), relevant.end())));

  // Step 4: merge each image over those entries only, compare at S.
  std::vector<std::vector<LayerEntry>> layers_a = shared;
  layers_a.insert(layers_a.end(), upper_a.begin(), upper_a.end());
  std::vector<std::vector<LayerEntry>> layers_b = std::move(shared);
  layers_b.insert(layers_b.end(), upper_b.begin(), upper_b.end());
  DiffFiles(touched, MergeLayers(layers_a), MergeLayers(layers_b), out.files);

  if (sections.metadata) DCI_RETURN_IF_ERROR(DiffMetadata(a, b, out));
  DCI_RETURN_IF_ERROR(DiffInventory(store, a, b, sections, out));
  if (!sections.files) out.files.clear();
  return out;
}

DriftSummary Summarize(const ImageDiff& diff) {
  DriftSummary s;
  for (const PackageChange& p : diff.packages) {
    switch (p.kind) {
      case ChangeKind::kAdded: s.packages_added.push_back(p.name); break;
      case ChangeKind::kRemoved: s.packages_removed.push_back(p.name); break;
      case ChangeKind::kChanged:
        if (p.order < 0) s.packages_upgraded.push_back(p.name);
        if (p.order > 0) s.packages_downgraded.push_back(p.name);
        break;
    }
  }
  s.configs_changed = static_cast<int>(diff.configs.size());
  for (const FileChange& c : diff.files) {
    switch (c.kind) {
      case ChangeKind::kAdded: ++s.files_added; break;
      case ChangeKind::kRemoved: ++s.files_removed; break;
      case ChangeKind::kChanged: ++s.files_changed; break;
    }
  }
  for (const FieldChange& f : diff.metadata) {
    s.metadata_changed.push_back(f.key.empty() ? f.field
                                               : absl::StrCat(f.field, ":", f.key));
  }
  return s;
}

uint32_t CompareEntries(const LayerEntry& a, const LayerEntry& b,
                        bool content_unknown) {
  uint32_t what = 0;
  if (a.type != b.type) what |= kChangedType;
  bool a_content = a.type == EntryType::kFile || a.type == EntryType::kHardlink;
  bool b_content = b.type == EntryType::kFile || b.type == EntryType::kHardlink;
  if (a_content && b_content) {
    if (!content_unknown && a.content_hash != b.content_hash) {
      what |= kChangedContent;
    }
    if (a.size != b.size) what |= kChangedSize;
  }
  if (!a.implicit && !b.implicit) {
    if (a.mode != b.mode) what |= kChangedMode;
    if (a.uid != b.uid || a.gid != b.gid) what |= kChangedOwner;
  }
  if (a.link_target != b.link_target) what |= kChangedLinkTarget;
  if (a.dev_major != b.dev_major || a.dev_minor != b.dev_minor) {
    what |= kChangedDevice;
  }
  return what;
}

}  // namespace dci
