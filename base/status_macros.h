// Early-return helpers for absl::Status, shaped like upstream abseil's
// (Debian's abseil 20220623 ships none).
#ifndef DCI_BASE_STATUS_MACROS_H_
#define DCI_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DCI_CONCAT_INNER_(a, b) a##b
#define DCI_CONCAT_(a, b) DCI_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define DCI_RETURN_IF_ERROR(expr)                       \
  do {                                                  \
    ::absl::Status dci_status_ = (expr);                \
    if (!dci_status_.ok()) return dci_status_;          \
  } while (0)

// DCI_ASSIGN_OR_RETURN(auto x, MakeX()); assigns the value or returns the
// error.
#define DCI_ASSIGN_OR_RETURN(lhs, rexpr) \
  DCI_ASSIGN_OR_RETURN_IMPL_(DCI_CONCAT_(dci_statusor_, __LINE__), lhs, rexpr)

#define DCI_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace dci {

// Returns `s` with `context + ": "` put in front of its message, keeping the
// code. OK stays OK.
absl::Status Annotate(const absl::Status& s, const std::string& context);

}  // namespace dci

#endif  // DCI_BASE_STATUS_MACROS_H_
