// RPM's version order: rpmvercmp for one version or release string, and the
// epoch:version-release comparison rpm applies to whole EVRs.
//
//   RpmVerCmp("1.0~rc1", "1.0") < 0    // '~' sorts before the end
//   RpmVerCmp("1.0^git1", "1.0") > 0   // '^' sorts after the end
//   CompareRpmVersions("1:1.0-1", "2.0-1") > 0   // epoch first
//
// Pure functions; thread-safe.
#ifndef DCI_INDEXER_PACKAGES_RPM_VERSION_H_
#define DCI_INDEXER_PACKAGES_RPM_VERSION_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace dci {

// rpm's rpmvercmp (rpm lib/rpmvercmp.c) on one version or release string:
// -1, 0 or 1. The strings are split into maximal runs of ASCII digits or
// ASCII letters; everything else separates runs and is otherwise ignored,
// except '~' (sorts before anything, even the end of the string) and '^'
// (sorts after the end of the string but before any further run). Runs
// compare numerically when both are digits (leading zeros ignored), by byte
// order when both are letters, and a digit run is newer than a letter run.
// When every run matched, the string with something left over is newer.
int RpmVerCmp(absl::string_view a, absl::string_view b);

// An "[epoch:]version[-release]" string split as rpm lib/rpmds.c parseEVR
// does: the epoch is the leading digits before ':' (an empty one is "0"),
// the release follows the last '-'. Views point into the string given.
struct RpmEvr {
  std::optional<absl::string_view> epoch;  // absent: no ':'
  absl::string_view version;
  std::optional<absl::string_view> release;  // absent: no '-'
};
RpmEvr SplitRpmEvr(absl::string_view evr);

// Compares two "[epoch:]version[-release]" strings as rpm orders EVRs
// (rpm lib/rpmver.c rpmverCmp, with rpmds.c parseEVR's split: the epoch is
// the leading digits before ':', the release follows the last '-'): epochs
// first (a missing epoch is 0), then versions, then releases with
// RpmVerCmp, where a missing release sorts before any release ("1.0" <
// "1.0-5"). This is a total order. Note that rpm's dependency matching
// (rpmverOverlap) is looser: there a side without a release matches any
// release, so "<= 1.0" is satisfied by 1.0-5; a range matcher that wants
// rpm's dependency semantics must drop the release itself.
// Returns -1, 0 or 1.
int CompareRpmVersions(absl::string_view a, absl::string_view b);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_RPM_VERSION_H_
