#include "base/digest.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dci {

absl::StatusOr<std::string> ParseDigest(absl::string_view digest) {
  constexpr absl::string_view kPrefix = "sha256:";
  if (!absl::StartsWith(digest, kPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported digest \"", digest.substr(0, 80),
                     "\": only sha256 is accepted"));
  }
  absl::string_view hex = digest.substr(kPrefix.size());
  bool ok = hex.size() == 64;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed digest \"", digest.substr(0, 80),
        "\": want sha256: and 64 lowercase hex digits"));
  }
  return std::string(digest);
}

absl::string_view DigestHex(absl::string_view digest) {
  size_t colon = digest.find(':');
  return colon == absl::string_view::npos ? digest : digest.substr(colon + 1);
}

std::string HexEncode(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

std::string HexDigestOf(absl::string_view algorithm, absl::string_view data) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(algorithm).c_str());
  if (md == nullptr) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    return "";
  }
  return HexEncode(out, len);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
}

void Sha256::Update(const void* data, size_t n) {
  EVP_DigestUpdate(ctx_.get(), data, n);
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  return absl::StrCat("sha256:", HexEncode(md, len));
}

std::string Sha256::Of(absl::string_view data) {
  Sha256 h;
  h.Update(data.data(), data.size());
  return h.Finish();
}

}  // namespace dci
