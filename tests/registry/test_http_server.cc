#include "tests/registry/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dci::testing {
namespace {

constexpr size_t kMaxRequestHead = 64 << 10;

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    auto hex = [](char c, int& v) {
      if (c >= '0' && c <= '9')
        v = c - '0';
      else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
      else
        return false;
      return true;
    };
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1], hi) &&
        hex(s[i + 2], lo)) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 307:
      return "Temporary Redirect";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

bool TestConnection::Send(absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent_ += n;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ResponseHead(
    int status, const std::vector<std::pair<std::string, std::string>>& headers,
    long long content_length) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (content_length >= 0) {
    absl::StrAppend(&out, "Content-Length: ", content_length, "\r\n");
  }
  absl::StrAppend(&out, "Connection: close\r\n\r\n");
  return out;
}

void SendResponse(
    TestConnection& c, int status,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body) {
  if (c.Send(
          ResponseHead(status, headers, static_cast<long long>(body.size())))) {
    c.Send(body);
  }
}

int ListenOnLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ListenOnLoopback(&port_);
  if (listen_fd_ < 0) return;
  thread_ = std::thread([this] { Loop(); });
}

TestHttpServer::~TestHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string TestHttpServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void TestHttpServer::Loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos &&
           head.size() < kMaxRequestHead) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    size_t end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
      TestRequest req;
      std::vector<std::string> lines =
          absl::StrSplit(head.substr(0, end), "\r\n");
      std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
      if (first.size() >= 2) {
        req.method = first[0];
        req.target = first[1];
        size_t q = req.target.find('?');
        req.path = req.target.substr(0, q);
        if (q != std::string::npos) {
          for (absl::string_view kv :
               absl::StrSplit(req.target.substr(q + 1), '&')) {
            size_t eq = kv.find('=');
            req.query[PercentDecode(kv.substr(0, eq))] =
                eq == absl::string_view::npos
                    ? ""
                    : PercentDecode(kv.substr(eq + 1));
          }
        }
        for (size_t i = 1; i < lines.size(); ++i) {
          size_t colon = lines[i].find(':');
          if (colon == std::string::npos) continue;
          req.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
              std::string(
                  absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
        }
        TestConnection conn(fd);
        handler_(req, conn);
      }
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    ++handled_;
  }
}

}  // namespace dci::testing
