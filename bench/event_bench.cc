// Event stream benchmarks against a running dcid.
//
//   event_bench fanout ADDRESS SUBSCRIBERS COMMITS OCI_LAYOUT [DCID_PID]
//     opens SUBSCRIBERS live streams, then moves a tag COMMITS times (Index
//     RPCs alternating refs "1" and "2" of OCI_LAYOUT), and reports commit
//     -> delivery latency over every (event, subscriber) pair, and, given
//     dcid's pid, its memory per idle subscriber.
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

// VmRSS of process `pid` in KiB, or -1.
long RssKb(int pid) {
  if (pid <= 0) return -1;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmRSS: %ld", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}

// Subscribers are async streams on one completion queue, read by one
// thread, so the client's own scheduling stays out of the figures as far as
// one machine allows.
int Fanout(const std::string& address, int subscribers, int commits,
           const std::string& layout, int dcid_pid) {
  const long idle_kb = RssKb(dcid_pid);
  struct Stream {
    std::unique_ptr<dci::v1::Dci::Stub> stub;
    grpc::ClientContext ctx;
    dci::v1::SubscribeResponse msg;
    std::unique_ptr<grpc::ClientAsyncReader<dci::v1::SubscribeResponse>> reader;
    bool live = false;
  };
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Stream>> streams;
  dci::v1::SubscribeRequest req;
  req.add_kinds(dci::v1::TAG_MOVED);
  req.set_heartbeat_seconds(1);
  for (int i = 0; i < subscribers; ++i) {
    auto s = std::make_unique<Stream>();
    s->stub = Stub(address);
    // Tag: the stream's index; StartCall's completion is tagged with
    // index + subscribers.
    s->reader = s->stub->AsyncSubscribe(&s->ctx, req, &cq,
                                        reinterpret_cast<void*>(
                                            static_cast<intptr_t>(i + subscribers)));
    streams.push_back(std::move(s));
  }
  std::atomic<int> connected{0};
  std::atomic<int64_t> received{0};
  std::vector<int64_t> latencies;
  std::thread reader_thread([&] {
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
      intptr_t t = reinterpret_cast<intptr_t>(tag);
      Stream& s = *streams[t % subscribers];
      if (!ok) continue;  // stream ended
      if (t >= subscribers) {  // call started
        s.reader->Read(&s.msg, reinterpret_cast<void*>(t - subscribers));
        continue;
      }
      if (!s.live) {  // the first message (a heartbeat) proves it is live
        s.live = true;
        ++connected;
      }
      if (s.msg.has_event()) {
        latencies.push_back(NowUs() - s.msg.event().committed_at_us());
        ++received;
      }
      s.reader->Read(&s.msg, tag);
    }
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (connected < subscribers && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf("subscribers connected: %d of %d\n", connected.load(), subscribers);
  if (idle_kb > 0) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    long busy_kb = RssKb(dcid_pid);
    std::printf("dcid memory: %ld KiB idle, %ld KiB with %d idle subscribers: "
                "%.1f KiB each\n",
                idle_kb, busy_kb, subscribers,
                static_cast<double>(busy_kb - idle_kb) / subscribers);
  }
  auto stub = Stub(address);
  for (int c = 0; c < commits + 2; ++c) {
    grpc::ClientContext ctx;
    dci::v1::IndexRequest ireq;
    ireq.set_reference("oci:" + layout + (c % 2 ? ":2" : ":1"));
    ireq.add_tags("bench/fanout:latest");
    auto reader = stub->Index(&ctx, ireq);
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
  for (auto& s : streams) s->ctx.TryCancel();
  cq.Shutdown();
  reader_thread.join();
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
  if (mode == "fanout" && (argc == 6 || argc == 7)) {
    return Fanout(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5],
                  argc == 7 ? std::atoi(argv[6]) : 0);
  }
  if (mode == "fill" && argc == 4) return Fill(argv[2], std::atoi(argv[3]));
  if (mode == "replay" && argc == 4) return Replay(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr,
               "usage: event_bench fanout ADDRESS SUBSCRIBERS COMMITS LAYOUT [PID]\n"
               "       event_bench fill DB N\n"
               "       event_bench replay ADDRESS N\n");
  return 1;
}
