// Design note. layer_reader.h gives the contract and the folding rules; this
// is how it is met.
//
// Two threads share a ring of kSlots buffers of kSlotSize bytes:
//   producer (the calling thread): input ring -> inflate (decompress.h)
//     straight into a free slot -> publish the slot.
//   consumer (one std::thread): take slots in order -> diff_id SHA-256 ->
//     hand the slot to libarchive as a read-callback block (no copy) ->
//     XXH3-128 of each regular file's data blocks -> folding.
// A compressed blob is read and hashed (the blob's SHA-256) by a third
// thread, the fetcher, into the slots of a second ring that the producer
// inflates from, so inflate, the one step that cannot be split, has a core
// nearly to itself, network reads included.
// Invariants:
//  1. Slots are published and taken in order. The consumer holds at most two
//     (the block libarchive reads now, and the one before it, which the
//     extended headers of the current entry may still lie in); the producer
//     at most one; the rest wait in the ring (backpressure bounds memory).
//  2. The first failure on either side is recorded in the ring and wakes
//     both sides; each stops at its next ring operation, so neither waits
//     forever. ReadLayer returns that first failure.
//  3. The consumer reads the stream to its end, past the tar's end-of-archive
//     blocks, so the diff_id covers every uncompressed byte.
//  4. Every uncompressed byte is hashed with SHA-256 once, on the consumer;
//     without compression that one hash is both the blob digest and the
//     diff_id. Every compressed byte is hashed once, on the fetcher, in
//     blob order, as soon as it is read.
//  5. What a layer says about a path is collected per path (PathState) and
//     folded into one LayerEntry only at the end, so the result does not
//     depend on the order of whiteouts, opaque markers and real entries
//     (rules 1-4 of layer_reader.h).
#include "indexer/layer_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/content_hash.h"
#include "base/digest.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/decompress.h"

namespace dci {
namespace {

constexpr size_t kSlots = 8;
constexpr size_t kSlotSize = 1 << 20;
constexpr size_t kInputSize = 1 << 20;  // compressed bytes per read
constexpr size_t kTarBlock = 512;
constexpr size_t kMaxLinkTarget = 4096;  // PATH_MAX, as for names
constexpr size_t kMaxWarnings = 100;

// ---------------------------------------------------------------------------
// The ring (invariants 1 and 2).

class Ring {
 public:
  enum class Take { kChunk, kEnd, kFailed };

  Ring() : memory_(new char[kSlots * kSlotSize]) {}

  // Producer: the slot to fill next (kSlotSize bytes), blocking while every
  // slot is in use. nullptr once the ring has failed.
  char* AcquireSlot() {
    std::unique_lock<std::mutex> lock(mu_);
    can_produce_.wait(
        lock, [&] { return failed_ || published_ - released_ < kSlots; });
    return failed_ ? nullptr : Slot(published_);
  }

  // Producer: hands the acquired slot, holding `n` > 0 bytes, to the consumer.
  void Publish(size_t n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sizes_[published_ % kSlots] = n;
      ++published_;
    }
    can_consume_.notify_one();
  }

  // Producer: the stream ended cleanly after the published slots.
  void Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    can_consume_.notify_one();
  }

  // Either side: records `s` unless a failure is recorded already.
  void Fail(absl::Status s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (failed_) return;
      failed_ = true;
      status_ = std::move(s);
    }
    can_produce_.notify_all();
    can_consume_.notify_all();
  }

  bool failed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

  absl::Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  // Consumer: takes the next published slot. The chunk taken before it stays
  // valid until the next call; older ones go back to the producer.
  Take Next(absl::string_view* chunk) {
    std::unique_lock<std::mutex> lock(mu_);
    if (taken_ - released_ >= 2) {
      ++released_;
      can_produce_.notify_one();
    }
    can_consume_.wait(
        lock, [&] { return failed_ || taken_ < published_ || finished_; });
    if (failed_) return Take::kFailed;
    if (taken_ == published_) return Take::kEnd;
    *chunk = absl::string_view(Slot(taken_), sizes_[taken_ % kSlots]);
    ++taken_;
    return Take::kChunk;
  }

 private:
  char* Slot(uint64_t i) { return memory_.get() + (i % kSlots) * kSlotSize; }

  std::unique_ptr<char[]> memory_;
  mutable std::mutex mu_;
  std::condition_variable can_produce_;
  std::condition_variable can_consume_;
  size_t sizes_[kSlots] = {};
  uint64_t published_ = 0;  // slots handed to the consumer
  uint64_t taken_ = 0;      // slots the consumer has taken
  uint64_t released_ = 0;   // slots given back to the producer
  bool finished_ = false;
  bool failed_ = false;
  absl::Status status_;
};

// Returned by a side that stops because the other one failed first; never
// reaches the caller (Ring::Fail keeps the first failure).
absl::Status Stopped() { return absl::CancelledError("stopped"); }

absl::Status UncompressedLimit(uint64_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "layer decompresses to more than ", limit,
      " bytes (limits.max_uncompressed_bytes); decompression bomb?"));
}

// ---------------------------------------------------------------------------
// The producer: blob -> blob SHA-256 -> decompression -> ring.

class Producer {
 public:
  Producer(ByteStream& in, const LayerReadOptions& options, Ring& ring,
           std::atomic<uint64_t>& read_bytes)
      : in_(in),
        limit_(options.limits.max_uncompressed_bytes),
        requested_(options.compression),
        ring_(ring),
        read_bytes_(read_bytes),
        input_(new char[kInputSize]) {}

  absl::Status Run() {
    size_t head = 0;
    compression_ = requested_;
    if (compression_ == Compression::kAuto) {
      while (head < 4 && !eof_) {
        DCI_ASSIGN_OR_RETURN(size_t n,
                             ReadBlob(input_.get() + head, kInputSize - head));
        head += n;
      }
      compression_ = SniffCompression(absl::string_view(input_.get(), head));
    }
    if (compression_ == Compression::kNone) return CopyThrough(head);
    return Decompress(head);
  }

  Compression compression() const { return compression_; }
  uint64_t compressed_size() const { return compressed_; }
  // Compressed blobs only; the consumer hashes uncompressed ones.
  std::string TakeBlobDigest() { return blob_sha_.Finish(); }

  // After reading stopped early on bytes that made no sense: reads the
  // rest of a compressed blob (at most `limit` more bytes) into its
  // SHA-256 and returns the digest, so that bytes that are not the blob
  // the manifest names are told apart from a damaged image. Only once
  // Run() has returned.
  absl::StatusOr<std::string> DrainBlobDigest(uint64_t limit) {
    uint64_t drained = 0;
    while (!eof_) {
      DCI_ASSIGN_OR_RETURN(size_t n, ReadBlobBytes(input_.get(), kInputSize));
      blob_sha_.Update(input_.get(), n);
      drained += n;
      if (drained > limit) {
        return absl::ResourceExhaustedError(
            absl::StrCat("blob goes on past ", limit, " more bytes"));
      }
    }
    return blob_sha_.Finish();
  }

 private:
  // Reads up to `n` blob bytes; 0 and eof_ at the end of the blob.
  absl::StatusOr<size_t> ReadBlob(char* buf, size_t n) {
    DCI_ASSIGN_OR_RETURN(size_t got, ReadBlobBytes(buf, n));
    if (ring_.failed()) return Stopped();
    return got;
  }

  // ReadBlob without looking at the consumer.
  absl::StatusOr<size_t> ReadBlobBytes(char* buf, size_t n) {
    absl::StatusOr<size_t> got = in_.Read(buf, n);
    if (!got.ok()) return Annotate(got.status(), "reading layer blob");
    if (*got == 0) eof_ = true;
    compressed_ += *got;
    read_bytes_.store(compressed_, std::memory_order_relaxed);
    return *got;
  }


  // kNone: blob bytes go straight into ring slots (the first `head` bytes,
  // read for sniffing, are copied once).
  absl::Status CopyThrough(size_t head) {
    char* slot = ring_.AcquireSlot();
    if (slot == nullptr) return Stopped();
    std::memcpy(slot, input_.get(), head);
    size_t fill = head;
    while (!eof_) {
      if (fill == kSlotSize) {
        DCI_RETURN_IF_ERROR(Publish(fill));
        slot = ring_.AcquireSlot();
        if (slot == nullptr) return Stopped();
        fill = 0;
      }
      DCI_ASSIGN_OR_RETURN(size_t n, ReadBlob(slot + fill, kSlotSize - fill));
      fill += n;
    }
    if (fill > 0) DCI_RETURN_IF_ERROR(Publish(fill));
    return absl::OkStatus();
  }

  // The blob is read and hashed on a thread of its own (the fetcher), into
  // the input ring; this thread only inflates.
  absl::Status Decompress(size_t head) {
    std::thread fetcher;
    try {
      fetcher = std::thread([this, head] {
        absl::Status s = Fetch(head);
        if (s.ok()) {
          input_ring_.Finish();
        } else {
          input_ring_.Fail(std::move(s));
        }
      });
    } catch (const std::system_error& e) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot start the blob reading thread: ", e.what()));
    }
    absl::Status s = Inflate();
    // Stops a fetcher still reading (inflate or the consumer failed); what
    // it read is in blob_sha_ all the same (DrainBlobDigest).
    input_ring_.Fail(Stopped());
    fetcher.join();
    return s;
  }

  // The fetcher: the first `head` bytes (read for sniffing), then the rest
  // of the blob, each read hashed at once and handed over in slots at
  // least kMinFill full (streams may return a few KiB per read).
  absl::Status Fetch(size_t head) {
    static constexpr size_t kMinFill = kSlotSize / 4;
    char* slot = input_ring_.AcquireSlot();
    if (slot == nullptr) return absl::OkStatus();  // the inflater stopped
    std::memcpy(slot, input_.get(), head);
    blob_sha_.Update(slot, head);
    size_t fill = head;
    for (;;) {
      while (fill < kMinFill && !eof_) {
        DCI_ASSIGN_OR_RETURN(size_t n,
                             ReadBlobBytes(slot + fill, kSlotSize - fill));
        blob_sha_.Update(slot + fill, n);
        fill += n;
      }
      if (fill > 0) input_ring_.Publish(fill);
      if (eof_) return absl::OkStatus();
      slot = input_ring_.AcquireSlot();
      if (slot == nullptr) return absl::OkStatus();
      fill = 0;
    }
  }

  absl::Status Inflate() {
    DCI_ASSIGN_OR_RETURN(std::unique_ptr<Decompressor> d,
                         NewDecompressor(compression_));
    const uint8_t* in = nullptr;
    size_t in_left = 0;
    bool in_end = false;
    uint64_t taken = 0;  // compressed bytes taken from the input ring
    char* slot = ring_.AcquireSlot();
    if (slot == nullptr) return Stopped();
    uint8_t* out = reinterpret_cast<uint8_t*>(slot);
    size_t out_left = kSlotSize;
    for (;;) {
      if (in_left == 0 && !in_end) {
        absl::string_view chunk;
        switch (input_ring_.Next(&chunk)) {
          case Ring::Take::kChunk:
            in = reinterpret_cast<const uint8_t*>(chunk.data());
            in_left = chunk.size();
            taken += chunk.size();
            break;
          case Ring::Take::kEnd:
            in_end = true;
            break;
          case Ring::Take::kFailed:
            return input_ring_.status();
        }
      }
      if (out_left == 0) {
        DCI_RETURN_IF_ERROR(Publish(kSlotSize));
        slot = ring_.AcquireSlot();
        if (slot == nullptr) return Stopped();
        out = reinterpret_cast<uint8_t*>(slot);
        out_left = kSlotSize;
      }
      const size_t in_before = in_left;
      const size_t out_before = out_left;
      DCI_RETURN_IF_ERROR(d->Decompress(&in, &in_left, &out, &out_left));
      if (uncompressed_ + (kSlotSize - out_left) > limit_) {
        return UncompressedLimit(limit_);
      }
      const bool progress = in_left != in_before || out_left != out_before;
      if (in_end && in_left == 0 && !progress) {
        if (!d->AtEnd()) {
          return absl::DataLossError(
              taken == 0
                  ? absl::StrCat("layer blob is empty, expected ", d->Name(),
                                 " data")
                  : absl::StrCat(
                        d->Name(), " data truncated: the blob ends ", "after ",
                        taken,
                        " bytes, before the end of the compressed stream"));
        }
        break;
      }
      if (!progress && in_left > 0 && out_left > 0) {
        return absl::InternalError(absl::StrCat(
            d->Name(), " decompression stalled at compressed byte ",
            taken - in_left));
      }
    }
    if (out_left < kSlotSize)
      DCI_RETURN_IF_ERROR(Publish(kSlotSize - out_left));
    return absl::OkStatus();
  }

  absl::Status Publish(size_t n) {
    uncompressed_ += n;
    if (uncompressed_ > limit_) return UncompressedLimit(limit_);
    ring_.Publish(n);
    return absl::OkStatus();
  }

  ByteStream& in_;
  const uint64_t limit_;
  const Compression requested_;
  Ring& ring_;
  std::atomic<uint64_t>& read_bytes_;
  std::unique_ptr<char[]> input_;
  Compression compression_ = Compression::kAuto;
  bool eof_ = false;
  uint64_t compressed_ = 0;
  uint64_t uncompressed_ = 0;  // published to the ring
  Ring input_ring_;  // compressed blobs: the fetcher's reads, to inflate
  Sha256 blob_sha_;  // the fetcher's, until it is joined
};

// ---------------------------------------------------------------------------
// The consumer: ring -> diff_id SHA-256 -> libarchive -> entries.

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string Quoted(absl::string_view name) {
  constexpr size_t kMaxShown = 200;
  if (name.size() <= kMaxShown) {
    return absl::StrCat("\"", absl::CHexEscape(name), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(name.substr(0, kMaxShown)),
                      "...\" (", name.size(), " bytes)");
}

std::string EntryContext(absl::string_view name) {
  return absl::StrCat("entry ", Quoted(name));
}

absl::string_view ArchiveError(archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? s : "unknown libarchive error";
}

// A tar numeric field (POSIX ustar: octal digits, padded with spaces or
// NULs). Base-256 fields (GNU) are not parsed: false.
bool ParseOctalField(const char* p, size_t n, uint64_t* out) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && p[i] == ' ') ++i;
  if (i < n && (static_cast<unsigned char>(p[i]) & 0x80) != 0) return false;
  size_t digits = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; ++i, ++digits) {
    if (v > (UINT64_MAX >> 3)) return false;
    v = (v << 3) | static_cast<uint64_t>(p[i] - '0');
  }
  if (digits == 0) return false;
  *out = v;
  return true;
}

// POSIX pax "Extended header" records "LEN key=value\n". libarchive copies
// a path value only up to its first NUL, so "etc/passwd\0x" would be read as
// "etc/passwd" without notice; Go's archive/tar (Docker, containerd) rejects
// such records. So do we.
absl::Status CheckPaxRecords(absl::string_view records) {
  while (!records.empty()) {
    const size_t space = records.find(' ');
    if (space == absl::string_view::npos || space == 0 || space > 20) break;
    uint64_t len = 0;
    bool ok = true;
    for (char c : records.substr(0, space)) {
      if (c < '0' || c > '9') ok = false;
      len = len * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!ok || len <= space + 1 || len > records.size()) break;
    absl::string_view kv = records.substr(space + 1, len - space - 1);
    records.remove_prefix(len);
    if (kv.empty() || kv.back() != '\n') break;
    kv.remove_suffix(1);
    const size_t eq = kv.find('=');
    if (eq == absl::string_view::npos) break;
    const absl::string_view key = kv.substr(0, eq);
    const absl::string_view value = kv.substr(eq + 1);
    if ((key == "path" || key == "linkpath" || key == "GNU.sparse.name") &&
        value.find('\0') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pax \"", key, "\" record contains a NUL byte (full value ",
          Quoted(value), ")"));
    }
  }
  return absl::OkStatus();
}

// One path of the layer, as its headers describe it (invariant 5).
struct PathState {
  LayerEntry entry;          // the last real header (rule 4)
  bool real = false;         // some header other than a whiteout names it
  bool whiteout = false;     // "DIR/.wh.NAME" names it (rule 1)
  bool opaque_mark = false;  // "PATH/.wh..wh..opq" exists (rule 2)
};

class TarParser {
 public:
  TarParser(Ring& ring, const LayerReadOptions& options,
            const std::atomic<uint64_t>& read_bytes)
      : ring_(ring), options_(options), read_bytes_(read_bytes) {}

  // The consumer thread's body.
  void Run() {
    absl::Status s = Parse();
    if (s.ok()) s = Drain();
    if (!s.ok()) ring_.Fail(std::move(s));
  }

  // After Run, when the ring has not failed.
  std::string TakeDiffId() { return diff_sha_.Finish(); }
  uint64_t uncompressed_size() const { return fed_; }
  uint64_t headers() const { return headers_; }
  std::vector<LayerEntry> TakeEntries();
  std::vector<std::string> TakeWarnings();
  std::map<std::string, std::string> TakeCaptured() { return std::move(captured_); }

 private:
  enum class Kind { kReal, kWhiteout, kOpaque, kSkip };

  static la_ssize_t ReadCallback(archive* a, void* self, const void** buf) {
    return static_cast<TarParser*>(self)->Read(a, buf);
  }
  la_ssize_t Read(archive* a, const void** buf);
  Ring::Take Pull(absl::string_view* chunk);
  absl::Status Parse();
  absl::Status Drain();
  absl::Status ReadEntry(archive* a, archive_entry* e, bool* stream_ended);
  absl::Status Classify(const std::string& path, const std::string& ctx,
                        Kind* kind, std::string* target);
  absl::Status FillHardlink(const char* link, const std::string& ctx,
                            LayerEntry* le);
  absl::Status ReadContent(archive* a, archive_entry* e, const std::string& ctx,
                           int64_t data_pos, LayerEntry* le,
                           bool* stream_ended, std::string* keep);
  absl::Status SkipData(archive* a, const std::string& ctx);
  absl::Status HashZeros(uint64_t n, std::string* keep);
  absl::Status CheckExtendedHeaders(int64_t begin, int64_t end);
  void AddWarning(std::string w);
  void ReportProgress();

  struct Chunk {
    const char* data = nullptr;
    size_t size = 0;
    uint64_t offset = 0;  // in the uncompressed stream
  };

  Ring& ring_;
  const LayerReadOptions& options_;
  const std::atomic<uint64_t>& read_bytes_;
  Sha256 diff_sha_;
  ContentHasher hasher_;
  uint64_t fed_ = 0;          // uncompressed bytes handed to libarchive
  uint64_t zero_filled_ = 0;  // sparse-file holes hashed as zeros
  uint64_t headers_ = 0;
  bool saw_eof_ = false;        // the stream ended cleanly
  bool stream_failed_ = false;  // the producer failed: its error wins
  Chunk prev_, cur_;            // the chunks the ring keeps valid
  std::string last_entry_;      // for errors in the header after it
  std::map<std::string, PathState> paths_;
  std::map<std::string, std::string> captured_;  // options_.capture
  std::vector<std::string> warnings_;
  uint64_t warnings_dropped_ = 0;
};

Ring::Take TarParser::Pull(absl::string_view* chunk) {
  for (;;) {
    const Ring::Take t = ring_.Next(chunk);
    if (t == Ring::Take::kFailed) stream_failed_ = true;
    if (t == Ring::Take::kEnd) saw_eof_ = true;
    if (t != Ring::Take::kChunk) return t;
    if (chunk->empty()) continue;
    prev_ = cur_;
    cur_ = Chunk{chunk->data(), chunk->size(), fed_};
    diff_sha_.Update(chunk->data(), chunk->size());
    fed_ += chunk->size();
    ReportProgress();
    return t;
  }
}

la_ssize_t TarParser::Read(archive* a, const void** buf) {
  absl::string_view chunk;
  switch (Pull(&chunk)) {
    case Ring::Take::kChunk:
      *buf = chunk.data();
      return static_cast<la_ssize_t>(chunk.size());
    case Ring::Take::kEnd:
      return 0;
    case Ring::Take::kFailed:
      break;
  }
  archive_set_error(a, EIO, "layer stream failed");
  return ARCHIVE_FATAL;
}

void TarParser::ReportProgress() {
  if (!options_.progress) return;
  LayerProgress p;
  p.compressed_bytes = read_bytes_.load(std::memory_order_relaxed);
  p.uncompressed_bytes = fed_;
  p.entries = headers_;
  options_.progress(p);
}

void TarParser::AddWarning(std::string w) {
  if (warnings_.size() < kMaxWarnings) {
    warnings_.push_back(std::move(w));
  } else {
    ++warnings_dropped_;
  }
}

// Invariant 3: the bytes after the end-of-archive blocks count too.
absl::Status TarParser::Drain() {
  absl::string_view chunk;
  for (;;) {
    switch (Pull(&chunk)) {
      case Ring::Take::kChunk:
        continue;
      case Ring::Take::kEnd:
        return absl::OkStatus();
      case Ring::Take::kFailed:
        return Stopped();
    }
  }
}

absl::Status TarParser::Parse() {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  if (a == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a libarchive reader");
  }
  // Format tar only (ustar, pax, GNU), no filters: decompression is ours.
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), this, nullptr, &TarParser::ReadCallback,
                        nullptr) != ARCHIVE_OK) {
    if (stream_failed_) return Stopped();
    if (saw_eof_ && fed_ == 0) {
      // Go's archive/tar, which Docker and containerd use, reads an empty
      // stream as an empty archive.
      AddWarning("layer tar is empty (0 bytes)");
      return absl::OkStatus();
    }
    return absl::DataLossError(
        absl::StrCat("not a tar archive: ", ArchiveError(a.get())));
  }
  for (;;) {
    const int64_t before = archive_filter_bytes(a.get(), 0);
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      // libarchive, like Go's archive/tar, accepts a stream that ends at a
      // header boundary; it consumed no zero block then.
      if (archive_filter_bytes(a.get(), 0) == before) {
        AddWarning(
            "layer tar ends without end-of-archive blocks (written by umoci "
            "insert?)");
      }
      return absl::OkStatus();
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      if (stream_failed_) return Stopped();
      return absl::DataLossError(absl::StrCat(
          "tar header at byte ", before,
          last_entry_.empty()
              ? std::string()
              : absl::StrCat(" (after entry ", Quoted(last_entry_), ")"),
          ": ", ArchiveError(a.get())));
    }
    if (r == ARCHIVE_WARN) {
      const absl::string_view msg = ArchiveError(a.get());
      // libarchive cannot convert UTF-8 pax names to the C locale's charset
      // but keeps the bytes as written, which is what we want.
      if (!absl::StrContains(msg, "can't be converted")) {
        const char* name = archive_entry_pathname(e);
        AddWarning(
            absl::StrCat(EntryContext(name != nullptr ? name : ""), ": ", msg));
      }
    }
    bool stream_ended = false;
    DCI_RETURN_IF_ERROR(ReadEntry(a.get(), e, &stream_ended));
    if (stream_ended) return absl::OkStatus();
  }
}

absl::Status TarParser::Classify(const std::string& path,
                                 const std::string& ctx, Kind* kind,
                                 std::string* target) {
  const absl::string_view parent = ParentPath(path);
  const absl::string_view base = BaseName(path);
  // Rule 7: ".wh." names this layer format does not define, including
  // anything inside an AUFS ".wh..wh.plnk" directory.
  if (absl::StartsWith(parent, ".wh.") || absl::StrContains(parent, "/.wh.")) {
    AddWarning(absl::StrCat(ctx,
                            ": inside a \".wh.\" directory (AUFS "
                            "metadata?), skipped"));
    *kind = Kind::kSkip;
    return absl::OkStatus();
  }
  // OCI image-spec layer.md, "Opaque Whiteout".
  if (base == ".wh..wh..opq") {
    *kind = Kind::kOpaque;
    *target = std::string(parent);
    return absl::OkStatus();
  }
  if (absl::StartsWith(base, ".wh..wh.")) {
    AddWarning(absl::StrCat(ctx, ": AUFS metadata, skipped"));
    *kind = Kind::kSkip;
    return absl::OkStatus();
  }
  // OCI image-spec layer.md, "Whiteouts".
  if (absl::StartsWith(base, ".wh.")) {
    const absl::string_view name = base.substr(4);
    if (name.empty() || name == "." || name == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx, ": whiteout of ", Quoted(name), " names no path"));
    }
    *kind = Kind::kWhiteout;
    *target =
        parent.empty() ? std::string(name) : absl::StrCat(parent, "/", name);
    return absl::OkStatus();
  }
  *kind = Kind::kReal;
  *target = path;
  return absl::OkStatus();
}

absl::Status TarParser::FillHardlink(const char* link, const std::string& ctx,
                                     LayerEntry* le) {
  absl::StatusOr<std::string> target = NormalizeEntryPath(link);
  if (!target.ok()) {
    return Annotate(target.status(),
                    absl::StrCat(ctx, ": hardlink target ", Quoted(link)));
  }
  // Rule 5.
  auto it = paths_.find(*target);
  if (it == paths_.end() || !it->second.real) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx, ": hardlink to ", Quoted(*target),
                     ", which is not an earlier entry of this layer"));
  }
  const LayerEntry& t = it->second.entry;
  if (t.type != EntryType::kFile && t.type != EntryType::kHardlink) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx, ": hardlink to ", Quoted(*target), ", which is a ",
                     EntryTypeName(t.type), ", not a regular file"));
  }
  le->type = EntryType::kHardlink;
  le->link_target = std::move(*target);
  le->size = t.size;
  le->content_hash = t.content_hash;
  return absl::OkStatus();
}

absl::Status TarParser::ReadEntry(archive* a, archive_entry* e,
                                  bool* stream_ended) {
  ++headers_;
  if (headers_ > options_.limits.max_entries) {
    return absl::ResourceExhaustedError(
        absl::StrCat("layer has more than ", options_.limits.max_entries,
                     " tar entries (limits.max_entries)"));
  }
  const char* raw = archive_entry_pathname(e);
  last_entry_ = raw != nullptr ? raw : "";
  const std::string ctx = EntryContext(last_entry_);
  const int64_t header_pos = archive_read_header_position(a);
  const int64_t data_pos = archive_filter_bytes(a, 0);
  DCI_RETURN_IF_ERROR(
      Annotate(CheckExtendedHeaders(header_pos, data_pos), ctx));
  if (last_entry_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tar header at byte ", header_pos, " has an empty name"));
  }
  // Rule 6.
  absl::StatusOr<std::string> path = NormalizeEntryPath(last_entry_);
  if (!path.ok()) return Annotate(path.status(), ctx);

  Kind kind;
  std::string target;
  DCI_RETURN_IF_ERROR(Classify(*path, ctx, &kind, &target));
  if (kind != Kind::kReal) {
    DCI_RETURN_IF_ERROR(SkipData(a, ctx));
    if (kind == Kind::kWhiteout) {
      paths_[target].whiteout = true;  // rules 1 and 3
    } else if (kind == Kind::kOpaque) {
      if (target.empty()) {
        AddWarning(absl::StrCat(ctx,
                                ": opaque marker on the layer root, "
                                "ignored"));
      } else {
        paths_[target].opaque_mark = true;  // rule 2
      }
    }
    return absl::OkStatus();
  }

  LayerEntry le;
  le.mode = static_cast<uint32_t>(archive_entry_perm(e)) & 07777;
  le.uid = archive_entry_uid(e);
  le.gid = archive_entry_gid(e);
  le.mtime = static_cast<int64_t>(archive_entry_mtime(e));
  const char* hardlink = archive_entry_hardlink(e);
  bool read_content = false;
  if (hardlink != nullptr) {
    DCI_RETURN_IF_ERROR(FillHardlink(hardlink, ctx, &le));
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        le.type = EntryType::kFile;
        read_content = true;
        break;
      case AE_IFDIR:
        le.type = EntryType::kDir;
        break;
      case AE_IFLNK: {
        le.type = EntryType::kSymlink;
        const char* t = archive_entry_symlink(e);
        le.link_target = t != nullptr ? t : "";
        if (le.link_target.size() > kMaxLinkTarget) {
          return absl::InvalidArgumentError(
              absl::StrCat(ctx, ": symlink target is ", le.link_target.size(),
                           " bytes long (limit ", kMaxLinkTarget, ")"));
        }
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
        le.type = archive_entry_filetype(e) == AE_IFCHR
                      ? EntryType::kCharDevice
                      : EntryType::kBlockDevice;
        le.dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
        le.dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
        break;
      case AE_IFIFO:
        le.type = EntryType::kFifo;
        break;
      default:
        AddWarning(absl::StrCat(
            ctx, ": unsupported entry type (",
            archive_entry_strmode(e)[0] == 's' ? "socket" : "unknown",
            "), skipped"));
        return SkipData(a, ctx);
    }
  }
  if (path->empty()) {
    // The root directory is not listed (layer_reader.h).
    if (le.type != EntryType::kDir) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx, ": the layer root must be a directory, not a ",
                       EntryTypeName(le.type)));
    }
    return SkipData(a, ctx);
  }
  if (read_content) {
    std::string kept;
    const bool keep = options_.capture &&
                      options_.capture(*path, archive_entry_size(e));
    DCI_RETURN_IF_ERROR(ReadContent(a, e, ctx, data_pos, &le, stream_ended,
                                    keep ? &kept : nullptr));
    if (keep) {
      captured_[*path] = std::move(kept);
    } else {
      captured_.erase(*path);
    }
  } else if (le.type == EntryType::kHardlink && options_.capture &&
             options_.capture(*path, le.size)) {
    auto it = captured_.find(le.link_target);
    if (it != captured_.end()) {
      captured_[*path] = it->second;
    } else {
      captured_.erase(*path);
    }
  } else {
    captured_.erase(*path);
  }
  if (!*stream_ended) DCI_RETURN_IF_ERROR(SkipData(a, ctx));
  PathState& s = paths_[*path];
  s.entry = std::move(le);  // rule 4: the last header wins
  s.real = true;
  return absl::OkStatus();
}

absl::Status TarParser::ReadContent(archive* a, archive_entry* e,
                                    const std::string& ctx, int64_t data_pos,
                                    LayerEntry* le, bool* stream_ended,
                                    std::string* keep) {
  const bool sparse = archive_entry_sparse_count(e) > 0;
  const int64_t size = archive_entry_size(e);
  hasher_.Reset();
  int64_t pos = 0;  // logical offset in the file
  for (;;) {
    const void* buf = nullptr;
    size_t n = 0;
    la_int64_t off = 0;
    const int r = archive_read_data_block(a, &buf, &n, &off);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      if (stream_failed_) return Stopped();
      // umoci 0.4.7 `umoci insert` never closes its tar writer: the stream
      // ends right after the last file's data, without its padding and the
      // end-of-archive blocks. Go's archive/tar reads that as a clean end, and
      // so do we, but only when all of the data is there.
      if (!sparse && pos == size && saw_eof_ &&
          fed_ == static_cast<uint64_t>(data_pos + size)) {
        AddWarning(absl::StrCat(
            ctx, ": layer tar ends right after this entry's data, without ",
            "padding or end-of-archive blocks (written by umoci insert?)"));
        *stream_ended = true;
        break;
      }
      return absl::DataLossError(
          absl::StrCat(ctx, ": tar data truncated or corrupt at byte ",
                       archive_filter_bytes(a, 0), " (", pos, " of ", size,
                       " content bytes read): ", ArchiveError(a)));
    }
    if (off != pos) {
      // Sparse files (GNU, pax): the holes read as zeros.
      if (off < pos) {
        return absl::DataLossError(absl::StrCat(
            ctx, ": sparse data blocks out of order at offset ", off));
      }
      DCI_RETURN_IF_ERROR(HashZeros(static_cast<uint64_t>(off - pos), keep));
      pos = off;
    }
    hasher_.Update(buf, n);
    if (keep != nullptr) keep->append(static_cast<const char*>(buf), n);
    pos += static_cast<int64_t>(n);
  }
  if (pos < size) {
    DCI_RETURN_IF_ERROR(HashZeros(static_cast<uint64_t>(size - pos), keep));
    pos = size;
  }
  if (pos != size) {
    return absl::DataLossError(
        absl::StrCat(ctx, ": ", pos, " content bytes for a size of ", size));
  }
  le->size = size;
  le->content_hash = hasher_.Finish();
  return absl::OkStatus();
}

absl::Status TarParser::SkipData(archive* a, const std::string& ctx) {
  const int r = archive_read_data_skip(a);
  if (r == ARCHIVE_OK || r == ARCHIVE_WARN) return absl::OkStatus();
  if (stream_failed_) return Stopped();
  return absl::DataLossError(absl::StrCat(ctx, ": tar data truncated at byte ",
                                          archive_filter_bytes(a, 0), ": ",
                                          ArchiveError(a)));
}

absl::Status TarParser::HashZeros(uint64_t n, std::string* keep) {
  static constexpr char kZeros[64 << 10] = {};
  zero_filled_ += n;
  if (fed_ + zero_filled_ > options_.limits.max_uncompressed_bytes) {
    return UncompressedLimit(options_.limits.max_uncompressed_bytes);
  }
  while (n > 0) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, sizeof kZeros));
    hasher_.Update(kZeros, k);
    if (keep != nullptr) keep->append(kZeros, k);
    n -= k;
  }
  return absl::OkStatus();
}

// The headers of the current entry lie in [begin, end) of the stream; more
// than one block means extended headers (pax 'x', GNU 'L'/'K') came first.
// They are still in the two chunks the ring keeps (invariant 1):
// libarchive refuses any one extended header over 1 MiB ("Special header too
// large"), so only a stack of several near that size could reach further
// back; such a span is not checked.
absl::Status TarParser::CheckExtendedHeaders(int64_t begin, int64_t end) {
  if (begin < 0 || end - begin <= static_cast<int64_t>(kTarBlock)) {
    return absl::OkStatus();
  }
  const uint64_t lo = prev_.data != nullptr ? prev_.offset : cur_.offset;
  const uint64_t b = static_cast<uint64_t>(begin);
  const uint64_t en = static_cast<uint64_t>(end);
  if (b < lo || en > cur_.offset + cur_.size) return absl::OkStatus();
  std::string span;
  span.reserve(en - b);
  for (const Chunk* c : {&prev_, &cur_}) {
    if (c->data == nullptr) continue;
    const uint64_t from = std::max(b, c->offset);
    const uint64_t to = std::min(en, c->offset + c->size);
    if (from < to) span.append(c->data + (from - c->offset), to - from);
  }
  if (span.size() != en - b) return absl::OkStatus();
  size_t p = 0;
  while (p + 2 * kTarBlock <= span.size()) {
    const char* h = span.data() + p;
    uint64_t size = 0;
    if (!ParseOctalField(h + 124, 12, &size)) break;
    const size_t body = p + kTarBlock;
    if (size > span.size() - body) break;
    const char type = h[156];
    if (type == 'x' || type == 'X') {
      DCI_RETURN_IF_ERROR(CheckPaxRecords(
          absl::string_view(span.data() + body, static_cast<size_t>(size))));
    }
    p = body + ((static_cast<size_t>(size) + kTarBlock - 1) & ~(kTarBlock - 1));
  }
  return absl::OkStatus();
}

std::vector<LayerEntry> TarParser::TakeEntries() {
  std::vector<LayerEntry> out;
  out.reserve(paths_.size());
  for (auto& [path, s] : paths_) {
    LayerEntry le;
    if (s.real) {
      le = std::move(s.entry);
      // Rules 2-4: a directory keeps its opaque mark; a whiteout next to a
      // directory of the same layer makes it opaque.
      le.opaque = le.type == EntryType::kDir && (s.opaque_mark || s.whiteout);
    } else if (s.opaque_mark) {
      le.type = EntryType::kDir;  // rule 2: implicit directory
      le.implicit = true;
      le.opaque = true;
    } else {
      le.type = EntryType::kWhiteout;  // rule 1
    }
    le.path = path;
    out.push_back(std::move(le));
  }
  paths_.clear();
  return out;
}

std::vector<std::string> TarParser::TakeWarnings() {
  if (warnings_dropped_ > 0) {
    warnings_.push_back(
        absl::StrCat(warnings_dropped_, " more warnings not shown"));
    warnings_dropped_ = 0;
  }
  return std::move(warnings_);
}

absl::Status CheckExpected(absl::string_view what, const std::string& expected,
                           const std::string& actual) {
  if (expected.empty() || expected == actual) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(what, " mismatch: expected ", expected, ", got ", actual));
}

}  // namespace

absl::StatusOr<LayerReadResult> ReadLayer(ByteStream& in,
                                          const LayerReadOptions& options) {
  if (!options.expected_blob_digest.empty()) {
    absl::StatusOr<std::string> d = ParseDigest(options.expected_blob_digest);
    if (!d.ok()) return Annotate(d.status(), "expected blob digest");
  }
  if (!options.expected_diff_id.empty()) {
    absl::StatusOr<std::string> d = ParseDigest(options.expected_diff_id);
    if (!d.ok()) return Annotate(d.status(), "expected diff_id");
  }

  Ring ring;
  std::atomic<uint64_t> read_bytes{0};
  TarParser parser(ring, options, read_bytes);
  Producer producer(in, options, ring, read_bytes);
  std::thread consumer;
  try {
    consumer = std::thread([&parser] { parser.Run(); });
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start the layer parsing thread: ", e.what()));
  }
  absl::Status produced = producer.Run();
  if (produced.ok()) {
    ring.Finish();
  } else {
    ring.Fail(std::move(produced));
  }
  consumer.join();
  // Invariant 2: the first failure, whichever side had it.
  if (ring.failed()) {
    absl::Status s = ring.status();
    // Corrupt data in a compressed blob: if the blob is not the one the
    // manifest names, that is what the user needs to hear.
    if (absl::IsDataLoss(s) && producer.compression() != Compression::kNone &&
        !options.expected_blob_digest.empty()) {
      absl::StatusOr<std::string> digest =
          producer.DrainBlobDigest(options.limits.max_uncompressed_bytes);
      if (digest.ok() && *digest != options.expected_blob_digest) {
        return absl::DataLossError(absl::StrCat(
            "blob digest mismatch: expected ", options.expected_blob_digest,
            ", got ", *digest, " (the bytes also failed to read: ",
            s.message(), ")"));
      }
    }
    return s;
  }

  LayerReadResult result;
  result.diff_id = parser.TakeDiffId();
  result.blob_digest = producer.compression() == Compression::kNone
                           ? result.diff_id
                           : producer.TakeBlobDigest();
  result.compressed_size = producer.compressed_size();
  result.uncompressed_size = parser.uncompressed_size();
  result.tar_headers = parser.headers();
  DCI_RETURN_IF_ERROR(CheckExpected("blob digest", options.expected_blob_digest,
                                    result.blob_digest));
  DCI_RETURN_IF_ERROR(
      CheckExpected("diff_id", options.expected_diff_id, result.diff_id));
  result.entries = parser.TakeEntries();
  result.warnings = parser.TakeWarnings();
  result.captured = parser.TakeCaptured();
  // Keep only paths the layer ends with as files (rule 4: last header wins).
  for (auto it = result.captured.begin(); it != result.captured.end();) {
    auto e = std::lower_bound(
        result.entries.begin(), result.entries.end(), it->first,
        [](const LayerEntry& le, const std::string& p) { return le.path < p; });
    bool file = e != result.entries.end() && e->path == it->first &&
                (e->type == EntryType::kFile || e->type == EntryType::kHardlink);
    it = file ? std::next(it) : result.captured.erase(it);
  }
  if (options.progress) {
    LayerProgress p;
    p.compressed_bytes = result.compressed_size;
    p.uncompressed_bytes = result.uncompressed_size;
    p.entries = result.tar_headers;
    options.progress(p);
  }
  return result;
}

}  // namespace dci
