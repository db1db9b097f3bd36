// What the indexer keeps from a layer besides its entries: the package
// databases it writes (parsed) and the text it ships that drift and
// inventory queries read later (config files under etc/, dpkg's status and
// file lists, os-release), each stored once per content hash.
//
//   LayerReadOptions ro;
//   ro.capture = [&](absl::string_view p, int64_t n) {
//     return WantsContent(p, n, inventory_options);
//   };
//   ... ReadLayer(...) ...
//   LayerInventory inv = ExtractInventory(layer.captured, inventory_options);
#ifndef DCI_INDEXER_INVENTORY_H_
#define DCI_INDEXER_INVENTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/content_hash.h"
#include "indexer/packages/package.h"
#include "store/store.h"

namespace dci {

struct InventoryOptions {
  int64_t max_config_bytes = 256 * 1024;  // text kept per file
  int64_t max_package_db_bytes = 1ll << 30;
};

enum class PackageDbFormat { kDpkgStatus, kRpmBdb, kRpmNdb, kRpmSqlite, kApk };

// The database format a path holds, if it is one dci reads: dpkg's
// var/lib/dpkg/status and status.d/*, RPM's Packages, Packages.db and
// rpmdb.sqlite under var/lib/rpm, usr/lib/sysimage/rpm and usr/share/rpm,
// apk's lib/apk/db/installed.
std::optional<PackageDbFormat> PackageDbAt(absl::string_view path);

// Whether the layer reader should keep a file's contents: package
// databases, and text candidates (etc/**, dpkg file lists, os-release) up
// to the size limit.
bool WantsContent(absl::string_view path, int64_t size,
                  const InventoryOptions& options);

struct LayerInventory {
  std::vector<LayerPackageDb> package_dbs;
  // Text contents to store, by content hash (binary files dropped).
  std::map<ContentHash, std::string> contents;
  // etc/shadow as password states only (ShadowStatesText), by the file's
  // content hash; the file itself is never among `contents`.
  std::map<ContentHash, std::string> shadow_states;
};

// Parses the package databases among `captured` (path -> contents) and
// keeps the text. Never fails: a database that does not parse comes back
// with warnings and what could be read.
LayerInventory ExtractInventory(const std::map<std::string, std::string>& captured,
                                const InventoryOptions& options);

}  // namespace dci

#endif  // DCI_INDEXER_INVENTORY_H_
