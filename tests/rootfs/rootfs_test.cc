// The container root readers of `dci drift`: the directory walker's
// invariants (indexer/rootfs/dir_walker.h, by number), ignore rules, and
// export tarballs (indexer/rootfs/export_tar.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/content_hash.h"
#include "indexer/rootfs/dir_walker.h"
#include "indexer/rootfs/export_tar.h"
#include "indexer/rootfs/ignore_rules.h"
#include "indexer/rootfs/root_source.h"
#include "tests/testutil/tar_builder.h"

namespace dci {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/dci-rootfs-XXXXXX";
    path_ = mkdtemp(tmpl);
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& p) const { return path_ + "/" + p; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& data, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary) << data;
  chmod(path.c_str(), mode);
}

// "path type [-> target] [major,minor] [opaque]" for each entry.
std::vector<std::string> Describe(const RootSnapshot& s) {
  std::vector<std::string> out;
  for (const LayerEntry& e : s.entries) {
    std::ostringstream l;
    l << e.path << " " << EntryTypeName(e.type);
    if (e.type == EntryType::kSymlink || e.type == EntryType::kHardlink) {
      l << " -> " << e.link_target;
    }
    if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
      l << " " << e.dev_major << "," << e.dev_minor;
    }
    if (e.opaque) l << " opaque";
    out.push_back(l.str());
  }
  return out;
}

absl::StatusOr<RootSnapshot> Walk(const std::string& root, bool overlay = false,
                                  IgnoreRules ignore = {}, bool cross = false) {
  WalkOptions o;
  o.overlay_upper = overlay;
  o.read.ignore = std::move(ignore);
  o.read.cross_filesystems = cross;
  return WalkDirectory(root, o);
}

TEST(DirWalker, Invariant1SymlinksAreDataNeverFollowed) {
  TempDir t;
  fs::create_directories(t / "outside");
  Write(t / "outside/secret", "outside the root");
  fs::create_directories(t / "root/d");
  std::string r = t / "root";
  symlink("../../outside/secret", (r + "/escape").c_str());
  symlink("loop", (r + "/loop").c_str());
  symlink("b", (r + "/a").c_str());
  symlink("a", (r + "/b").c_str());
  symlink("/etc/shadow", (r + "/abs").c_str());
  symlink("../../../outside", (r + "/d/up").c_str());
  absl::StatusOr<RootSnapshot> s = Walk(r);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Describe(*s), (std::vector<std::string>{
                              "a symlink -> b",
                              "abs symlink -> /etc/shadow",
                              "b symlink -> a",
                              "d dir",
                              "d/up symlink -> ../../../outside",
                              "escape symlink -> ../../outside/secret",
                              "loop symlink -> loop",
                          }));
  EXPECT_TRUE(s->warnings.empty());
  EXPECT_EQ(s->bytes_hashed, 0);
}

TEST(DirWalker, RootItselfMayBeASymlinkButMustExistAndBeADirectory) {
  TempDir t;
  fs::create_directories(t / "real");
  Write(t / "real/f", "x");
  symlink((t / "real").c_str(), (t / "link").c_str());
  absl::StatusOr<RootSnapshot> s = Walk(t / "link");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Describe(*s), std::vector<std::string>{"f file"});

  absl::StatusOr<RootSnapshot> missing = Walk(t / "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "root \"" + (t / "nope") + "\" does not exist");
  absl::StatusOr<RootSnapshot> file = Walk(t / "real/f");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message(),
            "root \"" + (t / "real/f") + "\" is not a directory");
  symlink("selfloop", (t / "selfloop").c_str());
  absl::StatusOr<RootSnapshot> loop = Walk(t / "selfloop");
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop.status().message(),
            "root \"" + (t / "selfloop") + "\": too many symlinks");
}

TEST(DirWalker, Invariant2OtherFilesystemsAreNotEntered) {
  TempDir t;
  fs::create_directories(t / "root/mnt");
  Write(t / "root/keep", "k");
  ASSERT_EQ(mount("tmpfs", (t / "root/mnt").c_str(), "tmpfs", 0, "size=1m"), 0)
      << "mounting a tmpfs needs root: " << std::strerror(errno);
  Write(t / "root/mnt/inside", "on another filesystem");
  absl::StatusOr<RootSnapshot> s = Walk(t / "root");
  absl::StatusOr<RootSnapshot> crossed = Walk(t / "root", false, {}, true);
  umount((t / "root/mnt").c_str());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Describe(*s), (std::vector<std::string>{"keep file", "mnt dir"}));
  EXPECT_EQ(s->warnings, std::vector<std::string>{
                             "mnt: another filesystem (a mount point): not entered"});
  ASSERT_TRUE(crossed.ok()) << crossed.status();
  EXPECT_EQ(Describe(*crossed), (std::vector<std::string>{
                                    "keep file", "mnt dir", "mnt/inside file"}));
  EXPECT_TRUE(crossed->warnings.empty());
}

TEST(DirWalker, Invariant3UnreadableFilesAndDirectoriesAreWarnings) {
  TempDir t;
  fs::create_directories(t / "root/locked");
  Write(t / "root/locked/hidden", "h");
  Write(t / "root/private", "p", 0000);
  Write(t / "root/public", "ok", 0644);
  chmod((t / "root/locked").c_str(), 0000);
  // Walk as nobody in a child process: root reads everything.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    absl::StatusOr<RootSnapshot> s = Walk(t / "root");
    std::ostringstream o;
    if (!s.ok()) {
      o << "error " << s.status().message();
    } else {
      for (const std::string& d : Describe(*s)) o << d << "\n";
      o << "--\n";
      for (const std::string& w : s->warnings) o << w << "\n";
      o << "--\n";
      for (const std::string& p : s->content_unknown) o << p << "\n";
      for (const LayerEntry& e : s->entries) {
        if (e.path == "public") o << "public " << e.size << " " << ContentHashHex(e.content_hash) << "\n";
      }
    }
    std::string text = o.str();
    if (write(pipefd[1], text.data(), text.size()) < 0) _exit(4);
    _exit(0);
  }
  close(pipefd[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) got.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  chmod((t / "root/locked").c_str(), 0755);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(got,
            "locked dir\nprivate file\npublic file\n--\n"
            "locked: cannot open directory: Permission denied\n"
            "private: cannot read: Permission denied\n--\nprivate\n"
            "public 2 " + ContentHashHex(ContentHasher::Of("ok", 2)) + "\n");
}

TEST(DirWalker, Invariant4LargeFilesAreHashedInChunks) {
  TempDir t;
  fs::create_directories(t / "root");
  std::string big(5 * 1024 * 1024 + 7, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  Write(t / "root/big", big);
  absl::StatusOr<RootSnapshot> s = Walk(t / "root");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->entries.size(), 1u);
  EXPECT_EQ(s->entries[0].size, static_cast<int64_t>(big.size()));
  EXPECT_EQ(s->entries[0].content_hash, ContentHasher::Of(big.data(), big.size()));
  EXPECT_EQ(s->bytes_hashed, static_cast<int64_t>(big.size()));
}

TEST(DirWalker, Invariant5HardlinksBecomeAFileAndLinksToItInPathOrder) {
  TempDir t;
  fs::create_directories(t / "root/b");
  fs::create_directories(t / "root/a");
  Write(t / "root/b/file", "shared bytes");
  ASSERT_EQ(link((t / "root/b/file").c_str(), (t / "root/a/link").c_str()), 0);
  ASSERT_EQ(link((t / "root/b/file").c_str(), (t / "root/c").c_str()), 0);
  absl::StatusOr<RootSnapshot> s = Walk(t / "root");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Describe(*s), (std::vector<std::string>{
                              "a dir", "a/link file", "b dir",
                              "b/file hardlink -> a/link", "c hardlink -> a/link"}));
  ContentHash h = ContentHasher::Of("shared bytes", 12);
  for (const LayerEntry& e : s->entries) {
    if (e.type == EntryType::kDir) continue;
    EXPECT_EQ(e.size, 12) << e.path;
    EXPECT_EQ(e.content_hash, h) << e.path;
  }
  EXPECT_EQ(s->bytes_hashed, 12);  // one inode, read once
}

TEST(DirWalker, Invariant6SocketsFifosDevicesAndOverlayWhiteouts) {
  TempDir t;
  std::string r = t / "root";
  fs::create_directories(r + "/opq");
  fs::create_directories(r + "/uopq");
  fs::create_directories(r + "/plain");
  ASSERT_EQ(mkfifo((r + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(mknod((r + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod((r + "/loop0").c_str(), S_IFBLK | 0660, makedev(7, 0)), 0);
  ASSERT_EQ(mknod((r + "/gone").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sp = r + "/sock";
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sp.c_str());
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(sock);
  ASSERT_EQ(setxattr((r + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(setxattr((r + "/uopq").c_str(), "user.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(setxattr((r + "/plain").c_str(), "user.overlay.opaque", "n", 1, 0), 0);

  absl::StatusOr<RootSnapshot> plain = Walk(r);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(Describe(*plain), (std::vector<std::string>{
                                  "fifo fifo", "gone char 0,0", "loop0 block 7,0",
                                  "null char 1,3", "opq dir", "plain dir",
                                  "sock socket", "uopq dir"}));
  EXPECT_EQ(plain->kind, RootSnapshot::Kind::kFullTree);
  absl::StatusOr<RootSnapshot> upper = Walk(r, true);
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(Describe(*upper), (std::vector<std::string>{
                                  "fifo fifo", "gone whiteout", "loop0 block 7,0",
                                  "null char 1,3", "opq dir opaque", "plain dir",
                                  "sock socket", "uopq dir opaque"}));
  EXPECT_EQ(upper->kind, RootSnapshot::Kind::kUpperLayer);
}

TEST(DirWalker, Invariant7IgnoredPathsAreLeftOut) {
  TempDir t;
  std::string r = t / "root";
  fs::create_directories(r + "/proc/1");
  fs::create_directories(r + "/var/log/apt");
  fs::create_directories(r + "/var/lib");
  Write(r + "/proc/1/status", "x");
  Write(r + "/var/log/apt/history.log", "x");
  Write(r + "/var/log/dpkg.log", "x");
  Write(r + "/var/lib/keep", "x");
  absl::StatusOr<RootSnapshot> s =
      Walk(r, false, IgnoreRules({"/proc"}, {"var/log/*"}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Describe(*s), (std::vector<std::string>{
                              "var dir", "var/lib dir", "var/lib/keep file",
                              "var/log dir"}));
}

TEST(IgnoreRules, MatchPathsAndTheirSubtrees) {
  struct Case {
    std::string path;
    bool ignored;
  };
  IgnoreRules rules(DefaultIgnoreGlobs(), {"var/log/*.log", "/srv/cache/"});
  const std::vector<Case> cases = {
      {"proc", true},          {"proc/1/status", true},
      {"process", false},      {"dev/null", true},
      {"tmp", true},           {"var/tmp/x", true},
      {"var/tmpfoo", false},   {"etc/hosts", true},
      {"etc/hosts.allow", false}, {"etc/resolv.conf", true},
      {"run/lock", true},      {".dockerenv", true},
      {"var/log/dpkg.log", true}, {"var/log/apt/history.log", true},
      {"var/log/apt", false},  {"srv/cache/a/b", true},
      {"srv", false},          {"etc/passwd", false},
  };
  for (const Case& c : cases) EXPECT_EQ(rules.Matches(c.path), c.ignored) << c.path;
  EXPECT_EQ(rules.globs(),
            (std::vector<std::string>{".dockerenv", "dev", "etc/hostname",
                                      "etc/hosts", "etc/resolv.conf", "proc",
                                      "run", "srv/cache", "sys", "tmp",
                                      "var/log/*.log", "var/tmp"}));
}

std::string WriteTemp(const TempDir& t, const std::string& name,
                      const std::string& data) {
  std::string p = t / name;
  Write(p, data);
  return p;
}

TEST(ExportTar, ReadsAnExportLikeTheDirectoryWalker) {
  TempDir t;
  std::string tar = testing::TarBuilder()
                        .Dir("etc")
                        .File("etc/hostname", "c1\n")
                        .File("etc/motd", "hi\n", 0640, 0, 4)
                        .Symlink("bin", "usr/bin")
                        .Dir("usr")
                        .Dir("usr/bin")
                        .File("usr/bin/x", "xx", 0755)
                        .Hardlink("usr/bin/y", "usr/bin/x")
                        .Finish();
  for (const std::string& data : {tar, testing::Gzip(tar)}) {
    RootReadOptions o;
    o.ignore = IgnoreRules(DefaultIgnoreGlobs());
    o.capture = [](absl::string_view p, int64_t) { return p == "etc/motd"; };
    absl::StatusOr<RootSnapshot> s = ReadExportTar(WriteTemp(t, "c.tar", data), o);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(Describe(*s), (std::vector<std::string>{
                                "bin symlink -> usr/bin", "etc dir",
                                "etc/motd file", "usr dir", "usr/bin dir",
                                "usr/bin/x file", "usr/bin/y hardlink -> usr/bin/x"}));
    EXPECT_EQ(s->captured, (std::map<std::string, std::string>{{"etc/motd", "hi\n"}}));
  }
}

TEST(ExportTar, RefusesWhatIsNotAContainerExport) {
  TempDir t;
  struct Case {
    std::string name;
    std::string data;
    absl::StatusCode code;
    std::string message_tail;  // after `tar "FILE" `
  };
  const std::vector<Case> cases = {
      {"docker-save.tar",
       testing::TarBuilder()
           .Dir("abc")
           .File("abc/layer.tar", "")
           .File("manifest.json", "[]")
           .File("repositories", "{}")
           .Finish(),
       absl::StatusCode::kInvalidArgument,
       "is not a container export but a `docker save` image archive "
       "(manifest.json): index it with `dci index docker-archive:FILE`"},
      {"oci.tar",
       testing::TarBuilder()
           .File("oci-layout", "{}")
           .File("index.json", "{}")
           .Dir("blobs")
           .Finish(),
       absl::StatusCode::kInvalidArgument,
       "is not a container export but an OCI image layout archive "
       "(oci-layout, index.json): index it with `dci index oci-archive:FILE`"},
      {"layer.tar",
       testing::TarBuilder().Dir("etc").Whiteout("etc/gone").Finish(),
       absl::StatusCode::kInvalidArgument,
       "has whiteouts (\"etc/gone\"): an image layer, not a container export"},
      {"escape.tar", testing::TarBuilder().RawName("../etc/passwd").Finish(),
       absl::StatusCode::kInvalidArgument,
       "is not a readable container export: entry \"../etc/passwd\": path "
       "escapes root (\"..\" component)"},
      {"garbage.tar", std::string(3000, 'z'), absl::StatusCode::kDataLoss,
       "is not a readable container export: not a tar archive: Unrecognized "
       "archive format"},
  };
  for (const Case& c : cases) {
    std::string path = WriteTemp(t, c.name, c.data);
    absl::StatusOr<RootSnapshot> s = ReadExportTar(path, RootReadOptions{});
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.status().code(), c.code) << c.name << ": " << s.status();
    std::string prefix = "tar \"" + path + "\" ";
    std::string msg(s.status().message());
    ASSERT_EQ(msg.rfind(prefix, 0), 0u) << msg;
    EXPECT_EQ(msg.substr(prefix.size()), c.message_tail) << c.name;
  }
  absl::StatusOr<RootSnapshot> missing =
      ReadExportTar(t / "missing.tar", RootReadOptions{});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(ExportTar, DigestsFilesOnASecondPassThroughHardlinks) {
  TempDir t;
  std::string tar = testing::TarBuilder()
                        .File("a", "alpha")
                        .Hardlink("b", "a")
                        .File("c", "gamma")
                        .Finish();
  std::string path = WriteTemp(t, "c.tar", tar);
  absl::StatusOr<std::unique_ptr<RootSource>> src = OpenRootSource("tar:" + path);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Read(RootReadOptions{}).ok());
  auto d = (*src)->FileDigests({{"b", "md5"}, {"c", "sha256"}, {"nope", "md5"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, (std::map<std::string, std::string>{
                    {"b", "2c1743a391305fbf367df8e4f069f9f9"},  // md5("alpha")
                    {"c", "be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c67"},
                }));
}

TEST(RootSource, ParsesTransports) {
  EXPECT_TRUE(OpenRootSource("dir:/x").ok());
  EXPECT_TRUE(OpenRootSource("overlay:/x").ok());
  EXPECT_TRUE(OpenRootSource("tar:/x.tar").ok());
  absl::StatusOr<std::unique_ptr<RootSource>> bad = OpenRootSource("oci:/x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "container source \"oci:/x\": want dir:ROOT, tar:FILE or overlay:UPPERDIR");
  EXPECT_EQ(OpenRootSource("dir:").status().message(),
            "container source \"dir:\" has no path");
}

}  // namespace
}  // namespace dci
