// dci: the command-line client of dcid. Talks gRPC only.
//
// Exit codes: 0 success, 1 usage error, 2 not found, 3 server unreachable,
// 4 the server refused or failed the request (bad image, corrupt data, ...).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "clients/cli/common.h"
#include "clients/cli/drift_cmd.h"
#include "clients/cli/policy_cmd.h"
#include "clients/cli/render.h"
#include "dci/v1/service.grpc.pb.h"

namespace {

using dci::cli::AbsoluteReference;
using dci::cli::Fail;
using dci::cli::kExitFailed;
using dci::cli::kExitNotFound;
using dci::cli::kExitOk;
using dci::cli::kExitUsage;
using dci::cli::PrintJson;

constexpr char kUsage[] = R"(usage: dci [global flags] COMMAND [args]

Commands:
  index REF [--tag NAME:TAG]... [--platform OS/ARCH[/VARIANT]]
        [--tls-verify=false] [--cert-dir DIR] [--creds USER:PASS]
        [--authfile FILE] [--fail-on deny|warn]
        index an image: oci:DIR[:TAG], oci-archive:FILE[:TAG],
        docker-archive:FILE[:NAME:TAG], docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
        (streamed from the registry; layers already indexed are not fetched);
        prints the bound policies' verdicts; --fail-on: exit 4 on deny (and
        1 on warn with --fail-on warn)
  inspect REF [--platform ...] [registry flags as for index]
                                an image's metadata from its manifest and
                                config alone (docker://: no layer fetched);
                                nothing is stored
  images                        list indexed images and their tags
  show IMAGE                    metadata, platform and layers of an image
  files IMAGE [--path GLOB] [--layer]
                                the merged file tree (or each layer's entries)
  diff IMAGE_A IMAGE_B [--only SECTION,...]
                                what drifted: files, packages, configs (line
                                diffs), metadata, users, services
  packages IMAGE [--files]      installed packages (deb, rpm, apk), the layer
                                that introduced each, modified config files
  who-has NAME [--version RANGE] [--type deb|rpm|apk] [--source]
                                every image with the package, e.g.
                                --version '>=1.0.1,<1.0.1g'
  find-file PATH | --hash HEX   every image containing it, and the layer
  watch-repo add docker://HOST[:PORT]/REPO [--tags GLOB] [--interval 60s]
        [--platform ...] [--tls-verify=false] [--cert-dir DIR] [--authfile F]
                                dcid polls the repository: new or moved tags
                                are indexed, vanished ones untagged, each
                                with its event (see watch)
  watch-repo list | watch-repo remove docker://HOST[:PORT]/REPO
  history NAME[:TAG]            each image a tag pointed to, when, and the
                                drift from the one before (no TAG: all tags)
  untag NAME:TAG                remove a tag (the image stays)
  watch [--since N] [--kind K,...] [--name GLOB] [--package NAME]
        [--cursor-file F] [--max-events N]
                                print events as they happen (--output json:
                                one object per line); with --cursor-file,
                                resume after a restart where it stopped
  drift dir:ROOT|tar:FILE|overlay:UPPERDIR --image IMAGE [--name NAME]
        [--ignore GLOB]... [--no-default-ignores] [--only SECTION,...]
        [--cross-filesystems]
                                what changed in a container compared with
                                its image: files, packages, configs, users,
                                services, packaged files modified in place;
                                --name stores the snapshot (CONTAINER_DRIFT)
  drift-history NAME            a named container's snapshots, oldest first,
                                and what each newly drifted
  policy check IMAGE --policy FILE [--fail-on warn] [--against IMAGE]
                                a verdict (pass, warn, deny) with every
                                violation and its evidence; exit 0 pass,
                                4 deny, 1 warn with --fail-on warn
  policy add NAME FILE [--images GLOB]
                                bind a policy: judges the matching images
                                already indexed, then each one indexed or
                                whose tag moves (verdict in `show`,
                                POLICY_VIOLATION events)
  policy list | policy show NAME | policy remove NAME
  admit IMAGE                   allow or deny from the bound policies'
                                verdicts (the Check RPC); exit 0 or 4
  inspect REF --policy FILE     judge the policy's metadata rules before
                                anything is downloaded; lists the rules that
                                need layers

IMAGE is NAME:TAG or a manifest digest (a unique prefix will do).

Global flags:
  --server HOST:PORT   dcid address (env DCI_SERVER; default 127.0.0.1:7878)
  --output human|json  json prints the API's canonical JSON mapping
  --color auto|always|never

Exit codes: 0 success, 1 usage, 2 not found, 3 server unreachable,
4 request failed (bad image, corrupt data, ...). policy check, inspect
--policy and admit: 4 deny, 1 warn with --fail-on warn or a policy file
that does not parse.
)";

struct Args {
  std::string server = "127.0.0.1:7878";
  std::string output = "human";
  std::string color = "auto";
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;  // command flags
};

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "dci: " << why << "\n\n";
  std::cerr << kUsage;
  return kExitUsage;
}

// Flags that take a value; every other "--x" is a switch.
bool TakesValue(const std::string& f) {
  return f == "--server" || f == "--output" || f == "--color" ||
         f == "--tag" || f == "--platform" || f == "--path" ||
         f == "--since" || f == "--kind" || f == "--name" ||
         f == "--package" || f == "--cursor-file" || f == "--max-events" ||
         f == "--only" || f == "--version" || f == "--type" || f == "--hash" ||
         f == "--cert-dir" || f == "--creds" || f == "--authfile" ||
         f == "--tags" || f == "--interval" ||
         f == "--image" || f == "--ignore" ||  // drift
         f == "--policy" || f == "--fail-on" || f == "--against" ||
         f == "--images";  // policy
}

bool Parse(int argc, char** argv, Args* a, std::string* err) {
  if (const char* e = std::getenv("DCI_SERVER"); e && *e) a->server = e;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-' && s != "-") {
      std::string value;
      size_t eq = s.find('=');
      if (eq != std::string::npos) {
        value = s.substr(eq + 1);
        s = s.substr(0, eq);
      } else if (TakesValue(s)) {
        if (i + 1 >= argc) {
          *err = s + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      if (s == "--server") {
        a->server = value;
      } else if (s == "--output" || s == "-o") {
        a->output = value;
      } else if (s == "--color") {
        a->color = value;
      } else {
        a->flags.emplace(s, value);
      }
    } else {
      a->positional.push_back(s);
    }
  }
  if (a->output != "human" && a->output != "json") {
    *err = "--output must be human or json";
    return false;
  }
  return true;
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

// skopeo's registry flags: --tls-verify[=true|false], --cert-dir DIR,
// --creds USER:PASS, --authfile FILE (paths made absolute: dcid reads them).
bool SetRegistryAccess(const Args& args, dci::v1::RegistryAccess* a,
                       std::string* err) {
  if (auto it = args.flags.find("--tls-verify"); it != args.flags.end()) {
    if (it->second != "" && it->second != "true" && it->second != "false") {
      *err = "--tls-verify must be true or false";
      return false;
    }
    a->set_skip_tls_verify(it->second == "false");
  }
  if (auto it = args.flags.find("--cert-dir"); it != args.flags.end()) {
    a->set_cert_dir(AbsolutePath(it->second));
  }
  if (auto it = args.flags.find("--creds"); it != args.flags.end()) {
    if (it->second.find(':') == std::string::npos) {
      *err = "--creds must be USER:PASSWORD";
      return false;
    }
    a->set_credentials(it->second);
  }
  if (auto it = args.flags.find("--authfile"); it != args.flags.end()) {
    a->set_authfile(AbsolutePath(it->second));
  }
  return true;
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Update(const dci::v1::LayerProgress& p) {
    if (!enabled_) return;
    std::string hex = p.diff_id().substr(p.diff_id().find(':') + 1, 12);
    std::string line;
    if (p.phase() == dci::v1::LayerProgress::SKIPPED) {
      line = absl::StrFormat("layer %d/%d %s  already indexed", p.layer() + 1,
                             p.layer_count(), hex);
    } else {
      double frac = p.blob_size() > 0
                        ? static_cast<double>(p.bytes_read()) / p.blob_size()
                        : 0;
      if (frac > 1) frac = 1;
      int filled = static_cast<int>(frac * 30);
      line = absl::StrFormat(
          "layer %d/%d %s [%s%s] %s / %s  %d entries", p.layer() + 1,
          p.layer_count(), hex, std::string(filled, '#'),
          std::string(30 - filled, ' '),
          dci::cli::HumanBytes(p.bytes_read()),
          dci::cli::HumanBytes(p.blob_size()), p.entries());
    }
    std::cerr << "\r\033[K" << line;
    if (p.phase() != dci::v1::LayerProgress::READING) std::cerr << "\n";
    std::cerr.flush();
  }

 private:
  bool enabled_;
};

std::string OneLineJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, opts);
  return json;
}

// NAME:TAG, where NAME may carry a registry host:port.
bool SplitTag(const std::string& s, std::string* name, std::string* tag) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || s.find('/', colon) != std::string::npos) {
    *name = s;
    tag->clear();
    return false;
  }
  *name = s.substr(0, colon);
  *tag = s.substr(colon + 1);
  return true;
}

bool ReadCursor(const std::string& file, long long* cursor) {
  std::ifstream in(file);
  long long v = -1;
  if (!(in >> v) || v < 0) return false;
  *cursor = v;
  return true;
}

// Atomic: a crash leaves the old or the new cursor, never half of one.
void WriteCursor(const std::string& file, long long cursor) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << cursor << "\n";
  }
  std::rename(tmp.c_str(), file.c_str());
}

int Watch(dci::v1::Dci::Stub& stub, const Args& args, bool json,
          const dci::cli::Style& style) {
  dci::v1::SubscribeRequest req;
  std::string cursor_file;
  if (auto it = args.flags.find("--cursor-file"); it != args.flags.end()) {
    cursor_file = it->second;
  }
  long long since = -1;
  if (auto it = args.flags.find("--since"); it != args.flags.end()) {
    if (!absl::SimpleAtoi(it->second, &since) || since < 0) {
      return Usage("--since wants a sequence number");
    }
  }
  if (!cursor_file.empty()) ReadCursor(cursor_file, &since);  // file wins
  if (since >= 0) req.set_since(since);
  for (auto [it, end] = args.flags.equal_range("--kind"); it != end; ++it) {
    for (absl::string_view k : absl::StrSplit(it->second, ',')) {
      dci::v1::EventKind kind;
      if (!dci::v1::EventKind_Parse(absl::AsciiStrToUpper(k), &kind) ||
          kind == dci::v1::EVENT_KIND_UNSPECIFIED) {
        return Usage("unknown event kind \"" + std::string(k) + "\"");
      }
      req.add_kinds(kind);
    }
  }
  if (auto it = args.flags.find("--name"); it != args.flags.end()) {
    req.set_name_glob(it->second);
  }
  if (auto it = args.flags.find("--package"); it != args.flags.end()) {
    req.set_package(it->second);
  }
  long long max_events = -1;
  if (auto it = args.flags.find("--max-events"); it != args.flags.end()) {
    if (!absl::SimpleAtoi(it->second, &max_events) || max_events <= 0) {
      return Usage("--max-events wants a positive number");
    }
  }
  long long seen = 0;
  bool warned = false;
  for (;;) {
    grpc::ClientContext ctx;
    auto reader = stub.Subscribe(&ctx, req);
    dci::v1::SubscribeResponse msg;
    while (reader->Read(&msg)) {
      if (!msg.has_event()) continue;  // heartbeat
      warned = false;
      const dci::v1::Event& e = msg.event();
      if (json) {
        std::cout << OneLineJson(e) << "\n";
      } else {
        dci::cli::RenderEvent(e, style, std::cout);
      }
      std::cout.flush();
      req.set_since(e.seq());
      if (!cursor_file.empty()) WriteCursor(cursor_file, e.seq());
      if (max_events > 0 && ++seen >= max_events) {
        ctx.TryCancel();
        return kExitOk;
      }
    }
    grpc::Status s = reader->Finish();
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) {
      if (s.ok()) return kExitOk;
      return Fail(s, args.server, ctx);
    }
    // The server went away: try again from the last event seen.
    if (!warned) {
      std::cerr << "dci: lost dcid at " << args.server << " ("
                << s.error_message() << "); reconnecting\n";
      warned = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string err;
  if (!Parse(argc, argv, &args, &err)) return Usage(err);
  if (args.flags.count("--help") || args.flags.count("-h")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (args.positional.empty()) return Usage("no command given");
  const std::string cmd = args.positional[0];
  const std::vector<std::string> pos(args.positional.begin() + 1,
                                     args.positional.end());
  const bool json = args.output == "json";
  dci::cli::Style style;
  style.color = args.color == "always" ||
                (args.color == "auto" && isatty(STDOUT_FILENO) &&
                 std::getenv("NO_COLOR") == nullptr);

  auto channel =
      grpc::CreateChannel(args.server, grpc::InsecureChannelCredentials());
  auto stub = dci::v1::Dci::NewStub(channel);
  grpc::ClientContext ctx;

  if (cmd == "drift" || cmd == "drift-history") {  // clients/cli/drift_cmd.cc
    return dci::cli::RunDriftCommand(
        *stub, {cmd, args.server, pos, args.flags, json, style});
  }
  if (cmd == "policy" || cmd == "admit") {  // clients/cli/policy_cmd.cc
    return dci::cli::RunPolicyCommand(
        *stub, {cmd, args.server, pos, args.flags, json, style});
  }
  if (cmd == "index") {
    if (pos.size() != 1) return Usage("index takes one image reference");
    dci::v1::IndexRequest req;
    req.set_reference(AbsoluteReference(pos[0]));
    for (auto [it, end] = args.flags.equal_range("--tag"); it != end; ++it) {
      req.add_tags(it->second);
    }
    if (auto it = args.flags.find("--platform"); it != args.flags.end()) {
      req.set_platform(it->second);
    }
    if (!SetRegistryAccess(args, req.mutable_registry(), &err)) return Usage(err);
    // --fail-on deny|warn: the exit code follows the bound policies' worst
    // verdict, as for `policy check`.
    const auto fail_on = args.flags.find("--fail-on");
    if (fail_on != args.flags.end() && fail_on->second != "deny" &&
        fail_on->second != "warn") {
      return Usage("--fail-on must be warn or deny");
    }
    ProgressBar bar(!json && isatty(STDERR_FILENO));
    auto reader = stub->Index(&ctx, req);
    dci::v1::IndexEvent ev;
    dci::v1::IndexSummary summary;
    bool have_summary = false;
    while (reader->Read(&ev)) {
      if (ev.has_progress()) bar.Update(ev.progress());
      if (ev.has_summary()) {
        summary = ev.summary();
        have_summary = true;
      }
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) return Fail(s, args.server, ctx);
    if (!have_summary) {
      std::cerr << "dci: the server sent no summary\n";
      return kExitFailed;
    }
    std::string worst = "pass";
    for (const auto& v : summary.policy_verdicts()) {
      if (v.verdict() == "deny") worst = "deny";
      if (v.verdict() == "warn" && worst == "pass") worst = "warn";
    }
    if (json) {
      PrintJson(summary);
    } else {
      dci::cli::RenderIndexSummary(summary, style, std::cout);
      if (summary.policy_verdicts_size() > 0) std::cout << "Policies:\n";
      for (const auto& v : summary.policy_verdicts()) {
        dci::cli::RenderPolicyVerdict(v, style, "  ", std::cout);
      }
    }
    if (fail_on == args.flags.end()) return kExitOk;
    return dci::cli::ExitForVerdict(worst, fail_on->second == "warn");
  }
  if (cmd == "images") {
    if (!pos.empty()) return Usage("images takes no arguments");
    dci::v1::ListImagesResponse resp;
    grpc::Status s = stub->ListImages(&ctx, {}, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : dci::cli::RenderImages(resp, style, std::cout);
    return kExitOk;
  }
  if (cmd == "inspect") {
    if (pos.size() != 1) return Usage("inspect takes one image reference");
    dci::v1::InspectRequest req;
    req.set_reference(AbsoluteReference(pos[0]));
    if (auto it = args.flags.find("--platform"); it != args.flags.end()) {
      req.set_platform(it->second);
    }
    if (!SetRegistryAccess(args, req.mutable_registry(), &err)) return Usage(err);
    // --policy FILE: its metadata rules, judged before any layer is fetched.
    const bool with_policy = args.flags.count("--policy") > 0;
    if (with_policy) {
      const std::string file = args.flags.find("--policy")->second;
      req.set_policy_file(file);
      if (!dci::cli::ReadPolicyFile(file, req.mutable_policy_yaml())) return kExitUsage;
    }
    dci::v1::Image resp;
    grpc::Status s = stub->Inspect(&ctx, req, &resp);
    if (with_policy && s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      std::cerr << "dci: " << s.error_message() << "\n";
      return kExitUsage;  // the policy file (FILE:LINE:COL) or the reference
    }
    if (!s.ok()) return Fail(s, args.server, ctx);
    if (json) {
      PrintJson(resp);
    } else {
      dci::cli::RenderImage(resp, style, std::cout);
      for (const auto& v : resp.policy_verdicts()) {
        dci::cli::RenderPolicyVerdict(v, style, "", std::cout);
      }
    }
    if (with_policy && resp.policy_verdicts_size() == 1) {
      auto it = args.flags.find("--fail-on");
      return dci::cli::ExitForVerdict(resp.policy_verdicts(0).verdict(),
                                      it != args.flags.end() && it->second == "warn");
    }
    return kExitOk;
  }
  if (cmd == "show") {
    if (pos.size() != 1) return Usage("show takes one image");
    dci::v1::GetImageRequest req;
    req.set_image(pos[0]);
    dci::v1::Image resp;
    grpc::Status s = stub->GetImage(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    if (json) {
      PrintJson(resp);
    } else {
      dci::cli::RenderImage(resp, style, std::cout);
      dci::cli::RenderSystem(resp.system(), style, std::cout);
      if (resp.policy_verdicts_size() > 0) std::cout << "Policies:\n";
      for (const auto& v : resp.policy_verdicts()) {
        dci::cli::RenderPolicyVerdict(v, style, "  ", std::cout);
      }
    }
    return kExitOk;
  }
  if (cmd == "files") {
    if (pos.size() != 1) return Usage("files takes one image");
    dci::v1::ListFilesRequest req;
    req.set_image(pos[0]);
    if (auto it = args.flags.find("--path"); it != args.flags.end()) {
      std::string glob = it->second;
      while (!glob.empty() && glob[0] == '/') glob.erase(0, 1);
      req.set_path_glob(glob);
    }
    req.set_by_layer(args.flags.count("--layer") > 0);
    dci::v1::ListFilesResponse resp;
    grpc::Status s = stub->ListFiles(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp)
         : dci::cli::RenderFiles(resp, req.by_layer(), style, std::cout);
    return kExitOk;
  }
  if (cmd == "diff") {
    if (pos.size() != 2) return Usage("diff takes two images");
    dci::v1::DiffRequest req;
    req.set_image_a(pos[0]);
    req.set_image_b(pos[1]);
    for (auto [it, end] = args.flags.equal_range("--only"); it != end; ++it) {
      for (absl::string_view o : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
        req.add_only(std::string(o));
      }
    }
    dci::v1::ImageDiff resp;
    grpc::Status s = stub->Diff(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : dci::cli::RenderDiff(resp, style, std::cout);
    return kExitOk;
  }
  if (cmd == "packages") {
    if (pos.size() != 1) return Usage("packages takes one image");
    dci::v1::ListPackagesRequest req;
    req.set_image(pos[0]);
    req.set_with_files(args.flags.count("--files") > 0);
    dci::v1::ListPackagesResponse resp;
    grpc::Status s = stub->ListPackages(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp)
         : dci::cli::RenderPackages(resp, req.with_files(), style, std::cout);
    return kExitOk;
  }
  if (cmd == "who-has") {
    if (pos.size() != 1) return Usage("who-has takes one package name");
    dci::v1::WhoHasRequest req;
    req.set_name(pos[0]);
    if (auto it = args.flags.find("--version"); it != args.flags.end()) {
      req.set_version_range(it->second);
    }
    if (auto it = args.flags.find("--type"); it != args.flags.end()) {
      req.set_type(it->second);
    }
    req.set_source(args.flags.count("--source") > 0);
    dci::v1::WhoHasResponse resp;
    grpc::Status s = stub->WhoHas(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : dci::cli::RenderWhoHas(resp, style, std::cout);
    return resp.hits().empty() ? kExitNotFound : kExitOk;
  }
  if (cmd == "find-file") {
    dci::v1::FindFileRequest req;
    if (auto it = args.flags.find("--hash"); it != args.flags.end()) {
      if (!pos.empty()) return Usage("find-file takes a PATH or --hash, not both");
      req.set_hash(it->second);
    } else if (pos.size() == 1) {
      req.set_path(pos[0]);
    } else {
      return Usage("find-file takes a PATH or --hash HEX");
    }
    dci::v1::FindFileResponse resp;
    grpc::Status s = stub->FindFile(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : dci::cli::RenderFindFile(resp, style, std::cout);
    return resp.hits().empty() ? kExitNotFound : kExitOk;
  }
  if (cmd == "history") {
    if (pos.size() != 1) return Usage("history takes NAME or NAME:TAG");
    dci::v1::TagHistoryRequest req;
    std::string name, tag;
    SplitTag(pos[0], &name, &tag);
    req.set_name(name);
    req.set_tag(tag);
    dci::v1::TagHistoryResponse resp;
    grpc::Status s = stub->TagHistory(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : dci::cli::RenderHistory(resp, style, std::cout);
    return kExitOk;
  }
  if (cmd == "untag") {
    dci::v1::RemoveTagRequest req;
    std::string name, tag;
    if (pos.size() != 1 || !SplitTag(pos[0], &name, &tag)) {
      return Usage("untag takes NAME:TAG");
    }
    req.set_name(name);
    req.set_tag(tag);
    dci::v1::RemoveTagResponse resp;
    grpc::Status s = stub->RemoveTag(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, args.server, ctx);
    json ? PrintJson(resp) : void(std::cout << "removed " << pos[0] << " (event "
                                            << resp.seq() << ")\n");
    return kExitOk;
  }
  if (cmd == "watch") {
    if (!pos.empty()) return Usage("watch takes flags only");
    return Watch(*stub, args, json, style);
  }
  if (cmd == "watch-repo") {
    const std::string sub = pos.empty() ? "" : pos[0];
    if (sub == "add" && pos.size() == 2) {
      dci::v1::WatchRepoRequest req;
      req.set_repository(pos[1]);
      if (auto it = args.flags.find("--tags"); it != args.flags.end()) {
        req.set_tag_glob(it->second);
      }
      if (auto it = args.flags.find("--interval"); it != args.flags.end()) {
        absl::Duration d;
        if (!absl::ParseDuration(it->second, &d) || d < absl::Seconds(1)) {
          return Usage("--interval must be a duration of 1s or more (60s, 5m, 1h)");
        }
        req.set_interval_seconds(absl::ToInt64Seconds(d));
      }
      if (auto it = args.flags.find("--platform"); it != args.flags.end()) {
        req.set_platform(it->second);
      }
      if (args.flags.count("--creds")) {
        return Usage("watch-repo keeps no password: give --authfile");
      }
      if (!SetRegistryAccess(args, req.mutable_registry(), &err)) return Usage(err);
      dci::v1::RepoWatch resp;
      grpc::Status s = stub->WatchRepo(&ctx, req, &resp);
      if (!s.ok()) return Fail(s, args.server, ctx);
      json ? PrintJson(resp)
           : void(std::cout << "watching " << resp.repository() << " (tags "
                            << resp.tag_glob() << ", every "
                            << resp.interval_seconds() << " s)\n");
      return kExitOk;
    }
    if (sub == "list" && pos.size() == 1) {
      dci::v1::ListRepoWatchesResponse resp;
      grpc::Status s = stub->ListRepoWatches(&ctx, {}, &resp);
      if (!s.ok()) return Fail(s, args.server, ctx);
      if (json) {
        PrintJson(resp);
      } else {
        dci::cli::RenderRepoWatches(resp, style, std::cout);
      }
      return kExitOk;
    }
    if (sub == "remove" && pos.size() == 2) {
      dci::v1::UnwatchRepoRequest req;
      req.set_repository(pos[1]);
      dci::v1::UnwatchRepoResponse resp;
      grpc::Status s = stub->UnwatchRepo(&ctx, req, &resp);
      if (!s.ok()) return Fail(s, args.server, ctx);
      if (json) {
        PrintJson(resp);
      } else {
        std::cout << "no longer watching " << pos[1] << "\n";
      }
      return kExitOk;
    }
    return Usage("watch-repo add docker://HOST/REPO [--tags GLOB] [--interval 60s] | list | remove docker://HOST/REPO");
  }
  return Usage("unknown command \"" + cmd + "\"");
}
