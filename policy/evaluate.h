// Evaluating a parsed policy against what is known of one image.
//
// The facts come in a PolicySubject: the image's config (always), and, when
// the caller could load them, its merged tree, inventory, config contents
// and the previous version of its tag. A rule whose condition needs facts
// that are missing is not guessed: it is reported in `not_evaluated` with
// the reason ("needs the image's files", "no previous version of the tag"),
// which is what `dci inspect --policy` shows for rules that need layers.
//
// Conditions evaluate to true, false or unknown (missing facts):
//   all: false if a child is false, else unknown if one is, else true;
//   any: true if a child is true, else unknown if one is, else false;
//   not: swaps true and false, keeps unknown.
// A rule is violated when its condition is true; its evidence is what the
// true children found (a `not` gives one line saying what was absent).
//
// Verdict: deny if a deny rule is violated, else warn if a warn rule is,
// else pass (info rules are reported, never decide).
//
// Pure: no I/O beyond the `content` callback; thread-safe for distinct
// subjects.
#ifndef DCI_POLICY_EVALUATE_H_
#define DCI_POLICY_EVALUATE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "diff/inventory.h"
#include "indexer/image_config.h"
#include "policy/policy.h"
#include "policy/policy_cache.h"
#include "store/merged_tree.h"
#include "store/store.h"

namespace dci {

// One fact that made a condition hold. Only the fields that apply are set.
struct Evidence {
  std::string subject;  // "metadata", "package", "file", "config", "drift", "not"
  std::string field;    // "architecture", "label:build-host", "env_keys", ...
  std::string path;     // file or config path; package database path
  std::string package;  // "deb libc6"
  std::string version;  // the installed version
  int line = 0;         // config line (1-based)
  std::string value;    // label value, config line text, "4755" (mode)...
  std::string message;  // one readable sentence with all of the above
};

struct Violation {
  std::string rule_id;
  std::string description;
  Severity severity = Severity::kDeny;
  std::vector<Evidence> evidence;
};

struct NotEvaluated {
  std::string rule_id;
  std::string reason;
};

enum class Verdict { kPass, kWarn, kDeny };
absl::string_view VerdictName(Verdict v);  // "pass", "warn", "deny"

struct PolicyResult {
  std::string policy_name;
  Verdict verdict = Verdict::kPass;
  int rules = 0;  // rules in the policy
  std::string compared_with;  // drift rules: the previous version used
  std::vector<Violation> violations;       // in rule order
  std::vector<NotEvaluated> not_evaluated;  // in rule order
};

// What an image looks like to a policy. Pointers may be null: the facts
// they stand for are then missing.
struct PolicySubject {
  const ImageRecord* image = nullptr;  // required: record and config JSON
  ImageConfig config;                  // parsed from image->config_json
  bool layer_sizes_known = false;      // uncompressed sizes (indexed images)
  const MergedTree* tree = nullptr;
  const ImageInventory* inventory = nullptr;
  // Text kept for a content hash (config contents), or nullopt.
  std::function<absl::StatusOr<std::optional<std::string>>(const ContentHash&)>
      content;
  // Instead of `tree` and `inventory`, facts asked for when a rule needs
  // them (LoadedSubject sets these over a PolicyCache): the tree entries
  // passing a filter, the packages, and, for what only they give, the
  // whole tree and inventory. Used only where the pointer above is null.
  std::function<absl::StatusOr<std::shared_ptr<const FileHits>>(const FileQuery&)>
      files;
  std::function<absl::StatusOr<const std::vector<ImagePackage>*>()> packages;
  std::function<absl::StatusOr<const MergedTree*>()> load_tree;
  std::function<absl::StatusOr<const ImageInventory*>()> load_inventory;
  // The previous version of the image's tag, and what named it ("myapp:1.5").
  const PolicySubject* previous = nullptr;
  std::string previous_ref;
  std::string no_previous_reason = "no previous version of the tag";
};

// `now_unix` is the clock for `age_days` (seconds since the epoch).
absl::StatusOr<PolicyResult> EvaluatePolicy(const Policy& policy,
                                            const PolicySubject& subject,
                                            int64_t now_unix);

}  // namespace dci

#endif  // DCI_POLICY_EVALUATE_H_
