// Readers for dpkg's database: the status file (var/lib/dpkg/status), the
// per-package files distroless images keep instead (var/lib/dpkg/status.d/*,
// same stanza format), and the file lists (var/lib/dpkg/info/*.list).
//
// Pure functions over bytes the caller has read; no file I/O, no logging,
// thread-safe. Image bytes are untrusted: a broken stanza or line becomes a
// warning naming the source path and line number, and every other stanza is
// still read.
//
//   PackageScan scan = ParseDpkgStatus(status_bytes, "var/lib/dpkg/status");
//   DpkgFileLists lists;                      // from var/lib/dpkg/info/
//   lists["bash"] = bash_list_bytes;          // info/bash.list
//   lists["libc6:amd64"] = libc6_list_bytes;  // info/libc6:amd64.list
//   AttachDpkgFileLists(lists, scan);
#ifndef DCI_INDEXER_PACKAGES_DPKG_H_
#define DCI_INDEXER_PACKAGES_DPKG_H_

#include <functional>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"

namespace dci {

// Reads the stanzas (deb822 paragraphs, Debian Policy 5.1) of a dpkg status
// file or of one status.d file, which may hold one or several stanzas.
//
// Which packages are returned: those whose files are on disk, i.e. every
// stanza except those whose Status state (third word) is "not-installed" or
// "config-files" (only conffiles left after a remove). `dpkg-query -W` also
// lists config-files packages; dci leaves them out as the reference
// scanners do (trivy, syft, scalibr, claircore). A stanza without a Status
// field counts as installed: distroless status.d files have none.
//
// Fields read (names case-insensitive, as dpkg treats them): Package,
// Version (split into epoch / upstream / revision), Architecture, Source
// ("name" or "name (version)"; when absent, or without a version, the
// binary package's name and version, as dpkg-query's ${source:Package} and
// ${source:Version} report), Status, Maintainer, Installed-Size (KiB,
// stored in bytes), Conffiles (" /path md5 [obsolete]" lines).
//
// Accepted: CRLF line ends, a missing final newline, '#' comment lines,
// blank lines made of spaces or tabs. Warnings (prefixed with
// "source_path:line: "): a line that is not "Name: value", a stanza
// without a Package value, a duplicate field, an unreadable Status or
// Installed-Size, a bad conffile line. At most kMaxDpkgWarnings warnings
// are kept, then one line saying how many were dropped.
PackageScan ParseDpkgStatus(absl::string_view text,
                            absl::string_view source_path);

// Warnings kept per call before the rest are only counted.
inline constexpr int kMaxDpkgWarnings = 100;

// Contents of var/lib/dpkg/info/*.list files, keyed by the file name without
// the ".list" suffix: "bash", or "libc6:amd64" for Multi-Arch: same
// packages, which dpkg names NAME:ARCH.list.
using DpkgFileLists = std::map<std::string, std::string, std::less<>>;

// Fills `files` of every deb package in `scan` from its list: "NAME:ARCH"
// first, then "NAME" (the name dpkg uses for all other packages). Paths are
// stored canonical (no leading '/'); the root entry "/." is skipped, as
// are empty lines. A path that would leave the image root (a ".."
// component, a NUL byte) is skipped with a warning. A package without a
// list keeps its files empty, silently: images often delete info/.
void AttachDpkgFileLists(const DpkgFileLists& lists, PackageScan& scan);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_DPKG_H_
