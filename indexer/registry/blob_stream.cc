#include "indexer/registry/blob_stream.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"

namespace dci::registry_internal {
namespace {

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr int kMaxAuthRounds = 2;
constexpr int kPollMillis = 1000;

// START of "bytes START-END/TOTAL" (RFC 9110 section 14.4), or -1.
long long RangeStart(absl::string_view content_range) {
  if (!absl::ConsumePrefix(&content_range, "bytes ")) return -1;
  size_t dash = content_range.find('-');
  long long start = -1;
  if (dash == absl::string_view::npos ||
      !absl::SimpleAtoi(content_range.substr(0, dash), &start)) {
    return -1;
  }
  return start;
}

}  // namespace

BlobStream::BlobStream(std::shared_ptr<Session> session, std::string digest,
                       long long expected_size, bool verify_digest)
    : session_(std::move(session)),
      digest_(std::move(digest)),
      expected_size_(expected_size),
      verify_digest_(verify_digest),
      url_(absl::StrCat(session_->base_url(), "/v2/", session_->repository(),
                        "/blobs/", digest_)),
      scope_(session_->DefaultScope()) {}

BlobStream::~BlobStream() {
  StopTransfer();
  session_->ReturnMulti(std::move(multi_));  // its connection may serve again
}

std::string BlobStream::Progress() const {
  if (expected_size_ >= 0) {
    return absl::StrCat(offset_, " of ", expected_size_, " bytes received");
  }
  return absl::StrCat(offset_, " bytes received");
}

absl::Status BlobStream::Fail(absl::Status s) {
  StopTransfer();
  final_ = std::move(s);
  return final_;
}

void BlobStream::StopTransfer() {
  if (multi_ != nullptr && easy_ != nullptr) {
    curl_multi_remove_handle(multi_.get(), easy_.get());
  }
  easy_.reset();
  headers_.reset();
  running_ = false;
  paused_ = false;
}

absl::Status BlobStream::StartTransfer() {
  absl::StatusOr<std::string> authorization =
      session_->AuthorizationFor(scope_);
  if (!authorization.ok()) return Fail(authorization.status());
  authorization_ = *std::move(authorization);
  easy_.reset(curl_easy_init());
  if (multi_ == nullptr) multi_ = session_->TakeMulti();
  if (easy_ == nullptr || multi_ == nullptr) {
    return Fail(absl::ResourceExhaustedError("curl: cannot make a handle"));
  }
  std::vector<std::string> headers;
  if (offset_ > 0)
    headers.push_back(absl::StrCat("Range: bytes=", offset_, "-"));
  if (!authorization_.empty()) headers.push_back(authorization_);
  headers_ = MakeHeaderList(headers);
  ConfigureEasy(easy_.get(), session_->transport(), url_, headers_.get());
  if (session_->share() != nullptr) {
    curl_easy_setopt(easy_.get(), CURLOPT_SHARE, session_->share());
  }
  error_buffer_[0] = '\0';
  curl_easy_setopt(easy_.get(), CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEFUNCTION, &BlobStream::OnWrite);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_.get(), CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(easy_.get(), CURLOPT_HEADERDATA, &response_headers_);
  response_headers_.Clear();
  status_checked_ = false;
  body_is_blob_ = false;
  skip_ = 0;
  error_body_.clear();
  error_body_cut_ = false;
  write_error_ = absl::OkStatus();
  if (curl_multi_add_handle(multi_.get(), easy_.get()) != CURLM_OK) {
    easy_.reset();
    return Fail(absl::InternalError("curl_multi_add_handle failed"));
  }
  running_ = true;
  return absl::OkStatus();
}

size_t BlobStream::OnWrite(char* data, size_t size, size_t nmemb, void* self) {
  return static_cast<BlobStream*>(self)->Write(data, size * nmemb);
}

size_t BlobStream::Write(const char* data, size_t len) {
  const size_t total = len;
  if (!status_checked_) {
    status_checked_ = true;
    long code = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
    if (code == 200) {
      body_is_blob_ = true;
      skip_ = offset_;  // the range was ignored: the body starts at 0
    } else if (code == 206) {
      long long start = RangeStart(response_headers_.Get("content-range"));
      if (start != offset_) {
        write_error_ = absl::UnavailableError(absl::StrCat(
            "partial content starts at ", start, ", want ", offset_));
        return 0;
      }
      body_is_blob_ = true;
    }
  }
  if (!body_is_blob_) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size());
    error_body_.append(data, std::min(room, len));
    if (len > room) {
      error_body_cut_ = true;  // enough to quote; stop reading
      return 0;
    }
    return total;
  }
  if (buffer_.size() - buffer_pos_ >= kMaxBuffered) {
    paused_ = true;
    return CURL_WRITEFUNC_PAUSE;  // curl keeps the bytes and offers them again
  }
  session_->AddBytesFetched(static_cast<long long>(len));
  if (skip_ > 0) {
    size_t k = static_cast<size_t>(std::min<long long>(skip_, len));
    data += k;
    len -= k;
    skip_ -= static_cast<long long>(k);
    if (len == 0) return total;
  }
  if (expected_size_ >= 0 &&
      offset_ + static_cast<long long>(len) > expected_size_) {
    write_error_ = absl::DataLossError(absl::StrCat("blob ", digest_,
                                                    ": more than the expected ",
                                                    expected_size_, " bytes"));
    return 0;
  }
  if (verify_digest_) hasher_.Update(data, len);
  offset_ += static_cast<long long>(len);
  if (buffer_pos_ == buffer_.size()) {
    buffer_.clear();
    buffer_pos_ = 0;
  } else if (buffer_pos_ >= kMaxBuffered) {
    buffer_.erase(0, buffer_pos_);
    buffer_pos_ = 0;
  }
  buffer_.append(data, len);
  return total;
}

absl::Status BlobStream::Retry(const std::string& why,
                               const HeaderMap* headers) {
  StopTransfer();
  if (retries_ >= session_->options().max_retries) {
    return Fail(absl::UnavailableError(absl::StrCat(
        "registry ", session_->registry(), ": blob ", digest_, ": ", Progress(),
        " in ", retries_ + 1, " attempts; last: ", why)));
  }
  absl::SleepFor(session_->Backoff(retries_++, headers));
  return StartTransfer();
}

absl::Status BlobStream::Finish() {
  StopTransfer();
  if (skip_ > 0) {
    return Fail(absl::DataLossError(absl::StrCat(
        "blob ", digest_, ": the registry now serves fewer bytes than the ",
        offset_, " received before")));
  }
  if (expected_size_ >= 0 && offset_ != expected_size_) {
    return Fail(absl::DataLossError(absl::StrCat(
        "blob ", digest_, ": ", offset_, " bytes, want ", expected_size_)));
  }
  std::string got = verify_digest_ ? hasher_.Finish() : digest_;
  if (got != digest_) {
    return Fail(absl::DataLossError(
        absl::StrCat("blob ", digest_, ": digest mismatch (got ", got, ")")));
  }
  done_ = true;
  return absl::OkStatus();
}

absl::Status BlobStream::OnTransferDone(CURLcode rc) {
  long code = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
  if (!write_error_.ok()) {
    if (write_error_.code() == absl::StatusCode::kUnavailable) {
      return Retry(std::string(write_error_.message()), nullptr);
    }
    return Fail(write_error_);
  }
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && error_body_cut_)) {
    absl::Status s = CurlError(rc, error_buffer_);
    if (IsRetryableCurlError(rc))
      return Retry(std::string(s.message()), nullptr);
    return Fail(Annotate(s, absl::StrCat("registry ", session_->registry(),
                                         ": blob ", digest_)));
  }
  if (code == 200 || code == 206) return Finish();
  StopTransfer();
  if (code == 401 && auth_rounds_ < kMaxAuthRounds) {
    absl::Status s = session_->OnUnauthorized(response_headers_, authorization_,
                                              auth_rounds_++, scope_);
    if (!s.ok()) return Fail(s);
    return StartTransfer();
  }
  if (code >= 500 || code == 429) {
    return Retry(absl::StrCat("HTTP ", code), &response_headers_);
  }
  HttpResponse response;
  response.status = code;
  response.body = error_body_;
  return Fail(ErrorFromResponse(session_->registry(),
                                absl::StrCat("blob ", digest_), response));
}

absl::Status BlobStream::Pump() {
  while (buffer_pos_ == buffer_.size() && running_) {
    if (paused_) {
      paused_ = false;
      curl_easy_pause(easy_.get(), CURLPAUSE_CONT);  // may call Write
      if (buffer_pos_ < buffer_.size()) break;
    }
    int still_running = 0;
    CURLMcode mc = curl_multi_perform(multi_.get(), &still_running);
    if (mc != CURLM_OK) {
      return Fail(absl::InternalError(
          absl::StrCat("curl_multi_perform: ", curl_multi_strerror(mc))));
    }
    int queued = 0;
    bool ended = false;
    CURLcode rc = CURLE_OK;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_.get()) {
        ended = true;
        rc = msg->data.result;
      }
    }
    if (ended) {
      DCI_RETURN_IF_ERROR(OnTransferDone(rc));
      continue;
    }
    if (buffer_pos_ < buffer_.size() || paused_) continue;
    mc = curl_multi_poll(multi_.get(), nullptr, 0, kPollMillis, nullptr);
    if (mc != CURLM_OK) {
      return Fail(absl::InternalError(
          absl::StrCat("curl_multi_poll: ", curl_multi_strerror(mc))));
    }
  }
  return absl::OkStatus();
}

absl::Status BlobStream::Start() {
  DCI_RETURN_IF_ERROR(StartTransfer());
  return Pump();
}

absl::StatusOr<size_t> BlobStream::Read(char* buf, size_t n) {
  if (!final_.ok()) return final_;
  if (n == 0) return 0;
  while (buffer_pos_ == buffer_.size()) {
    if (done_) return 0;
    if (!running_) {
      DCI_RETURN_IF_ERROR(StartTransfer());
    }
    DCI_RETURN_IF_ERROR(Pump());
  }
  if (!final_.ok()) return final_;
  size_t k = std::min(n, buffer_.size() - buffer_pos_);
  std::memcpy(buf, buffer_.data() + buffer_pos_, k);
  buffer_pos_ += k;
  return k;
}

}  // namespace dci::registry_internal
