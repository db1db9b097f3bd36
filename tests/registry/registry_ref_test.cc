// Reference splitting, credentials and header parsing: no network.
#include "indexer/registry/registry_ref.h"

#include <string>
#include <vector>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "indexer/image_ref.h"
#include "indexer/registry/auth_challenge.h"
#include "indexer/registry/credentials.h"
#include "tests/registry/registry_fixture.h"

namespace dci {
namespace {

using registry_internal::AuthChallenge;
using registry_internal::ParseAuthChallenges;
using registry_internal::ParseNextLink;

constexpr char kDigest[] =
    "sha256:c92640a8c70b6d520f96f1273122b32dc1f6571339fc3885773b7e5ad9881a39";

TEST(RegistryRef, SplitsLikeDockerPull) {
  struct Case {
    std::string ref, registry, repository, tag, digest;
  };
  std::vector<Case> cases = {
      {"docker://127.0.0.1:5000/dci/debian:v1", "127.0.0.1:5000", "dci/debian",
       "v1", ""},
      {"docker://debian", "registry-1.docker.io", "library/debian", "latest",
       ""},
      {"docker://docker.io/debian:12", "registry-1.docker.io", "library/debian",
       "12", ""},
      {"docker://index.docker.io/library/debian", "registry-1.docker.io",
       "library/debian", "latest", ""},
      {"docker://someuser/app:1.0", "registry-1.docker.io", "someuser/app",
       "1.0", ""},
      {"docker://localhost/app", "localhost", "app", "latest", ""},
      {"docker://localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", ""},
      {"docker://quay.io/org/app@" + std::string(kDigest), "quay.io", "org/app",
       "", kDigest},
      {"docker://[::1]:5000/app:x", "[::1]:5000", "app", "x", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ref);
    absl::StatusOr<ImageRef> image = ParseImageRef(c.ref);
    ASSERT_TRUE(image.ok()) << image.status();
    absl::StatusOr<RegistryRef> ref = RegistryRefFromImageRef(*image);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref->registry, c.registry);
    EXPECT_EQ(ref->repository, c.repository);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->reference(), c.digest.empty() ? c.tag : c.digest);
  }
}

TEST(RegistryRef, RejectsOtherTransports) {
  absl::StatusOr<ImageRef> image = ParseImageRef("oci:/tmp/layout:t");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(RegistryRefFromImageRef(*image).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegistryRef, ToStringRoundTrips) {
  RegistryRef r{"127.0.0.1:5000", "dci/debian", "v1", ""};
  EXPECT_EQ(r.ToString(), "docker://127.0.0.1:5000/dci/debian:v1");
  r.tag = "";
  r.digest = kDigest;
  EXPECT_EQ(r.ToString(),
            std::string("docker://127.0.0.1:5000/dci/debian@") + kDigest);
}

TEST(Credentials, ParsesUserColonPassword) {
  absl::StatusOr<Credentials> c = ParseCredentials("alice:pa:ss");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "pa:ss");
  EXPECT_EQ(ParseCredentials("alice").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCredentials(":x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Credentials, LooksUpAuthfileEntries) {
  std::string dir = testing::MakeTempDir("dci-authfile");
  std::string path = dir + "/config.json";
  ASSERT_TRUE(testing::WriteFile(path, R"({"auths": {
        "127.0.0.1:5000": {"auth": ")" + absl::Base64Escape("alice:s3:cret") +
                                           R"("},
        "https://quay.io/v2/": {"username": "bob", "password": "pw"},
        "https://index.docker.io/v1/": {"auth": ")" +
                                           absl::Base64Escape("carol:hub") +
                                           R"("},
        "broken.example": {"auth": "%%%"}
      }})"));
  struct Case {
    std::string registry, user, pass;
  };
  for (const Case& c :
       std::vector<Case>{{"127.0.0.1:5000", "alice", "s3:cret"},
                         {"quay.io", "bob", "pw"},
                         {"registry-1.docker.io", "carol", "hub"}}) {
    SCOPED_TRACE(c.registry);
    auto got = CredentialsFromAuthfile(path, c.registry);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->username, c.user);
    EXPECT_EQ((*got)->password, c.pass);
  }
  auto none = CredentialsFromAuthfile(path, "127.0.0.1:5001");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(CredentialsFromAuthfile(path, "broken.example").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CredentialsFromAuthfile(dir + "/missing.json", "quay.io").status().code(),
      absl::StatusCode::kNotFound);
  testing::Run({"rm", "-rf", dir}, nullptr);
}

// A docker credential helper speaking the protocol (docker-credential-X
// get, the server on stdin, JSON on stdout), put first in PATH. What it
// answers depends on the server it is asked about.
std::string InstallHelper(const std::string& dir) {
  const std::string helper = dir + "/docker-credential-dcitest";
  EXPECT_TRUE(testing::WriteFile(helper, R"(#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
case "$server" in
  garbage.example) echo 'not json' ;;
  token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"r"}' ;;
  broken.example) echo 'keychain locked' >&2; exit 3 ;;
  slow.example) sleep 5 ;;
  quay.io) echo 'credentials not found in native keychain'; exit 1 ;;
  *) printf '{"ServerURL":"%s","Username":"u-%s","Secret":"s3cret"}' "$server" "$server" ;;
esac
)"));
  testing::Run({"chmod", "+x", helper}, nullptr);
  setenv("PATH", absl::StrCat(dir, ":", getenv("PATH")).c_str(), 1);
  return helper;
}

TEST(Credentials, CredentialHelpersComeFirst) {
  std::string dir = testing::MakeTempDir("dci-credhelper");
  InstallHelper(dir);
  std::string path = dir + "/config.json";
  ASSERT_TRUE(testing::WriteFile(path, R"({
      "credHelpers": {"127.0.0.1:5000": "dcitest", "docker.io": "dcitest",
                      "evil.example": "../../bin/sh", "gone.example": "nope"},
      "auths": {"127.0.0.1:5000": {"auth": ")" + absl::Base64Escape("alice:pw") +
                                     R"("}}})"));
  auto got = CredentialsFromAuthfile(path, "127.0.0.1:5000");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->username, "u-127.0.0.1:5000");  // the helper, not auths
  EXPECT_EQ((*got)->password, "s3cret");
  got = CredentialsFromAuthfile(path, "registry-1.docker.io");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->username, "u-https://index.docker.io/v1/");
  absl::Status st = CredentialsFromAuthfile(path, "evil.example").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  st = CredentialsFromAuthfile(path, "gone.example").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_EQ(st.message(), absl::StrCat("authfile ", path, ": credHelpers \"gone.example\": "
                                       "credential helper docker-credential-nope is not in PATH"));
  // No helper for this registry and no credsStore: auths, then nothing.
  got = CredentialsFromAuthfile(path, "127.0.0.1:5001");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());

  // credsStore answers for every registry without a credHelpers entry.
  ASSERT_TRUE(testing::WriteFile(path, R"({"credsStore": "dcitest",
      "auths": {"quay.io": {"auth": ")" + absl::Base64Escape("bob:pw") + R"("}}})"));
  got = CredentialsFromAuthfile(path, "ghcr.io");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->username, "u-ghcr.io");
  got = CredentialsFromAuthfile(path, "quay.io");  // "credentials not found"
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  st = CredentialsFromAuthfile(path, "garbage.example").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "not json")) << st;
  st = CredentialsFromAuthfile(path, "token.example").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
  st = CredentialsFromAuthfile(path, "broken.example").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(st.message(), absl::StrCat("authfile ", path, ": credsStore: "
                                       "docker-credential-dcitest get broken.example "
                                       "failed (exit 3): keychain locked"));
  absl::Time start = absl::Now();
  st = CredentialsFromAuthfile(path, "slow.example", absl::Milliseconds(300)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));  // killed, not waited for
  testing::Run({"rm", "-rf", dir}, nullptr);
}

TEST(AuthChallenge, ParsesBearerAndBasic) {
  std::vector<AuthChallenge> got = ParseAuthChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull",error="insufficient_scope")");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].scheme, "bearer");
  EXPECT_EQ(got[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(got[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(got[0].Param("scope"), "repository:library/debian:pull");
  EXPECT_EQ(got[0].Param("error"), "insufficient_scope");

  got = ParseAuthChallenges(
      R"(Basic realm="a \"quoted\" realm", Bearer realm="http://127.0.0.1:1/t", service=svc)");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].scheme, "basic");
  EXPECT_EQ(got[0].Param("realm"), "a \"quoted\" realm");
  EXPECT_EQ(got[1].scheme, "bearer");
  EXPECT_EQ(got[1].Param("realm"), "http://127.0.0.1:1/t");
  EXPECT_EQ(got[1].Param("service"), "svc");

  EXPECT_TRUE(ParseAuthChallenges("").empty());
  got = ParseAuthChallenges(R"(Bearer realm="unterminated)");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Param("realm"), "");
}

TEST(AuthChallenge, FindsTheNextPageLink) {
  EXPECT_EQ(ParseNextLink(R"(</v2/r/tags/list?last=b&n=2>; rel="next")"),
            "/v2/r/tags/list?last=b&n=2");
  EXPECT_EQ(ParseNextLink(R"(</p>; rel="prev", </n>; rel="next")"), "/n");
  EXPECT_EQ(ParseNextLink(R"(</p>; rel="prev")"), "");
  EXPECT_EQ(ParseNextLink(""), "");
}

}  // namespace
}  // namespace dci
