// libFuzzer target for the layer reader: any bytes, read as a layer blob
// (gzip, zstd or a plain tar, sniffed as for real layers), must give entries
// or a precise error, never a crash, leak or hang. What comes out must hold
// to layer_reader.h: one entry per path, sorted, every path (and hardlink
// target) in canonical form, no whiteout file left as a name.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "base/path.h"
#include "indexer/byte_stream.h"
#include "indexer/layer_reader.h"

namespace {

bool Canonical(const std::string& path) {
  absl::StatusOr<std::string> n = dci::NormalizeEntryPath(path);
  return !path.empty() && n.ok() && *n == path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<dci::ByteStream> in = dci::MakeStringStream(
      std::string(reinterpret_cast<const char*>(data), size));
  dci::LayerReadOptions options;
  options.limits.max_uncompressed_bytes = 64 << 20;  // bombs stop here
  options.limits.max_entries = 100000;
  // Capture small files, as the inventory does for config files.
  options.capture = [](absl::string_view, int64_t size) {
    return size <= 4096;
  };
  absl::StatusOr<dci::LayerReadResult> r = dci::ReadLayer(*in, options);
  if (!r.ok()) return 0;
  const std::string* previous = nullptr;
  for (const dci::LayerEntry& e : r->entries) {
    if (!Canonical(e.path)) __builtin_trap();
    if (previous != nullptr && !(*previous < e.path)) __builtin_trap();
    if (absl::StartsWith(dci::BaseName(e.path), ".wh.")) __builtin_trap();
    if (e.type == dci::EntryType::kHardlink && !Canonical(e.link_target)) {
      __builtin_trap();
    }
    previous = &e.path;
  }
  for (const auto& [path, content] : r->captured) {
    if (!Canonical(path) || content.size() > 4096) __builtin_trap();
  }
  return 0;
}
