// PolicyCache: evaluations that share layers and package databases give
// exactly the results of evaluating each image alone (policy_cache.h rules
// 1-3), and a changed policy never sees another policy's verdict.
#include "policy/policy_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer/packages/dpkg.h"
#include "policy/policy.h"
#include "policy/subject.h"
#include "store/store.h"

namespace dci {
namespace {

constexpr int64_t kNow = 1'700'000'000;

LayerEntry E(const std::string& path, EntryType type, uint32_t mode, int64_t uid = 0) {
  LayerEntry e;
  e.path = path;
  e.type = type;
  e.mode = mode;
  e.uid = uid;
  if (type == EntryType::kFile) e.content_hash = ContentHasher::Of(path.data(), path.size());
  return e;
}

LayerEntry Implicit(const std::string& path) {
  LayerEntry e = E(path, EntryType::kDir, 0755);
  e.implicit = true;
  e.opaque = true;
  return e;
}

std::string Digest(const std::string& kind, int n) {
  std::string hex = absl::StrCat(kind, n);
  return absl::StrCat("sha256:", std::string(64 - hex.size(), '0'), hex);
}

std::string Status(const std::string& openssl_version) {
  return absl::StrCat(
      "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: ",
      openssl_version,
      "\nDescription: x\n\nPackage: bash\nStatus: install ok installed\n"
      "Architecture: amd64\nVersion: 5.2-2\nDescription: x\n\n");
}

class PolicyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/policy_cache_", getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                         ".db");
    std::remove(path_.c_str());
    store_ = *Store::Open(path_);
  }
  void TearDown() override {
    store_.reset();
    for (const char* sfx : {"", "-wal", "-shm"}) std::remove((path_ + sfx).c_str());
  }

  NewLayer Layer(const std::string& id, std::vector<LayerEntry> entries,
                 const std::string& status = "") {
    NewLayer l;
    l.diff_id = id;
    if (!status.empty()) {
      LayerEntry s = E("var/lib/dpkg/status", EntryType::kFile, 0644);
      s.content_hash = ContentHasher::Of(status.data(), status.size());
      entries.push_back(s);
      LayerPackageDb db;
      db.db_path = "var/lib/dpkg/status";
      db.db_hash = s.content_hash;
      db.scan = ParseDpkgStatus(status, db.db_path);
      l.package_dbs.push_back(std::move(db));
    }
    std::sort(entries.begin(), entries.end(),
              [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
    l.entries = std::move(entries);
    return l;
  }

  ImageRecord Commit(int n, const std::vector<const NewLayer*>& layers,
                     const std::vector<NewLayer>& fresh, const std::string& tag,
                     const std::string& user = "app") {
    ImageRecord r;
    r.manifest_digest = Digest("m", n);
    r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    r.manifest_json = "{}";
    r.config_digest = Digest("c", n);
    r.config_media_type = "application/vnd.oci.image.config.v1+json";
    r.config_json = absl::StrCat(
        R"({"architecture":"amd64","os":"linux","config":{"User":")", user,
        R"("},"rootfs":{"type":"layers","diff_ids":[]}})");
    for (const NewLayer* l : layers) {
      ImageLayer il;
      il.diff_id = il.blob_digest = l->diff_id;
      il.position = static_cast<int>(r.layers.size());
      r.layers.push_back(il);
    }
    EXPECT_TRUE(store_->CommitImage(r, fresh, {{"app", tag}}).ok());
    return *store_->FindImage(absl::StrCat("app:", tag));
  }

  // Every fact of a result, in order.
  static std::vector<std::string> Facts(const PolicyResult& r) {
    std::vector<std::string> out = {std::string(VerdictName(r.verdict)), r.compared_with};
    for (const Violation& v : r.violations) {
      for (const Evidence& e : v.evidence) {
        out.push_back(absl::StrCat(v.rule_id, " | ", e.path, " | ", e.package, " ",
                                   e.version, " | ", e.value, " | ", e.message));
      }
    }
    for (const NotEvaluated& n : r.not_evaluated) {
      out.push_back(absl::StrCat(n.rule_id, " ? ", n.reason));
    }
    return out;
  }

  std::vector<std::string> Eval(const std::string& yaml, const ImageRecord& image,
                                PolicyCache* cache, const ImageRecord* against = nullptr) {
    Policy p = *ParsePolicy(yaml);
    PreviousOf prev;
    if (against != nullptr) prev.image = *against;
    absl::StatusOr<PolicyResult> r = EvaluateStoredImage(*store_, p, image, prev, kNow, cache);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? Facts(*r) : std::vector<std::string>{};
  }

  std::string path_;
  std::unique_ptr<Store> store_;
};

constexpr char kPolicy[] = R"(
rules:
  - id: setuid
    file: {setuid: true, except: [usr/bin/su]}
  - id: world-writable
    severity: warn
    file: {world_writable: true}
  - id: under-opt
    severity: info
    file: {path: 'opt/*'}
  - id: owned-by-1000
    severity: warn
    file: {uid_in: [1000]}
  - id: shell-required
    file: {path: bin/sh, absent: true}
  - id: old-openssl
    package: {name: openssl, version: '<3.0.11'}
  - id: bash-required
    not: {package: {name: bash}}
  - id: new-setuid
    drift: {new_setuid: true}
  - id: new-packages
    severity: warn
    drift: {new_packages: true}
  - id: root-user
    severity: warn
    metadata: {field: user, in: [root, '']}
)";

// Two images over one base; their top layers white out, replace a
// directory by a file, make a directory opaque (with an implicit
// directory) and add setuid and world-writable files. Every rule's
// evidence is the same with the cache (sharing the base) as without.
TEST_F(PolicyCacheTest, ImagesSharingLayersGetTheVerdictsOfEvaluatingAlone) {
  const NewLayer base = Layer(
      Digest("l", 0),
      {E("bin", EntryType::kDir, 0755), E("bin/sh", EntryType::kFile, 0755),
       E("opt", EntryType::kDir, 0755), E("opt/a", EntryType::kDir, 0777),
       E("opt/a/x", EntryType::kFile, 04755), E("opt/b", EntryType::kFile, 0666, 1000),
       E("tmp", EntryType::kDir, 01777), E("usr", EntryType::kDir, 0755),
       E("usr/bin", EntryType::kDir, 0755), E("usr/bin/su", EntryType::kFile, 04755),
       E("usr/bin/passwd", EntryType::kFile, 04755), E("var", EntryType::kDir, 0755),
       E("var/www", EntryType::kDir, 0775, 1000),
       E("var/www/old", EntryType::kFile, 0646, 1000)},
      Status("3.0.9-1"));
  // A: opt/a becomes a file, usr/bin/passwd is whited out, a new setuid file.
  const NewLayer top_a = Layer(
      Digest("l", 1),
      {E("opt/a", EntryType::kFile, 0644), E("usr/bin/passwd", EntryType::kWhiteout, 0),
       E("usr/bin/newtool", EntryType::kFile, 06755)},
      Status("3.0.11-1"));
  // B: var/www made opaque through an implicit directory, bin/sh removed,
  // a world-writable file added under it.
  const NewLayer top_b =
      Layer(Digest("l", 2),
            {Implicit("var/www"), E("var/www/new", EntryType::kFile, 0666, 1000),
             E("bin/sh", EntryType::kWhiteout, 0)},
            "");
  const ImageRecord base_img = Commit(0, {&base}, {base}, "1", "root");
  const ImageRecord a = Commit(1, {&base, &top_a}, {top_a}, "2");
  const ImageRecord b = Commit(2, {&base, &top_b}, {top_b}, "3");

  PolicyCache cache;
  for (const ImageRecord* img : {&base_img, &a, &b}) {
    std::vector<std::string> alone = Eval(kPolicy, *img, nullptr, &base_img);
    EXPECT_EQ(Eval(kPolicy, *img, &cache, &base_img), alone) << img->manifest_digest;
    // Warm: served from what the first evaluation kept.
    EXPECT_EQ(Eval(kPolicy, *img, &cache, &base_img), alone) << img->manifest_digest;
  }
  // The shared facts are what they must be, not just equal.
  const std::vector<std::string> facts_a = Eval(kPolicy, a, &cache, &base_img);
  auto has = [&](const std::vector<std::string>& f, const std::string& prefix) {
    return std::count_if(f.begin(), f.end(), [&](const std::string& s) {
      return s.rfind(prefix, 0) == 0;
    });
  };
  EXPECT_EQ(has(facts_a, "setuid | usr/bin/newtool |"), 1);
  EXPECT_EQ(has(facts_a, "setuid | opt/a/x |"), 0);        // under a replaced dir
  EXPECT_EQ(has(facts_a, "setuid | usr/bin/passwd |"), 0);  // whited out
  EXPECT_EQ(has(facts_a, "new-setuid | usr/bin/newtool |"), 1);
  EXPECT_EQ(has(facts_a, "old-openssl |"), 0);  // 3.0.11-1 is not < 3.0.11
  const std::vector<std::string> facts_b = Eval(kPolicy, b, &cache, &base_img);
  EXPECT_EQ(has(facts_b, "world-writable | var/www/old |"), 0);  // opaque dir
  EXPECT_EQ(has(facts_b, "world-writable | var/www/new |"), 1);
  EXPECT_EQ(has(facts_b, "owned-by-1000 | var/www |"), 1);  // implicit keeps uid 1000
  EXPECT_EQ(has(facts_b, "shell-required |"), 1);
  EXPECT_EQ(has(facts_b, "old-openssl | var/lib/dpkg/status | deb openssl 3.0.9-1 |"), 1);
  EXPECT_GT(cache.stats().hits, 0);
}

// The cache keys facts by what a rule tests, never by policy name: a
// policy changed under the same name gets its own verdict at once.
TEST_F(PolicyCacheTest, AChangedPolicyNeverGetsAStaleVerdict) {
  const NewLayer base = Layer(
      Digest("l", 0),
      {E("usr", EntryType::kDir, 0755), E("usr/bin", EntryType::kDir, 0755),
       E("usr/bin/su", EntryType::kFile, 04755), E("usr/bin/mount", EntryType::kFile, 04755)},
      Status("3.0.9-1"));
  const ImageRecord img = Commit(0, {&base}, {base}, "1");
  const std::string v1 = "name: p\nrules:\n  - id: setuid\n    file: {setuid: true, except: [usr/bin/su]}\n"
                         "  - id: ssl\n    package: {name: openssl, version: '<3.0.10'}\n";
  const std::string v2 = "name: p\nrules:\n  - id: setuid\n    file: {setuid: true, except: [usr/bin/mount]}\n"
                         "  - id: ssl\n    package: {name: openssl, version: '<3.0.9'}\n";
  PolicyCache cache;
  const std::vector<std::string> r1 = Eval(v1, img, &cache);
  const std::vector<std::string> r2 = Eval(v2, img, &cache);
  EXPECT_EQ(r1, Eval(v1, img, nullptr));
  EXPECT_EQ(r2, Eval(v2, img, nullptr));
  ASSERT_EQ(r1.size(), 4u);
  EXPECT_EQ(r1[0], "deny");
  EXPECT_EQ(r1[2], "setuid | usr/bin/mount |   | 4755 | usr/bin/mount (file, mode 4755, owner 0:0)");
  EXPECT_EQ(r1[3], "ssl | var/lib/dpkg/status | deb openssl 3.0.9-1 |  | deb openssl 3.0.9-1 (var/lib/dpkg/status) is within <3.0.10");
  ASSERT_EQ(r2.size(), 3u);
  EXPECT_EQ(r2[2], "setuid | usr/bin/su |   | 4755 | usr/bin/su (file, mode 4755, owner 0:0)");
}

// Images with the same package database read its package set once.
TEST_F(PolicyCacheTest, ImagesWithOnePackageDatabaseReadItOnce) {
  const NewLayer base = Layer(Digest("l", 0), {E("etc", EntryType::kDir, 0755)},
                              Status("3.0.9-1"));
  const NewLayer top1 = Layer(Digest("l", 1), {E("etc/one", EntryType::kFile, 0644)});
  const NewLayer top2 = Layer(Digest("l", 2), {E("etc/two", EntryType::kFile, 0644)});
  const ImageRecord one = Commit(1, {&base, &top1}, {base, top1}, "1");
  const ImageRecord two = Commit(2, {&base, &top2}, {top2}, "2");
  PolicyCache cache;
  const std::string p = "rules:\n  - id: ssl\n    package: {name: openssl, version: '<3.0.10'}\n";
  EXPECT_EQ(Eval(p, one, &cache), Eval(p, one, nullptr));
  EXPECT_EQ(Eval(p, two, &cache), Eval(p, two, nullptr));
  EXPECT_EQ(cache.stats().package_sets_read, 1);
}

}  // namespace
}  // namespace dci
