// OCI image-spec config.md; Docker's image JSON (image/spec/v1.2.md) has the
// same names for every field read here. Docker writes null for empty
// Entrypoint, Cmd, Labels, Volumes and the like: null reads as absent.
// The JSON is untrusted: it is parsed without exceptions and every value's
// type is checked before use.
#include "indexer/image_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "base/status_macros.h"

namespace dci {
namespace {

using nlohmann::json;

absl::Status TypeError(absl::string_view field, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("config field \"", field, "\": want ", want));
}

// Reads an optional string; absent or null leaves `out` alone.
absl::Status GetString(const json& obj, const char* key,
                       absl::string_view field, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return TypeError(field, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetBool(const json& obj, const char* key, absl::string_view field,
                     bool* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) return TypeError(field, "true or false");
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::Status GetStringArray(const json& obj, const char* key,
                            absl::string_view field,
                            std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return TypeError(field, "an array of strings");
  out->clear();
  for (const json& v : *it) {
    if (!v.is_string()) return TypeError(field, "an array of strings");
    out->push_back(v.get<std::string>());
  }
  return absl::OkStatus();
}

// ExposedPorts and Volumes are objects whose keys carry the meaning
// ({"80/tcp": {}}); the keys come back sorted.
absl::Status GetObjectKeys(const json& obj, const char* key,
                           absl::string_view field,
                           std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return TypeError(field, "an object");
  out->clear();
  for (auto kv = it->begin(); kv != it->end(); ++kv) out->push_back(kv.key());
  std::sort(out->begin(), out->end());
  return absl::OkStatus();
}

absl::Status GetStringMap(const json& obj, const char* key,
                          absl::string_view field,
                          std::map<std::string, std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return TypeError(field, "an object of strings");
  out->clear();
  for (auto kv = it->begin(); kv != it->end(); ++kv) {
    if (!kv.value().is_string()) {
      return TypeError(absl::StrCat(field, ".", kv.key()), "a string");
    }
    (*out)[kv.key()] = kv.value().get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status ParseRunConfig(const json& c, ImageConfig* out) {
  DCI_RETURN_IF_ERROR(GetString(c, "User", "config.User", &out->user));
  DCI_RETURN_IF_ERROR(
      GetString(c, "WorkingDir", "config.WorkingDir", &out->working_dir));
  DCI_RETURN_IF_ERROR(
      GetString(c, "StopSignal", "config.StopSignal", &out->stop_signal));
  DCI_RETURN_IF_ERROR(GetStringArray(c, "Env", "config.Env", &out->env));
  DCI_RETURN_IF_ERROR(
      GetStringArray(c, "Entrypoint", "config.Entrypoint", &out->entrypoint));
  DCI_RETURN_IF_ERROR(GetStringArray(c, "Cmd", "config.Cmd", &out->cmd));
  DCI_RETURN_IF_ERROR(GetObjectKeys(c, "ExposedPorts", "config.ExposedPorts",
                                    &out->exposed_ports));
  DCI_RETURN_IF_ERROR(
      GetObjectKeys(c, "Volumes", "config.Volumes", &out->volumes));
  DCI_RETURN_IF_ERROR(GetStringMap(c, "Labels", "config.Labels", &out->labels));
  return absl::OkStatus();
}

absl::Status ParseHistory(const json& h, std::vector<HistoryStep>* out) {
  if (h.is_null()) return absl::OkStatus();
  if (!h.is_array()) return TypeError("history", "an array");
  for (size_t i = 0; i < h.size(); ++i) {
    const json& e = h[i];
    std::string field = absl::StrCat("history[", i, "]");
    if (!e.is_object()) return TypeError(field, "an object");
    HistoryStep step;
    DCI_RETURN_IF_ERROR(
        GetString(e, "created", field + ".created", &step.created));
    DCI_RETURN_IF_ERROR(
        GetString(e, "created_by", field + ".created_by", &step.created_by));
    DCI_RETURN_IF_ERROR(
        GetString(e, "author", field + ".author", &step.author));
    DCI_RETURN_IF_ERROR(
        GetString(e, "comment", field + ".comment", &step.comment));
    DCI_RETURN_IF_ERROR(
        GetBool(e, "empty_layer", field + ".empty_layer", &step.empty_layer));
    out->push_back(std::move(step));
  }
  return absl::OkStatus();
}

// config.md, "rootfs": type MUST be "layers"; diff_ids are digests of the
// uncompressed layer tars, bottom first.
absl::Status ParseRootfs(const json& doc, std::vector<std::string>* out) {
  auto it = doc.find("rootfs");
  if (it == doc.end() || it->is_null()) {
    return absl::InvalidArgumentError("config has no rootfs");
  }
  if (!it->is_object()) return TypeError("rootfs", "an object");
  std::string type;
  DCI_RETURN_IF_ERROR(GetString(*it, "type", "rootfs.type", &type));
  if (type != "layers") {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs.type is \"", type, "\", want \"layers\""));
  }
  auto ids = it->find("diff_ids");
  if (ids == it->end() || ids->is_null()) return absl::OkStatus();
  if (!ids->is_array()) return TypeError("rootfs.diff_ids", "an array");
  for (size_t i = 0; i < ids->size(); ++i) {
    const json& v = (*ids)[i];
    if (!v.is_string()) {
      return TypeError(absl::StrCat("rootfs.diff_ids[", i, "]"), "a string");
    }
    absl::StatusOr<std::string> d = ParseDigest(v.get<std::string>());
    if (!d.ok()) {
      return Annotate(d.status(), absl::StrCat("rootfs.diff_ids[", i, "]"));
    }
    out->push_back(*std::move(d));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Platform::ToString() const {
  if (variant.empty()) return absl::StrCat(os, "/", architecture);
  return absl::StrCat(os, "/", architecture, "/", variant);
}

absl::StatusOr<Platform> ParsePlatform(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (absl::string_view p : parts) {
    if (p.empty()) ok = false;
    for (char c : p) {
      if (c <= ' ' || c > '~') ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("platform \"", s, "\": want OS/ARCH or OS/ARCH/VARIANT"));
  }
  Platform p;
  p.os = std::string(parts[0]);
  p.architecture = std::string(parts[1]);
  if (parts.size() == 3) p.variant = std::string(parts[2]);
  return p;
}

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view text) {
  json doc = json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("config is not valid JSON");
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("config is not a JSON object");
  }
  ImageConfig out;
  DCI_RETURN_IF_ERROR(GetString(doc, "os", "os", &out.platform.os));
  DCI_RETURN_IF_ERROR(GetString(doc, "architecture", "architecture",
                                &out.platform.architecture));
  DCI_RETURN_IF_ERROR(
      GetString(doc, "variant", "variant", &out.platform.variant));
  DCI_RETURN_IF_ERROR(
      GetString(doc, "os.version", "os.version", &out.os_version));
  DCI_RETURN_IF_ERROR(GetString(doc, "created", "created", &out.created));
  DCI_RETURN_IF_ERROR(GetString(doc, "author", "author", &out.author));
  DCI_RETURN_IF_ERROR(
      GetString(doc, "docker_version", "docker_version", &out.docker_version));
  auto c = doc.find("config");
  if (c != doc.end() && !c->is_null()) {
    if (!c->is_object()) return TypeError("config", "an object");
    DCI_RETURN_IF_ERROR(ParseRunConfig(*c, &out));
  }
  auto h = doc.find("history");
  if (h != doc.end()) DCI_RETURN_IF_ERROR(ParseHistory(*h, &out.history));
  DCI_RETURN_IF_ERROR(ParseRootfs(doc, &out.diff_ids));
  return out;
}

}  // namespace dci
