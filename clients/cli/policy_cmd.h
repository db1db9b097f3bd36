// `dci policy check|add|list|show|remove`, `dci admit` and the verdict part
// of `dci inspect --policy` and `dci show`: policies from the command line
// (the CheckPolicy, AddPolicy, ListPolicies, GetPolicy, RemovePolicy and
// Check RPCs).
#ifndef DCI_CLIENTS_CLI_POLICY_CMD_H_
#define DCI_CLIENTS_CLI_POLICY_CMD_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "clients/cli/render.h"
#include "dci/v1/service.grpc.pb.h"

namespace dci::cli {

struct PolicyCommand {
  std::string name;  // "policy" or "admit"
  std::string server;
  std::vector<std::string> args;                  // positional, after it
  std::multimap<std::string, std::string> flags;  // command flags
  bool json = false;
  Style style;
};

// Runs the command; returns dci's exit code. `policy check`: 0 pass (and
// warn, unless --fail-on warn: 1), 4 deny; 1 also for a policy file that
// does not parse (with its line and column).
int RunPolicyCommand(v1::Dci::Stub& stub, const PolicyCommand& cmd);

// Reads a policy file into the request fields; false (and a message on
// stderr) when it cannot be read.
bool ReadPolicyFile(const std::string& path, std::string* yaml);

// The exit code a verdict gives: deny 4, warn 1 with `fail_on_warn`, else 0.
int ExitForVerdict(const std::string& verdict, bool fail_on_warn);

// The verdict with every violation and its evidence; `indent` prefixes
// each line (dci show lists several).
void RenderPolicyVerdict(const v1::PolicyVerdict& v, const Style& s,
                         const std::string& indent, std::ostream& out);

}  // namespace dci::cli

#endif  // DCI_CLIENTS_CLI_POLICY_CMD_H_
