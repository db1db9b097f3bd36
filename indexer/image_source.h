// Where the files of an image layout or archive come from: a directory
// (oci:DIR) or a tar file (oci-archive:, docker-archive:). Paths are relative
// to the layout root ("index.json", "blobs/sha256/<hex>", "manifest.json",
// "<id>/layer.tar").
//
// Sources treat their content as untrusted: a path with ".." or an absolute
// path is refused; a directory source never follows a symlink out of its
// root; a tar source resolves symlink members inside the archive only
// (skopeo's docker-archive output links layer paths to each other), with a
// bounded number of hops.
#ifndef DCI_INDEXER_IMAGE_SOURCE_H_
#define DCI_INDEXER_IMAGE_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/byte_stream.h"

namespace dci {

// Thread-compatible: Open() may be called from several threads, each
// stream is used by one.
class ImageSource {
 public:
  virtual ~ImageSource() = default;

  // NotFound if the file is not there.
  virtual absl::StatusOr<std::unique_ptr<ByteStream>> Open(
      const std::string& rel_path) = 0;

  // Open() for a blob whose size the manifest gives: a source that cannot
  // know it beforehand (a registry) stops at once when more arrives.
  // Elsewhere the digest check finds a wrong size.
  virtual absl::StatusOr<std::unique_ptr<ByteStream>> OpenBlob(
      const std::string& rel_path, long long expected_size) {
    return Open(rel_path);
  }

  // Size in bytes of the file, or NotFound.
  virtual absl::StatusOr<long long> Size(const std::string& rel_path) = 0;

  // Reads a whole file (manifests, configs). ResourceExhausted past
  // `max_bytes`.
  absl::StatusOr<std::string> ReadAll(const std::string& rel_path,
                                      size_t max_bytes = 4 << 20);
};

// oci:DIR. NotFound if DIR does not exist or is not a directory.
absl::StatusOr<std::unique_ptr<ImageSource>> OpenDirectorySource(
    const std::string& dir);

// oci-archive:FILE and docker-archive:FILE (an uncompressed tar; a
// gzip-compressed one works too, more slowly). InvalidArgument if FILE is
// not a tar archive.
absl::StatusOr<std::unique_ptr<ImageSource>> OpenTarSource(
    const std::string& file);

}  // namespace dci

#endif  // DCI_INDEXER_IMAGE_SOURCE_H_
