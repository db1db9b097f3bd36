// Real images made by real tools (scripts/make-sample-images.sh: mmdebstrap,
// umoci, skopeo), indexed through the real dcid and dci binaries, checked
// against an independent reference: `umoci unpack` of the same image.
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/content_hash.h"
#include "tests/integration/harness.h"

namespace dci::testing {
namespace {

using nlohmann::json;

#define REQUIRE_SAMPLES()                                                  \
  do {                                                                     \
    if (!Exists(SamplesDir() + "/layout/index.json")) {                    \
      if (std::getenv("CI")) FAIL() << "no sample images in " << SamplesDir(); \
      GTEST_SKIP() << "SKIPPED: no sample images in " << SamplesDir()      \
                   << "; run scripts/make-sample-images.sh";               \
    }                                                                      \
  } while (0)

// What both sides agree a path is: type letter, mode, owner, size (files),
// link target (symlinks), content hash (files), device numbers.
std::string Describe(char type, unsigned mode, long long uid, long long gid,
                     long long size, const std::string& link,
                     const std::string& hash, unsigned maj, unsigned min) {
  std::ostringstream s;
  s << type << " " << std::oct << mode << std::dec << " " << uid << ":" << gid;
  if (type == 'f') s << " " << size << " " << hash;
  if (type == 'l') s << " -> " << link;
  if (type == 'c' || type == 'b') s << " " << maj << "," << min;
  return s.str();
}

std::map<std::string, std::string>* g_walk = nullptr;
size_t g_root_len = 0;

int Visit(const char* fpath, const struct stat* st, int flag, struct FTW*) {
  std::string path(fpath + g_root_len);
  if (path.empty()) return 0;
  path = path.substr(1);  // leading '/'
  char type = '?';
  std::string link, hash;
  switch (st->st_mode & S_IFMT) {
    case S_IFREG: {
      type = 'f';
      std::ifstream in(fpath, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string data = ss.str();
      hash = ContentHashHex(ContentHasher::Of(data.data(), data.size()));
      break;
    }
    case S_IFDIR: type = 'd'; break;
    case S_IFLNK: {
      type = 'l';
      char buf[4096];
      ssize_t n = readlink(fpath, buf, sizeof buf);
      link.assign(buf, n > 0 ? n : 0);
      break;
    }
    case S_IFCHR: type = 'c'; break;
    case S_IFBLK: type = 'b'; break;
    case S_IFIFO: type = 'p'; break;
  }
  (*g_walk)[path] = Describe(type, st->st_mode & 07777, st->st_uid, st->st_gid,
                             st->st_size, link, hash, major(st->st_rdev),
                             minor(st->st_rdev));
  return 0;
}

// The unpacked root, described path by path (symlinks never followed).
std::map<std::string, std::string> WalkRootfs(const std::string& root) {
  std::map<std::string, std::string> out;
  g_walk = &out;
  g_root_len = root.size();
  nftw(root.c_str(), Visit, 64, FTW_PHYS);
  g_walk = nullptr;
  return out;
}

long long Int(const json& j, const char* key) {
  if (!j.contains(key)) return 0;
  const json& v = j[key];
  return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<long long>();
}

char Letter(const json& e) {
  std::string t = e.value("type", "ENTRY_TYPE_FILE");
  if (t == "ENTRY_TYPE_DIR") return 'd';
  if (t == "ENTRY_TYPE_SYMLINK") return 'l';
  if (t == "ENTRY_TYPE_CHAR_DEVICE") return 'c';
  if (t == "ENTRY_TYPE_BLOCK_DEVICE") return 'b';
  if (t == "ENTRY_TYPE_FIFO") return 'p';
  return 'f';  // files, and hardlinks: a regular file once unpacked
}

std::string DescribeJson(const json& e) {
  return Describe(Letter(e), static_cast<unsigned>(Int(e, "mode")),
                  Int(e, "uid"), Int(e, "gid"), Int(e, "size"),
                  e.value("linkTarget", ""), e.value("contentHash", ""),
                  static_cast<unsigned>(Int(e, "devMajor")),
                  static_cast<unsigned>(Int(e, "devMinor")));
}

json RunJson(const DcidProcess& d, std::vector<std::string> args) {
  args.push_back("--output");
  args.push_back("json");
  CommandResult r = d.Dci(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

std::map<std::string, std::string> DciTree(const DcidProcess& d,
                                           const std::string& image) {
  std::map<std::string, std::string> out;
  const json files = RunJson(d, {"files", image});
  for (const json& e : files["files"]) {
    out[e["path"].get<std::string>()] = DescribeJson(e);
  }
  return out;
}

class RealImages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dcid_ = new DcidProcess();
  }
  static void TearDownTestSuite() {
    delete dcid_;
    dcid_ = nullptr;
  }
  static json Index(const std::string& ref, const std::string& tag) {
    return RunJson(*dcid_, {"index", ref, "--tag", tag});
  }
  static std::string Layout() { return SamplesDir() + "/layout"; }
  static DcidProcess* dcid_;
};
DcidProcess* RealImages::dcid_ = nullptr;

TEST_F(RealImages, MergedTreesEqualUmociUnpack) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  for (int v = 1; v <= 3; ++v) {
    SCOPED_TRACE("debian-v" + std::to_string(v));
    std::string tag = "dci/debian:v" + std::to_string(v);
    json sum = Index("oci:" + Layout() + ":debian-v" + std::to_string(v), tag);
    auto ours = DciTree(*dcid_, tag);
    auto ref = WalkRootfs(SamplesDir() + "/refs/debian-v" + std::to_string(v) +
                          "/rootfs");
    ASSERT_GT(ref.size(), 3000u);
    EXPECT_EQ(ours.size(), ref.size());
    int shown = 0;
    for (const auto& [path, want] : ref) {
      auto it = ours.find(path);
      std::string got = it == ours.end() ? "<missing>" : it->second;
      if (got != want && shown++ < 20) {
        ADD_FAILURE() << path << ": dci says " << got << ", umoci unpack "
                      << want;
      }
    }
    for (const auto& [path, got] : ours) {
      if (!ref.count(path) && shown++ < 20) {
        ADD_FAILURE() << path << " listed by dci but not unpacked: " << got;
      }
    }
  }
}

TEST_F(RealImages, SharedBaseIsIndexedOnceAcrossCompressionsAndFormats) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  json v1 = Index("oci:" + Layout() + ":debian-v1", "dci/debian:v1");
  json v2 = Index("oci:" + Layout() + ":debian-v2", "dci/debian:v2");
  // Re-indexing a fully known image reads no layer.
  json again = Index("oci:" + Layout() + ":debian-v2", "dci/debian:v2");
  EXPECT_TRUE(again["alreadyIndexed"].get<bool>());
  EXPECT_EQ(again["layersNew"], 0);

  // zstd layers are the same layers: nothing new, another manifest.
  json z = Index("oci:" + SamplesDir() + "/layout-zstd:debian-v2",
                 "dci/debian-zstd:v2");
  EXPECT_EQ(z["layersNew"], 0);
  EXPECT_EQ(z["layersKnown"], 2);
  EXPECT_NE(z["manifestDigest"], v2["manifestDigest"]);
  EXPECT_EQ(z["configDigest"], v2["configDigest"]);
  EXPECT_EQ(DciTree(*dcid_, "dci/debian-zstd:v2"),
            DciTree(*dcid_, "dci/debian:v2"));

  json d = Index("docker-archive:" + SamplesDir() +
                     "/archives/debian-v2.docker-archive.tar",
                 "dci/debian-docker:v2");
  EXPECT_EQ(d["layersNew"], 0);
  EXPECT_EQ(d["configDigest"], v2["configDigest"]);

  json oa = Index("oci-archive:" + SamplesDir() +
                      "/archives/debian-v1.oci-archive.tar",
                  "dci/debian-archive:v1");
  EXPECT_EQ(oa["layersNew"], 0);
  EXPECT_EQ(oa["configDigest"], v1["configDigest"]);
}

TEST_F(RealImages, UmociInsertLayerIsIndexedWithWarning) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  Index("oci:" + Layout() + ":debian-v3", "dci/debian:v3");
  // The warning is recorded with the image, whenever it was indexed.
  const json v3 = RunJson(*dcid_, {"show", "dci/debian:v3"});
  bool warned = false;
  for (const json& w : v3.value("warnings", json::array())) {
    if (w.get<std::string>().find("end-of-archive") != std::string::npos) {
      warned = true;
    }
  }
  EXPECT_TRUE(warned) << v3.dump();
}

// The drift dci reports equals the difference of the two unpacked trees.
TEST_F(RealImages, DiffV1V2EqualsDifferenceOfUnpackedTrees) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  for (int v = 2; v <= 3; ++v) {
    SCOPED_TRACE("v" + std::to_string(v - 1) + " -> v" + std::to_string(v));
    std::string a = "dci/debian:v" + std::to_string(v - 1);
    std::string b = "dci/debian:v" + std::to_string(v);
    Index("oci:" + Layout() + ":debian-v" + std::to_string(v - 1), a);
    Index("oci:" + Layout() + ":debian-v" + std::to_string(v), b);
    auto ra = WalkRootfs(SamplesDir() + "/refs/debian-v" +
                         std::to_string(v - 1) + "/rootfs");
    auto rb = WalkRootfs(SamplesDir() + "/refs/debian-v" + std::to_string(v) +
                         "/rootfs");
    std::map<std::string, std::string> want;
    for (const auto& [p, d] : ra) {
      if (!rb.count(p)) want[p] = "-";
      else if (rb[p] != d) want[p] = "~";
    }
    for (const auto& [p, d] : rb) {
      if (!ra.count(p)) want[p] = "+";
    }
    json diff = RunJson(*dcid_, {"diff", a, b});
    std::map<std::string, std::string> got;
    for (const json& c : diff.value("files", json::array())) {
      std::string k = c["kind"];
      got[c["path"]] = k == "ADDED" ? "+" : k == "REMOVED" ? "-" : "~";
    }
    EXPECT_GT(want.size(), 0u);
    EXPECT_EQ(got, want);
    EXPECT_EQ(diff["summary"]["sharedLayers"], v - 1);
    if (v == 2) {
      // What scripts/make-sample-images.sh changed in v2's config.
      std::vector<std::string> meta;
      for (const json& c : diff.value("metadata", json::array())) {
        meta.push_back(c["kind"].get<std::string>() + " " +
                       c["field"].get<std::string>() + " " +
                       c.value("key", "") + " " + c.value("before", "") +
                       " -> " + c.value("after", ""));
      }
      EXPECT_EQ(meta, (std::vector<std::string>{
                          "CHANGED created  2025-05-20T00:00:00Z -> "
                          "2025-05-21T00:00:00Z",
                          "REMOVED label dci.sample.removed-in v2 -> ",
                          "CHANGED label org.opencontainers.image.version 1 -> 2",
                          "ADDED label dci.sample.added-in  -> v2",
                          "CHANGED env APP_MODE v1 -> v2"}));
      ASSERT_EQ(diff["history"].size(), 2u);
      EXPECT_EQ(diff["history"][0]["kind"], "ADDED");
      EXPECT_EQ(diff["history"][1]["emptyLayer"], true);
    }
  }
}

}  // namespace
}  // namespace dci::testing
