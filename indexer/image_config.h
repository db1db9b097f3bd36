// The image configuration (OCI image-spec config.md; Docker's image JSON is
// the same shape for every field dci records).
#ifndef DCI_INDEXER_IMAGE_CONFIG_H_
#define DCI_INDEXER_IMAGE_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dci {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64"
  std::string variant;       // "v8", or ""
  std::string ToString() const;  // "linux/arm64/v8", "linux/amd64"
  bool operator==(const Platform& o) const {
    return os == o.os && architecture == o.architecture && variant == o.variant;
  }
};

// "os/arch[/variant]". InvalidArgument otherwise.
absl::StatusOr<Platform> ParsePlatform(absl::string_view s);

struct HistoryStep {
  std::string created;  // RFC 3339, as written
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  Platform platform;
  std::string os_version;
  std::string created;  // RFC 3339, as written
  std::string author;
  std::string docker_version;
  // config.* (Config in Docker's JSON)
  std::string user;
  std::string working_dir;
  std::string stop_signal;
  std::vector<std::string> env;         // "KEY=VALUE", in order
  std::vector<std::string> entrypoint;  // as written
  std::vector<std::string> cmd;
  std::vector<std::string> exposed_ports;  // keys, sorted: "80/tcp"
  std::vector<std::string> volumes;        // keys, sorted
  std::map<std::string, std::string> labels;
  std::vector<HistoryStep> history;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids
};

// InvalidArgument for JSON that does not parse, a rootfs.type other than
// "layers", a diff_id that is not a sha256 digest, or a field of the wrong
// JSON type. Unknown fields are ignored.
absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view json);

}  // namespace dci

#endif  // DCI_INDEXER_IMAGE_CONFIG_H_
