// `dci drift` and `dci drift-history`: container drift from the command
// line (the ContainerDrift and DriftHistory RPCs).
#ifndef DCI_CLIENTS_CLI_DRIFT_CMD_H_
#define DCI_CLIENTS_CLI_DRIFT_CMD_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "clients/cli/render.h"
#include "dci/v1/service.grpc.pb.h"

namespace dci::cli {

struct DriftCommand {
  std::string name;  // "drift" or "drift-history"
  std::string server;
  std::vector<std::string> args;                   // positional, after it
  std::multimap<std::string, std::string> flags;   // command flags
  bool json = false;
  Style style;
};

// Runs the command; returns dci's exit code (0 ok, 1 usage, 2 not found,
// 3 server unreachable, 4 failed).
int RunDriftCommand(v1::Dci::Stub& stub, const DriftCommand& cmd);

void RenderContainerDrift(const v1::ContainerDriftReport& r, const Style& s,
                          std::ostream& out);
void RenderDriftHistory(const v1::DriftHistoryResponse& h, const Style& s,
                        std::ostream& out);

}  // namespace dci::cli

#endif  // DCI_CLIENTS_CLI_DRIFT_CMD_H_
