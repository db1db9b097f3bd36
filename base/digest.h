// Content digests as the OCI image-spec writes them ("sha256:<64 hex>"), and
// a streaming SHA-256 over OpenSSL's EVP interface.
#ifndef DCI_BASE_DIGEST_H_
#define DCI_BASE_DIGEST_H_

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

// Checks that `digest` is "sha256:" followed by 64 lowercase hex digits
// (OCI image-spec descriptor.md, "Digests"; only sha256 is accepted) and
// returns it unchanged. Other algorithms give InvalidArgument.
absl::StatusOr<std::string> ParseDigest(absl::string_view digest);

// Returns the 64 hex digits of a valid "sha256:..." digest.
absl::string_view DigestHex(absl::string_view digest);

// Lowercase hex of `n` bytes.
std::string HexEncode(const unsigned char* data, size_t n);

// Lowercase hex digest of `data` with the named algorithm ("md5", "sha1",
// "sha256", "sha512", ... as OpenSSL names them), or "" when the algorithm
// is unknown. For checking package managers' recorded file digests.
std::string HexDigestOf(absl::string_view algorithm, absl::string_view data);

// Streaming SHA-256. Not thread-safe; one per stream.
//
//   Sha256 h;
//   h.Update(buf, n);
//   std::string d = h.Finish();  // "sha256:..."
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t n);
  // Returns "sha256:<hex>". The hasher must not be used afterwards.
  std::string Finish();

  static std::string Of(absl::string_view data);

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

}  // namespace dci

#endif  // DCI_BASE_DIGEST_H_
