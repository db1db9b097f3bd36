// What every dci command shares: exit codes, how a failed call is told to
// the user, JSON output, and references made absolute for dcid.
#ifndef DCI_CLIENTS_CLI_COMMON_H_
#define DCI_CLIENTS_CLI_COMMON_H_

#include <string>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

namespace dci::cli {

// Exit codes (README, "Exit codes of dci").
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitNotFound = 2;
inline constexpr int kExitUnreachable = 3;
inline constexpr int kExitFailed = 4;

// Prints why the call to dcid at `server` failed and returns the exit code.
// dcid marks a registry it could not reach (UNAVAILABLE too) with trailing
// metadata in `ctx`, so that it is not taken for dcid itself: exit 4.
int Fail(const grpc::Status& s, const std::string& server,
         const grpc::ClientContext& ctx);

// The API's canonical JSON mapping, every field printed.
void PrintJson(const google::protobuf::Message& m);

// dcid reads references from its own filesystem: "TRANSPORT:PATH[...]" with
// a relative path gets the current directory; docker:// is left alone.
std::string AbsoluteReference(const std::string& ref);

}  // namespace dci::cli

#endif  // DCI_CLIENTS_CLI_COMMON_H_
