#include "clients/cli/policy_cmd.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cli/common.h"

namespace dci::cli {
namespace {

constexpr char kPolicyUsage[] =
    "usage: dci policy check IMAGE --policy FILE [--fail-on warn] [--against IMAGE]\n"
    "       dci policy add NAME FILE [--images GLOB]\n"
    "       dci policy list | show NAME | remove NAME\n"
    "       dci admit IMAGE\n";

int Usage(const std::string& why) {
  std::cerr << "dci: " << why << "\n\n" << kPolicyUsage;
  return kExitUsage;
}

// A policy that does not parse is INVALID_ARGUMENT with "FILE:LINE:COL:":
// the user's input, so exit 1 as for a usage error.
int PolicyFail(const grpc::Status& s, const std::string& server,
               const grpc::ClientContext& ctx) {
  const int code = Fail(s, server, ctx);
  return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitUsage
                                                              : code;
}

const char* kRed = "\033[31m";
const char* kYellow = "\033[33m";
const char* kGreen = "\033[32m";
const char* kDim = "\033[2m";
const char* kReset = "\033[0m";

std::string Paint(const Style& s, const char* color, const std::string& text) {
  return s.color ? absl::StrCat(color, text, kReset) : text;
}

const char* ColorOf(const std::string& verdict_or_severity) {
  if (verdict_or_severity == "deny") return kRed;
  if (verdict_or_severity == "warn") return kYellow;
  if (verdict_or_severity == "pass") return kGreen;
  return kDim;
}

std::string Flag(const PolicyCommand& cmd, const std::string& name) {
  auto it = cmd.flags.find(name);
  return it == cmd.flags.end() ? "" : it->second;
}

bool FailOnWarn(const PolicyCommand& cmd, int* exit_code) {
  auto it = cmd.flags.find("--fail-on");
  if (it == cmd.flags.end()) return false;
  if (it->second != "warn" && it->second != "deny") {
    *exit_code = Usage("--fail-on must be warn or deny");
    return false;
  }
  return it->second == "warn";
}

}  // namespace

bool ReadPolicyFile(const std::string& path, std::string* yaml) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "dci: cannot read policy file " << path << "\n";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *yaml = ss.str();
  return true;
}

int ExitForVerdict(const std::string& verdict, bool fail_on_warn) {
  if (verdict == "deny") return kExitFailed;
  if (verdict == "warn" && fail_on_warn) return kExitUsage;
  return kExitOk;
}

void RenderPolicyVerdict(const v1::PolicyVerdict& v, const Style& s,
                         const std::string& indent, std::ostream& out) {
  std::string head = absl::StrCat(indent, "policy ", v.policy().empty() ? "-" : v.policy());
  if (!v.image().empty()) absl::StrAppend(&head, " on ", v.image().substr(0, 19));
  if (!v.tag().empty()) absl::StrAppend(&head, " (", v.tag(), ")");
  absl::StrAppend(&head, ": ", Paint(s, ColorOf(v.verdict()), v.verdict()));
  out << head << "\n";
  for (const v1::Violation& viol : v.violations()) {
    std::string sev = absl::AsciiStrToUpper(viol.severity());
    out << indent << "  " << Paint(s, ColorOf(viol.severity()), absl::StrFormat("%-4s", sev))
        << "  " << viol.rule();
    if (!viol.description().empty()) out << ": " << viol.description();
    out << "\n";
    for (const v1::Evidence& e : viol.evidence()) {
      out << indent << "        " << e.message() << "\n";
    }
  }
  for (const v1::NotEvaluated& n : v.not_evaluated()) {
    out << indent << "  " << Paint(s, kDim, absl::StrCat("not evaluated  ", n.rule(), ": ",
                                                        n.reason()))
        << "\n";
  }
  int deny = 0, warn = 0, info = 0;
  for (const v1::Violation& viol : v.violations()) {
    if (viol.severity() == "deny") ++deny;
    else if (viol.severity() == "warn") ++warn;
    else ++info;
  }
  out << indent << "  "
      << absl::StrFormat("%d rules: %d violated (%d deny, %d warn, %d info), %d not evaluated",
                         v.rules(), v.violations_size(), deny, warn, info,
                         v.not_evaluated_size());
  if (!v.compared_with().empty()) out << "; drift against " << v.compared_with();
  if (!v.evaluated_at().empty()) out << "; evaluated " << v.evaluated_at();
  out << "\n";
}

int RunPolicyCommand(v1::Dci::Stub& stub, const PolicyCommand& cmd) {
  grpc::ClientContext ctx;
  if (cmd.name == "admit") {
    if (cmd.args.size() != 1) return Usage("admit takes one image");
    v1::CheckRequest req;
    req.set_image(cmd.args[0]);
    v1::CheckResponse resp;
    grpc::Status s = stub.Check(&ctx, req, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    if (cmd.json) {
      PrintJson(resp);
    } else {
      std::cout << (resp.allowed() ? Paint(cmd.style, kGreen, "allow")
                                   : Paint(cmd.style, kRed, "deny"))
                << " " << resp.image() << " (" << resp.verdicts_size()
                << " bound policies, worst verdict " << resp.verdict() << ")\n";
      for (const std::string& r : resp.reasons()) std::cout << "  " << r << "\n";
    }
    return resp.allowed() ? kExitOk : kExitFailed;
  }
  const std::string sub = cmd.args.empty() ? "" : cmd.args[0];
  if (sub == "check") {
    if (cmd.args.size() != 2) return Usage("policy check takes one image");
    const std::string file = Flag(cmd, "--policy");
    if (file.empty()) return Usage("policy check needs --policy FILE");
    int bad = kExitOk;
    const bool fail_on_warn = FailOnWarn(cmd, &bad);
    if (bad != kExitOk) return bad;
    v1::CheckPolicyRequest req;
    req.set_image(cmd.args[1]);
    req.set_policy_file(file);
    if (!ReadPolicyFile(file, req.mutable_policy_yaml())) return kExitUsage;
    req.set_against(Flag(cmd, "--against"));
    v1::PolicyVerdict resp;
    grpc::Status s = stub.CheckPolicy(&ctx, req, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    cmd.json ? PrintJson(resp) : RenderPolicyVerdict(resp, cmd.style, "", std::cout);
    return ExitForVerdict(resp.verdict(), fail_on_warn);
  }
  if (sub == "add") {
    if (cmd.args.size() != 3) return Usage("policy add takes NAME FILE");
    v1::AddPolicyRequest req;
    req.set_name(cmd.args[1]);
    req.set_policy_file(cmd.args[2]);
    if (!ReadPolicyFile(cmd.args[2], req.mutable_policy_yaml())) return kExitUsage;
    req.set_images_glob(Flag(cmd, "--images"));
    v1::BoundPolicy resp;
    grpc::Status s = stub.AddPolicy(&ctx, req, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    if (cmd.json) {
      PrintJson(resp);
      return kExitOk;
    }
    std::cout << "policy " << resp.name() << " (" << resp.rules()
              << " rules) bound to images " << resp.images_glob() << "\n";
    if (resp.images_judged() > 0) {
      std::cout << absl::StrFormat(
          "judged %d image%s already indexed: %d deny, %d warn, %d pass\n",
          resp.images_judged(), resp.images_judged() == 1 ? "" : "s",
          resp.images_denied(), resp.images_warned(),
          resp.images_judged() - resp.images_denied() - resp.images_warned());
    }
    return kExitOk;
  }
  if (sub == "list") {
    if (cmd.args.size() != 1) return Usage("policy list takes no arguments");
    v1::ListPoliciesResponse resp;
    grpc::Status s = stub.ListPolicies(&ctx, {}, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    if (cmd.json) {
      PrintJson(resp);
      return kExitOk;
    }
    std::cout << absl::StrFormat("%-24s %-32s %5s  %s\n", "NAME", "IMAGES", "RULES", "ADDED");
    for (const v1::BoundPolicy& p : resp.policies()) {
      std::cout << absl::StrFormat("%-24s %-32s %5d  %s\n", p.name(), p.images_glob(),
                                   p.rules(), p.added_at());
    }
    return kExitOk;
  }
  if (sub == "show") {
    if (cmd.args.size() != 2) return Usage("policy show takes NAME");
    v1::GetPolicyRequest req;
    req.set_name(cmd.args[1]);
    v1::BoundPolicy resp;
    grpc::Status s = stub.GetPolicy(&ctx, req, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    if (cmd.json) {
      PrintJson(resp);
    } else {
      std::cout << "# policy " << resp.name() << ", images " << resp.images_glob() << ", "
                << resp.rules() << " rules, added " << resp.added_at() << "\n"
                << resp.yaml();
      if (!resp.yaml().empty() && resp.yaml().back() != '\n') std::cout << "\n";
    }
    return kExitOk;
  }
  if (sub == "remove") {
    if (cmd.args.size() != 2) return Usage("policy remove takes NAME");
    v1::RemovePolicyRequest req;
    req.set_name(cmd.args[1]);
    v1::RemovePolicyResponse resp;
    grpc::Status s = stub.RemovePolicy(&ctx, req, &resp);
    if (!s.ok()) return PolicyFail(s, cmd.server, ctx);
    cmd.json ? PrintJson(resp) : void(std::cout << "removed policy " << cmd.args[1] << "\n");
    return kExitOk;
  }
  return Usage(sub.empty() ? "policy needs a subcommand" : "unknown policy subcommand \"" + sub + "\"");
}

}  // namespace dci::cli
