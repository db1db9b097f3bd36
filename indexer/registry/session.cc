#include "indexer/registry/session.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "indexer/registry/auth_challenge.h"
#include "nlohmann/json.hpp"

namespace dci::registry_internal {
namespace {

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr size_t kMaxTokenBody = 1 << 20;
constexpr int kMaxAuthRounds = 2;

// HOST of HOST[:PORT] or [V6]:PORT.
std::string HostOf(const std::string& registry) {
  if (!registry.empty() && registry[0] == '[') {
    size_t close = registry.find(']');
    return close == std::string::npos ? registry
                                      : registry.substr(1, close - 1);
  }
  return registry.substr(0, registry.find(':'));
}

bool IsLoopback(const std::string& registry) {
  std::string host = absl::AsciiStrToLower(HostOf(registry));
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

bool IsValidRegistryHost(absl::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

// distribution's repository grammar, loosely: lowercase path components
// of [a-z0-9._-], no empty component, no "." or "..".
bool IsValidRepository(absl::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t slash = s.find('/', start);
    if (slash == absl::string_view::npos) slash = s.size();
    absl::string_view comp = s.substr(start, slash - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    for (char c : comp) {
      if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' &&
          c != '_' && c != '-') {
        return false;
      }
    }
    start = slash + 1;
  }
  return true;
}

struct BodySink {
  CURL* easy = nullptr;
  Session* session = nullptr;
  std::string* body = nullptr;
  size_t max_body = 0;
  bool checked = false;
  bool success = false;  // 2xx
  bool too_big = false;
  bool cut = false;  // error body cut short on purpose
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* p) {
  BodySink& sink = *static_cast<BodySink*>(p);
  size_t len = size * nmemb;
  if (!sink.checked) {
    sink.checked = true;
    long code = 0;
    curl_easy_getinfo(sink.easy, CURLINFO_RESPONSE_CODE, &code);
    sink.success = code >= 200 && code < 300;
    curl_off_t length = -1;
    curl_easy_getinfo(sink.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (sink.success && length > 0 &&
        static_cast<unsigned long long>(length) > sink.max_body) {
      sink.too_big = true;
      return 0;
    }
  }
  sink.session->AddBytesFetched(static_cast<long long>(len));
  if (sink.success) {
    if (sink.body->size() + len > sink.max_body) {
      sink.too_big = true;
      return 0;
    }
    sink.body->append(data, len);
    return len;
  }
  size_t room = kMaxErrorBody - std::min(kMaxErrorBody, sink.body->size());
  sink.body->append(data, std::min(room, len));
  if (len > room) {
    sink.cut = true;
    return 0;
  }
  return len;
}

// "CODE: message; CODE: message" from a registry error body
// (distribution's spec, "Errors").
std::string RegistryErrors(const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array()) return "";
  std::vector<std::string> parts;
  for (const nlohmann::json& e : *errors) {
    if (parts.size() == 3 || !e.is_object()) break;
    std::string code = e.value("code", "");
    std::string message = e.contains("message") && e["message"].is_string()
                              ? e["message"].get<std::string>()
                              : "";
    parts.push_back(
        Printable(message.empty() ? code : absl::StrCat(code, ": ", message)));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

namespace {

// curl_easy_perform on `multi`, whose connection cache outlives the
// transfer (Session::TakeMulti). The transfer's own timeouts bound it.
CURLcode RunOn(CURLM* multi, CURL* easy) {
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    return CURLE_FAILED_INIT;
  }
  CURLcode rc = CURLE_OK;
  for (bool done = false; !done;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
        rc = msg->data.result;
        done = true;
      }
    }
    if (!done && curl_multi_poll(multi, nullptr, 0, 1000, nullptr) != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
  }
  curl_multi_remove_handle(multi, easy);
  return rc;
}

}  // namespace

Session::Session(std::string registry, std::string repository,
                 const RegistryOptions& options)
    : registry_(std::move(registry)),
      repository_(std::move(repository)),
      options_(options) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  share_.reset(curl_share_init());
  if (share_ != nullptr) {
    curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &Session::LockShare);
    curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC,
                      &Session::UnlockShare);
    curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE,
                      CURL_LOCK_DATA_SSL_SESSION);
  }
}

Session::~Session() {
  idle_multis_.clear();  // before the share they used
  share_.reset();
  curl_global_cleanup();
}

void Session::LockShare(CURL*, curl_lock_data data, curl_lock_access,
                        void* self) {
  static_cast<Session*>(self)->share_mu_[data].lock();
}

void Session::UnlockShare(CURL*, curl_lock_data data, void* self) {
  static_cast<Session*>(self)->share_mu_[data].unlock();
}

CurlMultiPtr Session::TakeMulti() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_multis_.empty()) {
      CurlMultiPtr m = std::move(idle_multis_.back());
      idle_multis_.pop_back();
      return m;
    }
  }
  return CurlMultiPtr(curl_multi_init());
}

void Session::ReturnMulti(CurlMultiPtr multi) {
  static constexpr size_t kMaxIdle = 4;  // as many as layers read at once
  if (multi == nullptr) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (idle_multis_.size() < kMaxIdle) idle_multis_.push_back(std::move(multi));
}

absl::StatusOr<std::shared_ptr<Session>> Session::Create(
    std::string registry, std::string repository,
    const RegistryOptions& options) {
  if (!IsValidRegistryHost(registry)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid registry host \"", Printable(registry), "\""));
  }
  if (!IsValidRepository(repository)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid repository \"", Printable(repository), "\""));
  }
  std::shared_ptr<Session> s(
      new Session(std::move(registry), std::move(repository), options));
  bool http = options.scheme == RegistryOptions::Scheme::kHttp ||
              (options.scheme == RegistryOptions::Scheme::kAuto &&
               IsLoopback(s->registry_));
  s->base_url_ = absl::StrCat(http ? "http://" : "https://", s->registry_);
  s->transport_.tls_verify = options.tls_verify;
  s->transport_.connect_timeout = options.connect_timeout;
  s->transport_.low_speed_time = options.low_speed_time;
  s->transport_.low_speed_bytes_per_second = options.low_speed_bytes_per_second;
  s->transport_.user_agent = options.user_agent;
  if (!options.cert_dir.empty()) {
    DCI_RETURN_IF_ERROR(LoadCertDir(options.cert_dir, s->transport_));
  }
  if (!options.credentials.empty()) {
    DCI_ASSIGN_OR_RETURN(Credentials c, ParseCredentials(options.credentials));
    s->credentials_ = std::move(c);
  } else if (!options.authfile.empty()) {
    DCI_ASSIGN_OR_RETURN(s->credentials_, CredentialsFromAuthfile(
                                              options.authfile, s->registry_));
  }
  if (!http && !options.tls_verify) s->FallBackToHttpIfPlain();
  return s;
}

void Session::FallBackToHttpIfPlain() {
  // One GET /v2/ (the API version check, distribution's spec "Determining
  // support"): a server that answers a TLS handshake with plain HTTP makes
  // OpenSSL fail with "wrong version number" (CURLE_SSL_CONNECT_ERROR).
  // Any other outcome, answered or not, leaves https:// as it is.
  CurlEasyPtr easy(curl_easy_init());
  if (easy == nullptr) return;
  const std::string url = absl::StrCat(base_url_, "/v2/");
  ConfigureEasy(easy.get(), transport_, url, nullptr);
  curl_easy_setopt(easy.get(), CURLOPT_NOBODY, 1L);
  CurlMultiPtr multi = TakeMulti();
  if (multi == nullptr) return;
  CURLcode rc = RunOn(multi.get(), easy.get());
  ReturnMulti(std::move(multi));
  if (rc == CURLE_SSL_CONNECT_ERROR) {
    base_url_ = absl::StrCat("http://", registry_);
  }
}

std::string Session::DefaultScope() const {
  return absl::StrCat("repository:", repository_, ":pull");
}

std::string Session::BasicHeader() const {
  if (!credentials_) return "";
  return absl::StrCat("Authorization: Basic ", absl::Base64Escape(absl::StrCat(
                                                   credentials_->username, ":",
                                                   credentials_->password)));
}

absl::Duration Session::Backoff(int retry, const HeaderMap* headers) const {
  absl::Duration d =
      options_.backoff_base * (int64_t{1} << std::min(retry, 20));
  d = std::min(d, options_.backoff_max);
  if (headers != nullptr) {
    int64_t seconds = 0;
    if (absl::SimpleAtoi(headers->Get("retry-after"), &seconds) &&
        seconds > 0) {
      d = std::max(d, std::min(absl::Seconds(seconds), options_.backoff_max));
    }
  }
  return d;
}


absl::StatusOr<HttpResponse> Session::PerformOnce(
    const HttpRequest& req, const std::string& authorization) {
  CurlEasyPtr easy(curl_easy_init());
  if (easy == nullptr)
    return absl::ResourceExhaustedError("curl_easy_init failed");
  std::vector<std::string> headers = req.headers;
  if (!authorization.empty()) headers.push_back(authorization);
  CurlSlistPtr list = MakeHeaderList(headers);
  ConfigureEasy(easy.get(), transport_, req.url, list.get());
  if (share_ != nullptr) curl_easy_setopt(easy.get(), CURLOPT_SHARE, share_.get());
  HttpResponse resp;
  BodySink sink;
  sink.easy = easy.get();
  sink.session = this;
  sink.body = &resp.body;
  sink.max_body = req.max_body;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error_buffer);
  if (req.method == "HEAD") curl_easy_setopt(easy.get(), CURLOPT_NOBODY, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &resp.headers);
  CurlMultiPtr multi = TakeMulti();
  if (multi == nullptr) {
    return absl::ResourceExhaustedError("curl_multi_init failed");
  }
  CURLcode rc = RunOn(multi.get(), easy.get());
  ReturnMulti(std::move(multi));
  if (sink.too_big) {
    return absl::ResourceExhaustedError(
        absl::StrCat("registry ", registry_, ": ", req.what, " is larger than ",
                     req.max_body, " bytes"));
  }
  if (rc != CURLE_OK && !sink.cut) return CurlError(rc, error_buffer);
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

absl::StatusOr<HttpResponse> Session::Fetch(const HttpRequest& req) {
  std::string scope = req.scope.empty() ? DefaultScope() : req.scope;
  int retry = 0;
  int auth_round = 0;
  while (true) {
    DCI_ASSIGN_OR_RETURN(std::string authorization, AuthorizationFor(scope));
    absl::StatusOr<HttpResponse> resp = PerformOnce(req, authorization);
    if (!resp.ok()) {
      if (resp.status().code() != absl::StatusCode::kUnavailable ||
          retry >= options_.max_retries) {
        return Annotate(
            resp.status(),
            absl::StrCat(
                "registry ", registry_, ": ", req.what,
                retry > 0 ? absl::StrCat(" (after ", retry, " retries)") : ""));
      }
      absl::SleepFor(Backoff(retry++, nullptr));
      continue;
    }
    if (resp->status == 401 && auth_round < kMaxAuthRounds) {
      DCI_RETURN_IF_ERROR(
          OnUnauthorized(resp->headers, authorization, auth_round++, scope));
      continue;
    }
    if ((resp->status >= 500 || resp->status == 429) &&
        retry < options_.max_retries) {
      absl::SleepFor(Backoff(retry++, &resp->headers));
      continue;
    }
    return resp;
  }
}

absl::StatusOr<std::string> Session::AuthorizationFor(
    const std::string& scope) {
  TokenKey key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (scheme_) {
      case Scheme::kUnknown:
        return std::string();
      case Scheme::kBasic:
        return BasicHeader();
      case Scheme::kBearer:
        break;
    }
    key = TokenKey(realm_, service_, scope);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expires > absl::Now()) {
      return absl::StrCat("Authorization: Bearer ", it->second.value);
    }
  }
  DCI_RETURN_IF_ERROR(FetchToken(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(key);
  if (it == tokens_.end()) {
    return absl::InternalError("token vanished from the cache");
  }
  return absl::StrCat("Authorization: Bearer ", it->second.value);
}

absl::Status Session::FetchToken(const TokenKey& key) {
  std::lock_guard<std::mutex> fetch_lock(token_fetch_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expires > absl::Now()) {
      return absl::OkStatus();  // another thread fetched it meanwhile
    }
  }
  const auto& [realm, service, scope] = key;
  HttpRequest req;
  req.url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (!service.empty()) {
    absl::StrAppend(&req.url, std::string(1, sep),
                    "service=", UrlEscape(service));
    sep = '&';
  }
  if (!scope.empty()) {
    absl::StrAppend(&req.url, std::string(1, sep), "scope=", UrlEscape(scope));
  }
  req.max_body = kMaxTokenBody;
  req.what = "token";
  std::string context = absl::StrCat("registry ", registry_, ": token service ",
                                     Printable(realm));
  std::string authorization = BasicHeader();
  absl::StatusOr<HttpResponse> resp;
  for (int retry = 0;; ++retry) {
    resp = PerformOnce(req, authorization);
    bool again = (!resp.ok() &&
                  resp.status().code() == absl::StatusCode::kUnavailable) ||
                 (resp.ok() && (resp->status >= 500 || resp->status == 429));
    if (!again || retry >= options_.max_retries) break;
    absl::SleepFor(Backoff(retry, resp.ok() ? &resp->headers : nullptr));
  }
  if (!resp.ok()) return Annotate(resp.status(), context);
  if (resp->status == 401 || resp->status == 403) {
    if (credentials_) {
      return absl::UnauthenticatedError(absl::StrCat(
          context, " rejected the credentials of user \"",
          Printable(credentials_->username), "\" (HTTP ", resp->status, ")"));
    }
    return absl::UnauthenticatedError(
        absl::StrCat(context, " refused an anonymous token (HTTP ",
                     resp->status, "): give credentials"));
  }
  if (resp->status != 200) {
    return absl::UnavailableError(
        absl::StrCat(context, ": HTTP ", resp->status));
  }
  nlohmann::json doc = nlohmann::json::parse(resp->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": answer is not JSON"));
  }
  std::string token;
  for (const char* field : {"token", "access_token"}) {
    auto it = doc.find(field);
    if (it != doc.end() && it->is_string() &&
        !it->get_ref<const std::string&>().empty()) {
      token = it->get<std::string>();
      break;
    }
  }
  if (token.empty() || token.size() > 64 << 10 ||
      !std::all_of(token.begin(), token.end(),
                   [](char c) { return absl::ascii_isgraph(c); })) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": answer has no usable \"token\""));
  }
  // Token spec, "Token Response Fields": expires_in defaults to 60 s. The
  // token is dropped a little early so it is not sent as it expires.
  double expires_in = 60;
  auto it = doc.find("expires_in");
  if (it != doc.end() && it->is_number() && it->get<double>() > 0) {
    expires_in = std::min(it->get<double>(), 86400.0);
  }
  absl::Duration life = absl::Seconds(expires_in);
  life -= std::min(absl::Seconds(10), life / 10);
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[key] = Token{std::move(token), absl::Now() + life};
  return absl::OkStatus();
}

absl::Status Session::OnUnauthorized(const HeaderMap& headers,
                                     const std::string& sent, int round,
                                     std::string& scope) {
  std::vector<AuthChallenge> challenges;
  for (const std::string& value : headers.GetAll("www-authenticate")) {
    for (AuthChallenge& c : ParseAuthChallenges(value)) {
      challenges.push_back(std::move(c));
    }
  }
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
    if (c.scheme == "basic" && basic == nullptr) basic = &c;
  }
  std::string who = absl::StrCat("registry ", registry_);
  if (bearer != nullptr) {
    std::string realm = bearer->Param("realm");
    if (!absl::StartsWith(realm, "https://") &&
        !absl::StartsWith(realm, "http://")) {
      return absl::UnauthenticatedError(
          absl::StrCat(who, ": bearer challenge without an http(s) realm: \"",
                       Printable(realm), "\""));
    }
    if (!bearer->Param("scope").empty()) scope = bearer->Param("scope");
    std::lock_guard<std::mutex> lock(mu_);
    scheme_ = Scheme::kBearer;
    realm_ = realm;
    service_ = bearer->Param("service");
    if (absl::StartsWith(sent, "Authorization: Bearer ")) {
      std::string rejected = sent.substr(22);
      for (auto it = tokens_.begin(); it != tokens_.end();) {
        it = it->second.value == rejected ? tokens_.erase(it) : std::next(it);
      }
    }
    if (round == 0) return absl::OkStatus();
    std::string error = bearer->Param("error");
    std::string why =
        error.empty() ? "" : absl::StrCat(" (", Printable(error), ")");
    if (credentials_) {
      return absl::PermissionDeniedError(
          absl::StrCat(who, ": user \"", Printable(credentials_->username),
                       "\" has no access to ", Printable(scope), why));
    }
    return absl::UnauthenticatedError(
        absl::StrCat(who, ": anonymous access to ", Printable(scope), " denied",
                     why, ": give credentials"));
  }
  if (basic != nullptr) {
    if (!credentials_) {
      return absl::UnauthenticatedError(absl::StrCat(
          who, " requires authentication (Basic realm \"",
          Printable(basic->Param("realm")), "\"): give credentials"));
    }
    if (absl::StartsWith(sent, "Authorization: Basic ")) {
      return absl::UnauthenticatedError(
          absl::StrCat(who, " rejected the credentials of user \"",
                       Printable(credentials_->username), "\""));
    }
    std::lock_guard<std::mutex> lock(mu_);
    scheme_ = Scheme::kBasic;
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError(absl::StrCat(
      who, " answered HTTP 401 without a Basic or Bearer challenge"));
}

absl::Status ErrorFromResponse(const std::string& registry,
                               const std::string& what,
                               const HttpResponse& response) {
  std::string errors = RegistryErrors(response.body);
  std::string msg = absl::StrCat("registry ", registry, ": ", what, ": HTTP ",
                                 response.status);
  if (!errors.empty()) absl::StrAppend(&msg, " (", errors, ")");
  long s = response.status;
  if (s == 404) return absl::NotFoundError(msg);
  if (s == 401) return absl::UnauthenticatedError(msg);
  if (s == 403) return absl::PermissionDeniedError(msg);
  if (s == 429 || s >= 500) return absl::UnavailableError(msg);
  if (s == 416) return absl::OutOfRangeError(msg);
  if (s >= 400) return absl::InvalidArgumentError(msg);
  return absl::UnknownError(absl::StrCat(msg, " (unexpected status)"));
}

}  // namespace dci::registry_internal
