#include "indexer/registry/registry_client.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/digest.h"
#include "base/status_macros.h"
#include "indexer/registry/auth_challenge.h"
#include "indexer/registry/blob_stream.h"
#include "indexer/registry/http.h"
#include "indexer/registry/session.h"
#include "nlohmann/json.hpp"

namespace dci {
namespace {

using registry_internal::ErrorFromResponse;
using registry_internal::HttpRequest;
using registry_internal::HttpResponse;
using registry_internal::Printable;
using registry_internal::Session;

constexpr size_t kMaxTagsPageBytes = 4 << 20;

constexpr char kSchema1Type[] =
    "application/vnd.docker.distribution.manifest.v1+json";
constexpr char kSchema1SignedType[] =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// Listed so that a registry holding only a schema 1 manifest answers with
// it and dci can say what it is, rather than getting 404 or a conversion.
const char kAcceptHeader[] =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5, "
    "application/vnd.docker.distribution.manifest.v1+json;q=0.5";

bool IsKnownManifestType(absl::string_view t) {
  return t == kOciManifestType || t == kOciIndexType ||
         t == kDockerManifestType || t == kDockerManifestListType;
}

bool IsSchema1Type(absl::string_view t) {
  return t == kSchema1Type || t == kSchema1SignedType;
}

// Docker tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool IsValidTag(absl::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto word = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  if (!word(s[0])) return false;
  for (char c : s) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

absl::Status CheckReference(absl::string_view reference) {
  if (absl::StartsWith(reference, "sha256:")) {
    return ParseDigest(reference).status();
  }
  if (IsValidTag(reference)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid manifest reference \"", Printable(reference),
                   "\": want a tag or sha256:<64 hex>"));
}

// "application/json; charset=utf-8" -> "application/json".
std::string BareMediaType(absl::string_view content_type) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      content_type.substr(0, content_type.find(';'))));
}

absl::Status Schema1Error(const std::string& what) {
  return absl::UnimplementedError(
      absl::StrCat(what, ": schema 1 manifests are unsupported"));
}

// The media type of a manifest whose Content-Type says nothing useful:
// its own "mediaType", or its shape.
absl::StatusOr<std::string> SniffMediaType(const std::string& what,
                                           const std::string& content_type,
                                           const std::string& bytes) {
  nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": Content-Type \"", Printable(content_type),
                     "\" and the body is not a JSON object"));
  }
  auto version = doc.find("schemaVersion");
  if (version != doc.end() && version->is_number_integer() &&
      version->get<long long>() == 1) {
    return Schema1Error(what);
  }
  auto media_type = doc.find("mediaType");
  if (media_type != doc.end() && media_type->is_string()) {
    return media_type->get<std::string>();
  }
  if (doc.contains("manifests")) return std::string(kOciIndexType);
  if (doc.contains("layers")) return std::string(kOciManifestType);
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": Content-Type \"", Printable(content_type),
                   "\" and the JSON is neither a manifest nor an index"));
}

}  // namespace

RegistryClient::RegistryClient(std::shared_ptr<Session> session)
    : session_(std::move(session)) {}

RegistryClient::~RegistryClient() = default;

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::Create(
    const RegistryRef& ref, const RegistryOptions& options) {
  DCI_ASSIGN_OR_RETURN(std::shared_ptr<Session> session,
                       Session::Create(ref.registry, ref.repository, options));
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(std::move(session)));
}

const std::string& RegistryClient::registry() const {
  return session_->registry();
}

const std::string& RegistryClient::repository() const {
  return session_->repository();
}

long long RegistryClient::bytes_fetched() const {
  return session_->bytes_fetched();
}

absl::StatusOr<Manifest> RegistryClient::GetManifest(
    absl::string_view reference) {
  DCI_RETURN_IF_ERROR(CheckReference(reference));
  bool by_digest = absl::StartsWith(reference, "sha256:");
  std::string what = absl::StrCat("manifest ", session_->repository(),
                                  by_digest ? "@" : ":", reference);
  HttpRequest req;
  req.url = absl::StrCat(session_->base_url(), "/v2/", session_->repository(),
                         "/manifests/", reference);
  req.headers.push_back(kAcceptHeader);
  req.max_body = session_->options().max_manifest_bytes;
  req.what = what;
  DCI_ASSIGN_OR_RETURN(HttpResponse resp, session_->Fetch(req));
  if (resp.status != 200) {
    return ErrorFromResponse(session_->registry(), what, resp);
  }
  std::string context =
      absl::StrCat("registry ", session_->registry(), ": ", what);
  Manifest m;
  std::string content_type = resp.headers.Get("content-type");
  m.media_type = BareMediaType(content_type);
  if (IsSchema1Type(m.media_type)) return Schema1Error(context);
  if (!IsKnownManifestType(m.media_type)) {
    DCI_ASSIGN_OR_RETURN(m.media_type,
                         SniffMediaType(context, content_type, resp.body));
    if (IsSchema1Type(m.media_type)) return Schema1Error(context);
    if (!IsKnownManifestType(m.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(context, ": unsupported manifest media type \"",
                       Printable(m.media_type), "\""));
    }
  }
  m.digest = Sha256::Of(resp.body);
  if (by_digest && m.digest != reference) {
    return absl::DataLossError(
        absl::StrCat(context, ": digest mismatch (got ", m.digest, ")"));
  }
  std::string claimed = resp.headers.Get("docker-content-digest");
  if (absl::StartsWith(claimed, "sha256:") && claimed != m.digest) {
    return absl::DataLossError(absl::StrCat(
        context, ": bytes hash to ", m.digest,
        " but the registry says Docker-Content-Digest ", Printable(claimed)));
  }
  m.bytes = std::move(resp.body);
  return m;
}

absl::StatusOr<ManifestInfo> RegistryClient::HeadManifest(
    absl::string_view reference) {
  DCI_RETURN_IF_ERROR(CheckReference(reference));
  bool by_digest = absl::StartsWith(reference, "sha256:");
  std::string what = absl::StrCat("manifest ", session_->repository(),
                                  by_digest ? "@" : ":", reference);
  HttpRequest req;
  req.method = "HEAD";
  req.url = absl::StrCat(session_->base_url(), "/v2/", session_->repository(),
                         "/manifests/", reference);
  req.headers.push_back(kAcceptHeader);
  req.what = what;
  DCI_ASSIGN_OR_RETURN(HttpResponse resp, session_->Fetch(req));
  if (resp.status != 200) {
    return ErrorFromResponse(session_->registry(), what, resp);
  }
  std::string context =
      absl::StrCat("registry ", session_->registry(), ": ", what);
  ManifestInfo info;
  info.media_type = BareMediaType(resp.headers.Get("content-type"));
  if (IsSchema1Type(info.media_type)) return Schema1Error(context);
  absl::StatusOr<std::string> digest =
      ParseDigest(resp.headers.Get("docker-content-digest"));
  if (!digest.ok() || !IsKnownManifestType(info.media_type)) {
    // Not enough in the headers: fetch the manifest itself.
    DCI_ASSIGN_OR_RETURN(Manifest m, GetManifest(reference));
    info.media_type = m.media_type;
    info.digest = m.digest;
    info.size = static_cast<long long>(m.bytes.size());
    return info;
  }
  if (by_digest && *digest != reference) {
    return absl::DataLossError(
        absl::StrCat(context, ": registry answers with digest ", *digest));
  }
  info.digest = *std::move(digest);
  long long size = -1;
  if (absl::SimpleAtoi(resp.headers.Get("content-length"), &size) &&
      size >= 0) {
    info.size = size;
  }
  return info;
}

absl::StatusOr<std::vector<std::string>> RegistryClient::ListTags() {
  const RegistryOptions& opts = session_->options();
  std::string what = absl::StrCat("tags of ", session_->repository());
  std::string context =
      absl::StrCat("registry ", session_->registry(), ": ", what);
  std::vector<std::string> tags;
  std::string url = absl::StrCat(session_->base_url(), "/v2/",
                                 session_->repository(), "/tags/list");
  for (int page = 0; !url.empty(); ++page) {
    if (page >= opts.max_tag_pages) {
      return absl::ResourceExhaustedError(
          absl::StrCat(context, ": more than ", opts.max_tag_pages, " pages"));
    }
    HttpRequest req;
    req.url = url;
    req.max_body = kMaxTagsPageBytes;
    req.what = what;
    DCI_ASSIGN_OR_RETURN(HttpResponse resp, session_->Fetch(req));
    if (resp.status != 200) {
      return ErrorFromResponse(session_->registry(), what, resp);
    }
    nlohmann::json doc = nlohmann::json::parse(resp.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(context, ": page ", page + 1, " is not a JSON object"));
    }
    auto list = doc.find("tags");
    if (list != doc.end() && list->is_array()) {
      for (const nlohmann::json& t : *list) {
        if (!t.is_string() || !IsValidTag(t.get_ref<const std::string&>())) {
          return absl::InvalidArgumentError(
              absl::StrCat(context, ": invalid tag ", Printable(t.dump())));
        }
        if (tags.size() >= opts.max_tags) {
          return absl::ResourceExhaustedError(
              absl::StrCat(context, ": more than ", opts.max_tags, " tags"));
        }
        tags.push_back(t.get<std::string>());
      }
    }
    // distribution's spec, "Pagination": the next page is named by a Link
    // header, normally a path on the same registry.
    std::string next =
        registry_internal::ParseNextLink(resp.headers.Get("link"));
    if (next.empty()) {
      url.clear();
    } else if (absl::StartsWith(next, "/")) {
      url = absl::StrCat(session_->base_url(), next);
    } else if (absl::StartsWith(next, session_->base_url() + "/")) {
      url = next;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(context, ": next page link \"", Printable(next),
                       "\" leaves the registry"));
    }
  }
  return tags;
}

absl::StatusOr<std::string> RegistryClient::GetBlob(absl::string_view digest,
                                                    size_t max_bytes) {
  DCI_ASSIGN_OR_RETURN(std::string want, ParseDigest(digest));
  std::string what = absl::StrCat("blob ", want);
  HttpRequest req;
  req.url = absl::StrCat(session_->base_url(), "/v2/", session_->repository(),
                         "/blobs/", want);
  req.max_body = max_bytes;
  req.what = what;
  DCI_ASSIGN_OR_RETURN(HttpResponse resp, session_->Fetch(req));
  if (resp.status != 200) {
    return ErrorFromResponse(session_->registry(), what, resp);
  }
  std::string got = Sha256::Of(resp.body);
  if (got != want) {
    return absl::DataLossError(
        absl::StrCat("registry ", session_->registry(), ": ", what,
                     ": digest mismatch (got ", got, ")"));
  }
  return std::move(resp.body);
}

absl::StatusOr<std::unique_ptr<ByteStream>> RegistryClient::OpenBlob(
    absl::string_view digest, long long expected_size, bool verify_digest) {
  DCI_ASSIGN_OR_RETURN(std::string want, ParseDigest(digest));
  auto stream = std::make_unique<registry_internal::BlobStream>(
      session_, std::move(want), expected_size, verify_digest);
  DCI_RETURN_IF_ERROR(stream->Start());
  return std::unique_ptr<ByteStream>(std::move(stream));
}

}  // namespace dci
