#include "indexer/inventory.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/path.h"
#include "indexer/packages/apk.h"
#include "indexer/packages/dpkg.h"
#include "indexer/packages/rpmdb.h"
#include "indexer/system/config_text.h"
#include "indexer/system/users.h"

namespace dci {

std::optional<PackageDbFormat> PackageDbAt(absl::string_view path) {
  if (path == "var/lib/dpkg/status") return PackageDbFormat::kDpkgStatus;
  if (ParentPath(path) == "var/lib/dpkg/status.d") {
    // distroless: one file per package; skip editor and dpkg leftovers.
    absl::string_view base = BaseName(path);
    if (!base.empty() && base[0] != '.' && !absl::EndsWith(base, ".md5sums")) {
      return PackageDbFormat::kDpkgStatus;
    }
    return std::nullopt;
  }
  if (path == "lib/apk/db/installed") return PackageDbFormat::kApk;
  absl::string_view dir = ParentPath(path);
  if (dir == "var/lib/rpm" || dir == "usr/lib/sysimage/rpm" ||
      dir == "usr/share/rpm") {
    absl::string_view base = BaseName(path);
    if (base == "Packages") return PackageDbFormat::kRpmBdb;
    if (base == "Packages.db") return PackageDbFormat::kRpmNdb;
    if (base == "rpmdb.sqlite") return PackageDbFormat::kRpmSqlite;
  }
  return std::nullopt;
}

namespace {

constexpr absl::string_view kShadowPath = "etc/shadow";

// Text worth keeping besides package databases.
bool TextCandidate(absl::string_view path) {
  if (IsConfigPath(path)) return true;  // etc/**
  if (path == "usr/lib/os-release") return true;
  if (ParentPath(path) == "var/lib/dpkg/info" &&
      (absl::EndsWith(path, ".list") || absl::EndsWith(path, ".conffiles"))) {
    return true;
  }
  return false;
}

}  // namespace

bool WantsContent(absl::string_view path, int64_t size,
                  const InventoryOptions& options) {
  if (path == kShadowPath) return size <= options.max_config_bytes;
  if (PackageDbAt(path).has_value()) {
    return size <= options.max_package_db_bytes;
  }
  return size <= options.max_config_bytes && TextCandidate(path);
}

LayerInventory ExtractInventory(
    const std::map<std::string, std::string>& captured,
    const InventoryOptions& options) {
  LayerInventory out;
  for (const auto& [path, data] : captured) {
    if (path == kShadowPath) {
      out.shadow_states.emplace(ContentHasher::Of(data.data(), data.size()),
                                ShadowStatesText(ParseShadow(data)));
      continue;
    }
    std::optional<PackageDbFormat> db = PackageDbAt(path);
    if (db.has_value()) {
      LayerPackageDb p;
      p.db_path = path;
      p.db_hash = ContentHasher::Of(data.data(), data.size());
      switch (*db) {
        case PackageDbFormat::kDpkgStatus:
          p.ecosystem = Ecosystem::kDeb;
          p.scan = ParseDpkgStatus(data, path);
          break;
        case PackageDbFormat::kRpmBdb:
          p.ecosystem = Ecosystem::kRpm;
          p.scan = ReadRpmBdb(data);
          break;
        case PackageDbFormat::kRpmNdb:
          p.ecosystem = Ecosystem::kRpm;
          p.scan = ReadRpmNdb(data);
          break;
        case PackageDbFormat::kRpmSqlite:
          p.ecosystem = Ecosystem::kRpm;
          p.scan = ReadRpmSqlite(data);
          break;
        case PackageDbFormat::kApk: {
          p.ecosystem = Ecosystem::kApk;
          absl::StatusOr<PackageScan> scan = ParseApkInstalled(data);
          if (scan.ok()) {
            p.scan = *std::move(scan);
          } else {
            p.scan.warnings.push_back(std::string(scan.status().message()));
          }
          break;
        }
      }
      for (std::string& w : p.scan.warnings) w = absl::StrCat(path, ": ", w);
      out.package_dbs.push_back(std::move(p));
      continue;
    }
    if (IsTextConfig(data)) {
      out.contents.emplace(ContentHasher::Of(data.data(), data.size()), data);
    }
  }
  return out;
}

}  // namespace dci
