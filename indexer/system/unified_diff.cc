// Design note: why this is more than a textbook Myers diff.
//
// Two texts usually have many minimal line diffs (which of two equal lines
// is "the" deleted one, where a run of inserted blank lines starts). People
// compare dci's output with `diff -u`, and `patch` users expect its hunks,
// so this reproduces GNU diffutils 3.8's choices by taking its steps in its
// order, each restated from the named GNU source:
//
//  1. Trim the identical prefix and suffix, byte-wise, keeping `context`
//     whole lines of each inside the compared region (io.c
//     find_identical_ends; diff.c makes the horizon at least the context).
//     This decides where a change shows up when it could sit at either end.
//  2. Number the lines of the region by equivalence class; a last line
//     without '\n' only equals the other text's last line without '\n'
//     (io.c find_and_hash_each_line, "buckets[-1]").
//  3. Set aside lines that occur nowhere in the other text, and lines that
//     occur very often in runs of such lines (analyze.c
//     discard_confusing_lines); they are changes without being searched.
//  4. Find the changes among the remaining lines with Myers' O(ND)
//     middle-snake bisection, forward and backward searches in lock step,
//     and GNU's cut-off: after TOO_EXPENSIVE steps without meeting, split at
//     the furthest-reaching diagonal instead (gnulib diffseq.h diag and
//     compareseq; analyze.c sets TOO_EXPENSIVE to about the square root of
//     the line count, at least 4096).
//  5. Slide each run of changes up and down over equal lines so runs merge
//     and line up with the other text's runs (analyze.c shift_boundaries).
//  6. Group changes into hunks when fewer than 2 * context + 1 unchanged
//     lines separate them, and print (context.c find_hunk, pr_unidiff_hunk,
//     print_unidiff_number_range).
//
// Invariants the code relies on:
//  I1. After step 1 both regions start at the same line number, and each
//      region ends at a line start or at the end of its text.
//  I2. `changed` flag arrays have zero sentinels before index 0 and after
//      the last line; steps 5 and 6 walk off the ends onto them.
//  I3. Unchanged lines of the two texts pair up in order: both texts have
//      the same number of lines not flagged changed.
#include "indexer/system/unified_diff.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace dci {
namespace {

using Lin = std::ptrdiff_t;  // a line number or count, signed as GNU's lin
constexpr Lin kLinMax = std::numeric_limits<Lin>::max();

// One text, split into lines. Each line view includes its '\n'; only a last
// line can lack one.
struct Text {
  absl::string_view bytes;
  std::vector<absl::string_view> lines;
  bool missing_newline = false;

  explicit Text(absl::string_view s) : bytes(s) {
    size_t start = 0;
    while (start < s.size()) {
      size_t nl = s.find('\n', start);
      size_t end = nl == absl::string_view::npos ? s.size() : nl + 1;
      lines.push_back(s.substr(start, end - start));
      start = end;
    }
    missing_newline = !s.empty() && s.back() != '\n';
  }

  // GNU diff reads a text ending without '\n' as if it had one, and
  // remembers it did not (io.c prepare_text).
  Lin BufferSize() const {
    return static_cast<Lin>(bytes.size()) + (missing_newline ? 1 : 0);
  }
  char At(Lin i) const {
    return i < static_cast<Lin>(bytes.size()) ? bytes[i] : '\n';
  }

  // The index of the line starting at byte `offset`, which must be a line
  // start or the end of the (virtual) buffer.
  Lin LineAt(Lin offset) const {
    if (offset >= static_cast<Lin>(bytes.size())) {
      return static_cast<Lin>(lines.size());
    }
    // Lines are contiguous views into `bytes`: binary search by position.
    auto it = std::lower_bound(lines.begin(), lines.end(), offset,
                               [&](absl::string_view line, Lin off) {
                                 return line.data() - bytes.data() < off;
                               });
    return it - lines.begin();
  }
};

// Step 1. The compared region is lines [first, end[f]) of text f.
struct Region {
  Lin first = 0;
  Lin end[2] = {0, 0};
};

Region FindRegion(const Text& t0, const Text& t1, Lin horizon) {
  const Lin n0 = t0.BufferSize();
  const Lin n1 = t1.BufferSize();

  // The first differing byte (or the end of the shorter buffer).
  Lin p = 0;
  const Lin shorter = std::min(n0, n1);
  while (p < shorter && t0.At(p) == t1.At(p)) ++p;
  // A newline that one text only has virtually is not common (io.c: "Don't
  // mistakenly count missing newline as part of prefix").
  if ((n0 - t0.missing_newline < p) != (n1 - t1.missing_newline < p)) --p;
  // Back to the start of that line, then `horizon` lines further back.
  Lin hor = horizon;
  while (p > 0) {
    if (t0.At(p - 1) == '\n') {
      if (hor == 0) break;
      --hor;
    }
    --p;
  }
  const Lin prefix_end = p;

  // The identical suffix, only when both texts end alike; it may not reach
  // into the prefix of either text.
  Lin s0 = n0;
  if (t0.missing_newline == t1.missing_newline) {
    Lin limit = prefix_end + (n0 < n1 ? 0 : n0 - n1);
    Lin s1 = n1;
    while (s0 != limit) {
      --s0;
      --s1;
      if (t0.At(s0) != t1.At(s1)) {
        ++s0;
        ++s1;
        limit = s0;
        break;
      }
    }
    // Into the region: the rest of a partial line, then `horizon` lines.
    // (io.c adds the partial line as "one extra line" for
    // shift_boundaries.)
    bool at_line_start = (s0 == 0 || t0.At(s0 - 1) == '\n') &&
                         (s1 == 0 || t1.At(s1 - 1) == '\n');
    Lin more = horizon + (at_line_start ? 0 : 1);
    while (more-- > 0 && s0 != n0) {
      while (t0.At(s0++) != '\n') {
      }
    }
  }
  const Lin s1 = s0 + (n1 - n0);

  Region r;
  r.first = t0.LineAt(prefix_end);
  r.end[0] = t0.LineAt(s0);
  r.end[1] = t1.LineAt(s1);
  return r;
}

// A flag per line with zero sentinels on both sides (I2). Two on each side:
// GNU's shift_boundaries may look two before the first line, where GNU's
// own layout happens to hold another zero.
class Flags {
 public:
  explicit Flags(Lin n) : storage_(n + 4, 0) {}
  char& operator[](Lin i) { return storage_[i + 2]; }
  char operator[](Lin i) const { return storage_[i + 2]; }

 private:
  std::vector<char> storage_;
};

// Step 3, for one text: 0 keep, 1 discard, 2 discard only inside a run.
std::vector<char> MarkDiscards(const std::vector<Lin>& equivs,
                               const std::vector<Lin>& other_count) {
  const Lin n = static_cast<Lin>(equivs.size());
  std::vector<char> d(n, 0);
  // About 5 * sqrt(n / 64): lines matching more often than that are
  // "provisionally discardable".
  Lin many = 5;
  for (Lin t = n / 64; (t >>= 2) > 0;) many *= 2;
  for (Lin i = 0; i < n; ++i) {
    Lin matches = other_count[equivs[i]];
    if (matches == 0) {
      d[i] = 1;
    } else if (matches > many) {
      d[i] = 2;
    }
  }

  // Provisional discards stand only within a run of discards that starts
  // and ends with a definite one, and not too many or too long together.
  for (Lin i = 0; i < n; ++i) {
    if (d[i] == 2) {
      d[i] = 0;
      continue;
    }
    if (d[i] == 0) continue;
    Lin j = i;
    Lin provisional = 0;
    for (; j < n && d[j] != 0; ++j) {
      if (d[j] == 2) ++provisional;
    }
    while (j > i && d[j - 1] == 2) {
      d[--j] = 0;
      --provisional;
    }
    const Lin length = j - i;
    if (provisional * 4 > length) {
      while (j > i) {
        if (d[--j] == 2) d[j] = 0;
      }
      continue;
    }
    // Subruns of `minimum` provisionals or more are kept (about
    // sqrt(length / 4) + 1).
    Lin minimum = 1;
    for (Lin t = length >> 2; (t >>= 2) > 0;) minimum <<= 1;
    ++minimum;
    Lin consec = 0;
    for (j = 0; j < length; ++j) {
      if (d[i + j] != 2) {
        consec = 0;
      } else if (minimum == ++consec) {
        j -= consec;  // back to the subrun's start, to cancel all of it
      } else if (minimum < consec) {
        d[i + j] = 0;
      }
    }
    // From each end of the run, cancel provisionals until three definite
    // discards in a row, or a definite one at least 8 lines in.
    consec = 0;
    for (j = 0; j < length; ++j) {
      if (j >= 8 && d[i + j] == 1) break;
      if (d[i + j] == 2) {
        consec = 0;
        d[i + j] = 0;
      } else if (d[i + j] == 0) {
        consec = 0;
      } else {
        ++consec;
      }
      if (consec == 3) break;
    }
    i += length - 1;
    consec = 0;
    for (j = 0; j < length; ++j) {
      if (j >= 8 && d[i - j] == 1) break;
      if (d[i - j] == 2) {
        consec = 0;
        d[i - j] = 0;
      } else if (d[i - j] == 0) {
        consec = 0;
      } else {
        ++consec;
      }
      if (consec == 3) break;
    }
  }
  return d;
}

// Step 4 over the lines step 3 kept: x is text 0, y is text 1. Marks
// changed lines in the texts' Flags through the kept-to-real index maps.
class Bisector {
 public:
  Bisector(const std::vector<Lin>& xv, const std::vector<Lin>& yv,
           const std::vector<Lin>& xreal, const std::vector<Lin>& yreal,
           Flags* xchanged, Flags* ychanged)
      : xv_(xv),
        yv_(yv),
        xreal_(xreal),
        yreal_(yreal),
        xchanged_(xchanged),
        ychanged_(ychanged) {
    const Lin nx = static_cast<Lin>(xv.size());
    const Lin ny = static_cast<Lin>(yv.size());
    Lin diags = nx + ny + 3;
    fd_storage_.assign(diags, 0);
    bd_storage_.assign(diags, 0);
    // Diagonal k = x - y ranges over [-ny - 1, nx + 1].
    origin_ = ny + 1;
    too_expensive_ = 1;
    for (; diags != 0; diags >>= 2) too_expensive_ <<= 1;
    too_expensive_ = std::max<Lin>(4096, too_expensive_);
  }

  void Run() {
    // gnulib's compareseq recurses into the two halves; an explicit stack
    // gives the same result (the halves are independent) without deep
    // recursion on hostile input.
    std::vector<Task> todo = {{0, static_cast<Lin>(xv_.size()), 0,
                               static_cast<Lin>(yv_.size()), false}};
    while (!todo.empty()) {
      Task t = todo.back();
      todo.pop_back();
      while (t.xoff < t.xlim && t.yoff < t.ylim && xv_[t.xoff] == yv_[t.yoff]) {
        ++t.xoff;
        ++t.yoff;
      }
      while (t.xoff < t.xlim && t.yoff < t.ylim &&
             xv_[t.xlim - 1] == yv_[t.ylim - 1]) {
        --t.xlim;
        --t.ylim;
      }
      if (t.xoff == t.xlim) {
        for (Lin y = t.yoff; y < t.ylim; ++y) (*ychanged_)[yreal_[y]] = 1;
      } else if (t.yoff == t.ylim) {
        for (Lin x = t.xoff; x < t.xlim; ++x) (*xchanged_)[xreal_[x]] = 1;
      } else {
        Partition part = Diag(t.xoff, t.xlim, t.yoff, t.ylim, t.minimal);
        todo.push_back({part.xmid, t.xlim, part.ymid, t.ylim, part.hi_minimal});
        todo.push_back({t.xoff, part.xmid, t.yoff, part.ymid, part.lo_minimal});
      }
    }
  }

 private:
  struct Task {
    Lin xoff, xlim, yoff, ylim;
    bool minimal;
  };
  struct Partition {
    Lin xmid, ymid;
    bool lo_minimal, hi_minimal;
  };

  Lin& fd(Lin k) { return fd_storage_[k + origin_]; }
  Lin& bd(Lin k) { return bd_storage_[k + origin_]; }

  // The midpoint of a shortest edit script for x[xoff, xlim) against
  // y[yoff, ylim), whose first and last lines differ. fd(k) holds the
  // furthest x reached on diagonal k going forward, bd(k) the smallest x
  // going backward; the searches meet on a diagonal both have reached.
  Partition Diag(Lin xoff, Lin xlim, Lin yoff, Lin ylim, bool find_minimal) {
    const Lin dmin = xoff - ylim;
    const Lin dmax = xlim - yoff;
    const Lin fmid = xoff - yoff;
    const Lin bmid = xlim - ylim;
    Lin fmin = fmid, fmax = fmid;
    Lin bmin = bmid, bmax = bmid;
    // Whether the forward and backward searches meet after an odd number
    // of steps (the end diagonal is odd relative to the start one).
    const bool odd = ((fmid - bmid) & 1) != 0;
    fd(fmid) = xoff;
    bd(bmid) = xlim;

    for (Lin c = 1;; ++c) {
      // One more forward step on every diagonal in reach.
      if (fmin > dmin) {
        fd(--fmin - 1) = -1;
      } else {
        ++fmin;
      }
      if (fmax < dmax) {
        fd(++fmax + 1) = -1;
      } else {
        --fmax;
      }
      for (Lin d = fmax; d >= fmin; d -= 2) {
        const Lin tlo = fd(d - 1), thi = fd(d + 1);
        Lin x = tlo < thi ? thi : tlo + 1;
        Lin y = x - d;
        while (x < xlim && y < ylim && xv_[x] == yv_[y]) {
          ++x;
          ++y;
        }
        fd(d) = x;
        if (odd && bmin <= d && d <= bmax && bd(d) <= x) {
          return {x, y, true, true};
        }
      }

      // One more backward step.
      if (bmin > dmin) {
        bd(--bmin - 1) = kLinMax;
      } else {
        ++bmin;
      }
      if (bmax < dmax) {
        bd(++bmax + 1) = kLinMax;
      } else {
        --bmax;
      }
      for (Lin d = bmax; d >= bmin; d -= 2) {
        const Lin tlo = bd(d - 1), thi = bd(d + 1);
        Lin x = tlo < thi ? tlo : thi - 1;
        Lin y = x - d;
        while (xoff < x && yoff < y && xv_[x - 1] == yv_[y - 1]) {
          --x;
          --y;
        }
        bd(d) = x;
        if (!odd && fmin <= d && d <= fmax && x <= fd(d)) {
          return {x, y, true, true};
        }
      }

      if (find_minimal || c < too_expensive_) continue;

      // Too expensive: split at whichever search got further, measured
      // by x + y, and leave that side's half to a non-minimal search.
      Lin fxybest = -1, fxbest = 0;
      for (Lin d = fmax; d >= fmin; d -= 2) {
        Lin x = std::min(fd(d), xlim);
        Lin y = x - d;
        if (ylim < y) {
          x = ylim + d;
          y = ylim;
        }
        if (fxybest < x + y) {
          fxybest = x + y;
          fxbest = x;
        }
      }
      Lin bxybest = kLinMax, bxbest = 0;
      for (Lin d = bmax; d >= bmin; d -= 2) {
        Lin x = std::max(xoff, bd(d));
        Lin y = x - d;
        if (y < yoff) {
          x = yoff + d;
          y = yoff;
        }
        if (x + y < bxybest) {
          bxybest = x + y;
          bxbest = x;
        }
      }
      if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff)) {
        return {fxbest, fxybest - fxbest, true, false};
      }
      return {bxbest, bxybest - bxbest, false, true};
    }
  }

  const std::vector<Lin>& xv_;
  const std::vector<Lin>& yv_;
  const std::vector<Lin>& xreal_;
  const std::vector<Lin>& yreal_;
  Flags* xchanged_;
  Flags* ychanged_;
  std::vector<Lin> fd_storage_;
  std::vector<Lin> bd_storage_;
  Lin origin_ = 0;
  Lin too_expensive_ = 4096;
};

// Step 5, for text f against the other: move each run of changes as far
// back as equal lines allow (merging with runs before it), then as far
// forward (merging with runs after it), until it stops growing; finally
// back again to end where a run of the other text's changes ends, if it
// passed one.
void ShiftBoundaries(const std::vector<Lin>& equivs, Lin n,
                     const Flags& other_changed, Flags* changed_flags) {
  Flags& changed = *changed_flags;
  Lin i = 0;  // line in this text
  Lin j = 0;  // the corresponding line in the other text
  for (;;) {
    while (i < n && !changed[i]) {
      while (other_changed[j++]) {
      }
      ++i;
    }
    if (i == n) break;
    Lin start = i;
    while (changed[++i]) {
    }
    while (other_changed[j]) ++j;

    Lin corresponding;
    Lin run_length;
    do {
      run_length = i - start;
      while (start != 0 && equivs[start - 1] == equivs[i - 1]) {
        changed[--start] = 1;
        changed[--i] = 0;
        while (changed[start - 1]) --start;
        while (other_changed[--j]) {
        }
      }
      // Where the run last lined up with a change run in the other text;
      // n means nowhere.
      corresponding = other_changed[j - 1] ? i : n;
      while (i != n && equivs[start] == equivs[i]) {
        changed[start++] = 0;
        changed[i++] = 1;
        while (changed[i]) ++i;
        while (other_changed[++j]) corresponding = i;
      }
    } while (run_length != i - start);

    while (corresponding < i) {
      changed[--start] = 1;
      changed[--i] = 0;
      while (other_changed[--j]) {
      }
    }
  }
}

// One change: `deleted` lines of text 0 from line0 replaced by `inserted`
// lines of text 1 from line1 (absolute, 0-based).
struct Change {
  Lin line0, line1, deleted, inserted;
};

// print_unidiff_number_range: "l" for one line, "l,n" for n lines, and for
// an empty range the line before it with ",0".
void AppendRange(Lin first, Lin last, std::string* out) {
  if (last < first) {
    absl::StrAppend(out, last + 1, ",0");
  } else if (last == first) {
    absl::StrAppend(out, first + 1);
  } else {
    absl::StrAppend(out, first + 1, ",", last - first + 1);
  }
}

void AppendLine(char mark, absl::string_view line, std::string* out) {
  out->push_back(mark);
  out->append(line.data(), line.size());
  if (line.empty() || line.back() != '\n') {
    out->append("\n\\ No newline at end of file\n");
  }
}

}  // namespace

std::string UnifiedDiff(absl::string_view a, absl::string_view b,
                        absl::string_view a_name, absl::string_view b_name,
                        int context) {
  if (a == b) return "";
  const Lin ctx = std::max(context, 0);
  const Text t0(a), t1(b);

  // Step 1.
  const Region region = FindRegion(t0, t1, ctx);
  const Lin first = region.first;
  const Lin n[2] = {region.end[0] - first, region.end[1] - first};
  const Text* texts[2] = {&t0, &t1};

  // Step 2. Class 0 is unused, as in GNU diff.
  std::vector<Lin> equivs[2];
  absl::flat_hash_map<absl::string_view, Lin> classes;
  for (int f = 0; f < 2; ++f) {
    equivs[f].reserve(n[f]);
    for (Lin i = 0; i < n[f]; ++i) {
      auto [it, added] =
          classes.try_emplace(texts[f]->lines[first + i], classes.size() + 1);
      equivs[f].push_back(it->second);
    }
  }
  const Lin class_count = static_cast<Lin>(classes.size()) + 1;

  // Step 3.
  std::vector<Lin> count[2];
  for (int f = 0; f < 2; ++f) {
    count[f].assign(class_count, 0);
    for (Lin e : equivs[f]) ++count[f][e];
  }
  Flags changed[2] = {Flags(n[0]), Flags(n[1])};
  std::vector<Lin> kept[2], real[2];
  for (int f = 0; f < 2; ++f) {
    std::vector<char> discard = MarkDiscards(equivs[f], count[1 - f]);
    for (Lin i = 0; i < n[f]; ++i) {
      if (discard[i] == 0) {
        kept[f].push_back(equivs[f][i]);
        real[f].push_back(i);
      } else {
        changed[f][i] = 1;
      }
    }
  }

  // Step 4.
  Bisector(kept[0], kept[1], real[0], real[1], &changed[0], &changed[1]).Run();

  // Step 5.
  ShiftBoundaries(equivs[0], n[0], changed[1], &changed[0]);
  ShiftBoundaries(equivs[1], n[1], changed[0], &changed[1]);

  // The changes, in order (analyze.c build_script, walked forwards).
  std::vector<Change> changes;
  for (Lin i0 = 0, i1 = 0; i0 < n[0] || i1 < n[1];) {
    if (changed[0][i0] || changed[1][i1]) {
      Change c{first + i0, first + i1, 0, 0};
      while (changed[0][i0 + c.deleted]) ++c.deleted;
      while (changed[1][i1 + c.inserted]) ++c.inserted;
      i0 += c.deleted;
      i1 += c.inserted;
      changes.push_back(c);
    } else {
      ++i0;
      ++i1;
    }
  }

  // Step 6.
  const Lin total0 = static_cast<Lin>(t0.lines.size());
  const Lin total1 = static_cast<Lin>(t1.lines.size());
  std::string out = absl::StrCat("--- ", a_name, "\n+++ ", b_name, "\n");
  for (size_t h = 0; h < changes.size();) {
    // Changes separated by fewer than 2 * context + 1 unchanged lines.
    size_t last = h;
    while (last + 1 < changes.size() &&
           changes[last + 1].line0 -
                   (changes[last].line0 + changes[last].deleted) <
               2 * ctx + 1) {
      ++last;
    }
    Lin first0 = std::max<Lin>(changes[h].line0 - ctx, 0);
    Lin first1 = std::max<Lin>(changes[h].line1 - ctx, 0);
    Lin last0 = std::min(changes[last].line0 + changes[last].deleted - 1 + ctx,
                         total0 - 1);
    Lin last1 = std::min(changes[last].line1 + changes[last].inserted - 1 + ctx,
                         total1 - 1);

    out.append("@@ -");
    AppendRange(first0, last0, &out);
    out.append(" +");
    AppendRange(first1, last1, &out);
    out.append(" @@\n");

    Lin i = first0, j = first1;
    size_t next = h;
    while (i <= last0 || j <= last1) {
      if (next > last || i < changes[next].line0) {
        AppendLine(' ', t0.lines[i], &out);
        ++i;
        ++j;
      } else {
        for (Lin k = 0; k < changes[next].deleted; ++k) {
          AppendLine('-', t0.lines[i++], &out);
        }
        for (Lin k = 0; k < changes[next].inserted; ++k) {
          AppendLine('+', t1.lines[j++], &out);
        }
        ++next;
      }
    }
    h = last + 1;
  }
  return out;
}

}  // namespace dci
