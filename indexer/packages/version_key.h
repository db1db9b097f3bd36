// Order-preserving sort keys for package versions: byte strings whose
// memcmp order is the ecosystem's version order, so a version range becomes
// an index range scan in SQLite (BLOB columns compare with memcmp).
//
//   // Every pair of deb versions a, b:
//   //   sign(CompareDebVersions(a, b)) ==
//   //   sign(VersionSortKey(kDeb, a)->compare(*VersionSortKey(kDeb, b)))
//   std::optional<std::string> k = VersionSortKey(Ecosystem::kDeb, "1:2.0-1");
//
// Versions that compare equal get equal keys ("1.0" and "1.00-0" in dpkg's
// order). apk versions, and any version with a digit run of more than 250
// significant digits, have no key (std::nullopt): callers keep such rows out
// of key ranges and compare them one by one. Pure functions; thread-safe.
#ifndef DCI_INDEXER_PACKAGES_VERSION_KEY_H_
#define DCI_INDEXER_PACKAGES_VERSION_KEY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"
#include "indexer/packages/version.h"

namespace dci {

// The key of `full_version` as Package::FullVersion() writes it, under the
// order of CompareDebVersions (deb) or CompareRpmVersions (rpm).
std::optional<std::string> VersionSortKey(Ecosystem ecosystem,
                                          absl::string_view full_version);

// The narrowest inclusive [low, high] of keys holding the key of every
// version that satisfies `range` in `ecosystem`'s order. "!=" terms and
// terms whose version has no key bound nothing; an unset end is open. When
// low > high, no keyed version satisfies the range.
struct VersionKeyBounds {
  std::optional<std::string> low;
  std::optional<std::string> high;
};
VersionKeyBounds KeyBoundsOf(Ecosystem ecosystem, const VersionRange& range);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_VERSION_KEY_H_
