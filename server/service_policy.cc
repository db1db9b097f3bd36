// DciService: policies (dci policy check|add|list|show|remove), the
// admission Check, and the policy parts of GetImage, Inspect, Subscribe and
// Index.
#include <fnmatch.h>

#include <spdlog/spdlog.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "policy/policy.h"
#include "policy/result_json.h"
#include "policy/subject.h"
#include "server/convert.h"
#include "server/policy_convert.h"
#include "server/policy_enforcer.h"
#include "server/service.h"

namespace dci {
namespace {

// "FILE:LINE:COL: message" for a policy that does not parse.
absl::StatusOr<Policy> ParseNamed(const std::string& yaml, const std::string& file) {
  absl::StatusOr<Policy> p = ParsePolicy(yaml);
  if (!p.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.empty() ? "policy" : file, ":", p.status().message()));
  }
  return p;
}

std::string Rfc3339(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(us),
                          absl::UTCTimeZone());
}

v1::BoundPolicy ToProto(const StoredPolicy& p, const Policy* parsed, bool with_yaml) {
  v1::BoundPolicy out;
  out.set_name(p.name);
  out.set_images_glob(p.images_glob);
  out.set_added_at(Rfc3339(p.added_at_us));
  if (parsed != nullptr) {
    out.set_rules(static_cast<int32_t>(parsed->rules.size()));
    out.set_description(parsed->description);
  }
  if (with_yaml) out.set_yaml(p.yaml);
  return out;
}

int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

grpc::Status DciService::CheckPolicy(grpc::ServerContext* ctx,
                                     const v1::CheckPolicyRequest* req,
                                     v1::PolicyVerdict* resp) {
  absl::StatusOr<Policy> policy = ParseNamed(req->policy_yaml(), req->policy_file());
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  absl::StatusOr<ImageRecord> image = store_->FindImage(req->image());
  if (!image.ok()) return ToGrpcStatus(image.status());
  PreviousOf previous;
  if (!req->against().empty()) {
    absl::StatusOr<ImageRecord> against = store_->FindImage(req->against());
    if (!against.ok()) return ToGrpcStatus(against.status());
    previous.image = *std::move(against);
  } else {
    // Named by a tag: that tag's previous version.
    for (const TagRef& t : image->tags) {
      if (t.ToString() == req->image()) previous.tag = t;
    }
  }
  absl::StatusOr<PolicyResult> r =
      EvaluateStoredImage(*store_, *policy, *image, previous, NowUnix(), &policy_cache_);
  if (!r.ok()) return ToGrpcStatus(r.status());
  if (r->policy_name.empty()) r->policy_name = req->policy_file();
  *resp = ToProto(*r);
  resp->set_image(image->manifest_digest);
  if (previous.tag) resp->set_tag(previous.tag->ToString());
  return grpc::Status::OK;
}

grpc::Status DciService::AddPolicy(grpc::ServerContext* ctx,
                                   const v1::AddPolicyRequest* req,
                                   v1::BoundPolicy* resp) {
  if (req->name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a policy needs a name");
  }
  absl::StatusOr<Policy> policy = ParseNamed(req->policy_yaml(), req->policy_file());
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  StoredPolicy p;
  p.name = req->name();
  p.yaml = req->policy_yaml();
  p.images_glob = req->images_glob().empty() ? "*" : req->images_glob();
  absl::StatusOr<StoredPolicy> put = store_->PutPolicy(p);
  if (!put.ok()) return ToGrpcStatus(put.status());
  spdlog::info("policy {} bound to {} ({} rules)", put->name, put->images_glob,
               policy->rules.size());
  *resp = ToProto(*put, &*policy, false);
  // The images already indexed are judged (from the POLICY_BOUND event)
  // before the answer, so an admission Check right after sees verdicts.
  if (policy_ != nullptr && !policy_->WaitProcessed(put->bound_seq, absl::Minutes(10))) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("policy ", put->name,
                                     " is bound; the images already indexed are still "
                                     "being judged (see dci show)"));
  }
  absl::StatusOr<std::map<std::string, int>> counts = store_->VerdictCountsOf(put->bound_seq);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  for (const auto& [verdict, n] : *counts) {
    resp->set_images_judged(resp->images_judged() + n);
    if (verdict == "deny") resp->set_images_denied(n);
    if (verdict == "warn") resp->set_images_warned(n);
  }
  return grpc::Status::OK;
}

grpc::Status DciService::ListPolicies(grpc::ServerContext* ctx,
                                      const v1::ListPoliciesRequest* req,
                                      v1::ListPoliciesResponse* resp) {
  absl::StatusOr<std::vector<StoredPolicy>> all = store_->Policies();
  if (!all.ok()) return ToGrpcStatus(all.status());
  for (const StoredPolicy& p : *all) {
    absl::StatusOr<Policy> parsed = ParsePolicy(p.yaml);
    *resp->add_policies() = ToProto(p, parsed.ok() ? &*parsed : nullptr, false);
  }
  return grpc::Status::OK;
}

grpc::Status DciService::GetPolicy(grpc::ServerContext* ctx,
                                   const v1::GetPolicyRequest* req,
                                   v1::BoundPolicy* resp) {
  absl::StatusOr<StoredPolicy> p = store_->GetPolicy(req->name());
  if (!p.ok()) return ToGrpcStatus(p.status());
  absl::StatusOr<Policy> parsed = ParsePolicy(p->yaml);
  *resp = ToProto(*p, parsed.ok() ? &*parsed : nullptr, true);
  return grpc::Status::OK;
}

grpc::Status DciService::RemovePolicy(grpc::ServerContext* ctx,
                                      const v1::RemovePolicyRequest* req,
                                      v1::RemovePolicyResponse* resp) {
  return ToGrpcStatus(store_->RemovePolicy(req->name()));
}

grpc::Status DciService::Check(grpc::ServerContext* ctx,
                               const v1::CheckRequest* req,
                               v1::CheckResponse* resp) {
  absl::StatusOr<ImageRecord> image = store_->FindImage(req->image());
  if (!image.ok()) return ToGrpcStatus(image.status());
  resp->set_image(image->manifest_digest);
  grpc::Status s = AttachPolicyVerdicts(image->id, resp->mutable_verdicts());
  if (!s.ok()) return s;
  std::string worst = "pass";
  std::vector<std::string> deny_reasons, warn_reasons;
  for (const v1::PolicyVerdict& v : resp->verdicts()) {
    if (v.verdict() == "deny") worst = "deny";
    if (v.verdict() == "warn" && worst == "pass") worst = "warn";
    for (const v1::Violation& viol : v.violations()) {
      if (viol.severity() == "info") continue;
      std::string first = viol.evidence().empty() ? viol.description()
                                                  : viol.evidence(0).message();
      std::string reason = absl::StrCat(v.policy(), "/", viol.rule(), ": ", first);
      (viol.severity() == "deny" ? deny_reasons : warn_reasons).push_back(reason);
    }
  }
  resp->set_verdict(worst);
  resp->set_allowed(worst != "deny");
  for (const std::string& r : deny_reasons) resp->add_reasons(r);
  for (const std::string& r : warn_reasons) resp->add_reasons(r);
  return grpc::Status::OK;
}

grpc::Status DciService::AttachPolicyVerdicts(
    int64_t image_id,
    google::protobuf::RepeatedPtrField<v1::PolicyVerdict>* out,
    bool bound_only) {
  absl::StatusOr<std::vector<PolicyVerdictRecord>> verdicts =
      store_->PolicyVerdicts(image_id);
  if (!verdicts.ok()) return ToGrpcStatus(verdicts.status());
  absl::flat_hash_set<std::string> bound;
  if (bound_only) {
    absl::StatusOr<std::vector<StoredPolicy>> policies = store_->Policies();
    if (!policies.ok()) return ToGrpcStatus(policies.status());
    for (const StoredPolicy& p : *policies) bound.insert(p.name);
  }
  for (const PolicyVerdictRecord& v : *verdicts) {
    if (bound_only && !bound.contains(v.policy_name)) continue;
    absl::StatusOr<v1::PolicyVerdict> p = ToProto(v);
    if (!p.ok()) return ToGrpcStatus(p.status());
    *out->Add() = *std::move(p);
  }
  return grpc::Status::OK;
}

grpc::Status DciService::InspectPolicy(const ImageRecord& record,
                                       const v1::InspectRequest& req,
                                       v1::Image* resp) {
  absl::StatusOr<Policy> policy = ParseNamed(req.policy_yaml(), req.policy_file());
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  absl::StatusOr<std::unique_ptr<LoadedSubject>> s =
      LoadedSubject::Load(nullptr, record, policy->needs, /*layers_indexed=*/false);
  if (!s.ok()) return ToGrpcStatus(s.status());
  (*s)->subject().no_previous_reason =
      "needs the image's layers and the previous version of its tag";
  absl::StatusOr<PolicyResult> r = EvaluatePolicy(*policy, (*s)->subject(), NowUnix());
  if (!r.ok()) return ToGrpcStatus(r.status());
  if (r->policy_name.empty()) r->policy_name = req.policy_file();
  v1::PolicyVerdict* v = resp->add_policy_verdicts();
  *v = ToProto(*r);
  v->set_image(record.manifest_digest);
  return grpc::Status::OK;
}

void DciService::AttachPolicyToEvent(int64_t seq, v1::Event* event) {
  absl::StatusOr<std::optional<PolicyVerdictRecord>> v = store_->PolicyVerdictOfEvent(seq);
  if (!v.ok() || !v->has_value()) return;
  absl::StatusOr<v1::PolicyVerdict> p = ToProto(**v);
  if (p.ok()) *event->mutable_policy() = *std::move(p);
}

void DciService::WaitForPolicies() {
  if (policy_ == nullptr) return;
  absl::StatusOr<std::vector<StoredPolicy>> all = store_->Policies();
  if (!all.ok() || all->empty()) return;
  absl::StatusOr<int64_t> head = store_->HeadSeq();
  if (!head.ok()) return;
  if (!policy_->WaitProcessed(*head, absl::Seconds(60))) {
    spdlog::warn("policy verdicts for events up to {} are not stored yet", *head);
  }
}

}  // namespace dci
