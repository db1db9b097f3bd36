// A PolicyResult as JSON text, the form the store keeps verdicts in
// (store/ treats it as opaque text).
#ifndef DCI_POLICY_RESULT_JSON_H_
#define DCI_POLICY_RESULT_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/evaluate.h"

namespace dci {

std::string PolicyResultToJson(const PolicyResult& r);
// DataLoss for text that is not a result written by PolicyResultToJson.
absl::StatusOr<PolicyResult> PolicyResultFromJson(absl::string_view json);

}  // namespace dci

#endif  // DCI_POLICY_RESULT_JSON_H_
