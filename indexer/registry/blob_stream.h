// A blob streamed straight from a registry response: no temporary file, at
// most kMaxBuffered bytes held. Internal to dci_registry; RegistryClient::
// OpenBlob hands it out as a ByteStream.
//
// Design. The transfer runs on a curl multi handle driven from Read(): no
// thread of its own. Read() returns buffered bytes first; when the buffer
// is empty it runs curl_multi_perform/curl_multi_poll until bytes arrive
// or the transfer ends. The write callback pauses the transfer
// (CURL_WRITEFUNC_PAUSE) when the buffer is full; Read() resumes it once
// the buffer is drained.
//
// Invariants:
//  1. Every byte handed to the caller has gone through the SHA-256 hasher,
//     in blob order; offset_ counts them.
//  2. More bytes than expected_size is DataLoss at once; at the end a
//     size or digest mismatch is DataLoss. No byte of a blob whose digest
//     is wrong is ever followed by a clean end of stream.
//  3. A dropped connection, a timeout or a 5xx/429 restarts the transfer
//     after a backoff with "Range: bytes=offset_-". A 206 must start at
//     offset_; a 200 (range ignored) has its first offset_ bytes skipped.
//     At most max_retries restarts per stream; then Unavailable naming the
//     blob and the bytes received.
//  4. A 401 goes through the session's authentication (session.h) and
//     restarts without counting as a retry, at most twice.
//  5. Every body byte received counts towards the session's bytes_fetched,
//     skipped ones included.
#ifndef DCI_INDEXER_REGISTRY_BLOB_STREAM_H_
#define DCI_INDEXER_REGISTRY_BLOB_STREAM_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/digest.h"
#include "indexer/byte_stream.h"
#include "indexer/registry/http.h"
#include "indexer/registry/session.h"

namespace dci::registry_internal {

// Not thread-safe (one reader, as any ByteStream). Keeps the session alive.
class BlobStream : public ByteStream {
 public:
  static constexpr size_t kMaxBuffered = 256 << 10;

  // `expected_size` < 0: unknown, not checked. Without `verify_digest`
  // the caller hashes the bytes itself (invariant 1 and the digest half of
  // invariant 2 are then the caller's).
  BlobStream(std::shared_ptr<Session> session, std::string digest,
             long long expected_size, bool verify_digest = true);
  ~BlobStream() override;
  BlobStream(const BlobStream&) = delete;
  BlobStream& operator=(const BlobStream&) = delete;

  // Starts the transfer and waits for its first bytes or its end, so that
  // NotFound and authentication errors come back before the first Read.
  absl::Status Start();
  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  static size_t OnWrite(char* data, size_t size, size_t nmemb, void* self);
  size_t Write(const char* data, size_t len);

  absl::Status StartTransfer();
  void StopTransfer();
  // Runs the transfer until bytes are buffered or it has ended (and has
  // been dealt with: finished, restarted or failed).
  absl::Status Pump();
  // Decides what a finished transfer means.
  absl::Status OnTransferDone(CURLcode rc);
  absl::Status Retry(const std::string& why, const HeaderMap* headers);
  absl::Status Fail(absl::Status s);
  absl::Status Finish();
  std::string Progress() const;

  std::shared_ptr<Session> session_;
  const std::string digest_;
  const long long expected_size_;
  const bool verify_digest_;
  const std::string url_;
  Sha256 hasher_;
  long long offset_ = 0;  // bytes accepted so far (invariant 1)
  std::string buffer_;
  size_t buffer_pos_ = 0;
  int retries_ = 0;
  int auth_rounds_ = 0;
  std::string scope_;
  bool done_ = false;
  absl::Status final_;  // sticky error

  // The running transfer.
  CurlMultiPtr multi_;
  CurlEasyPtr easy_;
  CurlSlistPtr headers_;
  HeaderMap response_headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {0};
  std::string authorization_;
  bool running_ = false;
  bool paused_ = false;
  bool status_checked_ = false;
  bool body_is_blob_ = false;  // 200/206 (else: an error body)
  long long skip_ = 0;         // bytes still to drop from a 200 body
  std::string error_body_;
  bool error_body_cut_ = false;
  absl::Status write_error_;  // set by the write callback, ends the transfer
};

}  // namespace dci::registry_internal

#endif  // DCI_INDEXER_REGISTRY_BLOB_STREAM_H_
