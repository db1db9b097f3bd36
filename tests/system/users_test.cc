#include "indexer/system/users.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <shadow.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/system/host_tools.h"

namespace dci {
namespace {

using testing_host::ReadFile;

struct ClassifyCase {
  std::string field;
  bool passwd_file;
  PasswordState want;
};

TEST(ClassifyPasswordField, FollowsPasswdShadowAndCrypt) {
  const std::vector<ClassifyCase> cases = {
      {"x", true, PasswordState::kInShadow},
      {"x", false, PasswordState::kDisabled},  // in shadow, "x" is no hash
      {"", true, PasswordState::kEmpty},
      {"", false, PasswordState::kEmpty},
      {"*", false, PasswordState::kDisabled},
      {"*", true, PasswordState::kDisabled},
      {"*LK*", false, PasswordState::kDisabled},
      {"NP", false, PasswordState::kDisabled},
      {"!", false, PasswordState::kLocked},
      {"!!", false, PasswordState::kLocked},
      {"!*", false, PasswordState::kLocked},
      {"!$6$salt$hash", false, PasswordState::kLocked},
      {"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd."
       "RhAtQ7",
       false, PasswordState::kSet},
      {"$6$rounds=5000$saltsalt$LoNgHaSh/./", false, PasswordState::kSet},
      {"$2b$10$abcdefghijklmnopqrstuu", false, PasswordState::kSet},
      {"$1$salt$hash", true, PasswordState::kSet},  // legacy hash in passwd
      {"$md5,rounds=904$salt$hash", false, PasswordState::kSet},
      {"$pbkdf2-sha256$29000$salt$hash", false, PasswordState::kSet},
      {"abcdefghijklm", false, PasswordState::kSet},         // DES, 13
      {"abcdefghijkl", false, PasswordState::kDisabled},     // 12
      {"_J9..abcdefghijklmno", false, PasswordState::kSet},  // BSDi, 20
      {"$", false, PasswordState::kDisabled},
      {"$$x", false, PasswordState::kDisabled},
      {"$6", false, PasswordState::kDisabled},
      {"$6$a b$c", false, PasswordState::kDisabled},  // not crypt's alphabet
      {"abc:def", false, PasswordState::kDisabled},
  };
  for (const ClassifyCase& c : cases) {
    EXPECT_EQ(ClassifyPasswordField(c.field, c.passwd_file), c.want)
        << "\"" << c.field << "\" passwd=" << c.passwd_file;
  }
  EXPECT_EQ(PasswordStateName(PasswordState::kInShadow), "in_shadow");
  EXPECT_EQ(PasswordStateName(PasswordState::kEmpty), "empty");
  EXPECT_EQ(PasswordStateName(PasswordState::kLocked), "locked");
  EXPECT_EQ(PasswordStateName(PasswordState::kDisabled), "disabled");
  EXPECT_EQ(PasswordStateName(PasswordState::kSet), "set");
}

TEST(ParsePasswd, ReadsRecordsAndWarnsByLineNumber) {
  PasswdFile got = ParsePasswd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "# a comment\n"
      "\n"
      "daemon:*:1:1:daemon,,,:/usr/sbin:/usr/sbin/nologin\n"
      "short:x:2:2\n"
      "baduid:x:abc:3:::\n"
      "neg:x:-1:3:::\n"
      "big:x:4294967296:3:::\n"
      "maxuid:x:4294967295:4294967295:::\n"
      ":x:5:5:::\n"
      "+nisuser::::::\n"
      "-other::::::\n"
      "  indented:$6$s$h:6:6:Gecos Name:/home/i:/bin/sh\n"
      "nopw::7:7::/:\n"
      "extra:x:8:8:::/bin/sh:more\n"
      "last:!:9:9:::");
  ASSERT_EQ(got.users.size(), 6u);
  const User& root = got.users[0];
  EXPECT_EQ(root.name, "root");
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_EQ(root.gecos, "root");
  EXPECT_EQ(root.home, "/root");
  EXPECT_EQ(root.shell, "/bin/bash");
  EXPECT_EQ(root.password, PasswordState::kInShadow);
  const User& daemon = got.users[1];
  EXPECT_EQ(daemon.name, "daemon");
  EXPECT_EQ(daemon.uid, 1u);
  EXPECT_EQ(daemon.gecos, "daemon,,,");
  EXPECT_EQ(daemon.shell, "/usr/sbin/nologin");
  EXPECT_EQ(daemon.password, PasswordState::kDisabled);
  EXPECT_EQ(got.users[2].name, "maxuid");
  EXPECT_EQ(got.users[2].uid, 4294967295u);
  EXPECT_EQ(got.users[2].gid, 4294967295u);
  EXPECT_EQ(got.users[2].home, "");
  const User& indented = got.users[3];
  EXPECT_EQ(indented.name, "indented");
  EXPECT_EQ(indented.uid, 6u);
  EXPECT_EQ(indented.gecos, "Gecos Name");
  EXPECT_EQ(indented.home, "/home/i");
  EXPECT_EQ(indented.password, PasswordState::kSet);
  EXPECT_EQ(got.users[4].name, "nopw");
  EXPECT_EQ(got.users[4].password, PasswordState::kEmpty);
  EXPECT_EQ(got.users[4].shell, "");
  EXPECT_EQ(got.users[5].name, "last");
  EXPECT_EQ(got.users[5].password, PasswordState::kLocked);
  EXPECT_EQ(got.warnings,
            (std::vector<std::string>{
                "line 5: 4 fields, want 7; skipped",
                "line 6: uid \"abc\" is not a decimal number below 2^32; "
                "skipped",
                "line 7: uid \"-1\" is not a decimal number below 2^32; "
                "skipped",
                "line 8: uid \"4294967296\" is not a decimal number below "
                "2^32; skipped",
                "line 10: empty name; skipped",
                "line 11: NIS compat entry, not a local account; skipped",
                "line 12: NIS compat entry, not a local account; skipped",
                "line 15: 8 fields, want 7; skipped",
            }));
}

TEST(ParsePasswd, WarningsNeverQuoteThePasswordField) {
  const std::string hash = "$6$secretsalt$SECRETHASHVALUE";
  PasswdFile got = ParsePasswd("a:" + hash + ":x:1:::\nb:" + hash + ":1\n");
  EXPECT_TRUE(got.users.empty());
  ASSERT_EQ(got.warnings.size(), 2u);
  for (const std::string& w : got.warnings) {
    EXPECT_EQ(w.find("SECRET"), std::string::npos) << w;
  }
}

TEST(ParseGroup, ReadsMembersAndWarns) {
  GroupFile got = ParseGroup(
      "root:x:0:\n"
      "sudo:x:27:alice,bob\n"
      "trail:x:28:carol,\n"
      "gap:x:29:,dave,,erin\n"
      "bad:x:zz:\n"
      "few:x:1\n");
  ASSERT_EQ(got.groups.size(), 4u);
  EXPECT_EQ(got.groups[0].name, "root");
  EXPECT_EQ(got.groups[0].gid, 0u);
  EXPECT_TRUE(got.groups[0].members.empty());
  EXPECT_EQ(got.groups[1].name, "sudo");
  EXPECT_EQ(got.groups[1].gid, 27u);
  EXPECT_EQ(got.groups[1].members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(got.groups[2].members, (std::vector<std::string>{"carol"}));
  EXPECT_EQ(got.groups[3].members, (std::vector<std::string>{"dave", "erin"}));
  EXPECT_EQ(got.warnings,
            (std::vector<std::string>{
                "line 5: gid \"zz\" is not a decimal number below 2^32; "
                "skipped",
                "line 6: 3 fields, want 4; skipped",
            }));
}

TEST(ParseShadow, KeepsOnlyNameAndStateNeverTheHash) {
  const std::string secret = "$y$j9T$SECRETSALT$SECRETHASH";
  ShadowFile got = ParseShadow("root:" + secret +
                               ":19000:0:99999:7:::\n"
                               "daemon:*:19000:0:99999:7:::\n"
                               "locked:!" +
                               secret +
                               ":19000:0:99999:7:::\n"
                               "nopw::19000:0:99999:7:::\n"
                               "short:" +
                               secret + ":1\n");
  ASSERT_EQ(got.entries.size(), 4u);
  EXPECT_EQ(got.entries[0].name, "root");
  EXPECT_EQ(got.entries[0].password, PasswordState::kSet);
  EXPECT_EQ(got.entries[1].name, "daemon");
  EXPECT_EQ(got.entries[1].password, PasswordState::kDisabled);
  EXPECT_EQ(got.entries[2].name, "locked");
  EXPECT_EQ(got.entries[2].password, PasswordState::kLocked);
  EXPECT_EQ(got.entries[3].name, "nopw");
  EXPECT_EQ(got.entries[3].password, PasswordState::kEmpty);
  EXPECT_EQ(got.warnings,
            (std::vector<std::string>{"line 5: 3 fields, want 9; skipped"}));
  for (const ShadowEntry& e : got.entries) {
    EXPECT_EQ(e.name.find("SECRET"), std::string::npos);
  }
  for (const std::string& w : got.warnings) {
    EXPECT_EQ(w.find("SECRET"), std::string::npos) << w;
  }
}

TEST(ApplyShadow, ResolvesInShadowAndWarnsForMissingEntries) {
  PasswdFile passwd = ParsePasswd(
      "root:x:0:0::/root:/bin/sh\n"
      "legacy:*:1:1:::\n"
      "ghost:x:2:2:::\n"
      "dup:x:3:3:::\n");
  ShadowFile shadow = ParseShadow(
      "root:$6$s$h:1:0:99999:7:::\n"
      "legacy:$6$s$h:1:0:99999:7:::\n"
      "dup:!:1:0:99999:7:::\n"
      "dup:$6$s$h:1:0:99999:7:::\n");
  ApplyShadow(shadow, &passwd);
  ASSERT_EQ(passwd.users.size(), 4u);
  EXPECT_EQ(passwd.users[0].password, PasswordState::kSet);
  // passwd's own "*" is what login checks; shadow is not consulted.
  EXPECT_EQ(passwd.users[1].password, PasswordState::kDisabled);
  EXPECT_EQ(passwd.users[2].password, PasswordState::kInShadow);
  EXPECT_EQ(passwd.users[3].password, PasswordState::kLocked);  // first entry
  EXPECT_EQ(passwd.warnings,
            (std::vector<std::string>{
                "user \"ghost\": password is in etc/shadow, which has no "
                "entry for it"}));
}

// The host's files, read by glibc's own parsers (fgetpwent & co. read one
// file, no NSS) as the independent reference.
TEST(ParsePasswd, HostFileMatchesGlibc) {
  PasswdFile got = ParsePasswd(ReadFile("/etc/passwd"));
  EXPECT_TRUE(got.warnings.empty());
  FILE* f = fopen("/etc/passwd", "r");
  ASSERT_NE(f, nullptr);
  size_t i = 0;
  while (struct passwd* pw = fgetpwent(f)) {
    ASSERT_LT(i, got.users.size());
    const User& u = got.users[i++];
    EXPECT_EQ(u.name, pw->pw_name);
    EXPECT_EQ(u.uid, pw->pw_uid) << u.name;
    EXPECT_EQ(u.gid, pw->pw_gid) << u.name;
    EXPECT_EQ(u.gecos, pw->pw_gecos) << u.name;
    EXPECT_EQ(u.home, pw->pw_dir) << u.name;
    EXPECT_EQ(u.shell, pw->pw_shell) << u.name;
    EXPECT_EQ(u.password == PasswordState::kInShadow,
              std::string(pw->pw_passwd) == "x")
        << u.name;
  }
  fclose(f);
  EXPECT_EQ(i, got.users.size());
  EXPECT_GE(i, 1u);  // root at least
}

TEST(ParseGroup, HostFileMatchesGlibc) {
  GroupFile got = ParseGroup(ReadFile("/etc/group"));
  EXPECT_TRUE(got.warnings.empty());
  FILE* f = fopen("/etc/group", "r");
  ASSERT_NE(f, nullptr);
  size_t i = 0;
  while (struct group* gr = fgetgrent(f)) {
    ASSERT_LT(i, got.groups.size());
    const Group& g = got.groups[i++];
    EXPECT_EQ(g.name, gr->gr_name);
    EXPECT_EQ(g.gid, gr->gr_gid) << g.name;
    std::vector<std::string> members;
    for (char** m = gr->gr_mem; *m != nullptr; ++m) members.emplace_back(*m);
    EXPECT_EQ(g.members, members) << g.name;
  }
  fclose(f);
  EXPECT_EQ(i, got.groups.size());
  EXPECT_GE(i, 1u);
}

// glibc gives the hash; the test classifies it by the plain rules of
// shadow(5) and crypt(5) and compares states, never printing a hash.
TEST(ParseShadow, HostFileMatchesGlibc) {
  FILE* f = fopen("/etc/shadow", "r");
  if (f == nullptr) GTEST_SKIP() << "/etc/shadow is not readable here";
  ShadowFile got = ParseShadow(ReadFile("/etc/shadow"));
  EXPECT_TRUE(got.warnings.empty());
  size_t i = 0;
  while (struct spwd* sp = fgetspent(f)) {
    ASSERT_LT(i, got.entries.size());
    const ShadowEntry& e = got.entries[i++];
    EXPECT_EQ(e.name, sp->sp_namp);
    const std::string pw = sp->sp_pwdp == nullptr ? "" : sp->sp_pwdp;
    PasswordState want = pw.empty()     ? PasswordState::kEmpty
                         : pw[0] == '!' ? PasswordState::kLocked
                         : pw[0] == '$' ? PasswordState::kSet
                                        : PasswordState::kDisabled;
    EXPECT_EQ(e.password, want) << e.name;
  }
  fclose(f);
  EXPECT_EQ(i, got.entries.size());
}

// What dci stores of etc/shadow: states only, read back exactly.
TEST(ShadowStates, TextHoldsNoHashAndReadsBack) {
  const ShadowFile f = ParseShadow(
      "root:*:19000:0:99999:7:::\n"
      "alice:$6$salt$0123456789abcdef:19000:0:99999:7:::\n"
      "bob:!$6$old$x:19000::::::\n"
      "nopw::19000::::::\n"
      "broken:line\n");
  const std::string text = ShadowStatesText(f);
  EXPECT_EQ(text,
            "root\tdisabled\nalice\tset\nbob\tlocked\nnopw\tempty\n"
            "#warning\t" + f.warnings.at(0) + "\n");
  EXPECT_EQ(text.find("salt"), std::string::npos);
  const ShadowFile back = ParseShadowStates(text);
  ASSERT_EQ(back.entries.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.entries[i].name, f.entries[i].name);
    EXPECT_EQ(back.entries[i].password, f.entries[i].password);
  }
  EXPECT_EQ(back.warnings, f.warnings);
  EXPECT_EQ(ParseShadowStates("x\tnonsense\n\n").entries.size(), 0u);
}

}  // namespace
}  // namespace dci
