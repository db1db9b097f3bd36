#include "base/content_hash.h"

#include <xxhash.h>

#include <cstring>

#include "base/digest.h"

namespace dci {

struct ContentHasher::State {
  struct Deleter {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };
  std::unique_ptr<XXH3_state_t, Deleter> xxh{XXH3_createState()};
};

namespace {
ContentHash Canonical(XXH128_hash_t h) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  ContentHash out;
  std::memcpy(out.data(), c.digest, out.size());
  return out;
}
}  // namespace

std::string ContentHashHex(const ContentHash& h) {
  return HexEncode(h.data(), h.size());
}

ContentHasher::ContentHasher() : state_(std::make_unique<State>()) { Reset(); }
ContentHasher::~ContentHasher() = default;

void ContentHasher::Reset() { XXH3_128bits_reset(state_->xxh.get()); }

void ContentHasher::Update(const void* data, size_t n) {
  XXH3_128bits_update(state_->xxh.get(), data, n);
}

ContentHash ContentHasher::Finish() const {
  return Canonical(XXH3_128bits_digest(state_->xxh.get()));
}

ContentHash ContentHasher::Of(const void* data, size_t n) {
  return Canonical(XXH3_128bits(data, n));
}

}  // namespace dci
