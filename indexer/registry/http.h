// libcurl plumbing shared by the registry client and its blob streams:
// handle ownership, the TLS and timeout settings every request gets, header
// collection, and mapping curl errors to absl::Status. Internal to
// dci_registry.
#ifndef DCI_INDEXER_REGISTRY_HTTP_H_
#define DCI_INDEXER_REGISTRY_HTTP_H_

#include <curl/curl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dci::registry_internal {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Builds a curl header list; each entry is "Name: value".
CurlSlistPtr MakeHeaderList(const std::vector<std::string>& headers);

// Response headers of the last response of a transfer (a redirect's
// headers are dropped when the next status line arrives). Names lowercased.
class HeaderMap {
 public:
  // Feeds one raw header line as curl's CURLOPT_HEADERFUNCTION sees it.
  void AddLine(absl::string_view line);
  // First value of `name` (lowercase), or "".
  std::string Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  void Clear() { headers_.clear(); }

 private:
  std::multimap<std::string, std::string> headers_;
};

// curl write/header callbacks' view of a HeaderMap.
size_t HeaderCallback(char* data, size_t size, size_t nitems, void* map);

// Settings every handle gets.
struct TransportConfig {
  bool tls_verify = true;
  std::string ca_pem;  // "" for curl's default CA bundle
  std::string client_cert_path;
  std::string client_key_path;
  absl::Duration connect_timeout;
  absl::Duration low_speed_time;
  long low_speed_bytes_per_second = 1;
  std::string user_agent;
};

// Builds a TransportConfig's TLS part from a skopeo-style cert dir.
// NotFound for a missing directory; InvalidArgument for a "*.cert" without
// its "*.key" (or the other way round).
absl::Status LoadCertDir(const std::string& dir, TransportConfig& config);

// Applies `config` and the common options (redirects followed, http and
// https only, no signals) to `easy` for `url`. `headers` stays owned by the
// caller and must outlive the transfer.
void ConfigureEasy(CURL* easy, const TransportConfig& config,
                   const std::string& url, curl_slist* headers);

// Whether a curl error is worth retrying (connection refused or reset,
// timeouts, a body cut short).
bool IsRetryableCurlError(CURLcode rc);

// A Status for a failed transfer: FailedPrecondition for TLS trust
// problems (naming tls_verify and cert_dir), Unavailable otherwise.
absl::Status CurlError(CURLcode rc, const char* error_buffer);

// "%XX"-escapes everything but RFC 3986 unreserved characters.
std::string UrlEscape(absl::string_view s);

// Up to 200 printable characters of untrusted text for an error message.
std::string Printable(absl::string_view s);

}  // namespace dci::registry_internal

#endif  // DCI_INDEXER_REGISTRY_HTTP_H_
