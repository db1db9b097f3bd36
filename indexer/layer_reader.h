// Reads one layer blob (OCI image-spec layer.md changeset) into its list of
// entries, verifying the blob digest and the diff_id while streaming.
// Nothing is written to the host filesystem.
//
// Pipeline: the calling thread reads the blob, hashes it (the blob digest)
// and decompresses it (ISA-L for gzip, libzstd for zstd) into a bounded ring
// of buffers; a second thread hashes the uncompressed tar (the diff_id),
// parses it with libarchive (format tar, no filter) and hashes each file's
// content with XXH3-128. Memory is bounded by the ring and the entry list,
// never by the layer's size.
//
//   LayerReadOptions opts;
//   opts.compression = Compression::kGzip;
//   opts.expected_diff_id = "sha256:...";
//   auto layer = ReadLayer(*stream, opts);
//   if (!layer.ok()) ...;  // message names the entry and what is wrong
#ifndef DCI_INDEXER_LAYER_READER_H_
#define DCI_INDEXER_LAYER_READER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "indexer/byte_stream.h"
#include "store/layer_entry.h"

namespace dci {

enum class Compression {
  kAuto,  // sniff the magic bytes: gzip 1f 8b, zstd 28 b5 2f fd, else tar
  kNone,
  kGzip,
  kZstd,
};

// Caps against hostile layers (decompression bombs, header floods).
struct LayerLimits {
  uint64_t max_uncompressed_bytes = 64ull << 30;
  uint64_t max_entries = 2'000'000;
};

struct LayerProgress {
  uint64_t compressed_bytes = 0;    // blob bytes read so far
  uint64_t uncompressed_bytes = 0;  // tar bytes parsed so far
  uint64_t entries = 0;             // tar headers parsed so far
};

struct LayerReadOptions {
  Compression compression = Compression::kAuto;
  // When set ("sha256:..."), a mismatch is a DataLoss error.
  std::string expected_blob_digest;
  std::string expected_diff_id;
  LayerLimits limits;
  // Called from the reading threads now and then (at most every ~64 KiB of
  // progress is fine), and once at the end. May be empty.
  std::function<void(const LayerProgress&)> progress;
  // Which regular files' contents to keep (package databases, config
  // files), given the canonical path and size. Called on the parsing
  // thread. May be empty: nothing is kept.
  std::function<bool(absl::string_view path, int64_t size)> capture;
};

struct LayerReadResult {
  std::string blob_digest;  // "sha256:..." of the bytes read
  std::string diff_id;      // "sha256:..." of the uncompressed tar
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t tar_headers = 0;  // headers read, before folding
  // One entry per path, sorted by path (byte order), after the folding rules
  // below. The root directory ("./") is not listed.
  std::vector<LayerEntry> entries;
  // Non-fatal findings, each naming the entry: e.g. a tar without its
  // end-of-archive blocks whose diff_id verifies (umoci insert writes these),
  // AUFS metadata (".wh..wh.plnk") skipped.
  std::vector<std::string> warnings;
  // Contents of the files `capture` asked for, by path, as the layer leaves
  // them (a later header for the path replaces an earlier one; a path the
  // layer ends with as anything but a regular file or hardlink is dropped).
  std::map<std::string, std::string> captured;
};

// Folding rules (OCI image-spec layer.md), numbered for the tests:
//  1. "DIR/.wh.NAME" becomes an entry DIR/NAME of type kWhiteout.
//  2. "DIR/.wh..wh..opq" marks DIR opaque; if the layer has no header for
//     DIR, an implicit kDir entry (implicit = true) carries the mark.
//  3. A whiteout and a real entry for one path in one layer: the real entry
//     stays (whiteouts apply to lower layers only); a directory becomes
//     opaque, any other type simply replaces the lower path.
//  4. Duplicate headers for one path: the last one wins (an opaque mark
//     from rule 2 or 3 stays on the directory).
//  5. A hardlink must name an earlier regular file (or hardlink) of the same
//     layer; it gets that entry's size and content hash. A hardlink to a
//     missing or later entry, or to a directory, is an error.
//  6. Names are canonical (base/path.h): "./" prefixes and trailing '/'
//     removed; NUL, absolute names and ".." components are errors.
//  7. Other ".wh." names (AUFS ".wh..wh.plnk", ".wh..wh.aufs") are skipped
//     with a warning.
//
// Errors: DataLoss for truncated or corrupt compressed or tar data and for
// digest mismatches; InvalidArgument for hostile names and link tricks;
// ResourceExhausted when a limit is passed. Each message names the entry
// (and the byte offset where useful) and says what is wrong.
absl::StatusOr<LayerReadResult> ReadLayer(ByteStream& in,
                                          const LayerReadOptions& options);

}  // namespace dci

#endif  // DCI_INDEXER_LAYER_READER_H_
