#include "indexer/packages/package.h"

#include "absl/strings/str_cat.h"

namespace dci {

absl::string_view EcosystemName(Ecosystem e) {
  switch (e) {
    case Ecosystem::kDeb: return "deb";
    case Ecosystem::kRpm: return "rpm";
    case Ecosystem::kApk: return "apk";
  }
  return "unknown";
}

std::string Package::FullVersion() const {
  switch (ecosystem) {
    case Ecosystem::kDeb:
    case Ecosystem::kRpm: {
      std::string v = epoch.empty() ? version : absl::StrCat(epoch, ":", version);
      if (!release.empty()) absl::StrAppend(&v, "-", release);
      return v;
    }
    case Ecosystem::kApk:
      return version;
  }
  return version;
}

}  // namespace dci
