// Images indexed straight from a registry, end to end: docker-registry
// processes on 127.0.0.1 holding the sample images (pushed by skopeo), the
// real dcid, and the dci binary; the registry watcher seen through a
// Subscribe stream.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/integration/subscriber.h"
#include "tests/registry/registry_fixture.h"
#include "tests/registry/registry_test_util.h"

namespace dci::testing {
namespace {

using json = nlohmann::json;

constexpr char kRepo[] = "dci/debian";

json RunJson(const DcidProcess& dcid, std::vector<std::string> args) {
  args.push_back("--output");
  args.push_back("json");
  CommandResult r = dcid.Dci(args);
  EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.err;
  if (r.exit_code != 0) return json::object();
  return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

std::vector<std::string> Split(const std::string& csv) {
  return absl::StrSplit(csv, ',');
}

long long BlobSize(const std::string& digest) {
  return static_cast<long long>(
      std::filesystem::file_size(LayoutBlobPath(digest)));
}

// What an image is, apart from where and when it was indexed.
json Comparable(json image) {
  image.erase("source");
  image.erase("indexedAt");
  image.erase("tags");
  return image;
}

int Push(const std::string& from_tag, const std::string& to,
         std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"skopeo", "copy", "--quiet",
                                   "--dest-tls-verify=false"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(absl::StrCat("oci:", SamplesDir(), "/layout:", from_tag));
  argv.push_back("docker://" + to);
  std::string out;
  int rc = Run(argv, &out);
  EXPECT_EQ(rc, 0) << out;
  return rc;
}

// Counts the A/D/M lines of a sample's expected path diff ("KIND\tPATH\t
// TYPE\tWHAT"), and as 'C' the config files among them: regular files
// under etc/ added, or changed in content.
std::map<char, int> ExpectedDiffCounts(const std::string& name) {
  std::map<char, int> n;
  for (absl::string_view line : absl::StrSplit(
           ReadFile(SamplesDir() + "/expected/" + name), '\n',
           absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    ++n[line[0]];
    if (f.size() >= 3 && absl::StartsWith(f[1], "etc/") && f[2] == "f" &&
        (f[0] == "A" || (f.size() >= 4 && absl::StrContains(f[3], "content")))) {
      ++n['C'];
    }
  }
  return n;
}

class RegistryE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    DCI_REQUIRE_SAMPLE_STORAGE(s);
    storage_ = s;
    env_ = SamplesEnv();
    dcid_ = std::make_unique<DcidProcess>();
    ASSERT_TRUE(dcid_->ok());
  }
  std::string Ref(const std::string& tag) const {
    return absl::StrCat("docker://", storage_->registry->address(), "/", kRepo,
                        ":", tag);
  }
  const SampleStorage* storage_ = nullptr;
  std::map<std::string, std::string> env_;
  std::unique_ptr<DcidProcess> dcid_;
};

TEST_F(RegistryE2E, SameImageAsFromTheOciLayout) {
  const json summary = RunJson(*dcid_, {"index", Ref("v2")});
  ASSERT_EQ(summary.value("manifestDigest", ""), env_["DEBIAN_V2_MANIFEST"]);
  EXPECT_EQ(summary.value("layersNew", 0), 2);

  DcidProcess local;
  ASSERT_TRUE(local.ok());
  const json from_layout = RunJson(
      local, {"index", "oci:" + SamplesDir() + "/layout:debian-v2"});
  ASSERT_EQ(from_layout.value("manifestDigest", ""),
            env_["DEBIAN_V2_MANIFEST"]);

  const std::string digest = env_["DEBIAN_V2_MANIFEST"];
  const json a = RunJson(*dcid_, {"show", digest});
  const json b = RunJson(local, {"show", digest});
  ASSERT_TRUE(a.contains("layers"));
  EXPECT_EQ(a["layers"].size(), 2u);
  EXPECT_EQ(a["layers"][0]["diffId"], b["layers"][0]["diffId"]);
  EXPECT_EQ(a["layers"][1]["diffId"], b["layers"][1]["diffId"]);
  EXPECT_EQ(Comparable(a), Comparable(b));
  // The registry image is tagged HOST:PORT/REPO:TAG.
  ASSERT_EQ(a["tags"].size(), 1u);
  EXPECT_EQ(a["tags"][0]["name"],
            absl::StrCat(storage_->registry->address(), "/", kRepo));
  EXPECT_EQ(a["tags"][0]["tag"], "v2");

  const json files_a = RunJson(*dcid_, {"files", digest});
  const json files_b = RunJson(local, {"files", digest});
  EXPECT_GT(files_a.value("files", json::array()).size(), 8000u);
  EXPECT_EQ(files_a, files_b);
  const json pkgs_a = RunJson(*dcid_, {"packages", digest});
  const json pkgs_b = RunJson(local, {"packages", digest});
  EXPECT_GT(pkgs_a.value("packages", json::array()).size(), 80u);
  EXPECT_EQ(pkgs_a, pkgs_b);
}

TEST_F(RegistryE2E, SecondVersionFetchesOnlyTheNewLayer) {
  const json v1 = RunJson(*dcid_, {"index", Ref("v1")});
  const std::vector<std::string> v1_layers = Split(env_["DEBIAN_V1_LAYERS"]);
  EXPECT_EQ(std::stoll(v1.value("bytesFetched", "0")),
            BlobSize(v1_layers[0]) + BlobSize(env_["DEBIAN_V1_CONFIG"]) +
                BlobSize(env_["DEBIAN_V1_MANIFEST"]));

  const json v2 = RunJson(*dcid_, {"index", Ref("v2")});
  EXPECT_EQ(v2.value("manifestDigest", ""), env_["DEBIAN_V2_MANIFEST"]);
  EXPECT_EQ(v2.value("layersNew", 0), 1);
  EXPECT_EQ(v2.value("layersKnown", 0), 1);
  EXPECT_EQ(std::stoll(v2.value("bytesFetched", "0")),
            BlobSize(env_["DEBIAN_V2_TOP_LAYER"]) +
                BlobSize(env_["DEBIAN_V2_CONFIG"]) +
                BlobSize(env_["DEBIAN_V2_MANIFEST"]));

  // The same image again: the manifest and config only.
  const json again = RunJson(*dcid_, {"index", Ref("v2")});
  EXPECT_EQ(std::stoll(again.value("bytesFetched", "0")),
            BlobSize(env_["DEBIAN_V2_CONFIG"]) +
                BlobSize(env_["DEBIAN_V2_MANIFEST"]));
}

TEST_F(RegistryE2E, InspectReadsManifestAndConfigAndStoresNothing) {
  const json img = RunJson(*dcid_, {"inspect", Ref("v3")});
  EXPECT_EQ(img.value("manifestDigest", ""), env_["DEBIAN_V3_MANIFEST"]);
  EXPECT_EQ(img.value("configDigest", ""), env_["DEBIAN_V3_CONFIG"]);
  const std::vector<std::string> layers = Split(env_["DEBIAN_V3_LAYERS"]);
  ASSERT_EQ(img["layers"].size(), layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(img["layers"][i]["blobDigest"], layers[i]);
    EXPECT_EQ(std::stoll(img["layers"][i].value("blobSize", "0")),
              BlobSize(layers[i]));
  }
  EXPECT_EQ(img["platform"]["architecture"], "amd64");
  bool app_mode = false;
  for (const json& e : img.value("env", json::array())) {
    if (e == "APP_MODE=v3") app_mode = true;
  }
  EXPECT_TRUE(app_mode) << img.dump();

  const json images = RunJson(*dcid_, {"images"});
  EXPECT_EQ(images.value("images", json::array()).size(), 0u);
}

TEST_F(RegistryE2E, MissingTagIsNotFoundAndTheServerKeepsServing) {
  CommandResult r = dcid_->Dci({"index", Ref("no-such-tag")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "no-such-tag")) << r.err;
  EXPECT_EQ(RunJson(*dcid_, {"images"}).value("images", json::array()).size(),
            0u);
  EXPECT_EQ(RunJson(*dcid_, {"index", Ref("v1")}).value("manifestDigest", ""),
            env_["DEBIAN_V1_MANIFEST"]);
}

TEST_F(RegistryE2E, RegistryNobodyListensOnIsAFailedRequestNotALostServer) {
  std::unique_ptr<RegistryProcess> gone =
      std::make_unique<RegistryProcess>(storage_->storage, "");
  ASSERT_TRUE(gone->ok());
  const std::string address = gone->address();
  gone.reset();  // the port is closed now
  // Retries are bounded by dcid's --registry-retries.
  DcidProcess dcid({"--registry-retries", "1"});
  ASSERT_TRUE(dcid.ok());
  CommandResult r = dcid.Dci(
      {"index", absl::StrCat("docker://", address, "/", kRepo, ":v1")});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(absl::StartsWith(
      r.err, absl::StrCat("dci: registry ", address, ": manifest ", kRepo,
                          ":v1 (after 1 retries): ")))
      << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, "cannot reach dcid")) << r.err;
  r = dcid.Dci(
      {"inspect", absl::StrCat("docker://", address, "/", kRepo, ":v1")});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(dcid.Dci({"images"}).exit_code, 0);
}

// A registry storage whose blob `digest` has a few bytes changed: a
// hard-linked copy of the sample storage with that one file rewritten.
std::string TamperedStorage(const std::string& storage,
                            const std::string& digest) {
  std::string dir = MakeTempDir("dci-tampered-e2e");
  std::string out;
  EXPECT_EQ(Run({"cp", "-al", storage, dir + "/storage"}, &out), 0) << out;
  std::string path = StorageBlobPath(dir + "/storage", digest);
  std::string data = ReadFileOrEmpty(path);
  EXPECT_GT(data.size(), 100u) << path;
  for (size_t i = 0; i < 8 && data.size() > 100; ++i) {
    data[data.size() / 2 + i] ^= 0x5a;
  }
  EXPECT_TRUE(WriteFile(path + ".new", data));
  std::filesystem::rename(path + ".new", path);
  return dir;
}

TEST_F(RegistryE2E, TamperedLayerIsRefusedAndNothingIsStored) {
  const std::string layer = env_["DEBIAN_V2_TOP_LAYER"];
  const std::string dir = TamperedStorage(storage_->storage, layer);
  {
    RegistryProcess tampered(dir + "/storage", "");
    ASSERT_TRUE(tampered.ok()) << tampered.log();
    const std::string ref =
        absl::StrCat("docker://", tampered.address(), "/", kRepo, ":v2");
    CommandResult r = dcid_->Dci({"index", ref});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "layer 1 (" + layer + ")")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "blob digest mismatch: expected " + layer)) << r.err;
    // Nothing of v2 was kept, not even its untouched base layer.
    EXPECT_EQ(
        RunJson(*dcid_, {"images"}).value("images", json::array()).size(), 0u);
    // The base layer is intact there: v1 indexes, and v2 is still refused
    // with v1's layer known (its blob is not fetched again).
    const json v1 = RunJson(
        *dcid_, {"index", absl::StrCat("docker://", tampered.address(), "/",
                                       kRepo, ":v1")});
    EXPECT_EQ(v1.value("manifestDigest", ""), env_["DEBIAN_V1_MANIFEST"]);
    EXPECT_EQ(dcid_->Dci({"index", ref}).exit_code, 4);
    EXPECT_EQ(
        RunJson(*dcid_, {"images"}).value("images", json::array()).size(), 1u);
  }
  std::filesystem::remove_all(dir);
}

class RegistryE2EBasicAuth : public RegistryE2E {
 protected:
  void SetUp() override {
    RegistryE2E::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    dir_ = MakeTempDir("dci-htpasswd-e2e");
    std::string out;
    ASSERT_EQ(testing::Run({"htpasswd", "-Bbn", "alice", "right-pass"}, &out), 0)
        << out;
    ASSERT_TRUE(WriteFile(dir_ + "/htpasswd", out));
    registry_ = std::make_unique<RegistryProcess>(
        storage_->storage,
        absl::StrCat("auth:\n  htpasswd:\n    realm: dci-test\n    path: ",
                     dir_, "/htpasswd\n"));
    ASSERT_TRUE(registry_->ok()) << registry_->log();
  }
  void TearDown() override {
    registry_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string AuthRef(const std::string& tag) const {
    return absl::StrCat("docker://", registry_->address(), "/", kRepo, ":",
                        tag);
  }
  std::string dir_;
  std::unique_ptr<RegistryProcess> registry_;
};

TEST_F(RegistryE2EBasicAuth, CredentialsAndAuthfileThroughDci) {
  CommandResult none = dcid_->Dci({"index", AuthRef("v1")});
  EXPECT_EQ(none.exit_code, 4) << none.err;
  EXPECT_TRUE(absl::StrContains(none.err, "give credentials")) << none.err;

  CommandResult wrong =
      dcid_->Dci({"index", AuthRef("v1"), "--creds", "alice:wrong-pass"});
  EXPECT_EQ(wrong.exit_code, 4) << wrong.err;
  EXPECT_EQ(wrong.err, absl::StrCat("dci: registry ", registry_->address(),
                                    " rejected the credentials of user "
                                    "\"alice\"\n"));
  EXPECT_EQ(RunJson(*dcid_, {"images"}).value("images", json::array()).size(),
            0u);

  const json ok =
      RunJson(*dcid_, {"index", AuthRef("v1"), "--creds", "alice:right-pass"});
  EXPECT_EQ(ok.value("manifestDigest", ""), env_["DEBIAN_V1_MANIFEST"]);

  const std::string authfile = dir_ + "/config.json";
  ASSERT_TRUE(WriteFile(
      authfile,
      absl::StrCat(R"({"auths":{")", registry_->address(), R"(":{"auth":")",
                   absl::Base64Escape("alice:right-pass"), R"("}}})")));
  const json img =
      RunJson(*dcid_, {"inspect", AuthRef("v3"), "--authfile", authfile});
  EXPECT_EQ(img.value("manifestDigest", ""), env_["DEBIAN_V3_MANIFEST"]);
  const json v2 =
      RunJson(*dcid_, {"index", AuthRef("v2"), "--authfile", authfile});
  EXPECT_EQ(v2.value("layersKnown", 0), 1);
}

TEST_F(RegistryE2E, BearerTokenFlowThroughDci) {
  TokenIssuer issuer(TokenIssuer::KeyRef::kX5c, "alice", "right-pass");
  ASSERT_TRUE(issuer.ok());
  RegistryProcess registry(storage_->storage, issuer.AuthYaml());
  ASSERT_TRUE(registry.ok()) << registry.log();
  const std::string ref =
      absl::StrCat("docker://", registry.address(), "/", kRepo, ":v2");

  CommandResult wrong = dcid_->Dci({"index", ref, "--creds", "alice:nope"});
  EXPECT_EQ(wrong.exit_code, 4) << wrong.err;
  EXPECT_TRUE(absl::StrContains(wrong.err, "alice")) << wrong.err;

  const json ok = RunJson(*dcid_, {"index", ref, "--creds", "alice:right-pass"});
  EXPECT_EQ(ok.value("manifestDigest", ""), env_["DEBIAN_V2_MANIFEST"]);
  EXPECT_EQ(issuer.last_scope(), "repository:dci/debian:pull");
  EXPECT_EQ(issuer.last_authorization(),
            "Basic " + absl::Base64Escape("alice:right-pass"));
}

// The watcher, seen only through events: nobody calls index.
TEST(RegistryWatcherE2E, TagsCreatedMovedAndRemovedBecomeEventsAcrossRestarts) {
  DCI_REQUIRE_SAMPLE_STORAGE(s);
  const std::map<std::string, std::string> env = SamplesEnv();
  const std::string dir = MakeTempDir("dci-watch-e2e");
  RegistryProcess registry(dir, "", "", /*allow_delete=*/true);
  ASSERT_TRUE(registry.ok()) << registry.log();
  const std::string repo = registry.address() + "/team/app";
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());

  const json watch = RunJson(dcid, {"watch-repo", "add", "docker://" + repo,
                                    "--interval", "1s"});
  EXPECT_EQ(watch.value("repository", ""), repo);
  v1::SubscribeRequest req;
  req.set_since(0);
  auto sub = std::make_unique<Subscriber>(dcid.address(), req);

  ASSERT_EQ(Push("debian-v1", repo + ":latest"), 0);
  std::vector<v1::Event> ev = sub->WaitFor(2, absl::Seconds(60));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind(), v1::IMAGE_INDEXED);
  EXPECT_EQ(ev[1].kind(), v1::TAG_CREATED);
  EXPECT_EQ(ev[1].name(), repo);
  EXPECT_EQ(ev[1].tag(), "latest");
  EXPECT_EQ(ev[1].image(), env.at("DEBIAN_V1_MANIFEST"));

  ASSERT_EQ(Push("debian-v2", repo + ":latest"), 0);
  ev = sub->WaitFor(4, absl::Seconds(60));
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[2].kind(), v1::IMAGE_INDEXED);
  const v1::Event& moved = ev[3];
  EXPECT_EQ(moved.kind(), v1::TAG_MOVED);
  EXPECT_EQ(moved.tag(), "latest");
  EXPECT_EQ(moved.old_image(), env.at("DEBIAN_V1_MANIFEST"));
  EXPECT_EQ(moved.image(), env.at("DEBIAN_V2_MANIFEST"));
  std::map<char, int> want = ExpectedDiffCounts("debian-v1-to-v2.diff.txt");
  EXPECT_EQ(moved.drift().files_added(), want['A']);
  EXPECT_EQ(moved.drift().files_removed(), want['D']);
  EXPECT_EQ(moved.drift().files_changed(), want['M']);
  EXPECT_EQ(std::vector<std::string>(moved.drift().packages_added().begin(),
                                     moved.drift().packages_added().end()),
            (std::vector<std::string>{"less", "libncursesw6", "libproc2-0",
                                      "procps"}));
  EXPECT_EQ(moved.drift().configs_changed(), want['C']);
  bool app_mode = false;
  for (const std::string& m : moved.drift().metadata_changed()) {
    if (m == "env:APP_MODE") app_mode = true;
  }
  EXPECT_TRUE(app_mode);
  sub.reset();

  // The watch list and the tags' state survive a restart.
  ASSERT_TRUE(dcid.Restart());
  const json list = RunJson(dcid, {"watch-repo", "list"});
  ASSERT_EQ(list.value("watches", json::array()).size(), 1u);
  EXPECT_EQ(list["watches"][0]["repository"], repo);
  req.set_since(ev.back().seq());
  sub = std::make_unique<Subscriber>(dcid.address(), req);

  ASSERT_EQ(Push("debian-v3", repo + ":stable"), 0);
  ev = sub->WaitFor(2, absl::Seconds(60));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind(), v1::IMAGE_INDEXED);
  EXPECT_EQ(ev[1].kind(), v1::TAG_CREATED);
  EXPECT_EQ(ev[1].tag(), "stable");

  // Deleting v3's manifest takes the tag "stable" with it.
  std::string out;
  ASSERT_EQ(testing::Run({"skopeo", "delete", "--tls-verify=false",
                 "docker://" + repo + ":stable"},
                &out),
            0)
      << out;
  ev = sub->WaitFor(3, absl::Seconds(60));
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2].kind(), v1::TAG_REMOVED);
  EXPECT_EQ(ev[2].tag(), "stable");
  EXPECT_EQ(ev[2].image(), env.at("DEBIAN_V3_MANIFEST"));

  const json history = RunJson(dcid, {"history", repo + ":latest"});
  EXPECT_EQ(history.value("entries", json::array()).size(), 2u)
      << history.dump();
  EXPECT_EQ(RunJson(dcid, {"watch-repo", "remove", "docker://" + repo}),
            json::object());
  EXPECT_EQ(RunJson(dcid, {"watch-repo", "list"})
                .value("watches", json::array())
                .size(),
            0u);
  sub.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dci::testing
