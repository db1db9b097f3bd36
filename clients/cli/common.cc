#include "clients/cli/common.h"

#include <unistd.h>

#include <iostream>

#include <google/protobuf/util/json_util.h>

namespace dci::cli {

int Fail(const grpc::Status& s, const std::string& server,
         const grpc::ClientContext& ctx) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    const auto& md = ctx.GetServerTrailingMetadata();
    if (md.find("dci-upstream") != md.end()) {
      std::cerr << "dci: " << s.error_message() << "\n";
      return kExitFailed;
    }
    std::cerr << "dci: cannot reach dcid at " << server << ": "
              << s.error_message() << "\n";
    return kExitUnreachable;
  }
  std::cerr << "dci: " << s.error_message() << "\n";
  return s.error_code() == grpc::StatusCode::NOT_FOUND ? kExitNotFound
                                                       : kExitFailed;
}

void PrintJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, opts);
  std::cout << json;
}

std::string AbsoluteReference(const std::string& ref) {
  size_t colon = ref.find(':');
  if (colon == std::string::npos) return ref;
  std::string transport = ref.substr(0, colon);
  std::string rest = ref.substr(colon + 1);
  if (transport == "docker" || rest.empty() || rest[0] == '/') return ref;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return ref;
  return transport + ":" + cwd + "/" + rest;
}

}  // namespace dci::cli
