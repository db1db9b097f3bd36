#include "indexer/system/unified_diff.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer/system/config_text.h"
#include "tests/system/host_tools.h"

namespace dci {
namespace {

using testing_host::ReadFile;
using testing_host::RunCommand;
using testing_host::ShellQuote;
using testing_host::WriteFile;

// A scratch directory for the files GNU diff and patch read.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = ::testing::TempDir() + "/dci_diff_XXXXXX";
    dir_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~Scratch() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  bool ok() const { return !dir_.empty(); }

 private:
  std::string dir_;
};

// What `diff -a -U<context> --label A --label B` prints for a and b.
std::string GnuDiff(const Scratch& s, const std::string& a,
                    const std::string& b, int context) {
  WriteFile(s.Path("a"), a);
  WriteFile(s.Path("b"), b);
  testing_host::CommandResult r = RunCommand(
      absl::StrCat("diff -a -U", context, " --label A --label B ",
                   ShellQuote(s.Path("a")), " ", ShellQuote(s.Path("b"))));
  // 0: same, 1: different, 2: trouble.
  EXPECT_EQ(r.exit_code, a == b ? 0 : 1);
  return r.out;
}

// Applies `diff` to a with patch(1) and returns the result.
std::string Patched(const Scratch& s, const std::string& a,
                    const std::string& diff) {
  WriteFile(s.Path("a"), a);
  WriteFile(s.Path("p"), diff);
  std::remove(s.Path("out").c_str());
  testing_host::CommandResult r = RunCommand(absl::StrCat(
      "patch --quiet --force -o ", ShellQuote(s.Path("out")), " ",
      ShellQuote(s.Path("a")), " < ", ShellQuote(s.Path("p")), " 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return ReadFile(s.Path("out"));
}

// Many comparisons at once: one shell script runs GNU diff on every pair
// (and patch on every diff given), so the test does not pay a shell per case.
struct Pair {
  std::string a, b;
  int context = 3;
};

std::vector<std::string> GnuDiffs(const Scratch& s,
                                  const std::vector<Pair>& pairs) {
  std::string script;
  for (size_t i = 0; i < pairs.size(); ++i) {
    WriteFile(s.Path(absl::StrCat("a", i)), pairs[i].a);
    WriteFile(s.Path(absl::StrCat("b", i)), pairs[i].b);
    absl::StrAppend(&script, "diff -a -U", pairs[i].context,
                    " --label A --label B a", i, " b", i, " > d", i, "\n");
  }
  WriteFile(s.Path("diff.sh"), script);
  RunCommand("cd " + ShellQuote(s.Path("")) + " && sh diff.sh");
  std::vector<std::string> out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    out.push_back(ReadFile(s.Path(absl::StrCat("d", i))));
  }
  return out;
}

// patch(1) applied to each pair's a with the matching diff; returns the
// patched texts.
std::vector<std::string> PatchedAll(const Scratch& s,
                                    const std::vector<Pair>& pairs,
                                    const std::vector<std::string>& diffs) {
  std::string script;
  for (size_t i = 0; i < pairs.size(); ++i) {
    WriteFile(s.Path(absl::StrCat("a", i)), pairs[i].a);
    WriteFile(s.Path(absl::StrCat("p", i)), diffs[i]);
    if (diffs[i].empty()) {  // equal texts: nothing to apply
      absl::StrAppend(&script, "cp a", i, " o", i, "\n");
    } else {
      absl::StrAppend(&script, "patch --quiet --force -o o", i, " a", i, " < p",
                      i, " > /dev/null 2>&1\n");
    }
  }
  WriteFile(s.Path("patch.sh"), script);
  RunCommand("cd " + ShellQuote(s.Path("")) + " && sh patch.sh");
  std::vector<std::string> out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    out.push_back(ReadFile(s.Path(absl::StrCat("o", i))));
  }
  return out;
}

struct DiffCase {
  std::string name;
  std::string a, b;
  int context;
  std::string want;
};

std::string Numbers(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) absl::StrAppend(&s, i, "\n");
  return s;
}

std::string Replace(std::string s, const std::string& from,
                    const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

TEST(UnifiedDiff, PrintsWhatGnuDiffPrints) {
  const std::string n20 = Numbers(20);
  const std::vector<DiffCase> cases = {
      {"equal", "a\nb\n", "a\nb\n", 3, ""},
      {"equal without final newline", "a\nb", "a\nb", 3, ""},
      {"from empty", "", "a\nb\n", 3,
       "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
      {"to empty", "a\n", "", 3, "--- A\n+++ B\n@@ -1 +0,0 @@\n-a\n"},
      {"one line to one line", "a\n", "b\n", 3,
       "--- A\n+++ B\n@@ -1 +1 @@\n-a\n+b\n"},
      {"newline added at end", "a\nb", "a\nb\n", 3,
       "--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
       "+b\n"},
      {"newline removed at end", "a\nb\n", "a\nc", 3,
       "--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of "
       "file\n"},
      {"incomplete last line as context", "a\nb", "c\nb", 3,
       "--- A\n+++ B\n@@ -1,2 +1,2 @@\n-a\n+c\n b\n\\ No newline at end of "
       "file\n"},
      {"only text without newline", "x", "y", 3,
       "--- A\n+++ B\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n"
       "\\ No newline at end of file\n"},
      {"six unchanged lines join hunks", n20,
       Replace(Replace(n20, "\n5\n", "\nfive\n"), "\n12\n", "\ntwelve\n"), 3,
       "--- A\n+++ B\n@@ -2,14 +2,14 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
       " 9\n 10\n 11\n-12\n+twelve\n 13\n 14\n 15\n"},
      {"seven unchanged lines split hunks", n20,
       Replace(Replace(n20, "\n5\n", "\nfive\n"), "\n13\n", "\nthirteen\n"), 3,
       "--- A\n+++ B\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
       "@@ -10,7 +10,7 @@\n 10\n 11\n 12\n-13\n+thirteen\n 14\n 15\n 16\n"},
      {"context 0 deletion", "1\n2\n3\n", "1\n3\n", 0,
       "--- A\n+++ B\n@@ -2 +1,0 @@\n-2\n"},
      {"context 0 insertion", "1\n3\n", "1\n2\n3\n", 0,
       "--- A\n+++ B\n@@ -1,0 +2 @@\n+2\n"},
      {"negative context is 0", "1\n3\n", "1\n2\n3\n", -5,
       "--- A\n+++ B\n@@ -1,0 +2 @@\n+2\n"},
      {"context 1", "1\n2\n", "1\nx\n2\n", 1,
       "--- A\n+++ B\n@@ -1,2 +1,3 @@\n 1\n+x\n 2\n"},
      {"inserted blank line slides down", "x\n\ny\n", "x\n\n\ny\n", 3,
       "--- A\n+++ B\n@@ -1,3 +1,4 @@\n x\n \n+\n y\n"},
      {"duplicate line: the later copy is the insertion", "a\nb\nc\n",
       "a\nb\nb\nc\n", 3, "--- A\n+++ B\n@@ -1,3 +1,4 @@\n a\n b\n+b\n c\n"},
      {"CRLF lines are other lines", "a\r\nb\r\n", "a\nb\r\n", 3,
       "--- A\n+++ B\n@@ -1,2 +1,2 @@\n-a\r\n+a\n b\r\n"},
  };
  Scratch scratch;
  ASSERT_TRUE(scratch.ok());
  for (const DiffCase& c : cases) {
    std::string got = UnifiedDiff(c.a, c.b, "A", "B", c.context);
    EXPECT_EQ(got, c.want) << c.name;
    // The expectations above are GNU diff's own output.
    EXPECT_EQ(GnuDiff(scratch, c.a, c.b, std::max(c.context, 0)), c.want)
        << c.name;
  }
}

TEST(UnifiedDiff, UsesTheNamesGivenInTheHeader) {
  EXPECT_EQ(UnifiedDiff("a\n", "b\n", "old/etc/hosts", "new/etc/hosts"),
            "--- old/etc/hosts\n+++ new/etc/hosts\n@@ -1 +1 @@\n-a\n+b\n");
}

// Random edits of random texts. `vocabulary` lines are drawn from; a small
// one makes many equal lines and so many equally short diffs, where only
// following GNU's steps gives GNU's choice.
std::vector<std::string> Mutate(std::vector<std::string> lines,
                                const std::vector<std::string>& vocabulary,
                                int max_edits, std::mt19937* rng) {
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(*rng);
  };
  int edits = static_cast<int>(pick(max_edits + 1));
  for (int e = 0; e < edits; ++e) {
    size_t at = pick(lines.size() + 1);
    switch (pick(6)) {
      case 0:  // delete a run
        if (at < lines.size()) {
          lines.erase(lines.begin() + at,
                      lines.begin() + std::min(lines.size(), at + 1 + pick(5)));
        }
        break;
      case 1:  // insert lines
        for (size_t k = 1 + pick(5); k > 0; --k) {
          lines.insert(lines.begin() + at, vocabulary[pick(vocabulary.size())]);
        }
        break;
      case 2:  // replace a line
        if (at < lines.size()) lines[at] = vocabulary[pick(vocabulary.size())];
        break;
      case 3:  // copy a block elsewhere
        if (!lines.empty()) {
          size_t from = pick(lines.size());
          std::vector<std::string> block(
              lines.begin() + from,
              lines.begin() + std::min(lines.size(), from + 1 + pick(8)));
          lines.insert(lines.begin() + std::min(at, lines.size()),
                       block.begin(), block.end());
        }
        break;
      case 4:  // blank lines
        lines.insert(lines.begin() + at, 1 + pick(3), "\n");
        break;
      case 5:  // swap two lines
        if (!lines.empty())
          std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
        break;
    }
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines, bool drop_newline) {
  std::string s;
  for (const std::string& l : lines) s += l;
  if (drop_newline && !s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Lines of the host's text files under /etc, and the files themselves.
struct EtcCorpus {
  std::vector<std::string> files;
  std::vector<std::string> lines;
};

EtcCorpus LoadEtc() {
  namespace fs = std::filesystem;
  EtcCorpus c;
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           "/etc", fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    uintmax_t size = it->file_size(ec);
    if (!ec && size > 0 && size <= kDefaultConfigSizeLimit) {
      paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    std::string content = ReadFile(p);
    if (!IsTextConfig(content)) continue;
    c.files.push_back(content);
    size_t start = 0;
    while (start < content.size()) {
      size_t nl = content.find('\n', start);
      size_t end = nl == std::string::npos ? content.size() : nl + 1;
      std::string line = content.substr(start, end - start);
      if (line.back() != '\n') line += '\n';
      c.lines.push_back(line);
      start = end;
    }
  }
  return c;
}

std::vector<std::string> SplitKeepingNewlines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    size_t end = nl == std::string::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(start, end - start));
    start = end;
  }
  return lines;
}

TEST(UnifiedDiff, EqualsGnuDiffOnSmallAlphabetTexts) {
  Scratch scratch;
  ASSERT_TRUE(scratch.ok());
  std::mt19937 rng(20240601);
  const std::vector<std::string> letters = {"a\n", "b\n", "c\n", "d\n",
                                            "e\n", "f\n", "x\n", "y\n"};
  const int contexts[] = {3, 3, 3, 0, 1, 2, 5};
  std::vector<Pair> pairs;
  for (int i = 0; i < 2000; ++i) {
    size_t alphabet = 1 + rng() % 8;
    std::vector<std::string> vocabulary(letters.begin(),
                                        letters.begin() + alphabet);
    std::vector<std::string> a;
    for (size_t n = rng() % 41; n > 0; --n) {
      a.push_back(vocabulary[rng() % alphabet]);
    }
    std::vector<std::string> b = rng() % 5 == 0
                                     ? Mutate({}, vocabulary, 20, &rng)
                                     : Mutate(a, letters, 6, &rng);
    Pair p;
    p.a = Join(a, rng() % 5 == 0);
    p.b = Join(b, rng() % 5 == 0);
    p.context = contexts[rng() % 7];
    pairs.push_back(p);
  }
  std::vector<std::string> want = GnuDiffs(scratch, pairs);
  int differing = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    ASSERT_EQ(UnifiedDiff(p.a, p.b, "A", "B", p.context), want[i])
        << "case " << i << " context " << p.context << "\na:\n"
        << p.a << "\nb:\n"
        << p.b;
    differing += !want[i].empty();
  }
  EXPECT_GT(differing, 1500);  // the generator mostly makes real changes
}

TEST(UnifiedDiff, EqualsGnuDiffOnEditedHostConfigFiles) {
  Scratch scratch;
  ASSERT_TRUE(scratch.ok());
  EtcCorpus etc = LoadEtc();
  ASSERT_GT(etc.files.size(), 50u);
  std::mt19937 rng(7);
  const int contexts[] = {3, 3, 3, 0, 1, 7};
  std::vector<Pair> pairs;
  for (int i = 0; i < 1000; ++i) {
    std::string base = etc.files[rng() % etc.files.size()];
    if (rng() % 10 == 0) {  // a longer text: several files back to back
      for (size_t k = 2 + rng() % 20; k > 0; --k) {
        base += etc.files[rng() % etc.files.size()];
      }
    }
    std::vector<std::string> a = SplitKeepingNewlines(base);
    if (rng() % 3 == 0) a = Mutate(a, etc.lines, 40, &rng);
    std::vector<std::string> b =
        Mutate(a, etc.lines, rng() % 3 == 0 ? 40 : 8, &rng);
    Pair p;
    p.a = Join(a, rng() % 10 == 0);
    p.b = Join(b, rng() % 10 == 0);
    p.context = contexts[rng() % 6];
    pairs.push_back(p);
  }
  std::vector<std::string> want = GnuDiffs(scratch, pairs);
  std::vector<std::string> ours;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    ours.push_back(UnifiedDiff(p.a, p.b, "A", "B", p.context));
    ASSERT_EQ(ours.back(), want[i]) << "case " << i << " context " << p.context;
  }
  // And patch(1) turns each a into its b with our diff: implied by the
  // equality, but this does not rely on GNU diff being right.
  std::vector<std::string> patched = PatchedAll(scratch, pairs, ours);
  for (size_t i = 0; i < pairs.size(); ++i) {
    ASSERT_EQ(patched[i], pairs[i].b) << "case " << i;
  }
}

// Texts that differ so much that GNU diff's TOO_EXPENSIVE cut-off decides
// the split points (with another limit than 4096 these differ from GNU's).
TEST(UnifiedDiff, EqualsGnuDiffWhereTheSearchIsCutShort) {
  Scratch scratch;
  ASSERT_TRUE(scratch.ok());
  std::mt19937 rng(3);
  const struct {
    size_t vocabulary, lines;
  } shapes[] = {{3, 10000}, {20, 10000}, {50, 20000}};
  for (const auto& shape : shapes) {
    std::vector<std::string> vocabulary;
    for (size_t i = 0; i < shape.vocabulary; ++i) {
      vocabulary.push_back(absl::StrCat("line ", i, " of the vocabulary\n"));
    }
    std::string a, b;
    for (size_t i = 0; i < shape.lines; ++i)
      a += vocabulary[rng() % shape.vocabulary];
    for (size_t i = 0; i < shape.lines; ++i)
      b += vocabulary[rng() % shape.vocabulary];
    std::string ours = UnifiedDiff(a, b, "A", "B");
    ASSERT_EQ(ours, GnuDiff(scratch, a, b, 3)) << shape.vocabulary;
    ASSERT_EQ(Patched(scratch, a, ours), b);
  }
}

TEST(UnifiedDiff, IsFastOnConfigSizedFiles) {
  // 256 KiB of config-like text with 200 scattered edits, and the same
  // against a wholly different text of that size.
  std::mt19937 rng(11);
  std::string a;
  for (int i = 0; a.size() < kDefaultConfigSizeLimit; ++i) {
    absl::StrAppend(&a, "option_", i % 997, " = value ", rng() % 100000, "\n");
  }
  std::vector<std::string> lines = SplitKeepingNewlines(a);
  for (int e = 0; e < 200; ++e) {
    lines[rng() % lines.size()] = absl::StrCat("edited ", e, "\n");
  }
  std::string b = Join(lines, false);
  std::string c;
  while (c.size() < kDefaultConfigSizeLimit)
    absl::StrAppend(&c, "other ", rng() % 50, "\n");

  auto start = std::chrono::steady_clock::now();
  std::string d1 = UnifiedDiff(a, b, "a", "b");
  std::string d2 = UnifiedDiff(a, c, "a", "c");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_FALSE(d1.empty());
  EXPECT_FALSE(d2.empty());
  // Typically some tens of milliseconds; generous for sanitizer builds.
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace dci
