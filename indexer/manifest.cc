// Design note. ResolveImage reads only small JSON documents (index.json,
// indexes, manifests, configs, docker-archive's manifest.json) and treats
// every one as untrusted:
//
//  1. Every blob is read from "blobs/sha256/<hex>" of a digest that passed
//     ParseDigest (so a digest can never name a path outside blobs/), with a
//     size cap, and is checked against its descriptor's size and digest
//     before it is parsed (image-spec descriptor.md, "Digests": a mismatch
//     is DataLoss).
//  2. JSON is parsed without exceptions; every field's type is checked.
//  3. A descriptor is classified as index or manifest by its media type; if
//     that says nothing (application/vnd.oci.descriptor.v1+json, ""), by the
//     blob's own "mediaType", then by its shape. The two disagreeing about
//     index versus manifest is an error; OCI versus Docker flavour of the
//     same kind is only a warning (go-containerregistry's test layouts have
//     it).
//  4. Indexes nest at most kMaxIndexDepth deep; content addressing already
//     rules out cycles, the cap rules out long chains.
//  5. The manifest's layer count equals the config's diff_ids count, and
//     every layer blob is present with its descriptor's size. Layer
//     contents are not read here (indexer/layer_reader.h does that), except
//     for docker-archive, whose layers are hashed to write the manifest.
#include "indexer/manifest.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/digest.h"
#include "base/path.h"
#include "base/status_macros.h"

namespace dci {
namespace {

using nlohmann::json;

// OCI image-spec media-types.md and Docker's manifest schema 2.
constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
constexpr char kDockerList[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kDockerManifest[] =
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr char kDockerSchema1[] =
    "application/vnd.docker.distribution.manifest.v1+json";
constexpr char kDockerSchema1Signed[] =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";
constexpr char kDockerConfig[] =
    "application/vnd.docker.container.image.v1+json";
constexpr char kDockerLayerTar[] =
    "application/vnd.docker.image.rootfs.diff.tar";
constexpr char kDockerLayerGzip[] =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr char kOciLayerZstd[] = "application/vnd.oci.image.layer.v1.tar+zstd";

// image-spec annotations.md.
constexpr char kRefNameAnnotation[] = "org.opencontainers.image.ref.name";
// BuildKit puts attestation manifests (platform unknown/unknown) in indexes.
constexpr char kDockerReferenceType[] = "vnd.docker.reference.type";

constexpr int kMaxIndexDepth = 8;
constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr size_t kMaxConfigBytes = 16 << 20;
constexpr size_t kMaxIndexEntries = 10000;
constexpr size_t kMaxLayers = 10000;

struct LayerType {
  const char* media_type;
  Compression compression;
};

// image-spec media-types.md / layer.md, and Docker's schema 2 (whose
// "foreign" layers are the nondistributable ones).
constexpr LayerType kLayerTypes[] = {
    {"application/vnd.oci.image.layer.v1.tar", Compression::kNone},
    {"application/vnd.oci.image.layer.v1.tar+gzip", Compression::kGzip},
    {"application/vnd.oci.image.layer.v1.tar+zstd", Compression::kZstd},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar",
     Compression::kNone},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
     Compression::kGzip},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
     Compression::kZstd},
    {"application/vnd.docker.image.rootfs.diff.tar", Compression::kNone},
    {"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::kGzip},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar",
     Compression::kNone},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
     Compression::kGzip},
};

std::string Short(absl::string_view digest) {
  if (digest.size() <= 19) return std::string(digest);
  return absl::StrCat(digest.substr(0, 19), "…");  // "sha256:" + 12 hex
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string BlobPath(absl::string_view digest) {
  return absl::StrCat("blobs/sha256/", DigestHex(digest));
}

enum class Kind { kUnknown, kIndex, kManifest };

Kind KindOfMediaType(absl::string_view mt) {
  if (mt == kOciIndex || mt == kDockerList) return Kind::kIndex;
  if (mt == kOciManifest || mt == kDockerManifest) return Kind::kManifest;
  return Kind::kUnknown;
}

struct Descriptor {
  std::string media_type;
  std::string digest;
  long long size = 0;
  bool has_platform = false;
  Platform platform;
  std::map<std::string, std::string> annotations;

  std::string Annotation(const std::string& key) const {
    auto it = annotations.find(key);
    return it == annotations.end() ? "" : it->second;
  }
};

absl::StatusOr<json> ParseJson(absl::string_view text) {
  json doc = json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return doc;
}

absl::Status FieldError(absl::string_view field, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("field ", Quote(field), ": want ", want));
}

absl::Status GetString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return FieldError(key, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// image-spec descriptor.md. `field` names it in errors ("manifests[2]").
absl::StatusOr<Descriptor> ParseDescriptor(const json& j,
                                           const std::string& field) {
  if (!j.is_object()) return FieldError(field, "a descriptor object");
  Descriptor d;
  absl::Status s = [&]() -> absl::Status {
    DCI_RETURN_IF_ERROR(GetString(j, "mediaType", &d.media_type));
    auto digest = j.find("digest");
    if (digest == j.end() || !digest->is_string()) {
      return FieldError("digest", "a string");
    }
    DCI_ASSIGN_OR_RETURN(d.digest, ParseDigest(digest->get<std::string>()));
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() ||
        (size->is_number_unsigned()
             ? size->get<unsigned long long>() >
                   static_cast<unsigned long long>(1LL << 62)
             : size->get<long long>() < 0)) {
      return FieldError("size", "a non-negative integer");
    }
    d.size = size->get<long long>();
    auto platform = j.find("platform");
    if (platform != j.end() && !platform->is_null()) {
      if (!platform->is_object()) return FieldError("platform", "an object");
      DCI_RETURN_IF_ERROR(GetString(*platform, "os", &d.platform.os));
      DCI_RETURN_IF_ERROR(
          GetString(*platform, "architecture", &d.platform.architecture));
      DCI_RETURN_IF_ERROR(GetString(*platform, "variant", &d.platform.variant));
      d.has_platform = true;
    }
    auto ann = j.find("annotations");
    if (ann != j.end() && !ann->is_null()) {
      if (!ann->is_object()) return FieldError("annotations", "an object");
      for (auto kv = ann->begin(); kv != ann->end(); ++kv) {
        if (!kv.value().is_string()) {
          return FieldError(absl::StrCat("annotations.", kv.key()), "a string");
        }
        d.annotations[kv.key()] = kv.value().get<std::string>();
      }
    }
    return absl::OkStatus();
  }();
  if (!s.ok()) return Annotate(s, field);
  return d;
}

// The "manifests" of an image index (image-spec image-index.md) or of
// index.json (image-layout.md).
absl::StatusOr<std::vector<Descriptor>> ParseIndex(const json& doc) {
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  auto sv = doc.find("schemaVersion");
  if (sv != doc.end() &&
      !(sv->is_number_integer() && sv->get<long long>() == 2)) {
    return FieldError("schemaVersion", "2");
  }
  auto m = doc.find("manifests");
  if (m == doc.end() || !m->is_array()) {
    return FieldError("manifests", "an array");
  }
  if (m->size() > kMaxIndexEntries) {
    return absl::ResourceExhaustedError(absl::StrCat("index lists ", m->size(),
                                                     " manifests (limit ",
                                                     kMaxIndexEntries, ")"));
  }
  std::vector<Descriptor> out;
  for (size_t i = 0; i < m->size(); ++i) {
    DCI_ASSIGN_OR_RETURN(
        Descriptor d,
        ParseDescriptor((*m)[i], absl::StrCat("manifests[", i, "]")));
    out.push_back(std::move(d));
  }
  return out;
}

// Reads the file at `path` (by default the blob named by `d`) and checks it
// against `d` (rule 1).
absl::StatusOr<std::string> ReadBlob(ImageSource& source, const Descriptor& d,
                                     size_t max_bytes, std::string path = "") {
  if (d.size > static_cast<long long>(max_bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "descriptor size ", d.size, " bytes is over the limit of ", max_bytes));
  }
  absl::StatusOr<std::string> data = source.ReadAll(
      path.empty() ? BlobPath(d.digest) : path, static_cast<size_t>(d.size));
  if (absl::IsResourceExhausted(data.status())) {
    return absl::DataLossError(
        absl::StrCat("blob is larger than its descriptor's size ", d.size));
  }
  if (!data.ok()) return data.status();
  if (static_cast<long long>(data->size()) != d.size) {
    return absl::DataLossError(absl::StrCat(
        "blob is ", data->size(), " bytes, descriptor says ", d.size));
  }
  std::string actual = Sha256::Of(*data);
  if (actual != d.digest) {
    return absl::DataLossError(absl::StrCat("blob content is ", actual,
                                            ", descriptor says ", d.digest));
  }
  return data;
}

// arm64 without a variant is v8 (containerd's platforms.Normalize).
std::string NormalVariant(const Platform& p) {
  if (p.architecture == "arm64" && p.variant.empty()) return "v8";
  return p.variant;
}

// Empty fields of `want` match anything; a variant in `want` must match.
bool PlatformMatches(const Platform& have, const Platform& want) {
  if (!want.os.empty() && have.os != want.os) return false;
  if (!want.architecture.empty() && have.architecture != want.architecture) {
    return false;
  }
  if (!want.variant.empty() && NormalVariant(have) != NormalVariant(want)) {
    return false;
  }
  return true;
}

std::string WantString(const Platform& want) {
  if (want.os.empty() && want.architecture.empty()) return "any";
  return want.ToString();
}

bool IsAttestation(const Descriptor& d) {
  return d.Annotation(kDockerReferenceType) == "attestation-manifest";
}

// The entry of `entries` that `want` picks (entries without a platform match
// anything; the first match wins), or NotFound listing the platforms.
absl::StatusOr<const Descriptor*> ChoosePlatform(
    const std::vector<Descriptor>& entries, const Platform& want,
    std::vector<Platform>* available) {
  const Descriptor* chosen = nullptr;
  std::vector<std::string> names;
  for (const Descriptor& e : entries) {
    if (IsAttestation(e)) continue;
    if (e.has_platform) {
      available->push_back(e.platform);
      names.push_back(e.platform.ToString());
    }
    if (chosen == nullptr &&
        (!e.has_platform || PlatformMatches(e.platform, want))) {
      chosen = &e;
    }
  }
  if (chosen == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "no image for platform ", WantString(want),
        "; available: ", names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }
  return chosen;
}

absl::StatusOr<Compression> LayerCompression(absl::string_view media_type) {
  for (const LayerType& t : kLayerTypes) {
    if (media_type == t.media_type) return t.compression;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown layer media type ", Quote(media_type)));
}

// Walks index -> manifest -> config. In a layout every document is a blob;
// in a registry (`registry`), indexes and manifests come from the source's
// "manifests/<digest>" path and layer sizes are checked while streaming.
class OciResolver {
 public:
  OciResolver(ImageSource& source, const Platform& want, ResolvedImage* out,
              bool registry = false)
      : source_(source), want_(want), out_(*out), registry_(registry) {}

  // A registry's image by tag or digest: the manifest (or index) the
  // reference names, which must match the digest when one is given.
  absl::Status ResolveRegistry(const ImageRef& ref) {
    const std::string reference = ref.digest.empty() ? ref.tag : ref.digest;
    absl::StatusOr<std::string> text =
        source_.ReadAll(absl::StrCat("manifests/", reference), kMaxManifestBytes);
    if (!text.ok()) return text.status();
    Descriptor root;
    root.digest = Sha256::Of(*text);
    root.size = static_cast<long long>(text->size());
    if (!ref.digest.empty() && root.digest != ref.digest) {
      return absl::DataLossError(absl::StrCat("manifest ", Short(ref.digest),
                                              ": content is ", root.digest));
    }
    return ResolveDocument(root, *std::move(text), 1);
  }

  // index.json (image-layout.md) and the tag in it.
  absl::Status ResolveLayout(const std::string& tag) {
    absl::StatusOr<std::string> text = source_.ReadAll("index.json");
    if (absl::IsNotFound(text.status())) {
      return absl::InvalidArgumentError(
          "no index.json: not an OCI image layout");
    }
    if (!text.ok()) return Annotate(text.status(), "index.json");
    absl::StatusOr<std::vector<Descriptor>> entries =
        [&]() -> absl::StatusOr<std::vector<Descriptor>> {
      DCI_ASSIGN_OR_RETURN(json doc, ParseJson(*text));
      return ParseIndex(doc);
    }();
    if (!entries.ok()) return Annotate(entries.status(), "index.json");

    std::vector<std::string> tags;
    for (const Descriptor& e : *entries) {
      std::string name = e.Annotation(kRefNameAnnotation);
      if (!name.empty()) tags.push_back(name);
    }
    std::vector<const Descriptor*> matches;
    for (const Descriptor& e : *entries) {
      if (tag.empty() || e.Annotation(kRefNameAnnotation) == tag) {
        // One manifest under several names counts once.
        bool dup = false;
        for (const Descriptor* m : matches) dup |= m->digest == e.digest;
        if (!dup) matches.push_back(&e);
      }
    }
    if (matches.empty()) {
      if (!tag.empty()) {
        return absl::NotFoundError(absl::StrCat(
            "index.json: no image tagged ", Quote(tag),
            "; tags: ", tags.empty() ? "none" : absl::StrJoin(tags, ", ")));
      }
      return absl::NotFoundError("index.json lists no images");
    }

    const Descriptor* chosen = matches[0];
    if (matches.size() > 1) {
      // Several images: a set of per-platform manifests is chosen from like
      // an index; anything else needs a tag.
      bool all_platforms = true;
      std::vector<Descriptor> candidates;
      for (const Descriptor* m : matches) {
        all_platforms &= m->has_platform;
        candidates.push_back(*m);
      }
      if (!all_platforms) {
        std::vector<std::string> names;
        for (const Descriptor* m : matches) {
          std::string n = m->Annotation(kRefNameAnnotation);
          names.push_back(
              n.empty() ? absl::StrCat(Short(m->digest), " (untagged)") : n);
        }
        return absl::NotFoundError(absl::StrCat(
            "index.json lists ", matches.size(), " images",
            tag.empty() ? "" : absl::StrCat(" tagged ", Quote(tag)),
            "; name one: ", absl::StrJoin(names, ", ")));
      }
      absl::StatusOr<const Descriptor*> pick =
          ChoosePlatform(candidates, want_, &out_.available_platforms);
      if (!pick.ok()) return Annotate(pick.status(), "index.json");
      for (const Descriptor* m : matches) {
        if (m->digest == (*pick)->digest) chosen = m;
      }
    }

    for (const Descriptor& e : *entries) {
      std::string name = e.Annotation(kRefNameAnnotation);
      if (e.digest == chosen->digest && !name.empty() &&
          std::find(out_.source_tags.begin(), out_.source_tags.end(), name) ==
              out_.source_tags.end()) {
        out_.source_tags.push_back(name);
      }
    }
    return Resolve(*chosen, 1);
  }

 private:
  // Rule 3, then either an index (pick a platform, go on) or a manifest.
  absl::Status Resolve(const Descriptor& d, int depth) {
    absl::StatusOr<std::string> blob =
        ReadBlob(source_, d, kMaxManifestBytes,
                 registry_ ? absl::StrCat("manifests/", d.digest) : "");
    if (!blob.ok()) {
      return Annotate(blob.status(),
                      absl::StrCat(KindOfMediaType(d.media_type) == Kind::kIndex
                                       ? "index "
                                       : "manifest ",
                                   Short(d.digest)));
    }
    return ResolveDocument(d, *std::move(blob), depth);
  }

  // `blob`, the verified content of `d`: an index or a manifest.
  absl::Status ResolveDocument(const Descriptor& d, std::string blob,
                               int depth) {
    absl::StatusOr<json> doc = ParseJson(blob);
    std::string blob_media_type;
    absl::Status s = doc.status();
    if (s.ok() && !doc->is_object()) {
      s = absl::InvalidArgumentError("not a JSON object");
    }
    if (s.ok()) s = GetString(*doc, "mediaType", &blob_media_type);
    Kind kind = Kind::kUnknown;
    if (s.ok()) s = Classify(d, *doc, blob_media_type, &kind);
    if (!s.ok()) {
      return Annotate(s,
                      absl::StrCat(KindOfMediaType(d.media_type) == Kind::kIndex
                                       ? "index "
                                       : "manifest ",
                                   Short(d.digest)));
    }
    if (kind == Kind::kIndex) {
      return Annotate(ResolveIndex(d, *doc, depth),
                      absl::StrCat("index ", Short(d.digest)));
    }
    return Annotate(ResolveManifest(d, *doc, blob_media_type, std::move(blob)),
                    absl::StrCat("manifest ", Short(d.digest)));
  }

  absl::Status Classify(const Descriptor& d, const json& doc,
                        const std::string& blob_media_type, Kind* kind) {
    auto sv = doc.find("schemaVersion");
    if (blob_media_type == kDockerSchema1 ||
        blob_media_type == kDockerSchema1Signed ||
        d.media_type == kDockerSchema1 ||
        d.media_type == kDockerSchema1Signed ||
        (sv != doc.end() && sv->is_number_integer() &&
         sv->get<long long>() == 1)) {
      return absl::InvalidArgumentError(
          "Docker schema 1 manifests are not supported");
    }
    Kind by_descriptor = KindOfMediaType(d.media_type);
    Kind by_blob = KindOfMediaType(blob_media_type);
    if (by_descriptor != Kind::kUnknown && by_blob != Kind::kUnknown &&
        by_descriptor != by_blob) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptor says ", Quote(d.media_type),
                       " but the blob says ", Quote(blob_media_type)));
    }
    if (by_descriptor != Kind::kUnknown) {
      *kind = by_descriptor;
    } else if (by_blob != Kind::kUnknown) {
      *kind = by_blob;
    } else if (!blob_media_type.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported media type ", Quote(blob_media_type),
                       ": not an image index or manifest"));
    } else if (doc.contains("manifests")) {
      *kind = Kind::kIndex;
    } else if (doc.contains("layers") && doc.contains("config")) {
      *kind = Kind::kManifest;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "media type ", Quote(d.media_type),
          " and the blob's shape say neither image index nor manifest"));
    }
    if (by_descriptor != Kind::kUnknown && by_blob != Kind::kUnknown &&
        d.media_type != blob_media_type) {
      out_.warnings.push_back(absl::StrCat(
          Short(d.digest), ": descriptor says ", Quote(d.media_type),
          ", the blob says ", Quote(blob_media_type), "; using the blob's"));
    }
    return absl::OkStatus();
  }

  absl::Status ResolveIndex(const Descriptor& d, const json& doc, int depth) {
    if (depth >= kMaxIndexDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("indexes nested more than ", kMaxIndexDepth, " deep"));
    }
    DCI_ASSIGN_OR_RETURN(std::vector<Descriptor> entries, ParseIndex(doc));
    out_.index_digest = d.digest;
    out_.available_platforms.clear();
    DCI_ASSIGN_OR_RETURN(
        const Descriptor* chosen,
        ChoosePlatform(entries, want_, &out_.available_platforms));
    return Resolve(*chosen, depth + 1);
  }

  absl::Status ResolveManifest(const Descriptor& d, const json& doc,
                               const std::string& blob_media_type,
                               std::string blob) {
    auto sv = doc.find("schemaVersion");
    if (sv == doc.end() || !sv->is_number_integer() ||
        sv->get<long long>() != 2) {
      return FieldError("schemaVersion", "2");
    }
    out_.manifest_digest = d.digest;
    out_.manifest_json = std::move(blob);
    if (KindOfMediaType(blob_media_type) == Kind::kManifest) {
      out_.manifest_media_type = blob_media_type;
    } else if (KindOfMediaType(d.media_type) == Kind::kManifest) {
      out_.manifest_media_type = d.media_type;
    } else {
      out_.manifest_media_type = kOciManifest;
    }

    auto cj = doc.find("config");
    if (cj == doc.end()) return FieldError("config", "a descriptor object");
    DCI_ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(*cj, "config"));
    if (!config.media_type.empty() && config.media_type != kOciConfig &&
        config.media_type != kDockerConfig) {
      return absl::InvalidArgumentError(
          absl::StrCat("config media type ", Quote(config.media_type),
                       " is not a container image config"));
    }

    auto lj = doc.find("layers");
    if (lj == doc.end() || !lj->is_array()) {
      return FieldError("layers", "an array");
    }
    if (lj->size() > kMaxLayers) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "manifest lists ", lj->size(), " layers (limit ", kMaxLayers, ")"));
    }
    std::vector<LayerDescriptor> layers;
    for (size_t i = 0; i < lj->size(); ++i) {
      std::string field = absl::StrCat("layers[", i, "]");
      DCI_ASSIGN_OR_RETURN(Descriptor ld, ParseDescriptor((*lj)[i], field));
      absl::StatusOr<Compression> c = LayerCompression(ld.media_type);
      if (!c.ok()) {
        return Annotate(c.status(),
                        absl::StrCat("layer ", i, " (", Short(ld.digest), ")"));
      }
      LayerDescriptor l;
      l.media_type = ld.media_type;
      l.digest = ld.digest;
      l.size = ld.size;
      l.source_path = BlobPath(ld.digest);
      l.compression = *c;
      layers.push_back(std::move(l));
    }

    std::string config_context = absl::StrCat("config ", Short(config.digest));
    absl::StatusOr<std::string> config_json =
        ReadBlob(source_, config, kMaxConfigBytes);
    if (!config_json.ok())
      return Annotate(config_json.status(), config_context);
    absl::StatusOr<ImageConfig> parsed = ParseImageConfig(*config_json);
    if (!parsed.ok()) return Annotate(parsed.status(), config_context);
    out_.config_digest = config.digest;
    out_.config_media_type =
        config.media_type.empty() ? kOciConfig : config.media_type;
    out_.config_json = *std::move(config_json);
    out_.config = *std::move(parsed);

    // Rule 5.
    if (layers.size() != out_.config.diff_ids.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest lists ", layers.size(), " layers but config ",
                       Short(config.digest), " has ",
                       out_.config.diff_ids.size(), " diff_ids"));
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      LayerDescriptor& l = layers[i];
      l.diff_id = out_.config.diff_ids[i];
      if (registry_) continue;  // the blob stream checks size and digest
      absl::StatusOr<long long> size = source_.Size(l.source_path);
      std::string context =
          absl::StrCat("layer ", i, " (", Short(l.digest), ")");
      if (!size.ok()) return Annotate(size.status(), context);
      if (*size != l.size) {
        return absl::DataLossError(absl::StrCat(
            context, ": blob is ", *size, " bytes, descriptor says ", l.size));
      }
    }
    out_.layers = std::move(layers);
    return absl::OkStatus();
  }

  ImageSource& source_;
  const Platform& want_;
  ResolvedImage& out_;
  const bool registry_;
};

// ------------------------------------------------------------ docker-archive

// "NAME[:TAG]" the way Docker compares names: a registry host only when the
// first component looks like one, docker.io and library/ filled in,
// ":latest" when there is no tag.
std::string CanonicalDockerName(absl::string_view s) {
  size_t slash = s.rfind('/');
  size_t colon = s.find(':', slash == absl::string_view::npos ? 0 : slash + 1);
  absl::string_view name = s.substr(0, colon);
  absl::string_view tag =
      colon == absl::string_view::npos ? "latest" : s.substr(colon + 1);
  std::string domain = "docker.io";
  absl::string_view rest = name;
  size_t first = name.find('/');
  if (first != absl::string_view::npos) {
    absl::string_view f = name.substr(0, first);
    if (absl::StrContains(f, '.') || absl::StrContains(f, ':') ||
        f == "localhost") {
      domain = std::string(f);
      rest = name.substr(first + 1);
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && !absl::StrContains(rest, '/')) {
    return absl::StrCat(domain, "/library/", rest, ":", tag);
  }
  return absl::StrCat(domain, "/", rest, ":", tag);
}

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The digest a docker-archive member's name promises, or "": Docker's
// "<hex>.json" config, Docker 25+'s "blobs/sha256/<hex>", and
// go-containerregistry's "sha256:<hex>".
std::string DigestFromName(absl::string_view path, bool json_suffix) {
  if (absl::StartsWith(path, "blobs/sha256/") &&
      IsLowerHex64(path.substr(13))) {
    return absl::StrCat("sha256:", path.substr(13));
  }
  absl::string_view base = BaseName(path);
  if (json_suffix && absl::EndsWith(base, ".json") &&
      IsLowerHex64(base.substr(0, base.size() - 5))) {
    return absl::StrCat("sha256:", base.substr(0, base.size() - 5));
  }
  if (absl::StartsWith(base, "sha256:") && IsLowerHex64(base.substr(7))) {
    return std::string(base);
  }
  return "";
}

struct ArchiveImage {
  std::string config;
  std::vector<std::string> layers;
  std::vector<std::string> repo_tags;
};

absl::StatusOr<std::vector<ArchiveImage>> ParseArchiveManifest(
    absl::string_view text) {
  DCI_ASSIGN_OR_RETURN(json doc, ParseJson(text));
  if (!doc.is_array()) return absl::InvalidArgumentError("not a JSON array");
  std::vector<ArchiveImage> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& e = doc[i];
    std::string field = absl::StrCat("[", i, "]");
    if (!e.is_object()) return FieldError(field, "an object");
    ArchiveImage img;
    auto c = e.find("Config");
    if (c == e.end() || !c->is_string()) {
      return FieldError(field + ".Config", "a string");
    }
    img.config = c->get<std::string>();
    auto l = e.find("Layers");
    if (l == e.end() || !l->is_array()) {
      return FieldError(field + ".Layers", "an array of strings");
    }
    if (l->size() > kMaxLayers) {
      return absl::ResourceExhaustedError(absl::StrCat(
          field, " lists ", l->size(), " layers (limit ", kMaxLayers, ")"));
    }
    for (const json& p : *l) {
      if (!p.is_string()) {
        return FieldError(field + ".Layers", "an array of strings");
      }
      img.layers.push_back(p.get<std::string>());
    }
    auto t = e.find("RepoTags");
    if (t != e.end() && !t->is_null()) {
      if (!t->is_array()) {
        return FieldError(field + ".RepoTags", "an array of strings");
      }
      for (const json& p : *t) {
        if (!p.is_string()) {
          return FieldError(field + ".RepoTags", "an array of strings");
        }
        img.repo_tags.push_back(p.get<std::string>());
      }
    }
    out.push_back(std::move(img));
  }
  return out;
}

struct SniffedFile {
  long long size = 0;
  Compression compression = Compression::kNone;  // from the magic bytes
};

absl::StatusOr<SniffedFile> SniffFile(ImageSource& source,
                                      const std::string& path) {
  SniffedFile out;
  DCI_ASSIGN_OR_RETURN(out.size, source.Size(path));
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> in, source.Open(path));
  unsigned char head[4] = {0, 0, 0, 0};
  size_t got = 0;
  while (got < sizeof head) {
    DCI_ASSIGN_OR_RETURN(
        size_t n, in->Read(reinterpret_cast<char*>(head) + got, sizeof head - got));
    if (n == 0) break;
    got += n;
  }
  if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
    out.compression = Compression::kGzip;
  } else if (got >= 4 && head[0] == 0x28 && head[1] == 0xb5 &&
             head[2] == 0x2f && head[3] == 0xfd) {
    out.compression = Compression::kZstd;
  }
  return out;
}

absl::StatusOr<std::string> HashFile(ImageSource& source,
                                     const std::string& path) {
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> in, source.Open(path));
  Sha256 h;
  std::vector<char> buf(1 << 16);
  for (;;) {
    DCI_ASSIGN_OR_RETURN(size_t n, in->Read(buf.data(), buf.size()));
    if (n == 0) break;
    h.Update(buf.data(), n);
  }
  return h.Finish();
}

// docker save / podman save / skopeo's docker-archive (and Docker 25+'s,
// which also holds an OCI layout that this ignores): manifest.json.
absl::Status ResolveDockerArchive(ImageSource& source, const ImageRef& ref,
                                  ResolvedImage* out) {
  absl::StatusOr<std::string> text = source.ReadAll("manifest.json");
  if (absl::IsNotFound(text.status())) {
    return absl::InvalidArgumentError(
        "no manifest.json: not a docker-archive (docker save) tarball");
  }
  if (!text.ok()) return Annotate(text.status(), "manifest.json");
  absl::StatusOr<std::vector<ArchiveImage>> parsed_images =
      ParseArchiveManifest(*text);
  if (!parsed_images.ok()) {
    return Annotate(parsed_images.status(), "manifest.json");
  }
  std::vector<ArchiveImage> images = *std::move(parsed_images);

  std::vector<std::string> all_names;
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i].repo_tags.empty()) {
      all_names.push_back(absl::StrCat("image ", i, " (untagged)"));
    }
    for (const std::string& t : images[i].repo_tags) all_names.push_back(t);
  }
  const ArchiveImage* chosen = nullptr;
  if (!ref.tag.empty()) {
    std::string want_name = CanonicalDockerName(ref.tag);
    for (const ArchiveImage& img : images) {
      for (const std::string& t : img.repo_tags) {
        if (chosen == nullptr && CanonicalDockerName(t) == want_name) {
          chosen = &img;
        }
      }
    }
    if (chosen == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "manifest.json: no image named ", Quote(ref.tag), "; names: ",
          all_names.empty() ? "none" : absl::StrJoin(all_names, ", ")));
    }
  } else if (images.size() == 1) {
    chosen = &images[0];
  } else if (images.empty()) {
    return absl::NotFoundError("manifest.json lists no images");
  } else {
    return absl::NotFoundError(
        absl::StrCat("manifest.json lists ", images.size(),
                     " images; name one: ", absl::StrJoin(all_names, ", ")));
  }
  out->source_tags = chosen->repo_tags;

  // The config: its digest is the sha256 of the file, and must be the one
  // its name promises.
  std::string config_context = absl::StrCat("config ", Quote(chosen->config));
  absl::StatusOr<std::string> config_json =
      source.ReadAll(chosen->config, kMaxConfigBytes);
  if (!config_json.ok()) return Annotate(config_json.status(), config_context);
  std::string config_digest = Sha256::Of(*config_json);
  std::string promised = DigestFromName(chosen->config, /*json_suffix=*/true);
  if (!promised.empty() && promised != config_digest) {
    return absl::DataLossError(absl::StrCat(config_context, ": content is ",
                                            config_digest, ", its name says ",
                                            promised));
  }
  absl::StatusOr<ImageConfig> parsed = ParseImageConfig(*config_json);
  if (!parsed.ok()) return Annotate(parsed.status(), config_context);
  if (chosen->layers.size() != parsed->diff_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest.json lists ", chosen->layers.size(), " layers but ",
        config_context, " has ", parsed->diff_ids.size(), " diff_ids"));
  }

  // The layers, described as a registry would, without reading them: an
  // uncompressed layer's digest is its diff_id (config.md, "diff_ids"), a
  // compressed one's is the one its name promises (Docker 25+ writes
  // blobs/sha256/<hex>) and is hashed only when there is none. The layer
  // reader verifies both digests whenever a layer is read.
  std::vector<LayerDescriptor> layers;
  for (size_t i = 0; i < chosen->layers.size(); ++i) {
    const std::string& path = chosen->layers[i];
    std::string context = absl::StrCat("layer ", i, " ", Quote(path));
    absl::StatusOr<SniffedFile> sniffed = SniffFile(source, path);
    if (!sniffed.ok()) return Annotate(sniffed.status(), context);
    std::string layer_promised = DigestFromName(path, /*json_suffix=*/false);
    LayerDescriptor l;
    l.size = sniffed->size;
    l.source_path = path;
    l.compression = sniffed->compression;
    l.diff_id = parsed->diff_ids[i];
    switch (sniffed->compression) {
      case Compression::kGzip:
        l.media_type = kDockerLayerGzip;
        break;
      case Compression::kZstd:
        // Docker's schema 2 has no zstd layer type; containers-image uses
        // the OCI one.
        l.media_type = kOciLayerZstd;
        break;
      default:
        l.media_type = kDockerLayerTar;
        l.compression = Compression::kNone;
        l.digest = l.diff_id;
        if (!layer_promised.empty() && layer_promised != l.diff_id) {
          return absl::DataLossError(
              absl::StrCat(context, ": uncompressed, so its digest must be "
                                    "the config diff_id ",
                           l.diff_id, ", but its name says ", layer_promised));
        }
        break;
    }
    if (l.digest.empty()) {
      if (!layer_promised.empty()) {
        l.digest = layer_promised;
      } else {
        absl::StatusOr<std::string> hashed = HashFile(source, path);
        if (!hashed.ok()) return Annotate(hashed.status(), context);
        l.digest = *hashed;
      }
    }
    layers.push_back(std::move(l));
  }

  // A Docker schema 2 manifest, with the key order Go's encoding/json gives
  // containers-image's structs (so it reads like one skopeo writes). Every
  // value is a constant or a checked digest: nothing to escape.
  std::string m =
      absl::StrCat("{\"schemaVersion\":2,\"mediaType\":\"", kDockerManifest,
                   "\",\"config\":{\"mediaType\":\"", kDockerConfig,
                   "\",\"size\":", config_json->size(), ",\"digest\":\"",
                   config_digest, "\"},\"layers\":[");
  for (size_t i = 0; i < layers.size(); ++i) {
    absl::StrAppend(&m, i ? "," : "", "{\"mediaType\":\"", layers[i].media_type,
                    "\",\"size\":", layers[i].size, ",\"digest\":\"",
                    layers[i].digest, "\"}");
  }
  absl::StrAppend(&m, "]}");

  out->manifest_digest = Sha256::Of(m);
  out->manifest_media_type = kDockerManifest;
  out->manifest_json = std::move(m);
  out->manifest_synthesized = true;
  out->config_digest = config_digest;
  out->config_media_type = kDockerConfig;
  out->config_json = *std::move(config_json);
  out->config = *std::move(parsed);
  out->layers = std::move(layers);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResolvedImage> ResolveImage(ImageSource& source,
                                           const ImageRef& ref,
                                           const Platform& want) {
  ResolvedImage out;
  switch (ref.transport) {
    case Transport::kOciDir:
    case Transport::kOciArchive: {
      OciResolver r(source, want, &out);
      DCI_RETURN_IF_ERROR(r.ResolveLayout(ref.tag));
      break;
    }
    case Transport::kDockerArchive:
      DCI_RETURN_IF_ERROR(ResolveDockerArchive(source, ref, &out));
      break;
    case Transport::kRegistry: {
      OciResolver r(source, want, &out, /*registry=*/true);
      DCI_RETURN_IF_ERROR(r.ResolveRegistry(ref));
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "ResolveImage reads oci, oci-archive, docker-archive and docker:// "
          "images, not ",
          TransportName(ref.transport)));
  }
  // Outside an index nothing chose by platform: say so when the image is
  // not what was asked for.
  if (!(want.os.empty() && want.architecture.empty()) &&
      !PlatformMatches(out.config.platform, want)) {
    out.warnings.push_back(
        absl::StrCat("image is ", out.config.platform.ToString(),
                     ", not the requested ", want.ToString()));
  }
  return out;
}

}  // namespace dci
