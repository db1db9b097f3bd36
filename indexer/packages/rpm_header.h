// One installed package's RPM header, as the RPM database stores it.
//
// Every rpm database backend (BerkeleyDB `Packages`, NDB `Packages.db`,
// `rpmdb.sqlite`) keeps one header blob per installed package in the
// "header without lead or signature" form (rpm doc/manual/format.md,
// "Header"; lib/header.c headerImport): two big-endian int32s (index entry
// count `il`, data store length `dl`), then `il` 16-byte index entries
// (tag, type, offset, count; all big-endian), then `dl` bytes of data.
//
// The blob is untrusted image content: every count, offset and string is
// checked against the blob before it is read, and an impossible value makes
// the whole header a DataLoss error (the database readers turn it into a
// warning naming the record and go on with the next one).
//
//   std::vector<std::string> notes;
//   absl::StatusOr<Package> pkg = ParseRpmHeader(blob, &notes);
//   if (!pkg.ok()) { /* warn: record N: pkg.status().message() */ }
//
// Pure function of its input; thread-safe.
#ifndef DCI_INDEXER_PACKAGES_RPM_HEADER_H_
#define DCI_INDEXER_PACKAGES_RPM_HEADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/packages/package.h"

namespace dci {

// Largest header blob accepted (rpm's own limit for the data store,
// lib/header_internal.h hdrchkData: 256 MiB).
inline constexpr size_t kMaxRpmHeaderBytes = size_t{256} << 20;

// Parses one header blob into a Package (ecosystem kRpm) with name, epoch
// ("" when the header has no EPOCH), version, release, arch ("" when absent,
// as for gpg-pubkey pseudo-packages, which are kept: `rpm -qa` lists them),
// source_name / source_version from SOURCERPM ("bash-5.1-2.src.rpm" ->
// "bash", "5.1-2"), license, maintainer (PACKAGER, else VENDOR),
// installed_size (LONGSIZE, else SIZE), files (canonical: no leading '/'; the
// root directory "/" is ""), config_files (RPMFILE_CONFIG files with
// their FILEDIGESTS entry and FILEDIGESTALGO's name; md5 when the header has
// no FILEDIGESTALGO, as rpm assumes), and file_digests: the FILEDIGESTS
// entry of every file `rpm -V` hashes (rpm lib/verify.c): not a directory
// or symlink by FILEMODES, not RPMFILE_GHOST, FILESTATES normal (not
// replaced, not installed, netshared or wrong color), FILEVERIFYFLAGS with
// RPMVERIFY_FILEDIGEST, and a digest of the algorithm's length in hex.
//
// Errors: DataLoss for a blob that is not a well-formed header (sizes,
// counts, offsets, alignment, unterminated strings, a bad region trailer, a
// missing NAME/VERSION/RELEASE, a required tag with the wrong type, file
// arrays whose counts disagree). Non-fatal findings (a file path that would
// escape the root, an unknown digest algorithm, digests that are not hex of
// the algorithm's length) are appended to `notes` when
// it is not null, and the rest of the header is used.
absl::StatusOr<Package> ParseRpmHeader(
    absl::string_view blob, std::vector<std::string>* notes = nullptr);

// Name of an OpenPGP hash algorithm number as rpm records it in
// FILEDIGESTALGO (RFC 4880 section 9.4): 1 "md5", 2 "sha1", 8 "sha256",
// 9 "sha384", 10 "sha512", 11 "sha224"; "" for any other number.
absl::string_view RpmDigestAlgorithmName(unsigned int algo);

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_RPM_HEADER_H_
