// A source of bytes read front to back: a blob of an image layout, a member
// of an archive, a registry response body. The seam between dci and where
// image bytes come from.
#ifndef DCI_INDEXER_BYTE_STREAM_H_
#define DCI_INDEXER_BYTE_STREAM_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace dci {

// Not thread-safe: one reader at a time.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads up to `n` bytes into `buf`; returns how many, 0 at end of stream.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
};

// A stream over bytes held in memory (tests, small blobs).
std::unique_ptr<ByteStream> MakeStringStream(std::string data);

// A stream over the open file descriptor `fd` (owned and closed by the
// stream), reading at most `limit` bytes from its current offset
// (-1: to end of file).
std::unique_ptr<ByteStream> MakeFdStream(int fd, long long limit = -1);

}  // namespace dci

#endif  // DCI_INDEXER_BYTE_STREAM_H_
