// End to end over real gRPC on loopback: the dcid and dci binaries, the
// shared OCI test data (other projects' fixtures) and their expected lists.
#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "tests/integration/harness.h"

namespace dci::testing {
namespace {

using nlohmann::json;

std::string TestData(const std::string& rel) {
  return std::string(DCI_TESTDATA_DIR) + "/" + rel;
}

#define REQUIRE_TESTDATA()                                               \
  do {                                                                   \
    if (!Exists(DCI_TESTDATA_DIR)) {                                     \
      if (std::getenv("CI")) FAIL() << "missing " << DCI_TESTDATA_DIR;   \
      GTEST_SKIP() << "SKIPPED: shared test data not at "                \
                   << DCI_TESTDATA_DIR << " (outside CI)";               \
    }                                                                    \
  } while (0)

std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

json Json(const CommandResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

std::string TypeLetter(const json& e) {
  std::string t = e.value("type", "ENTRY_TYPE_FILE");
  if (t == "ENTRY_TYPE_DIR") return "d";
  if (t == "ENTRY_TYPE_SYMLINK") return "l";
  if (t == "ENTRY_TYPE_HARDLINK") return "h";
  if (t == "ENTRY_TYPE_FIFO") return "p";
  if (t == "ENTRY_TYPE_CHAR_DEVICE") return "c";
  if (t == "ENTRY_TYPE_BLOCK_DEVICE") return "b";
  return "f";
}

// "path\ttype\tsize" for every file of `image` as dci lists it.
std::multiset<std::string> Flattened(const DcidProcess& d,
                                     const std::string& image) {
  CommandResult r = d.Dci({"files", image, "--output", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::multiset<std::string> out;
  const json files = Json(r);
  for (const json& e : files["files"]) {
    std::string size = TypeLetter(e) == "f" ? e["size"].dump() : "0";
    if (size.front() == '"') size = size.substr(1, size.size() - 2);
    out.insert(e["path"].get<std::string>() + "\t" + TypeLetter(e) + "\t" +
               size);
  }
  return out;
}

TEST(GrpcEndToEnd, OciLayoutWithNestedIndexesMatchesExpectedLists) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  const std::string dir = TestData("oci/gcr-layout-test_index");
  auto descriptors = ReadTsv(dir + "/expected.descriptors.tsv");
  auto flattened = ReadTsv(dir + "/expected.flattened.tsv");
  // Ref N of index.json and the expected.*.tsv key of the image it picks
  // (refs 3 and 4 are a nested OCI index and a Docker manifest list).
  const std::pair<std::string, std::string> kRefs[] = {
      {"1", "index[0]:1"}, {"2", "index[1]:2"}, {"3", "index[2]:3/0"},
      {"4", "index[3]:4/0"}};
  for (const auto& [ref, key] : kRefs) {
    SCOPED_TRACE("ref " + ref);
    CommandResult idx = dcid.Dci(
        {"index", "oci:" + dir + "/layout:" + ref, "--output", "json"});
    ASSERT_EQ(idx.exit_code, 0) << idx.err;
    json sum = Json(idx);
    std::map<std::string, std::string> want;  // role -> digest
    std::map<std::string, std::string> want_type;
    for (const auto& row : descriptors) {
      if (row[0] != key) continue;
      want[row[1]] = row[2];
      if (row.size() > 4) want_type[row[1]] = row[4];
    }
    EXPECT_EQ(sum["manifestDigest"], want["manifest"]);
    EXPECT_EQ(sum["configDigest"], want["config"]);
    CommandResult show = dcid.Dci({"show", want["manifest"], "--output", "json"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    json img = Json(show);
    EXPECT_EQ(img["configMediaType"], want_type["config"]);
    ASSERT_EQ(img["layers"].size(), 1u);
    EXPECT_EQ(img["layers"][0]["blobDigest"], want["layer0"]);
    EXPECT_EQ(img["layers"][0]["mediaType"], want_type["layer0"]);
    EXPECT_EQ(img["layers"][0]["diffId"], want["diffid0"]);

    std::multiset<std::string> expected;
    for (const auto& row : flattened) {
      if (row[0] == key) expected.insert(row[1] + "\t" + row[2] + "\t" + row[3]);
    }
    EXPECT_EQ(Flattened(dcid, want["manifest"]), expected);
  }
}

TEST(GrpcEndToEnd, DockerSaveWithWhiteoutMatchesExpectedLists) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  const std::string dir = TestData("oci/gcr-dockersave-whiteout_image");
  CommandResult idx = dcid.Dci({"index",
                                "docker-archive:" + dir + "/whiteout_image.tar",
                                "--output", "json"});
  ASSERT_EQ(idx.exit_code, 0) << idx.err;
  json sum = Json(idx);
  EXPECT_EQ(sum["layersNew"], 3);
  ASSERT_EQ(sum["tags"].size(), 1u);
  EXPECT_EQ(sum["tags"][0]["name"], "bazel/pkg/v1/mutate");
  EXPECT_EQ(sum["tags"][0]["tag"], "whiteout_image");

  std::multiset<std::string> expected;
  for (const auto& row : ReadTsv(dir + "/expected.flattened.tsv")) {
    expected.insert(row[1] + "\t" + row[2] + "\t" + row[3]);
  }
  EXPECT_EQ(Flattened(dcid, "bazel/pkg/v1/mutate:whiteout_image"), expected);

  CommandResult show = dcid.Dci(
      {"show", "bazel/pkg/v1/mutate:whiteout_image", "--output", "json"});
  json img = Json(show);
  // docker save's layer.tar files are uncompressed: blob digest = diff_id.
  std::vector<std::string> sizes;
  for (const auto& row : ReadTsv(dir + "/expected.descriptors.tsv")) {
    if (row[1] == "config") {
      EXPECT_EQ(img["configDigest"], "sha256:" + row[2].substr(0, 64));
    }
    if (row[1].rfind("layer", 0) == 0) sizes.push_back(row[3]);
  }
  ASSERT_EQ(img["layers"].size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(img["layers"][i]["blobDigest"], img["layers"][i]["diffId"]);
    EXPECT_EQ(img["layers"][i]["blobSize"], sizes[i]);
  }
}

// The raw bytes of a gRPC message.
std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const auto& sl : slices) {
    bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  return bytes;
}

TEST(GrpcEndToEnd, HealthServiceReportsServing) {
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  auto channel =
      grpc::CreateChannel(dcid.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  // grpc.health.v1.HealthCheckRequest{} is the empty message.
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string bytes = Bytes(response);
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

// grpc.reflection.v1alpha: list_services names the dci and health services.
TEST(GrpcEndToEnd, ReflectionListsServices) {
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  auto channel =
      grpc::CreateChannel(dcid.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  auto step = [&cq](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == want;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  // ServerReflectionRequest{list_services: ""}: field 7, empty string.
  grpc::Slice req("\x3a\x00", 2);
  grpc::ByteBuffer request(&req, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  ASSERT_TRUE(step(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(step(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::string bytes = Bytes(response);
  EXPECT_NE(bytes.find("dci.v1.Dci"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
}

TEST(GrpcEndToEnd, ExitCodesForUsageNotFoundAndUnreachable) {
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  EXPECT_EQ(dcid.Dci({"frobnicate"}).exit_code, 1);
  EXPECT_EQ(dcid.Dci({"diff", "onlyone"}).exit_code, 1);
  CommandResult nf = dcid.Dci({"show", "nosuch:tag"});
  EXPECT_EQ(nf.exit_code, 2);
  EXPECT_NE(nf.err.find("no image \"nosuch:tag\""), std::string::npos) << nf.err;
  CommandResult bad = dcid.Dci({"index", "oci:/nonexistent/layout"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  std::string addr = dcid.address();
  EXPECT_EQ(dcid.Stop(), 0);  // clean shutdown on SIGTERM
  CommandResult down =
      RunCommand({BinaryPath("dci"), "--server", addr, "images"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_NE(down.err.find("cannot reach dcid"), std::string::npos) << down.err;
}

TEST(GrpcEndToEnd, CorruptLayerIsRejectedAndNothingIsStored) {
  REQUIRE_TESTDATA();
  char tmpl[] = "/tmp/dci-corrupt-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_EQ(std::system(("cp -r " + TestData("oci/gcr-layout-test_index/layout") +
                         " " + dir + "/layout && chmod -R u+w " + dir)
                            .c_str()),
            0);
  // Flip one byte of ref 1's layer blob.
  std::string blob = dir +
      "/layout/blobs/sha256/"
      "dc52c6e48a1d51a96047b059f16889bc889c4b4c28f3b36b3f93187f62fc0b2b";
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x5a');
  }
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  CommandResult r = dcid.Dci({"index", "oci:" + dir + "/layout:1"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("layer 0 (sha256:dc52c6e48a1d"), std::string::npos)
      << r.err;
  // The server keeps serving, and stored nothing.
  CommandResult images = dcid.Dci({"images", "--output", "json"});
  ASSERT_EQ(images.exit_code, 0) << images.err;
  EXPECT_EQ(Json(images).value("images", json::array()).size(), 0u);
  // A good image still indexes afterwards.
  CommandResult good = dcid.Dci({"index", "oci:" + dir + "/layout:2"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace dci::testing
