// The dci.v1.Dci gRPC service: a thin layer that parses requests, calls
// the indexer, store and diff, and converts the results (server/convert.h).
//
// Thread-safe: gRPC calls it from its thread pool. Indexing holds no lock
// while it reads layers, so queries are served meanwhile.
#ifndef DCI_SERVER_SERVICE_H_
#define DCI_SERVER_SERVICE_H_

#include "dci/v1/service.grpc.pb.h"
#include "indexer/indexer.h"
#include "store/store.h"

namespace dci {

class DciService final : public v1::Dci::Service {
 public:
  // `store` must outlive the service.
  DciService(Store* store, LayerLimits limits)
      : store_(store), indexer_(store), limits_(limits) {}

  grpc::Status Index(grpc::ServerContext* ctx, const v1::IndexRequest* req,
                     grpc::ServerWriter<v1::IndexEvent>* writer) override;
  grpc::Status ListImages(grpc::ServerContext* ctx,
                          const v1::ListImagesRequest* req,
                          v1::ListImagesResponse* resp) override;
  grpc::Status GetImage(grpc::ServerContext* ctx,
                        const v1::GetImageRequest* req,
                        v1::Image* resp) override;
  grpc::Status ListFiles(grpc::ServerContext* ctx,
                         const v1::ListFilesRequest* req,
                         v1::ListFilesResponse* resp) override;
  grpc::Status Diff(grpc::ServerContext* ctx, const v1::DiffRequest* req,
                    v1::ImageDiff* resp) override;

 private:
  Store* store_;
  Indexer indexer_;
  LayerLimits limits_;
};

}  // namespace dci

#endif  // DCI_SERVER_SERVICE_H_
