// XXH3-128 of file content, the hash dci records for every regular file.
#ifndef DCI_BASE_CONTENT_HASH_H_
#define DCI_BASE_CONTENT_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dci {

// 16 bytes, big-endian canonical form (XXH128_canonicalFromHash), so the
// hex form equals `xxhsum -H2`'s output.
using ContentHash = std::array<uint8_t, 16>;

std::string ContentHashHex(const ContentHash& h);

// Streaming XXH3-128. Not thread-safe; one per stream.
class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void Reset();
  void Update(const void* data, size_t n);
  ContentHash Finish() const;

  static ContentHash Of(const void* data, size_t n);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dci

#endif  // DCI_BASE_CONTENT_HASH_H_
