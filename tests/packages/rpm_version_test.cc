// rpm's version order. The cases are the behaviours rpm's own test suite
// (tests/rpmvercmp.at) and its documentation (docs/manual/dependencies.md,
// "Versioning") pin down, written as our own tables; where Debian's `rpm`
// is installed the same tables are also checked against rpm's Lua
// rpm.vercmp, so the table itself cannot be wrong unnoticed.
#include "indexer/packages/rpm_version.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace dci {
namespace {

struct Case {
  const char* a;
  const char* b;
  int want;  // sign of a <=> b
};

// Single version strings (RpmVerCmp).
const std::vector<Case>& VerCmpCases() {
  static const auto* cases = new std::vector<Case>{
      // Plain numbers and segments.
      {"1.0", "1.0", 0},
      {"1.0", "2.0", -1},
      {"2.0", "1.0", 1},
      {"2.0.1", "2.0.1", 0},
      {"2.0", "2.0.1", -1},
      {"2.0.1", "2.0", 1},
      {"4.999.9", "5.0", -1},
      {"20101121", "20101122", -1},
      // Letters inside versions: a trailing letter run is newer.
      {"2.0.1a", "2.0.1a", 0},
      {"2.0.1a", "2.0.1", 1},
      {"2.0.1", "2.0.1a", -1},
      {"5.5p1", "5.5p2", -1},
      {"5.5p10", "5.5p1", 1},
      {"5.5p1", "5.5p10", -1},
      {"10xyz", "10.1xyz", -1},
      {"xyz10", "xyz10.1", -1},
      {"xyz10.1", "xyz10", 1},
      {"5.6p1", "5.5p2", 1},
      {"6.5p1", "5.6p1", 1},
      {"10b2", "10a1", 1},
      {"10a2", "10b2", -1},
      {"1.0aa", "1.0a", 1},
      {"1.0a", "1.0aa", -1},
      // Digits are newer than letters.
      {"xyz.4", "8", -1},
      {"8", "xyz.4", 1},
      {"xyz.4", "2", -1},
      {"6.0.rc1", "6.0", 1},
      {"6.0", "6.0.rc1", -1},
      // Leading zeros do not count.
      {"10.0001", "10.1", 0},
      {"10.1", "10.0001", 0},
      {"10.0001", "10.0039", -1},
      {"10.0039", "10.0001", 1},
      {"1.000", "1.0", 0},
      // Separators are all alike and only separate.
      {"2_0", "2.0", 0},
      {"2.0", "2_0", 0},
      {"a+", "a_", 0},
      {"+a", "_a", 0},
      {"+_", "_+", 0},
      {"+", "_", 0},
      {"1.0", "1..0", 0},
      // '~' sorts before anything, even the end.
      {"1.0~rc1", "1.0~rc1", 0},
      {"1.0~rc1", "1.0", -1},
      {"1.0", "1.0~rc1", 1},
      {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~rc1~git123", "1.0~rc1", -1},
      {"1.0~rc1", "1.0~rc1~git123", 1},
      {"1.0~rc1", "1.0.1", -1},
      // '^' sorts after the end but before any other segment.
      {"1.0^", "1.0^", 0},
      {"1.0^", "1.0", 1},
      {"1.0", "1.0^", -1},
      {"1.0^git1", "1.0", 1},
      {"1.0^git1", "1.0^git2", -1},
      {"1.0^git1", "1.01", -1},
      {"1.01", "1.0^git1", 1},
      {"1.0^20160101", "1.0.1", -1},
      {"1.0^20160102", "1.0^20160101^git1", 1},
      {"1.0~rc1^git1", "1.0~rc1", 1},
      {"1.0~rc1", "1.0~rc1^git1", -1},
      {"1.0^git1~pre", "1.0^git1", -1},
      {"1.0^git1", "1.0^git1~pre", 1},
      // Empty strings.
      {"", "", 0},
      {"", "0", -1},
      {"0", "", 1},
  };
  return *cases;
}

// Whole "[epoch:]version[-release]" strings (CompareRpmVersions).
const std::vector<Case>& EvrCases() {
  static const auto* cases = new std::vector<Case>{
      {"1.0-1", "1.0-1", 0},
      {"1.0-1", "1.0-2", -1},
      {"1.0-10", "1.0-9", 1},
      {"1.0-1", "1.1-1", -1},
      // The epoch decides first; a missing epoch is 0.
      {"1:1.0-1", "2.0-1", 1},
      {"2.0-1", "1:1.0-1", -1},
      {"0:1.0-1", "1.0-1", 0},
      {"1:1.0", "2:0.1", -1},
      {"01:1.0", "1:1.0", 0},
      {"10:1.0", "9:1.0", 1},
      // A missing release sorts before any release (rpm's rpmverCmp).
      {"1.0", "1.0-5", -1},
      {"1.0-5", "1.0", 1},
      {"1.0", "1.0-", -1},
      {"1.0", "0.9-5", 1},
      {"1:1.0", "1:1.0-5", -1},
      // The release is after the last '-'.
      {"1.0-1-2", "1.0-1-3", -1},
      {"2.32.1-42.el8_8", "2.32.1-42.el8", 1},
      {"2.32.1-42.el8_8", "2.32.1-43.el8", -1},
      // '~' and '^' inside EVRs.
      {"1.0~rc1-1", "1.0-1", -1},
      {"1.0^git1-1", "1.0-1", 1},
      {"1.0-1~beta", "1.0-1", -1},
      // Not an epoch: the part before ':' is not all digits.
      {"a:1.0", "a:1.0", 0},
      {"a:1.0", "b:1.0", -1},
  };
  return *cases;
}

TEST(RpmVersion, VerCmpTable) {
  for (const Case& c : VerCmpCases()) {
    EXPECT_EQ(RpmVerCmp(c.a, c.b), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(RpmVerCmp(c.b, c.a), -c.want) << c.b << " vs " << c.a;
  }
}

TEST(RpmVersion, EvrTable) {
  for (const Case& c : EvrCases()) {
    EXPECT_EQ(CompareRpmVersions(c.a, c.b), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(CompareRpmVersions(c.b, c.a), -c.want) << c.b << " vs " << c.a;
  }
}

TEST(RpmVersion, NonAsciiBytesAreSeparators) {
  EXPECT_EQ(RpmVerCmp("1\xc3\xa9"
                      "2",
                      "1.2"),
            0);
  EXPECT_EQ(RpmVerCmp(std::string("1\0"
                                  "2",
                                  3),
                      "1.2"),
            0);
}

TEST(RpmVersion, LongNumbersCompareWithoutOverflow) {
  EXPECT_EQ(RpmVerCmp("123456789012345678901234567890",
                      "123456789012345678901234567891"),
            -1);
  EXPECT_EQ(RpmVerCmp("99999999999999999999999", "100000000000000000000000"),
            -1);
}

bool HaveRpm() { return std::system("command -v rpm >/dev/null 2>&1") == 0; }

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0';
}

// Asks rpm's Lua rpm.vercmp (rpmverCmp on parsed EVRs) for every pair.
std::vector<int> RpmToolVercmp(const std::vector<Case>& cases) {
  std::string lua;
  for (const Case& c : cases) {
    absl::StrAppend(&lua, "print(rpm.vercmp('", c.a, "', '", c.b,
                    "') .. ';') ");
  }
  const std::string cmd =
      absl::StrCat("rpm --eval \"%{lua: ", lua, "}\" 2>/dev/null");
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  std::vector<int> got;
  for (absl::string_view line :
       absl::StrSplit(out, absl::ByAnyChar(";\n"), absl::SkipEmpty())) {
    got.push_back(std::atoi(std::string(line).c_str()));
  }
  return got;
}

TEST(RpmVersion, TablesAgreeWithRpmTool) {
  if (!HaveRpm()) {
    if (InCi()) FAIL() << "rpm is not installed (apt-get install -y rpm)";
    GTEST_SKIP() << "rpm is not installed; cross-check skipped";
  }
  // rpm.vercmp parses EVRs; a lone version string is an EVR without epoch
  // and release, so the single-string table applies as it is. Empty strings
  // are left out (not EVRs), and so is anything the Lua quoting would break.
  std::vector<Case> evr_cases;
  for (const auto* table : {&VerCmpCases(), &EvrCases()}) {
    for (const Case& c : *table) {
      if (*c.a == '\0' || *c.b == '\0') continue;
      if (std::string(c.a).find_first_of("'\\") != std::string::npos) continue;
      evr_cases.push_back(c);
    }
  }
  std::vector<int> got = RpmToolVercmp(evr_cases);
  ASSERT_EQ(got.size(), evr_cases.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], evr_cases[i].want)
        << "rpm disagrees with the table: " << evr_cases[i].a << " vs "
        << evr_cases[i].b;
    EXPECT_EQ(CompareRpmVersions(evr_cases[i].a, evr_cases[i].b), got[i])
        << evr_cases[i].a << " vs " << evr_cases[i].b;
  }
}

}  // namespace
}  // namespace dci
