#include "indexer/system/services.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/system/host_tools.h"

namespace dci {
namespace {

struct Want {
  std::string unit, target;
  EnablementKind kind;
  std::string link_path, link_target;
  bool vendor;
};

void ExpectUnits(const ServiceScan& got, const std::vector<Want>& want) {
  ASSERT_EQ(got.units.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const EnabledUnit& u = got.units[i];
    const Want& w = want[i];
    EXPECT_EQ(u.unit, w.unit) << i;
    EXPECT_EQ(u.target, w.target) << i;
    EXPECT_EQ(u.kind, w.kind) << i;
    EXPECT_EQ(u.link_path, w.link_path) << i;
    EXPECT_EQ(u.link_target, w.link_target) << i;
    EXPECT_EQ(u.vendor, w.vendor) << i;
  }
}

TEST(FindEnabledServices, ReadsWantsRequiresVendorAndSysVLinks) {
  const std::vector<SymlinkEntry> links = {
      {"etc/systemd/system/multi-user.target.wants/ssh.service",
       "/lib/systemd/system/ssh.service"},
      {"etc/systemd/system/getty.target.wants/getty@tty1.service",
       "/lib/systemd/system/getty@.service"},
      {"etc/systemd/system/sysinit.target.requires/x.mount", "../x.mount"},
      {"usr/lib/systemd/system/getty.target.wants/getty-static.service",
       "../getty-static.service"},
      {"lib/systemd/system/sockets.target.wants/dbus.socket", "../dbus.socket"},
      {"etc/rc2.d/S01ssh", "../init.d/ssh"},
      {"etc/rcS.d/S10udev", "../init.d/udev"},
      {"etc/rc.d/rc3.d/S55sshd", "../init.d/sshd"},
      // Not enablement:
      {"etc/rc0.d/K01ssh", "../init.d/ssh"},  // stop link
      {"etc/rc7.d/S01x", "../init.d/x"},      // no runlevel 7
      {"etc/rc2.d/sub/S01x", "../init.d/x"},  // too deep
      {"etc/systemd/system/dbus-org.freedesktop.timesync1.service",
       "/lib/systemd/system/systemd-timesyncd.service"},  // an alias
      {"etc/systemd/system/a.wants/sub/b.service", "x"},  // too deep
      {"etc/systemd/system/.wants/b.service", "x"},       // no unit
      {"etc/systemd/system/a.target.upholds/b.service", "x"},
      {"etc/systemd/user/default.target.wants/p.service", "x"},  // user units
      {"run/systemd/system/multi-user.target.wants/r.service", "x"},
      {"usr/share/doc/multi-user.target.wants/d.service", "x"},
      // Not unit names: warned about.
      {"etc/systemd/system/multi-user.target.wants/README", "x"},
      {"etc/systemd/system/multi-user.target.wants/bad name.service", "x"},
      {"etc/rc2.d/S99", "../init.d/x"},
  };
  ServiceScan got = FindEnabledServices(links);
  ExpectUnits(
      got,
      {
          {"sshd", "rc3.d", EnablementKind::kSysV, "etc/rc.d/rc3.d/S55sshd",
           "../init.d/sshd", false},
          {"ssh", "rc2.d", EnablementKind::kSysV, "etc/rc2.d/S01ssh",
           "../init.d/ssh", false},
          {"udev", "rcS.d", EnablementKind::kSysV, "etc/rcS.d/S10udev",
           "../init.d/udev", false},
          {"getty@tty1.service", "getty.target", EnablementKind::kWants,
           "etc/systemd/system/getty.target.wants/getty@tty1.service",
           "/lib/systemd/system/getty@.service", false},
          {"ssh.service", "multi-user.target", EnablementKind::kWants,
           "etc/systemd/system/multi-user.target.wants/ssh.service",
           "/lib/systemd/system/ssh.service", false},
          {"x.mount", "sysinit.target", EnablementKind::kRequires,
           "etc/systemd/system/sysinit.target.requires/x.mount", "../x.mount",
           false},
          {"dbus.socket", "sockets.target", EnablementKind::kWants,
           "lib/systemd/system/sockets.target.wants/dbus.socket",
           "../dbus.socket", true},
          {"getty-static.service", "getty.target", EnablementKind::kWants,
           "usr/lib/systemd/system/getty.target.wants/getty-static.service",
           "../getty-static.service", true},
      });
  EXPECT_EQ(
      got.warnings,
      (std::vector<std::string>{
          "\"etc/systemd/system/multi-user.target.wants/README\": not a unit "
          "name; ignored",
          "\"etc/systemd/system/multi-user.target.wants/bad name.service\": "
          "not a unit name; ignored",
          "\"etc/rc2.d/S99\": start link without a script name; ignored",
      }));
}

TEST(FindEnabledServices, SysVUnitIsTheScriptNameAfterTheSequence) {
  // The unit of an rc.d link is the script name after 'S' and the digits.
  ServiceScan got = FindEnabledServices(
      std::vector<SymlinkEntry>{{"etc/rc.d/rc3.d/S55sshd", "../init.d/sshd"}});
  ASSERT_EQ(got.units.size(), 1u);
  EXPECT_EQ(got.units[0].unit, "sshd");
  EXPECT_EQ(got.units[0].target, "rc3.d");
}

TEST(FindEnabledServices, KindNames) {
  EXPECT_EQ(EnablementKindName(EnablementKind::kWants), "wants");
  EXPECT_EQ(EnablementKindName(EnablementKind::kRequires), "requires");
  EXPECT_EQ(EnablementKindName(EnablementKind::kSysV), "sysv");
}

// The host's tree, listed with std::filesystem; the independent answer is
// what find(1) lists for the same directories.
TEST(FindEnabledServices, HostLinksMatchFind) {
  std::vector<SymlinkEntry> links;
  for (const char* root : {"/etc", "/usr/lib/systemd", "/lib/systemd"}) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // On a merged-/usr system /lib is a link to usr/lib: the same tree.
    if (!fs::exists(root, ec) || fs::canonical(root, ec) != fs::path(root)) {
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(
             root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink(ec)) continue;
      std::string path = it->path().string().substr(1);
      links.push_back({path, fs::read_symlink(it->path(), ec).string()});
    }
  }
  ServiceScan got = FindEnabledServices(links);
  std::set<std::string> ours;
  for (const EnabledUnit& u : got.units) ours.insert(u.link_path);

  testing_host::CommandResult find = testing_host::RunCommand(
      "find /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system "
      "-mindepth 2 -maxdepth 2 -type l "
      "\\( -path '*.wants/*.*' -o -path '*.requires/*.*' \\) 2>/dev/null; "
      "find /etc/rc?.d /etc/rc.d/rc?.d -maxdepth 1 -type l -name 'S*' "
      "2>/dev/null; true");
  ASSERT_EQ(find.exit_code, 0);
  std::set<std::string> want;
  for (absl::string_view line :
       absl::StrSplit(find.out, '\n', absl::SkipEmpty())) {
    // /lib is a link to usr/lib on merged-/usr systems: find lists the
    // same links twice, once through it.
    std::string p(line.substr(1));
    if (p.rfind("lib/", 0) == 0 && std::filesystem::is_symlink("/lib")) {
      continue;
    }
    want.insert(p);
  }
  EXPECT_EQ(ours, want);
  EXPECT_TRUE(got.warnings.empty());
}

}  // namespace
}  // namespace dci
