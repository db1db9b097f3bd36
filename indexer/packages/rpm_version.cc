#include "indexer/packages/rpm_version.h"

#include <optional>

namespace dci {
namespace {

// rpm uses its own locale-independent risdigit / risalpha (rpmstring.h):
// ASCII only, so bytes >= 0x80 are separators.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

}  // namespace

int RpmVerCmp(absl::string_view a, absl::string_view b) {
  if (a == b) return 0;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    // Skip separators: anything but letters, digits, '~' and '^'.
    while (i < a.size() && !IsAlnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !IsAlnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    const bool a_end = i == a.size();
    const bool b_end = j == b.size();

    // '~' sorts before everything, the end of the string included.
    const bool a_tilde = !a_end && a[i] == '~';
    const bool b_tilde = !b_end && b[j] == '~';
    if (a_tilde || b_tilde) {
      if (!a_tilde) return 1;
      if (!b_tilde) return -1;
      ++i;
      ++j;
      continue;
    }
    // '^' sorts after the end of the string but before anything else.
    const bool a_caret = !a_end && a[i] == '^';
    const bool b_caret = !b_end && b[j] == '^';
    if (a_caret || b_caret) {
      if (a_end) return -1;
      if (b_end) return 1;
      if (!a_caret) return 1;
      if (!b_caret) return -1;
      ++i;
      ++j;
      continue;
    }
    if (a_end || b_end) break;

    // One run of digits or of letters, typed by a's first character.
    const bool numeric = IsDigit(a[i]);
    auto in_run = numeric ? IsDigit : IsAlpha;
    size_t ie = i;
    size_t je = j;
    while (ie < a.size() && in_run(a[ie])) ++ie;
    while (je < b.size() && in_run(b[je])) ++je;
    // b has a run of the other type here: digits are newer than letters.
    if (je == j) return numeric ? 1 : -1;

    absl::string_view ra = a.substr(i, ie - i);
    absl::string_view rb = b.substr(j, je - j);
    if (numeric) {
      while (ra.size() > 1 && ra[0] == '0') ra.remove_prefix(1);
      while (rb.size() > 1 && rb[0] == '0') rb.remove_prefix(1);
      if (ra.size() != rb.size()) return ra.size() > rb.size() ? 1 : -1;
    }
    const int rc = ra.compare(rb);
    if (rc != 0) return Sign(rc);
    i = ie;
    j = je;
  }
  // All runs matched; only separators may differ. The side with characters
  // left over is newer.
  const bool a_left = i < a.size();
  const bool b_left = j < b.size();
  if (!a_left && !b_left) return 0;
  return a_left ? 1 : -1;
}

RpmEvr SplitRpmEvr(absl::string_view s) {
  RpmEvr evr;
  size_t digits = 0;
  while (digits < s.size() && IsDigit(s[digits])) ++digits;
  absl::string_view rest = s;
  if (digits < s.size() && s[digits] == ':') {
    evr.epoch = s.substr(0, digits);
    if (evr.epoch->empty()) evr.epoch = "0";
    rest = s.substr(digits + 1);
  }
  // The release starts after the last '-' (rpm searches from after the
  // epoch digits, so a '-' can never end up inside the epoch).
  const size_t dash = rest.rfind('-');
  if (dash != absl::string_view::npos) {
    evr.version = rest.substr(0, dash);
    evr.release = rest.substr(dash + 1);
  } else {
    evr.version = rest;
  }
  return evr;
}

int CompareRpmVersions(absl::string_view a, absl::string_view b) {
  const RpmEvr ea = SplitRpmEvr(a);
  const RpmEvr eb = SplitRpmEvr(b);
  int rc = RpmVerCmp(ea.epoch.value_or("0"), eb.epoch.value_or("0"));
  if (rc != 0) return rc;
  rc = RpmVerCmp(ea.version, eb.version);
  if (rc != 0) return rc;
  // rpm lib/rpmver.c compare_values: a missing release sorts before any
  // release, the empty one included.
  if (ea.release.has_value() != eb.release.has_value()) {
    return ea.release.has_value() ? 1 : -1;
  }
  return ea.release.has_value() ? RpmVerCmp(*ea.release, *eb.release) : 0;
}

}  // namespace dci
