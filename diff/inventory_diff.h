// The inventory sections of drift: packages, config file lines, users and
// groups, enabled services, OS release. Each is computed only when the
// file changes touch what it reads, so drift still costs what changed.
#ifndef DCI_DIFF_INVENTORY_DIFF_H_
#define DCI_DIFF_INVENTORY_DIFF_H_

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "diff/diff.h"
#include "indexer/packages/package.h"
#include "indexer/system/users.h"

namespace dci {

// Fills out.packages, .configs, .accounts, .services and the OS release
// metadata, from `out.files` (already computed) and the store.
absl::Status DiffInventory(Store& store, const ImageRecord& a,
                           const ImageRecord& b, const DiffSections& sections,
                           ImageDiff& out);

// The pieces image drift and container drift (diff/container_drift.h)
// share, so both word their sections the same way.

// Packages added, removed, upgraded or downgraded (each ecosystem's order)
// between two lists, matched by ecosystem, name and arch.
void DiffPackageLists(const std::vector<const Package*>& a,
                      const std::vector<const Package*>& b,
                      std::vector<PackageChange>& out);

// Users and groups added, removed or changed ("uid 0 gid 0 home /root ...").
void DiffAccountFiles(const PasswdFile& users_a, const PasswdFile& users_b,
                      const GroupFile& groups_a, const GroupFile& groups_b,
                      ImageDiff& out);

// Where service-enabling symlinks live (systemd unit dirs, rc*.d).
const std::vector<std::string>& ServiceDirs();
bool IsServicePath(const std::string& p);

// (unit, target, how) of every unit a tree's symlinks enable; only the
// symlinks under ServiceDirs() count.
using EnabledUnitSet = std::set<std::tuple<std::string, std::string, std::string>>;
EnabledUnitSet EnabledUnitsIn(const MergedTree& tree);
void DiffEnabledUnits(const EnabledUnitSet& a, const EnabledUnitSet& b,
                      ImageDiff& out);

// Where a tree's os-release file is (etc/os-release, else
// usr/lib/os-release, symlinks followed inside the tree); NotFound when
// there is none.
absl::StatusOr<std::string> OsReleasePathIn(const MergedTree& tree);

// The fields of an os-release file by key; and the "os_release" metadata
// changes between two.
std::map<std::string, std::string> OsReleaseFields(const std::string& text);
void DiffOsRelease(const std::map<std::string, std::string>& a,
                   const std::map<std::string, std::string>& b,
                   ImageDiff& out);

}  // namespace dci

#endif  // DCI_DIFF_INVENTORY_DIFF_H_
