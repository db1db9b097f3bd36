// apk installed-database reader: synthetic records for each rule and every
// shared testdata case against its expected.tsv.
#include "indexer/packages/apk.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dci {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string TestdataDir() { return DCI_TESTDATA_DIR; }

// Shared test data is required in CI and optional on a developer machine.
#define REQUIRE_APK_TESTDATA()                                  \
  do {                                                          \
    if (!fs::is_directory(TestdataDir() + "/apk")) {            \
      if (std::getenv("CI") != nullptr) {                       \
        FAIL() << "DCI_TESTDATA_DIR " << TestdataDir()          \
               << "/apk is missing (CI is set)";                \
      }                                                         \
      GTEST_SKIP() << "SKIPPED: shared test data not found at " \
                   << TestdataDir() << "/apk";                  \
    }                                                           \
  } while (0)

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "path algorithm digest" per file checksum, in order.
std::vector<std::string> DigestLines(const Package& p) {
  std::vector<std::string> out;
  for (const FileDigest& d : p.file_digests) {
    out.push_back(absl::StrCat(d.path, " ", d.algorithm, " ", d.digest));
  }
  return out;
}

using Row = std::tuple<std::string, std::string, std::string>;

std::vector<Row> ReadExpected(const fs::path& p) {
  std::vector<Row> rows;
  for (absl::string_view line : absl::StrSplit(ReadFile(p), '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    cols.resize(3);
    rows.emplace_back(cols[0], cols[1], cols[2]);
  }
  return rows;
}

// Multiset equality; an expected row with an empty arch matches any arch.
std::string DiffRows(const PackageScan& scan,
                     const std::vector<Row>& expected) {
  std::vector<Row> actual;
  for (const Package& p : scan.packages) {
    actual.emplace_back(p.name, p.FullVersion(), p.arch);
  }
  std::vector<std::string> problems;
  std::vector<Row> ordered = expected;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const Row& r) { return !std::get<2>(r).empty(); });
  for (const Row& e : ordered) {
    auto it = std::find_if(actual.begin(), actual.end(), [&](const Row& a) {
      return std::get<0>(a) == std::get<0>(e) &&
             std::get<1>(a) == std::get<1>(e) &&
             (std::get<2>(e).empty() || std::get<2>(a) == std::get<2>(e));
    });
    if (it == actual.end()) {
      problems.push_back(absl::StrCat("missing ", std::get<0>(e), " ",
                                      std::get<1>(e), " ", std::get<2>(e)));
    } else {
      actual.erase(it);
    }
  }
  for (const Row& a : actual) {
    problems.push_back(absl::StrCat("unexpected ", std::get<0>(a), " ",
                                    std::get<1>(a), " ", std::get<2>(a)));
  }
  return absl::StrJoin(problems, "\n");
}

const Package* FindPackage(const PackageScan& scan, absl::string_view name) {
  for (const Package& p : scan.packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// ------------------------------------------------------- synthetic records

TEST(ApkInstalled, ReadsEveryModelledKeyExactly) {
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(
      "C:Q1yhJHGSZ80L7cL0y4UKKGrBPwrUQ=\n"
      "P:busybox-binsh\n"
      "V:1.36.1-r15\n"
      "A:x86_64\n"
      "S:1543\n"
      "I:8192\n"
      "T:busybox ash /bin/sh\n"
      "U:https://busybox.net/\n"
      "L:GPL-2.0-only\n"
      "o:busybox\n"
      "m:S\xC3\xB6ren Tempel <soeren+alpine@soeren-tempel.net>\n"
      "t:1699383189\n"
      "c:d1b6f274f29076967826e0ecf6ebcaa5d360272f\n"
      "D:busybox=1.36.1-r15\n"
      "p:/bin/sh cmd:sh=1.36.1-r15\n"
      "F:bin\n"
      "M:0:0:755\n"
      "R:sh\n"
      "a:0:0:777\n"
      "Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
      "F:usr/share/doc/x\n"
      "R:README\n"
      "R:with space.txt\n");
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_THAT(scan->warnings, IsEmpty());
  ASSERT_EQ(scan->packages.size(), 1u);
  const Package& p = scan->packages[0];
  EXPECT_EQ(p.ecosystem, Ecosystem::kApk);
  EXPECT_EQ(p.name, "busybox-binsh");
  EXPECT_EQ(p.version, "1.36.1-r15");
  EXPECT_EQ(p.epoch, "");
  EXPECT_EQ(p.release, "");
  EXPECT_EQ(p.FullVersion(), "1.36.1-r15");
  EXPECT_EQ(p.arch, "x86_64");
  EXPECT_EQ(p.license, "GPL-2.0-only");
  EXPECT_EQ(p.source_name, "busybox");
  EXPECT_EQ(p.source_version, "");
  EXPECT_EQ(p.maintainer,
            "S\xC3\xB6ren Tempel <soeren+alpine@soeren-tempel.net>");
  EXPECT_EQ(p.installed_size, 8192);
  EXPECT_EQ(p.status, "");
  EXPECT_THAT(p.files, ElementsAre("bin/sh", "usr/share/doc/x/README",
                                   "usr/share/doc/x/with space.txt"));
  EXPECT_THAT(p.config_files, IsEmpty());
}

TEST(ApkInstalled, CrlfMissingFinalNewlineAndFilesAtTheRoot) {
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(
      "P:a\r\nV:1.0-r0\r\nR:at-root\r\n\r\n\r\n"
      "P:b\r\nV:2.0-r1\r\nF:etc\r\nR:b.conf");
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_THAT(scan->warnings, IsEmpty());
  ASSERT_EQ(scan->packages.size(), 2u);
  EXPECT_EQ(scan->packages[0].name, "a");
  EXPECT_THAT(scan->packages[0].files, ElementsAre("at-root"));
  EXPECT_EQ(scan->packages[1].version, "2.0-r1");
  EXPECT_THAT(scan->packages[1].files, ElementsAre("etc/b.conf"));
}

TEST(ApkInstalled, BrokenRecordsAreWarnedAndNeighboursSurvive) {
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(
      "P:first\n"         // 1
      "V:1-r0\n"          // 2
      "F:../../etc\n"     // 3
      "R:shadow\n"        // 4
      "F:usr/bin\n"       // 5
      "R:..\n"            // 6
      "R:tool\n"          // 7
      "I:big\n"           // 8
      "not a key line\n"  // 9
      "P:second\n"        // 10: no blank line before it
      "V:2-r0\n"          // 11
      "\n"                // 12
      "V:3-r0\n"          // 13: record without P
      "\n"                // 14
      "P:no-version\n"    // 15
      "A:x86_64\n");      // 16
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->packages.size(), 2u);
  EXPECT_EQ(scan->packages[0].name, "first");
  EXPECT_THAT(scan->packages[0].files, ElementsAre("usr/bin/tool"));
  EXPECT_EQ(scan->packages[0].installed_size, 0);
  EXPECT_EQ(scan->packages[1].name, "second");
  ASSERT_EQ(scan->warnings.size(), 7u);
  EXPECT_TRUE(absl::StartsWith(scan->warnings[0],
                               "lib/apk/db/installed:3: directory "
                               "\"../../etc\" skipped with its files: "))
      << scan->warnings[0];
  EXPECT_TRUE(absl::StartsWith(
      scan->warnings[1],
      "lib/apk/db/installed:6: file \"..\" in \"usr/bin\" skipped"))
      << scan->warnings[1];
  EXPECT_EQ(scan->warnings[2],
            "lib/apk/db/installed:8: I (installed size) \"big\" is not a "
            "number");
  EXPECT_EQ(scan->warnings[3],
            "lib/apk/db/installed:9: line \"not a key line\" is not "
            "\"K:value\"");
  EXPECT_EQ(scan->warnings[4],
            "lib/apk/db/installed:10: P line without a blank line before it; "
            "starting a new record");
  EXPECT_EQ(scan->warnings[5],
            "lib/apk/db/installed:13: record has no P (name); skipped");
  EXPECT_EQ(scan->warnings[6],
            "lib/apk/db/installed:15: package \"no-version\" has no V "
            "(version); skipped");
}

// apk-tools' checksum encodings (src/blob.c apk_blob_pull_csum and, in
// apk-tools 3, apk_blob_pull_digest), and the Z lines it cannot use.
TEST(ApkInstalled, FileChecksumsInEveryEncoding) {
  const std::string text =
      "P:demo\nV:1-r0\nF:etc\n"
      "R:q1\nZ:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
      "R:x1\na:0:0:755\nZ:X1a5c7d37c33446cd290736b35b626bb75ad3933c4\n"
      "R:q2\nZ:Q247DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
      "R:md5\nZ:d41d8cd98f00b204e9800998ecf8427e\n"
      "R:bad\nZ:Q1notbase64!\n"
      "R:twice\nZ:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
      "Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
      "R:../../escape\nZ:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
      "F:usr\nZ:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n";
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(text);
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->packages.size(), 1u);
  EXPECT_THAT(
      DigestLines(scan->packages[0]),
      ElementsAre(
          "etc/q1 sha1 a5c7d37c33446cd290736b35b626bb75ad3933c4",
          "etc/x1 sha1 a5c7d37c33446cd290736b35b626bb75ad3933c4",
          "etc/q2 sha256 "
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "etc/md5 md5 d41d8cd98f00b204e9800998ecf8427e",
          "etc/twice sha1 a5c7d37c33446cd290736b35b626bb75ad3933c4"));
  EXPECT_THAT(
      scan->warnings,
      ElementsAre(
          "lib/apk/db/installed:14: Z (file checksum) \"Q1notbase64!\" of "
          "\"etc/bad\" is not an apk checksum; skipped",
          "lib/apk/db/installed:17: second Z line for \"etc/twice\"; the "
          "first is kept",
          "lib/apk/db/installed:18: file \"../../escape\" in \"etc\" skipped: "
          "path escapes root (\"..\" component)",
          "lib/apk/db/installed:21: Z (file checksum) without an R line "
          "before it; skipped"));
}

TEST(ApkInstalled, EmptyOrBlankInputIsAnEmptyDatabase) {
  for (const char* text : {"", "\n", "\n\n  \n"}) {
    absl::StatusOr<PackageScan> scan = ParseApkInstalled(text);
    ASSERT_TRUE(scan.ok()) << scan.status();
    EXPECT_THAT(scan->packages, IsEmpty());
    EXPECT_THAT(scan->warnings, IsEmpty());
  }
}

TEST(ApkInstalled, BytesWithoutAnyKeyLineAreNotADatabase) {
  absl::StatusOr<PackageScan> scan = ParseApkInstalled("hello\nworld\n");
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(scan.status().message(),
            "lib/apk/db/installed: not an apk installed database: no "
            "\"K:value\" line (line 1 is \"hello\")");
}

TEST(ApkInstalled, BinaryGarbageNeverCrashes) {
  // Random bytes, then bytes from a small alphabet that forms many short
  // "K:value" lines and records.
  constexpr char kAlphabet[] = "PVFR:.\n/a";
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::string garbage(1 << 16, '\0');
    for (char& c : garbage) {
      c = round < 10 ? static_cast<char>(rng())
                     : kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
    absl::StatusOr<PackageScan> scan = ParseApkInstalled(garbage);
    if (scan.ok()) {
      EXPECT_LE(scan->warnings.size(), 101u);
    } else {
      EXPECT_EQ(scan.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

// ------------------------------------------------------- shared test data

const std::vector<std::string>& ApkCases() {
  static const auto* cases = new std::vector<std::string>{
      "scalibr-invalid", "syft-multiple-1", "trivy-apk"};
  return *cases;
}

TEST(ApkTestdata, EveryCaseFolderIsCovered) {
  REQUIRE_APK_TESTDATA();
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(TestdataDir() + "/apk")) {
    if (e.is_directory()) dirs.push_back(e.path().filename().string());
  }
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(dirs, ApkCases());
}

class ApkTestdataCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ApkTestdataCase, PackageListEqualsExpectedTsv) {
  REQUIRE_APK_TESTDATA();
  const fs::path root = fs::path(TestdataDir()) / "apk" / GetParam();
  ASSERT_TRUE(fs::is_directory(root)) << root;
  absl::StatusOr<PackageScan> scan =
      ParseApkInstalled(ReadFile(root / "lib/apk/db/installed"));
  const std::vector<Row> expected = ReadExpected(root / "expected.tsv");
  if (!scan.ok()) {
    // Only where SOURCE.txt says upstream expects an error.
    EXPECT_THAT(expected, IsEmpty()) << scan.status();
    EXPECT_TRUE(absl::StrContains(ReadFile(root / "SOURCE.txt"),
                                  "upstream asserts: error"))
        << scan.status();
    return;
  }
  EXPECT_EQ(DiffRows(*scan, expected), "");
}

INSTANTIATE_TEST_SUITE_P(Apk, ApkTestdataCase, ::testing::ValuesIn(ApkCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ApkTestdata, InvalidDatabaseIsAnErrorAsUpstreamExpects) {
  REQUIRE_APK_TESTDATA();
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(ReadFile(
      fs::path(TestdataDir()) / "apk/scalibr-invalid/lib/apk/db/installed"));
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(scan.status().message(),
            "lib/apk/db/installed: not an apk installed database: no "
            "\"K:value\" line (line 1 is \"asdf\")");
}

TEST(ApkTestdata, SyftMultipleExactFieldsAndFiles) {
  REQUIRE_APK_TESTDATA();
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(ReadFile(
      fs::path(TestdataDir()) / "apk/syft-multiple-1/lib/apk/db/installed"));
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_THAT(scan->warnings, IsEmpty());
  const Package* bash = FindPackage(*scan, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->source_name, "bash");
  EXPECT_EQ(bash->license, "GPL-3.0-or-later");
  EXPECT_EQ(bash->maintainer, "Natanael Copa <ncopa@alpinelinux.org>");
  EXPECT_EQ(bash->installed_size, 1396736);
  EXPECT_THAT(bash->files, IsEmpty());
  const Package* binsh = FindPackage(*scan, "busybox-binsh");
  ASSERT_NE(binsh, nullptr);
  EXPECT_EQ(binsh->source_name, "busybox");
  EXPECT_THAT(binsh->files, ElementsAre("bin/sh"));
  const Package* musl = FindPackage(*scan, "musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->license, "MIT");
  EXPECT_THAT(musl->files, ElementsAre("lib/ld-musl-x86_64.so.1",
                                       "lib/libc.musl-x86_64.so.1"));
  const Package* readline = FindPackage(*scan, "readline");
  ASSERT_NE(readline, nullptr);
  EXPECT_THAT(readline->files,
              ElementsAre("etc/inputrc", "usr/lib/libreadline.so.8"));
}

// Z: lines, as hex of the base64 after "Q1" (python3 base64.b64decode). The
// symlinks' checksums are SHA-1 of their targets, as apk-tools computes
// them: bin/sh -> /bin/busybox is sha1("/bin/busybox") = a5c7d37c...,
// lib/libc.musl-x86_64.so.1 -> ld-musl-x86_64.so.1 is ef227724....
TEST(ApkTestdata, SyftMultipleFileChecksums) {
  REQUIRE_APK_TESTDATA();
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(ReadFile(
      fs::path(TestdataDir()) / "apk/syft-multiple-1/lib/apk/db/installed"));
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_THAT(scan->warnings, IsEmpty());
  const Package* bash = FindPackage(*scan, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_THAT(DigestLines(*bash), IsEmpty());
  const Package* binsh = FindPackage(*scan, "busybox-binsh");
  ASSERT_NE(binsh, nullptr);
  EXPECT_THAT(DigestLines(*binsh),
              ElementsAre("bin/sh sha1 a5c7d37c33446cd290736b35b626bb75ad3933c4"));
  const Package* musl = FindPackage(*scan, "musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_THAT(
      DigestLines(*musl),
      ElementsAre(
          "lib/ld-musl-x86_64.so.1 sha1 fb3109886e770b1cbb0e4579a1942a7969f3c9b6",
          "lib/libc.musl-x86_64.so.1 sha1 "
          "ef2277245372a40e26c61249af4a2ee82cec2552"));
  // usr/lib/libreadline.so.8 has an a: line and no Z:.
  const Package* readline = FindPackage(*scan, "readline");
  ASSERT_NE(readline, nullptr);
  EXPECT_THAT(DigestLines(*readline),
              ElementsAre("etc/inputrc sha1 8a572092e12c797107ea2328f543632e7d693df8"));
}

// Every one of trivy's 76 Z: lines follows an R: line and is a SHA-1.
TEST(ApkTestdata, TrivyEveryFileChecksumIsKept) {
  REQUIRE_APK_TESTDATA();
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(
      ReadFile(fs::path(TestdataDir()) / "apk/trivy-apk/lib/apk/db/installed"));
  ASSERT_TRUE(scan.ok()) << scan.status();
  size_t n = 0;
  for (const Package& p : scan->packages) {
    for (const FileDigest& d : p.file_digests) {
      ++n;
      EXPECT_EQ(d.algorithm, "sha1") << d.path;
      EXPECT_EQ(d.digest.size(), 40u) << d.path;
      EXPECT_NE(std::find(p.files.begin(), p.files.end(), d.path), p.files.end())
          << d.path;
    }
  }
  EXPECT_EQ(n, 76u);
  EXPECT_THAT(DigestLines(scan->packages[0]),
              ElementsAre("lib/libc.musl-x86_64.so.1 sha1 "
                          "ef2277245372a40e26c61249af4a2ee82cec2552",
                          "lib/ld-musl-x86_64.so.1 sha1 "
                          "294c2c1462c79ff7a7a4df7e408a4afc59a2c6d4"));
}

TEST(ApkTestdata, TrivyRecordWithoutVersionIsSkippedWithAWarning) {
  REQUIRE_APK_TESTDATA();
  absl::StatusOr<PackageScan> scan = ParseApkInstalled(
      ReadFile(fs::path(TestdataDir()) / "apk/trivy-apk/lib/apk/db/installed"));
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_THAT(scan->warnings,
              ElementsAre("lib/apk/db/installed:23: package "
                          "\"invalidPackageWithoutAVersion\" has no V "
                          "(version); skipped"));
  ASSERT_EQ(scan->packages.size(), 15u);
  // File order is kept.
  EXPECT_EQ(scan->packages[0].name, "musl");
  EXPECT_EQ(scan->packages[1].name, "busybox");
  EXPECT_THAT(scan->packages[0].files, ElementsAre("lib/libc.musl-x86_64.so.1",
                                                   "lib/ld-musl-x86_64.so.1"));
  EXPECT_EQ(scan->packages[0].source_name, "musl");
  EXPECT_EQ(scan->packages[0].installed_size, 569344);
}

}  // namespace
}  // namespace dci
