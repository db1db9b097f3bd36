// Services an image enables at boot, read from the symlinks that enable
// them: systemd's "*.wants/" and "*.requires/" directories, and SysV init's
// rc?.d start links.
#ifndef DCI_INDEXER_SYSTEM_SERVICES_H_
#define DCI_INDEXER_SYSTEM_SERVICES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace dci {

// One symlink of the image's merged tree: canonical path (no leading '/')
// and its target as stored.
struct SymlinkEntry {
  std::string path;
  std::string target;
};

enum class EnablementKind {
  kWants,     // a link in <unit>.wants/: the target pulls the unit in
  kRequires,  // a link in <unit>.requires/: ... and fails without it
  kSysV,      // an S## link in rc?.d: started in that runlevel
};

// "wants", "requires", "sysv": the stored form.
absl::string_view EnablementKindName(EnablementKind k);

struct EnabledUnit {
  // systemd: the link's name, which is the unit pulled in
  // ("ssh.service", "getty@tty1.service"). SysV: the script's name, the link
  // name after 'S' and its sequence digits ("S01ssh" -> "ssh").
  std::string unit;
  // systemd: the unit whose .wants/.requires directory holds the link
  // ("multi-user.target"). SysV: the runlevel directory ("rc2.d", "rcS.d").
  std::string target;
  EnablementKind kind = EnablementKind::kWants;
  std::string link_path;    // where the link is
  std::string link_target;  // what it points to, as stored
  // systemd only: the link lies in the vendor unit directory
  // (usr/lib/systemd/system, or lib/systemd/system before the /usr merge),
  // so the package enables it itself and `systemctl disable` cannot undo it
  // (systemctl calls such units "static" or "enabled" by vendor preset).
  bool vendor = false;
};

struct ServiceScan {
  std::vector<EnabledUnit> units;  // sorted by link_path
  std::vector<std::string> warnings;
};

// Finds the enabling links among `links` (every symlink of the merged tree;
// links elsewhere are ignored):
//   etc/systemd/system/<unit>.wants/<name>      kWants
//   etc/systemd/system/<unit>.requires/<name>   kRequires
//   usr/lib/systemd/system/..., lib/systemd/system/...  same, vendor = true
//   etc/rc<L>.d/S<digits><name>, etc/rc.d/rc<L>.d/S...   kSysV
// with <L> one of 0-6 or S. Only direct children of those directories count
// (systemd does not look deeper). A systemd link whose name is not a unit
// name (letters, digits, ":-_.\@", a known type suffix such as ".service")
// is skipped with a warning, as systemd ignores it; so is an S link with no
// script name after the digits. K links (stop) are not enablement.
ServiceScan FindEnabledServices(absl::Span<const SymlinkEntry> links);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_SERVICES_H_
