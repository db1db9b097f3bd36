#include "indexer/system/os_release.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "indexer/system/image_path.h"
#include "tests/system/host_tools.h"

namespace dci {
namespace {

using testing_host::ReadFile;
using testing_host::RunCommand;
using testing_host::ShellQuote;

// Every assignment of a parse as one map, the named fields included.
std::map<std::string, std::string> AllFields(const OsRelease& r) {
  std::map<std::string, std::string> m = r.other;
  const std::pair<const char*, const std::string*> named[] = {
      {"ID", &r.id},
      {"ID_LIKE", &r.id_like},
      {"NAME", &r.name},
      {"PRETTY_NAME", &r.pretty_name},
      {"VERSION", &r.version},
      {"VERSION_ID", &r.version_id},
      {"VERSION_CODENAME", &r.version_codename},
      {"HOME_URL", &r.home_url},
  };
  for (const auto& [key, value] : named) {
    if (!value->empty()) m[key] = *value;
  }
  return m;
}

struct ParseCase {
  std::string name;
  std::string content;
  std::map<std::string, std::string> want;
  std::vector<std::string> warnings;
};

TEST(ParseOsRelease, ReadsAssignmentsAsSystemdDoes) {
  using M = std::map<std::string, std::string>;
  const std::vector<ParseCase> cases = {
      {"plain",
       "ID=debian\nVERSION_ID=12\n",
       M{{"ID", "debian"}, {"VERSION_ID", "12"}},
       {}},
      {"double quotes",
       "NAME=\"Debian GNU/Linux\"\n",
       M{{"NAME", "Debian GNU/Linux"}},
       {}},
      {"single quotes", "NAME='a \"b\" \\c'\n", M{{"NAME", "a \"b\" \\c"}}, {}},
      {"escapes in double quotes",
       "A=\"q\\\" b\\\\ d\\$ t\\` n\\n\"\n",
       M{{"A", "q\" b\\ d$ t` n\\n"}},
       {}},
      {"continuation in double quotes",
       "A=\"one \\\ntwo\"\n",
       M{{"A", "one two"}},
       {}},
      {"newline inside quotes kept",
       "A=\"x\ny\"\nB=1\n",
       M{{"A", "x\ny"}, {"B", "1"}},
       {}},
      {"unquoted backslash", "A=a\\ b\\\\c\n", M{{"A", "a b\\c"}}, {}},
      {"unquoted continuation", "A=a\\\nb\n", M{{"A", "ab"}}, {}},
      {"comments and blank lines",
       "# comment\n\n   \n; also a comment\n  # indented\nID=x\n",
       M{{"ID", "x"}},
       {}},
      {"comment ends at newline even after backslash",
       "# c \\\nID=x\n",
       M{{"ID", "x"}},
       {}},
      {"blanks around key and before value",
       "  ID  =   x\n\tNAME=\t'y'\n",
       M{{"ID", "x"}, {"NAME", "y"}},
       {}},
      {"trailing blanks dropped unquoted, kept quoted",
       "A=x  \t\nB=\"y  \"\n",
       M{{"A", "x"}, {"B", "y  "}},
       {}},
      {"inner blanks kept unquoted", "A=b c\n", M{{"A", "b c"}}, {}},
      {"hash after value is part of it", "A=b # c\n", M{{"A", "b # c"}}, {}},
      {"escaped trailing blank kept", "A=x\\ \n", M{{"A", "x "}}, {}},
      {"concatenation", "A=\"a\"'b'c\n", M{{"A", "abc"}}, {}},
      {"empty values",
       "A=\nB=\"\"\nC=''\n",
       M{{"A", ""}, {"B", ""}, {"C", ""}},
       {}},
      {"last assignment wins", "ID=a\nID=b\n", M{{"ID", "b"}}, {}},
      {"no final newline", "ID=x", M{{"ID", "x"}}, {}},
      {"CRLF", "ID=x\r\nNAME=\"y\"\r\n", M{{"ID", "x"}, {"NAME", "y"}}, {}},
      {"equals in value", "A=b=c\n", M{{"A", "b=c"}}, {}},
      {"utf-8 value", "NAME=\"Caf\xc3\xa9\"\n", M{{"NAME", "Caf\xc3\xa9"}}, {}},
      {"vendor keys go to other",
       "SUPPORT_URL=\"u\"\nVARIANT_ID=v\n",
       M{{"SUPPORT_URL", "u"}, {"VARIANT_ID", "v"}},
       {}},
      {"no equals",
       "ID=x\njunk line\nNAME=y\n",
       M{{"ID", "x"}, {"NAME", "y"}},
       {"line 2: no '=' after \"junk line\"; ignored"}},
      {"no equals at end",
       "ID=x\nlast",
       M{{"ID", "x"}},
       {"line 2: no '=' after \"last\"; ignored"}},
      {"invalid key",
       "1ID=x\nA-B=y\nexport C=z\nOK=1\n",
       M{{"OK", "1"}},
       {"line 1: \"1ID\" is not a valid variable name; ignored",
        "line 2: \"A-B\" is not a valid variable name; ignored",
        "line 3: \"export C\" is not a valid variable name; ignored"}},
      {"empty key",
       "=x\nOK=1\n",
       M{{"OK", "1"}},
       {"line 1: \"\" is not a valid variable name; ignored"}},
      {"unterminated double quote kept",
       "ID=x\nNAME=\"abc\n",
       M{{"ID", "x"}, {"NAME", "abc\n"}},
       {"line 2: quote opened for \"NAME\" is not closed at the end of the "
        "file"}},
      {"unterminated single quote kept",
       "NAME='abc",
       M{{"NAME", "abc"}},
       {"line 1: quote opened for \"NAME\" is not closed at the end of the "
        "file"}},
      {"invalid utf-8",
       "A=\"\xff\"\nB=\xc3\xa9\n",
       M{{"B", "\xc3\xa9"}},
       {"line 1: value of A is not valid UTF-8; ignored"}},
      {"NUL stops reading",
       std::string("ID=x\nNAME=a\0b\nVERSION=1\n", 25),
       M{{"ID", "x"}, {"NAME", "a"}},
       {"line 2: NUL byte; the rest of the file is ignored"}},
      {"empty file", "", M{}, {}},
  };
  for (const ParseCase& c : cases) {
    OsRelease got = ParseOsRelease(c.content);
    EXPECT_EQ(AllFields(got), c.want) << c.name;
    EXPECT_EQ(got.warnings, c.warnings) << c.name;
  }
}

TEST(ParseOsRelease, FillsNamedFieldsAndLeavesTheRestInOther) {
  OsRelease r = ParseOsRelease(
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
      "NAME=\"Debian GNU/Linux\"\n"
      "VERSION_ID=\"12\"\n"
      "VERSION=\"12 (bookworm)\"\n"
      "VERSION_CODENAME=bookworm\n"
      "ID=debian\n"
      "ID_LIKE=\"rhel fedora\"\n"
      "HOME_URL=\"https://www.debian.org/\"\n"
      "SUPPORT_URL=\"https://www.debian.org/support\"\n"
      "BUG_REPORT_URL=\"https://bugs.debian.org/\"\n");
  EXPECT_EQ(r.id, "debian");
  EXPECT_EQ(r.id_like, "rhel fedora");
  EXPECT_EQ(r.name, "Debian GNU/Linux");
  EXPECT_EQ(r.pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(r.version, "12 (bookworm)");
  EXPECT_EQ(r.version_id, "12");
  EXPECT_EQ(r.version_codename, "bookworm");
  EXPECT_EQ(r.home_url, "https://www.debian.org/");
  EXPECT_EQ(r.other, (std::map<std::string, std::string>{
                         {"BUG_REPORT_URL", "https://bugs.debian.org/"},
                         {"SUPPORT_URL", "https://www.debian.org/support"}}));
  EXPECT_TRUE(r.warnings.empty());
}

// What `. FILE` in sh sets: every variable the file assigns, read back from
// `env -0` of a shell that started with an empty environment.
std::map<std::string, std::string> SourcedByShell(const std::string& path) {
  testing_host::CommandResult r = RunCommand(
      "env -i /bin/sh -c 'set -a; . \"$0\"; exec env -0' " + ShellQuote(path));
  EXPECT_EQ(r.exit_code, 0) << path;
  std::map<std::string, std::string> vars;
  for (absl::string_view entry :
       absl::StrSplit(r.out, absl::ByChar('\0'), absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    vars.insert(kv);
  }
  // The shell's own.
  for (const char* k : {"PWD", "OLDPWD", "SHLVL", "_"}) vars.erase(k);
  return vars;
}

TEST(ParseOsRelease, HostFilesReadAsTheShellSourcesThem) {
  int checked = 0;
  for (const std::string path : {"/etc/os-release", "/usr/lib/os-release"}) {
    std::string content = ReadFile(path);
    if (content.empty()) continue;
    ++checked;
    OsRelease got = ParseOsRelease(content);
    EXPECT_TRUE(got.warnings.empty()) << path;
    std::map<std::string, std::string> want = SourcedByShell(path);
    EXPECT_FALSE(want.empty()) << path;
    EXPECT_EQ(AllFields(got), want) << path;
  }
  // os-release(5): every system has at least one of the two.
  EXPECT_GE(checked, 1);
}

// A tree of entries for ResolveOsReleasePath: path -> symlink target, or
// "" for a regular file or directory.
using Tree = std::map<std::string, std::optional<std::string>>;

EntryLookup LookupIn(const Tree& tree, std::vector<std::string>* asked) {
  return [&tree, asked](std::string path) -> std::optional<ImageEntry> {
    if (asked != nullptr) asked->push_back(path);
    auto it = tree.find(path);
    if (it == tree.end()) return std::nullopt;
    ImageEntry e;
    if (it->second.has_value()) {
      e.is_symlink = true;
      e.link_target = *it->second;
    }
    return e;
  };
}

struct ResolveCase {
  std::string name;
  Tree tree;
  std::string want;  // path, or the error message when want_code is not OK
  absl::StatusCode want_code = absl::StatusCode::kOk;
};

TEST(ResolveOsReleasePath, FollowsLinksInsideTheImageOnly) {
  const std::optional<std::string> kFile;
  const std::vector<ResolveCase> cases = {
      {"debian: relative link into usr/lib",
       {{"etc", kFile},
        {"etc/os-release", "../usr/lib/os-release"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"absolute link is taken from the image root",
       {{"etc", kFile},
        {"etc/os-release", "/usr/lib/os-release"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"regular etc/os-release wins",
       {{"etc", kFile},
        {"etc/os-release", kFile},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "etc/os-release"},
      {"missing etc/os-release falls back",
       {{"usr", kFile}, {"usr/lib", kFile}, {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"dangling link falls back",
       {{"etc", kFile},
        {"etc/os-release", "../usr/lib/nothing"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"dot-dot cannot leave the image",
       {{"etc", kFile},
        {"etc/os-release", "../../../../../usr/lib/os-release"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"absolute host-looking path stays in the image",
       {{"etc", kFile},
        {"etc/os-release", "/../../etc/../usr/./lib//os-release"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"symlinked directory on the way",
       {{"etc", "private/etc"},
        {"private", kFile},
        {"private/etc", kFile},
        {"private/etc/os-release", kFile}},
       "private/etc/os-release"},
      {"link through a symlinked usr/lib",
       {{"etc", kFile},
        {"etc/os-release", "../usr/lib/os-release"},
        {"usr", kFile},
        {"usr/lib", "lib64"},
        {"usr/lib64", kFile},
        {"usr/lib64/os-release", kFile}},
       "usr/lib64/os-release"},
      {"dot-dot after a symlinked directory uses the real parent",
       {{"etc", kFile},
        {"etc/os-release", "../a/../usr/lib/os-release"},
        {"a", "x/y"},
        {"x", kFile},
        {"x/y", kFile},
        {"x/usr", kFile},
        {"x/usr/lib", kFile},
        {"x/usr/lib/os-release", kFile}},
       "x/usr/lib/os-release"},
      {"loop is an error, not a fallback",
       {{"etc", kFile},
        {"etc/os-release", "os-release2"},
        {"etc/os-release2", "os-release"},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "etc/os-release: \"etc/os-release\": more than 16 symbolic links to "
       "follow",
       absl::StatusCode::kInvalidArgument},
      {"link to the root",
       {{"etc", kFile}, {"etc/os-release", "/"}},
       "etc/os-release: resolves to the image root, not a file",
       absl::StatusCode::kInvalidArgument},
      {"empty link target is missing",
       {{"etc", kFile},
        {"etc/os-release", ""},
        {"usr", kFile},
        {"usr/lib", kFile},
        {"usr/lib/os-release", kFile}},
       "usr/lib/os-release"},
      {"neither exists",
       {{"etc", kFile}, {"usr", kFile}},
       "neither etc/os-release nor usr/lib/os-release exists in the image",
       absl::StatusCode::kNotFound},
  };
  for (const ResolveCase& c : cases) {
    absl::StatusOr<std::string> got =
        ResolveOsReleasePath(LookupIn(c.tree, nullptr));
    if (c.want_code == absl::StatusCode::kOk) {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
      EXPECT_EQ(*got, c.want) << c.name;
    } else {
      EXPECT_EQ(got.status().code(), c.want_code) << c.name;
      EXPECT_EQ(got.status().message(), c.want) << c.name;
    }
  }
}

TEST(ResolveInImage, FollowsSixteenLinksButNotSeventeen) {
  for (int links : {16, 17}) {
    Tree tree = {{"d", std::nullopt}, {"d/end", std::nullopt}};
    for (int i = 0; i < links; ++i) {
      tree["d/l" + std::to_string(i)] =
          i + 1 < links ? "l" + std::to_string(i + 1) : "/d/end";
    }
    absl::StatusOr<std::string> got =
        ResolveInImage("d/l0", LookupIn(tree, nullptr));
    if (links == 16) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, "d/end");
    } else {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(got.status().message(),
                "\"d/l16\": more than 16 symbolic links to follow");
    }
  }
}

TEST(ResolveInImage, LooksUpEveryComponentInOrder) {
  Tree tree = {{"etc", std::nullopt},
               {"etc/os-release", "../usr/lib/os-release"},
               {"usr", std::nullopt},
               {"usr/lib", std::nullopt},
               {"usr/lib/os-release", std::nullopt}};
  std::vector<std::string> asked;
  absl::StatusOr<std::string> got =
      ResolveInImage("etc/os-release", LookupIn(tree, &asked));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "usr/lib/os-release");
  EXPECT_EQ(asked, (std::vector<std::string>{"etc", "etc/os-release", "usr",
                                             "usr/lib", "usr/lib/os-release"}));
}

TEST(ResolveInImage, RejectsHostileTargetsWithReason) {
  const std::string long_target(4097, 'a');
  struct Case {
    std::string target;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {std::string("a\0b", 3), absl::StatusCode::kInvalidArgument,
       "\"x\": symbolic link target contains a NUL byte"},
      {long_target, absl::StatusCode::kInvalidArgument,
       "\"x\": symbolic link target is 4097 bytes long (limit 4096)"},
      {"", absl::StatusCode::kNotFound,
       "\"x\": symbolic link with an empty target"},
      {"missing", absl::StatusCode::kNotFound,
       "\"missing\": no such entry in the image"},
  };
  for (const Case& c : cases) {
    Tree tree = {{"x", c.target}};
    absl::StatusOr<std::string> got =
        ResolveInImage("x", LookupIn(tree, nullptr));
    EXPECT_EQ(got.status().code(), c.code) << c.message;
    EXPECT_EQ(got.status().message(), c.message);
  }
}

TEST(LexicalLinkTarget, JoinsByNameWithDotDotClampedAtRoot) {
  struct Case {
    std::string link, target, want;
  };
  const std::vector<Case> cases = {
      {"etc/rc2.d/S01ssh", "../init.d/ssh", "etc/init.d/ssh"},
      {"etc/systemd/system/multi-user.target.wants/ssh.service",
       "/lib/systemd/system/ssh.service", "lib/systemd/system/ssh.service"},
      {"etc/x", "/../../lib/y", "lib/y"},
      {"etc/x", "../../../../y", "y"},
      {"x", "./a/./b/", "a/b"},
      {"a/b", "/", ""},
      {"a/b", "", "a"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LexicalLinkTarget(c.link, c.target), c.want)
        << c.link << " -> " << c.target;
  }
}

// The host's own tree, read with lstat/readlink, as an image's tree would
// be read from the store; the answer must be the kernel's realpath.
TEST(ResolveOsReleasePath, HostTreeResolvesLikeTheKernel) {
  EntryLookup host = [](std::string path) -> std::optional<ImageEntry> {
    std::string full = "/" + path;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) return std::nullopt;
    ImageEntry e;
    if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = readlink(full.c_str(), buf, sizeof buf);
      if (n < 0) return std::nullopt;
      e.is_symlink = true;
      e.link_target.assign(buf, static_cast<size_t>(n));
    }
    return e;
  };
  absl::StatusOr<std::string> got = ResolveOsReleasePath(host);
  ASSERT_TRUE(got.ok()) << got.status();
  std::string first = access("/etc/os-release", F_OK) == 0
                          ? "/etc/os-release"
                          : "/usr/lib/os-release";
  char* real = realpath(first.c_str(), nullptr);
  ASSERT_NE(real, nullptr);
  EXPECT_EQ("/" + *got, std::string(real));
  free(real);
}

}  // namespace
}  // namespace dci
