#include "store/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_split.h"
#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"
#include "indexer/packages/version_key.h"
#include "store/database.h"
#include "store/migrations.h"
#include "tests/store/entry_helpers.h"

namespace dci {
namespace {

using testing::D;
using testing::F;
using testing::Layer;
using testing::W;

class TempDb : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dci-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/dci.db";
  }
  void TearDown() override {
    ASSERT_EQ(system(("rm -rf " + dir_).c_str()), 0);
  }
  int64_t Count(const std::string& table) {
    auto db = Database::Open(path_, Database::kReadOnly);
    EXPECT_TRUE(db.ok());
    auto st = (*db)->Prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->Step());
    return st->ColumnInt(0);
  }
  std::string dir_, path_;
};

ImageRecord Image(const std::string& digest,
                  const std::vector<std::string>& diff_ids) {
  ImageRecord r;
  r.manifest_digest = digest;
  r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
  r.manifest_json = "{}";
  r.config_digest = "sha256:" + std::string(64, 'c');
  r.config_media_type = "application/vnd.oci.image.config.v1+json";
  r.config_json = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  r.os = "linux";
  r.architecture = "amd64";
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    ImageLayer l;
    l.position = static_cast<int>(i);
    l.diff_id = diff_ids[i];
    l.blob_digest = diff_ids[i];
    l.media_type = "application/vnd.oci.image.layer.v1.tar";
    l.blob_size = 1024;
    r.layers.push_back(l);
  }
  return r;
}

std::string Digest(char c) { return "sha256:" + std::string(64, c); }

NewLayer MakeLayer(const std::string& diff_id, std::vector<LayerEntry> e) {
  NewLayer l;
  l.diff_id = diff_id;
  l.size = 10240;
  l.tar_headers = static_cast<int64_t>(e.size());
  l.entries = Layer(std::move(e));
  return l;
}

// Migrations invariant 2: applied in order, once.
TEST_F(TempDb, MigrationsApplyOnceAndReopenIsANoOp) {
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), EmbeddedMigrations().back().version);
  }
  auto again = Store::Open(path_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->schema_version(), EmbeddedMigrations().back().version);
}

// Migrations invariant 1: a failing migration leaves nothing behind.
TEST_F(TempDb, FailingMigrationRollsBackWhole) {
  auto db = Database::Open(path_, Database::kReadWrite);
  ASSERT_TRUE(db.ok());
  std::vector<Migration> ms = {
      {1, "0001_ok.sql", "CREATE TABLE a(x INTEGER);"},
      {2, "0002_bad.sql", "CREATE TABLE b(x INTEGER); INSERT INTO nope VALUES(1);"}};
  auto v = Migrate(**db, ms);
  EXPECT_FALSE(v.ok());
  auto st = (*db)->Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name='b'");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnInt(0), 0);
  auto ver = (*db)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(*ver->Step());
  EXPECT_EQ(ver->ColumnInt(0), 1);
}

// Migrations invariant 3.
TEST_F(TempDb, RefusesDatabaseNewerThanBinary) {
  {
    auto db = Database::Open(path_, Database::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 999").ok());
  }
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

TEST_F(TempDb, CommitStoresLayersOnceAndImagesShareThem) {
  auto store = *Store::Open(path_);
  std::vector<NewLayer> v1 = {
      MakeLayer(Digest('1'), {D("etc"), F("etc/a", "1"), F("etc/b")})};
  auto r1 = store->CommitImage(Image(Digest('a'), {Digest('1')}), v1,
                               {{"app", "1"}});
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(r1->layers_new, 1);
  EXPECT_EQ(r1->layers_known, 0);
  ASSERT_EQ(r1->tag_changes.size(), 1u);
  EXPECT_EQ(r1->tag_changes[0].old_image_id, 0);

  auto known = store->HasLayers({Digest('1'), Digest('2')});
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(*known, (std::vector<bool>{true, false}));

  std::vector<NewLayer> v2 = {MakeLayer(Digest('2'), {W("etc/b"), F("etc/c")})};
  auto r2 = store->CommitImage(Image(Digest('b'), {Digest('1'), Digest('2')}),
                               v2, {{"app", "1"}, {"app", "2"}});
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->layers_new, 1);
  EXPECT_EQ(r2->layers_known, 1);
  ASSERT_EQ(r2->tag_changes.size(), 2u);
  EXPECT_EQ(r2->tag_changes[0].old_image_id, r1->image_id);  // moved

  EXPECT_EQ(Count("layers"), 2);
  EXPECT_EQ(Count("entries"), 5);
  EXPECT_EQ(Count("paths"), 4);  // etc, etc/a, etc/b, etc/c
  EXPECT_EQ(Count("events"), 5);  // 2 indexed, created, moved, created
  EXPECT_EQ(Count("tag_history"), 3);

  auto img = store->FindImage("app:1");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, Digest('b'));
  ASSERT_EQ(img->layers.size(), 2u);
  EXPECT_EQ(img->layers[1].diff_id, Digest('2'));
  EXPECT_EQ(img->layers[1].entry_count, 2);

  auto entries = store->LayerEntries(img->layers[1].layer_id);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].path, "etc/b");
  EXPECT_EQ((*entries)[0].type, EntryType::kWhiteout);
  EXPECT_EQ((*entries)[1].content_hash, F("etc/c").content_hash);
}

// What policy file filters read: the fields they test equal LayerEntries',
// in path order even when the layer's path ids are not (a path interned by
// a lower layer sorts after one this layer interns); the rest is zero.
TEST_F(TempDb, LayerEntryAttributesKeepFilterFieldsInPathOrder) {
  auto store = *Store::Open(path_);
  LayerEntry setuid = F("aa", "tool", 04755);
  setuid.uid = 1000;
  setuid.gid = 50;
  setuid.mtime = 1700000000;
  LayerEntry implicit = D("ac");
  implicit.implicit = true;
  LayerEntry dev;
  dev.path = "ad";
  dev.type = EntryType::kCharDevice;
  dev.mode = 0666;
  dev.dev_major = 1;
  dev.dev_minor = 3;
  std::vector<NewLayer> layers = {
      MakeLayer(Digest('1'), {D("zz"), F("zz/file")}),
      MakeLayer(Digest('2'), {setuid, testing::L("ab", "aa"), implicit, dev,
                              D("zz", /*opaque=*/true)})};
  ASSERT_TRUE(store->CommitImage(Image(Digest('a'), {Digest('1'), Digest('2')}), layers,
                                 {{"app", "1"}})
                  .ok());
  auto img = store->FindImage("app:1");
  ASSERT_TRUE(img.ok()) << img.status();
  auto full = store->LayerEntries(img->layers[1].layer_id);
  auto attrs = store->LayerEntryAttributes(img->layers[1].layer_id);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  ASSERT_EQ(attrs->size(), 5u);
  ASSERT_EQ(full->size(), 5u);
  const std::vector<std::string> order = {"aa", "ab", "ac", "ad", "zz"};
  for (size_t i = 0; i < order.size(); ++i) {
    const LayerEntry& a = (*attrs)[i];
    const LayerEntry& f = (*full)[i];
    EXPECT_EQ(a.path, order[i]);
    EXPECT_EQ(a.path, f.path);
    EXPECT_EQ(a.type, f.type) << a.path;
    EXPECT_EQ(a.opaque, f.opaque) << a.path;
    EXPECT_EQ(a.implicit, f.implicit) << a.path;
    EXPECT_EQ(a.mode, f.mode) << a.path;
    EXPECT_EQ(a.uid, f.uid) << a.path;
    EXPECT_EQ(a.gid, f.gid) << a.path;
    EXPECT_EQ(a.content_hash, f.content_hash) << a.path;
    EXPECT_EQ(a.size, 0) << a.path;
    EXPECT_EQ(a.mtime, 0) << a.path;
    EXPECT_EQ(a.link_target, "") << a.path;
    EXPECT_EQ(a.dev_major, 0u) << a.path;
  }
  EXPECT_EQ((*attrs)[0].mode, 04755u);
  EXPECT_EQ((*attrs)[0].uid, 1000);
  EXPECT_EQ((*attrs)[0].gid, 50);
  EXPECT_EQ((*attrs)[0].content_hash, F("aa", "tool").content_hash);
  EXPECT_TRUE((*attrs)[2].implicit);
  EXPECT_EQ((*attrs)[3].type, EntryType::kCharDevice);
  EXPECT_TRUE((*attrs)[4].opaque);
  EXPECT_EQ((*full)[1].link_target, "aa");  // the full read has what this one leaves out
  EXPECT_EQ((*full)[3].dev_minor, 3u);
}

TEST_F(TempDb, RecommitOfKnownImageOnlyTouchesTags) {
  auto store = *Store::Open(path_);
  std::vector<NewLayer> v1 = {MakeLayer(Digest('1'), {F("a")})};
  ASSERT_TRUE(
      store->CommitImage(Image(Digest('a'), {Digest('1')}), v1, {{"x", "1"}})
          .ok());
  auto again =
      store->CommitImage(Image(Digest('a'), {Digest('1')}), {}, {{"x", "1"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->image_existed);
  EXPECT_TRUE(again->tag_changes.empty());
  EXPECT_EQ(Count("images"), 1);
  EXPECT_EQ(Count("events"), 2);
  EXPECT_EQ(Count("tag_history"), 1);
}

TEST_F(TempDb, FailedCommitLeavesDatabaseUnchanged) {
  auto store = *Store::Open(path_);
  std::vector<NewLayer> layers = {MakeLayer(Digest('1'), {F("a")})};
  // Layer '2' is neither in the database nor given.
  auto r = store->CommitImage(Image(Digest('a'), {Digest('1'), Digest('2')}),
                              layers, {{"x", "1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  for (const char* t : {"layers", "entries", "paths", "images", "tags",
                        "events", "blobs", "image_layers"}) {
    EXPECT_EQ(Count(t), 0) << t;
  }
}

TEST_F(TempDb, FindImageByDigestPrefixAndAmbiguity) {
  auto store = *Store::Open(path_);
  std::vector<NewLayer> l = {MakeLayer(Digest('1'), {F("a")})};
  std::string d1 = "sha256:ab12" + std::string(60, '0');
  std::string d2 = "sha256:ab34" + std::string(60, '0');
  ASSERT_TRUE(store->CommitImage(Image(d1, {Digest('1')}), l, {}).ok());
  ASSERT_TRUE(store->CommitImage(Image(d2, {Digest('1')}), {}, {}).ok());
  EXPECT_EQ(store->FindImage("ab12")->manifest_digest, d1);
  EXPECT_EQ(store->FindImage("sha256:ab34")->manifest_digest, d2);
  EXPECT_EQ(store->FindImage("AB12")->manifest_digest, d1);
  EXPECT_EQ(store->FindImage("ab").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->FindImage("cd").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->FindImage("nope:1").status().code(),
            absl::StatusCode::kNotFound);
}

// One image per (ecosystem, version) of package "openssl", each with its
// own package database.
struct OpensslCase {
  Ecosystem ecosystem;
  std::string epoch, version, release;
};

void CommitOpenssls(Store& store, const std::vector<OpensslCase>& cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const OpensslCase& c = cases[i];
    const std::string db_path = c.ecosystem == Ecosystem::kDeb
                                    ? "var/lib/dpkg/status"
                                : c.ecosystem == Ecosystem::kRpm
                                    ? "var/lib/rpm/rpmdb.sqlite"
                                    : "lib/apk/db/installed";
    std::vector<LayerEntry> entries;
    std::string dir;
    for (absl::string_view part : absl::StrSplit(db_path, '/')) {
      dir = dir.empty() ? std::string(part) : dir + "/" + std::string(part);
      entries.push_back(dir == db_path ? F(dir, "db" + std::to_string(i)) : D(dir));
    }
    const std::string diff_id = "sha256:" + std::string(63, 'f') + std::to_string(i);
    NewLayer layer = MakeLayer(diff_id, entries);
    LayerPackageDb db;
    db.db_path = db_path;
    db.ecosystem = c.ecosystem;
    const std::string text = "db" + std::to_string(i);
    db.db_hash = ContentHasher::Of(text.data(), text.size());
    Package p;
    p.ecosystem = c.ecosystem;
    p.name = "openssl";
    p.epoch = c.epoch;
    p.version = c.version;
    p.release = c.release;
    p.arch = "x86_64";
    db.scan.packages.push_back(p);
    layer.package_dbs.push_back(db);
    const std::string digest = "sha256:" + std::string(63, 'e') + std::to_string(i);
    ASSERT_TRUE(store.CommitImage(Image(digest, {diff_id}), {layer}, {}).ok());
  }
}

// Version ranges narrow who-has to a range of sort keys per ecosystem; the
// rows found are exactly those a full scan with the same matcher finds, and
// apk rows (no key) are still judged one by one.
TEST_F(TempDb, PackageVersionsByKeyRangeEqualFullScan) {
  auto store = *Store::Open(path_);
  CommitOpenssls(*store, {{Ecosystem::kDeb, "", "1.0.1e", "2+deb7u4"},
                          {Ecosystem::kDeb, "", "1.0.1f", "1"},
                          {Ecosystem::kDeb, "", "1.0.1g", "1"},
                          {Ecosystem::kDeb, "", "1.0.1~rc1", "1"},
                          {Ecosystem::kDeb, "1", "0.9.8", "1"},
                          {Ecosystem::kRpm, "", "1.0.1e", "30.el6"},
                          {Ecosystem::kRpm, "", "1.0.2k", "19.el7"},
                          {Ecosystem::kApk, "", "1.0.1f-r0", ""},
                          {Ecosystem::kApk, "", "1.0.1g-r0", ""}});
  const VersionRange range = *ParseVersionRange(">=1.0.1,<1.0.1g");
  auto match = [&](Ecosystem e, absl::string_view full, absl::string_view) {
    VersionCompareFn cmp = e == Ecosystem::kRpm   ? &CompareRpmVersions
                           : e == Ecosystem::kApk ? &CompareApkVersions
                                                  : &CompareDebVersions;
    return Matches(range, full, cmp);
  };
  std::vector<Store::VersionKeyRange> ranges;
  for (Ecosystem e : {Ecosystem::kApk, Ecosystem::kDeb, Ecosystem::kRpm}) {
    VersionKeyBounds b = KeyBoundsOf(e, range);
    ranges.push_back({e, b.low, b.high});
  }
  auto names = [](const std::vector<Store::PackageVersion>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) {
      out.push_back(std::string(EcosystemName(p.package.ecosystem)) + " " +
                    p.package.FullVersion());
    }
    return out;
  };
  auto keyed = store->PackageVersions("openssl", false, &ranges, match);
  ASSERT_TRUE(keyed.ok()) << keyed.status();
  const std::vector<std::string> want = {"apk 1.0.1f-r0", "deb 1.0.1e-2+deb7u4",
                                         "deb 1.0.1f-1", "rpm 1.0.1e-30.el6"};
  EXPECT_EQ(names(*keyed), want);
  auto full = store->PackageVersions("openssl", false, nullptr, match);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(names(*full), want);
  // "=" narrows to one key; an empty range finds nothing keyed.
  const VersionRange eq = *ParseVersionRange("=1:0.9.8-1");
  VersionKeyBounds b = KeyBoundsOf(Ecosystem::kDeb, eq);
  std::vector<Store::VersionKeyRange> one = {{Ecosystem::kDeb, b.low, b.high}};
  auto all = [](Ecosystem, absl::string_view, absl::string_view) { return true; };
  auto hit = store->PackageVersions("openssl", false, &one, all);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(names(*hit), std::vector<std::string>{"deb 1:0.9.8-1"});
  b = KeyBoundsOf(Ecosystem::kDeb, *ParseVersionRange(">2,<1"));
  std::vector<Store::VersionKeyRange> empty = {{Ecosystem::kDeb, b.low, b.high}};
  auto none = store->PackageVersions("openssl", false, &empty, all);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(names(*none), std::vector<std::string>());
}

// migrations/0007: rpm and apk file digests come back as stored, each on
// its file, with its algorithm; dpkg packages store none; a file list that
// could not be split back (a name with a newline) keeps no digests rather
// than shifted ones.
TEST_F(TempDb, PackageFileDigestsRoundTrip) {
  auto store = *Store::Open(path_);
  const std::string sha256(64, 'a'), md5(32, 'b'), sha1(40, 'c');
  auto pkg = [](Ecosystem e, const std::string& name,
                std::vector<std::string> files, std::vector<FileDigest> d) {
    Package p;
    p.ecosystem = e;
    p.name = name;
    p.version = "1";
    p.files = std::move(files);
    p.file_digests = std::move(d);
    return p;
  };
  struct Db {
    std::string path;
    Ecosystem ecosystem;
    std::vector<Package> packages;
  };
  const std::vector<Db> dbs = {
      {"lib/apk/db/installed", Ecosystem::kApk,
       {pkg(Ecosystem::kApk, "busybox", {"bin/busybox", "bin/sh"},
            {{"bin/busybox", "sha1", sha1}, {"bin/sh", "md5", md5}})}},
      {"var/lib/dpkg/status", Ecosystem::kDeb,
       {pkg(Ecosystem::kDeb, "coreutils", {}, {})}},
      {"var/lib/rpm/rpmdb.sqlite", Ecosystem::kRpm,
       {pkg(Ecosystem::kRpm, "bash", {"", "usr/bin", "usr/bin/bash", "usr/bin/sh"},
            {{"usr/bin/bash", "sha256", sha256}}),
        pkg(Ecosystem::kRpm, "odd", {"etc/a\nb", "etc/c"},
            {{"etc/c", "sha256", sha256}})}},
  };
  std::vector<LayerEntry> entries;
  NewLayer layer;
  int i = 0;
  for (const Db& d : dbs) {
    LayerPackageDb db;
    db.db_path = d.path;
    db.ecosystem = d.ecosystem;
    const std::string text = "db" + std::to_string(i++);
    db.db_hash = ContentHasher::Of(text.data(), text.size());
    db.scan.packages = d.packages;
    layer.package_dbs.push_back(db);
    std::string dir;
    for (absl::string_view part : absl::StrSplit(d.path, '/')) {
      dir = dir.empty() ? std::string(part) : dir + "/" + std::string(part);
      if (dir == d.path) {
        entries.push_back(F(dir, text));
      } else if (std::none_of(entries.begin(), entries.end(),
                              [&](const LayerEntry& e) { return e.path == dir; })) {
        entries.push_back(D(dir));
      }
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
  NewLayer made = MakeLayer(Digest('1'), entries);
  made.package_dbs = layer.package_dbs;
  auto r = store->CommitImage(Image(Digest('a'), {Digest('1')}), {made}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto refs = store->ImagePackageDbs(r->image_id);
  ASSERT_TRUE(refs.ok()) << refs.status();
  std::vector<std::string> got;
  for (const PackageDbRef& ref : *refs) {
    auto set = store->PackageSet(ref.set_id);
    ASSERT_TRUE(set.ok()) << set.status();
    for (const Package& p : *set) {
      got.push_back(p.name + ":");
      for (const FileDigest& d : p.file_digests) {
        got.back() += " " + d.path + " " + d.algorithm + " " + d.digest;
      }
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "busybox: bin/busybox sha1 " + sha1 + " bin/sh md5 " + md5,
                     "coreutils:", "bash: usr/bin/bash sha256 " + sha256,
                     "odd:"}));
  auto db = Database::Open(path_, Database::kReadOnly);
  ASSERT_TRUE(db.ok());
  auto st = (*db)->Prepare(
      "SELECT name, length(file_digests) FROM packages ORDER BY name");
  ASSERT_TRUE(st.ok());
  std::vector<std::string> sizes;
  while (*st->Step()) {
    sizes.push_back(st->ColumnText(0) + " " +
                    (st->ColumnIsNull(1) ? "NULL" : std::to_string(st->ColumnInt(1))));
  }
  // A length byte per file, and the raw digest.
  EXPECT_EQ(sizes, (std::vector<std::string>{"bash 36", "busybox 38",
                                             "coreutils NULL", "odd NULL"}));
}

TEST_F(TempDb, EntriesAtAndUnderReadOnlyTheAskedLayers) {
  auto store = *Store::Open(path_);
  std::vector<NewLayer> layers = {
      MakeLayer(Digest('1'), {D("d"), F("d/a"), F("d/b"), F("d0"), F("e")}),
      MakeLayer(Digest('2'), {F("d/a", "2"), F("e")})};
  ASSERT_TRUE(store
                  ->CommitImage(Image(Digest('a'), {Digest('1'), Digest('2')}),
                                layers, {})
                  .ok());
  auto img = *store->FindImage(Digest('a'));
  int64_t l1 = img.layers[0].layer_id, l2 = img.layers[1].layer_id;
  auto under = store->LayerEntriesUnder({l1}, "d");
  ASSERT_TRUE(under.ok());
  ASSERT_EQ((*under)[0].size(), 2u);
  EXPECT_EQ((*under)[0][0].path, "d/a");
  EXPECT_EQ((*under)[0][1].path, "d/b");
  auto at = store->LayerEntriesAt({l2, l1}, {"e", "d/a", "missing"});
  ASSERT_TRUE(at.ok());
  ASSERT_EQ((*at)[0].size(), 2u);  // layer 2: d/a, e
  EXPECT_EQ((*at)[0][0].path, "d/a");
  EXPECT_EQ((*at)[0][0].size, 1);
  ASSERT_EQ((*at)[1].size(), 2u);
}

}  // namespace
}  // namespace dci
