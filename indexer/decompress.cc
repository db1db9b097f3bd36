#include "indexer/decompress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dci {
namespace {

constexpr size_t kMaxChunk = std::numeric_limits<uint32_t>::max();

absl::string_view IsalErrorName(int r) {
  switch (r) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER:
      return "not a gzip member header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "CRC-32 or length mismatch";
    case ISAL_NEED_DICT:
      return "preset dictionary required";
    default:
      return "inflate error";
  }
}

// RFC 1952 section 2.2: "A gzip file consists of a series of members". Each
// member is inflated with its header and CRC-32/ISIZE trailer checked by
// ISA-L (crc_flag ISAL_GZIP); at a member's end the state is reset for the
// next one.
class GzipDecompressor : public Decompressor {
 public:
  GzipDecompressor() : state_(std::make_unique<inflate_state>()) {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
  }

  absl::Status Decompress(const uint8_t** in, size_t* in_left, uint8_t** out,
                          size_t* out_left) override {
    for (;;) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        // Only more input tells whether another member follows.
        if (*in_left == 0) return absl::OkStatus();
        isal_inflate_reset(state_.get());
        state_->crc_flag = ISAL_GZIP;
        ++member_;
      }
      if (*out_left == 0) return absl::OkStatus();
      const uint32_t avail_in =
          static_cast<uint32_t>(std::min(*in_left, kMaxChunk));
      const uint32_t avail_out =
          static_cast<uint32_t>(std::min(*out_left, kMaxChunk));
      state_->next_in = const_cast<uint8_t*>(*in);
      state_->avail_in = avail_in;
      state_->next_out = *out;
      state_->avail_out = avail_out;
      const int r = isal_inflate(state_.get());
      const size_t consumed = avail_in - state_->avail_in;
      const size_t produced = avail_out - state_->avail_out;
      *in += consumed;
      *in_left -= consumed;
      *out += produced;
      *out_left -= produced;
      consumed_ += consumed;
      if (r < 0) {
        return absl::DataLossError(absl::StrCat(
            "corrupt gzip data in member ", member_, " near compressed byte ",
            consumed_, ": ", IsalErrorName(r)));
      }
      if (state_->block_state == ISAL_BLOCK_FINISH) continue;
      // isal_inflate returns when the input is used up or the output full.
      if (*in_left == 0 || *out_left == 0) return absl::OkStatus();
      if (consumed == 0 && produced == 0) return absl::OkStatus();
    }
  }

  bool AtEnd() const override {
    return state_->block_state == ISAL_BLOCK_FINISH;
  }
  absl::string_view Name() const override { return "gzip"; }

 private:
  std::unique_ptr<inflate_state> state_;  // ~40 KiB: on the heap
  uint64_t consumed_ = 0;
  int member_ = 1;
};

struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// RFC 8878 section 3: "Zstandard compressed data is made of one or more
// frames"; ZSTD_decompressStream moves on to the next frame by itself and
// skips skippable frames.
class ZstdDecompressor : public Decompressor {
 public:
  explicit ZstdDecompressor(std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx)
      : dctx_(std::move(dctx)) {}

  absl::Status Decompress(const uint8_t** in, size_t* in_left, uint8_t** out,
                          size_t* out_left) override {
    ZSTD_inBuffer ib{*in, *in_left, 0};
    ZSTD_outBuffer ob{*out, *out_left, 0};
    absl::Status status;
    for (;;) {
      if (ob.pos == ob.size) break;
      // Calling with no input after a finished frame would start a new one.
      if (ib.pos == ib.size && !pending_output_) break;
      const size_t in_before = ib.pos;
      const size_t out_before = ob.pos;
      const size_t r = ZSTD_decompressStream(dctx_.get(), &ob, &ib);
      if (ZSTD_isError(r)) {
        const std::string msg =
            absl::StrCat(" near compressed byte ", consumed_ + ib.pos, ": ",
                         ZSTD_getErrorName(r));
        if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge) {
          status = absl::ResourceExhaustedError(absl::StrCat(
              "zstd frame needs a window larger than the 128 MiB allowed",
              msg));
        } else {
          status = absl::DataLossError(absl::StrCat("corrupt zstd data", msg));
        }
        break;
      }
      last_hint_ = r;
      pending_output_ = r != 0 && ob.pos == ob.size;
      if (ib.pos == in_before && ob.pos == out_before) break;
    }
    *in += ib.pos;
    *in_left -= ib.pos;
    *out += ob.pos;
    *out_left -= ob.pos;
    consumed_ += ib.pos;
    return status;
  }

  // ZSTD_decompressStream returns 0 once a frame is decoded and flushed.
  bool AtEnd() const override { return last_hint_ == 0; }
  absl::string_view Name() const override { return "zstd"; }

 private:
  std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx_;
  uint64_t consumed_ = 0;
  size_t last_hint_ = 1;  // nothing read yet: not at a frame's end
  bool pending_output_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Decompressor>> NewDecompressor(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipDecompressor>();
    case Compression::kZstd: {
      std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
      if (dctx == nullptr) {
        return absl::ResourceExhaustedError("cannot allocate a zstd context");
      }
      return std::make_unique<ZstdDecompressor>(std::move(dctx));
    }
    case Compression::kAuto:
    case Compression::kNone:
      break;
  }
  return absl::InvalidArgumentError("no decompressor for this compression");
}

Compression SniffCompression(absl::string_view head) {
  // RFC 1952 section 2.3.1 (ID1 ID2); RFC 8878 section 3.1.1 (Magic_Number
  // 0xFD2FB528, little-endian).
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') {
    return Compression::kGzip;
  }
  if (head.size() >= 4 &&
      std::memcmp(head.data(), "\x28\xb5\x2f\xfd", 4) == 0) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

}  // namespace dci
