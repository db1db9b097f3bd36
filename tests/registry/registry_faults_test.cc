// RegistryClient against misbehaving servers written here (on 127.0.0.1):
// connections dropped mid-blob, 5xx and 429, redirects to another host,
// schema 1 and oversized manifests, paginated tag lists.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/digest.h"
#include "gtest/gtest.h"
#include "indexer/registry/registry_client.h"
#include "tests/registry/registry_test_util.h"
#include "tests/registry/test_http_server.h"

namespace dci {
namespace {

using testing::Drain;
using testing::Drained;
using testing::FastRetries;
using testing::MakeClient;
using testing::SendResponse;
using testing::TestConnection;
using testing::TestHttpServer;
using testing::TestRequest;

constexpr char kRepo[] = "dci/fake";

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// A blob server: serves `blob` at /v2/dci/fake/blobs/<digest>. Response i
// (0-based) is cut after cut_after[i] body bytes when i < cut_after.size()
// (-1: not cut). Ranges are honoured when `ranges` is set.
class BlobServer {
 public:
  BlobServer(std::string blob, std::vector<long long> cut_after, bool ranges)
      : blob_(std::move(blob)),
        digest_(Sha256::Of(blob_)),
        cut_after_(std::move(cut_after)),
        ranges_(ranges),
        server_([this](const TestRequest& r, TestConnection& c) {
          Handle(r, c);
        }) {}

  const std::string& digest() const { return digest_; }
  std::string address() const { return server_.address(); }
  std::vector<std::string> ranges_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return ranges_seen_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(ranges_seen_.size());
  }

 private:
  void Handle(const TestRequest& req, TestConnection& conn) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      i = ranges_seen_.size();
      ranges_seen_.push_back(req.Header("range"));
    }
    if (req.path != absl::StrCat("/v2/", kRepo, "/blobs/", digest_)) {
      SendResponse(
          conn, 404, {},
          R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
      return;
    }
    long long start = 0;
    std::string header = req.Header("range");
    absl::string_view range = header;
    if (ranges_ && absl::ConsumePrefix(&range, "bytes=") &&
        absl::ConsumeSuffix(&range, "-")) {
      if (!absl::SimpleAtoi(range, &start)) start = 0;
    }
    std::string body = blob_.substr(static_cast<size_t>(start));
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/octet-stream"}};
    if (ranges_) headers.push_back({"Accept-Ranges", "bytes"});
    int status = 200;
    if (start > 0) {
      status = 206;
      headers.push_back(
          {"Content-Range", absl::StrCat("bytes ", start, "-", blob_.size() - 1,
                                         "/", blob_.size())});
    }
    if (!conn.Send(testing::ResponseHead(
            status, headers, static_cast<long long>(body.size())))) {
      return;
    }
    long long cut = i < cut_after_.size() ? cut_after_[i] : -1;
    if (cut >= 0 && cut < static_cast<long long>(body.size())) {
      body.resize(static_cast<size_t>(cut));
    }
    conn.Send(body);
  }

  const std::string blob_;
  const std::string digest_;
  const std::vector<long long> cut_after_;
  const bool ranges_;
  std::mutex mu_;
  std::vector<std::string> ranges_seen_;
  TestHttpServer server_;  // last: stops before the members it uses go
};

TEST(RegistryFaults, DroppedBlobResumesWithRange) {
  std::string blob = RandomBytes(1 << 20);
  BlobServer server(blob, {300000}, /*ranges=*/true);
  auto client = MakeClient(server.address(), kRepo, FastRetries(3));
  auto stream =
      client->OpenBlob(server.digest(), static_cast<long long>(blob.size()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::StatusOr<Drained> got = Drain(**stream, 4096, /*keep=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->data == blob);
  EXPECT_EQ(server.ranges_seen(),
            (std::vector<std::string>{"", "bytes=300000-"}));
  EXPECT_EQ(client->bytes_fetched(), static_cast<long long>(blob.size()));
}

TEST(RegistryFaults, DroppedBlobResumesWithoutRangeSupportBySkipping) {
  std::string blob = RandomBytes(1 << 20);
  BlobServer server(blob, {300000}, /*ranges=*/false);
  auto client = MakeClient(server.address(), kRepo, FastRetries(3));
  auto stream =
      client->OpenBlob(server.digest(), static_cast<long long>(blob.size()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::StatusOr<Drained> got = Drain(**stream, 4096, /*keep=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->data == blob);
  // The Range was asked for, ignored (200), and the first 300000 bytes of
  // the second answer were dropped.
  EXPECT_EQ(server.ranges_seen(),
            (std::vector<std::string>{"", "bytes=300000-"}));
  EXPECT_EQ(client->bytes_fetched(),
            static_cast<long long>(blob.size()) + 300000);
}

TEST(RegistryFaults, AlwaysDroppingServerIsUnavailableAfterBoundedRetries) {
  std::string blob = RandomBytes(1 << 20);
  BlobServer server(blob, {100000, 100000, 100000, 100000, 100000}, true);
  auto client = MakeClient(server.address(), kRepo, FastRetries(2));
  auto stream =
      client->OpenBlob(server.digest(), static_cast<long long>(blob.size()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::Status st = Drain(**stream).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(absl::StrContains(
      st.message(), absl::StrCat("blob ", server.digest(),
                                 ": 300000 of 1048576 bytes received in 3 "
                                 "attempts")))
      << st;
  EXPECT_EQ(server.requests(), 3);
  // The error sticks.
  char c;
  EXPECT_EQ((*stream)->Read(&c, 1).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(RegistryFaults, BlobMissingIsNotFoundAndNotRetried) {
  BlobServer server("abc", {}, true);
  auto client = MakeClient(server.address(), kRepo, FastRetries(3));
  absl::Status st =
      client->OpenBlob("sha256:" + std::string(64, 'b'), 3).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "BLOB_UNKNOWN")) << st;
  EXPECT_EQ(server.requests(), 1);
}

// Answers the first `failures` requests with `status`, then `body` with
// `content_type`.
class FlakyServer {
 public:
  FlakyServer(int failures, int status, std::string content_type,
              std::string body)
      : failures_(failures),
        status_(status),
        content_type_(std::move(content_type)),
        body_(std::move(body)),
        server_([this](const TestRequest& r, TestConnection& c) {
          if (requests_++ < failures_) {
            SendResponse(c, status_, {{"Retry-After", "0"}}, "busy");
            return;
          }
          SendResponse(c, 200,
                       {{"Content-Type", content_type_},
                        {"Docker-Content-Digest", Sha256::Of(body_)}},
                       body_);
        }) {}
  std::string address() const { return server_.address(); }
  int requests() const { return requests_.load(); }

 private:
  const int failures_;
  const int status_;
  const std::string content_type_;
  const std::string body_;
  std::atomic<int> requests_{0};
  TestHttpServer server_;
};

constexpr char kOciManifest[] =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";

TEST(RegistryFaults, ServerErrorsAndTooManyRequestsAreRetried) {
  for (int status : {500, 503, 429}) {
    SCOPED_TRACE(status);
    FlakyServer server(2, status, kOciManifestType, kOciManifest);
    auto client = MakeClient(server.address(), kRepo, FastRetries(3));
    absl::StatusOr<Manifest> m = client->GetManifest("t");
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->digest, Sha256::Of(kOciManifest));
    EXPECT_EQ(server.requests(), 3);
  }
}

TEST(RegistryFaults, PersistentServerErrorIsUnavailable) {
  FlakyServer server(100, 503, kOciManifestType, kOciManifest);
  auto client = MakeClient(server.address(), kRepo, FastRetries(2));
  absl::Status st = client->GetManifest("t").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(server.requests(), 3);
}

TEST(RegistryFaults, ClientErrorsAreFinal) {
  FlakyServer server(100, 400, kOciManifestType, kOciManifest);
  auto client = MakeClient(server.address(), kRepo, FastRetries(3));
  EXPECT_EQ(client->GetManifest("t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.requests(), 1);
}

TEST(RegistryFaults, NobodyListeningIsUnavailable) {
  int port;
  {
    TestHttpServer closed([](const TestRequest&, TestConnection&) {});
    port = closed.port();
  }
  auto client =
      MakeClient(absl::StrCat("127.0.0.1:", port), kRepo, FastRetries(2));
  absl::Status st = client->GetManifest("t").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "after 2 retries")) << st;
}

TEST(RegistryFaults, Schema1IsUnimplemented) {
  for (const char* type :
       {"application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json"}) {
    SCOPED_TRACE(type);
    FlakyServer server(0, 0, type, R"({"schemaVersion":1,"name":"x"})");
    auto client = MakeClient(server.address(), kRepo, FastRetries(0));
    absl::Status st = client->GetManifest("t").status();
    EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
    EXPECT_TRUE(
        absl::StrContains(st.message(), "schema 1 manifests are unsupported"))
        << st;
  }
  // Also when only the body says so.
  FlakyServer server(0, 0, "application/json",
                     R"({"schemaVersion":1,"name":"x"})");
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  EXPECT_EQ(client->GetManifest("t").status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(RegistryFaults, GenericContentTypeUsesTheManifestsMediaType) {
  FlakyServer server(0, 0, "application/json; charset=utf-8", kOciManifest);
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  absl::StatusOr<Manifest> m = client->GetManifest("t");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, kOciManifestType);
  FlakyServer other(0, 0, "text/html", "<html></html>");
  auto c2 = MakeClient(other.address(), kRepo, FastRetries(0));
  EXPECT_EQ(c2->GetManifest("t").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegistryFaults, ManifestNotMatchingItsDigestIsDataLoss) {
  FlakyServer server(0, 0, kOciManifestType, kOciManifest);
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  std::string other = "sha256:" + std::string(64, 'c');
  absl::Status st = client->GetManifest(other).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;

  // A Docker-Content-Digest that does not match the bytes.
  TestHttpServer liar([](const TestRequest&, TestConnection& c) {
    SendResponse(c, 200,
                 {{"Content-Type", kOciManifestType},
                  {"Docker-Content-Digest", "sha256:" + std::string(64, 'd')}},
                 kOciManifest);
  });
  auto c2 = MakeClient(liar.address(), kRepo, FastRetries(0));
  st = c2->GetManifest("t").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "Docker-Content-Digest")) << st;
}

TEST(RegistryFaults, EndlessManifestIsCutAtTheLimit) {
  // No Content-Length: the size shows only while reading.
  std::atomic<long long> sent{0};
  std::atomic<bool> finished{false};
  const long long total = 64 << 20;
  TestHttpServer server([&](const TestRequest&, TestConnection& c) {
    c.Send(
        testing::ResponseHead(200, {{"Content-Type", kOciManifestType}}, -1));
    std::string chunk(64 << 10, ' ');
    for (long long n = 0; n < total;
         n += static_cast<long long>(chunk.size())) {
      if (!c.Send(chunk)) break;
    }
    sent = c.sent();
    finished = true;
  });
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  absl::Status st = client->GetManifest("t").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  // The chunk that crossed the limit was received, then refused.
  EXPECT_GT(client->bytes_fetched(), 4 << 20);
  EXPECT_LE(client->bytes_fetched(), (4 << 20) + (64 << 10));
  for (int i = 0; i < 200 && !finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(finished);
  EXPECT_LT(sent.load(), total / 2);
}

TEST(RegistryFaults, RedirectedBlobDoesNotCarryTheRegistrysCredentials) {
  std::string blob = RandomBytes(200000);
  std::string digest = Sha256::Of(blob);
  std::mutex mu;
  std::string storage_auth = "unset";
  TestHttpServer storage([&](const TestRequest& r, TestConnection& c) {
    {
      std::lock_guard<std::mutex> lock(mu);
      storage_auth = r.Header("authorization");
    }
    SendResponse(c, 200, {{"Content-Type", "application/octet-stream"}}, blob);
  });
  std::string registry_auth;
  TestHttpServer registry([&](const TestRequest& r, TestConnection& c) {
    if (r.Header("authorization").empty()) {
      SendResponse(c, 401, {{"WWW-Authenticate", R"(Basic realm="fake")"}}, "");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      registry_auth = r.Header("authorization");
    }
    SendResponse(c, 307,
                 {{"Location", absl::StrCat("http://", storage.address(),
                                            "/data/", digest.substr(7))}},
                 "");
  });
  RegistryOptions o = FastRetries(0);
  o.credentials = "alice:pw";
  auto client = MakeClient(registry.address(), kRepo, o);
  auto stream = client->OpenBlob(digest, static_cast<long long>(blob.size()));
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::StatusOr<Drained> got = Drain(**stream);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->digest, digest);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(absl::StartsWith(registry_auth, "Basic ")) << registry_auth;
  EXPECT_EQ(storage_auth, "");
}

TEST(RegistryFaults, TagListFollowsLinkPages) {
  TestHttpServer server([](const TestRequest& r, TestConnection& c) {
    if (r.query.count("last") == 0) {
      SendResponse(
          c, 200,
          {{"Link", R"(</v2/dci/fake/tags/list?last=b&n=2>; rel="next")"}},
          R"({"name":"dci/fake","tags":["a","b"]})");
    } else if (r.query.at("last") == "b") {
      SendResponse(
          c, 200,
          {{"Link", R"(</v2/dci/fake/tags/list?last=d&n=2>; rel="next")"}},
          R"({"name":"dci/fake","tags":["c","d"]})");
    } else {
      SendResponse(c, 200, {}, R"({"name":"dci/fake","tags":["e"]})");
    }
  });
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  absl::StatusOr<std::vector<std::string>> tags = client->ListTags();
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  RegistryOptions o = FastRetries(0);
  o.max_tag_pages = 2;
  auto bounded = MakeClient(server.address(), kRepo, o);
  EXPECT_EQ(bounded->ListTags().status().code(),
            absl::StatusCode::kResourceExhausted);
  o.max_tag_pages = 100;
  o.max_tags = 4;
  bounded = MakeClient(server.address(), kRepo, o);
  EXPECT_EQ(bounded->ListTags().status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RegistryFaults, TagListLinkToAnotherHostIsRefused) {
  TestHttpServer server([](const TestRequest&, TestConnection& c) {
    SendResponse(
        c, 200,
        {{"Link",
          R"(<http://elsewhere.example/v2/x/tags/list?last=a>; rel="next")"}},
        R"({"tags":["a"]})");
  });
  auto client = MakeClient(server.address(), kRepo, FastRetries(0));
  absl::Status st = client->ListTags().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
}

TEST(RegistryFaults, BearerTokenRejectedLaterIsFetchedAgain) {
  // A registry whose tokens are single-use: the cached token gets a 401,
  // is dropped, and a new one is fetched.
  std::atomic<int> tokens{0};
  TestHttpServer issuer([&](const TestRequest&, TestConnection& c) {
    int n = ++tokens;
    SendResponse(
        c, 200, {{"Content-Type", "application/json"}},
        absl::StrCat(R"({"access_token":"tok-)", n, R"(","expires_in":300})"));
  });
  std::mutex mu;
  std::vector<std::string> used;
  TestHttpServer registry([&](const TestRequest& r, TestConnection& c) {
    std::string auth = r.Header("authorization");
    bool ok;
    {
      std::lock_guard<std::mutex> lock(mu);
      ok = absl::StartsWith(auth, "Bearer ") &&
           std::find(used.begin(), used.end(), auth) == used.end();
      if (ok) used.push_back(auth);
    }
    if (!ok) {
      SendResponse(
          c, 401,
          {{"WWW-Authenticate",
            absl::StrCat(
                R"(Bearer realm="http://)", issuer.address(),
                R"(/token",service="fake",scope="repository:dci/fake:pull")")}},
          R"({"errors":[{"code":"UNAUTHORIZED"}]})");
      return;
    }
    SendResponse(c, 200, {{"Content-Type", kOciManifestType}}, kOciManifest);
  });
  auto client = MakeClient(registry.address(), kRepo, FastRetries(0));
  ASSERT_TRUE(client->GetManifest("t").ok());
  EXPECT_EQ(tokens.load(), 1);
  ASSERT_TRUE(client->GetManifest("t").ok());
  EXPECT_EQ(tokens.load(), 2);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(used, (std::vector<std::string>{"Bearer tok-1", "Bearer tok-2"}));
}

}  // namespace
}  // namespace dci
