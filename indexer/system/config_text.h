// Which files of an image are text configuration worth keeping, and how two
// versions of one are shown side by side (a unified line diff, in
// unified_diff.h).
#ifndef DCI_INDEXER_SYSTEM_CONFIG_TEXT_H_
#define DCI_INDEXER_SYSTEM_CONFIG_TEXT_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "indexer/system/unified_diff.h"

namespace dci {

// Config files larger than this are not stored by default (issue 3: "up to a
// configurable size, 256 KiB by default"). The caller applies the limit.
inline constexpr size_t kDefaultConfigSizeLimit = 256 * 1024;

// True if `s` is well-formed UTF-8 (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. ASCII is UTF-8.
bool IsValidUtf8(absl::string_view s);

// True if `content` looks like text, by the rule file(1) uses for "UTF-8
// text" / "ASCII text" (libmagic src/encoding.c, looks_utf8 with its
// text_chars table): the bytes are valid UTF-8, and every ASCII byte is
// printable or one of BEL, BS, TAB, LF, VT, FF, CR, ESC. So a NUL, DEL or
// any other control character makes it binary. Empty content is text (an
// empty config file is still a config file).
bool IsTextConfig(absl::string_view content);

// True if the canonical image path `path` ("etc/ssh/sshd_config") is a config
// file whose content dci keeps: anything strictly under etc/, except files
// that hold secrets, which are never stored whatever their type:
//   - etc/shadow*, etc/gshadow* (password hashes; also their "-" backups),
//   - etc/security/opasswd (old password hashes, pam_pwhistory),
//   - etc/ssh/ssh_host_*_key (SSH host private keys; the .pub files are kept),
//   - anything under etc/ssl/private/ or etc/pki/tls/private/ (TLS keys).
// Only the name is judged: that the entry is a regular file, and within the
// size limit, is for the caller to check.
bool IsConfigPath(absl::string_view path);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_CONFIG_TEXT_H_
