// The operating system an image says it is: os-release(5), read from
// etc/os-release or usr/lib/os-release inside the image.
#ifndef DCI_INDEXER_SYSTEM_OS_RELEASE_H_
#define DCI_INDEXER_SYSTEM_OS_RELEASE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/system/image_path.h"

namespace dci {

// The fields of one os-release file. A field the file does not set is "";
// os-release(5)'s defaults for absent fields (ID=linux, NAME=Linux,
// PRETTY_NAME=Linux) are left to whoever displays them, so that "not set"
// stays visible. Plain value, no invariants beyond the comments.
struct OsRelease {
  std::string id;                // ID, e.g. "debian"
  std::string id_like;           // ID_LIKE as written: space-separated IDs
  std::string name;              // NAME
  std::string pretty_name;       // PRETTY_NAME
  std::string version;           // VERSION
  std::string version_id;        // VERSION_ID
  std::string version_codename;  // VERSION_CODENAME
  std::string home_url;          // HOME_URL
  // Every other assignment, by key (SUPPORT_URL, BUILD_ID, VARIANT_ID,
  // vendor extensions, ...).
  std::map<std::string, std::string> other;
  // Lines that were not valid assignments, each naming its line number.
  std::vector<std::string> warnings;
};

// Parses os-release content. Never fails: what cannot be read becomes a
// warning and the rest is kept.
//
// The grammar is the one systemd's own reader uses (parse_env_file() in
// src/basic/env-file.c, which hostnamectl and friends read os-release with);
// for files that follow os-release(5) it gives what `. /etc/os-release` in
// sh gives:
//   - Lines are KEY=value. Blank lines and lines whose first non-blank
//     character is '#' or ';' are ignored. Whitespace around the key and
//     before the value is dropped. A later assignment of a key wins.
//   - "..." quotes: backslash before one of  " \ ` $  gives that character,
//     backslash-newline is removed (a continuation), any other backslash is
//     kept with the character after it. No variable expansion.
//   - '...' quotes: everything literal up to the next '.
//   - Unquoted text: a backslash takes the next character literally
//     (backslash-newline is a continuation); trailing whitespace is dropped.
//   - Quoted and unquoted pieces written next to each other are joined, as
//     in the shell ("a"'b'c is "abc"); os-release(5) says files must not rely
//     on this. Unlike the shell, an unquoted value runs to the end of the
//     line: A=b c is "b c" and A=b # c is "b # c" (systemd's reading).
//   - Line breaks are '\n'; a '\r' outside quotes also ends a line, so
//     CRLF files read as expected.
// Warnings (the assignment is skipped unless said otherwise): a line with no
// '='; a key that is not [A-Za-z_][A-Za-z0-9_]*; invalid UTF-8 in a key or
// value (systemd drops those too); a quote still open at the end of the file
// (kept, as systemd does); a NUL byte (the rest of the file is ignored, as
// systemd reads up to the first NUL).
OsRelease ParseOsRelease(absl::string_view content);

// Finds the os-release file to read, following os-release(5): etc/os-release
// if it exists, else usr/lib/os-release; symlinks are followed inside the
// image (see ResolveInImage). Returns the canonical path to read, e.g.
// "usr/lib/os-release" when etc/os-release is a link to it.
//
// As systemd's open_os_release() does, only "does not exist" (NotFound, a
// dangling link included) falls back to usr/lib/os-release; a symlink loop
// at etc/os-release is an error (InvalidArgument), as is a path that
// resolves to the image root. NotFound when neither file exists.
absl::StatusOr<std::string> ResolveOsReleasePath(const EntryLookup& lookup);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_OS_RELEASE_H_
