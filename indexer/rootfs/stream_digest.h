// A streaming digest by OpenSSL name ("md5", "sha256", ...): what package
// managers record for their files, computed while a file streams by.
#ifndef DCI_INDEXER_ROOTFS_STREAM_DIGEST_H_
#define DCI_INDEXER_ROOTFS_STREAM_DIGEST_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

namespace dci {

// Not thread-safe; one per stream. ok() is false for an unknown algorithm.
class StreamDigest {
 public:
  explicit StreamDigest(const std::string& algorithm) {
    const EVP_MD* md = EVP_get_digestbyname(algorithm.c_str());
    if (md != nullptr && EVP_DigestInit_ex(ctx_.get(), md, nullptr) == 1) {
      ok_ = true;
    }
  }
  bool ok() const { return ok_; }
  void Update(const void* data, size_t n) {
    if (ok_) EVP_DigestUpdate(ctx_.get(), data, n);
  }
  // Lowercase hex; "" when !ok(). The digest must not be used afterwards.
  std::string FinishHex() {
    if (!ok_) return "";
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &n);
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < n; ++i) {
      hex.push_back(kHex[out[i] >> 4]);
      hex.push_back(kHex[out[i] & 15]);
    }
    return hex;
  }

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_{EVP_MD_CTX_new()};
  bool ok_ = false;
};

}  // namespace dci

#endif  // DCI_INDEXER_ROOTFS_STREAM_DIGEST_H_
