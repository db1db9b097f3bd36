#include "indexer/system/users.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dci {
namespace {

// The alphabet crypt(3) writes salts and hashes in (crypt(5)).
bool IsCryptChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '/';
}

// "$id$...": the modular crypt format. Parameters and salts add '=', ','
// and '-' ("$6$rounds=5000$...", "$md5,rounds=...$", "$pbkdf2-sha256$").
bool LooksLikeModularCrypt(absl::string_view f) {
  if (f.size() < 3 || f[0] != '$') return false;
  size_t second = f.find('$', 1);
  if (second == absl::string_view::npos || second == 1) return false;
  for (char c : f) {
    if (!IsCryptChar(c) && c != '$' && c != '=' && c != ',' && c != '-') {
      return false;
    }
  }
  return true;
}

bool AllCryptChars(absl::string_view f) {
  for (char c : f) {
    if (!IsCryptChar(c)) return false;
  }
  return true;
}

// One record line of a colon-separated file, with its 1-based number.
struct Record {
  int line;
  std::vector<absl::string_view> fields;
};

// Splits `content` into records, skipping what glibc's files backend skips
// (nss_files/files-XXX.c: leading blanks, empty lines, '#' comments). Every
// line is looked at in the caller's buffer; nothing is copied.
std::vector<Record> Records(absl::string_view content) {
  std::vector<Record> records;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++number;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    records.push_back({number, absl::StrSplit(line, ':')});
  }
  // StrSplit yields one empty piece after a final '\n'; it was skipped above.
  return records;
}

std::string Escaped(absl::string_view s) {
  constexpr size_t kMax = 32;
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMax)),
                      s.size() > kMax ? "...\"" : "\"");
}

// Parses a uid or gid: decimal digits only, below 2^32.
bool ParseId(absl::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(s, &v) || v > 0xffffffffull) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Shared checks of every record: field count, a name, not a NIS entry.
// Returns false (and warns) if the record is to be skipped.
bool CheckRecord(const Record& r, size_t want_fields,
                 std::vector<std::string>* warnings) {
  if (r.fields.size() != want_fields) {
    warnings->push_back(absl::StrCat("line ", r.line, ": ", r.fields.size(),
                                     " fields, want ", want_fields,
                                     "; skipped"));
    return false;
  }
  absl::string_view name = r.fields[0];
  if (name.empty()) {
    warnings->push_back(absl::StrCat("line ", r.line, ": empty name; skipped"));
    return false;
  }
  if (name[0] == '+' || name[0] == '-') {
    warnings->push_back(absl::StrCat(
        "line ", r.line, ": NIS compat entry, not a local account; skipped"));
    return false;
  }
  return true;
}

bool CheckId(const Record& r, size_t index, absl::string_view what,
             uint32_t* out, std::vector<std::string>* warnings) {
  if (ParseId(r.fields[index], out)) return true;
  warnings->push_back(absl::StrCat("line ", r.line, ": ", what, " ",
                                   Escaped(r.fields[index]),
                                   " is not a decimal number below 2^32; "
                                   "skipped"));
  return false;
}

}  // namespace

std::string ShadowStatesText(const ShadowFile& shadow) {
  std::string out;
  for (const ShadowEntry& e : shadow.entries) {
    absl::StrAppend(&out, e.name, "\t", PasswordStateName(e.password), "\n");
  }
  for (const std::string& w : shadow.warnings) {
    absl::StrAppend(&out, "#warning\t", w, "\n");
  }
  return out;
}

ShadowFile ParseShadowStates(absl::string_view text) {
  ShadowFile out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (f.first == "#warning") {
      out.warnings.emplace_back(f.second);
      continue;
    }
    for (PasswordState s :
         {PasswordState::kInShadow, PasswordState::kEmpty, PasswordState::kLocked,
          PasswordState::kDisabled, PasswordState::kSet}) {
      if (PasswordStateName(s) == f.second) {
        out.entries.push_back({std::string(f.first), s});
        break;
      }
    }
  }
  return out;
}

absl::string_view PasswordStateName(PasswordState s) {
  switch (s) {
    case PasswordState::kInShadow:
      return "in_shadow";
    case PasswordState::kEmpty:
      return "empty";
    case PasswordState::kLocked:
      return "locked";
    case PasswordState::kDisabled:
      return "disabled";
    case PasswordState::kSet:
      return "set";
  }
  return "disabled";
}

PasswordState ClassifyPasswordField(absl::string_view field, bool passwd_file) {
  if (passwd_file && field == "x") return PasswordState::kInShadow;
  if (field.empty()) return PasswordState::kEmpty;
  if (field[0] == '!') return PasswordState::kLocked;
  if (LooksLikeModularCrypt(field)) return PasswordState::kSet;
  // Traditional DES: 2 salt + 11 hash characters.
  if (field.size() == 13 && AllCryptChars(field)) return PasswordState::kSet;
  // BSDi extended DES: '_', 4 count, 4 salt, 11 hash characters.
  if (field.size() == 20 && field[0] == '_' && AllCryptChars(field.substr(1))) {
    return PasswordState::kSet;
  }
  return PasswordState::kDisabled;
}

PasswdFile ParsePasswd(absl::string_view content) {
  // passwd(5): name:password:UID:GID:GECOS:directory:shell
  PasswdFile out;
  for (const Record& r : Records(content)) {
    if (!CheckRecord(r, 7, &out.warnings)) continue;
    User u;
    if (!CheckId(r, 2, "uid", &u.uid, &out.warnings) ||
        !CheckId(r, 3, "gid", &u.gid, &out.warnings)) {
      continue;
    }
    u.name = std::string(r.fields[0]);
    u.password = ClassifyPasswordField(r.fields[1], /*passwd_file=*/true);
    u.gecos = std::string(r.fields[4]);
    u.home = std::string(r.fields[5]);
    u.shell = std::string(r.fields[6]);
    out.users.push_back(std::move(u));
  }
  return out;
}

GroupFile ParseGroup(absl::string_view content) {
  // group(5): group_name:password:GID:user_list
  GroupFile out;
  for (const Record& r : Records(content)) {
    if (!CheckRecord(r, 4, &out.warnings)) continue;
    Group g;
    if (!CheckId(r, 2, "gid", &g.gid, &out.warnings)) continue;
    g.name = std::string(r.fields[0]);
    for (absl::string_view m : absl::StrSplit(r.fields[3], ',')) {
      if (!m.empty()) g.members.emplace_back(m);
    }
    out.groups.push_back(std::move(g));
  }
  return out;
}

ShadowFile ParseShadow(absl::string_view content) {
  // shadow(5): name:password:last change:min:max:warn:inactive:expire:
  // reserved. Only the first two fields are looked at; the second is
  // classified in place and dropped.
  ShadowFile out;
  for (const Record& r : Records(content)) {
    if (!CheckRecord(r, 9, &out.warnings)) continue;
    out.entries.push_back(
        {std::string(r.fields[0]),
         ClassifyPasswordField(r.fields[1], /*passwd_file=*/false)});
  }
  return out;
}

void ApplyShadow(const ShadowFile& shadow, PasswdFile* passwd) {
  std::map<absl::string_view, PasswordState> by_name;
  for (const ShadowEntry& e : shadow.entries) {
    by_name.emplace(e.name, e.password);  // the first entry wins
  }
  for (User& u : passwd->users) {
    if (u.password != PasswordState::kInShadow) continue;
    auto it = by_name.find(u.name);
    if (it == by_name.end()) {
      passwd->warnings.push_back(absl::StrCat(
          "user ", Escaped(u.name),
          ": password is in etc/shadow, which has no entry for it"));
      continue;
    }
    u.password = it->second;
  }
}

}  // namespace dci
