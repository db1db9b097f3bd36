// Policy verdicts on the wire (protos/dci/v1/policy.proto).
#ifndef DCI_SERVER_POLICY_CONVERT_H_
#define DCI_SERVER_POLICY_CONVERT_H_

#include "absl/status/statusor.h"
#include "dci/v1/policy.pb.h"
#include "policy/evaluate.h"
#include "store/store.h"

namespace dci {

v1::PolicyVerdict ToProto(const PolicyResult& r);
// A stored verdict, with its image, tag, time and event.
absl::StatusOr<v1::PolicyVerdict> ToProto(const PolicyVerdictRecord& v);

}  // namespace dci

#endif  // DCI_SERVER_POLICY_CONVERT_H_
