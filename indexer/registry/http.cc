#include "indexer/registry/http.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace dci::registry_internal {
namespace {

constexpr long kMaxRedirects = 10;
constexpr size_t kMaxCertFileBytes = 4 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string data(kMaxCertFileBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxCertFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than 4 MiB"));
  }
  return data;
}

long Millis(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)));
}

}  // namespace

CurlSlistPtr MakeHeaderList(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  for (const std::string& h : headers) {
    curl_slist* next = curl_slist_append(list, h.c_str());
    if (next == nullptr) break;  // out of memory: send what we have
    list = next;
  }
  return CurlSlistPtr(list);
}

void HeaderMap::AddLine(absl::string_view line) {
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    headers_.clear();  // a new response (after a redirect or 100 Continue)
    return;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || colon == 0) return;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  if (headers_.size() < 1000)
    headers_.emplace(std::move(name), std::move(value));
}

std::string HeaderMap::Get(const std::string& name) const {
  auto it = headers_.find(name);
  return it == headers_.end() ? "" : it->second;
}

std::vector<std::string> HeaderMap::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto range = headers_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it)
    out.push_back(it->second);
  return out;
}

size_t HeaderCallback(char* data, size_t size, size_t nitems, void* map) {
  static_cast<HeaderMap*>(map)->AddLine(absl::string_view(data, size * nitems));
  return size * nitems;
}

absl::Status LoadCertDir(const std::string& dir, TransportConfig& config) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cert dir ", dir, ": ", ec.message()));
  }
  std::sort(names.begin(), names.end());
  std::string cas;
  for (const std::string& name : names) {
    std::string path = absl::StrCat(dir, "/", name);
    if (absl::EndsWith(name, ".crt")) {
      absl::StatusOr<std::string> pem = ReadSmallFile(path);
      if (!pem.ok()) return pem.status();
      absl::StrAppend(&cas, *pem, "\n");
    } else if (absl::EndsWith(name, ".cert")) {
      std::string key = name.substr(0, name.size() - 5) + ".key";
      if (!std::binary_search(names.begin(), names.end(), key)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cert dir ", dir, ": client certificate ", name, " has no ", key));
      }
      if (config.client_cert_path.empty()) {
        config.client_cert_path = path;
        config.client_key_path = absl::StrCat(dir, "/", key);
      }
    } else if (absl::EndsWith(name, ".key")) {
      std::string cert = name.substr(0, name.size() - 4) + ".cert";
      if (!std::binary_search(names.begin(), names.end(), cert)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cert dir ", dir, ": client key ", name, " has no ", cert));
      }
    }
  }
  if (cas.empty()) return absl::OkStatus();
  // As containers-image does, the directory's CAs are added to the
  // system's rather than replacing them.
  CurlEasyPtr probe(curl_easy_init());
  char* default_ca = nullptr;
  if (probe != nullptr &&
      curl_easy_getinfo(probe.get(), CURLINFO_CAINFO, &default_ca) ==
          CURLE_OK &&
      default_ca != nullptr) {
    absl::StatusOr<std::string> system = ReadSmallFile(default_ca);
    if (system.ok()) cas = absl::StrCat(*system, "\n", cas);
  }
  config.ca_pem = std::move(cas);
  return absl::OkStatus();
}

void ConfigureEasy(CURL* easy, const TransportConfig& config,
                   const std::string& url, curl_slist* headers) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // Registries redirect blob downloads to storage. curl keeps the
  // Authorization header away from any other host, scheme or port after a
  // redirect (CURLOPT_UNRESTRICTED_AUTH stays off), which is what must
  // happen: the token is for the registry only.
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   Millis(config.connect_timeout));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, Millis(config.low_speed_time) / 1000));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT,
                   config.low_speed_bytes_per_second);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, config.user_agent.c_str());
  if (headers != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  if (!config.tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config.ca_pem.empty()) {
    curl_blob blob;
    blob.data = const_cast<char*>(config.ca_pem.data());
    blob.len = config.ca_pem.size();
    blob.flags = CURL_BLOB_COPY;
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!config.client_cert_path.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, config.client_cert_path.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, config.client_key_path.c_str());
  }
}

bool IsRetryableCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

absl::Status CurlError(CURLcode rc, const char* error_buffer) {
  std::string detail = error_buffer != nullptr && error_buffer[0] != '\0'
                           ? std::string(error_buffer)
                           : std::string(curl_easy_strerror(rc));
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return absl::FailedPreconditionError(absl::StrCat(
          "TLS: ", detail,
          " (trust the registry's CA through cert_dir, or turn tls_verify "
          "off)"));
    case CURLE_SSL_CONNECT_ERROR:
      if (absl::StrContains(detail, "wrong version number")) {
        return absl::UnavailableError(absl::StrCat(
            detail, " (the registry answers in plain HTTP: with tls_verify off "
            "it is spoken to over http://)"));
      }
      return absl::UnavailableError(detail);
    default:
      return absl::UnavailableError(detail);
  }
}

std::string UrlEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Printable(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out.push_back(absl::ascii_isprint(c) ? c : '?');
  }
  return out;
}

}  // namespace dci::registry_internal
