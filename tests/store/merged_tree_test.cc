#include "store/merged_tree.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/store/entry_helpers.h"

namespace dci {
namespace {

using testing::D;
using testing::F;
using testing::L;
using testing::Layer;
using testing::W;

// path -> "type letter @ layer" for compact exact comparisons.
std::map<std::string, std::string> Shape(const MergedTree& t) {
  std::map<std::string, std::string> out;
  for (const auto& [path, node] : t) {
    out[path] = std::string(1, EntryTypeLetter(node.entry.type)) + "@" +
                std::to_string(node.layer);
  }
  return out;
}

TEST(MergedTree, LaterLayerReplacesFileAndRecordsItsLayer) {
  MergedTree t = MergeLayers({Layer({D("etc"), F("etc/a", "1")}),
                              Layer({F("etc/a", "22")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{
                          {"etc", "d@0"}, {"etc/a", "f@1"}}));
  EXPECT_EQ(t.at("etc/a").entry.size, 2);
}

// Invariant 1.
TEST(MergedTree, WhiteoutRemovesPathAndSubtree) {
  MergedTree t = MergeLayers(
      {Layer({D("a"), F("a/x"), D("a/sub"), F("a/sub/y"), F("ab"), F("a0")}),
       Layer({W("a")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{{"ab", "f@0"},
                                                           {"a0", "f@0"}}));
}

TEST(MergedTree, WhiteoutThenRewriteInLaterLayer) {
  MergedTree t =
      MergeLayers({Layer({F("f", "1")}), Layer({W("f")}), Layer({F("f", "3")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{{"f", "f@2"}}));
}

// Invariant 2 and 3.
TEST(MergedTree, OpaqueWhiteoutHidesLowerChildrenButNotSameLayer) {
  MergedTree t = MergeLayers(
      {Layer({D("d"), F("d/old"), D("d/deep"), F("d/deep/x"), F("dz")}),
       Layer({D("d", /*opaque=*/true), F("d/new")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{
                          {"d", "d@1"}, {"d/new", "f@1"}, {"dz", "f@0"}}));
}

// Invariant 3.
TEST(MergedTree, WhiteoutDoesNotHideEntriesOfItsOwnLayer) {
  MergedTree t = MergeLayers(
      {Layer({D("d"), F("d/x")}), Layer({W("d/x"), F("d/y")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{{"d", "d@0"},
                                                           {"d/y", "f@1"}}));
}

// Invariant 4.
TEST(MergedTree, DirectoryReplacedByFileAndBack) {
  MergedTree t = MergeLayers({Layer({D("d"), F("d/child")}),
                              Layer({F("d", "now a file")}),
                              Layer({D("d"), F("d/other")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{
                          {"d", "d@2"}, {"d/other", "f@2"}}));
}

TEST(MergedTree, SymlinkReplacingDirectoryHidesSubtree) {
  MergedTree t = MergeLayers(
      {Layer({D("lib"), F("lib/x")}), Layer({L("lib", "usr/lib")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{{"lib", "l@1"}}));
  EXPECT_EQ(t.at("lib").entry.link_target, "usr/lib");
}

TEST(MergedTree, EntriesWithoutParentDirectoryEntriesAreKept) {
  MergedTree t = MergeLayers({Layer({F("no/parent/here")})});
  EXPECT_EQ(Shape(t),
            (std::map<std::string, std::string>{{"no/parent/here", "f@0"}}));
}

TEST(MergedTree, ImplicitOpaqueDirectoryKeepsLowerAttributes) {
  LayerEntry lower = D("d");
  lower.mode = 0700;
  lower.uid = 42;
  LayerEntry implicit = D("d", /*opaque=*/true);
  implicit.implicit = true;
  implicit.mode = 0;
  MergedTree t = MergeLayers(
      {Layer({lower, F("d/old")}), Layer({implicit, F("d/new")})});
  EXPECT_EQ(Shape(t), (std::map<std::string, std::string>{{"d", "d@0"},
                                                           {"d/new", "f@1"}}));
  EXPECT_EQ(t.at("d").entry.mode, 0700u);
  EXPECT_EQ(t.at("d").entry.uid, 42);
}

// Invariant 5: merging only the entries at a path and its ancestors gives
// the path the same state as the full merge.
TEST(MergedTree, RestrictedMergeAgreesWithFullMerge) {
  std::vector<std::vector<LayerEntry>> layers = {
      Layer({D("a"), D("a/b"), F("a/b/c", "1"), F("a/z"), D("q"), F("q/r")}),
      Layer({D("a/b", true), F("a/b/d"), W("q")}),
      Layer({F("a/b/c", "3"), D("q"), F("q/s")})};
  MergedTree full = MergeLayers(layers);
  for (const std::string target : {"a/b/c", "a/b/d", "a/z", "q/r", "q/s"}) {
    std::vector<std::vector<LayerEntry>> restricted;
    for (const auto& layer : layers) {
      std::vector<LayerEntry> keep;
      for (const LayerEntry& e : layer) {
        if (target == e.path ||
            (target.size() > e.path.size() &&
             target.compare(0, e.path.size() + 1, e.path + "/") == 0)) {
          keep.push_back(e);
        }
      }
      restricted.push_back(keep);
    }
    MergedTree part = MergeLayers(restricted);
    EXPECT_EQ(full.count(target), part.count(target)) << target;
    if (full.count(target) && part.count(target)) {
      EXPECT_EQ(full.at(target).layer, part.at(target).layer) << target;
    }
  }
}

}  // namespace
}  // namespace dci
