#include "base/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/content_hash.h"

namespace dci {
namespace {

// FIPS 180-2 appendix B test vectors.
TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(Sha256::Of("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "sha256:"
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::Of(std::string(1000000, 'a')),
            "sha256:"
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(Sha256::Of(""),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, StreamingInPiecesEqualsOneShot) {
  Sha256 h;
  h.Update("a", 1);
  h.Update("", 0);
  h.Update("bc", 2);
  EXPECT_EQ(h.Finish(), Sha256::Of("abc"));
}

TEST(ParseDigest, AcceptsSha256WithLowercaseHex) {
  const std::string d =
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  absl::StatusOr<std::string> got = ParseDigest(d);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, d);
}

struct BadDigest {
  std::string digest;
  std::string message;
};

TEST(ParseDigest, RejectsOtherAlgorithmsAndMalformedHex) {
  const std::string hex64 =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::vector<BadDigest> cases = {
      {"sha512:" + hex64,
       "unsupported digest \"sha512:" + hex64 + "\": only sha256 is accepted"},
      {hex64, "unsupported digest \"" + hex64 + "\": only sha256 is accepted"},
      {"", "unsupported digest \"\": only sha256 is accepted"},
      {"sha256:" + hex64.substr(0, 63),
       "malformed digest \"sha256:" + hex64.substr(0, 63) +
           "\": want sha256: and 64 lowercase hex digits"},
      {"sha256:" + hex64 + "0",
       "malformed digest \"sha256:" + hex64 + "0" +
           "\": want sha256: and 64 lowercase hex digits"},
      {"sha256:BA" + hex64.substr(2),
       "malformed digest \"sha256:BA" + hex64.substr(2) +
           "\": want sha256: and 64 lowercase hex digits"},
      {"sha256:zz" + hex64.substr(2),
       "malformed digest \"sha256:zz" + hex64.substr(2) +
           "\": want sha256: and 64 lowercase hex digits"},
  };
  for (const BadDigest& c : cases) {
    absl::StatusOr<std::string> got = ParseDigest(c.digest);
    ASSERT_FALSE(got.ok()) << c.digest;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.message);
  }
}

TEST(DigestHex, ReturnsTheHexPart) {
  EXPECT_EQ(DigestHex("sha256:00ff"), "00ff");
  EXPECT_EQ(DigestHex("00ff"), "00ff");
}

TEST(HexEncode, WritesLowercasePairs) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexEncode(bytes, sizeof bytes), "000fa5ff");
  EXPECT_EQ(HexEncode(bytes, 0), "");
}

// Expected values from `xxhsum -H2` (xxHash 0.8.1).
TEST(ContentHasher, MatchesXxhsumH2) {
  EXPECT_EQ(ContentHashHex(ContentHasher::Of("", 0)),
            "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(ContentHashHex(ContentHasher::Of("hello\n", 6)),
            "6bba86c7e069f56d5a10b435f1c8e49c");
}

TEST(ContentHasher, StreamingAndResetEqualOneShot) {
  const std::string data(100000, 'q');
  ContentHasher h;
  h.Update("junk", 4);
  h.Reset();
  h.Update(data.data(), 1);
  h.Update(data.data() + 1, data.size() - 1);
  EXPECT_EQ(h.Finish(), ContentHasher::Of(data.data(), data.size()));
}

}  // namespace
}  // namespace dci
