// Reader for apk's installed-packages database (lib/apk/db/installed, the
// apk-tools 2.x text format also kept by apk-tools 3 for compatibility).
//
// A pure function over bytes the caller has read; no file I/O, no logging,
// thread-safe.
//
//   absl::StatusOr<PackageScan> scan = ParseApkInstalled(bytes);
#ifndef DCI_INDEXER_PACKAGES_APK_H_
#define DCI_INDEXER_PACKAGES_APK_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"

namespace dci {

// Reads the records of an installed database: "K:value" lines (a single
// character key), records separated by blank lines (Alpine wiki "Apk
// spec", "Installed Database V2").
//
// Keys used: P name, V version (kept whole, "1.2.3-r4"), A arch, o origin
// (-> source_name), m maintainer, L license, I installed size (bytes),
// F directory and R file in it (-> files, canonical paths; an R before any
// F lies at the root), Z the checksum of the content of the file of the R
// line above it (-> file_digests: "Q1"+base64 or "X1"+hex SHA-1, "Q2" /
// "X2" SHA-256, 32 hex digits MD5; for a symlink apk records the checksum
// of its target, so only regular files can be checked against it). Other
// keys (the package checksum C, dependencies, ACLs, build time, commit,
// ...) are skipped: the package model has no place for them.
//
// Warnings (prefixed "lib/apk/db/installed:line: "): a line that is not
// "K:value", a record without P or V (skipped, as apk itself cannot
// install one), a duplicate P inside a record (a new record is started),
// a file path that would leave the image root, an unreadable I, a Z that
// is not a checksum, follows no R line or repeats one. At most
// 100 warnings are kept, then one line saying how many were dropped.
//
// Fails as a whole (DataLoss) only when non-blank input has no "K:value"
// line at all: the bytes are not an apk database, which reference scanners
// (osv-scalibr) also report as an error rather than as zero packages.
absl::StatusOr<PackageScan> ParseApkInstalled(absl::string_view text);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_APK_H_
