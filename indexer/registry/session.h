// The state a RegistryClient shares with the blob streams it opens: the
// registry's address, TLS settings, credentials, the authentication scheme
// the registry asked for and the bearer tokens it was given, and the count
// of bytes fetched. Internal to dci_registry.
//
// Authentication (distribution's spec, "Token Authentication
// Specification"):
//  1. A request goes out with whatever Authorization is already known for
//     its scope: nothing at first.
//  2. A 401 carries WWW-Authenticate. "Basic": resend with the
//     credentials. "Bearer realm=R,service=S,scope=P": GET
//     R?service=S&scope=P (with Basic credentials when there are any),
//     take "token" (or "access_token") and "expires_in" (default 60 s),
//     cache it under (R, S, P) and resend with "Authorization: Bearer".
//  3. Later requests for the same scope send the cached token until it
//     expires, or until a 401 comes back for it, which drops it and goes
//     to 2 once more.
//  4. A 401 after fresh credentials or a fresh token is final:
//     Unauthenticated naming the registry (PermissionDenied when the
//     credentials were accepted but give no access).
#ifndef DCI_INDEXER_REGISTRY_SESSION_H_
#define DCI_INDEXER_REGISTRY_SESSION_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "indexer/registry/credentials.h"
#include "indexer/registry/http.h"
#include "indexer/registry/registry_options.h"

namespace dci::registry_internal {

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  std::vector<std::string> headers;  // "Name: value", no Authorization
  // Bearer scope to ask for when challenged; "" for the repository's pull
  // scope.
  std::string scope;
  // A 2xx body larger than this is ResourceExhausted, refused as soon as
  // its Content-Length or its first bytes say so. Error bodies are cut
  // short silently.
  size_t max_body = 64 << 10;
  // For messages: "manifest dci/debian:v1".
  std::string what;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  HeaderMap headers;
};

// Thread-safe.
class Session {
 public:
  // Loads the cert dir and the credentials (options.credentials, else the
  // authfile entry for `registry`).
  static absl::StatusOr<std::shared_ptr<Session>> Create(
      std::string registry, std::string repository,
      const RegistryOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& registry() const { return registry_; }
  const std::string& repository() const { return repository_; }
  const std::string& base_url() const { return base_url_; }  // "https://h:p"
  const RegistryOptions& options() const { return options_; }
  const TransportConfig& transport() const { return transport_; }
  std::string DefaultScope() const;  // "repository:REPO:pull"

  // Sends `req` with authentication and retries. Returns the final
  // response whatever its status (see ErrorFromResponse); an error when
  // authentication failed or no response came after the retries.
  absl::StatusOr<HttpResponse> Fetch(const HttpRequest& req);

  // The "Authorization: ..." header line to send for `scope` ("" when
  // none is known to be needed); may fetch a token.
  absl::StatusOr<std::string> AuthorizationFor(const std::string& scope);
  // Handles a 401 to a request sent with the Authorization line `sent`
  // ("" for none) in authentication round `round` (0 first). Sets `scope`
  // to the challenge's scope when it names one. OK means: resend with
  // AuthorizationFor(scope).
  absl::Status OnUnauthorized(const HeaderMap& headers, const std::string& sent,
                              int round, std::string& scope);

  // Delay before retry `retry` (0-based): backoff_base * 2^retry, at most
  // backoff_max, or the response's Retry-After when longer (also capped).
  absl::Duration Backoff(int retry, const HeaderMap* headers) const;

  void AddBytesFetched(long long n) { bytes_fetched_ += n; }
  long long bytes_fetched() const { return bytes_fetched_.load(); }

  // Every transfer of the session runs on a multi handle taken here and
  // given back when it ends, so a connection outlives the request that
  // opened it: the manifest, the config and the first blob share one
  // connection, and each layer read at the same time takes a handle (and a
  // connection) of its own. A handle is used by one thread at a time; the
  // pool is what threads share. All handles share DNS answers and TLS
  // sessions (share()), so a further connection resumes TLS rather than
  // doing a full handshake.
  CurlMultiPtr TakeMulti();
  void ReturnMulti(CurlMultiPtr multi);
  // For CURLOPT_SHARE on every easy handle of the session.
  CURLSH* share() const { return share_.get(); }

 private:
  enum class Scheme { kUnknown, kBasic, kBearer };
  struct Token {
    std::string value;
    absl::Time expires;
  };
  using TokenKey = std::tuple<std::string, std::string, std::string>;

  Session(std::string registry, std::string repository,
          const RegistryOptions& options);
  absl::StatusOr<HttpResponse> PerformOnce(const HttpRequest& req,
                                           const std::string& authorization);
  // With TLS verification off: http:// when the registry answers https://
  // with plain HTTP.
  void FallBackToHttpIfPlain();
  absl::Status FetchToken(const TokenKey& key);
  std::string BasicHeader() const;

  struct ShareDeleter {
    void operator()(CURLSH* s) const { curl_share_cleanup(s); }
  };
  static void LockShare(CURL*, curl_lock_data data, curl_lock_access,
                        void* self);
  static void UnlockShare(CURL*, curl_lock_data data, void* self);

  // Destroyed after the pool below, whose handles may still name it.
  std::unique_ptr<CURLSH, ShareDeleter> share_;
  std::mutex share_mu_[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu_;
  std::vector<CurlMultiPtr> idle_multis_;  // guarded by pool_mu_

  const std::string registry_;
  const std::string repository_;
  const RegistryOptions options_;
  std::string base_url_;
  TransportConfig transport_;
  std::optional<Credentials> credentials_;
  std::atomic<long long> bytes_fetched_{0};

  std::mutex token_fetch_mu_;  // one token request at a time
  std::mutex mu_;              // guards what follows
  Scheme scheme_ = Scheme::kUnknown;
  std::string realm_;
  std::string service_;
  std::map<TokenKey, Token> tokens_;
};

// The Status for a non-2xx response: NotFound (404), Unauthenticated
// (401), PermissionDenied (403), Unavailable (5xx, 429), InvalidArgument
// (other 4xx), with the registry's error codes quoted:
// "registry 127.0.0.1:5000: manifest dci/debian:nope: HTTP 404
// (MANIFEST_UNKNOWN: manifest unknown)".
absl::Status ErrorFromResponse(const std::string& registry,
                               const std::string& what,
                               const HttpResponse& response);

}  // namespace dci::registry_internal

#endif  // DCI_INDEXER_REGISTRY_SESSION_H_
