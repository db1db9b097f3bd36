// The inventory sections of drift: packages, config file lines, users and
// groups, enabled services, OS release. Each is computed only when the
// file changes touch what it reads, so drift still costs what changed.
#ifndef DCI_DIFF_INVENTORY_DIFF_H_
#define DCI_DIFF_INVENTORY_DIFF_H_

#include "absl/status/status.h"
#include "diff/diff.h"

namespace dci {

// Fills out.packages, .configs, .accounts, .services and the OS release
// metadata, from `out.files` (already computed) and the store.
absl::Status DiffInventory(Store& store, const ImageRecord& a,
                           const ImageRecord& b, const DiffSections& sections,
                           ImageDiff& out);

}  // namespace dci

#endif  // DCI_DIFF_INVENTORY_DIFF_H_
