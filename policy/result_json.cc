#include "policy/result_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace dci {
namespace {

using nlohmann::json;

Severity SeverityOf(const std::string& s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warn") return Severity::kWarn;
  return Severity::kDeny;
}

Verdict VerdictOf(const std::string& s) {
  if (s == "warn") return Verdict::kWarn;
  if (s == "deny") return Verdict::kDeny;
  return Verdict::kPass;
}

}  // namespace

std::string PolicyResultToJson(const PolicyResult& r) {
  json j;
  j["policy"] = r.policy_name;
  j["verdict"] = std::string(VerdictName(r.verdict));
  j["rules"] = r.rules;
  j["compared_with"] = r.compared_with;
  j["violations"] = json::array();
  for (const Violation& v : r.violations) {
    json jv;
    jv["rule"] = v.rule_id;
    jv["description"] = v.description;
    jv["severity"] = std::string(SeverityName(v.severity));
    jv["evidence"] = json::array();
    for (const Evidence& e : v.evidence) {
      jv["evidence"].push_back({{"subject", e.subject}, {"field", e.field},
                                {"path", e.path}, {"package", e.package},
                                {"version", e.version}, {"line", e.line},
                                {"value", e.value}, {"message", e.message}});
    }
    j["violations"].push_back(std::move(jv));
  }
  j["not_evaluated"] = json::array();
  for (const NotEvaluated& n : r.not_evaluated) {
    j["not_evaluated"].push_back({{"rule", n.rule_id}, {"reason", n.reason}});
  }
  // Invalid UTF-8 (config lines are image data) is replaced, not thrown.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<PolicyResult> PolicyResultFromJson(absl::string_view text) {
  try {
    json j = json::parse(text.begin(), text.end());
    PolicyResult r;
    r.policy_name = j.at("policy").get<std::string>();
    r.verdict = VerdictOf(j.at("verdict").get<std::string>());
    r.rules = j.at("rules").get<int>();
    r.compared_with = j.value("compared_with", "");
    for (const json& jv : j.at("violations")) {
      Violation v;
      v.rule_id = jv.at("rule").get<std::string>();
      v.description = jv.at("description").get<std::string>();
      v.severity = SeverityOf(jv.at("severity").get<std::string>());
      for (const json& je : jv.at("evidence")) {
        Evidence e;
        e.subject = je.at("subject").get<std::string>();
        e.field = je.at("field").get<std::string>();
        e.path = je.at("path").get<std::string>();
        e.package = je.at("package").get<std::string>();
        e.version = je.at("version").get<std::string>();
        e.line = je.at("line").get<int>();
        e.value = je.at("value").get<std::string>();
        e.message = je.at("message").get<std::string>();
        v.evidence.push_back(std::move(e));
      }
      r.violations.push_back(std::move(v));
    }
    for (const json& jn : j.at("not_evaluated")) {
      r.not_evaluated.push_back(
          {jn.at("rule").get<std::string>(), jn.at("reason").get<std::string>()});
    }
    return r;
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("stored policy verdict: ", e.what()));
  }
}

}  // namespace dci
