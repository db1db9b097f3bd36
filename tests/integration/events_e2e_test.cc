// The event stream over real gRPC on loopback: dcid, the dci binary for
// indexing and `dci watch`, and a C++ subscriber.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "dci/v1/service.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/subscriber.h"

namespace dci::testing {
namespace {

std::string Layout() {
  return std::string(DCI_TESTDATA_DIR) + "/oci/gcr-layout-test_index/layout";
}

#define REQUIRE_TESTDATA()                                             \
  do {                                                                 \
    if (!Exists(DCI_TESTDATA_DIR)) {                                   \
      if (std::getenv("CI")) FAIL() << "missing " << DCI_TESTDATA_DIR; \
      GTEST_SKIP() << "SKIPPED: shared test data not at "              \
                   << DCI_TESTDATA_DIR << " (outside CI)";             \
    }                                                                  \
  } while (0)

// "seq KIND name:tag" per event.
std::vector<std::string> Lines(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(std::to_string(e.seq()) + " " + v1::EventKind_Name(e.kind()) +
                  " " + e.name() + ":" + e.tag());
  }
  return out;
}

void Index(const DcidProcess& d, const std::string& ref, const std::string& tag) {
  CommandResult r = d.Dci({"index", "oci:" + Layout() + ":" + ref, "--tag", tag});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

v1::SubscribeRequest Since(long long since) {
  v1::SubscribeRequest req;
  if (since >= 0) req.set_since(since);
  return req;
}

TEST(EventsEndToEnd, SubscriberSeesIndexingAndTagMoves) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  Subscriber sub(dcid.address(), Since(-1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Index(dcid, "1", "app:1");
  Index(dcid, "2", "app:1");
  auto events = sub.WaitFor(4);
  EXPECT_EQ(Lines(events), (std::vector<std::string>{
                               "1 IMAGE_INDEXED app:1", "2 TAG_CREATED app:1",
                               "3 IMAGE_INDEXED app:1", "4 TAG_MOVED app:1"}));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].old_image(),
            "sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650");
  EXPECT_EQ(events[3].image(),
            "sha256:32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720");
  // Ref 1 has files bar and foo, ref 2 bat and baz.
  EXPECT_EQ(events[3].drift().files_added(), 2);
  EXPECT_EQ(events[3].drift().files_removed(), 2);
  EXPECT_EQ(events[3].drift().files_changed(), 0);
}

TEST(EventsEndToEnd, ReconnectWithCursorGetsExactlyTheMissedEventsAcrossRestart) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  Index(dcid, "1", "app:1");  // 1, 2
  long long cursor;
  {
    Subscriber sub(dcid.address(), Since(0));
    auto events = sub.WaitFor(2);
    ASSERT_EQ(events.size(), 2u);
    cursor = events.back().seq();
  }
  // Disconnected: three more index runs.
  Index(dcid, "2", "app:1");  // 3 IMAGE_INDEXED, 4 TAG_MOVED
  Index(dcid, "1", "app:1");  // 5 TAG_MOVED (image known)
  Index(dcid, "1", "app:2");  // 6 TAG_CREATED
  {
    Subscriber sub(dcid.address(), Since(cursor));
    auto events = sub.WaitFor(4);
    EXPECT_EQ(Lines(events),
              (std::vector<std::string>{"3 IMAGE_INDEXED app:1", "4 TAG_MOVED app:1",
                                        "5 TAG_MOVED app:1", "6 TAG_CREATED app:2"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(sub.WaitFor(4).size(), 4u);  // nothing more, nothing twice
    cursor = 6;
  }
  ASSERT_TRUE(dcid.Restart());
  Index(dcid, "2", "app:2");  // 7 TAG_MOVED
  Subscriber sub(dcid.address(), Since(cursor));
  auto events = sub.WaitFor(1);
  EXPECT_EQ(Lines(events), (std::vector<std::string>{"7 TAG_MOVED app:2"}));
  Index(dcid, "1", "other:1");  // 8 TAG_CREATED, live
  EXPECT_EQ(Lines(sub.WaitFor(2)),
            (std::vector<std::string>{"7 TAG_MOVED app:2", "8 TAG_CREATED other:1"}));
}

TEST(EventsEndToEnd, FiltersAndAStalledSubscriberDoNotAffectOthers) {
  REQUIRE_TESTDATA();
  DcidProcess dcid({"--heartbeat", "1"});
  ASSERT_TRUE(dcid.ok());
  v1::SubscribeRequest moves = Since(0);
  moves.add_kinds(v1::TAG_MOVED);
  v1::SubscribeRequest others = Since(0);
  others.set_name_glob("other*");
  Subscriber sub_moves(dcid.address(), moves);
  Subscriber sub_others(dcid.address(), others);
  // A client that opens a stream and never reads it.
  auto stalled_stub = v1::Dci::NewStub(
      grpc::CreateChannel(dcid.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext stalled_ctx;
  auto stalled = stalled_stub->Subscribe(&stalled_ctx, Since(0));

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    Index(dcid, "1", "app:1");
    Index(dcid, "2", "app:1");
  }
  Index(dcid, "3", "other:3");
  auto elapsed = std::chrono::steady_clock::now() - start;
  // app:1: 1 IMAGE_INDEXED, 2 TAG_CREATED, 3 IMAGE_INDEXED, 4 TAG_MOVED,
  // then 8 more moves (5..12); other:3 is ref 1's image again (a nested
  // index), already indexed: 13 TAG_CREATED only.
  auto m = sub_moves.WaitFor(9);
  ASSERT_EQ(m.size(), 9u);
  EXPECT_EQ(m.front().seq(), 4);
  EXPECT_EQ(m.back().seq(), 12);
  EXPECT_EQ(Lines(sub_others.WaitFor(1)),
            (std::vector<std::string>{"13 TAG_CREATED other:3"}));
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_GE(sub_others.heartbeats(), 1);  // idle stream kept alive
  stalled_ctx.TryCancel();
}

// --package: only the moves whose drift touches the package, with the
// package drift in the event (the RPM sample: v1 -> v2 upgrades dci-conf
// and erases dci-gone; v2 -> v3 edits a config only).
TEST(EventsEndToEnd, PackageFilterSeesOnlyMovesTouchingThePackage) {
  const std::string rpm = SamplesDir() + "/rpm/layout";
  if (!Exists(rpm + "/index.json")) {
    if (std::getenv("CI")) FAIL() << "no RPM sample at " << rpm;
    GTEST_SKIP() << "SKIPPED: no RPM sample; run scripts/make-rpm-image.sh";
  }
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  v1::SubscribeRequest conf = Since(0);
  conf.set_package("dci-conf");
  v1::SubscribeRequest epoch = Since(0);
  epoch.set_package("dci-epoch");
  Subscriber sub_conf(dcid.address(), conf);
  Subscriber sub_epoch(dcid.address(), epoch);
  for (const char* v : {"rpm-v1", "rpm-v2", "rpm-v3"}) {
    CommandResult r =
        dcid.Dci({"index", "oci:" + rpm + ":" + v, "--tag", "rpm/app:latest"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // 1 IMAGE_INDEXED, 2 TAG_CREATED, 3 IMAGE_INDEXED, 4 TAG_MOVED (v1->v2),
  // 5 IMAGE_INDEXED, 6 TAG_MOVED (v2->v3).
  Subscriber all(dcid.address(), Since(0));
  ASSERT_EQ(all.WaitFor(6).size(), 6u);
  auto events = sub_conf.WaitFor(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  events = sub_conf.WaitFor(1);
  ASSERT_EQ(Lines(events), (std::vector<std::string>{"4 TAG_MOVED rpm/app:latest"}));
  const v1::DriftSummary& d = events[0].drift();
  EXPECT_EQ(std::vector<std::string>(d.packages_upgraded().begin(),
                                     d.packages_upgraded().end()),
            std::vector<std::string>{"dci-conf"});
  EXPECT_EQ(std::vector<std::string>(d.packages_removed().begin(),
                                     d.packages_removed().end()),
            std::vector<std::string>{"dci-gone"});
  EXPECT_EQ(d.packages_added_size(), 0);
  EXPECT_EQ(sub_epoch.WaitFor(0).size(), 0u);
}

TEST(EventsEndToEnd, WatchResumesFromItsCursorFile) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  char tmpl[] = "/tmp/dci-watch-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string cursor = std::string(tmpl) + "/cursor";
  Index(dcid, "1", "app:1");  // 1, 2
  Index(dcid, "2", "app:1");  // 3, 4
  CommandResult first = dcid.Dci({"watch", "--since", "0", "--cursor-file",
                                  cursor, "--max-events", "3", "--output", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::vector<std::string> lines = absl::StrSplit(first.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find("\"seq\":\"3\""), std::string::npos) << lines[2];
  std::ifstream in(cursor);
  long long saved = 0;
  in >> saved;
  EXPECT_EQ(saved, 3);
  Index(dcid, "1", "app:1");  // 5
  CommandResult second = dcid.Dci({"watch", "--cursor-file", cursor,
                                   "--max-events", "2", "--output", "json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  lines = absl::StrSplit(second.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"seq\":\"4\",\"kind\":\"TAG_MOVED\""), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("\"seq\":\"5\",\"kind\":\"TAG_MOVED\""), std::string::npos)
      << lines[1];
  std::system((std::string("rm -rf ") + tmpl).c_str());
}

TEST(EventsEndToEnd, TagHistoryAndRemoval) {
  REQUIRE_TESTDATA();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  Index(dcid, "1", "app:1");
  Index(dcid, "2", "app:1");
  CommandResult h = dcid.Dci({"history", "app:1", "--output", "json"});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_NE(h.out.find("\"filesAdded\": 2"), std::string::npos) << h.out;
  CommandResult rm = dcid.Dci({"untag", "app:1"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "removed app:1 (event 5)\n");
  EXPECT_EQ(dcid.Dci({"untag", "app:1"}).exit_code, 2);
  EXPECT_EQ(dcid.Dci({"show", "app:1"}).exit_code, 2);
  CommandResult tags = dcid.Dci({"history", "app"});
  EXPECT_NE(tags.out.find("<removed>"), std::string::npos) << tags.out;
}

}  // namespace
}  // namespace dci::testing
