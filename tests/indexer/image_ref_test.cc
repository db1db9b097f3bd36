#include "indexer/image_ref.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dci {
namespace {

using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct GoodCase {
  std::string input;
  Transport transport;
  std::string path;
  std::string tag;
  std::string digest;
  std::string canonical;  // ToString()
};

class ParseImageRefGood : public ::testing::TestWithParam<GoodCase> {};

TEST_P(ParseImageRefGood, ParsesAndRoundTrips) {
  const GoodCase& c = GetParam();
  absl::StatusOr<ImageRef> r = ParseImageRef(c.input);
  ASSERT_TRUE(r.ok()) << c.input << ": " << r.status();
  EXPECT_EQ(r->transport, c.transport);
  EXPECT_EQ(r->path, c.path);
  EXPECT_EQ(r->tag, c.tag);
  EXPECT_EQ(r->digest, c.digest);
  EXPECT_EQ(r->ToString(), c.canonical);
  absl::StatusOr<ImageRef> again = ParseImageRef(r->ToString());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->transport, r->transport);
  EXPECT_EQ(again->path, r->path);
  EXPECT_EQ(again->tag, r->tag);
  EXPECT_EQ(again->digest, r->digest);
}

INSTANTIATE_TEST_SUITE_P(
    AllTransports, ParseImageRefGood,
    ::testing::Values(
        // oci: splits at the first ':' after the transport (containers-image
        // on Linux); the tag may hold ':' '@' '/' per annotations.md.
        GoodCase{"oci:/srv/layout", Transport::kOciDir, "/srv/layout", "", "",
                 "oci:/srv/layout"},
        GoodCase{"oci:/srv/layout:1", Transport::kOciDir, "/srv/layout", "1",
                 "", "oci:/srv/layout:1"},
        GoodCase{"oci:rel/dir:v1.2-rc_3", Transport::kOciDir, "rel/dir",
                 "v1.2-rc_3", "", "oci:rel/dir:v1.2-rc_3"},
        GoodCase{"oci:/l:example.com/app:1.0", Transport::kOciDir, "/l",
                 "example.com/app:1.0", "", "oci:/l:example.com/app:1.0"},
        GoodCase{"oci:/l:a--b", Transport::kOciDir, "/l", "a--b", "",
                 "oci:/l:a--b"},
        GoodCase{"oci:/l:", Transport::kOciDir, "/l", "", "", "oci:/l"},
        GoodCase{"oci-archive:/tmp/img.tar", Transport::kOciArchive,
                 "/tmp/img.tar", "", "", "oci-archive:/tmp/img.tar"},
        GoodCase{"oci-archive:/tmp/img.tar:latest", Transport::kOciArchive,
                 "/tmp/img.tar", "latest", "",
                 "oci-archive:/tmp/img.tar:latest"},
        // docker-archive: NAME may have '/' and a registry host:port; a
        // missing tag is "latest" as in containers-image.
        GoodCase{"docker-archive:/tmp/d.tar", Transport::kDockerArchive,
                 "/tmp/d.tar", "", "", "docker-archive:/tmp/d.tar"},
        GoodCase{"docker-archive:/tmp/d.tar:foo/bar:1",
                 Transport::kDockerArchive, "/tmp/d.tar", "foo/bar:1", "",
                 "docker-archive:/tmp/d.tar:foo/bar:1"},
        GoodCase{"docker-archive:d.tar:localhost:5000/a/b:v2",
                 Transport::kDockerArchive, "d.tar", "localhost:5000/a/b:v2",
                 "", "docker-archive:d.tar:localhost:5000/a/b:v2"},
        GoodCase{"docker-archive:d.tar:busybox", Transport::kDockerArchive,
                 "d.tar", "busybox:latest", "",
                 "docker-archive:d.tar:busybox:latest"},
        GoodCase{"docker-archive:d.tar:registry.example.com:443/x",
                 Transport::kDockerArchive, "d.tar",
                 "registry.example.com:443/x:latest", "",
                 "docker-archive:d.tar:registry.example.com:443/x:latest"},
        // docker://: normalised like `docker pull`.
        GoodCase{"docker://registry.example.com:5000/team/app:1.4",
                 Transport::kRegistry, "registry.example.com:5000/team/app",
                 "1.4", "", "docker://registry.example.com:5000/team/app:1.4"},
        GoodCase{"docker://127.0.0.1:5000/app", Transport::kRegistry,
                 "127.0.0.1:5000/app", "latest", "",
                 "docker://127.0.0.1:5000/app:latest"},
        GoodCase{"docker://localhost/app", Transport::kRegistry,
                 "localhost/app", "latest", "",
                 "docker://localhost/app:latest"},
        GoodCase{std::string("docker://quay.io/a/b@") + kDigest,
                 Transport::kRegistry, "quay.io/a/b", "", kDigest,
                 std::string("docker://quay.io/a/b@") + kDigest},
        GoodCase{"docker://busybox", Transport::kRegistry,
                 "docker.io/library/busybox", "latest", "",
                 "docker://docker.io/library/busybox:latest"},
        GoodCase{"docker://library/debian:12", Transport::kRegistry,
                 "docker.io/library/debian", "12", "",
                 "docker://docker.io/library/debian:12"},
        GoodCase{"docker://index.docker.io/foo/bar:x", Transport::kRegistry,
                 "docker.io/foo/bar", "x", "", "docker://docker.io/foo/bar:x"},
        GoodCase{"docker://[::1]:5000/app:1", Transport::kRegistry,
                 "[::1]:5000/app", "1", "", "docker://[::1]:5000/app:1"},
        GoodCase{"docker://r.io/a__b/c-d.e---f:_t", Transport::kRegistry,
                 "r.io/a__b/c-d.e---f", "_t", "",
                 "docker://r.io/a__b/c-d.e---f:_t"},
        // dir: and tar: take the rest as it is, colons included.
        GoodCase{"dir:/var/lib/rootfs", Transport::kRootfsDir,
                 "/var/lib/rootfs", "", "", "dir:/var/lib/rootfs"},
        GoodCase{"tar:/tmp/export.tar", Transport::kRootfsTar,
                 "/tmp/export.tar", "", "", "tar:/tmp/export.tar"},
        GoodCase{"tar:/tmp/a:b.tar", Transport::kRootfsTar, "/tmp/a:b.tar", "",
                 "", "tar:/tmp/a:b.tar"}));

struct BadCase {
  std::string input;
  std::string message_part;
};

class ParseImageRefBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseImageRefBad, IsInvalidArgumentNamingTheProblem) {
  const BadCase& c = GetParam();
  absl::StatusOr<ImageRef> r = ParseImageRef(c.input);
  ASSERT_FALSE(r.ok()) << c.input << " parsed as " << r->ToString();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message_part))
      << r.status();
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("image reference \"" + c.input + "\""));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ParseImageRefBad,
    ::testing::Values(
        BadCase{"", "no transport"}, BadCase{"/just/a/path", "no transport"},
        BadCase{"ftp:/x", "unknown transport \"ftp\""},
        BadCase{"oci:", "empty path"}, BadCase{"oci::tag", "empty path"},
        BadCase{"oci:/l:-bad", "invalid tag \"-bad\""},
        BadCase{"oci:/l:a b", "invalid tag \"a b\""},
        BadCase{"oci:/l:a//b", "invalid tag"},
        BadCase{"oci:/l:@0", "source index \"@0\" is not supported"},
        BadCase{"oci-archive::x", "empty path"},
        BadCase{"docker-archive:", "empty path"},
        BadCase{"docker-archive:d.tar:foo/Bar:1", "must be lowercase"},
        BadCase{"docker-archive:d.tar:foo:bad tag", "invalid tag"},
        BadCase{std::string("docker-archive:d.tar:foo@") + kDigest,
                "not by digest"},
        BadCase{"docker-archive:d.tar:@1", "source index"},
        BadCase{"docker:registry/app", "want docker://"},
        BadCase{"docker://", "empty image name"},
        BadCase{"docker://r.io/", "has no repository"},
        BadCase{"docker://r.io/app:", "invalid tag \"\""},
        BadCase{"docker://r.io/app:-x", "invalid tag \"-x\""},
        BadCase{"docker://r.io/app@sha256:abc", "malformed digest"},
        BadCase{"docker://r.io/app@md5:0123", "only sha256"},
        BadCase{std::string("docker://r.io/app:1@") + kDigest, "not both"},
        BadCase{"docker://r.io/App", "must be lowercase"},
        BadCase{"docker://r.io/a..b", "invalid repository name"},
        BadCase{"docker://r.io/-a", "invalid repository name"},
        BadCase{"docker://r.io:/a", "invalid registry host \"r.io:\""},
        BadCase{"docker://r.io:50x0/a", "invalid registry host"},
        BadCase{"docker://-r.io/a", "invalid registry host"},
        BadCase{"docker://r.io/" + std::string(300, 'a'), "limit 255"},
        BadCase{"dir:", "empty path"}, BadCase{"tar:", "empty path"}));

TEST(TransportName, NamesEveryTransportAsTheReferenceSyntaxDoes) {
  EXPECT_EQ(TransportName(Transport::kOciDir), "oci");
  EXPECT_EQ(TransportName(Transport::kOciArchive), "oci-archive");
  EXPECT_EQ(TransportName(Transport::kDockerArchive), "docker-archive");
  EXPECT_EQ(TransportName(Transport::kRegistry), "docker");
  EXPECT_EQ(TransportName(Transport::kRootfsDir), "dir");
  EXPECT_EQ(TransportName(Transport::kRootfsTar), "tar");
}

TEST(ImageRef, ToStringOfRegistryRefWithoutTagOrDigestParsesAsLatest) {
  ImageRef r;
  r.transport = Transport::kRegistry;
  r.path = "r.io/app";
  EXPECT_EQ(r.ToString(), "docker://r.io/app");
  absl::StatusOr<ImageRef> again = ParseImageRef(r.ToString());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->tag, "latest");
}

}  // namespace
}  // namespace dci
