// Version order for deb and apk, and version ranges. The tables follow the
// rules deb-version(7) and apk-tools' version tests exercise; the deb table
// is also checked row by row against the real `dpkg --compare-versions`.
#include "indexer/packages/version.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dci {
namespace {

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

struct OrderCase {
  const char* a;
  const char* b;
  int want;  // sign of compare(a, b)
};

// ---------------------------------------------------------------------- deb

const std::vector<OrderCase>& DebCases() {
  static const auto* cases = new std::vector<OrderCase>{
      // Equal spellings.
      {"1.0", "1.0", 0},
      {"1.0", "1.0-0", 0},       // an absent revision is "0"
      {"0:1.0", "1.0", 0},       // an absent epoch is 0
      {"00:0-00", "0:00-0", 0},  // numbers ignore leading zeros
      {"1.002", "1.2", 0},
      {"1:2.0-3", "01:2.0-3", 0},
      // Epoch first.
      {"1:0", "0:9.9", 1},
      {"2:1.0", "10:0.1", -1},
      {"1:1.0-1", "1.0-1", 1},
      {"1:2.38.1-5+deb12u1", "2.38.1-5+deb12u1", 1},
      // '~' sorts before everything, even the end.
      {"1.0~rc1", "1.0", -1},
      {"1.0~~", "1.0~~a", -1},
      {"1.0~~a", "1.0~", -1},
      {"1.0~", "1.0", -1},
      {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~rc1-1", "1.0-1", -1},
      {"2.30-1~bpo11+1", "2.30-1", -1},
      {"7.4.0-1~exp1", "7.4.0-1", -1},
      {"3.0.11-1~deb12u2", "3.0.11-1", -1},
      // Letters before other characters; ASCII order among each.
      {"1.0", "1.0a", -1},
      {"1.0a", "1.0+", -1},
      {"1.0z", "1.0+", -1},
      {"1.0+", "1.0.", -1},
      {"1.0A", "1.0a", -1},
      {"1.0+dfsg", "1.0", 1},
      {"1.0+b1", "1.0", 1},
      // Digit runs compare as numbers.
      {"1.2", "1.10", -1},
      {"1.9", "1.10", -1},
      {"10", "9", 1},
      {"1.2", "1.2.0", -1},
      {"1.2.3", "1.2", 1},
      {"1.20240101000000000000001", "1.20240101000000000000002", -1},
      {"99999999999999999999", "100000000000000000000", -1},
      // Revisions.
      {"1.0-1", "1.0-2", -1},
      {"1.0-9", "1.0-10", -1},
      {"1.0-1ubuntu1", "1.0-1", 1},
      {"9.0-1+deb9u1", "9.0-1", 1},
      {"1.0-1.1", "1.0-1+b1", 1},
      {"2.33.1-0.1", "2.33.1-0.1+b1", -1},
      {"5.2.15-2+b2", "5.2.15-2+b10", -1},
      // The revision follows the last '-'.
      {"1.0-2-3", "1.0-2-4", -1},
      {"1.0-2-3", "1.0-3-1", -1},
      // Real upgrades.
      {"1.1.1n-0+deb11u5", "1.1.1w-0+deb11u1", -1},
      {"2.36-9+deb12u3", "2.36-9+deb12u10", -1},
      {"1:9.18.19-1~deb12u1", "1:9.18.24-1", -1},
  };
  return *cases;
}

TEST(DebVersion, OrderTable) {
  for (const OrderCase& c : DebCases()) {
    EXPECT_EQ(Sign(CompareDebVersions(c.a, c.b)), c.want)
        << c.a << " vs " << c.b;
    EXPECT_EQ(Sign(CompareDebVersions(c.b, c.a)), -c.want)
        << c.b << " vs " << c.a;
  }
}

TEST(DebVersion, OrderTableAgreesWithDpkgCompareVersions) {
  if (std::system("command -v dpkg >/dev/null 2>&1") != 0) {
    if (std::getenv("CI") != nullptr) FAIL() << "dpkg is not on PATH (CI)";
    GTEST_SKIP() << "SKIPPED: dpkg is not on PATH";
  }
  for (const OrderCase& c : DebCases()) {
    const char* op = c.want < 0 ? "lt" : (c.want > 0 ? "gt" : "eq");
    const std::string cmd = absl::StrCat("dpkg --compare-versions '", c.a, "' ",
                                         op, " '", c.b, "' 2>/dev/null");
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "dpkg disagrees: " << cmd;
  }
}

TEST(DebVersion, SplitsAsDpkgParseversion) {
  struct SplitCase {
    const char* in;
    const char* epoch;
    const char* upstream;
    const char* revision;
  };
  const std::vector<SplitCase> cases = {
      {"1.0", "", "1.0", ""},
      {"1:2.33.1-0.1", "1", "2.33.1", "0.1"},
      {"0:0-0-0", "0", "0-0", "0"},     // revision after the last '-'
      {"0:0:0-0", "0", "0:0", "0"},     // epoch before the first ':'
      {"  \t1:0-1 \t", "1", "0", "1"},  // blanks around are ignored
      {"0:0-", "0", "0", ""},
      {"a:1.0-1", "", "a:1.0", "1"},  // not an epoch: kept in upstream
      {"", "", "", ""},
  };
  for (const SplitCase& c : cases) {
    const DebVersion v = SplitDebVersion(c.in);
    EXPECT_EQ(v.epoch, c.epoch) << c.in;
    EXPECT_EQ(v.upstream, c.upstream) << c.in;
    EXPECT_EQ(v.revision, c.revision) << c.in;
  }
}

// ---------------------------------------------------------------------- apk

TEST(ApkVersion, OrderTable) {
  const std::vector<OrderCase> cases = {
      // Equal.
      {"1.0", "1.0", 0},
      {"1.0-r0", "1.0-r0", 0},
      {"0.1.0_alpha", "0.1.0_alpha", 0},
      // Numbers; more components are newer.
      {"2.34", "0.1.0_alpha", 1},
      {"1.2.1", "1.2", 1},
      {"1.2", "1.2.0", -1},
      {"1.0.4-r3", "1.0.4-r4", -1},
      {"7.0.17", "7.0.174", -1},
      {"20050718-r1", "3.9.8-r5", 1},
      {"1.0.99999999999999999999", "1.0.100000000000000000000", -1},
      // The first number is always numeric; later ones with a leading zero
      // compare as text.
      {"006", "1.0.0", 1},
      {"013", "014-r1", -1},
      {"1.02", "1.1", -1},
      {"1.012", "1.02", -1},
      {"0.01", "0.06", -1},
      {"1.2.07.8", "1.2.12.04", -1},
      {"2.10.1", "02.08.01b", 1},
      // Revisions.
      {"1.0-r10", "1.0-r9", 1},
      {"1.2-r1", "1.2", 1},
      {"1.2-r1", "1.2.1", -1},
      // A letter.
      {"1.2a", "1.2", 1},
      {"1.2a", "1.2b", -1},
      {"1.2.1", "1.2a", 1},
      {"0.9.8c-r1", "0.9.8d", -1},
      {"2.5.1-r8", "2.5.1a-r1", -1},
      // Suffixes: _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git <
      // _hg < _p.
      {"1.0_alpha", "1.0_beta", -1},
      {"1.0_beta", "1.0_pre", -1},
      {"1.0_pre", "1.0_rc", -1},
      {"1.0_rc1", "1.0", -1},
      {"1.0", "1.0_cvs", -1},
      {"1.0_cvs", "1.0_svn", -1},
      {"1.0_svn", "1.0_git", -1},
      {"1.0_git", "1.0_hg", -1},
      {"1.0_hg", "1.0_p1", -1},
      {"1.0_p1", "1.0_p2", -1},
      {"1.0_p10", "1.0_p9", 1},
      {"1.0_rc1", "1.0_rc2", -1},
      {"1.0_alpha_pre2", "1.0_alpha", -1},
      {"6.0_pre1", "6.0", -1},
      {"6.0_p1", "6.0", 1},
      {"4.5_p1-r1", "4.5_p1", 1},
      {"1.2_p1", "1.2-r5", 1},
      {"1.3_pre1-r1", "1.3.2", -1},
      {"3.9_pre20060124", "0.9.16-r1", 1},
      {"1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0", -1},
      {"1.2.4_git20230717-r4", "1.2.4-r4", 1},
      // A commit hash, then the revision.
      {"1.0~abc1", "1.0~abc2", -1},
      {"1.0~abc-r1", "1.0~abc-r2", -1},
      // Text outside the syntax sorts low; broken at the same place: equal.
      {"1.0", "1.0bc", -1},
      {"1.0-foo", "1.0", -1},
      {"1.0_foo", "1.0_bar", 0},
      {"23_foo", "4_beta", 1},
      {"", "", 0},
      {"", "0", -1},
  };
  for (const OrderCase& c : cases) {
    EXPECT_EQ(Sign(CompareApkVersions(c.a, c.b)), c.want)
        << c.a << " vs " << c.b;
    EXPECT_EQ(Sign(CompareApkVersions(c.b, c.a)), -c.want)
        << c.b << " vs " << c.a;
  }
}

TEST(ApkVersion, AscendingChainIsTotallyOrdered) {
  // Every earlier entry sorts strictly before every later one.
  const std::vector<const char*> chain = {
      "0.9",
      "1.0_alpha",
      "1.0_alpha2",
      "1.0_beta",
      "1.0_pre1",
      "1.0_rc1",
      "1.0_rc1-r1",
      "1.0",
      "1.0-r1",
      "1.0-r2",
      "1.0_cvs",
      "1.0_svn",
      "1.0_git20230101",
      "1.0_hg",
      "1.0_p1",
      "1.0_p1-r3",
      "1.0a",
      "1.0b_rc1",
      "1.0b",
      "1.0.0",
      "1.0.1",
      "1.01",
      "1.1",
      "1.2_rc1",
      "1.2",
      "1.10",
      "2",
      "10.0",
  };
  for (size_t i = 0; i < chain.size(); ++i) {
    for (size_t j = 0; j < chain.size(); ++j) {
      const int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Sign(CompareApkVersions(chain[i], chain[j])), want)
          << chain[i] << " vs " << chain[j];
    }
  }
}

// ------------------------------------------------------------------- ranges

TEST(VersionRange, ParsesOperatorsAndWritesThemBack) {
  absl::StatusOr<VersionRange> r = ParseVersionRange(">=1.0.1,<1.0.1g");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->constraints.size(), 2u);
  EXPECT_EQ(r->constraints[0].op, VersionOp::kGreaterEqual);
  EXPECT_EQ(r->constraints[0].version, "1.0.1");
  EXPECT_EQ(r->constraints[1].op, VersionOp::kLess);
  EXPECT_EQ(r->constraints[1].version, "1.0.1g");
  EXPECT_EQ(VersionRangeToString(*r), ">=1.0.1,<1.0.1g");

  struct Case {
    const char* in;
    const char* canonical;
  };
  const std::vector<Case> cases = {
      {"1.0", "=1.0"},
      {"=1.0", "=1.0"},
      {"==1.0", "=1.0"},
      {"!=1.0", "!=1.0"},
      {" > 1:2.0-1 , <= 3 ", ">1:2.0-1,<=3"},
      {"<<2.0,>>1.0", "<2.0,>1.0"},
      {">=1.2_rc1-r0", ">=1.2_rc1-r0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VersionRange> parsed = ParseVersionRange(c.in);
    ASSERT_TRUE(parsed.ok()) << c.in << ": " << parsed.status();
    EXPECT_EQ(VersionRangeToString(*parsed), c.canonical) << c.in;
  }
}

TEST(VersionRange, RejectsMalformedRanges) {
  for (const char* bad : {"", "  ", ">=", ">=1.0,", ",<2", ">=1.0,,<2", "=<1.0",
                          ">=1 .0", "!1.0", "<>1"}) {
    absl::StatusOr<VersionRange> r = ParseVersionRange(bad);
    EXPECT_FALSE(r.ok()) << "\"" << bad << "\" parsed";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(VersionRange, MatchesWithEachEcosystemsOrder) {
  // The example, with dpkg rules: Heartbleed's range.
  absl::StatusOr<VersionRange> heartbleed =
      ParseVersionRange(">=1.0.1,<1.0.1g");
  ASSERT_TRUE(heartbleed.ok());
  EXPECT_TRUE(Matches(*heartbleed, "1.0.1", &CompareDebVersions));
  EXPECT_TRUE(Matches(*heartbleed, "1.0.1e-2+deb7u4", &CompareDebVersions));
  EXPECT_TRUE(Matches(*heartbleed, "1.0.1f", &CompareDebVersions));
  EXPECT_FALSE(Matches(*heartbleed, "1.0.1g", &CompareDebVersions));
  EXPECT_FALSE(Matches(*heartbleed, "1.0.1g-1", &CompareDebVersions));
  EXPECT_FALSE(Matches(*heartbleed, "1.0.0z", &CompareDebVersions));
  EXPECT_FALSE(Matches(*heartbleed, "1:1.0.1", &CompareDebVersions));
  EXPECT_TRUE(Matches(*heartbleed, "1.0.1g~rc1", &CompareDebVersions));

  // The same text means different things per ecosystem: "~" is a
  // pre-release for dpkg and a commit hash for apk.
  absl::StatusOr<VersionRange> below = ParseVersionRange("<1.2");
  ASSERT_TRUE(below.ok());
  EXPECT_TRUE(Matches(*below, "1.2~rc1", &CompareDebVersions));
  EXPECT_FALSE(Matches(*below, "1.2~c0ffee", &CompareApkVersions));
  EXPECT_TRUE(Matches(*below, "1.2_rc1", &CompareApkVersions));
  EXPECT_FALSE(Matches(*below, "1.2-r0", &CompareApkVersions));

  absl::StatusOr<VersionRange> apk =
      ParseVersionRange(">=3.1.4-r5,!=3.1.4-r6,<3.2");
  ASSERT_TRUE(apk.ok());
  EXPECT_TRUE(Matches(*apk, "3.1.4-r5", &CompareApkVersions));
  EXPECT_FALSE(Matches(*apk, "3.1.4-r6", &CompareApkVersions));
  EXPECT_TRUE(Matches(*apk, "3.1.4-r7", &CompareApkVersions));
  EXPECT_TRUE(Matches(*apk, "3.1.5_p1", &CompareApkVersions));
  EXPECT_TRUE(Matches(*apk, "3.2_rc1", &CompareApkVersions));
  EXPECT_FALSE(Matches(*apk, "3.2", &CompareApkVersions));
  EXPECT_FALSE(Matches(*apk, "3.1.4-r4", &CompareApkVersions));

  // Any comparator of the same shape plugs in (rpm's does the same).
  VersionCompareFn bytes = [](absl::string_view a, absl::string_view b) {
    return a.compare(b);
  };
  absl::StatusOr<VersionRange> eq = ParseVersionRange("=abc");
  ASSERT_TRUE(eq.ok());
  EXPECT_TRUE(Matches(*eq, "abc", bytes));
  EXPECT_FALSE(Matches(*eq, "abd", bytes));
  EXPECT_TRUE(Matches(VersionRange(), "anything", bytes));  // no constraint
}

}  // namespace
}  // namespace dci
