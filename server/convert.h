// Translation between dci's model (store/, indexer/, diff/) and the wire
// (protos/). The only place that knows both.
#ifndef DCI_SERVER_CONVERT_H_
#define DCI_SERVER_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dci/v1/diff.pb.h"
#include "dci/v1/events.pb.h"
#include "dci/v1/inventory.pb.h"
#include "diff/inventory.h"
#include "dci/v1/image.pb.h"
#include "dci/v1/service.pb.h"
#include "diff/diff.h"
#include "indexer/indexer.h"
#include "store/store.h"

namespace dci {

// absl and gRPC share canonical codes. Internal errors (SQLite, I/O on the
// server) are logged and shown to clients without their details.
grpc::Status ToGrpcStatus(const absl::Status& s);

// Fills everything from the record and its verbatim config JSON.
absl::StatusOr<v1::Image> ToProto(const ImageRecord& image);
v1::FileEntry ToProto(const LayerEntry& e, int layer, int history_index);
v1::ImageDiff ToProto(const ImageDiff& diff, const ImageRecord& a,
                      const ImageRecord& b);
v1::IndexSummary ToProto(const IndexSummary& s);
v1::LayerProgress ToProto(const IndexProgress& p);
v1::Platform ToProto(const Platform& p);
v1::Package ToProto(const ImagePackage& p, const ImageRecord& image);
v1::Package ToProto(const Package& p);
v1::ImageSystem ToProto(const ImageInventory& inv);
v1::DriftSummary ToProto(const DriftSummary& s);
// `drift` is the summary for TAG_MOVED events (nullptr otherwise).
v1::Event ToProto(const EventRecord& e, const DriftSummary* drift);
// "IMAGE_INDEXED" <-> v1::IMAGE_INDEXED.
v1::EventKind EventKindFromName(const std::string& kind);

}  // namespace dci

#endif  // DCI_SERVER_CONVERT_H_
