#include "tests/registry/registry_fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace dci::testing {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (fd >= 0 &&
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

int Spawn(const std::vector<std::string>& argv, const std::string& out_file) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// HTTP status of GET url, 0 when nothing answers.
long GetStatus(const std::string& url) {
  CURL* h = curl_easy_init();
  if (h == nullptr) return 0;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Discard);
  long status = 0;
  if (curl_easy_perform(h) == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(h);
  return status;
}

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// RFC 4648 base32, no padding.
std::string Base32(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

// libtrust's KeyID: the first 240 bits of SHA-256 over the DER
// SubjectPublicKeyInfo, base32, in 12 groups of 4 joined by ':'.
std::string LibtrustKeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  std::string b32 = Base32(md, 30);
  std::vector<std::string> groups;
  for (size_t i = 0; i < b32.size(); i += 4) groups.push_back(b32.substr(i, 4));
  return absl::StrJoin(groups, ":");
}

}  // namespace

bool HaveSamples() {
  return std::filesystem::exists(SamplesDir() + "/layout/index.json") &&
         std::filesystem::exists(SamplesDir() + "/samples.env");
}

std::map<std::string, std::string> SamplesEnv() {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFileOrEmpty(SamplesDir() + "/samples.env"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string LayoutBlobPath(const std::string& digest) {
  return SamplesDir() + "/layout/blobs/sha256/" + digest.substr(7);
}

std::string StorageBlobPath(const std::string& storage,
                            const std::string& digest) {
  std::string hex = digest.substr(7);
  return absl::StrCat(storage, "/docker/registry/v2/blobs/sha256/",
                      hex.substr(0, 2), "/", hex, "/data");
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

int Run(const std::vector<std::string>& argv, std::string* output) {
  std::string dir = MakeTempDir("dci-registry-run");
  int pid = Spawn(argv, dir + "/out");
  int status = 0;
  int code = -1;
  if (pid > 0 && waitpid(pid, &status, 0) == pid) {
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (output != nullptr) *output = ReadFileOrEmpty(dir + "/out");
  std::filesystem::remove_all(dir);
  return code;
}

// --- RegistryProcess ---

RegistryProcess::RegistryProcess(const std::string& storage,
                                 const std::string& auth_yaml,
                                 const std::string& tls_yaml,
                                 bool allow_delete)
    : allow_delete_(allow_delete) {
  dir_ = MakeTempDir("dci-registry");
  // A port picked here may be taken before the registry binds it: try a
  // few times.
  for (int attempt = 0; attempt < 3 && port_ == 0; ++attempt) {
    if (!StartOnce(storage, auth_yaml, tls_yaml)) Stop();
  }
}

RegistryProcess::~RegistryProcess() {
  Stop();
  std::filesystem::remove_all(dir_);
}

std::string RegistryProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string RegistryProcess::log() const {
  return ReadFileOrEmpty(dir_ + "/registry.log");
}

bool RegistryProcess::StartOnce(const std::string& storage,
                                const std::string& auth_yaml,
                                const std::string& tls_yaml) {
  int port = FreePort();
  if (port == 0) return false;
  // Listens on loopback only; never the packaged /etc/docker/registry
  // config, which listens on every interface.
  std::string config = absl::StrCat(
      "version: 0.1\n"
      "log:\n"
      "  level: warn\n"
      "  accesslog:\n"
      "    disabled: true\n"
      "storage:\n"
      "  filesystem:\n"
      "    rootdirectory: ",
      storage,
      "\n"
      "  delete:\n"
      "    enabled: ",
      allow_delete_ ? "true" : "false",
      "\n"
      "http:\n"
      "  addr: 127.0.0.1:",
      port, "\n", tls_yaml, auth_yaml);
  std::string config_path = dir_ + "/config.yml";
  if (!WriteFile(config_path, config)) return false;
  pid_ =
      Spawn({"docker-registry", "serve", config_path}, dir_ + "/registry.log");
  if (pid_ <= 0) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::string url = absl::StrCat("http://127.0.0.1:", port, "/v2/");
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    bool ready = false;
    if (tls_yaml.empty()) {
      long code = GetStatus(url);
      ready = code == 200 || code == 401;
    } else {
      ready = CanConnect(port);
    }
    if (ready) {
      port_ = port;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void RegistryProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

// --- TokenIssuer ---

TokenIssuer::TokenIssuer(KeyRef key_ref, std::string user, std::string password)
    : key_ref_(key_ref),
      user_(std::move(user)),
      password_(std::move(password)) {
  dir_ = MakeTempDir("dci-token-issuer");
  std::string out;
  if (Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
           "-keyout", dir_ + "/key.pem", "-out", dir_ + "/cert.pem", "-days",
           "2", "-subj", "/CN=dci-test-token-issuer"},
          &out) != 0) {
    return;
  }
  FILE* f = std::fopen((dir_ + "/key.pem").c_str(), "r");
  if (f == nullptr) return;
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen((dir_ + "/cert.pem").c_str(), "r");
  if (f == nullptr || key == nullptr) {
    if (f != nullptr) std::fclose(f);
    EVP_PKEY_free(key);
    return;
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    EVP_PKEY_free(key);
    return;
  }
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  X509_free(cert);
  if (len <= 0) {
    EVP_PKEY_free(key);
    return;
  }
  cert_der_b64_ = absl::Base64Escape(absl::string_view(
      reinterpret_cast<char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  kid_ = LibtrustKeyId(key);
  key_ = key;
  server_ = std::make_unique<TestHttpServer>(
      [this](const TestRequest& req, TestConnection& conn) {
        Handle(req, conn);
      });
  ok_ = server_->port() > 0 && !kid_.empty();
}

TokenIssuer::~TokenIssuer() {
  server_.reset();  // joins the thread before the key goes
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  std::filesystem::remove_all(dir_);
}

std::string TokenIssuer::AuthYaml() const {
  return absl::StrCat(
      "auth:\n"
      "  token:\n"
      "    realm: http://",
      server_->address(),
      "/token\n"
      "    service: ",
      kService,
      "\n"
      "    issuer: ",
      kIssuer,
      "\n"
      "    rootcertbundle: ",
      dir_, "/cert.pem\n");
}

std::string TokenIssuer::last_scope() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_scope_;
}

std::string TokenIssuer::last_authorization() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_authorization_;
}

void TokenIssuer::Handle(const TestRequest& req, TestConnection& conn) {
  ++requests_;
  std::string scope = req.query.count("scope") ? req.query.at("scope") : "";
  std::string authorization = req.Header("authorization");
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_scope_ = scope;
    last_authorization_ = authorization;
  }
  if (req.path != "/token" ||
      (req.query.count("service") && req.query.at("service") != kService)) {
    SendResponse(conn, 404, {}, "");
    return;
  }
  std::string subject;
  if (!authorization.empty()) {
    std::string decoded;
    if (!absl::StartsWith(authorization, "Basic ") ||
        !absl::Base64Unescape(authorization.substr(6), &decoded) ||
        decoded != user_ + ":" + password_) {
      SendResponse(conn, 401, {{"Content-Type", "application/json"}},
                   R"({"details":"incorrect username or password"})");
      return;
    }
    subject = user_;
  }
  nlohmann::json body = {{"token", Sign(subject, scope)},
                         {"expires_in", expires_in_.load()}};
  SendResponse(conn, 200, {{"Content-Type", "application/json"}}, body.dump());
}

std::string TokenIssuer::Sign(const std::string& subject,
                              const std::string& scope) {
  nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}};
  if (key_ref_ == KeyRef::kX5c) {
    header["x5c"] = nlohmann::json::array({cert_der_b64_});
  } else {
    header["kid"] = kid_;
  }
  nlohmann::json access = nlohmann::json::array();
  // scope: "repository:NAME:ACTION[,ACTION]"
  std::vector<std::string> parts = absl::StrSplit(scope, ':');
  if (parts.size() == 3 && parts[0] == "repository") {
    std::vector<std::string> actions = absl::StrSplit(parts[2], ',');
    access.push_back(
        {{"type", "repository"}, {"name", parts[1]}, {"actions", actions}});
  }
  long long now = static_cast<long long>(std::time(nullptr));
  nlohmann::json claims = {{"iss", kIssuer},
                           {"sub", subject},
                           {"aud", kService},
                           {"exp", now + 300},
                           {"nbf", now - 10},
                           {"iat", now},
                           {"jti", absl::StrCat("dci-", requests_.load())},
                           {"access", access}};
  std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(header.dump()), ".",
                   absl::WebSafeBase64Escape(claims.dump()));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig;
  size_t sig_len = 0;
  if (ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr,
                         static_cast<EVP_PKEY*>(key_)) == 1 &&
      EVP_DigestSign(
          ctx, nullptr, &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) == 1) {
    sig.resize(sig_len);
    if (EVP_DigestSign(
            ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
            reinterpret_cast<const unsigned char*>(signing_input.data()),
            signing_input.size()) == 1) {
      sig.resize(sig_len);
    } else {
      sig.clear();
    }
  }
  EVP_MD_CTX_free(ctx);
  return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(sig));
}

// --- SampleStorage ---

namespace {

std::unique_ptr<SampleStorage> BuildSampleStorage(std::string* error) {
  if (!HaveSamples()) {
    *error = "no sample images in " + SamplesDir() +
             " (run scripts/make-sample-images.sh)";
    return nullptr;
  }
  auto s = std::make_unique<SampleStorage>();
  s->storage = MakeTempDir("dci-registry-storage");
  s->registry = std::make_unique<RegistryProcess>(s->storage, "");
  if (!s->registry->ok()) {
    *error = "docker-registry did not start: " + s->registry->log();
    return nullptr;
  }
  for (int v = 1; v <= 3; ++v) {
    std::string out;
    int rc = Run(
        {"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
         absl::StrCat("oci:", SamplesDir(), "/layout:debian-v", v),
         absl::StrCat("docker://", s->registry->address(), "/dci/debian:v", v)},
        &out);
    if (rc != 0) {
      *error = absl::StrCat("skopeo copy of debian-v", v, " failed (", rc,
                            "): ", out);
      return nullptr;
    }
  }
  return s;
}

}  // namespace

const SampleStorage* GetSampleStorage(std::string* error) {
  static std::string* build_error = new std::string;
  static SampleStorage* storage = BuildSampleStorage(build_error).release();
  static const int cleanup = std::atexit([] {
    if (storage == nullptr) return;
    storage->registry.reset();
    std::filesystem::remove_all(storage->storage);
  });
  (void)cleanup;
  if (storage == nullptr) *error = *build_error;
  return storage;
}

}  // namespace dci::testing
