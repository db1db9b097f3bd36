// Real registries for the registry client's tests: docker-registry
// (distribution 2.8) processes on 127.0.0.1 with configs written here, a
// token issuer for its "token" auth, and a storage directory holding the
// sample images pushed by skopeo.
#ifndef DCI_TESTS_REGISTRY_REGISTRY_FIXTURE_H_
#define DCI_TESTS_REGISTRY_REGISTRY_FIXTURE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "tests/registry/test_http_server.h"
#include "tests/testutil/samples.h"

namespace dci::testing {

bool HaveSamples();
// KEY=VALUE lines of SamplesDir()/samples.env.
std::map<std::string, std::string> SamplesEnv();
// SamplesDir()/layout/blobs/sha256/HEX for "sha256:HEX".
std::string LayoutBlobPath(const std::string& digest);

std::string ReadFileOrEmpty(const std::string& path);
bool WriteFile(const std::string& path, const std::string& data);
std::string MakeTempDir(const std::string& prefix);
// Runs argv (no shell, stdin /dev/null); returns the exit code and puts
// stdout and stderr into `output`.
int Run(const std::vector<std::string>& argv, std::string* output);

// A docker-registry process serving `storage` on 127.0.0.1. `auth_yaml`
// is the config's "auth:" section ("" for anonymous access). With `tls`,
// `tls_yaml` is the "http:" section's "  tls:" entry and readiness is a
// TCP connect. With `allow_delete`, manifests can be deleted (and their
// tags with them). Stopped (SIGTERM, then SIGKILL) on destruction.
class RegistryProcess {
 public:
  RegistryProcess(const std::string& storage, const std::string& auth_yaml,
                  const std::string& tls_yaml = "", bool allow_delete = false);
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  std::string log() const;      // its stderr, for failure messages

 private:
  bool StartOnce(const std::string& storage, const std::string& auth_yaml,
                 const std::string& tls_yaml);
  void Stop();
  bool allow_delete_ = false;
  std::string dir_;
  int pid_ = -1;
  int port_ = 0;
};

// Issues RS256 JWTs the way docker/distribution's token auth expects
// (spec/auth/jwt.md): iss, aud (the service), exp/nbf/iat, and "access"
// granting the requested repository actions. The registry trusts the
// issuer's self-signed certificate (rootcertbundle); the token names the
// key either by an "x5c" chain holding that certificate or by a "kid" equal
// to the libtrust key ID of its public key.
class TokenIssuer {
 public:
  enum class KeyRef { kX5c, kKid };
  static constexpr char kService[] = "dci-test-registry";
  static constexpr char kIssuer[] = "dci-test-issuer";

  // Accepts Basic `user`:`password`, and anonymous requests.
  TokenIssuer(KeyRef key_ref, std::string user, std::string password);
  ~TokenIssuer();

  bool ok() const { return ok_; }
  // The registry config's auth section for this issuer.
  std::string AuthYaml() const;
  int requests() const { return requests_.load(); }
  std::string last_scope() const;
  std::string last_authorization() const;
  void set_expires_in(int seconds) { expires_in_ = seconds; }

 private:
  void Handle(const TestRequest& req, TestConnection& conn);
  std::string Sign(const std::string& subject, const std::string& scope);

  KeyRef key_ref_;
  std::string user_, password_;
  std::string dir_;
  std::string cert_der_b64_;
  std::string kid_;
  void* key_ = nullptr;  // EVP_PKEY*
  bool ok_ = false;
  std::atomic<int> requests_{0};
  std::atomic<int> expires_in_{300};
  mutable std::mutex mu_;
  std::string last_scope_, last_authorization_;
  std::unique_ptr<TestHttpServer> server_;
};

// Names the parameter in test listings ("x5c", "kid").
inline void PrintTo(TokenIssuer::KeyRef k, std::ostream* os) {
  *os << (k == TokenIssuer::KeyRef::kX5c ? "x5c" : "kid");
}

// The sample images debian-v1..v3 pushed by `skopeo copy` into repository
// dci/debian (tags v1, v2, v3) of a registry storage directory, made once
// per test process, with an anonymous registry serving it.
struct SampleStorage {
  std::string storage;
  std::unique_ptr<RegistryProcess> registry;
};
// nullptr (and `error` set) when the samples are missing or a step failed.
const SampleStorage* GetSampleStorage(std::string* error);

// Storage blob file of "sha256:HEX" under a registry storage directory.
std::string StorageBlobPath(const std::string& storage,
                            const std::string& digest);

}  // namespace dci::testing

#endif  // DCI_TESTS_REGISTRY_REGISTRY_FIXTURE_H_
