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
#include <set>
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

namespace dci::testing {
namespace {

// "name\tversion\tarch" lines dpkg-query prints for an unpacked root,
// installed packages only (what dpkg counts as installed).
std::multiset<std::string> DpkgQuery(const std::string& root) {
  std::string cmd = "dpkg-query --admindir=" + root +
                    "/var/lib/dpkg -W -f '${db:Status-Status}\\t${Package}\\t"
                    "${Version}\\t${Architecture}\\n'";
  std::multiset<std::string> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char line[4096];
  while (fgets(line, sizeof line, p)) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    size_t tab = l.find('\t');
    std::string status = l.substr(0, tab);
    if (status == "not-installed" || status == "config-files") continue;
    out.insert(l.substr(tab + 1));
  }
  pclose(p);
  return out;
}

TEST_F(RealImages, PackagesEqualDpkgQueryOnTheUnpackedRoot) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  for (int v = 1; v <= 2; ++v) {
    SCOPED_TRACE("debian-v" + std::to_string(v));
    std::string tag = "dci/debian:v" + std::to_string(v);
    Index("oci:" + Layout() + ":debian-v" + std::to_string(v), tag);
    const json pk = RunJson(*dcid_, {"packages", tag});
    std::multiset<std::string> ours;
    for (const json& p : pk["packages"]) {
      EXPECT_EQ(p["ecosystem"], "deb");
      ours.insert(p["name"].get<std::string>() + "\t" +
                  p["fullVersion"].get<std::string>() + "\t" +
                  p["arch"].get<std::string>());
    }
    auto want = DpkgQuery(SamplesDir() + "/refs/debian-v" + std::to_string(v) +
                          "/rootfs");
    ASSERT_GT(want.size(), 80u);
    EXPECT_EQ(ours, want);
  }
}

TEST_F(RealImages, PackageLayersConfigStatesAndSystemFacts) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  Index("oci:" + Layout() + ":debian-v1", "dci/debian:v1");
  Index("oci:" + Layout() + ":debian-v2", "dci/debian:v2");
  const json pk = RunJson(*dcid_, {"packages", "dci/debian:v2", "--files"});
  std::map<std::string, json> by_name;
  for (const json& p : pk["packages"]) by_name[p["name"]] = p;
  // Installed by v2's apt-get layer; the rest came with the base.
  for (const char* n : {"less", "procps", "libproc2-0", "libncursesw6"}) {
    EXPECT_EQ(by_name[n]["layer"], 1) << n;
  }
  EXPECT_EQ(by_name["bash"]["layer"], 0);
  EXPECT_NE(by_name["less"]["createdBy"].get<std::string>().find("apt-get install less"),
            std::string::npos);
  // Files from dpkg's info/less.list.
  const json& files = by_name["less"]["files"];
  EXPECT_NE(std::find(files.begin(), files.end(), "usr/bin/less"), files.end());
  // v2 appended to adduser's conffile: modified against dpkg's md5.
  std::map<std::string, std::string> states;
  for (const json& c : by_name["adduser"]["configFiles"]) {
    states[c["path"]] = c["state"];
  }
  EXPECT_EQ(states["etc/adduser.conf"], "modified");
  const json pk1 = RunJson(*dcid_, {"packages", "dci/debian:v1"});
  for (const json& p : pk1["packages"]) {
    if (p["name"] != "adduser") continue;
    for (const json& c : p["configFiles"]) {
      if (c["path"] == "etc/adduser.conf") EXPECT_EQ(c["state"], "unmodified");
    }
  }
  const json show = RunJson(*dcid_, {"show", "dci/debian:v2"});
  EXPECT_EQ(show["system"]["osReleasePath"], "usr/lib/os-release");
  EXPECT_EQ(show["system"]["osRelease"]["ID"], "debian");
  EXPECT_EQ(show["system"]["osRelease"]["VERSION_ID"], "12");
  EXPECT_EQ(show["system"]["users"][0]["name"], "root");
  EXPECT_EQ(show["system"]["users"][0]["uid"], 0);
}

TEST_F(RealImages, DiffShowsPackagesAndConfigLines) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  Index("oci:" + Layout() + ":debian-v1", "dci/debian:v1");
  Index("oci:" + Layout() + ":debian-v2", "dci/debian:v2");
  const json d = RunJson(*dcid_, {"diff", "dci/debian:v1", "dci/debian:v2",
                                  "--only", "packages,configs"});
  std::vector<std::string> pkgs;
  for (const json& p : d["packages"]) {
    pkgs.push_back(p["kind"].get<std::string>() + " " + p["name"].get<std::string>());
  }
  EXPECT_EQ(pkgs, (std::vector<std::string>{"ADDED less", "ADDED libncursesw6",
                                            "ADDED libproc2-0", "ADDED procps"}));
  EXPECT_EQ(d.value("files", json::array()).size(), 0u);  // --only
  std::string adduser;
  for (const json& c : d["configs"]) {
    if (c["path"] == "etc/adduser.conf") adduser = c["unifiedDiff"];
  }
  EXPECT_NE(adduser.find("+EXTRA_GROUPS=\"users\"\n"), std::string::npos) << adduser;
  EXPECT_NE(adduser.find("--- a/etc/adduser.conf\n+++ b/etc/adduser.conf\n@@ "),
            std::string::npos)
      << adduser;
}

// The RPM sample (scripts/make-rpm-image.sh): packages built with rpmbuild,
// installed, upgraded and erased by rpm itself, one layer per step.
TEST_F(RealImages, RpmImagePackagesEqualRpmQa) {
  const std::string rpm = SamplesDir() + "/rpm";
  if (!Exists(rpm + "/layout/index.json")) {
    if (std::getenv("CI")) FAIL() << "no RPM sample in " << rpm;
    GTEST_SKIP() << "SKIPPED: no RPM sample; run scripts/make-rpm-image.sh " << rpm;
  }
  ASSERT_TRUE(dcid_->ok());
  for (int v = 1; v <= 3; ++v) {
    SCOPED_TRACE("rpm-v" + std::to_string(v));
    const std::string tag = "dci/rpm:v" + std::to_string(v);
    Index("oci:" + rpm + "/layout:rpm-v" + std::to_string(v), tag);
    std::multiset<std::string> ours;
    const json pk = RunJson(*dcid_, {"packages", tag});
    for (const json& p : pk["packages"]) {
      EXPECT_EQ(p["ecosystem"], "rpm");
      EXPECT_EQ(p["dbPath"], "var/lib/rpm/rpmdb.sqlite");
      ours.insert(p["name"].get<std::string>() + "\t" + p.value("epoch", "") +
                  "\t" + p["version"].get<std::string>() + "\t" +
                  p["release"].get<std::string>() + "\t" +
                  p["arch"].get<std::string>());
    }
    std::multiset<std::string> want;
    std::istringstream qa(
        ReadFile(rpm + "/expected/rpm-v" + std::to_string(v) + ".qa.tsv"));
    for (std::string line; std::getline(qa, line);) want.insert(line);
    ASSERT_EQ(want.size(), v == 1 ? 3u : 2u);
    EXPECT_EQ(ours, want);
  }
  // Layers: the upgrade came with v2's layer; the config edit is v3's.
  std::map<std::string, json> by_name;
  const json pk3 = RunJson(*dcid_, {"packages", "dci/rpm:v3"});
  for (const json& p : pk3["packages"]) {
    by_name[p["name"]] = p;
  }
  EXPECT_EQ(by_name["dci-conf"]["layer"], 1);
  EXPECT_EQ(by_name["dci-epoch"]["layer"], 0);
  ASSERT_EQ(by_name["dci-conf"]["configFiles"].size(), 1u);
  EXPECT_EQ(by_name["dci-conf"]["configFiles"][0]["path"], "etc/dci-test.conf");
  EXPECT_EQ(by_name["dci-conf"]["configFiles"][0]["state"], "modified");
  const json pk2 = RunJson(*dcid_, {"packages", "dci/rpm:v2"});
  for (const json& p : pk2["packages"]) {
    if (p["name"] != "dci-conf") continue;
    ASSERT_EQ(p["configFiles"].size(), 1u);
    EXPECT_EQ(p["configFiles"][0]["state"], "unmodified");
  }
  // Drift v1 -> v3 in rpm's terms.
  const json d = RunJson(*dcid_, {"diff", "dci/rpm:v1", "dci/rpm:v3", "--only",
                                  "packages,configs"});
  std::vector<std::string> pkgs;
  for (const json& p : d["packages"]) {
    pkgs.push_back(p["kind"].get<std::string>() + " " + p["name"].get<std::string>() +
                   " " + p.value("before", "") + " " + p.value("after", "") + " " +
                   p.value("direction", ""));
  }
  EXPECT_EQ(pkgs, (std::vector<std::string>{"CHANGED dci-conf 1.0-1 2.0-1 upgraded",
                                            "REMOVED dci-gone 0.1-1  "}));
  std::map<std::string, std::string> configs;
  for (const json& c : d["configs"]) configs[c["path"]] = c["unifiedDiff"];
  EXPECT_EQ(configs["etc/dci-test.conf"],
            "--- a/etc/dci-test.conf\n+++ b/etc/dci-test.conf\n@@ -1 +1,2 @@\n"
            "-version=1.0\n+version=2.0\n+local=edited\n");
  // Accounts: password states only; the hash never reaches the database.
  const json show = RunJson(*dcid_, {"show", "dci/rpm:v3"});
  std::vector<std::string> users;
  for (const json& u : show["system"]["users"]) {
    users.push_back(u["name"].get<std::string>() + " " + u["password"].get<std::string>());
  }
  EXPECT_EQ(users, (std::vector<std::string>{"root disabled", "alice set", "bob locked",
                                             "svc locked", "ghost in_shadow"}));
  std::string hash = ReadFile(rpm + "/expected/alice.hash");
  ASSERT_EQ(hash.substr(0, 3), "$6$");
  hash.pop_back();  // newline
  // The database (its main file and its WAL) holds the images...
  ASSERT_GT(ReadFile(dcid_->db_path()).size() +
                ReadFile(dcid_->db_path() + "-wal").size(),
            256u << 10);
  // ...and nothing of the hash.
  for (const std::string& f : {dcid_->db_path(), dcid_->db_path() + "-wal"}) {
    const std::string bytes = ReadFile(f);
    EXPECT_EQ(bytes.find(hash.substr(3)), std::string::npos) << f;
    EXPECT_EQ(bytes.find("dcisalt12345678"), std::string::npos) << f;
  }
  // who-has by rpm's order, with the epoch.
  const json who = RunJson(*dcid_, {"who-has", "dci-epoch", "--type", "rpm",
                                    "--version", ">=3:1.5-1,<3:1.5-10"});
  EXPECT_EQ(who["images"], 3);
  CommandResult none = dcid_->Dci({"who-has", "dci-epoch", "--version", "<1:9"});
  EXPECT_EQ(none.exit_code, 2);
}

TEST_F(RealImages, WhoHasAndFindFileAcrossImages) {
  REQUIRE_SAMPLES();
  ASSERT_TRUE(dcid_->ok());
  Index("oci:" + Layout() + ":debian-v1", "dci/debian:v1");
  Index("oci:" + Layout() + ":debian-v2", "dci/debian:v2");
  const json who = RunJson(*dcid_, {"who-has", "less"});
  std::set<std::string> images;
  for (const json& h : who["hits"]) images.insert(h["image"]);
  const json v2 = RunJson(*dcid_, {"show", "dci/debian:v2"});
  EXPECT_EQ(images.count(v2["manifestDigest"]), 1u);
  const json v1 = RunJson(*dcid_, {"show", "dci/debian:v1"});
  EXPECT_EQ(images.count(v1["manifestDigest"]), 0u);
  // Ranges by dpkg's order: 590-2.1~deb12u2 is below 590-2.1 ('~').
  const json below = RunJson(*dcid_, {"who-has", "less", "--version", "<590-2.1"});
  ASSERT_EQ(below["hits"].size(), 1u) << below.dump();
  EXPECT_EQ(below["hits"][0]["image"], v2["manifestDigest"]);
  EXPECT_EQ(below["hits"][0]["package"]["version"], "590");
  EXPECT_EQ(below["hits"][0]["package"]["release"], "2.1~deb12u2");
  EXPECT_EQ(below["images"], 1);
  CommandResult none = dcid_->Dci({"who-has", "less", "--version", ">=590-2.1"});
  EXPECT_EQ(none.exit_code, 2);
  const json ff = RunJson(*dcid_, {"find-file", "/usr/bin/less"});
  std::set<std::string> with_less;
  for (const json& h : ff["hits"]) {
    with_less.insert(h["image"]);
    EXPECT_EQ(h["entry"]["layer"], 1);
  }
  EXPECT_EQ(with_less.count(v2["manifestDigest"]), 1u);
  EXPECT_EQ(with_less.count(v1["manifestDigest"]), 0u);
  // usr/share/doc/gzip/TODO is whited out in v2: only v1 shows it.
  const json todo = RunJson(*dcid_, {"find-file", "usr/share/doc/gzip/TODO"});
  std::set<std::string> with_todo;
  for (const json& h : todo["hits"]) with_todo.insert(h["image"]);
  EXPECT_EQ(with_todo.count(v1["manifestDigest"]), 1u);
  EXPECT_EQ(with_todo.count(v2["manifestDigest"]), 0u);
  // By content hash.
  const json f = RunJson(*dcid_, {"files", "dci/debian:v2", "--path", "etc/dci-sample-release"});
  ASSERT_EQ(f["files"].size(), 1u);
  const json byhash =
      RunJson(*dcid_, {"find-file", "--hash", f["files"][0]["contentHash"]});
  ASSERT_GE(byhash["hits"].size(), 1u);
  EXPECT_EQ(byhash["hits"][0]["entry"]["path"], "etc/dci-sample-release");
}

}  // namespace
}  // namespace dci::testing
