// The subscriber algorithm in-process (no gRPC): a real store, the hub, and
// commits forced into the windows where races could lose or double events.
#include "server/event_stream.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/store/entry_helpers.h"

namespace dci {
namespace {

using testing::F;
using testing::Layer;

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dci-events-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::move(*Store::Open(dir_ + "/dci.db"));
    store_->SetCommitObserver(
        [this](const std::vector<EventRecord>& e) { hub_.Publish(e); });
  }
  void TearDown() override {
    store_.reset();
    ASSERT_EQ(system(("rm -rf " + dir_).c_str()), 0);
  }

  // Indexes a new one-layer image and points app:TAG at it: 2 events
  // (IMAGE_INDEXED, then TAG_CREATED or TAG_MOVED).
  void Commit(const std::string& tag) {
    int n = ++images_;
    std::string hex = std::to_string(n);
    std::string digest = "sha256:" + std::string(64 - hex.size(), 'a') + hex;
    std::string layer = "sha256:" + std::string(64 - hex.size(), 'b') + hex;
    ImageRecord r;
    r.manifest_digest = digest;
    r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    r.manifest_json = "{}";
    r.config_digest = digest;
    r.config_media_type = "application/vnd.oci.image.config.v1+json";
    r.config_json = "{}";
    ImageLayer l;
    l.diff_id = l.blob_digest = layer;
    r.layers.push_back(l);
    NewLayer nl;
    nl.diff_id = layer;
    nl.entries = Layer({F("f" + hex)});
    auto c = store_->CommitImage(r, {nl}, {{"app", tag}});
    ASSERT_TRUE(c.ok()) << c.status();
  }

  // Runs a stream in a thread, collecting sequence numbers until `want`
  // events arrived or 10 s passed.
  struct Collector {
    absl::Mutex mu;
    std::vector<int64_t> seqs;
    std::atomic<bool> stop{false};
    std::atomic<bool> stalled{false};
  };

  EventStreamCallbacks Callbacks(Collector& c) {
    EventStreamCallbacks cb;
    cb.accept = [](const EventRecord&) { return true; };
    cb.deliver = [&c](const EventRecord& e) {
      while (c.stalled && !c.stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      absl::MutexLock lock(&c.mu);
      c.seqs.push_back(e.seq);
      return true;
    };
    cb.heartbeat = [](int64_t) { return true; };
    cb.cancelled = [&c] { return c.stop.load(); };
    return cb;
  }

  static bool WaitFor(Collector& c, size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        absl::MutexLock lock(&c.mu);
        if (c.seqs.size() >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static std::vector<int64_t> Range(int64_t from, int64_t to) {
    std::vector<int64_t> v;
    for (int64_t i = from; i <= to; ++i) v.push_back(i);
    return v;
  }

  std::string dir_;
  EventHub hub_{/*capacity=*/64};
  std::unique_ptr<Store> store_;
  int images_ = 0;
};

// Invariants 1 and 2: replay then live, in order, once.
TEST_F(EventStreamTest, ReplaysAfterCursorThenGoesLive) {
  for (int i = 0; i < 3; ++i) Commit("1");  // seqs 1..6
  Collector c;
  EventStreamOptions opts;
  opts.since = 2;
  opts.heartbeat = absl::Milliseconds(50);
  std::thread t([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, Callbacks(c)).ok()); });
  ASSERT_TRUE(WaitFor(c, 4));
  Commit("2");  // seqs 7, 8
  ASSERT_TRUE(WaitFor(c, 6));
  c.stop = true;
  t.join();
  EXPECT_EQ(c.seqs, Range(3, 8));
}

// Invariant 2: commits between registering and reading the head, and
// between replay batches, are neither lost nor doubled.
TEST_F(EventStreamTest, CommitsRacingTheReplayAreDeliveredOnce) {
  for (int i = 0; i < 5; ++i) Commit("1");  // seqs 1..10
  Collector c;
  EventStreamOptions opts;
  opts.since = 0;
  opts.replay_batch = 3;
  opts.heartbeat = absl::Milliseconds(50);
  EventStreamCallbacks cb = Callbacks(c);
  int replays = 0;
  cb.test_hook = [&](const char* point) {
    if (std::string(point) == "registered" && images_ == 5) Commit("x");
    if (std::string(point) == "replay" && ++replays == 2) Commit("y");
    if (std::string(point) == "live" && images_ == 7) Commit("z");
  };
  std::thread t([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, cb).ok()); });
  ASSERT_TRUE(WaitFor(c, 16));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  c.stop = true;
  t.join();
  EXPECT_EQ(c.seqs, Range(1, 16));
}

// Invariants 2 and 3: a stalled subscriber overflows, the writer and another
// subscriber go on, and once it reads again it gets everything once.
TEST_F(EventStreamTest, StalledSubscriberFallsBackToTheLog) {
  Collector slow, fast;
  slow.stalled = true;
  EventStreamOptions opts;
  opts.since = 0;
  opts.heartbeat = absl::Milliseconds(50);
  std::thread ts([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, Callbacks(slow)).ok()); });
  std::thread tf([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, Callbacks(fast)).ok()); });
  while (hub_.subscriber_count() < 2) std::this_thread::yield();
  Commit("0");  // the slow one takes this event and stalls in deliver
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) Commit(std::to_string(i % 7));  // 200 events
  auto writer_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WaitFor(fast, 202));
  {
    absl::MutexLock lock(&slow.mu);
    EXPECT_LE(slow.seqs.size(), 1u);  // still stalled
  }
  slow.stalled = false;
  ASSERT_TRUE(WaitFor(slow, 202));
  slow.stop = fast.stop = true;
  ts.join();
  tf.join();
  EXPECT_EQ(fast.seqs, Range(1, 202));
  EXPECT_EQ(slow.seqs, Range(1, 202));
  // 64-event queues overflowed, yet 100 commits were not held up by the
  // stalled reader (generous bound: a disk-synced commit is ~ms).
  EXPECT_LT(writer_ms, 10000);
}

// Invariant 4.
TEST_F(EventStreamTest, CursorOlderThanRetentionIsRefused) {
  for (int i = 0; i < 3; ++i) Commit("1");  // seqs 1..6
  auto pruned = store_->PruneEvents(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 6);
  Commit("1");  // seqs 7, 8
  Collector c;
  EventStreamOptions opts;
  opts.since = 3;
  absl::Status s = RunEventStream(*store_, hub_, opts, Callbacks(c));
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("events up to 6 were removed"), std::string::npos)
      << s;
  // From the retained edge it works.
  opts.since = 6;
  opts.heartbeat = absl::Milliseconds(50);
  std::thread t([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, Callbacks(c)).ok()); });
  ASSERT_TRUE(WaitFor(c, 2));
  c.stop = true;
  t.join();
  EXPECT_EQ(c.seqs, Range(7, 8));
}

TEST_F(EventStreamTest, WithoutCursorStartsFromNowAndSendsHeartbeats) {
  Commit("1");
  Collector c;
  EventStreamOptions opts;
  opts.heartbeat = absl::Milliseconds(30);
  EventStreamCallbacks cb = Callbacks(c);
  std::atomic<int> beats{0};
  std::atomic<int64_t> beat_head{-1};
  cb.heartbeat = [&](int64_t head) {
    beat_head = head;
    ++beats;
    return true;
  };
  std::thread t([&] { EXPECT_TRUE(RunEventStream(*store_, hub_, opts, cb).ok()); });
  while (beats < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(beat_head, 2);
  Commit("1");
  ASSERT_TRUE(WaitFor(c, 2));
  c.stop = true;
  t.join();
  EXPECT_EQ(c.seqs, Range(3, 4));
}

}  // namespace
}  // namespace dci
