#include "indexer/system/services.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dci {
namespace {

struct UnitDir {
  absl::string_view prefix;  // with the trailing '/'
  bool vendor;
};

// systemd.unit(5), "Unit Search Path" for the system manager: the admin's
// directory and the vendor's (before and after the /usr merge).
constexpr UnitDir kUnitDirs[] = {
    {"etc/systemd/system/", false},
    {"usr/lib/systemd/system/", true},
    {"lib/systemd/system/", true},
};

// systemd.unit(5): the unit types a name may end in.
constexpr absl::string_view kUnitSuffixes[] = {
    ".service", ".socket", ".device", ".mount", ".automount", ".swap",
    ".target",  ".path",   ".timer",  ".slice", ".scope",
};

// A unit name as systemd's unit_name_is_valid() accepts it, roughly: the
// characters of VALID_CHARS_WITH_AT ("ASCII letters, digits, ':', '-', '_',
// '.', '\\', '@'") and a known type suffix after a non-empty prefix.
bool IsUnitName(absl::string_view name) {
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != ':' && c != '-' && c != '_' &&
        c != '.' && c != '\\' && c != '@') {
      return false;
    }
  }
  for (absl::string_view suffix : kUnitSuffixes) {
    if (name.size() > suffix.size() && absl::EndsWith(name, suffix)) {
      return true;
    }
  }
  return false;
}

std::string Escaped(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

// rest = "<unit>.wants/<name>" or "<unit>.requires/<name>".
void MatchSystemd(const SymlinkEntry& link, absl::string_view rest, bool vendor,
                  ServiceScan* out) {
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return;
  absl::string_view dir = rest.substr(0, slash);
  absl::string_view name = rest.substr(slash + 1);
  if (name.empty() || name.find('/') != absl::string_view::npos) return;
  EnablementKind kind;
  absl::string_view target = dir;
  if (absl::ConsumeSuffix(&target, ".wants")) {
    kind = EnablementKind::kWants;
  } else if (absl::ConsumeSuffix(&target, ".requires")) {
    kind = EnablementKind::kRequires;
  } else {
    return;
  }
  if (target.empty()) return;
  if (!IsUnitName(name)) {
    out->warnings.push_back(
        absl::StrCat(Escaped(link.path), ": not a unit name; ignored"));
    return;
  }
  out->units.push_back({std::string(name), std::string(target), kind, link.path,
                        link.target, vendor});
}

// rest = "rc<L>.d/S<digits><name>".
void MatchSysV(const SymlinkEntry& link, absl::string_view rest,
               ServiceScan* out) {
  if (rest.size() < 6 || !absl::StartsWith(rest, "rc") ||
      rest.substr(3, 3) != ".d/") {
    return;
  }
  char level = rest[2];
  if (!((level >= '0' && level <= '6') || level == 'S')) return;
  absl::string_view name = rest.substr(6);
  if (name.empty() || name[0] != 'S' ||
      name.find('/') != absl::string_view::npos) {
    return;
  }
  name.remove_prefix(1);
  while (!name.empty() && absl::ascii_isdigit(name[0])) name.remove_prefix(1);
  if (name.empty()) {
    out->warnings.push_back(absl::StrCat(
        Escaped(link.path), ": start link without a script name; ignored"));
    return;
  }
  out->units.push_back({std::string(name), std::string(rest.substr(0, 5)),
                        EnablementKind::kSysV, link.path, link.target,
                        /*vendor=*/false});
}

}  // namespace

absl::string_view EnablementKindName(EnablementKind k) {
  switch (k) {
    case EnablementKind::kWants:
      return "wants";
    case EnablementKind::kRequires:
      return "requires";
    case EnablementKind::kSysV:
      return "sysv";
  }
  return "wants";
}

ServiceScan FindEnabledServices(absl::Span<const SymlinkEntry> links) {
  ServiceScan out;
  for (const SymlinkEntry& link : links) {
    absl::string_view path = link.path;
    for (const UnitDir& dir : kUnitDirs) {
      if (absl::StartsWith(path, dir.prefix)) {
        MatchSystemd(link, path.substr(dir.prefix.size()), dir.vendor, &out);
      }
    }
    // Debian and most others keep etc/rc?.d; Red Hat keeps etc/rc.d/rc?.d
    // and makes etc/rc?.d links to those directories, which a listing of
    // the tree shows as links, not as their contents.
    if (absl::ConsumePrefix(&path, "etc/rc.d/") ||
        absl::ConsumePrefix(&path, "etc/")) {
      MatchSysV(link, path, &out);
    }
  }
  std::stable_sort(out.units.begin(), out.units.end(),
                   [](const EnabledUnit& a, const EnabledUnit& b) {
                     return a.link_path < b.link_path;
                   });
  return out;
}

}  // namespace dci
