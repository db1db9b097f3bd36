// RPM header parsing and the three database readers.
//
// Three kinds of evidence:
//   - the real databases in ../shared/testdata/rpm-{bdb,sqlite,ndb}, whose
//     package lists must equal expected.tsv exactly (as multisets);
//   - Debian's `rpm` reading the same bytes (BerkeleyDB through bdb_ro,
//     SQLite through its sqlite backend), and an rpmdb.sqlite built here by
//     rpm itself from packages built here with rpmbuild; compared field by
//     field, files and %config digests included;
//   - synthetic and damaged inputs, each with the exact warning or error.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "indexer/packages/package.h"
#include "indexer/packages/rpm_header.h"
#include "indexer/packages/rpmdb.h"

namespace dci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

// ---------------------------------------------------------------------------
// Helpers.

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0';
}

std::string TestdataDir() { return DCI_TESTDATA_DIR; }
std::string FixtureDir() {
  return absl::StrCat(DCI_SOURCE_DIR, "/tests/packages/testdata_rpm");
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return names;
  while (dirent* e = readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Runs a shell command; returns its exit status and stdout.
int Shell(const std::string& cmd, std::string* out) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return -1;
  char buf[65536];
  size_t n;
  if (out != nullptr) out->clear();
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) {
    if (out != nullptr) out->append(buf, n);
  }
  FILE* f = p.release();
  return pclose(f);
}

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "dci_rpm_XXXXXX";
  char* d = mkdtemp(tmpl.data());
  return d == nullptr ? std::string() : std::string(d);
}

bool HaveTool(const std::string& tool) {
  return Shell(absl::StrCat("command -v ", tool, " >/dev/null 2>&1"),
               nullptr) == 0;
}

#define DCI_REQUIRE_TESTDATA()                                              \
  do {                                                                      \
    if (!Exists(TestdataDir() + "/rpm-bdb")) {                              \
      if (InCi()) FAIL() << "shared testdata missing at " << TestdataDir(); \
      GTEST_SKIP() << "shared testdata missing at " << TestdataDir();       \
    }                                                                       \
  } while (0)

#define DCI_REQUIRE_RPM()                                                    \
  do {                                                                       \
    if (!HaveTool("rpm") || !HaveTool("rpmbuild")) {                         \
      if (InCi()) FAIL() << "rpm/rpmbuild missing (apt-get install -y rpm)"; \
      GTEST_SKIP() << "rpm/rpmbuild not installed; cross-check skipped";     \
    }                                                                        \
  } while (0)

// "path algorithm digest" per kept file digest, in order.
std::vector<std::string> DigestLines(const Package& p) {
  std::vector<std::string> out;
  for (const FileDigest& d : p.file_digests) {
    out.push_back(absl::StrCat(d.path, " ", d.algorithm, " ", d.digest));
  }
  return out;
}

std::string Digest(const std::string& path, const std::string& algorithm,
                   const std::string& digest) {
  return absl::StrCat(path, " ", algorithm, " ", digest);
}

// "name\tepoch\tversion\trelease\tarch", as expected.tsv and our --qf have.
std::string Nevra(const Package& p) {
  return absl::StrJoin({p.name, p.epoch, p.version, p.release, p.arch}, "\t");
}

std::vector<std::string> Nevras(const PackageScan& scan) {
  std::vector<std::string> out;
  for (const Package& p : scan.packages) out.push_back(Nevra(p));
  return out;
}

std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    out.emplace_back(l);
  }
  return out;
}

std::string None(absl::string_view s) {
  return s == "(none)" ? std::string() : std::string(s);
}

// One package as a comparable text block: NEVRA, source rpm, license,
// maintainer, size, every file, every %config file with its digest.
std::string Describe(const Package& p) {
  std::string srpm =
      p.source_version.empty()
          ? p.source_name
          : absl::StrCat(p.source_name, "-", p.source_version, ".src.rpm");
  std::string d = absl::StrCat(Nevra(p), "\t", srpm, "\t", p.license, "\t",
                               p.maintainer, "\t", p.installed_size, "\n");
  std::vector<std::string> files;
  for (const std::string& f : p.files) files.push_back("/" + f);
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) absl::StrAppend(&d, "file ", f, "\n");
  std::vector<std::string> configs;
  for (const ConfigFile& c : p.config_files) {
    configs.push_back(absl::StrCat("config /", c.path, " ", c.digest));
  }
  std::sort(configs.begin(), configs.end());
  for (const std::string& c : configs) absl::StrAppend(&d, c, "\n");
  return d;
}

// The same blocks as `rpm` prints them for every package in a database.
std::vector<std::string> DescribeWithRpm(const std::string& rpm_args) {
  const std::string qf =
      "@@\\t%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t"
      "%{SOURCERPM}\\t%{LICENSE}\\t%{PACKAGER}\\t%{VENDOR}\\t%{LONGSIZE}\\n"
      "[%{FILENAMES}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\n]";
  std::string out;
  EXPECT_EQ(
      Shell(absl::StrCat("rpm ", rpm_args, " -qa --qf '", qf, "' 2>/dev/null"),
            &out),
      0);
  std::vector<std::string> blocks;
  std::vector<std::string> files;
  std::vector<std::string> configs;
  std::string head;
  auto flush = [&]() {
    if (head.empty()) return;
    std::sort(files.begin(), files.end());
    std::sort(configs.begin(), configs.end());
    std::string d = head;
    for (const std::string& f : files) absl::StrAppend(&d, "file ", f, "\n");
    for (const std::string& c : configs) absl::StrAppend(&d, c, "\n");
    blocks.push_back(d);
    files.clear();
    configs.clear();
  };
  for (const std::string& line : Lines(out)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f[0] == "@@" && f.size() == 11) {
      flush();
      const std::string maint = None(f[8]).empty() ? None(f[9]) : None(f[8]);
      head = absl::StrCat(f[1], "\t", None(f[2]), "\t", f[3], "\t", f[4], "\t",
                          None(f[5]), "\t", None(f[6]), "\t", None(f[7]), "\t",
                          maint, "\t", f[10], "\n");
    } else if (f.size() == 3) {
      files.push_back(f[0]);
      if (std::atoi(f[2].c_str()) & 1) {
        configs.push_back(absl::StrCat("config ", f[0], " ", f[1]));
      }
    } else {
      ADD_FAILURE() << "unexpected rpm output line: " << line;
    }
  }
  flush();
  return blocks;
}

std::vector<std::string> Describe(const PackageScan& scan) {
  std::vector<std::string> out;
  for (const Package& p : scan.packages) out.push_back(Describe(p));
  return out;
}

// Where each format keeps its database inside a case's root.
std::string FindDb(const std::string& root, const std::string& format) {
  std::vector<std::string> dirs = {"var/lib/rpm", "usr/lib/sysimage/rpm",
                                   "usr/share/rpm"};
  const std::string file = format == "rpm-bdb"   ? "Packages"
                           : format == "rpm-ndb" ? "Packages.db"
                                                 : "rpmdb.sqlite";
  for (const std::string& d : dirs) {
    std::string p = absl::StrCat(root, "/", d, "/", file);
    if (Exists(p)) return p;
  }
  return "";
}

PackageScan ReadDb(const std::string& format, absl::string_view bytes) {
  if (format == "rpm-bdb") return ReadRpmBdb(bytes);
  if (format == "rpm-ndb") return ReadRpmNdb(bytes);
  return ReadRpmSqlite(bytes);
}

// ---------------------------------------------------------------------------
// The shared test data: every case equals expected.tsv.

void CheckFormat(const std::string& format, size_t min_cases) {
  const std::string dir = TestdataDir() + "/" + format;
  size_t cases = 0;
  for (const std::string& c : ListDir(dir)) {
    SCOPED_TRACE(format + "/" + c);
    const std::string root = dir + "/" + c;
    const std::string db = FindDb(root, format);
    ASSERT_NE(db, "") << "no database file in " << root;
    ++cases;
    PackageScan scan = ReadDb(format, ReadFile(db));
    EXPECT_THAT(scan.warnings, IsEmpty());
    EXPECT_THAT(Nevras(scan), UnorderedElementsAreArray(
                                  Lines(ReadFile(root + "/expected.tsv"))));
  }
  EXPECT_GE(cases, min_cases);
}

TEST(RpmTestdata, BdbCasesEqualExpectedTsv) {
  DCI_REQUIRE_TESTDATA();
  CheckFormat("rpm-bdb", 2);
}

TEST(RpmTestdata, SqliteCasesEqualExpectedTsv) {
  DCI_REQUIRE_TESTDATA();
  CheckFormat("rpm-sqlite", 1);
}

TEST(RpmTestdata, NdbCasesEqualExpectedTsv) {
  DCI_REQUIRE_TESTDATA();
  CheckFormat("rpm-ndb", 1);
}

TEST(RpmTestdata, EpochAndSourceRpmOfCustomPackage) {
  DCI_REQUIRE_TESTDATA();
  PackageScan scan = ReadRpmBdb(ReadFile(
      TestdataDir() + "/rpm-bdb/osv-scalibr-epoch/var/lib/rpm/Packages"));
  ASSERT_EQ(scan.packages.size(), 1u);
  const Package& p = scan.packages[0];
  EXPECT_EQ(p.ecosystem, Ecosystem::kRpm);
  EXPECT_EQ(p.FullVersion(), "1:0.0.1-rls");
  EXPECT_EQ(p.source_name, "hello");
  EXPECT_EQ(p.source_version, "0.0.1-rls");
}

TEST(RpmTestdata, LibuuidFilesAndSource) {
  DCI_REQUIRE_TESTDATA();
  PackageScan scan = ReadRpmBdb(ReadFile(
      TestdataDir() + "/rpm-bdb/go-rpmdb-libuuid/var/lib/rpm/Packages"));
  ASSERT_EQ(scan.packages.size(), 1u);
  const Package& p = scan.packages[0];
  // As Debian's rpm prints them for this file (bdb_ro, --qf).
  EXPECT_EQ(p.source_name, "util-linux");
  EXPECT_EQ(p.source_version, "2.32.1-42.el8_8");
  EXPECT_EQ(p.license, "BSD");
  EXPECT_EQ(p.maintainer,
            "Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>");
  EXPECT_EQ(p.installed_size, 35104);
  EXPECT_THAT(
      p.files,
      ElementsAre("usr/lib/.build-id",
                  "usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647",
                  "usr/lib64/libuuid.so.1", "usr/lib64/libuuid.so.1.3.0",
                  "usr/share/licenses/libuuid",
                  "usr/share/licenses/libuuid/COPYING",
                  "usr/share/licenses/libuuid/COPYING.BSD-3"));
  EXPECT_THAT(p.config_files, IsEmpty());
}

// Debian's rpm reads the BerkeleyDB cases (bdb_ro) and the sqlite cases:
// every package, field by field, equals ours.
TEST(RpmTestdata, AgreesWithRpmToolOnEveryField) {
  DCI_REQUIRE_TESTDATA();
  DCI_REQUIRE_RPM();
  struct Db {
    std::string format;
    std::string path;
  };
  std::vector<Db> dbs;
  for (const char* format : {"rpm-bdb", "rpm-sqlite"}) {
    for (const std::string& c : ListDir(TestdataDir() + "/" + format)) {
      dbs.push_back(
          {format, FindDb(TestdataDir() + "/" + format + "/" + c, format)});
    }
  }
  dbs.push_back({"rpm-bdb", FixtureDir() + "/bdb-be-16k/Packages"});
  ASSERT_EQ(dbs.size(), 4u);
  for (const Db& db : dbs) {
    SCOPED_TRACE(db.path);
    const std::string tmp = MakeTempDir();
    ASSERT_NE(tmp, "");
    const bool bdb = db.format == "rpm-bdb";
    const std::string bytes = ReadFile(db.path);
    WriteFile(tmp + (bdb ? "/Packages" : "/rpmdb.sqlite"), bytes);
    const std::string args =
        absl::StrCat("--dbpath ", tmp, " --define '_db_backend ",
                     bdb ? "bdb_ro" : "sqlite", "'");
    PackageScan scan = ReadDb(db.format, bytes);
    EXPECT_THAT(scan.warnings, IsEmpty());
    std::vector<std::string> want = DescribeWithRpm(args);
    EXPECT_FALSE(want.empty());
    EXPECT_THAT(Describe(scan), UnorderedElementsAreArray(want));
    Shell(absl::StrCat("rm -rf '", tmp, "'"), nullptr);
  }
}

// The per-file digests dci keeps are those `rpm -V` hashes, with rpm's own
// reading of every tag involved as the reference: Debian's rpm prints
// FILEDIGESTS, FILEFLAGS, FILEMODES, FILESTATES and FILEVERIFYFLAGS of each
// file, and the test applies rpm lib/verify.c's rule to them (a regular
// file, not %ghost, state normal, RPMVERIFY_FILEDIGEST set, a digest).
TEST(RpmTestdata, FileDigestsAreThoseRpmVerifyChecks) {
  DCI_REQUIRE_TESTDATA();
  DCI_REQUIRE_RPM();
  struct Db {
    std::string format, path;
    size_t want;  // digests kept, all packages
  };
  std::vector<Db> dbs = {
      {"rpm-bdb",
       TestdataDir() + "/rpm-bdb/go-rpmdb-libuuid/var/lib/rpm/Packages", 3},
      {"rpm-bdb",
       TestdataDir() + "/rpm-bdb/osv-scalibr-epoch/var/lib/rpm/Packages", 1},
      {"rpm-sqlite",
       TestdataDir() + "/rpm-sqlite/chunkah-filesystem-setup/usr/lib/sysimage/"
                       "rpm/rpmdb.sqlite",
       32},
      {"rpm-bdb", FixtureDir() + "/bdb-be-16k/Packages", 32},
  };
  const std::map<std::string, std::string> algos = {
      {"(none)", "md5"}, {"1", "md5"},     {"2", "sha1"},   {"8", "sha256"},
      {"9", "sha384"},   {"10", "sha512"}, {"11", "sha224"}};
  for (const Db& db : dbs) {
    SCOPED_TRACE(db.path);
    const std::string tmp = MakeTempDir();
    ASSERT_NE(tmp, "");
    const bool bdb = db.format == "rpm-bdb";
    const std::string bytes = ReadFile(db.path);
    WriteFile(tmp + (bdb ? "/Packages" : "/rpmdb.sqlite"), bytes);
    std::string out;
    ASSERT_EQ(Shell(absl::StrCat(
                        "rpm --dbpath ", tmp, " --define '_db_backend ",
                        bdb ? "bdb_ro" : "sqlite",
                        "' -qa --qf '@@\\t%{NAME}\\t%{FILEDIGESTALGO}\\n"
                        "[%{FILENAMES}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\t"
                        "%{FILEMODES}\\t%{FILESTATES}\\t%{FILEVERIFYFLAGS}\\n]'"
                        " 2>/dev/null"),
                    &out),
              0);
    Shell(absl::StrCat("rm -rf '", tmp, "'"), nullptr);
    std::vector<std::string> want;
    std::string name, algo;
    for (const std::string& line : Lines(out)) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f[0] == "@@") {
        ASSERT_EQ(f.size(), 3u) << line;
        name = f[1];
        ASSERT_EQ(algos.count(f[2]), 1u) << line;
        algo = algos.at(f[2]);
        continue;
      }
      if (f.size() != 6) continue;  // a package without files
      const unsigned long flags = std::stoul(f[2]);
      const unsigned long mode = std::stoul(f[3]);
      const unsigned long state = std::stoul(f[4]);
      const unsigned long verify = std::stoul(f[5]);
      if (f[1].empty() || (flags & 64) != 0 || (mode & 0170000) == 0040000 ||
          (mode & 0170000) == 0120000 || state != 0 || (verify & 1) == 0) {
        continue;
      }
      want.push_back(absl::StrCat(name, " ", f[0], " ", algo, " ", f[1]));
    }
    PackageScan scan = ReadDb(db.format, bytes);
    EXPECT_THAT(scan.warnings, IsEmpty());
    std::vector<std::string> ours;
    for (const Package& p : scan.packages) {
      for (const FileDigest& d : p.file_digests) {
        ours.push_back(
            absl::StrCat(p.name, " /", d.path, " ", d.algorithm, " ", d.digest));
      }
    }
    EXPECT_THAT(ours, UnorderedElementsAreArray(want));
    EXPECT_EQ(ours.size(), db.want);
  }
}

// ---------------------------------------------------------------------------
// BerkeleyDB layouts made by Berkeley DB itself (make_bdb_fixtures.sh).

const std::vector<std::string> kFixtureNevras = {
    "hummingbird-gpg-keys\t\t20251124\t1.8.hum1\tnoarch",
    "hummingbird-repos\t\t20251124\t1.8.hum1\tnoarch",
    "hummingbird-release\t\t20251124\t1.8.hum1\tnoarch",
    "setup\t\t2.15.0\t28.hum1\tnoarch",
};

TEST(RpmBdb, BigEndianWithInPageAndOverflowValues) {
  PackageScan scan =
      ReadRpmBdb(ReadFile(FixtureDir() + "/bdb-be-16k/Packages"));
  EXPECT_THAT(scan.warnings, IsEmpty());
  EXPECT_THAT(Nevras(scan), UnorderedElementsAreArray(kFixtureNevras));
}

TEST(RpmBdb, ChecksummedSmallPagesReadTheSameAsBigEndian) {
  PackageScan be = ReadRpmBdb(ReadFile(FixtureDir() + "/bdb-be-16k/Packages"));
  PackageScan le =
      ReadRpmBdb(ReadFile(FixtureDir() + "/bdb-le-chksum-512/Packages"));
  EXPECT_THAT(le.warnings, IsEmpty());
  EXPECT_THAT(Describe(le), UnorderedElementsAreArray(Describe(be)));
  ASSERT_EQ(le.packages.size(), 4u);
}

TEST(RpmBdb, SetupPackageConfigFilesAndDigests) {
  PackageScan scan =
      ReadRpmBdb(ReadFile(FixtureDir() + "/bdb-be-16k/Packages"));
  const Package* setup = nullptr;
  for (const Package& p : scan.packages) {
    if (p.name == "setup") setup = &p;
  }
  ASSERT_NE(setup, nullptr);
  EXPECT_EQ(setup->source_name, "setup");
  EXPECT_EQ(setup->source_version, "2.15.0-28.hum1");
  ASSERT_GE(setup->config_files.size(), 10u);
  bool passwd = false;
  for (const ConfigFile& c : setup->config_files) {
    EXPECT_EQ(c.algorithm.empty(), c.digest.empty()) << c.path;
    if (!c.digest.empty()) {
      EXPECT_EQ(c.algorithm, "sha256") << c.path;
      EXPECT_EQ(c.digest.size(), 64u) << c.path;
    }
    if (c.path == "etc/passwd") passwd = true;
  }
  EXPECT_TRUE(passwd);
}

// Invariant 3 of rpmdb.cc: one damaged overflow page costs its package only.
TEST(RpmBdb, DamagedOverflowPageCostsOnePackage) {
  std::string bytes = ReadFile(FixtureDir() + "/bdb-be-16k/Packages");
  ASSERT_EQ(bytes.size(), 5u * 16384);
  ASSERT_EQ(static_cast<uint8_t>(bytes[3 * 16384 + 25]), 7);  // P_OVERFLOW
  bytes[3 * 16384 + 25] = 0;
  PackageScan scan = ReadRpmBdb(bytes);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_EQ(scan.warnings[0],
            "page 2 item 3: overflow page 3 is not an overflow page (type 0)");
  EXPECT_EQ(scan.packages.size(), 3u);
}

TEST(RpmBdb, TruncatedFileKeepsWhatIsComplete) {
  std::string bytes = ReadFile(FixtureDir() + "/bdb-be-16k/Packages");
  bytes.resize(4 * 16384 + 100);  // half of the last overflow page is gone
  PackageScan scan = ReadRpmBdb(bytes);
  EXPECT_THAT(scan.warnings,
              ElementsAre("file ends inside page 4 (truncated); reading the 4 "
                          "whole pages",
                          "metadata says the last page is 4 but the file holds "
                          "4 pages (truncated)",
                          "page 1 item 5: overflow chain reaches page 4 past "
                          "the end of the file"));
  EXPECT_EQ(scan.packages.size(), 3u);
}

TEST(RpmBdb, OverflowLoopIsCut) {
  std::string bytes = ReadFile(FixtureDir() + "/bdb-le-chksum-512/Packages");
  // Find an overflow page with a successor and point it back to itself.
  size_t looped = 0;
  for (size_t p = 1; p < bytes.size() / 512; ++p) {
    char* page = bytes.data() + p * 512;
    if (static_cast<uint8_t>(page[25]) == 7 && page[16] != 0) {
      std::memcpy(page + 16, page + 8, 4);  // next_pgno = pgno
      looped = p;
      break;
    }
  }
  ASSERT_NE(looped, 0u);
  PackageScan scan = ReadRpmBdb(bytes);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_THAT(scan.warnings[0], HasSubstr("overflow page"));
  EXPECT_EQ(scan.packages.size(), 3u);
}

TEST(RpmBdb, NotABerkeleyDbGivesOneWarning) {
  EXPECT_THAT(ReadRpmBdb("").warnings,
              ElementsAre("not a BerkeleyDB database: 0 bytes, less than one "
                          "page"));
  std::string zeros(8192, '\0');
  EXPECT_THAT(ReadRpmBdb(zeros).warnings,
              ElementsAre("not a BerkeleyDB hash database (bad magic number)"));
  // A btree file (magic 0x053162) is named as such.
  std::string btree(4096, '\0');
  btree[12] = 0x62;
  btree[13] = 0x31;
  btree[14] = 0x05;
  EXPECT_THAT(ReadRpmBdb(btree).warnings,
              ElementsAre("BerkeleyDB btree database, not the hash database "
                          "rpm uses"));
}

// ---------------------------------------------------------------------------
// NDB.

std::string NdbPath() {
  return TestdataDir() + "/rpm-ndb/go-rpmdb-sle15-bci/var/lib/rpm/Packages.db";
}

uint32_t Le32At(const std::string& b, size_t off) {
  const auto* u = reinterpret_cast<const unsigned char*>(b.data() + off);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (uint32_t{u[3]} << 24);
}

// (pkgidx, blkoff) of every used slot, in blob order.
std::vector<std::pair<uint32_t, uint32_t>> NdbSlots(const std::string& b) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  const uint32_t pages = Le32At(b, 12);
  for (size_t o = 32; o < pages * 4096; o += 16) {
    if (Le32At(b, o + 8) != 0)
      out.push_back({Le32At(b, o + 4), Le32At(b, o + 8)});
  }
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& c) { return a.second < c.second; });
  return out;
}

TEST(RpmNdb, DamagedBlobCostsOnePackage) {
  DCI_REQUIRE_TESTDATA();
  std::string bytes = ReadFile(NdbPath());
  auto slots = NdbSlots(bytes);
  ASSERT_EQ(slots.size(), 35u);
  bytes[size_t{slots[4].second} * 16] = 'X';  // "BlbS" -> "XlbS"
  PackageScan scan = ReadRpmNdb(bytes);
  EXPECT_THAT(
      scan.warnings,
      ElementsAre(absl::StrCat("package ", slots[4].first,
                               ": no blob header at block ", slots[4].second)));
  EXPECT_EQ(scan.packages.size(), 34u);
}

TEST(RpmNdb, DamagedHeaderInsideBlobIsReportedAndSkipped) {
  DCI_REQUIRE_TESTDATA();
  std::string bytes = ReadFile(NdbPath());
  auto slots = NdbSlots(bytes);
  // The header's index entry count (first 4 bytes after the 16-byte blob
  // head) becomes impossible.
  const size_t il = size_t{slots[0].second} * 16 + 16;
  bytes[il] = 0x7f;
  PackageScan scan = ReadRpmNdb(bytes);
  ASSERT_EQ(scan.warnings.size(), 2u);
  EXPECT_EQ(scan.warnings[0], absl::StrCat("package ", slots[0].first,
                                           ": blob checksum mismatch"));
  EXPECT_THAT(scan.warnings[1],
              HasSubstr(absl::StrCat("package ", slots[0].first,
                                     ": bad header: impossible index entry "
                                     "count ")));
  EXPECT_EQ(scan.packages.size(), 34u);
}

TEST(RpmNdb, TruncatedFileKeepsTheBlobsBeforeTheCut) {
  DCI_REQUIRE_TESTDATA();
  std::string bytes = ReadFile(NdbPath());
  auto slots = NdbSlots(bytes);
  bytes.resize(size_t{slots[20].second} * 16);  // blobs 0..19 survive
  PackageScan scan = ReadRpmNdb(bytes);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_THAT(scan.warnings[0],
              HasSubstr("15 bad slot(s) skipped, first slot "));
  EXPECT_THAT(scan.warnings[0], HasSubstr("is outside the blob area"));
  EXPECT_EQ(scan.packages.size(), 20u);
}

TEST(RpmNdb, NotAnNdbFileGivesOneWarning) {
  EXPECT_THAT(ReadRpmNdb("RpmP").warnings,
              ElementsAre("not an rpm NDB package database (no RpmP header)"));
  std::string header(32, '\0');
  std::memcpy(header.data(), "RpmP", 4);
  header[12] = 1;  // one slot page that is not there
  EXPECT_THAT(
      ReadRpmNdb(header).warnings,
      ElementsAre("header says 1 slot pages but the file holds 0 pages"));
}

// ---------------------------------------------------------------------------
// SQLite.

TEST(RpmSqlite, GarbageAndForeignDatabasesGiveWarnings) {
  EXPECT_THAT(ReadRpmSqlite("").warnings,
              ElementsAre("not an SQLite database (no \"SQLite format 3\" "
                          "header)"));
  std::string junk("SQLite format 3\0", 16);
  junk.resize(4096, '\x5a');
  PackageScan scan = ReadRpmSqlite(junk);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_THAT(scan.warnings[0], HasSubstr("sqlite: "));
  EXPECT_THAT(scan.packages, IsEmpty());
}

TEST(RpmSqlite, DatabaseWithoutPackagesTableIsNamed) {
  if (!HaveTool("sqlite3")) {
    GTEST_SKIP() << "sqlite3 shell not installed";
  }
  const std::string tmp = MakeTempDir();
  ASSERT_EQ(Shell(absl::StrCat("sqlite3 '", tmp,
                               "/x.sqlite' 'CREATE TABLE Other(a); "
                               "CREATE VIEW Packages AS SELECT 1 AS hnum, "
                               "x''00'' AS blob;'"),
                  nullptr),
            0);
  EXPECT_THAT(ReadRpmSqlite(ReadFile(tmp + "/x.sqlite")).warnings,
              ElementsAre("sqlite: no Packages table"));
  Shell(absl::StrCat("rm -rf '", tmp, "'"), nullptr);
}

// ---------------------------------------------------------------------------
// A real rpmdb.sqlite, made by rpm from packages rpmbuild made by
// scripts/make-rpm-image.sh: three installs, one upgrade, one erase.

TEST(RpmRealDb, BuiltWithRpmEqualsRpmQa) {
  DCI_REQUIRE_RPM();
  const std::string tmp = MakeTempDir();
  ASSERT_NE(tmp, "");
  ASSERT_EQ(Shell(absl::StrCat("bash '", DCI_SOURCE_DIR,
                               "/scripts/make-rpm-image.sh' '", tmp,
                               "/sample' >/dev/null 2>&1"),
                  nullptr),
            0);
  const std::string root = tmp + "/sample/roots/v2";
  const std::string rpm =
      absl::StrCat("rpm --root '", root, "' --dbpath /var/lib/rpm ");
  const std::string db = root + "/var/lib/rpm/rpmdb.sqlite";
  const std::string bytes = ReadFile(db);
  ASSERT_GE(bytes.size(), 100u);
  // rpm 4.18 leaves the database in WAL mode: this test covers that path.
  EXPECT_EQ(bytes[18], 2);
  EXPECT_EQ(bytes[19], 2);

  PackageScan scan = ReadRpmSqlite(bytes);
  EXPECT_THAT(scan.warnings, IsEmpty());
  std::string qa;
  ASSERT_EQ(Shell(rpm + "-qa --qf '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t"
                        "%{RELEASE}\\t%{ARCH}\\n' 2>/dev/null",
                  &qa),
            0);
  std::vector<std::string> want;
  for (const std::string& line : Lines(qa)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 5u) << line;
    want.push_back(
        absl::StrJoin({f[0], None(f[1]), f[2], f[3], None(f[4])}, "\t"));
  }
  std::string arch;
  ASSERT_EQ(Shell("rpm --eval '%{_arch}'", &arch), 0);
  arch = Lines(arch)[0];
  ASSERT_THAT(want, UnorderedElementsAreArray(std::vector<std::string>{
                        "dci-conf\t\t2.0\t1\tnoarch",
                        absl::StrCat("dci-epoch\t3\t1.5\t2.el9\t", arch)}));
  EXPECT_THAT(Nevras(scan), UnorderedElementsAreArray(want));
  EXPECT_THAT(Describe(scan),
              UnorderedElementsAreArray(DescribeWithRpm(
                  absl::StrCat("--root '", root, "' --dbpath /var/lib/rpm"))));

  // The %config file's recorded digest is the sha256 of what was installed.
  const std::string conf = ReadFile(root + "/etc/dci-test.conf");
  ASSERT_EQ(conf, "version=2.0\n");
  const Package* p = nullptr;
  for (const Package& q : scan.packages) {
    if (q.name == "dci-conf") p = &q;
  }
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->config_files.size(), 1u);
  EXPECT_EQ(p->config_files[0].path, "etc/dci-test.conf");
  EXPECT_EQ(p->config_files[0].algorithm, "sha256");
  EXPECT_EQ("sha256:" + p->config_files[0].digest, Sha256::Of(conf));
  EXPECT_EQ(p->maintainer, "DCI Tests <tests@example.invalid>");
  EXPECT_EQ(p->source_name, "dci-conf");
  EXPECT_EQ(p->source_version, "2.0-1");
  EXPECT_THAT(p->files, ElementsAre("etc/dci-test.conf", "usr/share/dci-conf",
                                    "usr/share/dci-conf/data.txt"));
  Shell(absl::StrCat("rm -rf '", tmp, "'"), nullptr);
}

// gpg-pubkey pseudo-packages (what `rpm --import` adds) are kept, as
// `rpm -qa` lists them: no arch, version = key id, release = key date.
TEST(RpmRealDb, ImportedKeyIsListedLikeRpmQa) {
  DCI_REQUIRE_RPM();
  if (!HaveTool("gpg")) {
    if (InCi()) FAIL() << "gpg missing (apt-get install -y gpg)";
    GTEST_SKIP() << "gpg not installed";
  }
  const std::string tmp = MakeTempDir();
  ASSERT_NE(tmp, "");
  const std::string gh = tmp + "/gnupg";
  const std::string root = tmp + "/root";
  ASSERT_EQ(mkdir(gh.c_str(), 0700), 0);
  ASSERT_EQ(Shell(absl::StrCat("GNUPGHOME='", gh,
                               "' gpg --batch --pinentry-mode loopback "
                               "--passphrase '' --quick-gen-key "
                               "'DCI Test <t@example.invalid>' ed25519 sign "
                               "never >/dev/null 2>&1 && GNUPGHOME='",
                               gh, "' gpg --armor --export > '", tmp,
                               "/key.asc' 2>/dev/null"),
                  nullptr),
            0);
  const std::string rpm =
      absl::StrCat("rpm --root '", root, "' --dbpath /var/lib/rpm ");
  ASSERT_EQ(Shell(rpm + "--initdb >/dev/null 2>&1", nullptr), 0);
  ASSERT_EQ(Shell(absl::StrCat(rpm, "--import '", tmp, "/key.asc'"), nullptr),
            0);
  std::string qa;
  ASSERT_EQ(Shell(rpm + "-qa --qf '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t"
                        "%{RELEASE}\\t%{ARCH}\\n' 2>/dev/null",
                  &qa),
            0);
  std::vector<std::string> f = absl::StrSplit(Lines(qa).at(0), '\t');
  ASSERT_EQ(f.size(), 5u);
  ASSERT_EQ(f[0], "gpg-pubkey");
  ASSERT_EQ(f[4], "(none)");
  PackageScan scan =
      ReadRpmSqlite(ReadFile(root + "/var/lib/rpm/rpmdb.sqlite"));
  EXPECT_THAT(scan.warnings, IsEmpty());
  EXPECT_THAT(Nevras(scan), ElementsAre(absl::StrCat("gpg-pubkey\t\t", f[2],
                                                     "\t", f[3], "\t")));
  Shell(absl::StrCat("rm -rf '", tmp, "'"), nullptr);
}

// ---------------------------------------------------------------------------
// Synthetic headers: exact results and exact errors.

// Tags and types (rpm include/rpm/rpmtag.h).
enum : uint32_t {
  kChar = 1,
  kInt16 = 3,
  kBin = 7,
  kInt32 = 4,
  kInt64 = 5,
  kString = 6,
  kStringArray = 8,
  kI18n = 9,
  kName = 1000,
  kVersion = 1001,
  kRelease = 1002,
  kEpoch = 1003,
  kSize = 1009,
  kVendor = 1011,
  kLicense = 1014,
  kPackager = 1015,
  kArch = 1022,
  kOldFilenames = 1027,
  kFileStates = 1029,
  kFileModes = 1030,
  kFileDigests = 1035,
  kFileFlags = 1037,
  kSourceRpm = 1044,
  kFileVerifyFlags = 1045,
  kDirIndexes = 1116,
  kBasenames = 1117,
  kDirNames = 1118,
  kLongSize = 5009,
  kFileDigestAlgo = 5011,
};

void PutBe32(std::string* s, uint32_t v) {
  s->push_back(static_cast<char>(v >> 24));
  s->push_back(static_cast<char>(v >> 16));
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}

void SetBe32(std::string* s, size_t off, uint32_t v) {
  std::string b;
  PutBe32(&b, v);
  s->replace(off, 4, b);
}

// Writes header blobs the way rpm's headerExport lays them out: an
// immutable region holding the first entries, then optional "dribble"
// entries after the region trailer.
class HeaderBuilder {
 public:
  HeaderBuilder& Str(uint32_t tag, const std::string& s,
                     uint32_t type = kString) {
    return Add(tag, type, 1, std::string(s) + '\0', 1);
  }
  HeaderBuilder& Strs(uint32_t tag, const std::vector<std::string>& v) {
    std::string d;
    for (const std::string& s : v) d += s + '\0';
    return Add(tag, kStringArray, static_cast<uint32_t>(v.size()), d, 1);
  }
  HeaderBuilder& Int32(uint32_t tag, const std::vector<uint32_t>& v) {
    std::string d;
    for (uint32_t x : v) PutBe32(&d, x);
    return Add(tag, kInt32, static_cast<uint32_t>(v.size()), d, 4);
  }
  HeaderBuilder& Int16(uint32_t tag, const std::vector<uint16_t>& v) {
    std::string d;
    for (uint16_t x : v) {
      d.push_back(static_cast<char>(x >> 8));
      d.push_back(static_cast<char>(x));
    }
    return Add(tag, kInt16, static_cast<uint32_t>(v.size()), d, 2);
  }
  HeaderBuilder& Char(uint32_t tag, const std::vector<uint8_t>& v) {
    return Add(tag, kChar, static_cast<uint32_t>(v.size()),
               std::string(v.begin(), v.end()), 1);
  }
  HeaderBuilder& Int64(uint32_t tag, uint64_t v) {
    std::string d;
    PutBe32(&d, static_cast<uint32_t>(v >> 32));
    PutBe32(&d, static_cast<uint32_t>(v));
    return Add(tag, kInt64, 1, d, 8);
  }
  // Entries added after this call go outside the region.
  HeaderBuilder& Dribbles() {
    region_entries_ = entries_.size();
    return *this;
  }
  HeaderBuilder& NoRegion() {
    region_ = false;
    return *this;
  }

  std::string Build() const {
    const size_t nregion =
        region_entries_ == SIZE_MAX ? entries_.size() : region_entries_;
    std::string data;
    std::vector<uint32_t> offsets;
    uint32_t trailer_off = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (region_ && i == nregion) {
        trailer_off = static_cast<uint32_t>(data.size());
        data.append(16, '\0');
      }
      const E& e = entries_[i];
      while (data.size() % e.align != 0) data.push_back('\0');
      offsets.push_back(static_cast<uint32_t>(data.size()));
      data += e.data;
    }
    if (region_ && nregion == entries_.size()) {
      trailer_off = static_cast<uint32_t>(data.size());
      data.append(16, '\0');
    }
    std::string out;
    const uint32_t il =
        static_cast<uint32_t>(entries_.size() + (region_ ? 1 : 0));
    PutBe32(&out, il);
    PutBe32(&out, static_cast<uint32_t>(data.size()));
    if (region_) {
      PutBe32(&out, 63);  // HEADERIMMUTABLE
      PutBe32(&out, kBin);
      PutBe32(&out, trailer_off);
      PutBe32(&out, 16);
      std::string t;
      PutBe32(&t, 63);
      PutBe32(&t, kBin);
      PutBe32(&t,
              static_cast<uint32_t>(-static_cast<int32_t>((nregion + 1) * 16)));
      PutBe32(&t, 16);
      data.replace(trailer_off, 16, t);
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
      PutBe32(&out, entries_[i].tag);
      PutBe32(&out, entries_[i].type);
      PutBe32(&out, offsets[i]);
      PutBe32(&out, entries_[i].count);
    }
    return out + data;
  }

 private:
  struct E {
    uint32_t tag;
    uint32_t type;
    uint32_t count;
    std::string data;
    size_t align;
  };
  HeaderBuilder& Add(uint32_t tag, uint32_t type, uint32_t count,
                     std::string data, size_t align) {
    entries_.push_back({tag, type, count, std::move(data), align});
    return *this;
  }
  std::vector<E> entries_;
  size_t region_entries_ = SIZE_MAX;
  bool region_ = true;
};

HeaderBuilder Basic() {
  HeaderBuilder b;
  b.Str(kName, "demo").Str(kVersion, "1.2").Str(kRelease, "3.fc40");
  return b;
}

TEST(RpmHeader, FullHeaderGivesEveryField) {
  std::string blob = Basic()
                         .Int32(kEpoch, {7})
                         .Str(kArch, "x86_64")
                         .Str(kLicense, "MIT")
                         .Str(kVendor, "Vendor Inc.")
                         .Str(kPackager, "Pack Ager <p@example.invalid>")
                         .Str(kSourceRpm, "demo-src-1.2-3.fc40.src.rpm")
                         .Int32(kSize, {1234})
                         .Int64(kLongSize, 5000000000ULL)
                         .Strs(kDirNames, {"/", "/etc/", "/usr/bin/"})
                         .Strs(kBasenames, {"etc", "demo.conf", "demo", "usr"})
                         .Int32(kDirIndexes, {0, 1, 2, 0})
                         .Strs(kFileDigests, {"", std::string(64, 'A'),
                                              std::string(64, 'f'), ""})
                         .Int32(kFileFlags, {0, 1 | 16, 0, 1})
                         .Int32(kFileDigestAlgo, {8})
                         .Build();
  std::vector<std::string> notes;
  absl::StatusOr<Package> p = ParseRpmHeader(blob, &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(notes, IsEmpty());
  EXPECT_EQ(p->ecosystem, Ecosystem::kRpm);
  EXPECT_EQ(Nevra(*p), "demo\t7\t1.2\t3.fc40\tx86_64");
  EXPECT_EQ(p->FullVersion(), "7:1.2-3.fc40");
  EXPECT_EQ(p->license, "MIT");
  EXPECT_EQ(p->maintainer, "Pack Ager <p@example.invalid>");
  EXPECT_EQ(p->source_name, "demo-src");
  EXPECT_EQ(p->source_version, "1.2-3.fc40");
  EXPECT_EQ(p->installed_size, 5000000000LL);
  EXPECT_THAT(p->files,
              ElementsAre("etc", "etc/demo.conf", "usr/bin/demo", "usr"));
  ASSERT_EQ(p->config_files.size(), 2u);
  EXPECT_EQ(p->config_files[0].path, "etc/demo.conf");
  EXPECT_EQ(p->config_files[0].digest, std::string(64, 'a'));
  EXPECT_EQ(p->config_files[0].algorithm, "sha256");
  EXPECT_EQ(p->config_files[1].path, "usr");
  EXPECT_EQ(p->config_files[1].digest, "");
  EXPECT_EQ(p->config_files[1].algorithm, "");
  EXPECT_THAT(DigestLines(*p),
              ElementsAre(Digest("etc/demo.conf", "sha256", std::string(64, 'a')),
                          Digest("usr/bin/demo", "sha256", std::string(64, 'f'))));
}

// The files rpm -V hashes (rpm lib/verify.c rpmfilesVerify) keep their
// digest; directories, symlinks, ghosts, files not installed and files
// whose %verify leaves the digest out do not.
TEST(RpmHeader, FileDigestsAreKeptForWhatRpmVerifyHashes) {
  const std::string md5a(32, 'a'), md5b(32, 'b'), md5c(32, 'c'),
      md5d(32, 'd'), md5e(32, 'e'), md5f(32, 'f');
  std::string blob =
      Basic()
          .Strs(kDirNames, {"/opt/", "/opt/d/"})
          .Strs(kBasenames,
                {"d", "file", "link", "ghost", "nodoc", "noverify", "conf",
                 "bad", "empty"})
          .Int32(kDirIndexes, {0, 1, 1, 1, 1, 1, 1, 1, 1})
          .Strs(kFileDigests,
                {"", md5a, md5b, md5c, md5d, md5e, "0123456789ABCDEF0123456789abcdef",
                 "zz" + std::string(30, '0'), ""})
          .Int16(kFileModes, {040755, 0100644, 0120777, 0100644, 0100644,
                              0100644, 0100644, 0100644, 0100644})
          .Int32(kFileFlags, {0, 0, 0, 1u << 6, 1u << 1, 0, 1, 0, 0})
          .Char(kFileStates, {0, 0, 0, 0, 2, 0, 0, 0, 0})
          .Int32(kFileVerifyFlags,
                 {~0u, ~0u, ~0u, ~0u, ~0u, ~1u, ~0u, ~0u, ~0u})
          .Build();
  std::vector<std::string> notes;
  absl::StatusOr<Package> p = ParseRpmHeader(blob, &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  // No FILEDIGESTALGO: md5, as rpm assumes.
  EXPECT_THAT(DigestLines(*p),
              ElementsAre(Digest("opt/d/file", "md5", md5a),
                          Digest("opt/d/conf", "md5",
                                 "0123456789abcdef0123456789abcdef")));
  EXPECT_THAT(notes, ElementsAre("1 FILEDIGESTS entry is not 32 hex digits: "
                                 "not kept for checking"));
  EXPECT_EQ(p->files.size(), 9u);
  ASSERT_EQ(p->config_files.size(), 1u);
  EXPECT_EQ(p->config_files[0].path, "opt/d/conf");
}

TEST(RpmHeader, FileDigestAlgorithmAndBadSideArrays) {
  const std::string sha1(40, '1');
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic()
                         .Strs(kOldFilenames, {"/a", "/b"})
                         .Strs(kFileDigests, {sha1, ""})
                         .Int32(kFileDigestAlgo, {2})
                         .Build());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(DigestLines(*p), ElementsAre(Digest("a", "sha1", sha1)));

  // An unknown algorithm: nothing can be checked.
  std::vector<std::string> notes;
  p = ParseRpmHeader(Basic()
                         .Strs(kOldFilenames, {"/a"})
                         .Strs(kFileDigests, {sha1})
                         .Int32(kFileDigestAlgo, {99})
                         .Build(),
                     &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->file_digests, IsEmpty());
  EXPECT_THAT(notes, ElementsAre("unknown FILEDIGESTALGO 99"));

  // FILEMODES that disagrees with the file count costs the digests only.
  notes.clear();
  p = ParseRpmHeader(Basic()
                         .Strs(kOldFilenames, {"/a", "/b"})
                         .Strs(kFileDigests, {std::string(32, '0'), ""})
                         .Int16(kFileModes, {0100644})
                         .Build(),
                     &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->files, ElementsAre("a", "b"));
  EXPECT_THAT(p->file_digests, IsEmpty());
  EXPECT_THAT(notes, ElementsAre("FILEMODES has 1 entries for 2 files: file "
                                 "digests not kept"));
}

TEST(RpmHeader, DefaultsWhenOptionalTagsAreAbsent) {
  // gpg-pubkey pseudo-packages have no ARCH, no files, no SOURCERPM.
  absl::StatusOr<Package> p = ParseRpmHeader(HeaderBuilder()
                                                 .Str(kName, "gpg-pubkey")
                                                 .Str(kVersion, "fd431d51")
                                                 .Str(kRelease, "4ae0493b")
                                                 .Str(kLicense, "pubkey")
                                                 .Str(kVendor, "Vendor Only")
                                                 .Int32(kSize, {0xfffffff0u})
                                                 .Build());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Nevra(*p), "gpg-pubkey\t\tfd431d51\t4ae0493b\t");
  EXPECT_EQ(p->maintainer, "Vendor Only");
  EXPECT_EQ(p->installed_size, 0xfffffff0LL);
  EXPECT_EQ(p->source_name, "");
  EXPECT_THAT(p->files, IsEmpty());
}

TEST(RpmHeader, Md5IsTheDefaultDigestAndOldFilenamesWork) {
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic()
                         .Strs(kOldFilenames, {"/etc/a.conf", "/bin/b"})
                         .Strs(kFileDigests, {"0123", "4567"})
                         .Int32(kFileFlags, {1, 0})
                         .NoRegion()
                         .Build());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->files, ElementsAre("etc/a.conf", "bin/b"));
  ASSERT_EQ(p->config_files.size(), 1u);
  EXPECT_EQ(p->config_files[0].algorithm, "md5");
  EXPECT_EQ(p->config_files[0].digest, "0123");
}

TEST(RpmHeader, DigestAlgorithmNumbers) {
  EXPECT_EQ(RpmDigestAlgorithmName(1), "md5");
  EXPECT_EQ(RpmDigestAlgorithmName(2), "sha1");
  EXPECT_EQ(RpmDigestAlgorithmName(8), "sha256");
  EXPECT_EQ(RpmDigestAlgorithmName(9), "sha384");
  EXPECT_EQ(RpmDigestAlgorithmName(10), "sha512");
  EXPECT_EQ(RpmDigestAlgorithmName(3), "");
  std::vector<std::string> notes;
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic()
                         .Strs(kOldFilenames, {"/etc/x"})
                         .Strs(kFileDigests, {"aa"})
                         .Int32(kFileFlags, {1})
                         .Int32(kFileDigestAlgo, {99})
                         .Build(),
                     &notes);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->config_files[0].algorithm, "pgphashalgo-99");
  EXPECT_THAT(notes, ElementsAre("unknown FILEDIGESTALGO 99"));
}

// Invariant 2 of rpm_header.cc: entries after the region win.
TEST(RpmHeader, DribbleEntriesReplaceRegionEntries) {
  absl::StatusOr<Package> p = ParseRpmHeader(
      Basic().Str(kArch, "i686").Dribbles().Str(kArch, "x86_64").Build());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->arch, "x86_64");
}

TEST(RpmHeader, I18nStringsReadTheirFirstString) {
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic().Str(kLicense, "GPL", kI18n).Build());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->license, "GPL");
}

TEST(RpmHeader, PathsThatEscapeTheRootAreSkippedWithANote) {
  std::vector<std::string> notes;
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic()
                         .Strs(kDirNames, {"/etc/", "/../"})
                         .Strs(kBasenames, {"ok", "evil"})
                         .Int32(kDirIndexes, {0, 1})
                         .Int32(kFileFlags, {1, 1})
                         .Build(),
                     &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->files, ElementsAre("etc/ok"));
  ASSERT_EQ(p->config_files.size(), 1u);
  EXPECT_THAT(notes, ElementsAre("1 file name(s) skipped, first \"/../evil\": "
                                 "path escapes root (\"..\" component)"));
}

TEST(RpmHeader, OverlongPathsAreSkippedWithANote) {
  std::vector<std::string> notes;
  absl::StatusOr<Package> p =
      ParseRpmHeader(Basic()
                         .Strs(kDirNames, {"/d/"})
                         .Strs(kBasenames, {std::string(5000, 'x'), "short"})
                         .Int32(kDirIndexes, {0, 0})
                         .Build(),
                     &notes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->files, ElementsAre("d/short"));
  EXPECT_THAT(notes, ElementsAre("1 file name(s) skipped, first \"/d/...\": "
                                 "longer than 4096 bytes, or past the "
                                 "header's budget for names"));
}

absl::Status ParseError(const std::string& blob) {
  return ParseRpmHeader(blob).status();
}

// Invariant 1 of rpm_header.cc: impossible values are DataLoss, never reads
// outside the blob.
TEST(RpmHeader, ImpossibleValuesAreDataLoss) {
  const std::string good = Basic().Build();
  ASSERT_TRUE(ParseRpmHeader(good).ok());
  struct Case {
    std::string name;
    std::string blob;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"short", "abc", "header is 3 bytes, shorter than its 8-byte preamble"});
  {
    std::string b = good;
    SetBe32(&b, 0, 0x10000);
    cases.push_back({"il", b, "impossible index entry count 65536"});
  }
  {
    std::string b = good;
    SetBe32(&b, 0, 0);
    cases.push_back({"il0", b, "impossible index entry count 0"});
  }
  {
    std::string b = good;
    SetBe32(&b, 4, 0x7fffffff);
    cases.push_back({"dl", b, "impossible data length 2147483647"});
  }
  {
    std::string b = good + "x";
    cases.push_back(
        {"size", b,
         absl::StrCat("header size mismatch: 4 entries and ",
                      good.size() - 8 - 64, " data bytes need ", good.size(),
                      " bytes, blob has ", good.size() + 1)});
  }
  {
    std::string b = good;
    SetBe32(&b, 8 + 16 + 8, 0x00ffffff);  // NAME's offset
    cases.push_back({"offset", b,
                     absl::StrCat("index entry 1 (NAME): offset 16777215 "
                                  "outside the ",
                                  good.size() - 72, "-byte data store")});
  }
  {
    std::string b = good;
    SetBe32(&b, 8 + 16 + 4, 42);  // NAME's type
    cases.push_back({"type", b, "index entry 1 (NAME): bad type 42"});
  }
  {
    std::string b = good;
    SetBe32(&b, 8 + 16 + 4, kInt32);  // NAME as INT32: misaligned offset?
    SetBe32(&b, 8 + 16 + 8, 1);
    cases.push_back(
        {"align", b, "index entry 1 (NAME): offset 1 misaligned for type 4"});
  }
  {
    std::string b = good;
    SetBe32(&b, 8 + 16 + 12, 0);  // NAME count 0
    cases.push_back({"count", b, "index entry 1 (NAME): impossible count 0"});
  }
  {
    // The last string loses its terminator.
    std::string b = Basic().NoRegion().Build();
    b.back() = 'x';
    cases.push_back(
        {"unterminated", b, "RELEASE: string 0 of 1 is not terminated"});
  }
  {
    std::string b = good;
    const uint32_t dl = static_cast<uint32_t>(good.size() - 72);
    SetBe32(&b, 8 + 8, dl - 8);  // the 16-byte trailer would cross the end
    cases.push_back({"trailer", b,
                     absl::StrCat("region trailer at ", dl - 8, " outside the ",
                                  dl, "-byte data store")});
  }
  {
    std::string b = good;
    SetBe32(&b, 8 + 12, 4);  // region tag count
    cases.push_back({"regiontag", b,
                     "region tag 63 has type 7 and count 4 (want BIN, 16)"});
  }
  {
    // The trailer claims more entries than the index has.
    std::string b = good;
    const size_t trailer = 8 + 64 + (good.size() - 72 - 16);
    SetBe32(&b, trailer + 8, static_cast<uint32_t>(-16 * 9));
    cases.push_back({"regionsize", b, "invalid region size 144"});
  }
  cases.push_back(
      {"noname", HeaderBuilder().Str(kVersion, "1").Str(kRelease, "1").Build(),
       "no NAME tag"});
  cases.push_back({"wrongtype", Basic().Int32(kArch, {1}).Build(),
                   "ARCH has type 4, not a string"});
  cases.push_back({"dirindex",
                   Basic()
                       .Strs(kDirNames, {"/"})
                       .Strs(kBasenames, {"a", "b"})
                       .Int32(kDirIndexes, {0, 1})
                       .Build(),
                   "DIRINDEXES[1] = 1 but DIRNAMES has 1 entries"});
  cases.push_back({"dirindexcount",
                   Basic()
                       .Strs(kDirNames, {"/"})
                       .Strs(kBasenames, {"a", "b"})
                       .Int32(kDirIndexes, {0})
                       .Build(),
                   "BASENAMES has 2 entries but DIRINDEXES has 1"});
  cases.push_back({"digestcount",
                   Basic()
                       .Strs(kOldFilenames, {"/a", "/b"})
                       .Strs(kFileDigests, {"00"})
                       .Build(),
                   "FILEDIGESTS has 1 entries for 2 files"});
  cases.push_back(
      {"flagcount",
       Basic().Strs(kOldFilenames, {"/a"}).Int32(kFileFlags, {0, 0}).Build(),
       "FILEFLAGS has 2 entries for 1 files"});
  {
    // A string array claiming more strings than its data holds.
    std::string b = Basic().Strs(kOldFilenames, {"/a"}).NoRegion().Build();
    SetBe32(&b, 8 + 3 * 16 + 12, 5);
    cases.push_back({"strcount", b,
                     "OLDFILENAMES: string 1 of 5 starts past the data store"});
  }
  {
    // An INT32 array running past the data store.
    std::string b = Basic().Int32(kFileFlags, {0}).NoRegion().Build();
    SetBe32(&b, 8 + 3 * 16 + 12, 3);
    cases.push_back({"intcount", b,
                     absl::StrCat("FILEFLAGS: 3 values at offset ",
                                  b.size() - 8 - 64 - 4, " run past the ",
                                  b.size() - 8 - 64, "-byte data store")});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status s = ParseError(c.blob);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_EQ(s.message(), c.message);
  }
}

// Every truncation and every single-byte change of a header gives a Package
// or an error, never a crash (the fuzzers push this further under ASan).
TEST(RpmHeader, MutatedHeaderNeverCrashes) {
  const std::string blob = Basic()
                               .Strs(kDirNames, {"/etc/", "/usr/"})
                               .Strs(kBasenames, {"a", "b", "c"})
                               .Int32(kDirIndexes, {0, 1, 1})
                               .Strs(kFileDigests, {"aa", "bb", "cc"})
                               .Int32(kFileFlags, {1, 0, 1})
                               .Build();
  ASSERT_TRUE(ParseRpmHeader(blob).ok());
  size_t ok = 0;
  for (size_t i = 0; i < blob.size(); ++i) {
    for (int delta : {1, 0x80, 0xff}) {
      std::string m = blob;
      m[i] = static_cast<char>(m[i] + delta);
      if (ParseRpmHeader(m).ok()) ++ok;
    }
    EXPECT_FALSE(ParseRpmHeader(blob.substr(0, i)).ok());
  }
  EXPECT_GT(ok, 0u);  // changes inside string data still parse
  EXPECT_LT(ok, 3 * blob.size());
}

// Invariant 3 of rpmdb.cc: warnings are capped.
TEST(RpmNdb, WarningsAreCapped) {
  // 20 slot pages of slots that all point outside the file: one summary
  // warning, not thousands.
  std::string b(20 * 4096, '\0');
  std::memcpy(b.data(), "RpmP", 4);
  b[12] = 20;
  for (size_t o = 32; o < b.size(); o += 16) {
    std::memcpy(b.data() + o, "Slot", 4);
    b[o + 4] = 1;
    b[o + 8] = 0x7f;
    b[o + 12] = 1;
  }
  PackageScan scan = ReadRpmNdb(b);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_EQ(scan.warnings[0],
            "5118 bad slot(s) skipped, first slot 2: package 1 at block 127+1 "
            "is outside the blob area");
}

TEST(RpmDb, RandomBytesNeverCrashAnyReader) {
  std::mt19937 rng(20240601);
  for (int round = 0; round < 50; ++round) {
    std::string junk(4096 * (1 + round % 4), '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    // Give each reader its magic so the parsing goes deeper.
    std::string bdb = junk;
    bdb[12] = 0x61;
    bdb[13] = 0x15;
    bdb[14] = 0x06;
    bdb[15] = 0;
    bdb[20] = 0;
    bdb[21] = 0x04;
    bdb[22] = 0;
    bdb[23] = 0;  // 1024-byte pages
    bdb[24] = 0;
    bdb[25] = 8;
    bdb[26] = 0;
    std::string ndb = junk;
    std::memcpy(ndb.data(), "RpmP\0\0\0\0", 8);
    ndb[12] = 1;
    ndb[13] = 0;
    ndb[14] = 0;
    ndb[15] = 0;
    for (const std::string* input : {&junk, &bdb, &ndb}) {
      PackageScan a = ReadRpmBdb(*input);
      PackageScan b = ReadRpmNdb(*input);
      PackageScan c = ReadRpmSqlite(*input);
      EXPECT_THAT(a.packages, IsEmpty());
      EXPECT_THAT(b.packages, IsEmpty());
      EXPECT_THAT(c.packages, IsEmpty());
      EXPECT_FALSE(b.warnings.empty());
      EXPECT_FALSE(c.warnings.empty());
    }
  }
}

}  // namespace
}  // namespace dci
