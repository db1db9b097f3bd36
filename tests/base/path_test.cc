#include "base/path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace dci {
namespace {

struct NormalizeCase {
  std::string name;
  std::string want;
};

TEST(NormalizeEntryPath, CanonicalisesTarNames) {
  const std::vector<NormalizeCase> cases = {
      {"etc/passwd", "etc/passwd"},
      {"./etc/passwd", "etc/passwd"},
      {"usr/bin/", "usr/bin"},
      {"./usr/bin/", "usr/bin"},
      {"./", ""},
      {".", ""},
      {"", ""},
      {"a//b", "a/b"},
      {"a/./b/.", "a/b"},
      {"././a", "a"},
      {"...", "..."},
      {"a/..b/c..", "a/..b/c.."},
      {".wh..wh..opq", ".wh..wh..opq"},
      {"caf\xc3\xa9/\xff", "caf\xc3\xa9/\xff"},  // bytes, not a charset
      {std::string(4096, 'x'), std::string(4096, 'x')},
  };
  for (const NormalizeCase& c : cases) {
    absl::StatusOr<std::string> got = NormalizeEntryPath(c.name);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.name;
  }
}

struct RejectCase {
  std::string name;
  std::string message;
};

TEST(NormalizeEntryPath, RejectsHostileNamesWithReason) {
  const std::vector<RejectCase> cases = {
      {"/etc/passwd", "absolute path"},
      {"/", "absolute path"},
      {"..", "path escapes root (\"..\" component)"},
      {"../x", "path escapes root (\"..\" component)"},
      {"etc/../../x", "path escapes root (\"..\" component)"},
      {"a/..", "path escapes root (\"..\" component)"},
      {"./a/../b", "path escapes root (\"..\" component)"},
      {std::string("etc/passwd\0x", 12), "name contains a NUL byte"},
      {std::string(4097, 'x'), "name is 4097 bytes long (limit 4096)"},
  };
  for (const RejectCase& c : cases) {
    absl::StatusOr<std::string> got = NormalizeEntryPath(c.name);
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.message) << c.name;
  }
}

TEST(ParentPath, DropsTheLastComponent) {
  EXPECT_EQ(ParentPath("a/b/c"), "a/b");
  EXPECT_EQ(ParentPath("a/b"), "a");
  EXPECT_EQ(ParentPath("a"), "");
  EXPECT_EQ(ParentPath(""), "");
}

TEST(BaseName, KeepsTheLastComponent) {
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("a"), "a");
  EXPECT_EQ(BaseName(".wh..wh..opq"), ".wh..wh..opq");
  EXPECT_EQ(BaseName(""), "");
}

struct UnderCase {
  std::string path;
  std::string dir;
  bool want;
};

TEST(IsStrictlyUnder, ComparesWholeComponents) {
  const std::vector<UnderCase> cases = {
      {"a/b", "a", true},  {"a/b/c", "a", true}, {"a/b/c", "a/b", true},
      {"a", "a", false},   {"ab", "a", false},   {"a/bc", "a/b", false},
      {"a", "a/b", false}, {"b/a", "a", false},  {"a", "", true},
      {"a/b", "", true},   {"", "", false},      {"", "a", false},
  };
  for (const UnderCase& c : cases) {
    EXPECT_EQ(IsStrictlyUnder(c.path, c.dir), c.want)
        << "\"" << c.path << "\" under \"" << c.dir << "\"";
  }
}

}  // namespace
}  // namespace dci
