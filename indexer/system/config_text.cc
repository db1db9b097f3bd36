#include "indexer/system/config_text.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "base/path.h"

namespace dci {
namespace {

// libmagic's text_chars (src/encoding.c), ASCII half: the control
// characters that still count as text.
bool IsTextAscii(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return true;
  return (c >= 0x07 && c <= 0x0d) || c == 0x1b;
}

// Length of the UTF-8 sequence at the start of `s`, 0 if it is malformed.
// RFC 3629 section 4, "Syntax of UTF-8 Byte Sequences".
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) {
    return i < s.size() && (byte(i) & 0xc0) == 0x80;
  };
  unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    unsigned char b1 = byte(1);
    if (b0 == 0xe0 && b1 < 0xa0) return 0;  // overlong
    if (b0 == 0xed && b1 > 0x9f) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char b1 = byte(1);
    if (b0 == 0xf0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xf4 && b1 > 0x8f) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // continuation byte, 0xc0/0xc1, or 0xf5..0xff
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  while (!s.empty()) {
    size_t n = Utf8SequenceLength(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

bool IsTextConfig(absl::string_view content) {
  while (!content.empty()) {
    unsigned char c = static_cast<unsigned char>(content[0]);
    if (c < 0x80) {
      if (!IsTextAscii(c)) return false;
      content.remove_prefix(1);
      continue;
    }
    size_t n = Utf8SequenceLength(content);
    if (n == 0) return false;
    content.remove_prefix(n);
  }
  return true;
}

bool IsConfigPath(absl::string_view path) {
  if (!absl::StartsWith(path, "etc/") || path.size() == 4) return false;
  absl::string_view parent = ParentPath(path);
  absl::string_view base = BaseName(path);
  if (parent == "etc" &&
      (absl::StartsWith(base, "shadow") || absl::StartsWith(base, "gshadow"))) {
    return false;
  }
  if (path == "etc/security/opasswd") return false;
  if (parent == "etc/ssh" && absl::StartsWith(base, "ssh_host_") &&
      absl::EndsWith(base, "_key")) {
    return false;
  }
  if (IsStrictlyUnder(path, "etc/ssl/private") ||
      IsStrictlyUnder(path, "etc/pki/tls/private")) {
    return false;
  }
  return true;
}

}  // namespace dci
