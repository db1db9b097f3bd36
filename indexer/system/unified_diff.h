// Unified line diffs of two texts, byte for byte what GNU `diff -u` prints.
#ifndef DCI_INDEXER_SYSTEM_UNIFIED_DIFF_H_
#define DCI_INDEXER_SYSTEM_UNIFIED_DIFF_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dci {

// Returns the unified diff from `a` to `b`, as GNU diffutils 3.8 prints it
// with `diff -a -u --label A_NAME --label B_NAME` (labels replace the file
// names and timestamps), or "" when `a` and `b` are equal:
//
//   --- a_name
//   +++ b_name
//   @@ -1,4 +1,4 @@
//    context
//   -old line
//   +new line
//    context
//
// Lines end at '\n'. A last line without one is a different line from the
// same text with one, and is printed followed by "\ No newline at end of
// file". `context` lines of context surround each change (negative counts as
// 0); changes closer than 2 * context + 1 lines share one hunk.
//
// Not only the format but also the alignment is GNU diff's: among the many
// minimal diffs two texts can have, this picks the one GNU diff picks,
// because it follows the same steps (the design note in unified_diff.cc).
// Like GNU diff, it gives up minimality on very expensive inputs (an edit
// script of more than several thousand lines within one region) in favour
// of time, at the same point GNU diff does. The input is taken as bytes: no
// encoding, no binary-file detection (GNU's -a).
//
// Time is O((N + M) * D) in the worst case for N and M lines and D differing
// lines, bounded as GNU's is; memory is O(N + M). Thread-safe (no state).
std::string UnifiedDiff(absl::string_view a, absl::string_view b,
                        absl::string_view a_name, absl::string_view b_name,
                        int context = 3);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_UNIFIED_DIFF_H_
