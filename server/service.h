// The dci.v1.Dci gRPC service: a thin layer that parses requests, calls
// the indexer, store and diff, and converts the results (server/convert.h).
//
// Thread-safe: gRPC calls it from its thread pool. Indexing holds no lock
// while it reads layers, so queries are served meanwhile.
#ifndef DCI_SERVER_SERVICE_H_
#define DCI_SERVER_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "dci/v1/service.grpc.pb.h"
#include "indexer/indexer.h"
#include "server/drift_cache.h"
#include "server/event_hub.h"
#include "policy/policy_cache.h"
#include "server/policy_enforcer.h"
#include "server/registry_watcher.h"
#include "store/store.h"

namespace dci {

class DciService final : public v1::Dci::Service {
 public:
  struct Options {
    LayerLimits limits;
    absl::Duration heartbeat = absl::Seconds(15);  // Subscribe default
    // Retries and timeouts for docker:// requests; the rest comes with
    // each request.
    RegistryOptions registry;
  };
  // `store` and `hub` must outlive the service; the hub must receive the
  // store's commits (Store::SetCommitObserver).
  DciService(Store* store, EventHub* hub, Options options)
      : store_(store), hub_(hub), indexer_(store), drift_(store),
        options_(options) {}

  // The watcher to wake when a watch is added (optional; set before
  // serving).
  void SetRegistryWatcher(RegistryWatcher* watcher) { watcher_ = watcher; }

  // Ends every Subscribe stream promptly; call before Server::Shutdown.
  void BeginShutdown() { stopping_ = true; }

  grpc::Status Index(grpc::ServerContext* ctx, const v1::IndexRequest* req,
                     grpc::ServerWriter<v1::IndexEvent>* writer) override;
  grpc::Status ListImages(grpc::ServerContext* ctx,
                          const v1::ListImagesRequest* req,
                          v1::ListImagesResponse* resp) override;
  grpc::Status GetImage(grpc::ServerContext* ctx,
                        const v1::GetImageRequest* req,
                        v1::Image* resp) override;
  grpc::Status Inspect(grpc::ServerContext* ctx,
                       const v1::InspectRequest* req,
                       v1::Image* resp) override;
  grpc::Status WatchRepo(grpc::ServerContext* ctx,
                         const v1::WatchRepoRequest* req,
                         v1::RepoWatch* resp) override;
  grpc::Status ListRepoWatches(grpc::ServerContext* ctx,
                               const v1::ListRepoWatchesRequest* req,
                               v1::ListRepoWatchesResponse* resp) override;
  grpc::Status UnwatchRepo(grpc::ServerContext* ctx,
                           const v1::UnwatchRepoRequest* req,
                           v1::UnwatchRepoResponse* resp) override;
  grpc::Status ListFiles(grpc::ServerContext* ctx,
                         const v1::ListFilesRequest* req,
                         v1::ListFilesResponse* resp) override;
  grpc::Status Diff(grpc::ServerContext* ctx, const v1::DiffRequest* req,
                    v1::ImageDiff* resp) override;
  grpc::Status ListPackages(grpc::ServerContext* ctx,
                            const v1::ListPackagesRequest* req,
                            v1::ListPackagesResponse* resp) override;
  grpc::Status WhoHas(grpc::ServerContext* ctx, const v1::WhoHasRequest* req,
                      v1::WhoHasResponse* resp) override;
  grpc::Status FindFile(grpc::ServerContext* ctx,
                        const v1::FindFileRequest* req,
                        v1::FindFileResponse* resp) override;
  grpc::Status TagHistory(grpc::ServerContext* ctx,
                          const v1::TagHistoryRequest* req,
                          v1::TagHistoryResponse* resp) override;
  grpc::Status RemoveTag(grpc::ServerContext* ctx,
                         const v1::RemoveTagRequest* req,
                         v1::RemoveTagResponse* resp) override;
  grpc::Status Subscribe(
      grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
      grpc::ServerWriter<v1::SubscribeResponse>* writer) override;

  // Container drift (server/service_drift.cc).
  grpc::Status ContainerDrift(grpc::ServerContext* ctx,
                              const v1::ContainerDriftRequest* req,
                              v1::ContainerDriftReport* resp) override;
  grpc::Status DriftHistory(grpc::ServerContext* ctx,
                            const v1::DriftHistoryRequest* req,
                            v1::DriftHistoryResponse* resp) override;

  // Policies (server/service_policy.cc).
  grpc::Status CheckPolicy(grpc::ServerContext* ctx,
                           const v1::CheckPolicyRequest* req,
                           v1::PolicyVerdict* resp) override;
  grpc::Status AddPolicy(grpc::ServerContext* ctx,
                         const v1::AddPolicyRequest* req,
                         v1::BoundPolicy* resp) override;
  grpc::Status ListPolicies(grpc::ServerContext* ctx,
                            const v1::ListPoliciesRequest* req,
                            v1::ListPoliciesResponse* resp) override;
  grpc::Status GetPolicy(grpc::ServerContext* ctx,
                         const v1::GetPolicyRequest* req,
                         v1::BoundPolicy* resp) override;
  grpc::Status RemovePolicy(grpc::ServerContext* ctx,
                            const v1::RemovePolicyRequest* req,
                            v1::RemovePolicyResponse* resp) override;
  grpc::Status Check(grpc::ServerContext* ctx, const v1::CheckRequest* req,
                     v1::CheckResponse* resp) override;

  // The enforcer of bound policies (optional; set before serving). Index
  // then returns once the new image's verdicts are stored.
  void SetPolicyEnforcer(PolicyEnforcer* enforcer) { policy_ = enforcer; }
  // What policy evaluations share (dci policy check, and the enforcer).
  PolicyCache* policy_cache() { return &policy_cache_; }

 private:
  // Policy helpers for GetImage, Inspect, Subscribe and Index
  // (server/service_policy.cc).
  // The latest stored verdict per policy; with `bound_only`, only those of
  // policies bound now.
  grpc::Status AttachPolicyVerdicts(
      int64_t image_id,
      google::protobuf::RepeatedPtrField<v1::PolicyVerdict>* out,
      bool bound_only = false);
  grpc::Status InspectPolicy(const ImageRecord& record,
                             const v1::InspectRequest& req, v1::Image* resp);
  void AttachPolicyToEvent(int64_t seq, v1::Event* event);
  void WaitForPolicies();

  Store* store_;
  EventHub* hub_;
  Indexer indexer_;
  DriftCache drift_;
  PolicyCache policy_cache_;
  const Options options_;
  std::atomic<bool> stopping_{false};
  RegistryWatcher* watcher_ = nullptr;
  PolicyEnforcer* policy_ = nullptr;
};

}  // namespace dci

#endif  // DCI_SERVER_SERVICE_H_
