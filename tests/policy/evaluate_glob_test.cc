// Path globs in file rules (policy/evaluate.cc, Glob): the literal-prefix
// shortcut decides exactly as fnmatch(3) without flags, for literal
// patterns, prefixes longer or shorter than the path, and the
// metacharacters that end the literal part (* ? [ and the backslash).
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/evaluate.h"
#include "policy/policy.h"

namespace dci {
namespace {

struct GlobCase {
  std::string glob;
  std::string path;
  bool matches;
};

TEST(EvaluateGlob, FileRulePathGlobsMatchAsFnmatch) {
  const std::vector<GlobCase> cases = {
      {"etc/passwd", "etc/passwd", true},
      {"etc/passwd", "etc/passwd-", false},    // literal, path longer
      {"etc/passwd", "etc/pass", false},       // literal, path shorter
      {"etc/passwd", "etc/passwx", false},
      {"etc/ssh/ssh_host_*_key", "etc/ssh/ssh_host_rsa_key", true},
      {"etc/ssh/ssh_host_*_key", "etc/ssh/ssh_host_rsa_key.pub", false},
      {"etc/ssh/ssh_host_*_key", "etc/ssh/ssh_config", false},
      {"etc/ssh/ssh_host_*_key", "etc/ssh", false},  // path ends inside the literal part
      {"usr/*", "usr/bin/su", true},                 // '*' crosses '/' without FNM_PATHNAME
      {"usr/*", "usr", false},
      {"*", "etc/x", true},
      {"etc/?asswd", "etc/passwd", true},
      {"etc/[a-p]asswd", "etc/passwd", true},
      {"etc/[!p]asswd", "etc/passwd", false},
      {"etc/a\\*b", "etc/a*b", true},  // escaped '*': fnmatch's own rule
      {"etc/a\\*b", "etc/axb", false},
      {"", "", true},
  };
  for (const GlobCase& c : cases) {
    ASSERT_EQ(fnmatch(c.glob.c_str(), c.path.c_str(), 0) == 0, c.matches)
        << "table entry disagrees with fnmatch: " << c.glob << " " << c.path;
    if (c.path.empty()) continue;  // a tree never holds the root
    absl::StatusOr<Policy> p = ParsePolicy(
        "rules:\n  - id: r\n    file: {path: ['" + c.glob + "']}\n");
    ASSERT_TRUE(p.ok()) << p.status();
    ImageRecord image;
    image.config_json = "{}";
    MergedTree tree;
    TreeNode node;
    node.entry.path = c.path;
    node.entry.type = EntryType::kFile;
    node.entry.mode = 0644;
    tree.emplace(c.path, node);
    PolicySubject s;
    s.image = &image;
    s.tree = &tree;
    absl::StatusOr<PolicyResult> r = EvaluatePolicy(*p, s, 0);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->violations.size(), c.matches ? 1u : 0u) << c.glob << " " << c.path;
  }
}

}  // namespace
}  // namespace dci
