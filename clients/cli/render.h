// Human-readable output of the dci CLI: tables and grouped, coloured diffs.
// `--output json` bypasses this and prints the proto's canonical JSON.
#ifndef DCI_CLIENTS_CLI_RENDER_H_
#define DCI_CLIENTS_CLI_RENDER_H_

#include <ostream>

#include "dci/v1/diff.pb.h"
#include "dci/v1/events.pb.h"
#include "dci/v1/inventory.pb.h"
#include "dci/v1/image.pb.h"
#include "dci/v1/service.pb.h"

namespace dci::cli {

struct Style {
  bool color = false;
};

void RenderImages(const v1::ListImagesResponse& r, const Style& s,
                  std::ostream& out);
void RenderImage(const v1::Image& img, const Style& s, std::ostream& out);
void RenderFiles(const v1::ListFilesResponse& r, bool by_layer,
                 const Style& s, std::ostream& out);
void RenderDiff(const v1::ImageDiff& d, const Style& s, std::ostream& out);
void RenderIndexSummary(const v1::IndexSummary& sum, const Style& s,
                        std::ostream& out);

void RenderPackages(const v1::ListPackagesResponse& r, bool files,
                    const Style& s, std::ostream& out);
void RenderSystem(const v1::ImageSystem& sys, const Style& s, std::ostream& out);
void RenderWhoHas(const v1::WhoHasResponse& r, const Style& s, std::ostream& out);
void RenderFindFile(const v1::FindFileResponse& r, const Style& s,
                    std::ostream& out);
void RenderHistory(const v1::TagHistoryResponse& h, const Style& s,
                   std::ostream& out);
// One line per event, for `dci watch`.
void RenderEvent(const v1::Event& e, const Style& s, std::ostream& out);
void RenderRepoWatches(const v1::ListRepoWatchesResponse& r, const Style& s,
                       std::ostream& out);

// "1.2 MB", "63.4 MB", "512 B".
std::string HumanBytes(int64_t n);
// "-rwxr-xr-x" from an entry's type and mode.
std::string ModeString(const v1::FileEntry& e);

}  // namespace dci::cli

#endif  // DCI_CLIENTS_CLI_RENDER_H_
