// Version order for deb and apk packages, and version ranges ("who-has
// --version '>=1.0.1,<1.0.1g'") evaluated with whichever order a package's
// ecosystem uses.
//
// Every comparator has the shape of VersionCompareFn, so the RPM order
// (CompareRpmVersions in rpm_version.h) plugs into Matches() the same way:
//
//   DCI_ASSIGN_OR_RETURN(VersionRange range, ParseVersionRange(">=1:2.0,<3"));
//   bool hit = Matches(range, pkg.FullVersion(), &CompareDebVersions);
//
// All functions are pure and thread-safe. They never fail on odd input: a
// version string that breaks the ecosystem's syntax still gets a
// deterministic place in the order (documented per comparator), because
// image databases are untrusted and a query must not abort on one bad row.
#ifndef DCI_INDEXER_PACKAGES_VERSION_H_
#define DCI_INDEXER_PACKAGES_VERSION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

// Returns <0, 0 or >0 as `a` sorts before, equal to or after `b`.
using VersionCompareFn = int (*)(absl::string_view a, absl::string_view b);

// A Debian version "[epoch:]upstream[-revision]" split as dpkg's
// parseversion() does (deb-version(7)): the epoch is everything before the
// first ':', the revision everything after the last '-'. Leading and
// trailing blanks are ignored. Views point into the string given to
// SplitDebVersion. An epoch that is not all digits is not treated as an
// epoch: the whole prefix then stays in `upstream` (dpkg would reject the
// version; dci keeps the text).
struct DebVersion {
  absl::string_view epoch;  // "" when absent
  absl::string_view upstream;
  absl::string_view revision;  // "" when absent
};
DebVersion SplitDebVersion(absl::string_view version);

// dpkg's order (deb-version(7), dpkg lib/dpkg/version.c): epochs compare
// numerically (absent = 0); then upstream and revision each with the
// "verrevcmp" rule: alternate non-digit runs, compared character by
// character with '~' before everything (even the end of the string),
// then letters, then other characters, and digit runs compared as numbers.
// "1.0" equals "1.0-0" and "0:1.0".
int CompareDebVersions(absl::string_view a, absl::string_view b);

// apk-tools' order (apk-tools src/version.c; the format is
// "N{.N}[a-z]{_suffix[N]}[~hash][-rN]", Alpine wiki "APKBUILD Reference",
// pkgver), compared part by part:
//   - the first number numerically; a later '.' component numerically,
//     unless either side starts with '0': then as text, like a decimal
//     fraction ("1.02" < "1.1", "1.012" < "1.02");
//   - a single lowercase letter after the numbers ("1.2a" > "1.2");
//   - suffixes _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git <
//     _hg < _p, each with an optional number, possibly several in a row;
//   - "~hash" (a commit), as text; then "-rN", the package revision.
// When one version has more parts, it is the newer unless its next part is
// a pre-release suffix ("1.2.1" > "1.2", "1.2_rc1" < "1.2", "1.2-r1" >
// "1.2"). Text outside the syntax stops the comparison there and sorts
// below anything else ("1.0-foo" < "1.0"); two versions broken at the same
// place after equal parts compare equal, as in apk.
int CompareApkVersions(absl::string_view a, absl::string_view b);

enum class VersionOp {
  kLess,
  kLessEqual,
  kEqual,
  kNotEqual,
  kGreaterEqual,
  kGreater
};

// One "op version" term of a range.
struct VersionConstraint {
  VersionOp op = VersionOp::kEqual;
  std::string version;
};

// A conjunction of constraints: a version is in the range when it satisfies
// every one. Written as "op version[,op version...]" with op one of
// >=, >, <=, <, =, != (also ==, and dpkg's << and >> as < and >); a term
// without an operator means "=". Blanks around terms and operators are
// ignored.
struct VersionRange {
  std::vector<VersionConstraint> constraints;
};

// Parses ">=1.0.1,<1.0.1g". InvalidArgument for an empty range, an empty
// term (",,"), an operator without a version, an unknown operator ("=<"),
// or a version containing a blank.
absl::StatusOr<VersionRange> ParseVersionRange(absl::string_view text);

// The range written back in canonical form (">=1.0.1,<1.0.1g").
std::string VersionRangeToString(const VersionRange& range);

// True if `version` satisfies every constraint of `range` under `compare`.
bool Matches(const VersionRange& range, absl::string_view version,
             VersionCompareFn compare);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_VERSION_H_
