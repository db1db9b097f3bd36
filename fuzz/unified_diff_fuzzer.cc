// Fuzzes UnifiedDiff: the input is split in two texts (the first two bytes
// choose where, the third the context), and the diff is applied back to the
// first text, which must give the second exactly. Also runs the text
// heuristics over both halves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "indexer/system/config_text.h"

namespace {

std::vector<absl::string_view> Lines(absl::string_view s) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    size_t end = nl == absl::string_view::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(start, end - start));
    start = end;
  }
  return lines;
}

[[noreturn]] void Fail() { __builtin_trap(); }

// "-l,s" or "-l" (and "+..."): the first line of a range, 1-based.
size_t RangeStart(absl::string_view range) {
  range.remove_prefix(1);
  size_t comma = range.find(',');
  size_t start = 0;
  if (!absl::SimpleAtoi(range.substr(0, comma), &start)) Fail();
  return start;
}

// Applies a diff produced by UnifiedDiff to `a`.
std::string Apply(absl::string_view a, absl::string_view diff) {
  std::vector<absl::string_view> old_lines = Lines(a);
  std::vector<absl::string_view> d = Lines(diff);
  if (d.size() < 3) Fail();
  std::string out;
  size_t next_old = 0;  // 0-based index of the next line of `a` to copy
  for (size_t i = 2; i < d.size(); ++i) {
    absl::string_view line = d[i];
    if (line.substr(0, 4) == "@@ -") {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
      if (f.size() != 4) Fail();
      size_t start = RangeStart(f[1]);
      // An empty range names the line before it.
      size_t count_pos = f[1].find(',');
      bool empty = count_pos != absl::string_view::npos &&
                   f[1].substr(count_pos + 1) == "0";
      size_t first = empty ? start : (start == 0 ? 0 : start - 1);
      if (first < next_old || first > old_lines.size()) Fail();
      for (; next_old < first; ++next_old) {
        out.append(old_lines[next_old].data(), old_lines[next_old].size());
      }
      continue;
    }
    if (line.empty()) Fail();
    char mark = line[0];
    absl::string_view text = line.substr(1);
    bool incomplete =
        i + 1 < d.size() && !d[i + 1].empty() && d[i + 1][0] == '\\';
    if (incomplete) text.remove_suffix(1);  // the '\n' the printer added
    if (mark == ' ' || mark == '-') {
      if (next_old >= old_lines.size() || old_lines[next_old] != text) Fail();
      ++next_old;
    }
    if (mark == ' ' || mark == '+') out.append(text.data(), text.size());
    if (mark != ' ' && mark != '-' && mark != '+') Fail();
    if (incomplete) ++i;
  }
  for (; next_old < old_lines.size(); ++next_old) {
    out.append(old_lines[next_old].data(), old_lines[next_old].size());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t split = (static_cast<size_t>(data[0]) << 8 | data[1]) % (size - 2);
  int context = data[2] % 8;
  absl::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  absl::string_view a = rest.substr(0, split);
  absl::string_view b = rest.substr(split);
  (void)dci::IsTextConfig(a);
  (void)dci::IsValidUtf8(b);
  (void)dci::IsConfigPath(a);
  std::string diff = dci::UnifiedDiff(a, b, "a", "b", context);
  if (diff.empty() != (a == b)) Fail();
  if (!diff.empty() && Apply(a, diff) != b) Fail();
  return 0;
}
