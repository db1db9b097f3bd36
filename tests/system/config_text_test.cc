#include "indexer/system/config_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "tests/system/host_tools.h"

namespace dci {
namespace {

struct BytesCase {
  std::string name;
  std::string bytes;
  bool want;
};

TEST(IsValidUtf8, FollowsRfc3629) {
  const std::vector<BytesCase> cases = {
      {"empty", "", true},
      {"ascii", "hello\n", true},
      {"two bytes", "caf\xc3\xa9", true},
      {"three bytes", "\xe2\x82\xac", true},
      {"four bytes", "\xf0\x9f\x98\x80", true},
      {"highest code point", "\xf4\x8f\xbf\xbf", true},
      {"above U+10FFFF", "\xf4\x90\x80\x80", false},
      {"overlong two", "\xc0\xaf", false},
      {"overlong c1", "\xc1\xbf", false},
      {"overlong three", "\xe0\x80\xaf", false},
      {"overlong four", "\xf0\x80\x80\xaf", false},
      {"surrogate", "\xed\xa0\x80", false},
      {"last before surrogates", "\xed\x9f\xbf", true},
      {"lone continuation", "\x80", false},
      {"truncated", "\xe2\x82", false},
      {"truncated at end", "ok\xc3", false},
      {"bad continuation", "\xc3\x28", false},
      {"f5", "\xf5\x80\x80\x80", false},
      {"ff", "\xff", false},
  };
  for (const BytesCase& c : cases) {
    EXPECT_EQ(IsValidUtf8(c.bytes), c.want) << c.name;
  }
}

TEST(IsTextConfig, AcceptsUtf8TextAndLibmagicsControlCharacters) {
  const std::vector<BytesCase> cases = {
      {"empty", "", true},
      {"config", "# comment\nkey = value\n", true},
      {"utf-8", "name = \"Caf\xc3\xa9\"\n", true},
      {"tab cr ff vt", "a\tb\r\n\f\v", true},
      {"bell backspace escape", "\a\b\x1b[0m", true},
      {"NUL", std::string("a\0b", 3), false},
      {"SOH", "\x01", false},
      {"SO", "\x0e", false},
      {"unit separator", "\x1f", false},
      {"DEL", "\x7f", false},
      {"latin-1", "caf\xe9\n", false},
      {"overlong", "\xc0\xaf", false},
      {"C1 control as UTF-8", "\xc2\x85", true},
  };
  for (const BytesCase& c : cases) {
    EXPECT_EQ(IsTextConfig(c.bytes), c.want) << c.name;
  }
}

// file(1) is the reference the rule is taken from: on the host's /etc, a
// file is text for dci exactly when `file --mime-encoding` calls it us-ascii
// or utf-8.
TEST(IsTextConfig, AgreesWithFileOnHostEtc) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           "/etc", fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    uintmax_t size = it->file_size(ec);
    // file(1) does not judge files under 2 bytes ("very short file (no
    // magic)").
    if (ec || size < 2 || size > kDefaultConfigSizeLimit) continue;
    std::string p = it->path().string();
    if (p.find_first_of("\n:") != std::string::npos) continue;
    paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());
  ASSERT_GT(paths.size(), 50u);
  std::string list;
  for (const std::string& p : paths) list += p + "\n";
  std::string list_file = ::testing::TempDir() + "/dci_file_list";
  testing_host::WriteFile(list_file, list);
  testing_host::CommandResult r = testing_host::RunCommand(
      "file -b --mime-encoding -f " + testing_host::ShellQuote(list_file));
  ASSERT_EQ(r.exit_code, 0);
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), paths.size());
  int text = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string encoding(absl::StripAsciiWhitespace(lines[i]));
    bool want = encoding == "us-ascii" || encoding == "utf-8";
    text += want;
    EXPECT_EQ(IsTextConfig(testing_host::ReadFile(paths[i])), want)
        << paths[i] << " (" << encoding << ")";
  }
  EXPECT_GT(text, 50);
}

struct PathCase {
  std::string path;
  bool want;
};

TEST(IsConfigPath, TakesEtcButNeverSecrets) {
  const std::vector<PathCase> cases = {
      {"etc/passwd", true},
      {"etc/ssh/sshd_config", true},
      {"etc/ssh/ssh_host_ed25519_key.pub", true},
      {"etc/apt/sources.list.d/debian.sources", true},
      {"etc/group-", true},
      {"etc/shadowsocks/config.json", true},  // not directly in etc
      {"etc", false},
      {"etc/", false},
      {"etcetera/x", false},
      {"usr/etc/x", false},
      {"var/lib/dpkg/status", false},
      {"etc/shadow", false},
      {"etc/shadow-", false},
      {"etc/gshadow", false},
      {"etc/gshadow-", false},
      {"etc/shadow.bak", false},
      {"etc/security/opasswd", false},
      {"etc/ssh/ssh_host_rsa_key", false},
      {"etc/ssh/ssh_host_ed25519_key", false},
      {"etc/ssl/private/ssl-cert-snakeoil.key", false},
      {"etc/ssl/private", true},  // the directory's own name is not inside it
      {"etc/pki/tls/private/localhost.key", false},
      {"etc/ssl/certs/ca-certificates.crt", true},
  };
  for (const PathCase& c : cases) {
    EXPECT_EQ(IsConfigPath(c.path), c.want) << c.path;
  }
  EXPECT_EQ(kDefaultConfigSizeLimit, 262144u);
}

}  // namespace
}  // namespace dci
