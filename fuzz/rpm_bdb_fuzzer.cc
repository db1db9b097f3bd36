// libFuzzer target for ReadRpmBdb (BerkeleyDB hash `Packages`). Seed with
// real files: ../shared/testdata/rpm-bdb/*/var/lib/rpm/Packages and
// tests/packages/testdata_rpm/bdb-*/Packages.
#include <cstddef>
#include <cstdint>

#include "indexer/packages/rpmdb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dci::PackageScan scan = dci::ReadRpmBdb(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  volatile size_t sink = scan.packages.size() + scan.warnings.size();
  (void)sink;
  return 0;
}
