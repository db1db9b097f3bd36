#include "policy/evaluate.h"

#include <fnmatch.h>
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"

namespace dci {

absl::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "pass";
    case Verdict::kWarn: return "warn";
    case Verdict::kDeny: return "deny";
  }
  return "pass";
}

namespace {

// Evidence lists stop here: a rule that hits more than this many things
// says how many it left out.
constexpr size_t kMaxEvidence = 500;

constexpr char kNeedsPackages[] = "needs the image's packages (its layers are not indexed)";
constexpr char kNeedsFiles[] = "needs the image's files (its layers are not indexed)";
constexpr char kNeedsConfigs[] = "needs the image's config files (its layers are not indexed)";
constexpr char kNeedsSizes[] = "needs the layers' uncompressed sizes (its layers are not indexed)";

enum class Truth { kFalse, kTrue, kUnknown };

struct Outcome {
  Truth truth = Truth::kFalse;
  std::vector<Evidence> evidence;
  std::string reason;  // when unknown
  size_t omitted = 0;  // evidence left out past kMaxEvidence
};

Outcome Unknown(std::string reason) {
  Outcome o;
  o.truth = Truth::kUnknown;
  o.reason = std::move(reason);
  return o;
}

void Add(Outcome& o, Evidence e) {
  if (o.evidence.size() >= kMaxEvidence) {
    ++o.omitted;
    return;
  }
  o.evidence.push_back(std::move(e));
}

Outcome Finish(Outcome o) {
  o.truth = o.evidence.empty() && o.omitted == 0 ? Truth::kFalse : Truth::kTrue;
  return o;
}

bool Glob(const std::string& pattern, const std::string& s) {
  // Without flags, fnmatch matches the characters before the first of
  // "*?[\\" literally: most paths fail there, without fnmatch's setup.
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char p = pattern[i];
    if (p == '*' || p == '?' || p == '[' || p == '\\') {
      return fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
    }
    if (i >= s.size() || s[i] != p) return false;
  }
  return s.size() == pattern.size();
}

bool AnyGlob(const std::vector<std::string>& globs, const std::string& s) {
  for (const std::string& g : globs) {
    if (Glob(g, s)) return true;
  }
  return false;
}

VersionCompareFn CompareFor(Ecosystem e) {
  switch (e) {
    case Ecosystem::kDeb: return &CompareDebVersions;
    case Ecosystem::kRpm: return &CompareRpmVersions;
    case Ecosystem::kApk: return &CompareApkVersions;
  }
  return &CompareDebVersions;
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

std::string QuotedList(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const std::string& s : v) q.push_back(Quote(s));
  return absl::StrJoin(q, ", ");
}

std::string FieldLabel(const Condition& c) {
  return c.key.empty() ? c.field : absl::StrCat(c.field, ":", c.key);
}

std::string FieldWords(const Condition& c) {
  return c.key.empty() ? c.field : absl::StrCat(c.field, " ", c.key);
}

std::string NumberText(double d) {
  if (d == static_cast<double>(static_cast<int64_t>(d))) {
    return absl::StrCat(static_cast<int64_t>(d));
  }
  return absl::StrCat(d);
}

// What a condition looks for, in words (for `not` evidence).
std::string Describe(const Condition& c) {
  switch (c.kind) {
    case Condition::kAll:
    case Condition::kAny: {
      std::vector<std::string> parts;
      for (const Condition& child : c.children) parts.push_back(Describe(child));
      return absl::StrCat(c.kind == Condition::kAll ? "all of (" : "any of (",
                          absl::StrJoin(parts, "; "), ")");
    }
    case Condition::kNot:
      return absl::StrCat("not (", Describe(c.children[0]), ")");
    case Condition::kMetadata: {
      const Matcher& m = c.matcher;
      std::string operand;
      switch (m.op) {
        case Matcher::kMatches:
        case Matcher::kNotMatches:
          operand = absl::StrCat("/", m.regex->pattern(), "/");
          break;
        case Matcher::kPresent:
        case Matcher::kAbsent:
          break;
        case Matcher::kGreaterThan:
        case Matcher::kLessThan:
          operand = NumberText(m.number);
          break;
        case Matcher::kVersion:
          operand = VersionRangeToString(m.range);
          break;
        default:
          operand = QuotedList(m.values);
      }
      return absl::StrCat(FieldWords(c), " ", MatcherOpName(m.op),
                          operand.empty() ? "" : " ", operand);
    }
    case Condition::kPackage:
      return absl::StrCat(c.ecosystem.empty() ? "" : c.ecosystem + " ", "package ",
                          c.by_source ? "from source " : "", c.name_glob,
                          c.has_range ? " " + VersionRangeToString(c.range) : "");
    case Condition::kPackageCount:
      return absl::StrCat("more than ", NumberText(c.matcher.number), " packages");
    case Condition::kFile: {
      std::vector<std::string> tests;
      if (!c.path_globs.empty()) tests.push_back(absl::StrJoin(c.path_globs, " or "));
      if (!c.type.empty()) tests.push_back(c.type);
      if (c.setuid) tests.push_back("setuid");
      if (c.setgid) tests.push_back("setgid");
      if (c.world_writable) tests.push_back("world-writable");
      if (!c.uid_in.empty()) tests.push_back("uid in " + absl::StrJoin(c.uid_in, ", "));
      if (!c.uid_not_in.empty()) {
        tests.push_back("uid not in " + absl::StrJoin(c.uid_not_in, ", "));
      }
      if (!c.hash_in.empty()) tests.push_back("content on the hash list");
      return absl::StrCat("a file (", absl::StrJoin(tests, ", "), ")");
    }
    case Condition::kConfig:
      return c.modified ? "a modified packaged config"
                        : absl::StrCat("a line of ", absl::StrJoin(c.path_globs, " or "),
                                       " matching /", c.matcher.regex->pattern(), "/");
    case Condition::kDrift:
      return absl::StrCat("drift ", c.drift);
  }
  return "";
}

class Evaluator {
 public:
  Evaluator(const PolicySubject& s, int64_t now) : s_(s), now_(now) {}
  Outcome Eval(const Condition& c);
  absl::Status status() const { return status_; }

 private:
  Outcome Combine(const Condition& c);
  Outcome Metadata(const Condition& c);
  Outcome Package(const Condition& c);
  Outcome PackageCount(const Condition& c);
  Outcome File(const Condition& c);
  Outcome Config(const Condition& c);
  Outcome Drift(const Condition& c);

  // The facts of `s`, from its pointers or else its loaders; null when
  // missing (or a loader failed: status_ then says why).
  const MergedTree* Tree(const PolicySubject& s);
  const ImageInventory* Inventory(const PolicySubject& s);
  const std::vector<ImagePackage>* Packages(const PolicySubject& s);
  std::shared_ptr<const FileHits> Files(const PolicySubject& s, const FileQuery& q);
  template <typename T>
  T Keep(absl::StatusOr<T> v) {
    if (v.ok()) return *std::move(v);
    if (status_.ok()) status_ = v.status();
    return T();
  }

  const PolicySubject& s_;
  const int64_t now_;
  absl::Status status_;  // the first error of the content callback or a loader
};

const MergedTree* Evaluator::Tree(const PolicySubject& s) {
  if (s.tree != nullptr) return s.tree;
  return s.load_tree ? Keep(s.load_tree()) : nullptr;
}

const ImageInventory* Evaluator::Inventory(const PolicySubject& s) {
  if (s.inventory != nullptr) return s.inventory;
  return s.load_inventory ? Keep(s.load_inventory()) : nullptr;
}

const std::vector<ImagePackage>* Evaluator::Packages(const PolicySubject& s) {
  if (s.inventory != nullptr) return &s.inventory->packages;
  if (s.packages) return Keep(s.packages());
  const ImageInventory* inv = Inventory(s);
  return inv == nullptr ? nullptr : &inv->packages;
}

std::shared_ptr<const FileHits> Evaluator::Files(const PolicySubject& s,
                                                 const FileQuery& q) {
  if (s.tree == nullptr && s.files) return Keep(s.files(q));
  const MergedTree* tree = Tree(s);
  if (tree == nullptr) return nullptr;
  auto hits = std::make_shared<FileHits>();
  for (const auto& [path, node] : *tree) {
    if (q.match(node.entry)) hits->push_back(node.entry);
  }
  return hits;
}

Outcome Evaluator::Eval(const Condition& c) {
  switch (c.kind) {
    case Condition::kAll:
    case Condition::kAny:
    case Condition::kNot:
      return Combine(c);
    case Condition::kMetadata: return Metadata(c);
    case Condition::kPackage: return Package(c);
    case Condition::kPackageCount: return PackageCount(c);
    case Condition::kFile: return File(c);
    case Condition::kConfig: return Config(c);
    case Condition::kDrift: return Drift(c);
  }
  return Outcome{};
}

Outcome Evaluator::Combine(const Condition& c) {
  if (c.kind == Condition::kNot) {
    Outcome child = Eval(c.children[0]);
    if (child.truth == Truth::kUnknown) return child;
    Outcome o;
    if (child.truth == Truth::kTrue) return o;  // false
    o.truth = Truth::kTrue;
    Evidence e;
    e.subject = "not";
    e.message = absl::StrCat("none found: ", Describe(c.children[0]));
    o.evidence.push_back(std::move(e));
    return o;
  }
  const bool all = c.kind == Condition::kAll;
  Outcome o;
  std::string unknown;
  bool any_true = false, any_false = false;
  for (const Condition& child : c.children) {
    Outcome r = Eval(child);
    if (r.truth == Truth::kUnknown) {
      if (unknown.empty()) unknown = r.reason;
      continue;
    }
    if (r.truth == Truth::kFalse) {
      any_false = true;
      continue;
    }
    any_true = true;
    for (Evidence& e : r.evidence) Add(o, std::move(e));
    o.omitted += r.omitted;
  }
  if (all ? any_false : any_true) {
    o.truth = all ? Truth::kFalse : Truth::kTrue;
    if (all) o.evidence.clear();
    return o;
  }
  if (!unknown.empty()) return Unknown(unknown);
  o.truth = all ? Truth::kTrue : Truth::kFalse;
  return o;
}

// The values of one metadata field.
struct FieldValues {
  enum Kind { kScalar, kList, kNumber } kind = kScalar;
  bool present = true;             // scalar: the label / env key exists
  std::vector<std::string> items;  // scalar: one item
  double number = 0;
  std::string unknown;  // the value cannot be known here
};

std::string Joined(const std::vector<std::string>& v) { return absl::StrJoin(v, " "); }

FieldValues ValuesOf(const Condition& c, const PolicySubject& s, int64_t now) {
  const ImageConfig& cfg = s.config;
  FieldValues v;
  auto scalar = [&v](const std::string& x) { v.items = {x}; };
  const std::string& f = c.field;
  if (f == "architecture") scalar(cfg.platform.architecture);
  else if (f == "os") scalar(cfg.platform.os);
  else if (f == "variant") scalar(cfg.platform.variant);
  else if (f == "platform") scalar(cfg.platform.ToString());
  else if (f == "user") scalar(cfg.user);
  else if (f == "created") scalar(cfg.created);
  else if (f == "author") scalar(cfg.author);
  else if (f == "docker_version") scalar(cfg.docker_version);
  else if (f == "working_dir") scalar(cfg.working_dir);
  else if (f == "stop_signal") scalar(cfg.stop_signal);
  else if (f == "entrypoint") scalar(Joined(cfg.entrypoint));
  else if (f == "cmd") scalar(Joined(cfg.cmd));
  else if (f == "label") {
    auto it = cfg.labels.find(c.key);
    v.present = it != cfg.labels.end();
    if (v.present) scalar(it->second);
  } else if (f == "env") {
    v.present = false;
    for (const std::string& kv : cfg.env) {
      size_t eq = kv.find('=');
      if (kv.substr(0, eq) == c.key) {
        v.present = true;
        scalar(eq == std::string::npos ? "" : kv.substr(eq + 1));
      }
    }
  } else if (f == "label_keys") {
    v.kind = FieldValues::kList;
    for (const auto& [k, unused] : cfg.labels) v.items.push_back(k);
  } else if (f == "env_keys") {
    v.kind = FieldValues::kList;
    for (const std::string& kv : cfg.env) v.items.push_back(kv.substr(0, kv.find('=')));
  } else if (f == "exposed_ports") {
    v.kind = FieldValues::kList;
    v.items = cfg.exposed_ports;
  } else if (f == "volumes") {
    v.kind = FieldValues::kList;
    v.items = cfg.volumes;
  } else if (f == "history") {
    v.kind = FieldValues::kList;
    for (const HistoryStep& h : cfg.history) v.items.push_back(h.created_by);
  } else {
    v.kind = FieldValues::kNumber;
    if (f == "layers") {
      v.number = static_cast<double>(s.image->layers.size());
    } else if (f == "size" || f == "compressed_size") {
      if (f == "size" && !s.layer_sizes_known) v.unknown = kNeedsSizes;
      int64_t total = 0;
      for (const ImageLayer& l : s.image->layers) {
        total += f == "size" ? l.size : l.blob_size;
      }
      v.number = static_cast<double>(total);
    } else {  // age_days
      absl::Time t;
      std::string err;
      v.present = !cfg.created.empty() &&
                  absl::ParseTime(absl::RFC3339_full, cfg.created, &t, &err);
      if (v.present) {
        v.number = static_cast<double>(
            (now - absl::ToUnixSeconds(t)) / 86400);
      }
    }
  }
  return v;
}

// Whether one present value passes the test; `found` gets the substrings
// a contains test found.
bool Test(const Matcher& m, const std::string& value,
          std::vector<std::string>* found) {
  switch (m.op) {
    case Matcher::kEquals: return value == m.values[0];
    case Matcher::kNotEquals: return value != m.values[0];
    case Matcher::kIn:
    case Matcher::kNotIn: {
      bool in = std::find(m.values.begin(), m.values.end(), value) != m.values.end();
      return m.op == Matcher::kIn ? in : !in;
    }
    case Matcher::kMatches: return re2::RE2::PartialMatch(value, *m.regex);
    case Matcher::kNotMatches: return !re2::RE2::PartialMatch(value, *m.regex);
    case Matcher::kContains:
    case Matcher::kNotContains: {
      for (const std::string& s : m.values) {
        if (value.find(s) != std::string::npos) found->push_back(s);
      }
      return m.op == Matcher::kContains ? !found->empty() : found->empty();
    }
    case Matcher::kPresent: return true;
    case Matcher::kAbsent: return false;
    case Matcher::kVersion:
      return !value.empty() && Matches(m.range, value, &CompareDebVersions);
    case Matcher::kGreaterThan:
    case Matcher::kLessThan:
      return false;  // numbers only
  }
  return false;
}

// "architecture is "arm64" (not in "amd64", "x86_64")".
std::string Sentence(const Condition& c, const std::string& value,
                     const std::vector<std::string>& found) {
  const Matcher& m = c.matcher;
  const std::string who = FieldWords(c);
  switch (m.op) {
    case Matcher::kEquals: return absl::StrCat(who, " is ", Quote(value));
    case Matcher::kNotEquals:
      return absl::StrCat(who, " is ", Quote(value), ", not ", Quote(m.values[0]));
    case Matcher::kIn:
      return absl::StrCat(who, " is ", Quote(value), " (one of ", QuotedList(m.values), ")");
    case Matcher::kNotIn:
      return absl::StrCat(who, " is ", Quote(value), " (not one of ", QuotedList(m.values), ")");
    case Matcher::kMatches:
      return absl::StrCat(who, " ", Quote(value), " matches /", m.regex->pattern(), "/");
    case Matcher::kNotMatches:
      return absl::StrCat(who, " ", Quote(value), " does not match /", m.regex->pattern(), "/");
    case Matcher::kContains:
      return absl::StrCat(who, " ", Quote(value), " contains ", QuotedList(found));
    case Matcher::kNotContains:
      return absl::StrCat(who, " ", Quote(value), " contains none of ", QuotedList(m.values));
    case Matcher::kPresent: return absl::StrCat(who, " is present: ", Quote(value));
    case Matcher::kVersion:
      return absl::StrCat(who, " ", Quote(value), " is within ", VersionRangeToString(m.range));
    default:
      return absl::StrCat(who, " is ", Quote(value));
  }
}

Outcome Evaluator::Metadata(const Condition& c) {
  FieldValues v = ValuesOf(c, s_, now_);
  if (!v.unknown.empty()) return Unknown(v.unknown);
  const Matcher& m = c.matcher;
  Outcome o;
  auto evidence = [&](const std::string& value, std::string message) {
    Evidence e;
    e.subject = "metadata";
    e.field = FieldLabel(c);
    e.value = value;
    e.message = std::move(message);
    Add(o, std::move(e));
  };
  switch (v.kind) {
    case FieldValues::kNumber: {
      if (!v.present) return o;  // no creation date: no age
      bool hit = false;
      std::string how;
      if (m.op == Matcher::kGreaterThan) {
        hit = v.number > m.number;
        how = "more than";
      } else if (m.op == Matcher::kLessThan) {
        hit = v.number < m.number;
        how = "less than";
      } else if (m.op == Matcher::kEquals) {
        hit = v.number == m.number;
        how = "equal to";
      } else {
        hit = v.number != m.number;
        how = "not";
      }
      if (hit) {
        std::string message = absl::StrCat(c.field, " is ", NumberText(v.number), " (", how,
                                           " ", NumberText(m.number), ")");
        if (c.field == "age_days") {
          message = absl::StrCat("created ", s_.config.created, ", ", NumberText(v.number),
                                 " days ago (", how, " ", NumberText(m.number), ")");
        }
        evidence(NumberText(v.number), std::move(message));
      }
      return Finish(std::move(o));
    }
    case FieldValues::kList: {
      if (m.op == Matcher::kPresent || m.op == Matcher::kAbsent) {
        const bool hit = (m.op == Matcher::kPresent) == !v.items.empty();
        if (hit) {
          evidence(absl::StrJoin(v.items, ", "),
                   v.items.empty() ? absl::StrCat(c.field, " is empty")
                                   : absl::StrCat(c.field, ": ", QuotedList(v.items)));
        }
        return Finish(std::move(o));
      }
      for (const std::string& item : v.items) {
        std::vector<std::string> found;
        if (Test(m, item, &found)) {
          evidence(item, Sentence(c, item, found));
        }
      }
      return Finish(std::move(o));
    }
    case FieldValues::kScalar: {
      if (!v.present) {
        const bool negative = m.op == Matcher::kNotEquals || m.op == Matcher::kNotIn ||
                              m.op == Matcher::kNotMatches ||
                              m.op == Matcher::kNotContains || m.op == Matcher::kAbsent;
        if (negative) evidence("", absl::StrCat(FieldWords(c), " is absent"));
        return Finish(std::move(o));
      }
      const std::string& value = v.items[0];
      if (m.op == Matcher::kPresent || m.op == Matcher::kAbsent) {
        // Keyed fields are present when the key exists; others when not
        // empty.
        const bool has = !c.key.empty() || !value.empty();
        if ((m.op == Matcher::kPresent) == has) {
          evidence(value, has ? absl::StrCat(FieldWords(c), " is present: ", Quote(value))
                              : absl::StrCat(FieldWords(c), " is empty"));
        }
        return Finish(std::move(o));
      }
      std::vector<std::string> found;
      if (Test(m, value, &found)) evidence(value, Sentence(c, value, found));
      return Finish(std::move(o));
    }
  }
  return o;
}

std::string PackageName(const Package& p) {
  return absl::StrCat(EcosystemName(p.ecosystem), " ", p.name);
}

bool PackageMatches(const Condition& c, const Package& p) {
  if (!c.ecosystem.empty() && EcosystemName(p.ecosystem) != c.ecosystem) return false;
  const std::string& name =
      c.by_source && !p.source_name.empty() ? p.source_name : p.name;
  if (!Glob(c.name_glob, name)) return false;
  return !c.has_range || Matches(c.range, p.FullVersion(), CompareFor(p.ecosystem));
}

Outcome Evaluator::Package(const Condition& c) {
  const std::vector<ImagePackage>* packages = Packages(s_);
  if (packages == nullptr) return Unknown(kNeedsPackages);
  Outcome o;
  int hits = 0;
  for (const ImagePackage& ip : *packages) {
    const dci::Package& p = ip.package;
    if (!PackageMatches(c, p)) continue;
    ++hits;
    if (c.absent) continue;
    Evidence e;
    e.subject = "package";
    e.package = PackageName(p);
    e.version = p.FullVersion();
    e.path = ip.db_path;
    e.message = absl::StrCat(e.package, " ", e.version, " (", ip.db_path, ")");
    if (c.has_range) absl::StrAppend(&e.message, " is within ", VersionRangeToString(c.range));
    if (c.by_source) absl::StrAppend(&e.message, ", from source ", p.source_name.empty() ? p.name : p.source_name);
    Add(o, std::move(e));
  }
  if (c.absent && hits == 0) {
    Evidence e;
    e.subject = "package";
    e.message = absl::StrCat("no ", Describe(c));
    Add(o, std::move(e));
  }
  return Finish(std::move(o));
}

Outcome Evaluator::PackageCount(const Condition& c) {
  const std::vector<ImagePackage>* packages = Packages(s_);
  if (packages == nullptr) return Unknown(kNeedsPackages);
  int n = 0;
  for (const ImagePackage& ip : *packages) {
    if (c.ecosystem.empty() || EcosystemName(ip.package.ecosystem) == c.ecosystem) ++n;
  }
  Outcome o;
  if (n > c.matcher.number) {
    Evidence e;
    e.subject = "package";
    e.value = absl::StrCat(n);
    e.message = absl::StrCat(n, c.ecosystem.empty() ? "" : " " + c.ecosystem,
                             " packages (more than ", NumberText(c.matcher.number), ")");
    Add(o, std::move(e));
  }
  return Finish(std::move(o));
}

bool IsSpecial(const LayerEntry& e) {  // modes that carry no meaning
  return e.type == EntryType::kSymlink || e.type == EntryType::kWhiteout;
}

// A conjunction: the tests on the entry's attributes go first, the path
// globs (the costly part over a whole layer) last.
bool FileMatches(const Condition& c, const std::string& path, const LayerEntry& e) {
  if (!c.type.empty() && EntryTypeName(e.type) != c.type) return false;
  // setuid and setgid mean something on files; setgid directories (mail
  // spools) only pass the group on.
  const bool file_like = !IsSpecial(e) && e.type != EntryType::kDir;
  if (c.setuid && !(file_like && (e.mode & 04000))) return false;
  if (c.setgid && !(file_like && (e.mode & 02000))) return false;
  if (c.world_writable && !(!IsSpecial(e) && (e.mode & 0002))) return false;
  if (!c.uid_in.empty() &&
      std::find(c.uid_in.begin(), c.uid_in.end(), e.uid) == c.uid_in.end()) {
    return false;
  }
  if (!c.uid_not_in.empty() &&
      std::find(c.uid_not_in.begin(), c.uid_not_in.end(), e.uid) != c.uid_not_in.end()) {
    return false;
  }
  if (!c.hash_in.empty()) {
    if (e.type != EntryType::kFile && e.type != EntryType::kHardlink) return false;
    const std::string hex = ContentHashHex(e.content_hash);
    if (std::find(c.hash_in.begin(), c.hash_in.end(), hex) == c.hash_in.end()) return false;
  }
  if (!c.path_globs.empty() && !AnyGlob(c.path_globs, path)) return false;
  return !AnyGlob(c.except_globs, path);
}

void KeyPart(std::string* key, const std::string& s) {
  absl::StrAppend(key, s.size(), ":", s);
}

void KeyPart(std::string* key, const std::vector<std::string>& v) {
  absl::StrAppend(key, "[", v.size(), "]");
  for (const std::string& s : v) KeyPart(key, s);
}

// The entries a file condition looks at; the key holds every field
// FileMatches tests.
FileQuery FileQueryOf(const Condition& c) {
  FileQuery q;
  q.key = "file";
  KeyPart(&q.key, c.path_globs);
  KeyPart(&q.key, c.except_globs);
  KeyPart(&q.key, c.type);
  absl::StrAppend(&q.key, c.setuid, c.setgid, c.world_writable, "u",
                  absl::StrJoin(c.uid_in, ","), "n", absl::StrJoin(c.uid_not_in, ","));
  KeyPart(&q.key, c.hash_in);
  q.match = [&c](const LayerEntry& e) { return FileMatches(c, e.path, e); };
  return q;
}

// The stored files whose lines a config condition reads.
FileQuery ConfigQueryOf(const Condition& c) {
  FileQuery q;
  q.key = "config";
  KeyPart(&q.key, c.path_globs);
  KeyPart(&q.key, c.except_globs);
  q.match = [&c](const LayerEntry& e) {
    return (e.type == EntryType::kFile || e.type == EntryType::kHardlink) &&
           AnyGlob(c.path_globs, e.path) && !AnyGlob(c.except_globs, e.path);
  };
  return q;
}

// Files (not directories) with the setuid or setgid bit.
FileQuery SetidQuery() {
  FileQuery q;
  q.key = "setid";
  q.match = [](const LayerEntry& e) {
    return !IsSpecial(e) && e.type != EntryType::kDir && (e.mode & 06000) != 0;
  };
  return q;
}

std::string FileSentence(const std::string& path, const LayerEntry& e) {
  return absl::StrFormat("%s (%s, mode %04o, owner %d:%d)", path,
                         std::string(EntryTypeName(e.type)), e.mode, e.uid, e.gid);
}

Outcome Evaluator::File(const Condition& c) {
  std::shared_ptr<const FileHits> found = Files(s_, FileQueryOf(c));
  if (found == nullptr) return Unknown(kNeedsFiles);
  Outcome o;
  int hits = 0;
  for (const LayerEntry& entry : *found) {
    const std::string& path = entry.path;
    ++hits;
    if (c.absent) break;
    Evidence e;
    e.subject = "file";
    e.path = path;
    e.value = absl::StrFormat("%04o", entry.mode);
    e.message = FileSentence(path, entry);
    if (!c.hash_in.empty()) {
      absl::StrAppend(&e.message, ", content ", ContentHashHex(entry.content_hash));
    }
    Add(o, std::move(e));
  }
  if (c.absent && hits == 0) {
    Evidence e;
    e.subject = "file";
    e.message = absl::StrCat("no ", Describe(c));
    Add(o, std::move(e));
  }
  return Finish(std::move(o));
}

Outcome Evaluator::Config(const Condition& c) {
  Outcome o;
  if (c.modified) {
    const ImageInventory* inventory = Inventory(s_);
    if (inventory == nullptr) return Unknown(kNeedsConfigs);
    for (const ImagePackage& ip : inventory->packages) {
      for (const ConfigFileState& st : ip.configs) {
        if (st.state != ConfigFileState::kModified) continue;
        if (!c.path_globs.empty() && !AnyGlob(c.path_globs, st.path)) continue;
        if (AnyGlob(c.except_globs, st.path)) continue;
        Evidence e;
        e.subject = "config";
        e.path = st.path;
        e.package = PackageName(ip.package);
        e.version = ip.package.FullVersion();
        e.message = absl::StrCat(st.path, ": packaged config of ", e.package, " ", e.version,
                                 " is modified");
        Add(o, std::move(e));
      }
    }
    return Finish(std::move(o));
  }
  if (!s_.content) return Unknown(kNeedsConfigs);
  std::shared_ptr<const FileHits> found = Files(s_, ConfigQueryOf(c));
  if (found == nullptr) return Unknown(kNeedsConfigs);
  for (const LayerEntry& entry : *found) {
    const std::string& path = entry.path;
    absl::StatusOr<std::optional<std::string>> text = s_.content(entry.content_hash);
    if (!text.ok()) {
      if (status_.ok()) status_ = text.status();
      continue;
    }
    if (!text->has_value()) continue;  // not kept: binary or too large
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(**text, '\n')) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!re2::RE2::PartialMatch(re2::StringPiece(line.data(), line.size()),
                                  *c.matcher.regex)) {
        continue;
      }
      Evidence e;
      e.subject = "config";
      e.path = path;
      e.line = line_no;
      e.value = std::string(line);
      e.message = absl::StrCat(path, ":", line_no, ": ", line);
      Add(o, std::move(e));
    }
  }
  return Finish(std::move(o));
}

std::string FieldValue(const ImageConfig& c, const std::string& field) {
  if (field == "architecture") return c.platform.architecture;
  if (field == "os") return c.platform.os;
  if (field == "variant") return c.platform.variant;
  if (field == "user") return c.user;
  if (field == "entrypoint") return Joined(c.entrypoint);
  if (field == "cmd") return Joined(c.cmd);
  if (field == "working_dir") return c.working_dir;
  return absl::StrJoin(c.exposed_ports, ", ");  // exposed_ports
}

Outcome Evaluator::Drift(const Condition& c) {
  const PolicySubject* prev = s_.previous;
  if (prev == nullptr) return Unknown(s_.no_previous_reason);
  const std::string since = absl::StrCat(" since ", s_.previous_ref);
  Outcome o;
  if (c.drift == "new_setuid") {
    const FileQuery setid = SetidQuery();
    std::shared_ptr<const FileHits> now_setid = Files(s_, setid);
    std::shared_ptr<const FileHits> prev_setid = Files(*prev, setid);
    if (now_setid == nullptr || prev_setid == nullptr) return Unknown(kNeedsFiles);
    auto by_path = [](const LayerEntry& a, const std::string& p) { return a.path < p; };
    for (const LayerEntry& e : *now_setid) {
      const std::string& path = e.path;
      const uint32_t bits = e.mode & 06000;
      auto before = std::lower_bound(prev_setid->begin(), prev_setid->end(), path, by_path);
      std::string was = "absent";
      if (before != prev_setid->end() && before->path == path) {
        const uint32_t old_bits = before->mode & 06000;
        if ((old_bits & bits) == bits) continue;
        was = absl::StrFormat("mode %04o", before->mode);
      } else {
        // Not a setid file before: whatever was at the path, if anything.
        const MergedTree* prev_tree = Tree(*prev);
        if (prev_tree == nullptr) return Unknown(kNeedsFiles);
        auto it = prev_tree->find(path);
        if (it != prev_tree->end()) {
          was = absl::StrFormat("mode %04o", it->second.entry.mode);
        }
      }
      Evidence ev;
      ev.subject = "drift";
      ev.path = path;
      ev.value = absl::StrFormat("%04o", e.mode);
      ev.message = absl::StrFormat("%s is %s now (mode %04o, owner %d:%d), was %s%s", path,
                                   (bits & 04000) ? "setuid" : "setgid", e.mode, e.uid,
                                   e.gid, was, since);
      Add(o, std::move(ev));
    }
    return Finish(std::move(o));
  }
  if (c.drift == "new_packages") {
    const std::vector<ImagePackage>* now_packages = Packages(s_);
    const std::vector<ImagePackage>* prev_packages = Packages(*prev);
    if (now_packages == nullptr || prev_packages == nullptr) return Unknown(kNeedsPackages);
    std::set<std::pair<Ecosystem, std::string>> before;
    for (const ImagePackage& ip : *prev_packages) {
      before.insert({ip.package.ecosystem, ip.package.name});
    }
    for (const ImagePackage& ip : *now_packages) {
      const dci::Package& p = ip.package;
      if (before.count({p.ecosystem, p.name})) continue;
      if (!c.names.empty() && !AnyGlob(c.names, p.name)) continue;
      Evidence e;
      e.subject = "drift";
      e.package = PackageName(p);
      e.version = p.FullVersion();
      e.path = ip.db_path;
      e.message = absl::StrCat(e.package, " ", e.version, " is new", since);
      Add(o, std::move(e));
    }
    return Finish(std::move(o));
  }
  if (c.drift == "changed") {
    for (const std::string& field : c.names) {
      const std::string now = FieldValue(s_.config, field);
      const std::string was = FieldValue(prev->config, field);
      if (now == was) continue;
      Evidence e;
      e.subject = "drift";
      e.field = field;
      e.value = now;
      e.message = absl::StrCat(field, " changed from ", Quote(was), " to ", Quote(now), since);
      Add(o, std::move(e));
    }
    return Finish(std::move(o));
  }
  // labels_removed
  for (const auto& [key, value] : prev->config.labels) {
    if (s_.config.labels.count(key)) continue;
    if (!c.names.empty() && !AnyGlob(c.names, key)) continue;
    Evidence e;
    e.subject = "drift";
    e.field = absl::StrCat("label:", key);
    e.value = value;
    e.message = absl::StrCat("label ", key, " (was ", Quote(value), ") removed", since);
    Add(o, std::move(e));
  }
  return Finish(std::move(o));
}

}  // namespace

absl::StatusOr<PolicyResult> EvaluatePolicy(const Policy& policy,
                                            const PolicySubject& subject,
                                            int64_t now_unix) {
  if (subject.image == nullptr) return absl::InvalidArgumentError("no image to evaluate");
  PolicyResult r;
  r.policy_name = policy.name;
  r.rules = static_cast<int>(policy.rules.size());
  Evaluator ev(subject, now_unix);
  for (const Rule& rule : policy.rules) {
    Outcome o = ev.Eval(rule.condition);
    if (o.truth == Truth::kUnknown) {
      r.not_evaluated.push_back({rule.id, o.reason});
      continue;
    }
    if (o.truth != Truth::kTrue) continue;
    Violation v;
    v.rule_id = rule.id;
    v.description = rule.description;
    v.severity = rule.severity;
    v.evidence = std::move(o.evidence);
    if (o.omitted > 0) {
      Evidence more;
      more.subject = "more";
      more.message = absl::StrCat("and ", o.omitted, " more");
      v.evidence.push_back(std::move(more));
    }
    if (rule.severity == Severity::kDeny) r.verdict = Verdict::kDeny;
    if (rule.severity == Severity::kWarn && r.verdict == Verdict::kPass) {
      r.verdict = Verdict::kWarn;
    }
    r.violations.push_back(std::move(v));
  }
  DCI_RETURN_IF_ERROR(ev.status());
  return r;
}

}  // namespace dci
