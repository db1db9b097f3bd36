// libFuzzer target for the apk installed-database reader and apk's version
// order: any bytes must give packages and warnings or a DataLoss error,
// never a crash, leak or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "indexer/packages/apk.h"
#include "indexer/packages/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<dci::PackageScan> scan = dci::ParseApkInstalled(text);
  if (scan.ok()) {
    // Versions read from hostile bytes: the order must be antisymmetric.
    const auto& pkgs = scan->packages;
    for (size_t i = 0; i + 1 < pkgs.size() && i < 64; ++i) {
      const int ab =
          dci::CompareApkVersions(pkgs[i].version, pkgs[i + 1].version);
      const int ba =
          dci::CompareApkVersions(pkgs[i + 1].version, pkgs[i].version);
      if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0)) __builtin_trap();
    }
  }
  // The raw halves as versions, too.
  const absl::string_view a = text.substr(0, size / 2);
  const absl::string_view b = text.substr(size / 2);
  const int ab = dci::CompareApkVersions(a, b);
  const int ba = dci::CompareApkVersions(b, a);
  if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0)) __builtin_trap();
  (void)dci::ParseVersionRange(text);
  return 0;
}
