// Event stream benchmarks against a running dcid.
//
//   event_bench fanout ADDRESS SUBSCRIBERS COMMITS OCI_LAYOUT
//     opens SUBSCRIBERS live streams, then moves a tag COMMITS times (Index
//     RPCs alternating refs "1" and "2" of OCI_LAYOUT), and reports commit
//     -> delivery latency over every (event, subscriber) pair.
//   event_bench fill DB N
//     appends N events to the log of database DB (dcid not running).
//   event_bench replay ADDRESS N
//     subscribes from cursor 0 and times the replay of N events.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dci/v1/service.grpc.pb.h"
#include "store/database.h"
#include "store/store.h"

namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<dci::v1::Dci::Stub> Stub(const std::string& address) {
  grpc::ChannelArguments args;
  // One connection per subscriber, as separate clients would have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return dci::v1::Dci::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
}

int Fanout(const std::string& address, int subscribers, int commits,
           const std::string& layout) {
  std::mutex mu;
  std::vector<int64_t> latencies;
  std::atomic<int> connected{0};
  std::atomic<int> received{0};
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> threads;
  for (int i = 0; i < subscribers; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
  }
  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = Stub(address);
      dci::v1::SubscribeRequest req;
      req.add_kinds(dci::v1::TAG_MOVED);
      req.set_heartbeat_seconds(1);
      auto reader = stub->Subscribe(contexts[i].get(), req);
      bool first = true;
      dci::v1::SubscribeResponse msg;
      std::vector<int64_t> mine;
      while (reader->Read(&msg)) {
        if (first) {  // the first heartbeat proves the stream is live
          first = false;
          ++connected;
        }
        if (!msg.has_event()) continue;
        mine.push_back(NowUs() - msg.event().committed_at_us());
        ++received;
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (connected < subscribers && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf("subscribers connected: %d of %d\n", connected.load(), subscribers);
  auto stub = Stub(address);
  for (int c = 0; c < commits + 2; ++c) {
    grpc::ClientContext ctx;
    dci::v1::IndexRequest req;
    req.set_reference("oci:" + layout + (c % 2 ? ":2" : ":1"));
    req.add_tags("bench/fanout:latest");
    auto reader = stub->Index(&ctx, req);
    dci::v1::IndexEvent ev;
    while (reader->Read(&ev)) {
    }
    if (!reader->Finish().ok()) {
      std::fprintf(stderr, "index failed\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // The first commit creates the tag; every later one moves it.
  const int64_t want = static_cast<int64_t>(commits + 1) * subscribers;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (received < want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& ctx : contexts) ctx->TryCancel();
  for (auto& t : threads) t.join();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    size_t i = std::min(latencies.size() - 1,
                        static_cast<size_t>(p * latencies.size()));
    return latencies[i] / 1000.0;
  };
  std::printf("deliveries: %zu of %lld\n", latencies.size(),
              static_cast<long long>(want));
  std::printf("latency ms: p50 %.2f  p99 %.2f  max %.2f\n", pct(0.50),
              pct(0.99), latencies.empty() ? 0.0 : latencies.back() / 1000.0);
  return latencies.size() == static_cast<size_t>(want) ? 0 : 1;
}

int Fill(const std::string& path, int n) {
  auto store = dci::Store::Open(path);  // applies the migrations
  if (!store.ok()) return 1;
  store->reset();
  auto db = dci::Database::Open(path, dci::Database::kReadWrite);
  if (!db.ok()) return 1;
  dci::Transaction txn(**db);
  if (!txn.Begin().ok()) return 1;
  auto st = (*db)->Prepare(
      "INSERT INTO events(kind, at, at_us, name, tag) VALUES "
      "('TAG_REMOVED', ?, ?, 'bench/replay', ?)");
  if (!st.ok()) return 1;
  int64_t now = NowUs();
  for (int i = 0; i < n; ++i) {
    st->Reset();
    st->BindInt(1, now / 1000000);
    st->BindInt(2, now);
    st->BindText(3, std::to_string(i));
    if (!st->Run().ok()) return 1;
  }
  return txn.Commit().ok() ? 0 : 1;
}

int Replay(const std::string& address, int n) {
  auto stub = Stub(address);
  grpc::ClientContext ctx;
  dci::v1::SubscribeRequest req;
  req.set_since(0);
  auto start = std::chrono::steady_clock::now();
  auto reader = stub->Subscribe(&ctx, req);
  dci::v1::SubscribeResponse msg;
  int got = 0;
  int64_t last = 0;
  bool ordered = true;
  while (got < n && reader->Read(&msg)) {
    if (!msg.has_event()) continue;
    if (msg.event().seq() != last + 1) ordered = false;
    last = msg.event().seq();
    ++got;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start).count();
  ctx.TryCancel();
  std::printf("replayed %d events in %.3f s: %.0f events/s, %s\n", got, s,
              got / s, ordered ? "in order, no gap" : "OUT OF ORDER");
  return got == n && ordered ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fanout" && argc == 6) {
    return Fanout(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
  }
  if (mode == "fill" && argc == 4) return Fill(argv[2], std::atoi(argv[3]));
  if (mode == "replay" && argc == 4) return Replay(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr,
               "usage: event_bench fanout ADDRESS SUBSCRIBERS COMMITS LAYOUT\n"
               "       event_bench fill DB N\n"
               "       event_bench replay ADDRESS N\n");
  return 1;
}
