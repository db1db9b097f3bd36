#include "server/policy_convert.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "policy/result_json.h"

namespace dci {

v1::PolicyVerdict ToProto(const PolicyResult& r) {
  v1::PolicyVerdict out;
  out.set_policy(r.policy_name);
  out.set_verdict(std::string(VerdictName(r.verdict)));
  out.set_rules(r.rules);
  out.set_compared_with(r.compared_with);
  for (const Violation& v : r.violations) {
    v1::Violation* pv = out.add_violations();
    pv->set_rule(v.rule_id);
    pv->set_description(v.description);
    pv->set_severity(std::string(SeverityName(v.severity)));
    for (const Evidence& e : v.evidence) {
      v1::Evidence* pe = pv->add_evidence();
      pe->set_subject(e.subject);
      pe->set_field(e.field);
      pe->set_path(e.path);
      pe->set_package(e.package);
      pe->set_version(e.version);
      pe->set_line(e.line);
      pe->set_value(e.value);
      pe->set_message(e.message);
    }
  }
  for (const NotEvaluated& n : r.not_evaluated) {
    v1::NotEvaluated* pn = out.add_not_evaluated();
    pn->set_rule(n.rule_id);
    pn->set_reason(n.reason);
  }
  return out;
}

absl::StatusOr<v1::PolicyVerdict> ToProto(const PolicyVerdictRecord& v) {
  DCI_ASSIGN_OR_RETURN(PolicyResult r, PolicyResultFromJson(v.result));
  r.policy_name = v.policy_name;
  v1::PolicyVerdict out = ToProto(r);
  out.set_image(v.image_digest);
  out.set_evaluated_at(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                        absl::FromUnixMicros(v.evaluated_at_us),
                                        absl::UTCTimeZone()));
  if (!v.name.empty()) out.set_tag(absl::StrCat(v.name, ":", v.tag));
  out.set_event_seq(v.event_seq);
  return out;
}

}  // namespace dci
