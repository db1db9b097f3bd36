// A Subscribe stream read on its own thread, for end-to-end tests.
#ifndef DCI_TESTS_INTEGRATION_SUBSCRIBER_H_
#define DCI_TESTS_INTEGRATION_SUBSCRIBER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dci/v1/service.grpc.pb.h"

namespace dci::testing {

class Subscriber {
 public:
  Subscriber(const std::string& address, v1::SubscribeRequest req)
      : stub_(v1::Dci::NewStub(grpc::CreateChannel(
            address, grpc::InsecureChannelCredentials()))) {
    thread_ = std::thread([this, req] {
      auto reader = stub_->Subscribe(&ctx_, req);
      v1::SubscribeResponse msg;
      while (reader->Read(&msg)) {
        absl::MutexLock lock(&mu_);
        if (msg.has_event()) events_.push_back(msg.event());
        if (msg.has_heartbeat()) ++heartbeats_;
      }
      grpc::Status s = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = s;
      done_ = true;
    });
  }
  ~Subscriber() { Stop(); }

  // Waits (`timeout` at most) for `n` events; returns what arrived.
  std::vector<v1::Event> WaitFor(size_t n,
                                 absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return events_;
  }
  int heartbeats() {
    absl::MutexLock lock(&mu_);
    return heartbeats_;
  }
  // Waits for the server to end the stream; returns its status.
  grpc::Status WaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(10));
    return status_;
  }
  void Stop() {
    if (thread_.joinable()) {
      ctx_.TryCancel();
      thread_.join();
    }
  }

 private:
  std::unique_ptr<v1::Dci::Stub> stub_;
  grpc::ClientContext ctx_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  int heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dci::testing

#endif  // DCI_TESTS_INTEGRATION_SUBSCRIBER_H_
