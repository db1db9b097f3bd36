// Helpers shared by the registry client's tests.
#ifndef DCI_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_
#define DCI_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/digest.h"
#include "gtest/gtest.h"
#include "indexer/byte_stream.h"
#include "indexer/registry/registry_client.h"
#include "tests/registry/registry_fixture.h"

namespace dci::testing {

// Fails in CI or when the samples exist but the storage could not be made;
// skips on a developer machine without samples.
#define DCI_REQUIRE_SAMPLE_STORAGE(var)                       \
  std::string var##_error;                                    \
  const ::dci::testing::SampleStorage* var =                  \
      ::dci::testing::GetSampleStorage(&var##_error);         \
  if (var == nullptr) {                                       \
    if (std::getenv("CI") || ::dci::testing::HaveSamples()) { \
      FAIL() << var##_error;                                  \
    }                                                         \
    GTEST_SKIP() << "SKIPPED: " << var##_error;               \
  }

struct Drained {
  std::string digest;  // sha256 of everything read
  long long bytes = 0;
  std::string data;  // kept only when asked
};

// Reads `s` to the end in `chunk`-byte reads.
inline absl::StatusOr<Drained> Drain(ByteStream& s, size_t chunk = 64 << 10,
                                     bool keep = false) {
  Drained out;
  Sha256 h;
  std::string buf(chunk, '\0');
  for (int i = 0; i < 100000000; ++i) {
    absl::StatusOr<size_t> n = s.Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    h.Update(buf.data(), *n);
    out.bytes += static_cast<long long>(*n);
    if (keep) out.data.append(buf.data(), *n);
  }
  out.digest = h.Finish();
  return out;
}

inline std::unique_ptr<RegistryClient> MakeClient(
    const std::string& address, const std::string& repository,
    const RegistryOptions& options = RegistryOptions()) {
  RegistryRef ref;
  ref.registry = address;
  ref.repository = repository;
  ref.tag = "latest";
  absl::StatusOr<std::unique_ptr<RegistryClient>> c =
      RegistryClient::Create(ref, options);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

// Options with short backoffs so failure tests stay fast.
inline RegistryOptions FastRetries(int max_retries) {
  RegistryOptions o;
  o.max_retries = max_retries;
  o.backoff_base = absl::Milliseconds(10);
  o.backoff_max = absl::Milliseconds(100);
  o.connect_timeout = absl::Seconds(5);
  o.low_speed_time = absl::Seconds(5);
  return o;
}

}  // namespace dci::testing

#endif  // DCI_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_
