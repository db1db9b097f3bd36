// Streaming decompressors for layer blobs: gzip through ISA-L's igzip
// (several times faster than zlib) and zstd through libzstd. Both accept
// concatenated members/frames, as `gzip -d` and `zstd -d` do (pigz and
// parallel compressors write such streams).
//
//   DCI_ASSIGN_OR_RETURN(auto d, NewDecompressor(Compression::kGzip));
//   while (...) {
//     DCI_RETURN_IF_ERROR(d->Decompress(&in, &in_left, &out, &out_left));
//   }
//   if (!d->AtEnd()) ...;  // input ended inside a member: truncated
#ifndef DCI_INDEXER_DECOMPRESS_H_
#define DCI_INDEXER_DECOMPRESS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/layer_reader.h"

namespace dci {

// One compressed stream, fed front to back. Not thread-safe.
class Decompressor {
 public:
  virtual ~Decompressor() = default;

  // Decompresses from [*in, *in + *in_left) into [*out, *out + *out_left),
  // advancing both, until the input is used up or the output is full.
  // Corrupt data is DataLoss; the message gives the compressed byte offset.
  virtual absl::Status Decompress(const uint8_t** in, size_t* in_left,
                                  uint8_t** out, size_t* out_left) = 0;

  // True when everything fed so far ends exactly at the end of a gzip member
  // or zstd frame (and at least one was read): the input may end here.
  virtual bool AtEnd() const = 0;

  // "gzip" or "zstd", for messages.
  virtual absl::string_view Name() const = 0;
};

// kGzip or kZstd; anything else is InvalidArgument.
absl::StatusOr<std::unique_ptr<Decompressor>> NewDecompressor(Compression c);

// Looks at the first bytes of a blob: gzip (1f 8b), zstd (28 b5 2f fd), else
// kNone. Never returns kAuto.
Compression SniffCompression(absl::string_view head);

}  // namespace dci

#endif  // DCI_INDEXER_DECOMPRESS_H_
