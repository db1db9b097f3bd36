// A minimal HTTP/1.1 server on 127.0.0.1 for the registry client's tests:
// one connection at a time, one request per connection, the handler writes
// the raw response (and may stop half way to play a failing server).
#ifndef DCI_TESTS_REGISTRY_TEST_HTTP_SERVER_H_
#define DCI_TESTS_REGISTRY_TEST_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace dci::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lowercased
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class TestConnection {
 public:
  explicit TestConnection(int fd) : fd_(fd) {}
  // Writes all of `data`; false once the peer has gone.
  bool Send(absl::string_view data);
  long long sent() const { return sent_; }

 private:
  int fd_;
  long long sent_ = 0;
};

// "HTTP/1.1 STATUS Reason\r\n" + headers + Content-Length (unless < 0) +
// "Connection: close\r\n\r\n".
std::string ResponseHead(
    int status, const std::vector<std::pair<std::string, std::string>>& headers,
    long long content_length);

// Sends a whole response with a body.
void SendResponse(
    TestConnection& c, int status,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body);

// A listening TCP socket on 127.0.0.1 with a port the kernel picks, which
// goes to *port; -1 when none could be made.
int ListenOnLoopback(int* port);

// Listens on 127.0.0.1:0 from construction to destruction; the handler runs
// on the server's thread. Not copyable.
class TestHttpServer {
 public:
  using Handler = std::function<void(const TestRequest&, TestConnection&)>;
  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  // Requests handled so far (completed handler calls).
  int handled() const { return handled_.load(); }

 private:
  void Loop();
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handled_{0};
  std::thread thread_;
};

}  // namespace dci::testing

#endif  // DCI_TESTS_REGISTRY_TEST_HTTP_SERVER_H_
