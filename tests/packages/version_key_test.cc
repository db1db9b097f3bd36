// Sort keys against the comparison functions they stand for: every pair of
// a large table of versions (the shared testdata's real versions, hand-made
// corner cases and generated strings over each ecosystem's alphabet) must
// order the same way under memcmp of the keys as under the comparator.
#include "indexer/packages/version_key.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"

namespace dci {
namespace {

namespace fs = std::filesystem;

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// Versions of every expected.tsv under `dir`: the second column (dpkg), or
// "[epoch:]version-release" from columns 2-4 (rpm: name, epoch, version,
// release, arch).
std::vector<std::string> TestdataVersions(const std::string& dir) {
  const bool rpm = dir.rfind("rpm", 0) == 0;
  std::vector<std::string> out;
  const fs::path root = fs::path(DCI_TESTDATA_DIR) / dir;
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() != "expected.tsv") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> cols = absl::StrSplit(line, '\t');
      if (rpm && cols.size() >= 4) {
        out.push_back((cols[1].empty() ? "" : cols[1] + ":") + cols[2] + "-" +
                      cols[3]);
      } else if (!rpm && cols.size() >= 2 && !cols[1].empty()) {
        out.push_back(cols[1]);
      }
    }
  }
  return out;
}

std::vector<std::string> Generated(const std::string& alphabet, int count,
                                   unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> len(0, 6);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string s;
    for (int n = len(rng); n > 0; --n) s.push_back(alphabet[pick(rng)]);
    out.push_back(s);
  }
  return out;
}

// Checks every ordered pair; returns the first few disagreements.
std::vector<std::string> Disagreements(const std::vector<std::string>& versions,
                                       Ecosystem e, VersionCompareFn compare) {
  std::vector<std::string> keys;
  for (const std::string& v : versions) {
    std::optional<std::string> k = VersionSortKey(e, v);
    if (!k) return {"no key for \"" + v + "\""};
    keys.push_back(*k);
  }
  std::vector<std::string> bad;
  for (size_t i = 0; i < versions.size() && bad.size() < 5; ++i) {
    for (size_t j = 0; j < versions.size() && bad.size() < 5; ++j) {
      const int want = Sign(compare(versions[i], versions[j]));
      const int got = Sign(keys[i].compare(keys[j]));
      if (want != got) {
        bad.push_back("\"" + versions[i] + "\" vs \"" + versions[j] +
                      "\": compare " + std::to_string(want) + ", keys " +
                      std::to_string(got));
      }
    }
  }
  return bad;
}

const std::vector<std::string>& DebCorners() {
  static const auto* v = new std::vector<std::string>{
      "", "0", "00", "0:0", "1.0", "1.0-0", "1.00", "1.", "1", "1.0~rc1",
      "1.0~", "1.0~~", "1.0+", "1.0a", "1.0A", "1.0-1", "1:1.0", "01:1.0",
      "1.0-1~bpo1", "1.0-1+b1", "2.30-1ubuntu1", "0~", "0a", "~", "~~a",
      "a", "A", "z", "Z", "+", ".", "1.0.1g", "1.0.1f-1", "7.4p1-10+deb9u7",
      "1:2.0-1", "1:2.0-1-2", "a:b", "1:", " 1.0 ", "1.0 ", "1.2.3.4.5.6",
      "99999999999999999999", "100000000000000000000", "0000000000001",
      "1.0\xe9", "1.0\xff", "1.0-\x80"};
  return *v;
}

const std::vector<std::string>& RpmCorners() {
  static const auto* v = new std::vector<std::string>{
      "", "0", "1.0", "1.0-1", "1.0-", "1.0-0", "0:1.0-1", "1:1.0", ":1.0",
      "1.0~rc1", "1.0~rc1-1", "1.0^git1", "1.0^", "1.0^~", "1.0~^",
      "1.0a", "1.0.a", "1.0_1", "1_0", "1..0", "1.0.", "a", "A", "1a", "a1",
      "2.0.1a", "2.0.1", "5.5p1", "5.5p10", "10xyz", "10.1xyz", "xyz10",
      "xyz10.1", "1.0-1.el8", "1.0-1.el8_2", "1.0-1.fc30", "3:4.18.0-1",
      "99999999999999999999", "100000000000000000000", "000001", "~", "^",
      "1.0\xe9", "\xff"};
  return *v;
}

TEST(VersionSortKey, DebKeysOrderAsDpkgOnCornerCases) {
  EXPECT_EQ(Disagreements(DebCorners(), Ecosystem::kDeb, &CompareDebVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, DebKeysOrderAsDpkgOnGeneratedVersions) {
  std::vector<std::string> v = Generated("0129.~-:+abZ", 2500, 20261203);
  v.insert(v.end(), DebCorners().begin(), DebCorners().end());
  EXPECT_EQ(Disagreements(v, Ecosystem::kDeb, &CompareDebVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, DebKeysOrderAsDpkgOnTestdataVersions) {
  std::vector<std::string> v = TestdataVersions("dpkg");
  ASSERT_GT(v.size(), 50u) << "shared testdata missing under "
                            << DCI_TESTDATA_DIR;
  v.insert(v.end(), DebCorners().begin(), DebCorners().end());
  EXPECT_EQ(Disagreements(v, Ecosystem::kDeb, &CompareDebVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, RpmKeysOrderAsRpmOnCornerCases) {
  EXPECT_EQ(Disagreements(RpmCorners(), Ecosystem::kRpm, &CompareRpmVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, RpmKeysOrderAsRpmOnGeneratedVersions) {
  std::vector<std::string> v = Generated("019._-:~^aZ+", 2500, 1203);
  v.insert(v.end(), RpmCorners().begin(), RpmCorners().end());
  EXPECT_EQ(Disagreements(v, Ecosystem::kRpm, &CompareRpmVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, RpmKeysOrderAsRpmOnTestdataVersions) {
  std::vector<std::string> v;
  for (const char* dir : {"rpm-bdb", "rpm-ndb", "rpm-sqlite"}) {
    std::vector<std::string> d = TestdataVersions(dir);
    v.insert(v.end(), d.begin(), d.end());
  }
  ASSERT_GT(v.size(), 20u) << "shared testdata missing under "
                           << DCI_TESTDATA_DIR;
  // Deduplicated: the three formats share most packages.
  std::set<std::string> unique(v.begin(), v.end());
  v.assign(unique.begin(), unique.end());
  v.insert(v.end(), RpmCorners().begin(), RpmCorners().end());
  EXPECT_EQ(Disagreements(v, Ecosystem::kRpm, &CompareRpmVersions),
            std::vector<std::string>());
}

TEST(VersionSortKey, ExactBytes) {
  // epoch 1 | "" run, 2 | "." run, 0 | end | "" run, 1 | end
  EXPECT_EQ(*VersionSortKey(Ecosystem::kDeb, "1:2.0-1"),
            std::string("\x01"
                        "1"
                        "\x02\x01"
                        "2"
                        "\xfe."
                        "\x02\x00"
                        "\x02\x00\x02"
                        "\x02\x01"
                        "1"
                        "\x02\x00\x02",
                        18));
  EXPECT_EQ(*VersionSortKey(Ecosystem::kDeb, "1.0"),
            *VersionSortKey(Ecosystem::kDeb, "0:1.00-0"));
  // epoch 0 | number 1, alpha "el", number 8, end | release present...
  EXPECT_EQ(*VersionSortKey(Ecosystem::kRpm, "1el8"),
            std::string("\x00"
                        "\x05\x01"
                        "1"
                        "\x04"
                        "el\x00"
                        "\x05\x01"
                        "8"
                        "\x02"
                        "\x01",
                        13));
}

TEST(VersionSortKey, NoKeyForApkOrHugeNumbers) {
  EXPECT_EQ(VersionSortKey(Ecosystem::kApk, "1.2.3-r4"), std::nullopt);
  EXPECT_EQ(VersionSortKey(Ecosystem::kDeb, "1." + std::string(251, '7')),
            std::nullopt);
  EXPECT_EQ(VersionSortKey(Ecosystem::kRpm, std::string(251, '7')),
            std::nullopt);
  EXPECT_NE(VersionSortKey(Ecosystem::kRpm, std::string(250, '7')),
            std::nullopt);
}

}  // namespace
}  // namespace dci
