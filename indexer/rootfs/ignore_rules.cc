#include "indexer/rootfs/ignore_rules.h"

#include <fnmatch.h>

#include <algorithm>

#include "base/path.h"

namespace dci {

const std::vector<std::string>& DefaultIgnoreGlobs() {
  static const auto* const kGlobs = new std::vector<std::string>{
      "proc",          "sys",       "dev",
      "run",           "tmp",       "var/tmp",
      "etc/hostname",  "etc/hosts", "etc/resolv.conf",
      ".dockerenv"};
  return *kGlobs;
}

IgnoreRules::IgnoreRules(const std::vector<std::string>& a,
                         const std::vector<std::string>& b) {
  for (const std::string& g : a) Add(g);
  for (const std::string& g : b) Add(g);
}

void IgnoreRules::Add(const std::string& glob) {
  std::string g = glob;
  while (!g.empty() && g[0] == '/') g.erase(0, 1);
  while (g.size() > 2 && g.compare(0, 2, "./") == 0) g.erase(0, 2);
  while (!g.empty() && g.back() == '/') g.pop_back();
  if (g.empty()) return;
  if (g.find_first_of("*?[\\") == std::string::npos) {
    exact_.insert(g);
  } else {
    patterns_.push_back(g);
  }
}

bool IgnoreRules::MatchesSelf(absl::string_view path) const {
  if (exact_.find(path) != exact_.end()) return true;
  if (patterns_.empty()) return false;
  std::string p(path);
  for (const std::string& g : patterns_) {
    if (fnmatch(g.c_str(), p.c_str(), 0) == 0) return true;
  }
  return false;
}

bool IgnoreRules::Matches(absl::string_view path) const {
  for (absl::string_view p = path; !p.empty(); p = ParentPath(p)) {
    if (MatchesSelf(p)) return true;
  }
  return false;
}

std::vector<std::string> IgnoreRules::globs() const {
  std::vector<std::string> out(exact_.begin(), exact_.end());
  out.insert(out.end(), patterns_.begin(), patterns_.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dci
