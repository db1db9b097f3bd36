// A policy: named rules over what dci knows of an image (metadata,
// packages, files, config contents, drift from the previous version of a
// tag), written as YAML and parsed into an immutable tree of conditions.
//
//   rules:
//     - id: amd64-only
//       description: only x86_64 images run here
//       severity: deny
//       metadata: {field: architecture, not_in: [amd64, x86_64]}
//
// A condition describes what is *wrong*: the rule is violated when its
// condition holds, and the evidence is what made it hold (the label value,
// the package and version, the file, the config line). `all`, `any` and
// `not` combine conditions. The full grammar is in README.md ("Policies").
//
// ParsePolicy accepts only what the grammar names: an unknown field, a
// value of the wrong type, a regex RE2 rejects or a version range that does
// not parse is an InvalidArgument "LINE:COLUMN: message" (1-based, the
// position of the offending key or value), and no Policy is returned.
//
// A Policy is immutable once parsed and safe to share between threads.
#ifndef DCI_POLICY_POLICY_H_
#define DCI_POLICY_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"
#include "indexer/packages/version.h"

namespace re2 {
class RE2;
}

namespace dci {

enum class Severity { kInfo, kWarn, kDeny };
absl::string_view SeverityName(Severity s);  // "info", "warn", "deny"

// 1-based line and column in the policy text.
struct TextPos {
  int line = 0;
  int column = 0;
};

// The test a metadata condition applies to a value (or to each value of a
// list field).
struct Matcher {
  enum Op {
    kEquals, kNotEquals, kIn, kNotIn, kMatches, kNotMatches,
    kContains, kNotContains, kPresent, kAbsent, kGreaterThan, kLessThan,
    kVersion,  // the value is a version within `range` (dpkg's order)
  };
  Op op = kEquals;
  std::vector<std::string> values;  // equals (1), in, not_in, contains...
  std::shared_ptr<const re2::RE2> regex;
  double number = 0;
  VersionRange range;
};
absl::string_view MatcherOpName(Matcher::Op op);  // as written in YAML

struct Condition {
  enum Kind {
    kAll, kAny, kNot,
    kMetadata, kPackage, kPackageCount, kFile, kConfig, kDrift,
  };
  Kind kind = kAll;
  TextPos pos;
  std::vector<Condition> children;  // all, any (>= 1); not (exactly 1)

  // metadata: `field` ("architecture", "label", ...), `key` for label and
  // env, and the matcher.
  std::string field;
  std::string key;
  Matcher matcher;

  // package: name or source name (fnmatch globs), ecosystem ("" = any),
  // version range; `absent` turns it into "no such package".
  std::string name_glob;
  bool by_source = false;
  std::string ecosystem;
  bool has_range = false;
  VersionRange range;
  bool absent = false;  // package, file

  // package_count: more than `number` packages (of `ecosystem`).
  // file: which entries of the merged tree (every filter must hold).
  std::vector<std::string> path_globs;  // file, config; "" = any path
  std::vector<std::string> except_globs;
  std::string type;  // "file", "dir", "symlink", ... ("" = any)
  bool setuid = false, setgid = false, world_writable = false;
  std::vector<int64_t> uid_in, uid_not_in;
  std::vector<std::string> hash_in;  // XXH3-128 hex, lowercase

  // config: a line matching `matcher.regex` (kMatches), or a packaged
  // config modified (`modified`).
  bool modified = false;

  // drift, one of: "new_setuid", "new_packages" (names: globs),
  // "changed" (fields), "labels_removed" (keys: "" = any).
  std::string drift;
  std::vector<std::string> names;
};

struct Rule {
  std::string id;
  std::string description;
  Severity severity = Severity::kDeny;
  TextPos pos;
  Condition condition;
};

// Which kinds of facts a policy's rules need, so that callers load only
// those (metadata is always at hand).
struct PolicyNeeds {
  bool packages = false;
  bool files = false;
  bool configs = false;  // contents, and packaged config states
  bool drift = false;
};

struct Policy {
  std::string name;  // optional in the file
  std::string description;
  std::vector<Rule> rules;
  PolicyNeeds needs;
};

// InvalidArgument "LINE:COLUMN: message" when the text is not a policy.
absl::StatusOr<Policy> ParsePolicy(absl::string_view yaml);

// The names accepted for `metadata: {field: ...}` and `drift: {changed:}`.
const std::vector<std::string>& MetadataFields();
const std::vector<std::string>& DriftFields();

}  // namespace dci

#endif  // DCI_POLICY_POLICY_H_
