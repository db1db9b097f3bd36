#include "indexer/packages/version.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dci {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Compares two runs of decimal digits as numbers of any length, so a
// 20-digit date stamp in a version neither overflows nor wraps.
int CompareDigitRuns(absl::string_view a, absl::string_view b) {
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return Sign(a.compare(b));
}

// ------------------------------------------------------------------- deb

// Sort weight of the character at `i` inside a non-digit run (deb-version(7)):
// '~' sorts before the end of the run, letters before all other characters.
// The end of the string and the start of a digit run weigh 0.
int DebWeight(absl::string_view s, size_t i) {
  if (i >= s.size() || IsDigit(s[i])) return 0;
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '~') return -1;
  if (IsAlpha(static_cast<char>(c))) return c;
  return c + 256;
}

// dpkg's verrevcmp(): alternating non-digit and digit runs.
int CompareDebPart(absl::string_view a, absl::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    // Non-digit run, character by character. Equal non-zero weights mean
    // both sides are on a non-digit character, so both advance.
    while ((i < a.size() && !IsDigit(a[i])) ||
           (j < b.size() && !IsDigit(b[j]))) {
      const int wa = DebWeight(a, i);
      const int wb = DebWeight(b, j);
      if (wa != wb) return wa < wb ? -1 : 1;
      ++i;
      ++j;
    }
    // Digit run, as a number (an absent run counts as 0).
    size_t ei = i;
    while (ei < a.size() && IsDigit(a[ei])) ++ei;
    size_t ej = j;
    while (ej < b.size() && IsDigit(b[ej])) ++ej;
    const int c = CompareDigitRuns(a.substr(i, ei - i), b.substr(j, ej - j));
    if (c != 0) return c;
    i = ei;
    j = ej;
  }
  return 0;
}

// ------------------------------------------------------------------- apk

// The parts of an apk version in the order they may follow each other
// ("N{.N}[a-z]{_suffix[N]}[~hash][-rN]"). Where two versions first differ
// in the kind of part, the lower kind is the more significant one.
enum class ApkPart {
  kFirstNumber,
  kNumber,  // a component after '.'
  kLetter,
  kSuffix,
  kSuffixNumber,
  kCommitHash,  // "~" and hex digits
  kRevision,    // "-r" and digits
  kEnd,
  kInvalid,  // text outside the syntax: sorts below everything
};

// Suffix ranks: pre-releases below zero (no suffix), post-releases above.
struct SuffixRank {
  absl::string_view name;
  int rank;
};
constexpr SuffixRank kSuffixRanks[] = {
    {"alpha", -4}, {"beta", -3}, {"pre", -2}, {"rc", -1}, {"cvs", 1},
    {"svn", 2},    {"git", 3},   {"hg", 4},   {"p", 5},
};

bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Byte order, a prefix first: the order apk uses for text parts.
int CompareBytes(absl::string_view a, absl::string_view b) {
  return Sign(a.compare(b));
}

// Walks an apk version one part at a time: part() and text() describe the
// current part, Advance() moves to the next one.
class ApkVersionReader {
 public:
  explicit ApkVersionReader(absl::string_view v) : rest_(v) {
    part_ = ApkPart::kFirstNumber;
    TakeDigits();
  }

  ApkPart part() const { return part_; }
  absl::string_view text() const { return text_; }
  int suffix_rank() const { return suffix_rank_; }

  void Advance() {
    if (part_ == ApkPart::kEnd || part_ == ApkPart::kInvalid) return;
    if (rest_.empty()) {
      part_ = ApkPart::kEnd;
      return;
    }
    const char c = rest_.front();
    const bool after_number =
        part_ == ApkPart::kFirstNumber || part_ == ApkPart::kNumber;
    if (IsLower(c) && after_number) {
      part_ = ApkPart::kLetter;
      text_ = rest_.substr(0, 1);
      rest_.remove_prefix(1);
    } else if (c == '.' && after_number) {
      rest_.remove_prefix(1);
      part_ = ApkPart::kNumber;
      TakeDigits();
    } else if (IsDigit(c) && part_ == ApkPart::kSuffix) {
      part_ = ApkPart::kSuffixNumber;
      TakeDigits();
    } else if (c == '_' && part_ <= ApkPart::kSuffixNumber) {
      rest_.remove_prefix(1);
      size_t n = 0;
      while (n < rest_.size() && IsLower(rest_[n])) ++n;
      text_ = rest_.substr(0, n);
      rest_.remove_prefix(n);
      part_ = ApkPart::kInvalid;
      for (const SuffixRank& s : kSuffixRanks) {
        if (text_ == s.name) {
          part_ = ApkPart::kSuffix;
          suffix_rank_ = s.rank;
        }
      }
    } else if (c == '~' && part_ < ApkPart::kCommitHash) {
      rest_.remove_prefix(1);
      size_t n = 0;
      while (n < rest_.size() && IsHexDigit(rest_[n])) ++n;
      text_ = rest_.substr(0, n);
      rest_.remove_prefix(n);
      part_ = n == 0 ? ApkPart::kInvalid : ApkPart::kCommitHash;
    } else if (c == '-' && part_ < ApkPart::kRevision &&
               absl::StartsWith(rest_, "-r")) {
      rest_.remove_prefix(2);
      part_ = ApkPart::kRevision;
      TakeDigits();
    } else {
      part_ = ApkPart::kInvalid;
    }
  }

 private:
  // Reads the digits of a numeric part; none at all breaks the syntax.
  void TakeDigits() {
    size_t n = 0;
    while (n < rest_.size() && IsDigit(rest_[n])) ++n;
    text_ = rest_.substr(0, n);
    rest_.remove_prefix(n);
    if (n == 0) part_ = ApkPart::kInvalid;
  }

  absl::string_view rest_;
  ApkPart part_;
  absl::string_view text_;
  int suffix_rank_ = 0;
};

// Compares two parts of the same kind.
int CompareApkParts(const ApkVersionReader& a, const ApkVersionReader& b) {
  switch (a.part()) {
    case ApkPart::kNumber:
      // A component after '.' with a leading zero compares as text, like a
      // decimal fraction (Gentoo's rule): "1.02" < "1.1", "1.012" < "1.02".
      if (a.text().front() == '0' || b.text().front() == '0') {
        return CompareBytes(a.text(), b.text());
      }
      return CompareDigitRuns(a.text(), b.text());
    case ApkPart::kFirstNumber:
    case ApkPart::kSuffixNumber:
    case ApkPart::kRevision:
      return CompareDigitRuns(a.text(), b.text());
    case ApkPart::kSuffix:
      return a.suffix_rank() == b.suffix_rank()
                 ? 0
                 : (a.suffix_rank() < b.suffix_rank() ? -1 : 1);
    case ApkPart::kLetter:
    case ApkPart::kCommitHash:
      return CompareBytes(a.text(), b.text());
    case ApkPart::kEnd:
    case ApkPart::kInvalid:
      return 0;
  }
  return 0;
}

// ---------------------------------------------------------------- ranges

struct OpSpelling {
  absl::string_view text;
  VersionOp op;
};
// Longest spellings first so ">=" is not read as ">" followed by "=1".
constexpr OpSpelling kOps[] = {
    {">=", VersionOp::kGreaterEqual}, {"<=", VersionOp::kLessEqual},
    {"!=", VersionOp::kNotEqual},     {"==", VersionOp::kEqual},
    {"<<", VersionOp::kLess},         {">>", VersionOp::kGreater},
    {">", VersionOp::kGreater},       {"<", VersionOp::kLess},
    {"=", VersionOp::kEqual},
};

absl::string_view OpText(VersionOp op) {
  switch (op) {
    case VersionOp::kLess:
      return "<";
    case VersionOp::kLessEqual:
      return "<=";
    case VersionOp::kEqual:
      return "=";
    case VersionOp::kNotEqual:
      return "!=";
    case VersionOp::kGreaterEqual:
      return ">=";
    case VersionOp::kGreater:
      return ">";
  }
  return "?";
}

}  // namespace

DebVersion SplitDebVersion(absl::string_view version) {
  DebVersion v;
  absl::string_view rest = TrimBlanks(version);
  const size_t colon = rest.find(':');
  if (colon != absl::string_view::npos && colon > 0) {
    absl::string_view epoch = rest.substr(0, colon);
    bool digits = true;
    for (char c : epoch) digits = digits && IsDigit(c);
    if (digits) {
      v.epoch = epoch;
      rest.remove_prefix(colon + 1);
    }
  }
  const size_t dash = rest.rfind('-');
  if (dash != absl::string_view::npos) {
    v.upstream = rest.substr(0, dash);
    v.revision = rest.substr(dash + 1);
  } else {
    v.upstream = rest;
  }
  return v;
}

int CompareDebVersions(absl::string_view a, absl::string_view b) {
  const DebVersion va = SplitDebVersion(a);
  const DebVersion vb = SplitDebVersion(b);
  int c = CompareDigitRuns(va.epoch, vb.epoch);
  if (c != 0) return c;
  c = CompareDebPart(va.upstream, vb.upstream);
  if (c != 0) return c;
  return CompareDebPart(va.revision, vb.revision);
}

int CompareApkVersions(absl::string_view a, absl::string_view b) {
  ApkVersionReader ra(a);
  ApkVersionReader rb(b);
  while (ra.part() == rb.part() && ra.part() < ApkPart::kEnd) {
    const int c = CompareApkParts(ra, rb);
    if (c != 0) return c;
    ra.Advance();
    rb.Advance();
  }
  // Both ended, or both broke the syntax at the same place: equal, as apk
  // says.
  if (ra.part() == rb.part()) return 0;
  // Equal so far, then different kinds of part: a pre-release suffix makes
  // its version the older one; otherwise the more significant part (lower
  // ApkPart) makes its version the newer one.
  if (ra.part() == ApkPart::kSuffix && ra.suffix_rank() < 0) return -1;
  if (rb.part() == ApkPart::kSuffix && rb.suffix_rank() < 0) return 1;
  return ra.part() < rb.part() ? 1 : -1;
}

absl::StatusOr<VersionRange> ParseVersionRange(absl::string_view text) {
  VersionRange range;
  if (TrimBlanks(text).empty()) {
    return absl::InvalidArgumentError("empty version range");
  }
  for (absl::string_view term : absl::StrSplit(text, ',')) {
    term = TrimBlanks(term);
    if (term.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("version range \"", text, "\": empty term"));
    }
    VersionConstraint constraint;
    for (const OpSpelling& s : kOps) {
      if (absl::ConsumePrefix(&term, s.text)) {
        constraint.op = s.op;
        break;
      }
    }
    term = TrimBlanks(term);
    if (term.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "version range \"", text, "\": operator without a version"));
    }
    if (term.front() == '<' || term.front() == '>' || term.front() == '=' ||
        term.front() == '!') {
      return absl::InvalidArgumentError(absl::StrCat(
          "version range \"", text, "\": unknown operator in \"", term, "\""));
    }
    for (char c : term) {
      if (IsBlank(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("version range \"", text,
                         "\": blank inside version \"", term, "\""));
      }
    }
    constraint.version = std::string(term);
    range.constraints.push_back(std::move(constraint));
  }
  return range;
}

std::string VersionRangeToString(const VersionRange& range) {
  std::string out;
  for (const VersionConstraint& c : range.constraints) {
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, OpText(c.op), c.version);
  }
  return out;
}

bool Matches(const VersionRange& range, absl::string_view version,
             VersionCompareFn compare) {
  for (const VersionConstraint& c : range.constraints) {
    const int r = compare(version, c.version);
    bool ok = false;
    switch (c.op) {
      case VersionOp::kLess:
        ok = r < 0;
        break;
      case VersionOp::kLessEqual:
        ok = r <= 0;
        break;
      case VersionOp::kEqual:
        ok = r == 0;
        break;
      case VersionOp::kNotEqual:
        ok = r != 0;
        break;
      case VersionOp::kGreaterEqual:
        ok = r >= 0;
        break;
      case VersionOp::kGreater:
        ok = r > 0;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace dci
