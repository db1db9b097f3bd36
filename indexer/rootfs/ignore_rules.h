// Which paths of a container's root filesystem drift leaves out: runtime
// noise that every running container has and nobody changed on purpose.
//
// A rule is a glob (fnmatch(3), no flags: '*' also matches '/') over the
// canonical path ("var/log/*"; a leading '/' in the rule is dropped). A path
// is ignored when the rule matches it or any of its ancestors, so "proc"
// drops /proc and everything below it. Ignored paths are left out on both
// sides, the container and its image, so they never show as removed.
//
//   IgnoreRules rules(DefaultIgnoreGlobs(), {"var/log/*"});
//   rules.Matches("proc/1/status");  // true
//
// Thread-safe after construction (const).
#ifndef DCI_INDEXER_ROOTFS_IGNORE_RULES_H_
#define DCI_INDEXER_ROOTFS_IGNORE_RULES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dci {

// The default list, documented in README.md ("dci drift"):
//   proc, sys, dev        kernel filesystems a runtime mounts
//   run, tmp, var/tmp     runtime state and scratch space
//   etc/hostname, etc/hosts, etc/resolv.conf
//                         written by the runtime at start (bind mounts)
//   .dockerenv            docker's marker file
const std::vector<std::string>& DefaultIgnoreGlobs();

class IgnoreRules {
 public:
  IgnoreRules() = default;
  IgnoreRules(const std::vector<std::string>& a,
              const std::vector<std::string>& b = {});

  // True when `path` (canonical) or one of its ancestors matches a rule.
  bool Matches(absl::string_view path) const;
  // True when `path` itself matches (its ancestors are not checked): what a
  // walker asks before it enters a directory whose parent it entered.
  bool MatchesSelf(absl::string_view path) const;

  // The rules, in canonical form, sorted.
  std::vector<std::string> globs() const;
  bool empty() const { return exact_.empty() && patterns_.empty(); }

 private:
  void Add(const std::string& glob);
  std::set<std::string, std::less<>> exact_;  // rules without wildcards
  std::vector<std::string> patterns_;
};

}  // namespace dci

#endif  // DCI_INDEXER_ROOTFS_IGNORE_RULES_H_
