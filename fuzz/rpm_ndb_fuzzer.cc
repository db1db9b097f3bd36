// libFuzzer target for ReadRpmNdb (rpm's NDB `Packages.db`). Seed with
// ../shared/testdata/rpm-ndb/*/var/lib/rpm/Packages.db.
#include <cstddef>
#include <cstdint>

#include "indexer/packages/rpmdb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dci::PackageScan scan = dci::ReadRpmNdb(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  volatile size_t sink = scan.packages.size() + scan.warnings.size();
  (void)sink;
  return 0;
}
