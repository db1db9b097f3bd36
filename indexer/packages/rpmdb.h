// Readers for the three on-disk formats of the RPM package database. Each
// takes the whole database file's bytes (the caller reads it out of the
// image) and returns the installed packages, one per header blob, parsed by
// ParseRpmHeader.
//
//   - ReadRpmBdb: BerkeleyDB hash database `Packages` (rpm < 4.16; RHEL/CentOS
//     <= 8, Amazon Linux 2, SLES < 15.3), either byte order, any page size.
//   - ReadRpmNdb: rpm's own "ndb" `Packages.db` (SUSE since SLES 15 SP3).
//   - ReadRpmSqlite: `rpmdb.sqlite` (rpm >= 4.16: Fedora 33+, RHEL 9),
//     opened from memory read-only.
//
// The bytes are untrusted: a corrupt page, slot or header becomes a warning
// naming it and the readers carry on with the rest; input that is not a
// database at all gives a warning and no packages. Work and memory are
// bounded by the input size; there is no I/O, no logging, and nothing is
// cached between calls, so the functions are thread-safe.
//
//   std::string bytes = ...;  // var/lib/rpm/Packages from the image
//   PackageScan scan = ReadRpmBdb(bytes);
//   for (const Package& p : scan.packages) { ... }
#ifndef DCI_INDEXER_PACKAGES_RPMDB_H_
#define DCI_INDEXER_PACKAGES_RPMDB_H_

#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"

namespace dci {

// Packages from a BerkeleyDB hash `Packages` file.
PackageScan ReadRpmBdb(absl::string_view bytes);

// Packages from an NDB `Packages.db` file.
PackageScan ReadRpmNdb(absl::string_view bytes);

// Packages from an `rpmdb.sqlite` main database file. Only what has been
// checkpointed into the main file is read: a `-wal` file beside it is not
// consulted (rpm checkpoints when it closes the database).
PackageScan ReadRpmSqlite(absl::string_view bytes);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_RPMDB_H_
