// Resolving an image reference within a layout or archive to one image:
// index / manifest list walking, platform choice, manifest and config
// parsing, digest checks of everything small. Layers are only described
// here; indexer/layer_reader.h reads them.
//
// Media types (OCI image-spec media-types.md; Docker's schema 2):
//   index:    application/vnd.oci.image.index.v1+json,
//             application/vnd.docker.distribution.manifest.list.v2+json
//   manifest: application/vnd.oci.image.manifest.v1+json,
//             application/vnd.docker.distribution.manifest.v2+json
//   layers:   application/vnd.oci.image.layer.v1.tar[+gzip|+zstd],
//             application/vnd.docker.image.rootfs.diff.tar.gzip, and the
//             nondistributable variants. Anything else is an error.
// A descriptor whose media type says nothing useful (e.g.
// application/vnd.oci.descriptor.v1+json) is classified by the blob's own
// "mediaType" field, or by its shape ("manifests" vs "layers").
#ifndef DCI_INDEXER_MANIFEST_H_
#define DCI_INDEXER_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "indexer/image_config.h"
#include "indexer/image_ref.h"
#include "indexer/image_source.h"
#include "indexer/layer_reader.h"

namespace dci {

struct LayerDescriptor {
  std::string media_type;
  std::string digest;  // "sha256:..." of the blob as stored
  long long size = 0;  // blob bytes
  std::string source_path;  // where ImageSource::Open finds it
  Compression compression = Compression::kAuto;
  std::string diff_id;  // from the config's rootfs.diff_ids
};

struct ResolvedImage {
  std::string manifest_digest;
  std::string manifest_media_type;
  std::string manifest_json;
  // docker-archive has no registry manifest: dci writes the Docker schema 2
  // manifest that `skopeo copy` would (uncompressed layers, their digests),
  // and says so here.
  bool manifest_synthesized = false;
  std::string config_digest;
  std::string config_media_type;
  std::string config_json;
  ImageConfig config;
  std::vector<LayerDescriptor> layers;  // bottom first
  // Names found in the source for this image: index.json's
  // org.opencontainers.image.ref.name, docker-archive RepoTags ("name:tag").
  std::vector<std::string> source_tags;
  // Set when the image was chosen from an index or manifest list.
  std::string index_digest;
  std::vector<Platform> available_platforms;
  std::vector<std::string> warnings;
};

// Finds the image `ref` names in `source` (ref.transport must be kOciDir,
// kOciArchive or kDockerArchive), choosing `want` from any index or list on
// the way (entries without a platform match anything; a variant in `want`
// must match). Verifies the digests of every manifest, index and config it
// reads against their descriptors, and that the manifest's layer count
// equals the config's diff_ids.
//
// Errors: NotFound for a tag or platform that is not there (the message
// lists what is there); InvalidArgument for broken or missing JSON and
// unknown media types; DataLoss for a digest mismatch.
absl::StatusOr<ResolvedImage> ResolveImage(ImageSource& source,
                                           const ImageRef& ref,
                                           const Platform& want);

}  // namespace dci

#endif  // DCI_INDEXER_MANIFEST_H_
