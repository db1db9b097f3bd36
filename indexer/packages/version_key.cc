#include "indexer/packages/version_key.h"

#include <vector>

#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"

namespace dci {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr size_t kMaxDigits = 250;

// A run of decimal digits as a number: its count of significant digits in
// one byte, then those digits. Longer numbers sort after shorter ones,
// equal lengths by digits; leading zeros vanish ("007" == "7", "0" == "").
bool AppendNumber(absl::string_view digits, std::string* out) {
  while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > kMaxDigits) return false;
  out->push_back(static_cast<char>(digits.size()));
  out->append(digits.data(), digits.size());
  return true;
}

// ------------------------------------------------------------------- deb
//
// dpkg's verrevcmp() compares a string as a sequence of (non-digit run,
// number) pairs, padding the shorter side with ("", 0). Only the first pair
// can have an empty non-digit run. A pair is written as the weights of its
// non-digit characters, kDebRunEnd, then the number; a string ends with
// kDebEnd, which sorts exactly as the padding would against whatever the
// other string has there.
constexpr char kDebTilde = 0x01;   // '~': before the end of a run
constexpr char kDebRunEnd = 0x02;  // end of a non-digit run
// Letters weigh their ASCII code (0x41..0x7a); every other character is
// 0xfe followed by its byte, after all letters.
constexpr char kDebOther = static_cast<char>(0xfe);
const char kDebEnd[] = {kDebRunEnd, 0x00, kDebRunEnd};

bool AppendDebPart(absl::string_view s, std::string* out) {
  // A lone ("", 0) pair ("", "0", "000") equals the padding: nothing.
  bool all_zero = true;
  for (char c : s) all_zero = all_zero && c == '0';
  if (!all_zero) {
    size_t i = 0;
    while (i < s.size()) {
      for (; i < s.size() && !IsDigit(s[i]); ++i) {
        if (s[i] == '~') {
          out->push_back(kDebTilde);
        } else if (IsAlpha(s[i])) {
          out->push_back(s[i]);
        } else {
          out->push_back(kDebOther);
          out->push_back(s[i]);
        }
      }
      out->push_back(kDebRunEnd);
      size_t e = i;
      while (e < s.size() && IsDigit(s[e])) ++e;
      if (!AppendNumber(s.substr(i, e - i), out)) return false;
      i = e;
    }
  }
  out->append(kDebEnd, sizeof(kDebEnd));
  return true;
}

std::optional<std::string> DebKey(absl::string_view full) {
  const DebVersion v = SplitDebVersion(full);
  std::string key;
  if (!AppendNumber(v.epoch, &key) || !AppendDebPart(v.upstream, &key) ||
      !AppendDebPart(v.revision, &key)) {
    return std::nullopt;
  }
  return key;
}

// ------------------------------------------------------------------- rpm
//
// rpmvercmp() skips separators and compares tokens: '~' < end of string <
// '^' < a run of letters < a run of digits. Each token is written as its
// tag, letters runs then their bytes and a 0x00, digit runs as a number.
constexpr char kRpmTilde = 0x01;
constexpr char kRpmEnd = 0x02;
constexpr char kRpmCaret = 0x03;
constexpr char kRpmAlpha = 0x04;
constexpr char kRpmNumber = 0x05;
// A missing release sorts before any release, the empty one included.
constexpr char kRpmNoRelease = 0x01;
constexpr char kRpmRelease = 0x02;

bool AppendRpmPart(absl::string_view s, std::string* out) {
  size_t i = 0;
  for (;;) {
    while (i < s.size() && !IsDigit(s[i]) && !IsAlpha(s[i]) && s[i] != '~' &&
           s[i] != '^') {
      ++i;
    }
    if (i == s.size()) break;
    if (s[i] == '~' || s[i] == '^') {
      out->push_back(s[i] == '~' ? kRpmTilde : kRpmCaret);
      ++i;
      continue;
    }
    size_t e = i;
    if (IsDigit(s[i])) {
      while (e < s.size() && IsDigit(s[e])) ++e;
      out->push_back(kRpmNumber);
      if (!AppendNumber(s.substr(i, e - i), out)) return false;
    } else {
      while (e < s.size() && IsAlpha(s[e])) ++e;
      out->push_back(kRpmAlpha);
      out->append(s.data() + i, e - i);
      out->push_back('\0');
    }
    i = e;
  }
  out->push_back(kRpmEnd);
  return true;
}

std::optional<std::string> RpmKey(absl::string_view full) {
  const RpmEvr evr = SplitRpmEvr(full);
  std::string key;
  if (!AppendNumber(evr.epoch.value_or("0"), &key) ||
      !AppendRpmPart(evr.version, &key)) {
    return std::nullopt;
  }
  if (!evr.release.has_value()) {
    key.push_back(kRpmNoRelease);
    return key;
  }
  key.push_back(kRpmRelease);
  if (!AppendRpmPart(*evr.release, &key)) return std::nullopt;
  return key;
}

}  // namespace

std::optional<std::string> VersionSortKey(Ecosystem ecosystem,
                                          absl::string_view full_version) {
  switch (ecosystem) {
    case Ecosystem::kDeb:
      return DebKey(full_version);
    case Ecosystem::kRpm:
      return RpmKey(full_version);
    case Ecosystem::kApk:
      return std::nullopt;
  }
  return std::nullopt;
}

VersionKeyBounds KeyBoundsOf(Ecosystem ecosystem, const VersionRange& range) {
  VersionKeyBounds b;
  for (const VersionConstraint& c : range.constraints) {
    if (c.op == VersionOp::kNotEqual) continue;
    std::optional<std::string> key = VersionSortKey(ecosystem, c.version);
    if (!key) continue;
    const bool lower = c.op == VersionOp::kGreater ||
                       c.op == VersionOp::kGreaterEqual ||
                       c.op == VersionOp::kEqual;
    const bool upper = c.op == VersionOp::kLess ||
                       c.op == VersionOp::kLessEqual ||
                       c.op == VersionOp::kEqual;
    if (lower && (!b.low || *key > *b.low)) b.low = *key;
    if (upper && (!b.high || *key < *b.high)) b.high = *key;
  }
  return b;
}

}  // namespace dci
