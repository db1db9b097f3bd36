#include "policy/policy.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace dci {

absl::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarn: return "warn";
    case Severity::kDeny: return "deny";
  }
  return "deny";
}

absl::string_view MatcherOpName(Matcher::Op op) {
  switch (op) {
    case Matcher::kEquals: return "equals";
    case Matcher::kNotEquals: return "not_equals";
    case Matcher::kIn: return "in";
    case Matcher::kNotIn: return "not_in";
    case Matcher::kMatches: return "matches";
    case Matcher::kNotMatches: return "not_matches";
    case Matcher::kContains: return "contains";
    case Matcher::kNotContains: return "not_contains";
    case Matcher::kPresent: return "present";
    case Matcher::kAbsent: return "absent";
    case Matcher::kGreaterThan: return "greater_than";
    case Matcher::kLessThan: return "less_than";
    case Matcher::kVersion: return "version";
  }
  return "equals";
}

namespace {

// Metadata fields by the kind of value they have.
const std::vector<std::string>& ScalarFields() {
  static const auto* const k = new std::vector<std::string>{
      "architecture", "os", "variant", "platform", "user", "created",
      "author", "docker_version", "working_dir", "stop_signal", "entrypoint",
      "cmd", "label", "env"};
  return *k;
}
const std::vector<std::string>& ListFields() {
  static const auto* const k = new std::vector<std::string>{
      "label_keys", "env_keys", "exposed_ports", "volumes", "history"};
  return *k;
}
const std::vector<std::string>& NumberFields() {
  static const auto* const k = new std::vector<std::string>{
      "layers", "size", "compressed_size", "age_days"};
  return *k;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const std::vector<std::string>& ConditionKeys() {
  static const auto* const k = new std::vector<std::string>{
      "metadata", "package", "package_count", "file", "config", "drift",
      "all", "any", "not"};
  return *k;
}

const std::vector<Matcher::Op>& AllOps() {
  static const auto* const k = new std::vector<Matcher::Op>{
      Matcher::kEquals, Matcher::kNotEquals, Matcher::kIn, Matcher::kNotIn,
      Matcher::kMatches, Matcher::kNotMatches, Matcher::kContains,
      Matcher::kNotContains, Matcher::kPresent, Matcher::kAbsent,
      Matcher::kGreaterThan, Matcher::kLessThan, Matcher::kVersion};
  return *k;
}

TextPos PosOf(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.is_null()) return {0, 0};
  return {m.line + 1, m.column + 1};
}

absl::Status ErrorAt(TextPos p, const std::string& msg) {
  return absl::InvalidArgumentError(
      absl::StrCat(p.line, ":", p.column, ": ", msg));
}
absl::Status ErrorAt(const YAML::Node& n, const std::string& msg) {
  return ErrorAt(PosOf(n), msg);
}

// One key: value of a mapping, with both nodes for positions.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The entries of mapping `n` (`what` names it in errors), refusing keys not
// in `allowed` and keys given twice.
absl::StatusOr<std::vector<Field>> Fields(const YAML::Node& n,
                                          const std::string& what,
                                          const std::vector<std::string>& allowed) {
  if (!n.IsMap()) return ErrorAt(n, absl::StrCat(what, " must be a mapping"));
  std::vector<Field> out;
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) {
      return ErrorAt(it->first, absl::StrCat(what, ": a key must be a name"));
    }
    std::string key = it->first.Scalar();
    if (!Contains(allowed, key)) {
      return ErrorAt(it->first,
                     absl::StrCat("unknown field \"", key, "\" in ", what,
                                  " (want ", absl::StrJoin(allowed, ", "), ")"));
    }
    if (!seen.insert(key).second) {
      return ErrorAt(it->first,
                     absl::StrCat("field \"", key, "\" given twice in ", what));
    }
    out.push_back({key, it->first, it->second});
  }
  return out;
}

absl::StatusOr<std::string> Scalar(const Field& f) {
  if (!f.value.IsScalar()) {
    return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" must be a single value"));
  }
  return f.value.Scalar();
}

// A scalar or a sequence of scalars.
absl::StatusOr<std::vector<std::string>> Strings(const Field& f) {
  if (f.value.IsScalar()) return std::vector<std::string>{f.value.Scalar()};
  if (!f.value.IsSequence()) {
    return ErrorAt(f.value,
                   absl::StrCat("\"", f.key, "\" must be a value or a list of values"));
  }
  std::vector<std::string> out;
  for (const YAML::Node& item : f.value) {
    if (!item.IsScalar()) {
      return ErrorAt(item, absl::StrCat("\"", f.key, "\": each item must be a single value"));
    }
    out.push_back(item.Scalar());
  }
  if (out.empty()) {
    return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" must not be empty"));
  }
  return out;
}

// Like Strings, with each item's node, so errors point at the item.
absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> Items(const Field& f) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (f.value.IsScalar()) {
    out.push_back({f.value.Scalar(), f.value});
    return out;
  }
  DCI_ASSIGN_OR_RETURN(std::vector<std::string> v, Strings(f));
  size_t i = 0;
  for (const YAML::Node& item : f.value) out.push_back({v[i++], item});
  return out;
}

absl::StatusOr<bool> Bool(const Field& f) {
  if (f.value.IsScalar()) {
    const std::string v = f.value.Scalar();
    if (v == "true") return true;
    if (v == "false") return false;
  }
  return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" must be true or false"));
}

// Only `true` makes sense for switches such as setuid: false would not
// filter anything.
absl::Status True(const Field& f) {
  DCI_ASSIGN_OR_RETURN(bool b, Bool(f));
  if (!b) return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" can only be true"));
  return absl::OkStatus();
}

absl::StatusOr<double> Number(const Field& f) {
  double d = 0;
  if (!f.value.IsScalar() || !absl::SimpleAtod(f.value.Scalar(), &d)) {
    return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" must be a number"));
  }
  return d;
}

absl::StatusOr<std::shared_ptr<const re2::RE2>> Regex(const Field& f) {
  DCI_ASSIGN_OR_RETURN(std::string pattern, Scalar(f));
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, opts);
  if (!re->ok()) {
    return ErrorAt(f.value, absl::StrCat("bad regex \"", pattern, "\": ", re->error()));
  }
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

absl::StatusOr<VersionRange> Range(const Field& f) {
  DCI_ASSIGN_OR_RETURN(std::string text, Scalar(f));
  absl::StatusOr<VersionRange> r = ParseVersionRange(text);
  if (!r.ok()) {
    return ErrorAt(f.value, absl::StrCat("bad version range \"", text, "\": ",
                                         r.status().message()));
  }
  return *r;
}

// Paths in an image are written without the leading '/'.
std::string Canonical(std::string glob) {
  while (!glob.empty() && glob[0] == '/') glob.erase(0, 1);
  return glob;
}

absl::StatusOr<std::vector<std::string>> Globs(const Field& f) {
  DCI_ASSIGN_OR_RETURN(std::vector<std::string> v, Strings(f));
  for (std::string& g : v) {
    g = Canonical(g);
    if (g.empty()) return ErrorAt(f.value, absl::StrCat("\"", f.key, "\": an empty path"));
  }
  return v;
}

absl::StatusOr<std::vector<int64_t>> Ids(const Field& f) {
  DCI_ASSIGN_OR_RETURN(auto items, Items(f));
  std::vector<int64_t> out;
  for (const auto& [s, node] : items) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(s, &id) || id < 0) {
      return ErrorAt(node, absl::StrCat("\"", f.key, "\": \"", s,
                                        "\" is not a numeric id"));
    }
    out.push_back(id);
  }
  return out;
}

class Parser {
 public:
  absl::StatusOr<Policy> Parse(const YAML::Node& root);

 private:
  absl::StatusOr<Rule> ParseRule(const YAML::Node& n, std::set<std::string>& ids);
  // A condition given as `key: value` (from a rule or a combinator).
  absl::StatusOr<Condition> ParseCondition(const Field& f);
  // A mapping holding exactly one condition key (items of all/any, not).
  absl::StatusOr<Condition> ParseWrapped(const YAML::Node& n);
  absl::Status ParseMetadata(const Field& f, Condition& c);
  absl::Status ParsePackage(const Field& f, Condition& c);
  absl::Status ParsePackageCount(const Field& f, Condition& c);
  absl::Status ParseFile(const Field& f, Condition& c);
  absl::Status ParseConfig(const Field& f, Condition& c);
  absl::Status ParseDrift(const Field& f, Condition& c);

  PolicyNeeds needs_;
  int depth_ = 0;
};

absl::StatusOr<Policy> Parser::Parse(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) {
    return ErrorAt(TextPos{1, 1}, "empty policy: want a mapping with \"rules\"");
  }
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields,
                       Fields(root, "the policy", {"name", "description", "rules"}));
  Policy p;
  bool have_rules = false;
  for (const Field& f : fields) {
    if (f.key == "name") {
      DCI_ASSIGN_OR_RETURN(p.name, Scalar(f));
    } else if (f.key == "description") {
      DCI_ASSIGN_OR_RETURN(p.description, Scalar(f));
    } else {
      have_rules = true;
      if (!f.value.IsSequence() || f.value.size() == 0) {
        return ErrorAt(f.value, "\"rules\" must be a list of rules");
      }
      std::set<std::string> ids;
      for (const YAML::Node& r : f.value) {
        DCI_ASSIGN_OR_RETURN(Rule rule, ParseRule(r, ids));
        p.rules.push_back(std::move(rule));
      }
    }
  }
  if (!have_rules) return ErrorAt(root, "the policy has no \"rules\"");
  p.needs = needs_;
  return p;
}

absl::StatusOr<Rule> Parser::ParseRule(const YAML::Node& n,
                                       std::set<std::string>& ids) {
  std::vector<std::string> allowed = {"id", "description", "severity"};
  allowed.insert(allowed.end(), ConditionKeys().begin(), ConditionKeys().end());
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields, Fields(n, "a rule", allowed));
  Rule rule;
  rule.pos = PosOf(n);
  const Field* cond = nullptr;
  bool have_id = false;
  for (const Field& f : fields) {
    if (f.key == "id") {
      DCI_ASSIGN_OR_RETURN(rule.id, Scalar(f));
      if (rule.id.empty()) return ErrorAt(f.value, "a rule id must not be empty");
      if (!ids.insert(rule.id).second) {
        return ErrorAt(f.value, absl::StrCat("rule id \"", rule.id, "\" used twice"));
      }
      have_id = true;
    } else if (f.key == "description") {
      DCI_ASSIGN_OR_RETURN(rule.description, Scalar(f));
    } else if (f.key == "severity") {
      DCI_ASSIGN_OR_RETURN(std::string s, Scalar(f));
      if (s == "info") rule.severity = Severity::kInfo;
      else if (s == "warn") rule.severity = Severity::kWarn;
      else if (s == "deny") rule.severity = Severity::kDeny;
      else return ErrorAt(f.value, absl::StrCat("severity \"", s, "\": want info, warn or deny"));
    } else {
      if (cond != nullptr) {
        return ErrorAt(f.key_node,
                       absl::StrCat("a rule has one condition: \"", cond->key,
                                    "\" and \"", f.key, "\" (combine them with all or any)"));
      }
      cond = &f;
    }
  }
  if (!have_id) return ErrorAt(n, "a rule needs an \"id\"");
  if (cond == nullptr) {
    return ErrorAt(n, absl::StrCat("rule \"", rule.id, "\" has no condition (want one of ",
                                   absl::StrJoin(ConditionKeys(), ", "), ")"));
  }
  absl::StatusOr<Condition> c = ParseCondition(*cond);
  if (!c.ok()) return c.status();
  rule.condition = *std::move(c);
  return rule;
}

absl::StatusOr<Condition> Parser::ParseWrapped(const YAML::Node& n) {
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields, Fields(n, "a condition", ConditionKeys()));
  if (fields.size() != 1) {
    return ErrorAt(n, "a condition has exactly one of " + absl::StrJoin(ConditionKeys(), ", "));
  }
  return ParseCondition(fields[0]);
}

absl::StatusOr<Condition> Parser::ParseCondition(const Field& f) {
  if (++depth_ > 32) return ErrorAt(f.key_node, "conditions nested too deep (32 levels)");
  Condition c;
  c.pos = PosOf(f.key_node);
  absl::Status s;
  if (f.key == "all" || f.key == "any") {
    c.kind = f.key == "all" ? Condition::kAll : Condition::kAny;
    if (!f.value.IsSequence() || f.value.size() == 0) {
      return ErrorAt(f.value, absl::StrCat("\"", f.key, "\" must be a list of conditions"));
    }
    for (const YAML::Node& item : f.value) {
      DCI_ASSIGN_OR_RETURN(Condition child, ParseWrapped(item));
      c.children.push_back(std::move(child));
    }
  } else if (f.key == "not") {
    c.kind = Condition::kNot;
    DCI_ASSIGN_OR_RETURN(Condition child, ParseWrapped(f.value));
    c.children.push_back(std::move(child));
  } else if (f.key == "metadata") {
    c.kind = Condition::kMetadata;
    s = ParseMetadata(f, c);
  } else if (f.key == "package") {
    c.kind = Condition::kPackage;
    needs_.packages = true;
    s = ParsePackage(f, c);
  } else if (f.key == "package_count") {
    c.kind = Condition::kPackageCount;
    needs_.packages = true;
    s = ParsePackageCount(f, c);
  } else if (f.key == "file") {
    c.kind = Condition::kFile;
    needs_.files = true;
    s = ParseFile(f, c);
  } else if (f.key == "config") {
    c.kind = Condition::kConfig;
    needs_.configs = true;
    s = ParseConfig(f, c);
  } else {
    c.kind = Condition::kDrift;
    needs_.drift = true;
    s = ParseDrift(f, c);
  }
  --depth_;
  if (!s.ok()) return s;
  return c;
}

absl::Status Parser::ParseMetadata(const Field& f, Condition& c) {
  std::vector<std::string> allowed = {"field", "key"};
  for (Matcher::Op op : AllOps()) allowed.emplace_back(MatcherOpName(op));
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields, Fields(f.value, "metadata", allowed));
  const Field* matcher = nullptr;
  const Field* key = nullptr;
  const Field* field = nullptr;
  for (const Field& m : fields) {
    if (m.key == "field") {
      field = &m;
    } else if (m.key == "key") {
      key = &m;
    } else if (matcher != nullptr) {
      return ErrorAt(m.key_node, absl::StrCat("metadata has one test: \"", matcher->key,
                                              "\" and \"", m.key, "\" (combine them with all)"));
    } else {
      matcher = &m;
    }
  }
  if (field == nullptr) return ErrorAt(f.value, "metadata needs a \"field\"");
  DCI_ASSIGN_OR_RETURN(c.field, Scalar(*field));
  if (!Contains(MetadataFields(), c.field)) {
    return ErrorAt(field->value, absl::StrCat("unknown metadata field \"", c.field, "\" (want ",
                                              absl::StrJoin(MetadataFields(), ", "), ")"));
  }
  const bool keyed = c.field == "label" || c.field == "env";
  if (keyed && key == nullptr) {
    return ErrorAt(field->value, absl::StrCat("field \"", c.field, "\" needs a \"key\""));
  }
  if (!keyed && key != nullptr) {
    return ErrorAt(key->key_node, absl::StrCat("field \"", c.field, "\" takes no \"key\""));
  }
  if (key != nullptr) {
    DCI_ASSIGN_OR_RETURN(c.key, Scalar(*key));
  }
  if (matcher == nullptr) {
    return ErrorAt(f.value, "metadata needs a test: equals, not_equals, in, not_in, matches, "
                            "not_matches, contains, not_contains, present, absent, "
                            "greater_than, less_than or version");
  }
  Matcher& m = c.matcher;
  for (Matcher::Op op : AllOps()) {
    if (MatcherOpName(op) == matcher->key) m.op = op;
  }
  const bool number = Contains(NumberFields(), c.field);
  const bool numeric_op = m.op == Matcher::kGreaterThan || m.op == Matcher::kLessThan;
  if (number && !numeric_op && m.op != Matcher::kEquals && m.op != Matcher::kNotEquals) {
    return ErrorAt(matcher->key_node,
                   absl::StrCat("field \"", c.field, "\" is a number: use greater_than, "
                                "less_than, equals or not_equals"));
  }
  if (!number && numeric_op) {
    return ErrorAt(matcher->key_node,
                   absl::StrCat("\"", matcher->key, "\" needs a number field (",
                                absl::StrJoin(NumberFields(), ", "), ")"));
  }
  switch (m.op) {
    case Matcher::kEquals:
    case Matcher::kNotEquals: {
      DCI_ASSIGN_OR_RETURN(std::string v, Scalar(*matcher));
      if (number) {
        DCI_ASSIGN_OR_RETURN(m.number, Number(*matcher));
      }
      m.values = {v};
      break;
    }
    case Matcher::kIn:
    case Matcher::kNotIn:
    case Matcher::kContains:
    case Matcher::kNotContains: {
      DCI_ASSIGN_OR_RETURN(m.values, Strings(*matcher));
      break;
    }
    case Matcher::kMatches:
    case Matcher::kNotMatches: {
      DCI_ASSIGN_OR_RETURN(m.regex, Regex(*matcher));
      break;
    }
    case Matcher::kPresent:
    case Matcher::kAbsent: {
      DCI_RETURN_IF_ERROR(True(*matcher));
      break;
    }
    case Matcher::kGreaterThan:
    case Matcher::kLessThan: {
      DCI_ASSIGN_OR_RETURN(m.number, Number(*matcher));
      break;
    }
    case Matcher::kVersion: {
      DCI_ASSIGN_OR_RETURN(m.range, Range(*matcher));
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEcosystem(const Field& f, std::string* out) {
  DCI_ASSIGN_OR_RETURN(*out, Scalar(f));
  if (*out != "deb" && *out != "rpm" && *out != "apk") {
    return ErrorAt(f.value, absl::StrCat("ecosystem \"", *out, "\": want deb, rpm or apk"));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParsePackage(const Field& f, Condition& c) {
  DCI_ASSIGN_OR_RETURN(
      std::vector<Field> fields,
      Fields(f.value, "package", {"name", "source", "ecosystem", "version", "absent"}));
  bool named = false;
  for (const Field& m : fields) {
    if (m.key == "name" || m.key == "source") {
      if (named) return ErrorAt(m.key_node, "package takes \"name\" or \"source\", not both");
      named = true;
      c.by_source = m.key == "source";
      DCI_ASSIGN_OR_RETURN(c.name_glob, Scalar(m));
      if (c.name_glob.empty()) return ErrorAt(m.value, "an empty package name");
    } else if (m.key == "ecosystem") {
      DCI_RETURN_IF_ERROR(CheckEcosystem(m, &c.ecosystem));
    } else if (m.key == "version") {
      DCI_ASSIGN_OR_RETURN(c.range, Range(m));
      c.has_range = true;
    } else {
      DCI_ASSIGN_OR_RETURN(c.absent, Bool(m));
    }
  }
  if (!named) return ErrorAt(f.value, "package needs a \"name\" or a \"source\"");
  return absl::OkStatus();
}

absl::Status Parser::ParsePackageCount(const Field& f, Condition& c) {
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields,
                       Fields(f.value, "package_count", {"greater_than", "ecosystem"}));
  bool limit = false;
  for (const Field& m : fields) {
    if (m.key == "ecosystem") {
      DCI_RETURN_IF_ERROR(CheckEcosystem(m, &c.ecosystem));
    } else {
      DCI_ASSIGN_OR_RETURN(c.matcher.number, Number(m));
      c.matcher.op = Matcher::kGreaterThan;
      limit = true;
    }
  }
  if (!limit) return ErrorAt(f.value, "package_count needs \"greater_than\"");
  return absl::OkStatus();
}

absl::Status Parser::ParseFile(const Field& f, Condition& c) {
  DCI_ASSIGN_OR_RETURN(
      std::vector<Field> fields,
      Fields(f.value, "file", {"path", "except", "type", "setuid", "setgid",
                               "world_writable", "uid_in", "uid_not_in",
                               "hash_in", "absent"}));
  bool filter = false;
  for (const Field& m : fields) {
    if (m.key != "except" && m.key != "absent") filter = true;
    if (m.key == "path") {
      DCI_ASSIGN_OR_RETURN(c.path_globs, Globs(m));
    } else if (m.key == "except") {
      DCI_ASSIGN_OR_RETURN(c.except_globs, Globs(m));
    } else if (m.key == "type") {
      DCI_ASSIGN_OR_RETURN(c.type, Scalar(m));
      static const auto* const kTypes = new std::vector<std::string>{
          "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "socket"};
      if (!Contains(*kTypes, c.type)) {
        return ErrorAt(m.value, absl::StrCat("file type \"", c.type, "\": want ",
                                             absl::StrJoin(*kTypes, ", ")));
      }
    } else if (m.key == "setuid") {
      DCI_RETURN_IF_ERROR(True(m));
      c.setuid = true;
    } else if (m.key == "setgid") {
      DCI_RETURN_IF_ERROR(True(m));
      c.setgid = true;
    } else if (m.key == "world_writable") {
      DCI_RETURN_IF_ERROR(True(m));
      c.world_writable = true;
    } else if (m.key == "uid_in") {
      DCI_ASSIGN_OR_RETURN(c.uid_in, Ids(m));
    } else if (m.key == "uid_not_in") {
      DCI_ASSIGN_OR_RETURN(c.uid_not_in, Ids(m));
    } else if (m.key == "hash_in") {
      DCI_ASSIGN_OR_RETURN(auto items, Items(m));
      for (const auto& [text, node] : items) {
        std::string h = absl::AsciiStrToLower(text);
        if (h.size() != 32 || !std::all_of(h.begin(), h.end(), absl::ascii_isxdigit)) {
          return ErrorAt(node, absl::StrCat("hash \"", text,
                                            "\": want 32 hex digits (XXH3-128)"));
        }
        c.hash_in.push_back(h);
      }
    } else {
      DCI_ASSIGN_OR_RETURN(c.absent, Bool(m));
    }
  }
  if (!filter) {
    return ErrorAt(f.value, "file needs a path or a test: type, setuid, setgid, "
                            "world_writable, uid_in, uid_not_in, hash_in");
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseConfig(const Field& f, Condition& c) {
  DCI_ASSIGN_OR_RETURN(std::vector<Field> fields,
                       Fields(f.value, "config", {"path", "except", "matches", "modified"}));
  const Field* test = nullptr;
  for (const Field& m : fields) {
    if (m.key == "path") {
      DCI_ASSIGN_OR_RETURN(c.path_globs, Globs(m));
    } else if (m.key == "except") {
      DCI_ASSIGN_OR_RETURN(c.except_globs, Globs(m));
    } else {
      if (test != nullptr) {
        return ErrorAt(m.key_node, "config takes \"matches\" or \"modified\", not both");
      }
      test = &m;
      if (m.key == "matches") {
        c.matcher.op = Matcher::kMatches;
        DCI_ASSIGN_OR_RETURN(c.matcher.regex, Regex(m));
      } else {
        DCI_RETURN_IF_ERROR(True(m));
        c.modified = true;
      }
    }
  }
  if (test == nullptr) return ErrorAt(f.value, "config needs \"matches\" or \"modified\"");
  if (!c.modified && c.path_globs.empty()) {
    return ErrorAt(f.value, "config \"matches\" needs a \"path\"");
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseDrift(const Field& f, Condition& c) {
  DCI_ASSIGN_OR_RETURN(
      std::vector<Field> fields,
      Fields(f.value, "drift", {"new_setuid", "new_packages", "changed",
                                "labels_removed", "names", "keys"}));
  const Field* names = nullptr;
  for (const Field& m : fields) {
    if (m.key == "names" || m.key == "keys") {
      names = &m;
      DCI_ASSIGN_OR_RETURN(c.names, Strings(m));
      continue;
    }
    if (!c.drift.empty()) {
      return ErrorAt(m.key_node, absl::StrCat("drift has one test: \"", c.drift, "\" and \"",
                                              m.key, "\" (combine them with any)"));
    }
    c.drift = m.key;
    if (m.key == "changed") {
      DCI_ASSIGN_OR_RETURN(auto items, Items(m));
      for (const auto& [n, node] : items) {
        if (!Contains(DriftFields(), n)) {
          return ErrorAt(node, absl::StrCat("cannot watch \"", n, "\" for changes (want ",
                                            absl::StrJoin(DriftFields(), ", "), ")"));
        }
        c.names.push_back(n);
      }
    } else {
      DCI_RETURN_IF_ERROR(True(m));
    }
  }
  if (c.drift.empty()) {
    return ErrorAt(f.value, "drift needs new_setuid, new_packages, changed or labels_removed");
  }
  if (names != nullptr) {
    const std::string want = c.drift == "new_packages" ? "names"
                             : c.drift == "labels_removed" ? "keys" : "";
    if (names->key != want) {
      return ErrorAt(names->key_node,
                     absl::StrCat("\"", names->key, "\" does not apply to drift ", c.drift));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& MetadataFields() {
  static const auto* const k = [] {
    auto* v = new std::vector<std::string>(ScalarFields());
    v->insert(v->end(), ListFields().begin(), ListFields().end());
    v->insert(v->end(), NumberFields().begin(), NumberFields().end());
    return v;
  }();
  return *k;
}

const std::vector<std::string>& DriftFields() {
  static const auto* const k = new std::vector<std::string>{
      "architecture", "os", "variant", "user", "entrypoint", "cmd",
      "working_dir", "exposed_ports"};
  return *k;
}

absl::StatusOr<Policy> ParsePolicy(absl::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    TextPos p = e.mark.is_null() ? TextPos{1, 1}
                                 : TextPos{e.mark.line + 1, e.mark.column + 1};
    return ErrorAt(p, absl::StrCat("not valid YAML: ", e.msg));
  }
  try {
    Parser parser;
    return parser.Parse(root);
  } catch (const YAML::Exception& e) {  // yaml-cpp's accessors on odd nodes
    TextPos p = e.mark.is_null() ? TextPos{1, 1}
                                 : TextPos{e.mark.line + 1, e.mark.column + 1};
    return ErrorAt(p, e.msg);
  }
}

}  // namespace dci
