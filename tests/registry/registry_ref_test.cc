// Reference splitting, credentials and header parsing: no network.
#include "indexer/registry/registry_ref.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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
