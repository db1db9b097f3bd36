// libFuzzer target for the dpkg status reader and the .list reader: any
// bytes must give packages and warnings, never a crash, leak or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "indexer/packages/dpkg.h"
#include "indexer/packages/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  dci::PackageScan scan = dci::ParseDpkgStatus(text, "var/lib/dpkg/status");

  // The same bytes as the first package's file list (one copy, so a large
  // input does not cost a copy per package).
  if (!scan.packages.empty()) {
    dci::DpkgFileLists lists;
    lists[scan.packages.front().name] = std::string(text);
    dci::AttachDpkgFileLists(lists, scan);
  }

  // Versions read from hostile bytes go through the comparator too; the
  // order must be antisymmetric.
  for (size_t i = 0; i + 1 < scan.packages.size() && i < 64; ++i) {
    const std::string a = scan.packages[i].FullVersion();
    const std::string b = scan.packages[i + 1].FullVersion();
    const int ab = dci::CompareDebVersions(a, b);
    const int ba = dci::CompareDebVersions(b, a);
    if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0)) __builtin_trap();
  }
  return 0;
}
