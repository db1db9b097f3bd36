// Reads a container export tarball (`docker export`, `podman export`: the
// container's whole root filesystem as one tar, plain, gzip or zstd) into
// entries, through the layer reader (indexer/layer_reader.h): same caps,
// same name checks, same content hashes. Nothing is extracted.
//
// An export has no whiteouts and is not an image archive: a tar whose top
// level is a `docker save` archive (manifest.json with layer tars or
// blobs/) or an OCI layout (oci-layout, index.json), or a layer with
// whiteouts, is refused with InvalidArgument saying what it is and what to
// use instead.
#ifndef DCI_INDEXER_ROOTFS_EXPORT_TAR_H_
#define DCI_INDEXER_ROOTFS_EXPORT_TAR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/rootfs/root_source.h"

namespace dci {

absl::StatusOr<RootSnapshot> ReadExportTar(const std::string& file,
                                           const RootReadOptions& options);

// RootSource::FileDigests for an export: one more pass over the tar,
// hashing only the wanted regular files (a hardlink is hashed through the
// file it names).
absl::StatusOr<std::map<std::string, std::string>> DigestFilesInTar(
    const std::string& file, const std::map<std::string, std::string>& wanted);

}  // namespace dci

#endif  // DCI_INDEXER_ROOTFS_EXPORT_TAR_H_
