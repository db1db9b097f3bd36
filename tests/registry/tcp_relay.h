// A TCP relay on 127.0.0.1 in front of a server on 127.0.0.1, counting the
// connections it accepts: how a test sees whether a client reuses its
// connections. Bytes are passed through unchanged in both directions.
#ifndef DCI_TESTS_REGISTRY_TCP_RELAY_H_
#define DCI_TESTS_REGISTRY_TCP_RELAY_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dci::testing {

class TcpRelay {
 public:
  explicit TcpRelay(int target_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  bool ok() const { return port_ > 0; }
  std::string address() const;  // "127.0.0.1:PORT"
  int accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop();

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;               // guarded by mu_
  std::vector<std::thread> pumps_;     // guarded by mu_
};

}  // namespace dci::testing

#endif  // DCI_TESTS_REGISTRY_TCP_RELAY_H_
