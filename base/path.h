// Normalisation of entry names from image tar streams. Image bytes are
// untrusted: a name that could escape the image root is an error, never
// "cleaned up" into something else.
#ifndef DCI_BASE_PATH_H_
#define DCI_BASE_PATH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

// Turns a tar entry name into dci's canonical form: relative, '/'-separated,
// no "./" prefix, no trailing '/', no empty or "." components.
// "./etc/passwd" -> "etc/passwd", "usr/bin/" -> "usr/bin", "./" -> "" (the
// root). Errors (InvalidArgument): a NUL byte, an absolute name, a ".."
// component, a name longer than 4096 bytes.
absl::StatusOr<std::string> NormalizeEntryPath(absl::string_view name);

// "a/b/c" -> "a/b"; "a" -> "" (the root).
absl::string_view ParentPath(absl::string_view path);

// "a/b/c" -> "c".
absl::string_view BaseName(absl::string_view path);

// True if `path` lies strictly under directory `dir` ("" is the root, under
// which every non-empty path lies).
bool IsStrictlyUnder(absl::string_view path, absl::string_view dir);

}  // namespace dci

#endif  // DCI_BASE_PATH_H_
