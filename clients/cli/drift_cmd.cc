#include "clients/cli/drift_cmd.h"

#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/cli/common.h"

namespace dci::cli {
namespace {

constexpr char kDriftUsage[] =
    "usage: dci drift dir:ROOT|tar:FILE|overlay:UPPERDIR --image IMAGE\n"
    "                 [--name NAME] [--ignore GLOB]... [--no-default-ignores]\n"
    "                 [--only SECTION,...] [--cross-filesystems]\n"
    "       dci drift-history NAME\n";

int Usage(const std::string& why) {
  std::cerr << "dci: " << why << "\n\n" << kDriftUsage;
  return kExitUsage;
}

std::string SummaryLine(const v1::DriftSummary& d) {
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat("files +", d.files_added(), " -",
                               d.files_removed(), " ~", d.files_changed()));
  if (d.configs_changed() > 0) {
    parts.push_back(absl::StrCat("configs ~", d.configs_changed()));
  }
  auto names = [&parts](const char* what,
                        const google::protobuf::RepeatedPtrField<std::string>& v) {
    if (!v.empty()) parts.push_back(absl::StrCat(what, " ", absl::StrJoin(v, ",")));
  };
  names("packages added", d.packages_added());
  names("removed", d.packages_removed());
  names("upgraded", d.packages_upgraded());
  names("downgraded", d.packages_downgraded());
  names("metadata", d.metadata_changed());
  return absl::StrJoin(parts, "; ");
}

}  // namespace

void RenderContainerDrift(const v1::ContainerDriftReport& r, const Style& s,
                          std::ostream& out) {
  RenderDiff(r.diff(), s, out);
  if (!r.modified_files().empty()) {
    out << "Packaged files modified in place (" << r.modified_files_size()
        << ")\n";
    for (const auto& m : r.modified_files()) {
      out << "  ~ " << m.path() << "  (" << m.ecosystem() << " " << m.package()
          << (m.config() ? ", config" : "") << "; " << m.algorithm() << " "
          << m.expected() << " -> " << m.actual() << ")\n";
    }
  }
  if (!r.warnings().empty()) {
    out << "Warnings (" << r.warnings_size() << ")\n";
    for (const auto& w : r.warnings()) out << "  ! " << w << "\n";
  }
  out << "Summary: " << SummaryLine(r.summary()) << "; packaged files modified "
      << r.modified_files_size() << "\n";
  out << "Scanned " << r.entries_scanned() << " entries, "
      << HumanBytes(r.bytes_hashed()) << " hashed in "
      << absl::StrFormat("%.0f", r.server_millis()) << " ms; ignored: "
      << (r.ignore_rules().empty() ? "nothing" : absl::StrJoin(r.ignore_rules(), " "))
      << "\n";
  if (!r.name().empty()) {
    out << "Stored as snapshot " << r.snapshot_id() << " of " << r.name()
        << " (event " << r.event_seq() << ")\n";
  }
}

void RenderDriftHistory(const v1::DriftHistoryResponse& h, const Style& s,
                        std::ostream& out) {
  out << h.name() << ": " << h.snapshots_size() << " snapshot"
      << (h.snapshots_size() == 1 ? "" : "s") << "\n";
  for (const auto& snap : h.snapshots()) {
    out << "  #" << snap.id() << "  "
        << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                            absl::FromUnixMicros(snap.taken_at_us()),
                            absl::UTCTimeZone())
        << "  " << snap.image().substr(0, 19) << "  " << snap.source() << "\n";
    out << "      " << snap.paths_drifted() << " paths drifted: "
        << SummaryLine(snap.summary()) << "; packaged files modified "
        << snap.modified_files() << "\n";
    for (const auto& p : snap.newly_drifted()) out << "      + " << p << "\n";
    for (const auto& p : snap.no_longer_drifted()) out << "      - " << p << "\n";
  }
}

int RunDriftCommand(v1::Dci::Stub& stub, const DriftCommand& cmd) {
  grpc::ClientContext ctx;
  if (cmd.name == "drift-history") {
    if (cmd.args.size() != 1) return Usage("drift-history takes one NAME");
    v1::DriftHistoryRequest req;
    req.set_name(cmd.args[0]);
    v1::DriftHistoryResponse resp;
    grpc::Status st = stub.DriftHistory(&ctx, req, &resp);
    if (!st.ok()) return Fail(st, cmd.server, ctx);
    cmd.json ? PrintJson(resp) : RenderDriftHistory(resp, cmd.style, std::cout);
    return kExitOk;
  }
  if (cmd.args.size() != 1) {
    return Usage("drift takes one source: dir:ROOT, tar:FILE or overlay:UPPERDIR");
  }
  v1::ContainerDriftRequest req;
  req.set_source(AbsoluteReference(cmd.args[0]));
  auto image = cmd.flags.find("--image");
  if (image == cmd.flags.end() || image->second.empty()) {
    return Usage("drift needs --image IMAGE (the image the container started from)");
  }
  req.set_image(image->second);
  if (auto n = cmd.flags.find("--name"); n != cmd.flags.end()) {
    if (n->second.empty()) return Usage("--name needs a value");
    req.set_name(n->second);
  }
  for (auto [it, end] = cmd.flags.equal_range("--ignore"); it != end; ++it) {
    req.add_ignore(it->second);
  }
  for (auto [it, end] = cmd.flags.equal_range("--only"); it != end; ++it) {
    for (absl::string_view o : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
      req.add_only(std::string(o));
    }
  }
  req.set_no_default_ignores(cmd.flags.count("--no-default-ignores") > 0);
  req.set_cross_filesystems(cmd.flags.count("--cross-filesystems") > 0);
  for (const auto& [flag, value] : cmd.flags) {
    if (flag != "--image" && flag != "--name" && flag != "--ignore" &&
        flag != "--only" && flag != "--no-default-ignores" &&
        flag != "--cross-filesystems") {
      return Usage("unknown flag " + flag + " for drift");
    }
  }
  v1::ContainerDriftReport resp;
  grpc::Status st = stub.ContainerDrift(&ctx, req, &resp);
  if (!st.ok()) return Fail(st, cmd.server, ctx);
  cmd.json ? PrintJson(resp) : RenderContainerDrift(resp, cmd.style, std::cout);
  return kExitOk;
}

}  // namespace dci::cli
