// dpkg status and file-list readers: synthetic stanzas for each rule, every
// shared testdata case against its expected.tsv, and the real dpkg-query
// on the same databases (the testdata status files and this host's own).
#include "indexer/packages/dpkg.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dci {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;  // NOLINT: "\0" inside test bytes
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ------------------------------------------------------------------ helpers

std::string TestdataDir() { return DCI_TESTDATA_DIR; }

// Shared test data is required in CI and optional on a developer machine.
#define REQUIRE_DPKG_TESTDATA()                                 \
  do {                                                          \
    if (!fs::is_directory(TestdataDir() + "/dpkg")) {           \
      if (std::getenv("CI") != nullptr) {                       \
        FAIL() << "DCI_TESTDATA_DIR " << TestdataDir()          \
               << "/dpkg is missing (CI is set)";               \
      }                                                         \
      GTEST_SKIP() << "SKIPPED: shared test data not found at " \
                   << TestdataDir() << "/dpkg";                 \
    }                                                           \
  } while (0)

// dpkg-query is part of every Debian system, so CI has it.
#define REQUIRE_DPKG_QUERY()                                         \
  do {                                                               \
    if (std::system("command -v dpkg-query >/dev/null 2>&1") != 0) { \
      if (std::getenv("CI") != nullptr) {                            \
        FAIL() << "dpkg-query is not on PATH (CI is set)";           \
      }                                                              \
      GTEST_SKIP() << "SKIPPED: dpkg-query is not on PATH";          \
    }                                                                \
  } while (0)

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// Runs a shell command; its stdout, or nullopt-like "exit != 0" via `ok`.
std::string RunCommand(const std::string& cmd, bool* ok) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) {
    *ok = false;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  *ok = pclose(f) == 0;
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (fs::temp_directory_path() / "dci-dpkg-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

using Row =
    std::tuple<std::string, std::string, std::string>;  // name, ver, arch

std::vector<Row> Rows(const PackageScan& scan) {
  std::vector<Row> rows;
  for (const Package& p : scan.packages) {
    rows.emplace_back(p.name, p.FullVersion(), p.arch);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// expected.tsv: "name\tversion\tarch", arch empty = not asserted.
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

// Multiset equality where an expected row with an empty arch matches any
// arch. Returns a description of the difference, "" when equal.
std::string DiffRows(std::vector<Row> actual,
                     const std::vector<Row>& expected) {
  std::vector<std::string> problems;
  // Rows with an asserted arch first, so wildcards take what is left.
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

// Reads a testdata case the way an indexer would: the status file and every
// status.d file, each parsed on its own.
PackageScan ReadCase(const fs::path& root) {
  PackageScan all;
  auto add = [&all](const PackageScan& s) {
    all.packages.insert(all.packages.end(), s.packages.begin(),
                        s.packages.end());
    all.warnings.insert(all.warnings.end(), s.warnings.begin(),
                        s.warnings.end());
  };
  const fs::path status = root / "var/lib/dpkg/status";
  if (fs::exists(status)) {
    add(ParseDpkgStatus(ReadFile(status), "var/lib/dpkg/status"));
  }
  const fs::path statusd = root / "var/lib/dpkg/status.d";
  if (fs::is_directory(statusd)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(statusd))
      files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      add(ParseDpkgStatus(ReadFile(f), absl::StrCat("var/lib/dpkg/status.d/",
                                                    f.filename().string())));
    }
  }
  return all;
}

// Installed packages as dpkg-query lists them for an admin dir ("" = the
// host's), minus config-files ones (see ParseDpkgStatus's comment).
std::vector<Row> DpkgQueryRows(const std::string& admindir, bool* ok) {
  std::string cmd = "dpkg-query ";
  if (!admindir.empty()) cmd += "--admindir=" + ShellQuote(admindir) + " ";
  cmd +=
      "-W -f '${db:Status-Status}\\t${Package}\\t${Version}\\t"
      "${Architecture}\\n' 2>/dev/null";
  const std::string out = RunCommand(cmd, ok);
  std::vector<Row> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    cols.resize(4);
    if (cols[0] == "config-files" || cols[0] == "not-installed") continue;
    rows.emplace_back(cols[1], cols[2], cols[3]);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

const Package* FindPackage(const PackageScan& scan, absl::string_view name) {
  for (const Package& p : scan.packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// ------------------------------------------------------- synthetic stanzas

constexpr char kTwoStanzas[] =
    "Package: util-linux\n"
    "Essential: yes\n"
    "Status: install ok installed\n"
    "Installed-Size: 4327\n"
    "Maintainer: LaMont Jones <lamont@debian.org>\n"
    "Architecture: amd64\n"
    "Source: util-linux-src (2.33.1-0.1)\n"
    "Version: 1:2.33.1-0.1+b1\n"
    "Conffiles:\n"
    " /etc/default/hwclock 3916544450533ECA69131F894DB0CA12\n"
    " /etc/init.d/hwclock.sh 1ca5c0743fa797ffa364db95bb8d8d8e obsolete\n"
    " /etc/with space/x.conf 2106ea05877e8913f34b2c77fa02be45\n"
    " /etc/dpkg/new.cfg newconffile remove-on-upgrade\n"
    "Description: miscellaneous system utilities\n"
    " This package contains a number of important utilities.\n"
    " .\n"
    " More text.\n"
    "\n"
    "Package: tzdata\n"
    "Status: install ok installed\n"
    "Version: 2020a-0+deb10u1\n"
    "Architecture: all\n"
    "Source: tzdata\n";

TEST(DpkgStatus, ReadsEveryFieldOfAStanzaExactly) {
  PackageScan scan = ParseDpkgStatus(kTwoStanzas, "var/lib/dpkg/status");
  EXPECT_THAT(scan.warnings, IsEmpty());
  ASSERT_EQ(scan.packages.size(), 2u);

  const Package& p = scan.packages[0];
  EXPECT_EQ(p.ecosystem, Ecosystem::kDeb);
  EXPECT_EQ(p.name, "util-linux");
  EXPECT_EQ(p.epoch, "1");
  EXPECT_EQ(p.version, "2.33.1");
  EXPECT_EQ(p.release, "0.1+b1");
  EXPECT_EQ(p.FullVersion(), "1:2.33.1-0.1+b1");
  EXPECT_EQ(p.arch, "amd64");
  EXPECT_EQ(p.source_name, "util-linux-src");
  EXPECT_EQ(p.source_version, "2.33.1-0.1");
  EXPECT_EQ(p.status, "install ok installed");
  EXPECT_EQ(p.maintainer, "LaMont Jones <lamont@debian.org>");
  EXPECT_EQ(p.installed_size, 4327LL * 1024);
  EXPECT_THAT(p.files, IsEmpty());
  ASSERT_EQ(p.config_files.size(), 4u);
  EXPECT_EQ(p.config_files[0].path, "etc/default/hwclock");
  EXPECT_EQ(p.config_files[0].digest, "3916544450533eca69131f894db0ca12");
  EXPECT_EQ(p.config_files[0].algorithm, "md5");
  EXPECT_FALSE(p.config_files[0].obsolete);
  EXPECT_EQ(p.config_files[1].path, "etc/init.d/hwclock.sh");
  EXPECT_EQ(p.config_files[1].digest, "1ca5c0743fa797ffa364db95bb8d8d8e");
  EXPECT_TRUE(p.config_files[1].obsolete);
  EXPECT_EQ(p.config_files[2].path, "etc/with space/x.conf");
  EXPECT_EQ(p.config_files[2].digest, "2106ea05877e8913f34b2c77fa02be45");
  // Unpacked but not yet configured: dpkg records no digest.
  EXPECT_EQ(p.config_files[3].path, "etc/dpkg/new.cfg");
  EXPECT_EQ(p.config_files[3].digest, "");
  EXPECT_EQ(p.config_files[3].algorithm, "");
  EXPECT_FALSE(p.config_files[3].obsolete);

  const Package& t = scan.packages[1];
  EXPECT_EQ(t.name, "tzdata");
  EXPECT_EQ(t.epoch, "");
  EXPECT_EQ(t.version, "2020a");
  EXPECT_EQ(t.release, "0+deb10u1");
  // "Source: name" without a version: the binary's version, as
  // dpkg-query's ${source:Version} says.
  EXPECT_EQ(t.source_name, "tzdata");
  EXPECT_EQ(t.source_version, "2020a-0+deb10u1");
  EXPECT_EQ(t.installed_size, 0);
  EXPECT_THAT(t.config_files, IsEmpty());
}

TEST(DpkgStatus, WithoutSourceTheSourceIsThePackageItself) {
  PackageScan scan = ParseDpkgStatus(
      "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n"
      "Architecture: amd64\n",
      "s");
  ASSERT_EQ(scan.packages.size(), 1u);
  EXPECT_EQ(scan.packages[0].source_name, "bash");
  EXPECT_EQ(scan.packages[0].source_version, "5.2.15-2+b2");
}

TEST(DpkgStatus, EpochIsPrintedAsDpkgQueryPrintsIt) {
  // dpkg drops a zero epoch unless the rest holds a ':', and reads "01" as 1.
  PackageScan scan = ParseDpkgStatus(
      "Package: a\nVersion: 0:1.2-3\n\n"
      "Package: b\nVersion: 01:1.0\n\n"
      "Package: c\nVersion: 0:1:2-3\n\n"
      "Package: d\nVersion:   2.0~rc1-1  \n",
      "s");
  ASSERT_EQ(scan.packages.size(), 4u);
  EXPECT_EQ(scan.packages[0].FullVersion(), "1.2-3");
  EXPECT_EQ(scan.packages[1].FullVersion(), "1:1.0");
  EXPECT_EQ(scan.packages[1].epoch, "1");
  EXPECT_EQ(scan.packages[2].FullVersion(), "0:1:2-3");
  EXPECT_EQ(scan.packages[2].version, "1:2");
  EXPECT_EQ(scan.packages[3].FullVersion(), "2.0~rc1-1");
}

struct StateCase {
  const char* status;
  bool listed;
};

TEST(DpkgStatus, KeepsEveryStateWithFilesOnDiskAndDropsTheOthers) {
  const std::vector<StateCase> cases = {
      {"install ok installed", true},
      {"hold ok installed", true},
      {"install ok unpacked", true},
      {"install ok half-configured", true},
      {"install ok half-installed", true},
      {"install ok triggers-awaited", true},
      {"install ok triggers-pending", true},
      {"install reinstreq half-installed", true},
      {"deinstall ok config-files", false},
      {"purge ok not-installed", false},
      {"unknown ok not-installed", false},
  };
  for (const StateCase& c : cases) {
    PackageScan scan = ParseDpkgStatus(
        absl::StrCat("Package: p\nStatus: ", c.status, "\nVersion: 1\n"), "s");
    EXPECT_EQ(scan.packages.size(), c.listed ? 1u : 0u) << c.status;
    EXPECT_THAT(scan.warnings, IsEmpty()) << c.status;
    if (c.listed && !scan.packages.empty()) {
      EXPECT_EQ(scan.packages[0].status, c.status);
    }
  }
}

TEST(DpkgStatus, StanzaWithoutStatusCountsAsInstalled) {
  // Distroless status.d files carry no Status field.
  PackageScan scan = ParseDpkgStatus(
      "Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n",
      "var/lib/dpkg/status.d/libssl3");
  ASSERT_EQ(scan.packages.size(), 1u);
  EXPECT_EQ(scan.packages[0].status, "");
  EXPECT_THAT(scan.warnings, IsEmpty());
}

TEST(DpkgStatus, AcceptsCrlfCommentsCaseAndMissingFinalNewline) {
  PackageScan scan = ParseDpkgStatus(
      "# written by hand\r\n"
      "package: zlib1g\r\n"
      "STATUS: install ok installed\r\n"
      "# a comment between fields\r\n"
      "version: 1:1.2.13.dfsg-1\r\n"
      "Conffiles:\r\n"
      " /etc/z.conf 3916544450533eca69131f894db0ca12\r\n"
      " \t \r\n"  // a blank line made of blanks ends the stanza
      "Package: last\r\n"
      "Version: 2",
      "s");
  EXPECT_THAT(scan.warnings, IsEmpty());
  ASSERT_EQ(scan.packages.size(), 2u);
  EXPECT_EQ(scan.packages[0].name, "zlib1g");
  EXPECT_EQ(scan.packages[0].FullVersion(), "1:1.2.13.dfsg-1");
  ASSERT_EQ(scan.packages[0].config_files.size(), 1u);
  EXPECT_EQ(scan.packages[0].config_files[0].path, "etc/z.conf");
  EXPECT_EQ(scan.packages[1].name, "last");
  EXPECT_EQ(scan.packages[1].FullVersion(), "2");
}

TEST(DpkgStatus, BrokenStanzaBecomesAWarningAndNeighboursSurvive) {
  PackageScan scan = ParseDpkgStatus(
      "Package: first\n"          // 1
      "Version: 1\n"              // 2
      "\n"                        // 3
      "Pakij: apt\n"              // 4
      "this line has no colon\n"  // 5
      "  continuation of it\n"    // 6
      "Version: 2\n"              // 7
      "\n"                        // 8
      "Package: third\n"          // 9
      "Version: 3\n"              // 10
      "Version: 4\n"              // 11
      "Installed-Size: lots\n"    // 12
      "Package with space: x\n"   // 13
      "\n"                        // 14
      "Package: no-version\n"     // 15
      "Status: install ok\n",     // 16
      "var/lib/dpkg/status");
  ASSERT_EQ(scan.packages.size(), 3u);
  EXPECT_EQ(scan.packages[0].name, "first");
  EXPECT_EQ(scan.packages[1].name, "third");
  EXPECT_EQ(scan.packages[1].FullVersion(), "3");
  EXPECT_EQ(scan.packages[1].installed_size, 0);
  EXPECT_EQ(scan.packages[2].name, "no-version");
  EXPECT_EQ(scan.packages[2].FullVersion(), "");
  EXPECT_THAT(
      scan.warnings,
      ElementsAre(
          "var/lib/dpkg/status:5: line \"this line has no colon\" is not "
          "\"Name: value\"",
          "var/lib/dpkg/status:4: stanza has no Package value; skipped",
          "var/lib/dpkg/status:11: duplicate field \"Version\" (first at "
          "line 10); ignored",
          "var/lib/dpkg/status:13: field name \"Package with space\" is not "
          "valid",
          "var/lib/dpkg/status:12: package \"third\": Installed-Size \"lots\" "
          "is "
          "not a size in KiB",
          "var/lib/dpkg/status:16: package \"no-version\": Status \"install "
          "ok\" "
          "is not \"want flag state\"",
          "var/lib/dpkg/status:15: package \"no-version\" has no Version"));
}

TEST(DpkgStatus, BadConffileLinesAreWarnedAndSkipped) {
  PackageScan scan = ParseDpkgStatus(
      "Package: p\n"
      "Version: 1\n"
      "Conffiles:\n"
      " /etc/ok 3916544450533eca69131f894db0ca12\n"
      " /etc/../../escape 3916544450533eca69131f894db0ca12\n"
      " /etc/short-hash abc\n"
      " lonely\n",
      "s");
  ASSERT_EQ(scan.packages.size(), 1u);
  const Package& p = scan.packages[0];
  ASSERT_EQ(p.config_files.size(), 2u);
  EXPECT_EQ(p.config_files[0].path, "etc/ok");
  EXPECT_EQ(p.config_files[1].path, "etc/short-hash");
  EXPECT_EQ(p.config_files[1].digest, "");
  ASSERT_EQ(scan.warnings.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(
      scan.warnings[0],
      "s:5: package \"p\": conffile path \"/etc/../../escape\""))
      << scan.warnings[0];
  EXPECT_EQ(
      scan.warnings[1],
      "s:6: package \"p\": conffile etc/short-hash: digest \"abc\" is not "
      "an MD5");
  EXPECT_EQ(scan.warnings[2],
            "s:7: package \"p\": conffile line \" lonely\" lacks a path or a "
            "digest");
}

TEST(DpkgStatus, HugeStanzaIsCappedInsteadOfGoingQuadratic) {
  std::string text = "Package: big\nVersion: 1\n";
  for (int i = 0; i < 200000; ++i)
    absl::StrAppend(&text, "X-Field-", i, ": v\n");
  absl::StrAppend(&text, "\nPackage: after\nVersion: 2\n");
  PackageScan scan = ParseDpkgStatus(text, "s");
  ASSERT_EQ(scan.packages.size(), 2u);
  EXPECT_EQ(scan.packages[0].FullVersion(), "1");
  EXPECT_EQ(scan.packages[1].name, "after");
  EXPECT_THAT(scan.warnings,
              ElementsAre("s:257: stanza has more than 256 fields; the rest "
                          "are ignored"));
}

TEST(DpkgStatus, EmptyInputGivesNothing) {
  for (const char* text : {"", "\n", "\n\n \n\t\n", "# only a comment\n"}) {
    PackageScan scan = ParseDpkgStatus(text, "s");
    EXPECT_THAT(scan.packages, IsEmpty());
    EXPECT_THAT(scan.warnings, IsEmpty()) << text;
  }
}

TEST(DpkgStatus, BinaryGarbageGivesCappedWarningsNeverACrash) {
  std::mt19937 rng(42);
  std::string garbage(1 << 20, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  PackageScan scan = ParseDpkgStatus(garbage, "var/lib/dpkg/status");
  EXPECT_LE(scan.warnings.size(), static_cast<size_t>(kMaxDpkgWarnings) + 1);
  ASSERT_FALSE(scan.warnings.empty());
  EXPECT_TRUE(absl::EndsWith(scan.warnings.back(), "more warnings not shown"))
      << scan.warnings.back();

  // NUL bytes and a stanza after them.
  const std::string text =
      "Package: a\0b\nVersion: 1\n\n\0\0\0\n\nPackage: ok\nVersion: 2\n"s;
  scan = ParseDpkgStatus(text, "s");
  ASSERT_EQ(scan.packages.size(), 1u);
  EXPECT_EQ(scan.packages[0].name, "ok");
  EXPECT_EQ(scan.warnings.size(), 2u);
}

// --------------------------------------------------------------- file lists

TEST(DpkgFileLists, AttachesListsByNameAndArchExactly) {
  PackageScan scan = ParseDpkgStatus(
      "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n"
      "Architecture: amd64\nMulti-Arch: same\n\n"
      "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n"
      "Architecture: i386\nMulti-Arch: same\n\n"
      "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2\n"
      "Architecture: amd64\n\n"
      "Package: nolist\nStatus: install ok installed\nVersion: 1\n",
      "var/lib/dpkg/status");
  DpkgFileLists lists;
  lists["libc6:amd64"] = "/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n";
  lists["libc6:i386"] = "/.\r\n/lib/i386-linux-gnu/libc.so.6\r\n";
  lists["bash"] =
      "/.\n/bin\n/bin/bash\n\n/usr/share/doc/bash/../../../../etc/shadow\n"
      "/etc/skel/.bashrc";
  AttachDpkgFileLists(lists, scan);
  ASSERT_EQ(scan.packages.size(), 4u);
  EXPECT_THAT(scan.packages[0].files,
              ElementsAre("lib", "lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_THAT(scan.packages[1].files,
              ElementsAre("lib/i386-linux-gnu/libc.so.6"));
  EXPECT_THAT(scan.packages[2].files,
              ElementsAre("bin", "bin/bash", "etc/skel/.bashrc"));
  EXPECT_THAT(scan.packages[3].files, IsEmpty());
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(
      scan.warnings[0],
      "var/lib/dpkg/info/bash.list:5: path "
      "\"/usr/share/doc/bash/../../../../etc/shadow\" skipped: "))
      << scan.warnings[0];
}

// A small admin dir written to disk, read back the way an indexer reads an
// image (info/*.list into DpkgFileLists), and checked against dpkg-query on
// the same directory.
TEST(DpkgFileLists, TempAdminDirMatchesDpkgQuery) {
  TempDir tmp;
  const fs::path admin = tmp.path() / "var/lib/dpkg";
  WriteFile(admin / "status",
            "Package: hello\n"
            "Status: install ok installed\n"
            "Priority: optional\n"
            "Section: devel\n"
            "Installed-Size: 280\n"
            "Maintainer: Santiago Vila <sanvila@debian.org>\n"
            "Architecture: amd64\n"
            "Version: 2.10-3\n"
            "Conffiles:\n"
            " /etc/hello.conf 0123456789abcdef0123456789abcdef\n"
            "Description: example package based on GNU hello\n"
            " The GNU hello program.\n"
            "\n"
            "Package: libfoo1\n"
            "Status: install ok installed\n"
            "Priority: optional\n"
            "Section: libs\n"
            "Maintainer: Nobody <nobody@example.org>\n"
            "Architecture: amd64\n"
            "Multi-Arch: same\n"
            "Source: foo (1.0-1)\n"
            "Version: 1.0-1+b1\n"
            "Description: foo library\n"
            " Runtime.\n");
  WriteFile(admin / "available", "");
  // Multi-Arch database layout: info/NAME:ARCH.list for M-A: same.
  WriteFile(admin / "info/format", "1\n");
  WriteFile(admin / "info/hello.list",
            "/.\n/etc\n/etc/hello.conf\n/usr\n/usr/bin\n/usr/bin/hello\n");
  WriteFile(admin / "info/libfoo1:amd64.list",
            "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n"
            "/usr/lib/x86_64-linux-gnu/libfoo.so.1\n");

  PackageScan scan =
      ParseDpkgStatus(ReadFile(admin / "status"), "var/lib/dpkg/status");
  DpkgFileLists lists;
  for (const auto& e : fs::directory_iterator(admin / "info")) {
    const std::string name = e.path().filename().string();
    if (!absl::EndsWith(name, ".list")) continue;
    lists[name.substr(0, name.size() - 5)] = ReadFile(e.path());
  }
  AttachDpkgFileLists(lists, scan);
  EXPECT_THAT(scan.warnings, IsEmpty());
  ASSERT_EQ(scan.packages.size(), 2u);
  const Package& hello = scan.packages[0];
  EXPECT_EQ(hello.installed_size, 280 * 1024);
  EXPECT_THAT(hello.files, ElementsAre("etc", "etc/hello.conf", "usr",
                                       "usr/bin", "usr/bin/hello"));
  ASSERT_EQ(hello.config_files.size(), 1u);
  EXPECT_EQ(hello.config_files[0].path, "etc/hello.conf");
  EXPECT_EQ(hello.config_files[0].digest, "0123456789abcdef0123456789abcdef");
  const Package& foo = scan.packages[1];
  EXPECT_EQ(foo.source_name, "foo");
  EXPECT_EQ(foo.source_version, "1.0-1");
  EXPECT_THAT(foo.files,
              ElementsAre("usr", "usr/lib", "usr/lib/x86_64-linux-gnu",
                          "usr/lib/x86_64-linux-gnu/libfoo.so.1"));

  REQUIRE_DPKG_QUERY();
  bool ok = false;
  EXPECT_EQ(DpkgQueryRows(admin.string(), &ok), Rows(scan));
  EXPECT_TRUE(ok);
  for (const Package& p : scan.packages) {
    const std::string out = RunCommand(
        absl::StrCat("dpkg-query --admindir=", ShellQuote(admin.string()),
                     " -L ", p.name, ":", p.arch, " 2>/dev/null"),
        &ok);
    ASSERT_TRUE(ok) << p.name;
    std::vector<std::string> want;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (line.empty() || line == "/.") continue;
      want.emplace_back(line.substr(1));
    }
    EXPECT_EQ(p.files, want) << p.name;
  }
}

// ------------------------------------------------------- shared test data

// Every case in ../shared/testdata/dpkg; a new folder there must be added.
const std::vector<std::string>& DpkgCases() {
  static const auto* cases = new std::vector<std::string>{
      "claircore-postgresql", "scalibr-transitional", "syft-statusd-corrupt",
      "syft-statusd-multiple", "trivy-valid"};
  return *cases;
}

// The cases with a var/lib/dpkg/status file, which dpkg-query can read too
// (the others hold only distroless status.d stanzas).
const std::vector<std::string>& StatusFileCases() {
  static const auto* cases = new std::vector<std::string>{
      "claircore-postgresql", "scalibr-transitional", "trivy-valid"};
  return *cases;
}

TEST(DpkgTestdata, EveryCaseFolderIsCovered) {
  REQUIRE_DPKG_TESTDATA();
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(TestdataDir() + "/dpkg")) {
    if (e.is_directory()) dirs.push_back(e.path().filename().string());
  }
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(dirs, DpkgCases());
}

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class DpkgTestdataCase : public ::testing::TestWithParam<std::string> {};

TEST_P(DpkgTestdataCase, PackageListEqualsExpectedTsv) {
  REQUIRE_DPKG_TESTDATA();
  const fs::path root = fs::path(TestdataDir()) / "dpkg" / GetParam();
  ASSERT_TRUE(fs::is_directory(root)) << root;
  const PackageScan scan = ReadCase(root);
  EXPECT_EQ(DiffRows(Rows(scan), ReadExpected(root / "expected.tsv")), "");
}

class DpkgStatusFileCase : public ::testing::TestWithParam<std::string> {};

TEST_P(DpkgStatusFileCase, StatusFileMatchesDpkgQuery) {
  REQUIRE_DPKG_TESTDATA();
  const fs::path root = fs::path(TestdataDir()) / "dpkg" / GetParam();
  ASSERT_TRUE(fs::exists(root / "var/lib/dpkg/status")) << root;
  REQUIRE_DPKG_QUERY();
  bool ok = false;
  const std::vector<Row> want =
      DpkgQueryRows((root / "var/lib/dpkg").string(), &ok);
  ASSERT_TRUE(ok) << "dpkg-query failed on " << root;
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(Rows(ReadCase(root)), want);
}

INSTANTIATE_TEST_SUITE_P(Dpkg, DpkgTestdataCase,
                         ::testing::ValuesIn(DpkgCases()),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Dpkg, DpkgStatusFileCase,
                         ::testing::ValuesIn(StatusFileCases()),
                         CaseName);

TEST(DpkgTestdata, CorruptStatusDGivesWarningsAndNoPackage) {
  REQUIRE_DPKG_TESTDATA();
  const PackageScan scan =
      ReadCase(fs::path(TestdataDir()) / "dpkg/syft-statusd-corrupt");
  EXPECT_THAT(scan.packages, IsEmpty());
  EXPECT_THAT(
      scan.warnings,
      ElementsAre("var/lib/dpkg/status.d/corrupt:5: line \"Insterface to the "
                  "configuration settings\" is not \"Name: value\"",
                  "var/lib/dpkg/status.d/corrupt:1: stanza has no Package "
                  "value; skipped"));
}

TEST(DpkgTestdata, DistrolessMultipleStanzasExactFields) {
  REQUIRE_DPKG_TESTDATA();
  const PackageScan scan =
      ReadCase(fs::path(TestdataDir()) / "dpkg/syft-statusd-multiple");
  EXPECT_THAT(
      scan.warnings,
      ElementsAre("var/lib/dpkg/status.d/multiple:1: stanza has no Package "
                  "value; skipped",
                  "var/lib/dpkg/status.d/multiple:3: package \"no-version\" "
                  "has no Version"));
  const Package* tz = FindPackage(scan, "tzdata");
  ASSERT_NE(tz, nullptr);
  EXPECT_EQ(tz->source_name, "tzdata-dev");
  EXPECT_EQ(tz->source_version, "2020a-0+deb10u1");
  EXPECT_EQ(tz->installed_size, 3036 * 1024);
  EXPECT_EQ(tz->maintainer,
            "GNU Libc Maintainers <debian-glibc@lists.debian.org>");
  const Package* ul = FindPackage(scan, "util-linux");
  ASSERT_NE(ul, nullptr);
  ASSERT_EQ(ul->config_files.size(), 6u);
  EXPECT_EQ(ul->config_files[0].path, "etc/default/hwclock");
  EXPECT_EQ(ul->config_files[0].digest, "3916544450533eca69131f894db0ca12");
  EXPECT_EQ(ul->config_files[5].path, "etc/pam.d/su-l");
  EXPECT_EQ(ul->config_files[5].digest, "756fef5687fecc0d986e5951427b0c4f");
  EXPECT_EQ(ul->source_name, "util-linux");
}

TEST(DpkgTestdata, SourceWithVersionAndTransitionalPackage) {
  REQUIRE_DPKG_TESTDATA();
  const PackageScan pg =
      ReadCase(fs::path(TestdataDir()) / "dpkg/claircore-postgresql");
  const Package* client = FindPackage(pg, "postgresql-client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->FullVersion(), "11+200+deb10u5");
  EXPECT_EQ(client->source_name, "postgresql-common");
  EXPECT_EQ(client->source_version, "200+deb10u5");
  EXPECT_EQ(client->installed_size, 65 * 1024);

  const PackageScan ice =
      ReadCase(fs::path(TestdataDir()) / "dpkg/scalibr-transitional");
  ASSERT_EQ(ice.packages.size(), 1u);
  EXPECT_EQ(ice.packages[0].source_name, "firefox-esr");
  EXPECT_EQ(ice.packages[0].source_version, "78.13.0esr-1~deb10u1");
  EXPECT_EQ(ice.packages[0].maintainer,
            "Maintainers of Mozilla-related packages "
            "<team+pkg-mozilla@tracker.debian.org>");
}

TEST(DpkgTestdata, ConfigFilesPackageIsLeftOutAndConffilesAreExact) {
  REQUIRE_DPKG_TESTDATA();
  const PackageScan scan =
      ReadCase(fs::path(TestdataDir()) / "dpkg/trivy-valid");
  EXPECT_THAT(scan.warnings, IsEmpty());
  EXPECT_EQ(scan.packages.size(), 90u);
  EXPECT_EQ(FindPackage(scan, "git"), nullptr);  // deinstall ok config-files
  const Package* base = FindPackage(scan, "base-files");
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(base->installed_size, 375 * 1024);
  ASSERT_EQ(base->config_files.size(), 12u);
  EXPECT_EQ(base->config_files[0].path, "etc/debian_version");
  EXPECT_EQ(base->config_files[0].digest, "71f3b31c52b52a91784e496ddf94b019");
  EXPECT_EQ(base->config_files[11].path, "etc/update-motd.d/50-motd-news");
  EXPECT_EQ(base->config_files[11].digest, "c1d89e86b0eed1ffb1835bcdd78dfe32");
}

// ------------------------------------------------------ this host's dpkg

// The host's own database is a large real case: every package dpkg-query
// lists (minus config-files ones), every conffile with its digest, and the
// files of every package as dpkg-query -L prints them.
TEST(DpkgHost, HostDatabaseMatchesDpkgQueryExactly) {
  const fs::path admin = "/var/lib/dpkg";
  if (!fs::exists(admin / "status")) {
    GTEST_SKIP() << "SKIPPED: this host has no /var/lib/dpkg/status";
  }
  REQUIRE_DPKG_QUERY();
  PackageScan scan =
      ParseDpkgStatus(ReadFile(admin / "status"), "var/lib/dpkg/status");
  EXPECT_THAT(scan.warnings, IsEmpty());
  bool ok = false;
  const std::vector<Row> want = DpkgQueryRows("", &ok);
  ASSERT_TRUE(ok);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(Rows(scan), want);

  // Conffiles: " /path hash [obsolete] [remove-on-upgrade]" under each
  // "name:arch" line.
  const std::string conf_out = RunCommand(
      "dpkg-query -W -f '${Package}:${Architecture}\\n${Conffiles}\\n'", &ok);
  ASSERT_TRUE(ok);
  std::map<std::string, std::vector<ConfigFile>> want_conf;
  std::string current;
  for (absl::string_view line : absl::StrSplit(conf_out, '\n')) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      current = std::string(line);
      want_conf[current];
      continue;
    }
    std::vector<std::string> words =
        absl::StrSplit(line.substr(1), ' ', absl::SkipEmpty());
    ASSERT_GE(words.size(), 2u) << line;
    ConfigFile c;
    c.path = words[0].substr(1);
    c.digest = words[1] == "newconffile" ? "" : words[1];
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "obsolete") c.obsolete = true;
    }
    want_conf[current].push_back(c);
  }
  size_t conffiles = 0;
  for (const Package& p : scan.packages) {
    const std::string key = absl::StrCat(p.name, ":", p.arch);
    const std::vector<ConfigFile>& w = want_conf[key];
    ASSERT_EQ(p.config_files.size(), w.size()) << key;
    for (size_t i = 0; i < w.size(); ++i) {
      EXPECT_EQ(p.config_files[i].path, w[i].path) << key;
      EXPECT_EQ(p.config_files[i].digest, w[i].digest) << key;
      EXPECT_EQ(p.config_files[i].obsolete, w[i].obsolete) << key;
    }
    conffiles += w.size();
  }
  EXPECT_GT(conffiles, 0u);

  // Files: info/*.list read as an indexer reads them, against one
  // dpkg-query -L over every package (outputs separated by blank lines;
  // lines not starting with '/' are diversion notes).
  DpkgFileLists lists;
  for (const auto& e : fs::directory_iterator(admin / "info")) {
    const std::string name = e.path().filename().string();
    if (!absl::EndsWith(name, ".list")) continue;
    lists[name.substr(0, name.size() - 5)] = ReadFile(e.path());
  }
  AttachDpkgFileLists(lists, scan);
  EXPECT_THAT(scan.warnings, IsEmpty());
  std::string specs;
  for (const Package& p : scan.packages) {
    absl::StrAppend(&specs, " ", ShellQuote(absl::StrCat(p.name, ":", p.arch)));
  }
  const std::string list_out =
      RunCommand(absl::StrCat("dpkg-query -L", specs, " 2>/dev/null"), &ok);
  ASSERT_TRUE(ok);
  std::vector<std::vector<std::string>> want_files(1);
  for (absl::string_view line : absl::StrSplit(list_out, '\n')) {
    if (line.empty()) {
      want_files.emplace_back();
      continue;
    }
    if (line[0] != '/' || line == "/.") continue;
    want_files.back().emplace_back(line.substr(1));
  }
  while (want_files.size() > scan.packages.size() &&
         want_files.back().empty()) {
    want_files.pop_back();
  }
  ASSERT_EQ(want_files.size(), scan.packages.size());
  size_t files = 0;
  for (size_t i = 0; i < scan.packages.size(); ++i) {
    EXPECT_EQ(scan.packages[i].files, want_files[i]) << scan.packages[i].name;
    files += want_files[i].size();
  }
  EXPECT_GT(files, 1000u);
}

}  // namespace
}  // namespace dci
