// dcid: the dci server. One SQLite file, one gRPC port.
//
//   dcid [--db FILE] [--listen HOST:PORT] [--port-file FILE]
//        [--max-layer-bytes N] [--max-layer-entries N]
//        [--event-retention DURATION] [--heartbeat SECONDS]
//        [--registry-retries N] [--registry-timeout DURATION]
//
// Each flag has an environment variable (DCID_DB, DCID_LISTEN, ...); flags
// win. Defaults: --db /var/lib/dci/dci.db, --listen 127.0.0.1:7878.
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/path.h"
#include "server/event_hub.h"
#include "server/service.h"
#include "store/store.h"

namespace {

constexpr char kUsage[] =
    "usage: dcid [--db FILE] [--listen HOST:PORT] [--port-file FILE]\n"
    "            [--max-layer-bytes N] [--max-layer-entries N]\n"
    "\n"
    "  --db FILE             SQLite database (env DCID_DB; default "
    "/var/lib/dci/dci.db)\n"
    "  --listen HOST:PORT    gRPC address (env DCID_LISTEN; default "
    "127.0.0.1:7878; port 0 picks one)\n"
    "  --port-file FILE      write the bound port there once listening\n"
    "  --max-layer-bytes N   cap on a layer's uncompressed bytes (env "
    "DCID_MAX_LAYER_BYTES; default 68719476736)\n"
    "  --max-layer-entries N cap on a layer's tar entries (env "
    "DCID_MAX_LAYER_ENTRIES; default 2000000)\n"
    "  --event-retention D   drop events older than D (30d, 12h, 90m; env "
    "DCID_EVENT_RETENTION; default: keep all)\n"
    "  --heartbeat SECONDS   idle Subscribe streams get a heartbeat this often "
    "(env DCID_HEARTBEAT; default 15)\n"
    "  --registry-retries N  retries of a registry request after connection "
    "errors, 5xx and 429, with backoff from 0.5 s doubling to 10 s (env "
    "DCID_REGISTRY_RETRIES; default 4)\n"
    "  --registry-timeout D  give up connecting, or a transfer that stalls, "
    "after D (30s, 2m; env DCID_REGISTRY_TIMEOUT; default 30s)\n";

struct Flags {
  std::string db = "/var/lib/dci/dci.db";
  std::string listen = "127.0.0.1:7878";
  std::string port_file;
  dci::LayerLimits limits;
  absl::Duration retention = absl::InfiniteDuration();
  int heartbeat_seconds = 15;
  dci::RegistryOptions registry;  // retries and timeouts only
};

// "30d", "12h", "90m", "45s", or anything absl::ParseDuration takes.
bool ParseRetention(const std::string& s, absl::Duration* out) {
  if (s.empty()) return false;
  if (s.back() == 'd') {
    int days = 0;
    if (!absl::SimpleAtoi(s.substr(0, s.size() - 1), &days) || days <= 0) {
      return false;
    }
    *out = absl::Hours(24) * days;
    return true;
  }
  return absl::ParseDuration(s, out) && *out > absl::ZeroDuration();
}

bool ParseCount(const std::string& s, uint64_t* out) {
  return absl::SimpleAtoi(s, out) && *out > 0;
}

// Returns false (after printing why) on a usage error.
bool ParseFlags(int argc, char** argv, Flags* f) {
  std::map<std::string, std::string> v;
  const std::pair<const char*, const char*> kEnv[] = {
      {"--db", "DCID_DB"},
      {"--listen", "DCID_LISTEN"},
      {"--max-layer-bytes", "DCID_MAX_LAYER_BYTES"},
      {"--max-layer-entries", "DCID_MAX_LAYER_ENTRIES"},
      {"--event-retention", "DCID_EVENT_RETENTION"},
      {"--heartbeat", "DCID_HEARTBEAT"},
      {"--registry-retries", "DCID_REGISTRY_RETRIES"},
      {"--registry-timeout", "DCID_REGISTRY_TIMEOUT"}};
  for (const auto& [flag, env] : kEnv) {
    if (const char* e = std::getenv(env); e != nullptr && *e != '\0') v[flag] = e;
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    std::string value;
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "dcid: " << a << " needs a value\n" << kUsage;
      return false;
    }
    if (a != "--db" && a != "--listen" && a != "--port-file" &&
        a != "--max-layer-bytes" && a != "--max-layer-entries" &&
        a != "--event-retention" && a != "--heartbeat" &&
        a != "--registry-retries" && a != "--registry-timeout") {
      std::cerr << "dcid: unknown flag " << a << "\n" << kUsage;
      return false;
    }
    v[a] = value;
  }
  if (v.count("--db")) f->db = v["--db"];
  if (v.count("--listen")) f->listen = v["--listen"];
  if (v.count("--port-file")) f->port_file = v["--port-file"];
  if (v.count("--max-layer-bytes") &&
      !ParseCount(v["--max-layer-bytes"], &f->limits.max_uncompressed_bytes)) {
    std::cerr << "dcid: --max-layer-bytes wants a positive number\n";
    return false;
  }
  if (v.count("--max-layer-entries") &&
      !ParseCount(v["--max-layer-entries"], &f->limits.max_entries)) {
    std::cerr << "dcid: --max-layer-entries wants a positive number\n";
    return false;
  }
  if (v.count("--event-retention") &&
      !ParseRetention(v["--event-retention"], &f->retention)) {
    std::cerr << "dcid: --event-retention wants a duration like 30d or 12h\n";
    return false;
  }
  if (v.count("--registry-retries") &&
      (!absl::SimpleAtoi(v["--registry-retries"], &f->registry.max_retries) ||
       f->registry.max_retries < 0 || f->registry.max_retries > 100)) {
    std::cerr << "dcid: --registry-retries wants a number from 0 to 100\n";
    return false;
  }
  if (v.count("--registry-timeout")) {
    absl::Duration d;
    if (!absl::ParseDuration(v["--registry-timeout"], &d) ||
        d < absl::Seconds(1)) {
      std::cerr << "dcid: --registry-timeout wants a duration of at least 1s "
                   "like 30s or 2m\n";
      return false;
    }
    f->registry.connect_timeout = d;
    f->registry.low_speed_time = d;
  }
  if (v.count("--heartbeat") &&
      (!absl::SimpleAtoi(v["--heartbeat"], &f->heartbeat_seconds) ||
       f->heartbeat_seconds <= 0)) {
    std::cerr << "dcid: --heartbeat wants a positive number of seconds\n";
    return false;
  }
  return true;
}

// Drops events older than the retention now and every ten minutes, until
// `stop` is notified.
void PruneLoop(dci::Store* store, absl::Duration retention,
               absl::Notification* stop) {
  do {
    absl::StatusOr<int64_t> n = store->PruneEvents(
        absl::ToUnixMicros(absl::Now() - retention));
    if (!n.ok()) {
      spdlog::warn("event retention: {}", std::string(n.status().message()));
    } else if (*n > 0) {
      spdlog::info("event retention dropped {} events", *n);
    }
  } while (!stop->WaitForNotificationWithTimeout(absl::Minutes(10)));
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil checks every Mutex acquisition against a global lock
  // graph; with a thousand streams that global graph becomes the hottest
  // lock in the server. The lock order is documented where the locks are.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  spdlog::set_default_logger(spdlog::stderr_color_mt("dcid"));
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 1;

  // Signals are taken by a thread of their own (sigwait), so shutdown runs
  // outside any signal handler.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::string dir(dci::ParentPath(flags.db));
  if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    spdlog::error("cannot create {}: {}", dir, std::strerror(errno));
    return 1;
  }
  absl::StatusOr<std::unique_ptr<dci::Store>> store = dci::Store::Open(flags.db);
  if (!store.ok()) {
    spdlog::error("cannot open database {}: {}", flags.db,
                  std::string(store.status().message()));
    return 1;
  }
  spdlog::info("database {} at schema version {}", flags.db,
               (*store)->schema_version());

  dci::EventHub hub;
  (*store)->SetCommitObserver(
      [&hub](const std::vector<dci::EventRecord>& events) { hub.Publish(events); });
  dci::DciService::Options options;
  options.limits = flags.limits;
  options.heartbeat = absl::Seconds(flags.heartbeat_seconds);
  options.registry = flags.registry;
  dci::DciService service(store->get(), &hub, options);
  dci::IndexOptions watch_options;
  watch_options.limits = flags.limits;
  watch_options.registry = flags.registry;
  dci::RegistryWatcher watcher(store->get(), watch_options);
  service.SetRegistryWatcher(&watcher);
  // Bound policies: evaluated after each index or tag move, from the log.
  dci::PolicyEnforcer enforcer(store->get(), &hub, service.policy_cache());
  service.SetPolicyEnforcer(&enforcer);
  absl::Notification stop_pruning;
  std::thread pruner;
  if (flags.retention != absl::InfiniteDuration()) {
    pruner = std::thread(PruneLoop, store->get(), flags.retention, &stop_pruning);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}", flags.listen);
    return 1;
  }
  watcher.Start();
  enforcer.Start();
  std::string host = flags.listen.substr(0, flags.listen.rfind(':'));
  spdlog::info("listening on {}:{}", host, port);
  if (!flags.port_file.empty()) {
    std::string tmp = flags.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), flags.port_file.c_str());
  }

  std::thread waiter([&server, &sigs, &service] {
    int sig = 0;
    sigwait(&sigs, &sig);
    spdlog::info("signal {}: shutting down", sig);
    service.BeginShutdown();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
  });
  server->Wait();
  waiter.join();
  watcher.Stop();
  enforcer.Stop();
  stop_pruning.Notify();
  if (pruner.joinable()) pruner.join();
  spdlog::info("stopped");
  return 0;
}
