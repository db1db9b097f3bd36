// Container drift end to end (issue 6): a real sample image unpacked with
// umoci, changed the way a person in a shell would (an edited config, a
// file added, one deleted, chmod, chown, a file replaced by a symlink, a
// packaged binary patched in place, a package installed and one removed
// with dpkg in a chroot, a group added, a service enabled), then `dci drift` through the real
// dcid and dci over gRPC, from dir:, tar: and overlay: (a real overlayfs
// mount, and an upper directory written by hand with mknod 0/0, which is
// the same on-disk format). The reference for the files section is an
// independent walk of the two unpacked roots (nftw, lstat, XXH3).
#include <ftw.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/content_hash.h"
#include "tests/integration/harness.h"
#include "tests/integration/subscriber.h"

namespace dci::testing {
namespace {

using nlohmann::json;

// --- The reference: two roots walked independently. ---

struct Node {
  char type = '?';
  unsigned mode = 0;
  long long uid = 0, gid = 0, size = 0;
  std::string link, hash;
  unsigned dev_major = 0, dev_minor = 0;
};

std::map<std::string, Node>* g_nodes = nullptr;
size_t g_root_len = 0;

bool DefaultIgnored(const std::string& p) {
  static const std::vector<std::string> kRules = {
      "proc", "sys", "dev", "run", "tmp", "var/tmp", "etc/hostname",
      "etc/hosts", "etc/resolv.conf", ".dockerenv"};
  for (const std::string& r : kRules) {
    if (p == r || p.rfind(r + "/", 0) == 0) return true;
  }
  return false;
}

int Visit(const char* fpath, const struct stat* st, int, struct FTW*) {
  std::string path(fpath + g_root_len);
  if (path.empty()) return 0;
  path = path.substr(1);
  if (DefaultIgnored(path)) return 0;
  Node n;
  n.mode = st->st_mode & 07777;
  n.uid = st->st_uid;
  n.gid = st->st_gid;
  switch (st->st_mode & S_IFMT) {
    case S_IFREG: {
      n.type = 'f';
      n.size = st->st_size;
      std::string data = ReadFile(fpath);
      n.hash = ContentHashHex(ContentHasher::Of(data.data(), data.size()));
      break;
    }
    case S_IFDIR: n.type = 'd'; break;
    case S_IFLNK: {
      n.type = 'l';
      char buf[4096];
      ssize_t k = readlink(fpath, buf, sizeof buf);
      n.link.assign(buf, k > 0 ? k : 0);
      break;
    }
    case S_IFCHR: n.type = 'c'; break;
    case S_IFBLK: n.type = 'b'; break;
    case S_IFIFO: n.type = 'p'; break;
    case S_IFSOCK: n.type = 's'; break;
  }
  if (n.type == 'c' || n.type == 'b') {
    n.dev_major = major(st->st_rdev);
    n.dev_minor = minor(st->st_rdev);
  }
  (*g_nodes)[path] = n;
  return 0;
}

std::map<std::string, Node> WalkRoot(const std::string& root) {
  std::map<std::string, Node> out;
  g_nodes = &out;
  g_root_len = root.size();
  nftw(root.c_str(), Visit, 64, FTW_PHYS);
  g_nodes = nullptr;
  return out;
}

// "A path", "R path", "C path what,what" in path order, as dci words the
// differences (content, size, mode, owner, type, link_target, device).
std::vector<std::string> ReferenceDrift(const std::map<std::string, Node>& a,
                                        const std::map<std::string, Node>& b) {
  std::vector<std::string> out;
  std::set<std::string> paths;
  for (const auto& [p, n] : a) paths.insert(p);
  for (const auto& [p, n] : b) paths.insert(p);
  for (const std::string& p : paths) {
    auto x = a.find(p);
    auto y = b.find(p);
    if (x == a.end()) {
      out.push_back("A " + p);
      continue;
    }
    if (y == b.end()) {
      out.push_back("R " + p);
      continue;
    }
    const Node& m = x->second;
    const Node& n = y->second;
    std::vector<std::string> what;
    if (m.type == 'f' && n.type == 'f') {
      if (m.hash != n.hash) what.push_back("content");
      if (m.size != n.size) what.push_back("size");
    }
    if (m.mode != n.mode) what.push_back("mode");
    if (m.uid != n.uid || m.gid != n.gid) what.push_back("owner");
    if (m.type != n.type) what.push_back("type");
    if (m.link != n.link) what.push_back("link_target");
    if (m.dev_major != n.dev_major || m.dev_minor != n.dev_minor) {
      what.push_back("device");
    }
    if (!what.empty()) out.push_back("C " + p + " " + absl::StrJoin(what, ","));
  }
  return out;
}

std::vector<std::string> ReportedDrift(const json& report) {
  std::vector<std::string> out;
  for (const json& f : report["diff"].value("files", json::array())) {
    std::string kind = f["kind"];
    std::string path = f["path"];
    if (kind == "ADDED") {
      out.push_back("A " + path);
    } else if (kind == "REMOVED") {
      out.push_back("R " + path);
    } else {
      std::vector<std::string> what = f.value("changed", std::vector<std::string>{});
      out.push_back("C " + path + " " + absl::StrJoin(what, ","));
    }
  }
  return out;
}

// --- The scenario. ---

std::string Sh(const std::string& script) {
  CommandResult r = RunCommand({"/bin/sh", "-ec", script});
  EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.err;
  return r.out;
}

// What a person does in a shell in the container whose root is `root`.
void ApplyChanges(const std::string& root, const std::string& deb) {
  Sh("R='" + root + "'\n"
     "sed -i 's/^UMASK\\t\\t022/UMASK\\t\\t027/' \"$R/etc/login.defs\"\n"
     "echo 'ops notes' > \"$R/root/notes.txt\"\n"
     "rm \"$R/usr/bin/tac\"\n"
     "chmod 600 \"$R/etc/issue\"\n"
     "chown 100:101 \"$R/etc/issue.net\"\n"
     "ln -sf /usr/bin/true \"$R/usr/bin/yes\"\n"
     "printf '\\000' >> \"$R/usr/bin/dirname\"\n"
     "cp '" + deb + "' \"$R/tmp/hello-dci.deb\"\n"
     "chroot \"$R\" dpkg -i /tmp/hello-dci.deb >/dev/null\n"
     "chroot \"$R\" dpkg -r mount >/dev/null 2>&1\n"
     "chroot \"$R\" groupadd -g 1500 devs\n"
     "mkdir -p \"$R/etc/systemd/system/multi-user.target.wants\"\n"
     "ln -s /lib/systemd/system/hello-dci.service "
     "\"$R/etc/systemd/system/multi-user.target.wants/hello-dci.service\"\n");
}

struct Scenario {
  std::string dir, base, changed, tarball, upper, manual_upper, merged;
  bool mounted = false;
  std::vector<std::string> reference;  // ReferenceDrift(base, changed)
  std::string mount_version;           // of the package removed
};

Scenario* g_scenario = nullptr;

class Drift : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Exists(SamplesDir() + "/layout/index.json")) return;
    auto* s = new Scenario;
    char tmpl[] = "/tmp/dci-drift-e2e-XXXXXX";
    s->dir = mkdtemp(tmpl);
    chmod(s->dir.c_str(), 0755);
    Sh("umoci unpack --image '" + SamplesDir() + "/layout:debian-v1' '" +
       s->dir + "/bundle' >/dev/null 2>&1");
    s->base = s->dir + "/bundle/rootfs";
    // A tiny package of our own, built offline.
    Sh("D='" + s->dir + "/pkg'; mkdir -p \"$D/DEBIAN\" \"$D/usr/bin\"\n"
       "printf 'Package: hello-dci\\nVersion: 1.0-1\\nArchitecture: all\\n"
       "Maintainer: dci tests <dci@localhost>\\nDescription: test\\n' > \"$D/DEBIAN/control\"\n"
       "printf '#!/bin/sh\\necho hello\\n' > \"$D/usr/bin/hello-dci\"\n"
       "chmod 755 \"$D/usr/bin/hello-dci\"\n"
       "dpkg-deb --root-owner-group --build \"$D\" '" + s->dir + "/hello-dci.deb' >/dev/null\n");
    const std::string deb = s->dir + "/hello-dci.deb";
    s->mount_version = Sh("dpkg-query --admindir='" + s->base +
                          "/var/lib/dpkg' -W -f='${Version}' mount");

    s->changed = s->dir + "/changed";
    Sh("cp -a '" + s->base + "' '" + s->changed + "'");
    ApplyChanges(s->changed, deb);
    s->reference = ReferenceDrift(WalkRoot(s->base), WalkRoot(s->changed));

    // docker export: the root as one tar, names without "./", gzip.
    s->tarball = s->dir + "/export.tar.gz";
    Sh("cd '" + s->changed + "' && tar --numeric-owner -czf '" + s->tarball +
       "' $(ls -A)");

    // A real overlayfs mount over the unchanged root, changed the same way.
    s->upper = s->dir + "/ov/upper";
    s->merged = s->dir + "/ov/merged";
    Sh("mkdir -p '" + s->upper + "' '" + s->dir + "/ov/work' '" + s->merged + "'");
    std::string opts = "lowerdir=" + s->base + ",upperdir=" + s->upper +
                       ",workdir=" + s->dir + "/ov/work";
    s->mounted = mount("overlay", s->merged.c_str(), "overlay", 0, opts.c_str()) == 0;
    if (s->mounted) ApplyChanges(s->merged, deb);

    // The same upper directory written by hand: changed and added entries
    // copied with their parents' attributes, removed ones as 0/0 character
    // devices (a removed directory's children need none).
    s->manual_upper = s->dir + "/manual-upper";
    std::string script = "U='" + s->manual_upper + "'; mkdir -p \"$U\"; cd '" +
                         s->changed + "'\n";
    std::string removed_dir;
    for (const std::string& line : s->reference) {
      std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(' ', 1));
      std::string path = f[1].substr(0, f[1].find(' '));
      if (f[0] == "R") {
        if (!removed_dir.empty() && path.rfind(removed_dir + "/", 0) == 0) continue;
        script += "mkdir -p \"$U/$(dirname '" + path + "')\"; mknod \"$U/" +
                  path + "\" c 0 0\n";
        struct stat st;
        std::string in_base = s->base + "/" + path;
        if (lstat(in_base.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) removed_dir = path;
      } else {
        script += "cp -a --no-dereference --parents '" + path + "' \"$U\"\n";
      }
    }
    Sh(script);
    g_scenario = s;
  }

  static void TearDownTestSuite() {
    if (g_scenario == nullptr) return;
    if (g_scenario->mounted) umount(g_scenario->merged.c_str());
    RunCommand({"/bin/rm", "-rf", g_scenario->dir});
    delete g_scenario;
    g_scenario = nullptr;
  }

  void SetUp() override {
    if (g_scenario == nullptr) {
      if (std::getenv("CI")) FAIL() << "no sample images in " << SamplesDir();
      GTEST_SKIP() << "SKIPPED: no sample images in " << SamplesDir()
                   << "; run scripts/make-sample-images.sh";
    }
    ASSERT_TRUE(dcid_.ok());
    CommandResult r = dcid_.Dci({"index", "oci:" + SamplesDir() + "/layout:debian-v1",
                                 "--tag", "debian:v1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  json Json(std::vector<std::string> args) {
    args.push_back("--output");
    args.push_back("json");
    CommandResult r = dcid_.Dci(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  // Rows in the database, read directly: what "nothing stored" means.
  long long Count(const std::string& sql) {
    sqlite3* db = nullptr;
    long long n = -1;
    if (sqlite3_open_v2(dcid_.db_path().c_str(), &db, SQLITE_OPEN_READONLY,
                        nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
  }

  std::string Md5(const std::string& file) {
    std::string out = Sh("md5sum '" + file + "'");
    return out.substr(0, 32);
  }

  // Every section of the report for the scenario's changes.
  void ExpectScenarioDrift(const json& r, bool md5sums_readable) {
    const Scenario& s = *g_scenario;
    EXPECT_EQ(ReportedDrift(r), s.reference);

    // The changes the person made, each exactly as made.
    std::map<std::string, json> files;
    for (const json& f : r["diff"]["files"]) files[f["path"]] = f;
    EXPECT_EQ(files["etc/login.defs"]["changed"], json({"content"}));
    EXPECT_EQ(files["root/notes.txt"]["kind"], "ADDED");
    EXPECT_EQ(files["root/notes.txt"]["after"]["size"], "10");
    EXPECT_EQ(files["root/notes.txt"]["after"]["mode"], 0644);
    EXPECT_EQ(files["usr/bin/tac"]["kind"], "REMOVED");
    EXPECT_EQ(files["etc/issue"]["changed"], json({"mode"}));
    EXPECT_EQ(files["etc/issue"]["before"]["mode"], 0644);
    EXPECT_EQ(files["etc/issue"]["after"]["mode"], 0600);
    EXPECT_EQ(files["etc/issue.net"]["changed"], json({"owner"}));
    EXPECT_EQ(files["etc/issue.net"]["after"]["uid"], "100");
    EXPECT_EQ(files["etc/issue.net"]["after"]["gid"], "101");
    EXPECT_EQ(files["usr/bin/yes"]["changed"], json({"mode", "type", "link_target"}));
    EXPECT_EQ(files["usr/bin/yes"]["after"]["type"], "ENTRY_TYPE_SYMLINK");
    EXPECT_EQ(files["usr/bin/yes"]["after"]["linkTarget"], "/usr/bin/true");
    EXPECT_EQ(files["usr/bin/dirname"]["changed"], json({"content", "size"}));
    EXPECT_EQ(files["usr/bin/hello-dci"]["kind"], "ADDED");
    // dpkg -r mount: its files are gone, its directories shared with other
    // packages stay.
    std::set<std::string> mount_files;
    for (absl::string_view l : absl::StrSplit(
             ReadFile(s.base + "/var/lib/dpkg/info/mount.list"), '\n', absl::SkipEmpty())) {
      std::string p(l.substr(1));
      // dpkg lists "/bin/mount"; on a merged-/usr root bin is a link to
      // usr/bin, and the drift names the real path.
      std::string first = p.substr(0, p.find('/'));
      char target[256];
      ssize_t k = readlink((s.base + "/" + first).c_str(), target, sizeof target);
      if (k > 0 && p.size() > first.size()) {
        p = std::string(target, k) + p.substr(first.size());
      }
      struct stat st;
      if (lstat((s.changed + "/" + p).c_str(), &st) != 0) mount_files.insert(p);
    }
    mount_files.insert("var/lib/dpkg/info/mount.list");
    mount_files.insert("var/lib/dpkg/info/mount.md5sums");
    mount_files.insert("usr/bin/tac");
    std::set<std::string> removed;
    for (const auto& [p, f] : files) {
      if (f["kind"] == "REMOVED") removed.insert(p);
    }
    EXPECT_EQ(removed, mount_files);

    EXPECT_EQ(r["diff"]["packages"],
              json::parse(R"([{"kind":"ADDED","ecosystem":"deb","name":"hello-dci",
                 "arch":"all","before":"","after":"1.0-1","direction":""},
                {"kind":"REMOVED","ecosystem":"deb","name":"mount","arch":"amd64",
                 "before":")" + s.mount_version + R"(","after":"","direction":""}])"));
    std::vector<std::string> configs;
    for (const json& c : r["diff"]["configs"]) {
      configs.push_back(std::string(c["kind"]) + " " + std::string(c["path"]));
      if (c["path"] == "etc/login.defs") {
        CommandResult d = RunCommand(
            {"/usr/bin/diff", "-u", "--label", "a/etc/login.defs", "--label",
             "b/etc/login.defs", s.base + "/etc/login.defs",
             s.changed + "/etc/login.defs"});
        EXPECT_EQ(d.exit_code, 1);
        EXPECT_EQ(c["unifiedDiff"], d.out);
      }
    }
    EXPECT_EQ(configs, (std::vector<std::string>{"CHANGED etc/group",
                                                 "CHANGED etc/group-",
                                                 "CHANGED etc/login.defs"}));
    EXPECT_EQ(r["diff"]["accounts"],
              json::parse(R"([{"kind":"ADDED","what":"group","name":"devs",
                 "before":"","after":"gid 1500 members "}])"));
    EXPECT_EQ(r["diff"]["services"],
              json::parse(R"([{"kind":"ADDED","unit":"hello-dci.service",
                 "target":"multi-user.target","how":"wants"}])"));
    EXPECT_EQ(r["diff"]["metadata"], json::array());

    json modified = json::array();
    modified.push_back({{"path", "etc/login.defs"}, {"ecosystem", "deb"},
                        {"package", "login"}, {"algorithm", "md5"},
                        {"expected", Md5(s.base + "/etc/login.defs")},
                        {"actual", Md5(s.changed + "/etc/login.defs")},
                        {"config", true}});
    if (md5sums_readable) {
      modified.push_back({{"path", "usr/bin/dirname"}, {"ecosystem", "deb"},
                          {"package", "coreutils"}, {"algorithm", "md5"},
                          {"expected", Md5(s.base + "/usr/bin/dirname")},
                          {"actual", Md5(s.changed + "/usr/bin/dirname")},
                          {"config", false}});
    }
    EXPECT_EQ(r["modifiedFiles"], modified);

    int added = 0, removed_n = 0, changed = 0;
    for (const std::string& l : s.reference) {
      (l[0] == 'A' ? added : l[0] == 'R' ? removed_n : changed)++;
    }
    EXPECT_EQ(r["summary"]["filesAdded"], added);
    EXPECT_EQ(r["summary"]["filesRemoved"], removed_n);
    EXPECT_EQ(r["summary"]["filesChanged"], changed);
    EXPECT_EQ(r["summary"]["packagesAdded"], json({"hello-dci"}));
    EXPECT_EQ(r["summary"]["packagesRemoved"], json({"mount"}));
    EXPECT_EQ(r["summary"]["configsChanged"], 3);
  }

  DcidProcess dcid_;
};

TEST_F(Drift, UnchangedRootHasNoDrift) {
  json r = Json({"drift", "dir:" + g_scenario->base, "--image", "debian:v1"});
  EXPECT_EQ(ReportedDrift(r), std::vector<std::string>{});
  EXPECT_EQ(r["modifiedFiles"], json::array());
  EXPECT_EQ(r["warnings"], json::array());
  EXPECT_EQ(r["diff"]["packages"], json::array());
  EXPECT_EQ(r["ignoreRules"],
            json({".dockerenv", "dev", "etc/hostname", "etc/hosts",
                  "etc/resolv.conf", "proc", "run", "sys", "tmp", "var/tmp"}));
  EXPECT_EQ(r["name"], "");
  EXPECT_EQ(Count("SELECT count(*) FROM container_snapshots"), 0);
}

TEST_F(Drift, DirShowsExactlyWhatWasChanged) {
  json r = Json({"drift", "dir:" + g_scenario->changed, "--image", "debian:v1"});
  ExpectScenarioDrift(r, true);
  EXPECT_EQ(r["warnings"], json::array());
  EXPECT_EQ(r["source"], "dir:" + g_scenario->changed);
  EXPECT_EQ(Count("SELECT count(*) FROM container_snapshots"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'CONTAINER_DRIFT'"), 0);
}

TEST_F(Drift, ExportTarballShowsTheSameDrift) {
  json r = Json({"drift", "tar:" + g_scenario->tarball, "--image", "debian:v1"});
  ExpectScenarioDrift(r, true);
  EXPECT_EQ(r["warnings"], json::array());
}

TEST_F(Drift, OverlayUpperDirectoryShowsTheSameDrift) {
  // The upper directory alone cannot show dpkg's md5sums of coreutils (they
  // stay in the lower layer), so usr/bin/dirname is named in a warning
  // instead of being checked.
  const std::string warning =
      "usr/bin/dirname: owned by coreutils, whose dpkg md5sums are not in the "
      "upper directory: not checked against its digest (drift dir: on the "
      "merged root checks it)";
  std::vector<std::string> uppers = {g_scenario->manual_upper};
  if (g_scenario->mounted) {
    uppers.push_back(g_scenario->upper);
  } else {
    std::cerr << "overlayfs mount not allowed here: only the hand-made upper "
                 "directory is checked\n";
  }
  for (const std::string& upper : uppers) {
    SCOPED_TRACE(upper);
    json r = Json({"drift", "overlay:" + upper, "--image", "debian:v1"});
    ExpectScenarioDrift(r, false);
    EXPECT_EQ(r["warnings"], json({warning}));
  }
  if (g_scenario->mounted) {
    json r = Json({"drift", "dir:" + g_scenario->merged, "--image", "debian:v1"});
    ExpectScenarioDrift(r, true);
  }
}

TEST_F(Drift, NamedSnapshotsMakeAHistoryAndEvents) {
  v1::SubscribeRequest req;
  req.set_since(0);
  req.add_kinds(v1::CONTAINER_DRIFT);
  Subscriber sub(dcid_.address(), req);
  json first = Json({"drift", "dir:" + g_scenario->base, "--image", "debian:v1",
                     "--name", "web-1"});
  json second = Json({"drift", "dir:" + g_scenario->changed, "--image",
                      "debian:v1", "--name", "web-1"});
  EXPECT_EQ(first["name"], "web-1");
  EXPECT_EQ(first["snapshotId"], "1");
  EXPECT_EQ(second["snapshotId"], "2");

  std::vector<v1::Event> events = sub.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  const std::string digest = second["image"];
  EXPECT_EQ(events[0].kind(), v1::CONTAINER_DRIFT);
  EXPECT_EQ(events[0].name(), "web-1");
  EXPECT_EQ(events[0].image(), digest);
  EXPECT_EQ(std::to_string(events[0].seq()), std::string(first["eventSeq"]));
  EXPECT_EQ(events[0].drift().files_added() + events[0].drift().files_removed() +
                events[0].drift().files_changed(),
            0);
  EXPECT_EQ(events[1].kind(), v1::CONTAINER_DRIFT);
  EXPECT_EQ(std::to_string(events[1].seq()), std::string(second["eventSeq"]));
  EXPECT_EQ(events[1].drift().files_added(), second["summary"]["filesAdded"]);
  EXPECT_EQ(events[1].drift().files_removed(), second["summary"]["filesRemoved"]);
  EXPECT_EQ(events[1].drift().files_changed(), second["summary"]["filesChanged"]);
  EXPECT_EQ(std::vector<std::string>(events[1].drift().packages_added().begin(),
                                     events[1].drift().packages_added().end()),
            std::vector<std::string>{"hello-dci"});
  EXPECT_EQ(std::vector<std::string>(events[1].drift().packages_removed().begin(),
                                     events[1].drift().packages_removed().end()),
            std::vector<std::string>{"mount"});
  EXPECT_EQ(events[1].drift().configs_changed(), 3);

  json h = Json({"drift-history", "web-1"});
  EXPECT_EQ(h["name"], "web-1");
  ASSERT_EQ(h["snapshots"].size(), 2u);
  EXPECT_EQ(h["snapshots"][0]["pathsDrifted"], 0);
  EXPECT_EQ(h["snapshots"][0]["newlyDrifted"], json::array());
  EXPECT_EQ(h["snapshots"][1]["pathsDrifted"], g_scenario->reference.size());
  std::vector<std::string> newly;
  for (const std::string& l : g_scenario->reference) {
    newly.push_back(l.substr(0, l[0] == 'C' ? l.rfind(' ') : std::string::npos));
  }
  EXPECT_EQ(h["snapshots"][1]["newlyDrifted"], json(newly));
  EXPECT_EQ(h["snapshots"][1]["noLongerDrifted"], json::array());
  EXPECT_EQ(h["snapshots"][1]["modifiedFiles"], 2);
  EXPECT_EQ(h["snapshots"][1]["summary"], second["summary"]);
  EXPECT_EQ(h["snapshots"][1]["source"], "dir:" + g_scenario->changed);

  // Human output names the snapshot.
  CommandResult human = dcid_.Dci({"drift-history", "web-1"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.substr(0, 18), "web-1: 2 snapshots");
  EXPECT_EQ(Count("SELECT count(*) FROM container_snapshots"), 2);
}

TEST_F(Drift, BadInputIsAnErrorAndStoresNothing) {
  const std::string tmp = g_scenario->dir;
  Sh("printf 'not a tar at all' > '" + tmp + "/junk.tar'");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err;
  };
  const std::string docker_archive = SamplesDir() + "/archives/debian-v1.docker-archive.tar";
  const std::string oci_archive = SamplesDir() + "/archives/debian-v1.oci-archive.tar";
  const std::vector<Case> cases = {
      {{"dir:" + tmp + "/missing"}, 2,
       "dci: root \"" + tmp + "/missing\" does not exist\n"},
      {{"dir:" + tmp + "/junk.tar"}, 4,
       "dci: root \"" + tmp + "/junk.tar\" is not a directory\n"},
      {{"tar:" + tmp + "/missing.tar"}, 2,
       "dci: tar \"" + tmp + "/missing.tar\" does not exist\n"},
      {{"tar:" + tmp + "/junk.tar"}, 4,
       "dci: tar \"" + tmp + "/junk.tar\" is not a readable container export: "
       "not a tar archive: Unrecognized archive format\n"},
      {{"tar:" + docker_archive}, 4,
       "dci: tar \"" + docker_archive + "\" is not a container export but a "
       "`docker save` image archive (manifest.json): index it with `dci index "
       "docker-archive:FILE`\n"},
      {{"tar:" + oci_archive}, 4,
       "dci: tar \"" + oci_archive + "\" is not a container export but an OCI "
       "image layout archive (oci-layout, index.json): index it with `dci "
       "index oci-archive:FILE`\n"},
      {{"oci:" + tmp}, 4,
       "dci: container source \"oci:" + tmp +
           "\": want dir:ROOT, tar:FILE or overlay:UPPERDIR\n"},
      {{"dir:" + g_scenario->base, "--only", "files,bogus"}, 4,
       "dci: unknown section \"bogus\": want files, packages, configs, "
       "metadata, users or services\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"drift"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--image", "debian:v1", "--name", "bad"});
    CommandResult r = dcid_.Dci(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[0] << " " << r.err;
    EXPECT_EQ(r.err, c.err) << c.args[0];
  }
  CommandResult unknown = dcid_.Dci({"drift", "dir:" + g_scenario->base,
                                     "--image", "nosuch:image", "--name", "bad"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  CommandResult usage = dcid_.Dci({"drift", "dir:" + g_scenario->base});
  EXPECT_EQ(usage.exit_code, 1);
  CommandResult history = dcid_.Dci({"drift-history", "bad"});
  EXPECT_EQ(history.exit_code, 2);
  EXPECT_EQ(history.err, "dci: no drift snapshot named \"bad\"\n");
  EXPECT_EQ(Count("SELECT count(*) FROM container_snapshots"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'CONTAINER_DRIFT'"), 0);
  // The server is still serving.
  EXPECT_EQ(dcid_.Dci({"images"}).exit_code, 0);
}

TEST_F(Drift, HostileSymlinksAreRecordedNeverFollowed) {
  const std::string root = g_scenario->dir + "/hostile";
  Sh("cp -a '" + g_scenario->base + "' '" + root + "'\n"
     "cd '" + root + "'\n"
     "ln -s loop loop\n"
     "ln -s b a; ln -s a b\n"
     "ln -s ../../../../../../../../etc/shadow etc/escape\n"
     "ln -s /etc/shadow etc/abs-escape\n"
     "mkfifo srv/pipe\n"
     "chmod 000 srv/pipe\n");
  json r = Json({"drift", "dir:" + root, "--image", "debian:v1"});
  EXPECT_EQ(ReportedDrift(r),
            (std::vector<std::string>{"A a", "A b", "A etc/abs-escape",
                                      "A etc/escape", "A loop", "A srv/pipe"}));
  std::map<std::string, json> files;
  for (const json& f : r["diff"]["files"]) files[f["path"]] = f;
  EXPECT_EQ(files["etc/escape"]["after"]["linkTarget"],
            "../../../../../../../../etc/shadow");
  EXPECT_EQ(files["loop"]["after"]["linkTarget"], "loop");
  EXPECT_EQ(files["srv/pipe"]["after"]["type"], "ENTRY_TYPE_FIFO");
  EXPECT_EQ(r["warnings"], json::array());
  // Links into etc/ are config paths, but not files: no config section.
  EXPECT_EQ(r["diff"]["configs"], json::array());
  RunCommand({"/bin/rm", "-rf", root});
}

TEST_F(Drift, IgnoreRulesAreChangeable) {
  json r = Json({"drift", "dir:" + g_scenario->changed, "--image", "debian:v1",
                 "--ignore", "var/lib/dpkg", "--ignore", "/var/log/*",
                 "--ignore", "usr/share/*", "--only", "files"});
  std::vector<std::string> expected;
  for (const std::string& l : g_scenario->reference) {
    std::string p = l.substr(2, l.find(' ', 2) - 2);
    if (p.rfind("var/lib/dpkg", 0) == 0 || p.rfind("var/log/", 0) == 0 ||
        p.rfind("usr/share/", 0) == 0) {
      continue;
    }
    expected.push_back(l);
  }
  EXPECT_EQ(ReportedDrift(r), expected);
  EXPECT_EQ(r["diff"]["packages"], json::array());  // --only files
  EXPECT_EQ(r["modifiedFiles"], json::array());

  // Without the defaults, the unpacked root's dev/ nodes and empty proc/,
  // sys/, run/ and tmp/ match the image: only tmp's new .deb drifts.
  json all = Json({"drift", "dir:" + g_scenario->changed, "--image",
                   "debian:v1", "--no-default-ignores", "--only", "files"});
  std::vector<std::string> with_tmp = ReportedDrift(all);
  std::vector<std::string> extra;
  std::set<std::string> ref(g_scenario->reference.begin(), g_scenario->reference.end());
  for (const std::string& l : with_tmp) {
    if (!ref.count(l)) extra.push_back(l);
  }
  EXPECT_EQ(extra, (std::vector<std::string>{"A tmp/hello-dci.deb"}));
  EXPECT_EQ(with_tmp.size(), g_scenario->reference.size() + 1);
  EXPECT_EQ(all["ignoreRules"], json::array());
}

// --- Packaged files modified in place: rpm and apk. ---

// A directory removed when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/dci-digest-drift-XXXXXX";
    path_ = mkdtemp(tmpl);
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() { RunCommand({"/bin/rm", "-rf", path_}); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string HexOf(const std::string& algorithm, const std::string& file) {
  return Sh("openssl dgst -" + algorithm + " -r '" + file + "' | cut -d' ' -f1")
      .substr(0, algorithm == "sha1" ? 40 : 64);
}

// Copies `paths` (changed or added, with their parent directories) from
// `root` into a fresh upper directory: what overlayfs would hold.
std::string UpperOf(const std::string& root, const std::string& upper,
                    const std::vector<std::string>& paths) {
  std::string script = "mkdir -p '" + upper + "'; cd '" + root + "'\n";
  for (const std::string& p : paths) {
    script += "cp -a --no-dereference --parents '" + p + "' '" + upper + "'\n";
  }
  Sh(script);
  return upper;
}

class PackageDigestDrift : public ::testing::Test {
 protected:
  json Json(std::vector<std::string> args) {
    args.push_back("--output");
    args.push_back("json");
    CommandResult r = dcid_.Dci(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  DcidProcess dcid_;
};

// The RPM sample's rpm-v2 (scripts/make-rpm-image.sh) unpacked with umoci
// and changed in place; `rpm -V` on the changed root is the reference for
// which files no longer match their digest ('5' in its flags), `rpm -q
// --dump` for the digests, sha256 of the file for the actual one. From the
// overlay upper directory alone the rpm database stays in the image, so the
// digests come from what the index stored.
TEST_F(PackageDigestDrift, RpmFilesModifiedInPlaceAreThoseRpmVerifyNames) {
  const std::string samples = SamplesDir() + "/rpm";
  if (!Exists(samples + "/layout/index.json")) {
    if (std::getenv("CI")) FAIL() << "no RPM sample in " << samples;
    GTEST_SKIP() << "SKIPPED: no RPM sample; run scripts/make-rpm-image.sh "
                 << samples;
  }
  ASSERT_TRUE(dcid_.ok());
  CommandResult ix = dcid_.Dci(
      {"index", "oci:" + samples + "/layout:rpm-v2", "--tag", "dci/rpm:v2"});
  ASSERT_EQ(ix.exit_code, 0) << ix.err;

  TempDir tmp;
  const std::string dir = tmp.path();
  Sh("umoci unpack --image '" + samples + "/layout:rpm-v2' '" + dir +
     "/bundle' >/dev/null 2>&1");
  const std::string base = dir + "/bundle/rootfs";
  const std::string changed = dir + "/changed";
  Sh("cp -a '" + base + "' '" + changed + "'\n"
     "cd '" + changed + "'\n"
     "printf z > opt/dci/one\n"                           // same size
     "printf 'data 2.0 patched\\n' > usr/share/dci-conf/data.txt\n"
     "printf 'version=2.0\\nlocal=1\\n' > etc/dci-test.conf\n"  // %config
     "chmod 600 opt/dci/two\n"                            // mode only
     "echo new > opt/dci/extra\n");                       // owned by none
  // rpm -V on a copy: rpm may touch its database files when it opens them.
  auto verify = [&](const std::string& root) {
    const std::string copy = dir + "/verify";
    Sh("rm -rf '" + copy + "'; cp -a '" + root + "' '" + copy + "'");
    CommandResult v = RunCommand({"/usr/bin/rpm", "-Va", "--root", copy,
                                  "--dbpath", "/var/lib/rpm"});
    std::set<std::string> out;
    for (absl::string_view line : absl::StrSplit(v.out, '\n', absl::SkipEmpty())) {
      // "S.5....T.  c /etc/dci-test.conf": 9 flag characters, the
      // attribute marker, the path.
      EXPECT_GT(line.size(), 13u) << line;
      if (line.size() > 13 && line[2] == '5') {
        out.insert(std::string(line.substr(line.find(" /") + 2)));
      }
    }
    return out;
  };
  ASSERT_EQ(verify(base), std::set<std::string>{});
  const std::set<std::string> rpm_says = verify(changed);
  ASSERT_EQ(rpm_says, (std::set<std::string>{"etc/dci-test.conf", "opt/dci/one",
                                             "usr/share/dci-conf/data.txt"}));

  // The reference report: rpm's own digest of each file it names.
  std::map<std::string, std::string> recorded;  // path -> digest
  const std::string dump =
      Sh("rpm --root '" + base + "' --dbpath /var/lib/rpm -qa --dump");
  for (absl::string_view line : absl::StrSplit(dump, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    ASSERT_GE(f.size(), 4u) << line;
    recorded[f[0].substr(1)] = f[3];
  }
  json want = json::array();
  for (const std::string& p : rpm_says) {
    const std::string owner = Sh("rpm --root '" + base +
                                 "' --dbpath /var/lib/rpm -qf --qf '%{NAME}' '/" +
                                 p + "'");
    const std::string algo = Trimmed(
        Sh("rpm --root '" + base + "' --dbpath /var/lib/rpm -q --qf "
           "'%{FILEDIGESTALGO}' " + owner));
    ASSERT_EQ(algo, "8");  // PGPHASHALGO_SHA256, rpm 4.18's default
    want.push_back({{"path", p}, {"ecosystem", "rpm"}, {"package", owner},
                    {"algorithm", "sha256"}, {"expected", recorded[p]},
                    {"actual", HexOf("sha256", changed + "/" + p)},
                    {"config", p == "etc/dci-test.conf"}});
  }
  EXPECT_EQ(want[0]["package"], "dci-conf");
  EXPECT_EQ(want[1]["package"], "dci-epoch");

  json r = Json({"drift", "dir:" + changed, "--image", "dci/rpm:v2"});
  EXPECT_EQ(r["modifiedFiles"], want);
  EXPECT_EQ(r["warnings"], json::array());
  EXPECT_EQ(ReportedDrift(r),
            (std::vector<std::string>{"C etc/dci-test.conf content,size",
                                      "A opt/dci/extra",
                                      "C opt/dci/one content",
                                      "C opt/dci/two mode",
                                      "C usr/share/dci-conf/data.txt content,size"}));

  const std::string upper =
      UpperOf(changed, dir + "/upper",
              {"etc/dci-test.conf", "opt/dci/extra", "opt/dci/one",
               "opt/dci/two", "usr/share/dci-conf/data.txt"});
  json o = Json({"drift", "overlay:" + upper, "--image", "dci/rpm:v2"});
  EXPECT_EQ(o["modifiedFiles"], want);
  EXPECT_EQ(o["warnings"], json::array());
}

// apk end to end on an image made here: no apk root is available on this
// machine, so the installed database is written by the test in apk-tools'
// format (Z:Q1 + base64 SHA-1 of each file, as `openssl dgst -sha1 -binary
// | base64` gives it; a symlink's is the SHA-1 of its target), and the
// image is built with umoci and indexed by dcid. apk audit's digest check
// is the rule: a regular file whose SHA-1 is not its Z: line's.
TEST_F(PackageDigestDrift, ApkFilesModifiedInPlaceAgainstTheirChecksums) {
  ASSERT_TRUE(dcid_.ok());
  TempDir tmp;
  const std::string dir = tmp.path();
  const std::string layout = dir + "/layout";
  Sh("umoci init --layout '" + layout + "'\n"
     "umoci new --image '" + layout + ":apk-v1'\n"
     "umoci unpack --image '" + layout + ":apk-v1' '" + dir + "/bundle' >/dev/null\n"
     "R='" + dir + "/bundle/rootfs'\n"
     "mkdir -p \"$R/bin\" \"$R/etc\" \"$R/usr/lib\" \"$R/lib/apk/db\"\n"
     "printf 'busybox binary\\n' > \"$R/bin/busybox\"; chmod 755 \"$R/bin/busybox\"\n"
     "ln -s /bin/busybox \"$R/bin/sh\"\n"
     "printf 'Welcome\\n' > \"$R/etc/motd\"\n"
     "printf 'libfoo\\n' > \"$R/usr/lib/libfoo.so.1\"\n"
     "q() { printf 'Z:Q1%s\\n' \"$(openssl dgst -sha1 -binary \"$1\" | base64)\"; }\n"
     "qs() { printf 'Z:Q1%s\\n' \"$(printf '%s' \"$1\" | openssl dgst -sha1 -binary | base64)\"; }\n"
     "{ printf 'P:busybox\\nV:1.36.1-r15\\nA:x86_64\\no:busybox\\nF:bin\\nR:busybox\\na:0:0:755\\n'\n"
     "  q \"$R/bin/busybox\"\n"
     "  printf 'R:sh\\na:0:0:777\\n'; qs /bin/busybox\n"
     "  printf 'F:etc\\nR:motd\\n'; q \"$R/etc/motd\"\n"
     "  printf '\\nP:libfoo\\nV:1.0-r0\\nA:x86_64\\nF:usr/lib\\nR:libfoo.so.1\\n'\n"
     "  q \"$R/usr/lib/libfoo.so.1\"\n"
     "  printf '\\n'\n"
     "} > \"$R/lib/apk/db/installed\"\n"
     "umoci repack --image '" + layout + ":apk-v1' '" + dir + "/bundle' >/dev/null\n");
  CommandResult ix = dcid_.Dci({"index", "oci:" + layout + ":apk-v1", "--tag", "dci/apk:v1"});
  ASSERT_EQ(ix.exit_code, 0) << ix.err;
  const json pk = Json({"packages", "dci/apk:v1"});
  ASSERT_EQ(pk["packages"].size(), 2u);

  const std::string base = dir + "/bundle/rootfs";
  const std::string changed = dir + "/changed";
  Sh("cp -a '" + base + "' '" + changed + "'\n"
     "cd '" + changed + "'\n"
     "printf '\\000' >> bin/busybox\n"
     "printf 'Welcome, ops\\n' > etc/motd\n"
     "echo mine > etc/extra\n");
  json want = json::array();
  for (const char* p : {"bin/busybox", "etc/motd"}) {
    want.push_back({{"path", p}, {"ecosystem", "apk"}, {"package", "busybox"},
                    {"algorithm", "sha1"},
                    {"expected", HexOf("sha1", base + "/" + p)},
                    {"actual", HexOf("sha1", changed + "/" + p)},
                    {"config", false}});
  }
  json r = Json({"drift", "dir:" + changed, "--image", "dci/apk:v1"});
  EXPECT_EQ(r["modifiedFiles"], want);
  EXPECT_EQ(r["warnings"], json::array());
  const std::string upper = UpperOf(changed, dir + "/upper",
                                    {"bin/busybox", "etc/extra", "etc/motd"});
  json o = Json({"drift", "overlay:" + upper, "--image", "dci/apk:v1"});
  EXPECT_EQ(o["modifiedFiles"], want);
  EXPECT_EQ(o["warnings"], json::array());

  // Unchanged, the root has nothing modified: the symlink's checksum (of
  // its target) is never compared with file content.
  json same = Json({"drift", "dir:" + base, "--image", "dci/apk:v1"});
  EXPECT_EQ(same["modifiedFiles"], json::array());
  EXPECT_EQ(ReportedDrift(same), std::vector<std::string>{});
}

}  // namespace
}  // namespace dci::testing
