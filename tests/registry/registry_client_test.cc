// RegistryClient against real docker-registry processes (distribution 2.8)
// on 127.0.0.1 holding the sample images pushed by skopeo: anonymous,
// htpasswd (Basic) and token (Bearer) auth, and a storage with a tampered
// blob.
#include "indexer/registry/registry_client.h"

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/registry/registry_fixture.h"
#include "tests/registry/registry_test_util.h"
#include "tests/registry/tcp_relay.h"

namespace dci {
namespace {

using testing::Drain;
using testing::Drained;
using testing::FastRetries;
using testing::MakeClient;

constexpr char kRepo[] = "dci/debian";

std::vector<std::string> Layers(const std::string& key) {
  return absl::StrSplit(testing::SamplesEnv()[key], ',');
}

// --- anonymous ---

TEST(RegistryAnonymous, ManifestByTagIsTheLayoutsManifest) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto env = testing::SamplesEnv();
  auto client = MakeClient(s->registry->address(), kRepo);
  ASSERT_NE(client, nullptr);
  for (int v = 1; v <= 3; ++v) {
    SCOPED_TRACE(v);
    std::string want = env[absl::StrCat("DEBIAN_V", v, "_MANIFEST")];
    absl::StatusOr<Manifest> m = client->GetManifest(absl::StrCat("v", v));
    ASSERT_TRUE(m.ok()) << m.status();
    // skopeo copy oci: -> docker:// keeps an OCI manifest byte for byte.
    EXPECT_EQ(m->digest, want);
    EXPECT_EQ(m->media_type, kOciManifestType);
    EXPECT_EQ(m->bytes,
              testing::ReadFileOrEmpty(testing::LayoutBlobPath(want)));
  }
}

TEST(RegistryAnonymous, ManifestByDigest) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  std::string want = testing::SamplesEnv()["DEBIAN_V2_MANIFEST"];
  auto client = MakeClient(s->registry->address(), kRepo);
  absl::StatusOr<Manifest> m = client->GetManifest(want);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->digest, want);
  EXPECT_EQ(m->bytes, testing::ReadFileOrEmpty(testing::LayoutBlobPath(want)));
}

TEST(RegistryAnonymous, HeadManifestGivesDigestTypeAndSize) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  std::string want = testing::SamplesEnv()["DEBIAN_V3_MANIFEST"];
  auto client = MakeClient(s->registry->address(), kRepo);
  absl::StatusOr<ManifestInfo> info = client->HeadManifest("v3");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->digest, want);
  EXPECT_EQ(info->media_type, kOciManifestType);
  EXPECT_EQ(info->size, static_cast<long long>(std::filesystem::file_size(
                            testing::LayoutBlobPath(want))));
  // HEAD moves no body.
  EXPECT_EQ(client->bytes_fetched(), 0);
}

TEST(RegistryAnonymous, ListTags) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto client = MakeClient(s->registry->address(), kRepo);
  absl::StatusOr<std::vector<std::string>> tags = client->ListTags();
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(*tags, (std::vector<std::string>{"v1", "v2", "v3"}));
}

TEST(RegistryAnonymous, GetBlobReturnsTheConfig) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  std::string config = testing::SamplesEnv()["DEBIAN_V1_CONFIG"];
  auto client = MakeClient(s->registry->address(), kRepo);
  absl::StatusOr<std::string> blob = client->GetBlob(config, 1 << 20);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(*blob, testing::ReadFileOrEmpty(testing::LayoutBlobPath(config)));
  EXPECT_EQ(client->GetBlob(config, 100).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RegistryAnonymous, OpenBlobStreamsTheBaseLayer) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  std::string layer = Layers("DEBIAN_V1_LAYERS")[0];
  long long size = static_cast<long long>(
      std::filesystem::file_size(testing::LayoutBlobPath(layer)));
  ASSERT_GT(size, 10 << 20);
  auto client = MakeClient(s->registry->address(), kRepo);
  auto stream = client->OpenBlob(layer, size);
  ASSERT_TRUE(stream.ok()) << stream.status();
  // Odd-sized reads cross the stream's buffer boundaries.
  absl::StatusOr<Drained> got = Drain(**stream, 12345);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->digest, layer);
  EXPECT_EQ(got->bytes, size);
  EXPECT_EQ(client->bytes_fetched(), size);
  // End of stream stays end of stream.
  char c;
  absl::StatusOr<size_t> again = (*stream)->Read(&c, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

// One connection serves the requests of a session one after another:
// manifest, config, tag check and both layers of v2 read in turn.
TEST(RegistryAnonymous, OneConnectionServesRequestsInTurn) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  testing::TcpRelay relay(s->registry->port());
  ASSERT_TRUE(relay.ok());
  auto env = testing::SamplesEnv();
  auto client = MakeClient(relay.address(), kRepo);
  absl::StatusOr<Manifest> m = client->GetManifest("v2");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(client->GetBlob(env["DEBIAN_V2_CONFIG"], 1 << 20).ok());
  ASSERT_TRUE(client->HeadManifest("v1").ok());
  for (const std::string& layer : Layers("DEBIAN_V2_LAYERS")) {
    long long size = static_cast<long long>(
        std::filesystem::file_size(testing::LayoutBlobPath(layer)));
    auto stream = client->OpenBlob(layer, size);
    ASSERT_TRUE(stream.ok()) << stream.status();
    absl::StatusOr<Drained> got = Drain(**stream);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->digest, layer);
  }
  EXPECT_EQ(relay.accepted(), 1);
  // Two layers read at once take a connection each; both go back to the
  // session for what follows.
  std::vector<std::string> layers = Layers("DEBIAN_V2_LAYERS");
  ASSERT_EQ(layers.size(), 2u);
  std::vector<std::unique_ptr<ByteStream>> streams;
  for (const std::string& layer : layers) {
    auto stream = client->OpenBlob(layer, -1);
    ASSERT_TRUE(stream.ok()) << stream.status();
    streams.push_back(*std::move(stream));
  }
  for (auto& st : streams) ASSERT_TRUE(Drain(*st).ok());
  streams.clear();
  EXPECT_EQ(relay.accepted(), 2);
  ASSERT_TRUE(client->GetManifest("v3").ok());
  ASSERT_TRUE(client->GetManifest("v1").ok());
  EXPECT_EQ(relay.accepted(), 2);
}

// A registry that speaks plain HTTP where https:// is expected (an
// "insecure registry" on a LAN address): refused while TLS is verified,
// used over http:// with --tls-verify=false, as skopeo and docker do.
TEST(RegistryAnonymous, PlainHttpRegistryNeedsTlsVerifyOff) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  RegistryOptions o = FastRetries(1);
  o.scheme = RegistryOptions::Scheme::kHttps;  // as for a non-loopback host
  auto client = MakeClient(s->registry->address(), kRepo, o);
  ASSERT_NE(client, nullptr);
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(absl::StrContains(
      st.message(), "wrong version number (the registry answers in plain HTTP: "
                    "with tls_verify off it is spoken to over http://)"))
      << st;

  o.tls_verify = false;
  client = MakeClient(s->registry->address(), kRepo, o);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<Manifest> m = client->GetManifest("v1");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->digest, testing::SamplesEnv()["DEBIAN_V1_MANIFEST"]);
}

TEST(RegistryAnonymous, MissingTagIsNotFound) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto client = MakeClient(s->registry->address(), kRepo);
  absl::Status st = client->GetManifest("nope").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "dci/debian:nope")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "MANIFEST_UNKNOWN")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), s->registry->address())) << st;
  EXPECT_EQ(client->HeadManifest("nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RegistryAnonymous, MissingRepositoryIsNotFound) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto client = MakeClient(s->registry->address(), "dci/absent");
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  // distribution 2.8 answers a manifest of an unknown repository with
  // MANIFEST_UNKNOWN, and its tag list with NAME_UNKNOWN.
  EXPECT_TRUE(absl::StrContains(st.message(), "dci/absent:v1")) << st;
  st = client->ListTags().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "NAME_UNKNOWN")) << st;
}

TEST(RegistryAnonymous, MissingBlobIsNotFound) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto client = MakeClient(s->registry->address(), kRepo);
  std::string absent = "sha256:" + std::string(64, 'a');
  absl::Status st = client->OpenBlob(absent, 10).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "BLOB_UNKNOWN")) << st;
  EXPECT_EQ(client->GetManifest(absent).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RegistryAnonymous, OversizedManifestIsResourceExhausted) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  RegistryOptions o;
  o.max_manifest_bytes = 100;
  auto client = MakeClient(s->registry->address(), kRepo, o);
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  // Refused on Content-Length: not a byte of the body was taken.
  EXPECT_EQ(client->bytes_fetched(), 0);
}

TEST(RegistryAnonymous, BlobLargerThanExpectedIsDataLoss) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  std::string layer = Layers("DEBIAN_V2_LAYERS")[1];
  auto client = MakeClient(s->registry->address(), kRepo);
  auto stream = client->OpenBlob(layer, 1000);
  absl::Status st = stream.ok() ? Drain(**stream).status() : stream.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "more than the expected 1000"))
      << st;
}

TEST(RegistryAnonymous, RejectsMalformedReferences) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto client = MakeClient(s->registry->address(), kRepo);
  for (std::string bad : {"../../x", "a/b", "sha256:abc", "-lead", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(client->GetManifest(bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(client->OpenBlob("md5:abc", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- htpasswd (Basic) ---

class RegistryBasicAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    DCI_REQUIRE_SAMPLE_STORAGE(s);
    dir_ = testing::MakeTempDir("dci-htpasswd");
    std::string out;
    ASSERT_EQ(testing::Run({"htpasswd", "-Bbn", "alice", "right-pass"}, &out),
              0)
        << out;
    ASSERT_TRUE(testing::WriteFile(dir_ + "/htpasswd", out));
    registry_ = std::make_unique<testing::RegistryProcess>(
        s->storage, absl::StrCat("auth:\n  htpasswd:\n    realm: dci-test\n"
                                 "    path: ",
                                 dir_, "/htpasswd\n"));
    ASSERT_TRUE(registry_->ok()) << registry_->log();
  }
  void TearDown() override {
    registry_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<testing::RegistryProcess> registry_;
};

TEST_F(RegistryBasicAuth, RightPasswordWorks) {
  RegistryOptions o;
  o.credentials = "alice:right-pass";
  auto client = MakeClient(registry_->address(), kRepo, o);
  absl::StatusOr<Manifest> m = client->GetManifest("v2");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->digest, testing::SamplesEnv()["DEBIAN_V2_MANIFEST"]);
  std::string layer = Layers("DEBIAN_V2_LAYERS")[1];
  auto stream = client->OpenBlob(layer, -1);
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::StatusOr<Drained> got = Drain(**stream);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->digest, layer);
}

TEST_F(RegistryBasicAuth, AuthfileCredentialsWork) {
  std::string authfile = dir_ + "/config.json";
  ASSERT_TRUE(testing::WriteFile(
      authfile,
      absl::StrCat(R"({"auths":{")", registry_->address(), R"(":{"auth":")",
                   absl::Base64Escape("alice:right-pass"), R"("}}})")));
  RegistryOptions o;
  o.authfile = authfile;
  auto client = MakeClient(registry_->address(), kRepo, o);
  absl::StatusOr<std::vector<std::string>> tags = client->ListTags();
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(tags->size(), 3u);

  // The same credentials from a credential helper (docker's protocol), as
  // ECR, GCR and ACR users have them.
  const std::string helper = dir_ + "/docker-credential-dcialice";
  ASSERT_TRUE(testing::WriteFile(helper, absl::StrCat(R"(#!/bin/sh
read -r server
[ "$1" = get ] && [ "$server" = ")", registry_->address(), R"(" ] || exit 1
echo '{"Username":"alice","Secret":"right-pass"}'
)")));
  testing::Run({"chmod", "+x", helper}, nullptr);
  setenv("PATH", absl::StrCat(dir_, ":", getenv("PATH")).c_str(), 1);
  ASSERT_TRUE(testing::WriteFile(
      authfile, absl::StrCat(R"({"credHelpers":{")", registry_->address(),
                             R"(":"dcialice"}})")));
  client = MakeClient(registry_->address(), kRepo, o);
  ASSERT_NE(client, nullptr);
  tags = client->ListTags();
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(tags->size(), 3u);
}

TEST_F(RegistryBasicAuth, WrongPasswordIsUnauthenticated) {
  RegistryOptions o;
  o.credentials = "alice:wrong-pass";
  auto client = MakeClient(registry_->address(), kRepo, o);
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_EQ(st.message(), absl::StrCat("registry ", registry_->address(),
                                       " rejected the credentials of user "
                                       "\"alice\""));
  EXPECT_EQ(client->OpenBlob(Layers("DEBIAN_V1_LAYERS")[0], -1).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(RegistryBasicAuth, NoCredentialsIsUnauthenticated) {
  auto client = MakeClient(registry_->address(), kRepo);
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "give credentials")) << st;
}

// --- token (Bearer) ---

class RegistryTokenAuth
    : public ::testing::TestWithParam<testing::TokenIssuer::KeyRef> {
 protected:
  void SetUp() override {
    DCI_REQUIRE_SAMPLE_STORAGE(s);
    issuer_ = std::make_unique<testing::TokenIssuer>(GetParam(), "alice",
                                                     "right-pass");
    ASSERT_TRUE(issuer_->ok());
    registry_ = std::make_unique<testing::RegistryProcess>(s->storage,
                                                           issuer_->AuthYaml());
    ASSERT_TRUE(registry_->ok()) << registry_->log();
  }
  void TearDown() override {
    registry_.reset();
    issuer_.reset();
  }
  std::unique_ptr<testing::TokenIssuer> issuer_;
  std::unique_ptr<testing::RegistryProcess> registry_;
};

TEST_P(RegistryTokenAuth, BearerFlowWorksAndTheTokenIsReused) {
  RegistryOptions o;
  o.credentials = "alice:right-pass";
  auto client = MakeClient(registry_->address(), kRepo, o);
  auto env = testing::SamplesEnv();
  absl::StatusOr<Manifest> m = client->GetManifest("v1");
  ASSERT_TRUE(m.ok()) << m.status() << registry_->log();
  EXPECT_EQ(m->digest, env["DEBIAN_V1_MANIFEST"]);
  EXPECT_EQ(issuer_->requests(), 1);
  EXPECT_EQ(issuer_->last_scope(), "repository:dci/debian:pull");
  EXPECT_EQ(issuer_->last_authorization(),
            "Basic " + absl::Base64Escape("alice:right-pass"));

  absl::StatusOr<ManifestInfo> head = client->HeadManifest("v3");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->digest, env["DEBIAN_V3_MANIFEST"]);
  absl::StatusOr<std::vector<std::string>> tags = client->ListTags();
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(tags->size(), 3u);
  absl::StatusOr<std::string> config =
      client->GetBlob(env["DEBIAN_V3_CONFIG"], 1 << 20);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string layer = Layers("DEBIAN_V2_LAYERS")[1];
  auto stream = client->OpenBlob(layer, -1);
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::StatusOr<Drained> got = Drain(**stream);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->digest, layer);
  // Five requests, one token.
  EXPECT_EQ(issuer_->requests(), 1);
}

TEST_P(RegistryTokenAuth, AnonymousTokenWorks) {
  auto client = MakeClient(registry_->address(), kRepo);
  absl::StatusOr<ManifestInfo> head = client->HeadManifest("v2");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->digest, testing::SamplesEnv()["DEBIAN_V2_MANIFEST"]);
  EXPECT_EQ(issuer_->requests(), 1);
  EXPECT_EQ(issuer_->last_authorization(), "");
}

TEST_P(RegistryTokenAuth, ExpiredTokenIsFetchedAgain) {
  issuer_->set_expires_in(1);
  auto client = MakeClient(registry_->address(), kRepo);
  ASSERT_TRUE(client->HeadManifest("v1").ok());
  ASSERT_TRUE(client->HeadManifest("v2").ok());
  EXPECT_EQ(issuer_->requests(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE(client->HeadManifest("v3").ok());
  EXPECT_EQ(issuer_->requests(), 2);
}

TEST_P(RegistryTokenAuth, WrongPasswordIsUnauthenticated) {
  RegistryOptions o = FastRetries(1);
  o.credentials = "alice:wrong-pass";
  auto client = MakeClient(registry_->address(), kRepo, o);
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_TRUE(absl::StrContains(
      st.message(), absl::StrCat("registry ", registry_->address())))
      << st;
  EXPECT_TRUE(absl::StrContains(st.message(),
                                "rejected the credentials of user \"alice\""))
      << st;
  EXPECT_EQ(issuer_->requests(), 1);  // a 401 is not retried
}

INSTANTIATE_TEST_SUITE_P(
    KeyRef, RegistryTokenAuth,
    ::testing::Values(testing::TokenIssuer::KeyRef::kX5c,
                      testing::TokenIssuer::KeyRef::kKid),
    [](const ::testing::TestParamInfo<testing::TokenIssuer::KeyRef>& info) {
      return info.param == testing::TokenIssuer::KeyRef::kX5c ? "x5c" : "kid";
    });

// --- TLS with a client certificate ---

// A registry on https://127.0.0.1 with a certificate from a CA made here,
// asking for client certificates from the same CA.
class RegistryTls : public ::testing::Test {
 protected:
  void SetUp() override {
    DCI_REQUIRE_SAMPLE_STORAGE(s);
    dir_ = testing::MakeTempDir("dci-tls");
    ASSERT_TRUE(testing::WriteFile(dir_ + "/server.ext",
                                   "subjectAltName=IP:127.0.0.1\n"));
    ASSERT_TRUE(testing::WriteFile(dir_ + "/client.ext",
                                   "extendedKeyUsage=clientAuth\n"));
    std::vector<std::vector<std::string>> steps = {
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         dir_ + "/ca.key", "-out", dir_ + "/ca.crt", "-days", "2", "-subj",
         "/CN=dci-test-ca"},
        {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
         dir_ + "/server.key", "-out", dir_ + "/server.csr", "-subj",
         "/CN=127.0.0.1"},
        {"openssl", "x509", "-req", "-in", dir_ + "/server.csr", "-CA",
         dir_ + "/ca.crt", "-CAkey", dir_ + "/ca.key", "-CAcreateserial",
         "-out", dir_ + "/server.crt", "-days", "2", "-extfile",
         dir_ + "/server.ext"},
        {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
         dir_ + "/client.key", "-out", dir_ + "/client.csr", "-subj",
         "/CN=dci-test-client"},
        {"openssl", "x509", "-req", "-in", dir_ + "/client.csr", "-CA",
         dir_ + "/ca.crt", "-CAkey", dir_ + "/ca.key", "-CAcreateserial",
         "-out", dir_ + "/client.cert", "-days", "2", "-extfile",
         dir_ + "/client.ext"},
    };
    for (const auto& argv : steps) {
      std::string out;
      ASSERT_EQ(testing::Run(argv, &out), 0) << out;
    }
    // skopeo-style cert dirs: CA only, CA and client pair, client pair only.
    for (const char* d : {"/ca-only", "/ca-and-client", "/client-only"}) {
      std::filesystem::create_directory(dir_ + d);
    }
    auto copy = [&](const std::string& from, const std::string& to) {
      std::filesystem::copy_file(dir_ + from, dir_ + to);
    };
    copy("/ca.crt", "/ca-only/ca.crt");
    copy("/ca.crt", "/ca-and-client/ca.crt");
    copy("/client.cert", "/ca-and-client/client.cert");
    copy("/client.key", "/ca-and-client/client.key");
    copy("/client.cert", "/client-only/client.cert");
    copy("/client.key", "/client-only/client.key");
    registry_ = std::make_unique<testing::RegistryProcess>(
        s->storage, "",
        absl::StrCat("  tls:\n"
                     "    certificate: ",
                     dir_,
                     "/server.crt\n"
                     "    key: ",
                     dir_,
                     "/server.key\n"
                     "    clientcas:\n"
                     "      - ",
                     dir_, "/ca.crt\n"));
    ASSERT_TRUE(registry_->ok()) << registry_->log();
  }
  void TearDown() override {
    registry_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  RegistryOptions Options(const std::string& cert_dir, bool verify) {
    RegistryOptions o = FastRetries(1);
    o.scheme = RegistryOptions::Scheme::kHttps;
    o.cert_dir = cert_dir.empty() ? "" : dir_ + cert_dir;
    o.tls_verify = verify;
    return o;
  }
  std::string dir_;
  std::unique_ptr<testing::RegistryProcess> registry_;
};

TEST_F(RegistryTls, CertDirWithCaAndClientCertificateWorks) {
  auto client =
      MakeClient(registry_->address(), kRepo, Options("/ca-and-client", true));
  absl::StatusOr<Manifest> m = client->GetManifest("v1");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->digest, testing::SamplesEnv()["DEBIAN_V1_MANIFEST"]);
}

TEST_F(RegistryTls, UntrustedServerIsFailedPrecondition) {
  auto client =
      MakeClient(registry_->address(), kRepo, Options("/client-only", true));
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "cert_dir")) << st;
}

TEST_F(RegistryTls, TlsVerifyOffSkipsTheServerCheck) {
  auto client =
      MakeClient(registry_->address(), kRepo, Options("/client-only", false));
  absl::StatusOr<ManifestInfo> head = client->HeadManifest("v2");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->digest, testing::SamplesEnv()["DEBIAN_V2_MANIFEST"]);
}

TEST_F(RegistryTls, MissingClientCertificateIsRefused) {
  auto client =
      MakeClient(registry_->address(), kRepo, Options("/ca-only", true));
  // The server ends the handshake: a connection error, retried, then
  // Unavailable.
  absl::Status st = client->GetManifest("v1").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "after 1 retries")) << st;
}

TEST_F(RegistryTls, ClientCertificateWithoutKeyIsInvalidArgument) {
  std::filesystem::remove(dir_ + "/client-only/client.key");
  RegistryRef ref{registry_->address(), kRepo, "v1", ""};
  EXPECT_EQ(RegistryClient::Create(ref, Options("/client-only", true))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// --- tampered storage ---

// Overwrites a few bytes in the middle of the blob's data file of a
// hard-linked copy of the sample storage (a new file, so the shared
// storage keeps its bytes).
void Tamper(const std::string& storage, const std::string& digest) {
  std::string path = testing::StorageBlobPath(storage, digest);
  std::string data = testing::ReadFileOrEmpty(path);
  ASSERT_GT(data.size(), 100u) << path;
  for (size_t i = 0; i < 8; ++i) data[data.size() / 2 + i] ^= 0x5a;
  ASSERT_TRUE(testing::WriteFile(path + ".new", data));
  std::filesystem::rename(path + ".new", path);
}

TEST(RegistryTampered, ChangedBlobsAreDataLoss) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  auto env = testing::SamplesEnv();
  std::string dir = testing::MakeTempDir("dci-tampered");
  std::string out;
  ASSERT_EQ(testing::Run({"cp", "-al", s->storage, dir + "/storage"}, &out), 0)
      << out;
  std::string storage = dir + "/storage";
  std::string config = env["DEBIAN_V3_CONFIG"];
  std::string layer = Layers("DEBIAN_V2_LAYERS")[1];
  Tamper(storage, config);
  Tamper(storage, layer);
  {
    testing::RegistryProcess registry(storage, "");
    ASSERT_TRUE(registry.ok()) << registry.log();
    auto client = MakeClient(registry.address(), kRepo);

    absl::Status st = client->GetBlob(config, 1 << 20).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_TRUE(absl::StrContains(st.message(), "digest mismatch (got sha256:"))
        << st;

    long long size = static_cast<long long>(
        std::filesystem::file_size(testing::LayoutBlobPath(layer)));
    auto stream = client->OpenBlob(layer, size);
    ASSERT_TRUE(stream.ok()) << stream.status();
    st = Drain(**stream).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_TRUE(absl::StartsWith(
        st.message(),
        absl::StrCat("blob ", layer, ": digest mismatch (got sha256:")))
        << st;

    // The untouched manifest still reads fine.
    EXPECT_TRUE(client->GetManifest("v3").ok());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dci
