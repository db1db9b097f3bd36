#include "indexer/byte_stream.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dci {
namespace {

class StringStream : public ByteStream {
 public:
  explicit StringStream(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

class FdStream : public ByteStream {
 public:
  FdStream(int fd, long long limit) : fd_(fd), left_(limit) {}
  ~FdStream() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (left_ == 0) return 0;
    if (left_ > 0) n = static_cast<size_t>(std::min<long long>(left_, n));
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        return absl::UnavailableError(
            absl::StrCat("read failed: ", std::strerror(errno)));
      }
      if (left_ > 0) left_ -= r;
      return static_cast<size_t>(r);
    }
  }

 private:
  int fd_;
  long long left_;
};

}  // namespace

std::unique_ptr<ByteStream> MakeStringStream(std::string data) {
  return std::make_unique<StringStream>(std::move(data));
}

std::unique_ptr<ByteStream> MakeFdStream(int fd, long long limit) {
  return std::make_unique<FdStream>(fd, limit);
}

}  // namespace dci
