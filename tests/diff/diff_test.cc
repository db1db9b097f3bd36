#include "diff/diff.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "tests/store/entry_helpers.h"

namespace dci {
namespace {

using testing::D;
using testing::F;
using testing::L;
using testing::Layer;
using testing::W;

std::string Digest(int n) {
  std::string hex = std::to_string(n);
  return "sha256:" + std::string(64 - hex.size(), '0') + hex;
}

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dci-diff-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::Open(dir_ + "/dci.db");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    ASSERT_EQ(system(("rm -rf " + dir_).c_str()), 0);
  }

  // Commits an image made of `layers` (each a (layer number, entries)
  // pair; a number already committed is reused) with `config`.
  ImageRecord Commit(int image, const std::vector<int>& layer_numbers,
                     std::map<int, std::vector<LayerEntry>> new_layers,
                     const std::string& config = "") {
    ImageRecord r;
    r.manifest_digest = Digest(1000 + image);
    r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    r.manifest_json = "{}";
    r.config_digest = Digest(2000 + image);
    r.config_media_type = "application/vnd.oci.image.config.v1+json";
    r.config_json = config.empty() ? R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})"
                                   : config;
    std::vector<NewLayer> fresh;
    for (size_t i = 0; i < layer_numbers.size(); ++i) {
      ImageLayer l;
      l.position = static_cast<int>(i);
      l.diff_id = l.blob_digest = Digest(layer_numbers[i]);
      l.media_type = "application/vnd.oci.image.layer.v1.tar";
      r.layers.push_back(l);
      auto it = new_layers.find(layer_numbers[i]);
      if (it != new_layers.end()) {
        NewLayer nl;
        nl.diff_id = Digest(layer_numbers[i]);
        nl.entries = Layer(it->second);
        fresh.push_back(std::move(nl));
      }
    }
    auto c = store_->CommitImage(r, fresh, {});
    EXPECT_TRUE(c.ok()) << c.status();
    return *store_->GetImage(c->image_id);
  }

  // "+path", "-path", "~path:what-bits" lines.
  std::vector<std::string> Lines(const ImageDiff& d) {
    std::vector<std::string> out;
    for (const FileChange& c : d.files) {
      switch (c.kind) {
        case ChangeKind::kAdded: out.push_back("+" + c.path); break;
        case ChangeKind::kRemoved: out.push_back("-" + c.path); break;
        case ChangeKind::kChanged:
          out.push_back("~" + c.path + ":" + std::to_string(c.what));
          break;
      }
    }
    return out;
  }

  // The same diff by brute force: both full merged trees.
  std::vector<std::string> BruteForce(const ImageRecord& a,
                                      const ImageRecord& b) {
    MergedTree ta = *LoadMergedTree(*store_, a);
    MergedTree tb = *LoadMergedTree(*store_, b);
    std::vector<std::string> out;
    std::map<std::string, int> all;
    for (const auto& [p, n] : ta) all[p] |= 1;
    for (const auto& [p, n] : tb) all[p] |= 2;
    for (const auto& [p, m] : all) {
      if (m == 2) out.push_back("+" + p);
      if (m == 1) out.push_back("-" + p);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(DiffTest, AddedRemovedChangedOverSharedBase) {
  std::vector<LayerEntry> base = {D("etc"), F("etc/keep"), F("etc/gone"),
                                  F("etc/edit", "v1"), D("usr"), F("usr/x"),
                                  L("lnk", "a")};
  ImageRecord a = Commit(1, {1}, {{1, base}});
  LayerEntry chmod = F("usr/x");
  chmod.mode = 0755;
  chmod.uid = 1000;
  ImageRecord b = Commit(2, {1, 2},
                         {{2, {W("etc/gone"), F("etc/edit", "v22"), F("etc/new"),
                               chmod, L("lnk", "b")}}});
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->shared_layers, 1);
  EXPECT_EQ(Lines(*d),
            (std::vector<std::string>{
                "~etc/edit:" + std::to_string(kChangedContent | kChangedSize),
                "-etc/gone", "+etc/new",
                "~lnk:" + std::to_string(kChangedLinkTarget),
                "~usr/x:" + std::to_string(kChangedMode | kChangedOwner)}));
  EXPECT_EQ(d->files[0].before->layer, 0);
  EXPECT_EQ(d->files[0].after->layer, 1);
  EXPECT_EQ(d->paths_examined, 5);
}

TEST_F(DiffTest, OpaqueDirectoryInUpperLayerListsHiddenLowerChildren) {
  ImageRecord a = Commit(1, {1}, {{1, {D("d"), F("d/a"), D("d/s"), F("d/s/b"),
                                       F("other")}}});
  ImageRecord b = Commit(2, {1, 2}, {{2, {D("d", true), F("d/new")}}});
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(Lines(*d), (std::vector<std::string>{"-d/a", "+d/new", "-d/s",
                                                  "-d/s/b"}));
  EXPECT_EQ(Lines(*d), BruteForce(a, b));
}

TEST_F(DiffTest, DirectoryReplacedByFileRemovesSubtree) {
  ImageRecord a = Commit(1, {1}, {{1, {D("d"), F("d/a"), F("d/b")}}});
  ImageRecord b = Commit(2, {1, 2}, {{2, {F("d", "file now")}}});
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(Lines(*d), (std::vector<std::string>{
                           "~d:" + std::to_string(kChangedType | kChangedMode), "-d/a",
                           "-d/b"}));
}

TEST_F(DiffTest, BothSidesHaveOwnUpperLayers) {
  ImageRecord base = Commit(1, {1}, {{1, {D("d"), F("d/a"), F("d/b")}}});
  ImageRecord a = Commit(2, {1, 2}, {{2, {W("d/a"), F("d/c")}}});
  ImageRecord b = Commit(3, {1, 3}, {{3, {F("d/a", "changed"), W("d")}}});
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  // b: whole d removed, but d/a written again in the same layer.
  EXPECT_EQ(Lines(*d), (std::vector<std::string>{"-d", "+d/a", "-d/b",
                                                  "-d/c"}));
  EXPECT_EQ(Lines(*d), BruteForce(a, b));
  (void)base;
}

TEST_F(DiffTest, CostDoesNotGrowWithSharedBase) {
  std::vector<LayerEntry> small, big;
  for (int i = 0; i < 100; ++i) small.push_back(F("s/f" + std::to_string(i)));
  for (int i = 0; i < 5000; ++i) big.push_back(F("s/f" + std::to_string(i)));
  small.push_back(D("s"));
  big.push_back(D("s"));
  std::vector<LayerEntry> top = {F("s/f7", "edit"), F("s/new"), W("s/f9")};
  ImageRecord sa = Commit(1, {1}, {{1, small}});
  ImageRecord sb = Commit(2, {1, 3}, {{3, top}});
  ImageRecord ba = Commit(3, {2}, {{2, big}});
  ImageRecord bb = Commit(4, {2, 3}, {});
  auto ds = DiffImages(*store_, sa, sb);
  auto db = DiffImages(*store_, ba, bb);
  ASSERT_TRUE(ds.ok() && db.ok());
  EXPECT_EQ(Lines(*ds), Lines(*db));
  EXPECT_EQ(ds->paths_examined, 3);
  EXPECT_EQ(db->paths_examined, 3);
}

TEST_F(DiffTest, NoSharedLayersFallsBackToFullComparison) {
  ImageRecord a = Commit(1, {1}, {{1, {F("x"), F("y")}}});
  ImageRecord b = Commit(2, {2}, {{2, {F("y"), F("z")}}});
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->shared_layers, 0);
  EXPECT_EQ(Lines(*d), (std::vector<std::string>{"-x", "+z"}));
}

TEST_F(DiffTest, MetadataPerKeyAndScalarChanges) {
  const std::string ca = R"({"architecture":"amd64","os":"linux",
    "rootfs":{"type":"layers","diff_ids":[]},
    "config":{"User":"root","Env":["PATH=/bin","MODE=v1","OLD=1"],
      "Labels":{"version":"1","keep":"k","gone":"g"},
      "Entrypoint":["/bin/sh"],"ExposedPorts":{"80/tcp":{}}},
    "history":[{"created_by":"base"}]})";
  const std::string cb = R"({"architecture":"amd64","os":"linux",
    "rootfs":{"type":"layers","diff_ids":[]},
    "config":{"User":"app","Env":["PATH=/bin","MODE=v2","NEW=2"],
      "Labels":{"version":"2","keep":"k","added":"a"},
      "Entrypoint":["/bin/sh","-c"],"ExposedPorts":{"443/tcp":{}}},
    "history":[{"created_by":"base"},{"created_by":"apt-get install"}]})";
  ImageRecord a = Commit(1, {1}, {{1, {F("x")}}}, ca);
  ImageRecord b = Commit(2, {1}, {}, cb);
  auto d = DiffImages(*store_, a, b);
  ASSERT_TRUE(d.ok()) << d.status();
  std::vector<std::string> got;
  for (const FieldChange& c : d->metadata) {
    got.push_back(std::to_string(static_cast<int>(c.kind)) + " " + c.field +
                  " " + c.key + " " + c.before + " -> " + c.after);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "2 user  root -> app",
                     "2 entrypoint  [\"/bin/sh\"] -> [\"/bin/sh\",\"-c\"]",
                     "1 label gone g -> ", "2 label version 1 -> 2",
                     "0 label added  -> a", "2 env MODE v1 -> v2",
                     "1 env OLD 1 -> ", "0 env NEW  -> 2",
                     "1 exposed_port 80/tcp  -> ", "0 exposed_port 443/tcp  -> "}));
  ASSERT_EQ(d->history.size(), 1u);
  EXPECT_EQ(d->history[0].kind, ChangeKind::kAdded);
  EXPECT_EQ(d->history[0].index, 1);
  EXPECT_EQ(d->history[0].created_by, "apt-get install");
  EXPECT_TRUE(d->files.empty());
}

}  // namespace
}  // namespace dci
