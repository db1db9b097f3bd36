// Design note: the status file is read in one pass over lines, collecting a
// stanza's fields as views into `text` (no copies until a Package is
// built). Invariants the tests check:
//   1. Every stanza is judged on its own: a broken line or stanza never
//      drops a neighbouring stanza.
//   2. A line is a stanza separator, a comment, a continuation (leading
//      space or tab) or "Name: value"; anything else is a warning with its
//      line number, and the continuation lines under it are dropped with it.
//   3. Only the first occurrence of a field counts (dpkg rejects duplicates;
//      dci warns and keeps reading).
//   4. Output order is file order.
#include "indexer/packages/dpkg.h"

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/path.h"
#include "indexer/packages/version.h"

namespace dci {
namespace {

bool IsBlankChar(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && IsBlankChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlankChar(s.back())) s.remove_suffix(1);
  return s;
}

bool IsBlankLine(absl::string_view line) {
  for (char c : line) {
    if (!IsBlankChar(c)) return false;
  }
  return true;
}

// True if `s` has a byte that cannot be part of a package name or a field
// name: blanks, control characters, DEL.
bool HasBlankOrControl(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// A short, printable rendering of untrusted bytes for a warning.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 60;
  const bool cut = s.size() > kMax;
  if (cut) s = s.substr(0, kMax);
  return absl::StrCat("\"", absl::CHexEscape(s), cut ? "...\"" : "\"");
}

// Collects "path:line: message" warnings, keeping at most kMaxDpkgWarnings
// and then counting, so a megabyte of garbage cannot become a megabyte of
// warnings. Finish() adds the count of dropped ones.
class WarningSink {
 public:
  explicit WarningSink(std::vector<std::string>& out) : out_(out) {}

  void Finish() {
    if (dropped_ > 0) {
      out_.push_back(absl::StrCat(dropped_, " more warnings not shown"));
    }
    dropped_ = 0;
  }

  void Add(absl::string_view path, int line, absl::string_view message) {
    if (kept_ >= kMaxDpkgWarnings) {
      ++dropped_;
      return;
    }
    ++kept_;
    out_.push_back(absl::StrCat(path, ":", line, ": ", message));
  }

 private:
  std::vector<std::string>& out_;
  int kept_ = 0;
  long long dropped_ = 0;
};

// Real stanzas have a few dozen fields; past this many the rest of a
// stanza's fields are dropped, which also bounds the duplicate check.
constexpr size_t kMaxFieldsPerStanza = 256;

struct Field {
  absl::string_view name;
  absl::string_view value;                      // the first line, trimmed
  std::vector<absl::string_view> continuation;  // raw following lines
  int line = 0;
};

struct Stanza {
  int first_line = 0;
  std::vector<Field> fields;
  bool too_many_fields = false;

  const Field* Find(absl::string_view name) const {
    for (const Field& f : fields) {
      if (absl::EqualsIgnoreCase(f.name, name)) return &f;
    }
    return nullptr;
  }
  absl::string_view Value(absl::string_view name) const {
    const Field* f = Find(name);
    return f == nullptr ? absl::string_view() : f->value;
  }
};

// dpkg's package states (dpkg-query(1), "Package states").
constexpr absl::string_view kStates[] = {
    "not-installed",   "config-files",     "half-installed",   "unpacked",
    "half-configured", "triggers-awaited", "triggers-pending", "installed"};

bool IsKnownState(absl::string_view s) {
  for (absl::string_view k : kStates) {
    if (s == k) return true;
  }
  return false;
}

// One " /path hash [obsolete] [remove-on-upgrade]" line. The path may hold
// blanks, so words are taken from the end, as dpkg does.
void ParseConffileLine(absl::string_view line, int line_no,
                       absl::string_view path, const std::string& quoted_name,
                       Package& pkg, WarningSink& warnings) {
  absl::string_view rest = TrimBlanks(line);
  if (rest.empty()) return;
  auto last_word = [&rest]() {
    const size_t sp = rest.find_last_of(" \t");
    absl::string_view word =
        sp == absl::string_view::npos ? rest : rest.substr(sp + 1);
    rest = sp == absl::string_view::npos ? absl::string_view()
                                         : TrimBlanks(rest.substr(0, sp));
    return word;
  };
  ConfigFile conf;
  absl::string_view word = last_word();
  while (word == "obsolete" || word == "remove-on-upgrade") {
    if (word == "obsolete") conf.obsolete = true;
    word = last_word();
  }
  const absl::string_view hash = word;
  absl::string_view file = rest;
  if (file.empty() || hash.empty()) {
    warnings.Add(path, line_no,
                 absl::StrCat("package ", quoted_name, ": conffile line ",
                              Quote(line), " lacks a path or a digest"));
    return;
  }
  while (!file.empty() && file.front() == '/') file.remove_prefix(1);
  absl::StatusOr<std::string> canonical = NormalizeEntryPath(file);
  if (!canonical.ok() || canonical->empty()) {
    warnings.Add(
        path, line_no,
        absl::StrCat("package ", quoted_name, ": conffile path ", Quote(rest),
                     " is not usable", canonical.ok() ? "" : ": ",
                     canonical.ok() ? "" : canonical.status().message()));
    return;
  }
  conf.path = *std::move(canonical);
  // "newconffile" marks a conffile dpkg has unpacked but not yet
  // configured: no digest recorded.
  if (hash != "newconffile") {
    bool hex = hash.size() == 32;
    for (char c : hash) hex = hex && absl::ascii_isxdigit(c);
    if (hex) {
      conf.digest = absl::AsciiStrToLower(hash);
      conf.algorithm = "md5";
    } else {
      warnings.Add(
          path, line_no,
          absl::StrCat("package ", quoted_name, ": conffile ", conf.path,
                       ": digest ", Quote(hash), " is not an MD5"));
    }
  }
  pkg.config_files.push_back(std::move(conf));
}

// "name" or "name (version)".
void ParseSource(absl::string_view value, Package& pkg) {
  const size_t paren = value.find('(');
  absl::string_view name = TrimBlanks(value.substr(0, paren));
  if (!name.empty()) pkg.source_name = std::string(name);
  if (paren != absl::string_view::npos) {
    absl::string_view ver = value.substr(paren + 1);
    const size_t close = ver.find(')');
    ver = TrimBlanks(ver.substr(0, close));
    if (!ver.empty()) pkg.source_version = std::string(ver);
  }
}

// Builds the Package for one stanza, or nothing (not installed, or
// unusable: then with a warning).
void EmitStanza(const Stanza& stanza, absl::string_view path, PackageScan& scan,
                WarningSink& warnings) {
  if (stanza.fields.empty()) return;  // only broken lines: already warned
  const absl::string_view name = stanza.Value("Package");
  if (name.empty()) {
    warnings.Add(path, stanza.first_line,
                 "stanza has no Package value; skipped");
    return;
  }
  if (HasBlankOrControl(name)) {
    warnings.Add(
        path, stanza.first_line,
        absl::StrCat("package name ", Quote(name), " is not valid; skipped"));
    return;
  }
  // Names go into warnings quoted and cut, like any other image bytes.
  const std::string quoted_name = Quote(name);

  Package pkg;
  pkg.ecosystem = Ecosystem::kDeb;
  pkg.name = std::string(name);

  if (const Field* status = stanza.Find("Status")) {
    std::vector<absl::string_view> words = absl::StrSplit(
        status->value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() != 3 || !IsKnownState(words.back())) {
      warnings.Add(
          path, status->line,
          absl::StrCat("package ", quoted_name, ": Status ",
                       Quote(status->value), " is not \"want flag state\""));
    }
    if (!words.empty() &&
        (words.back() == "not-installed" || words.back() == "config-files")) {
      return;  // no files of it on disk
    }
    pkg.status = std::string(status->value);
  }

  if (const Field* version = stanza.Find("Version")) {
    const DebVersion v = SplitDebVersion(version->value);
    // dpkg keeps the epoch as a number and prints it only when it is not
    // zero or the rest holds a ':' (versiondescribe(), vdew_nonambig); do
    // the same so FullVersion() equals what dpkg-query prints.
    absl::string_view epoch = v.epoch;
    while (!epoch.empty() && epoch.front() == '0') epoch.remove_prefix(1);
    if (epoch.empty() && !v.epoch.empty() &&
        (absl::StrContains(v.upstream, ':') ||
         absl::StrContains(v.revision, ':'))) {
      epoch = "0";
    }
    pkg.epoch = std::string(epoch);
    pkg.version = std::string(v.upstream);
    pkg.release = std::string(v.revision);
    if (v.upstream.empty()) {
      warnings.Add(
          path, version->line,
          absl::StrCat("package ", quoted_name, ": Version ",
                       Quote(version->value), " has no upstream part"));
    }
  } else {
    warnings.Add(path, stanza.first_line,
                 absl::StrCat("package ", quoted_name, " has no Version"));
  }

  pkg.arch = std::string(stanza.Value("Architecture"));
  pkg.maintainer = std::string(stanza.Value("Maintainer"));

  // dpkg-query's ${source:Package} and ${source:Version}: the binary
  // package's own name and version unless Source says otherwise.
  pkg.source_name = pkg.name;
  pkg.source_version = pkg.FullVersion();
  if (const Field* source = stanza.Find("Source")) {
    ParseSource(source->value, pkg);
  }

  if (const Field* size = stanza.Find("Installed-Size")) {
    int64_t kib = 0;
    bool ok = !size->value.empty() && absl::ascii_isdigit(size->value[0]) &&
              absl::SimpleAtoi(size->value, &kib) && kib >= 0 &&
              kib <= std::numeric_limits<long long>::max() / 1024;
    if (ok) {
      pkg.installed_size = static_cast<long long>(kib) * 1024;
    } else {
      warnings.Add(path, size->line,
                   absl::StrCat("package ", quoted_name, ": Installed-Size ",
                                Quote(size->value), " is not a size in KiB"));
    }
  }

  if (const Field* conffiles = stanza.Find("Conffiles")) {
    ParseConffileLine(conffiles->value, conffiles->line, path, quoted_name, pkg,
                      warnings);
    int line_no = conffiles->line;
    for (absl::string_view line : conffiles->continuation) {
      ++line_no;
      ParseConffileLine(line, line_no, path, quoted_name, pkg, warnings);
    }
  }

  scan.packages.push_back(std::move(pkg));
}

}  // namespace

PackageScan ParseDpkgStatus(absl::string_view text,
                            absl::string_view source_path) {
  PackageScan scan;
  WarningSink warnings(scan.warnings);
  Stanza stanza;
  Field* current = nullptr;        // field that continuation lines extend
  bool drop_continuation = false;  // the line above was rejected

  auto finish_stanza = [&]() {
    EmitStanza(stanza, source_path, scan, warnings);
    stanza = Stanza();
    current = nullptr;
    drop_continuation = false;
  };

  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    absl::string_view line =
        text.substr(pos, nl == absl::string_view::npos ? nl : nl - pos);
    pos = nl == absl::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (IsBlankLine(line)) {
      finish_stanza();
      continue;
    }
    if (stanza.first_line == 0) stanza.first_line = line_no;
    if (line.front() == '#') continue;  // comment (deb822)

    if (IsBlankChar(line.front())) {
      if (current != nullptr) {
        current->continuation.push_back(line);
      } else if (!drop_continuation) {
        warnings.Add(source_path, line_no,
                     absl::StrCat("continuation line ", Quote(line),
                                  " outside a field"));
        drop_continuation = true;
      }
      continue;
    }

    current = nullptr;
    drop_continuation = true;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      warnings.Add(
          source_path, line_no,
          absl::StrCat("line ", Quote(line), " is not \"Name: value\""));
      continue;
    }
    const absl::string_view name = line.substr(0, colon);
    if (name.empty() || HasBlankOrControl(name)) {
      warnings.Add(source_path, line_no,
                   absl::StrCat("field name ", Quote(name), " is not valid"));
      continue;
    }
    if (stanza.fields.size() >= kMaxFieldsPerStanza) {
      if (!stanza.too_many_fields) {
        warnings.Add(source_path, line_no,
                     absl::StrCat("stanza has more than ", kMaxFieldsPerStanza,
                                  " fields; the rest are ignored"));
        stanza.too_many_fields = true;
      }
      continue;
    }
    if (const Field* first = stanza.Find(name)) {
      warnings.Add(source_path, line_no,
                   absl::StrCat("duplicate field ", Quote(name),
                                " (first at line ", first->line, "); ignored"));
      continue;
    }
    Field field;
    field.name = name;
    field.value = TrimBlanks(line.substr(colon + 1));
    field.line = line_no;
    stanza.fields.push_back(std::move(field));
    current = &stanza.fields.back();
    drop_continuation = false;
  }
  finish_stanza();
  warnings.Finish();
  return scan;
}

void AttachDpkgFileLists(const DpkgFileLists& lists, PackageScan& scan) {
  WarningSink warnings(scan.warnings);
  for (Package& pkg : scan.packages) {
    if (pkg.ecosystem != Ecosystem::kDeb) continue;
    auto it = lists.end();
    if (!pkg.arch.empty())
      it = lists.find(absl::StrCat(pkg.name, ":", pkg.arch));
    if (it == lists.end()) it = lists.find(pkg.name);
    if (it == lists.end()) continue;

    const std::string list_path =
        absl::StrCat("var/lib/dpkg/info/", it->first, ".list");
    const absl::string_view text = it->second;
    pkg.files.clear();
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      absl::string_view line =
          text.substr(pos, nl == absl::string_view::npos ? nl : nl - pos);
      pos = nl == absl::string_view::npos ? text.size() : nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line == "/.") continue;
      absl::string_view rel = line;
      while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
      absl::StatusOr<std::string> canonical = NormalizeEntryPath(rel);
      if (!canonical.ok()) {
        warnings.Add(list_path, line_no,
                     absl::StrCat("path ", Quote(line),
                                  " skipped: ", canonical.status().message()));
        continue;
      }
      if (canonical->empty()) continue;  // the root, however spelled
      pkg.files.push_back(*std::move(canonical));
    }
  }
  warnings.Finish();
}

}  // namespace dci
