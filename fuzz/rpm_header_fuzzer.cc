// libFuzzer target for ParseRpmHeader: any bytes give a Package or a
// DataLoss error, never a crash, an out-of-bounds read or a runaway
// allocation. Seed with header blobs (e.g. the values of an rpmdb.sqlite's
// Packages table).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "indexer/packages/rpm_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> notes;
  absl::StatusOr<dci::Package> pkg = dci::ParseRpmHeader(
      absl::string_view(reinterpret_cast<const char*>(data), size), &notes);
  if (pkg.ok()) {
    // Touch what was produced so the sanitizers see every byte of it.
    size_t n = pkg->name.size() + pkg->files.size();
    for (const dci::ConfigFile& c : pkg->config_files) n += c.path.size();
    volatile size_t sink = n;
    (void)sink;
  }
  return 0;
}
