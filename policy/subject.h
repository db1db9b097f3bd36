// Loading what a policy needs of an indexed image from the store, and
// evaluating it: the merged tree, inventory and config contents are read
// only when the policy's rules use them (Policy::needs), and the previous
// version of the image's tag only for drift rules. With a PolicyCache, not
// even that: each rule asks for the facts it reads (the tree entries
// passing its filter, the packages), shared with the images that have the
// same layers or package databases; the whole tree and inventory are read
// only for a rule that needs them (config `modified`) or a drift rule's
// "was" of a path.
//
//   DCI_ASSIGN_OR_RETURN(Policy p, ParsePolicy(yaml));
//   DCI_ASSIGN_OR_RETURN(ImageRecord img, store.FindImage("myapp:1.5"));
//   DCI_ASSIGN_OR_RETURN(PolicyResult r,
//                        EvaluateStoredImage(store, p, img, PreviousOf{}, now));
//
// Thread-safe as the store is.
#ifndef DCI_POLICY_SUBJECT_H_
#define DCI_POLICY_SUBJECT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "policy/evaluate.h"
#include "policy/policy_cache.h"
#include "policy/policy.h"
#include "store/store.h"

namespace dci {

// The facts of one image as a PolicySubject, owning what it points to.
class LoadedSubject {
 public:
  // `layers_indexed`: false for an image known from its manifest and config
  // alone (inspect): then only metadata is at hand.
  // `cache` (may be null) must outlive the subject.
  static absl::StatusOr<std::unique_ptr<LoadedSubject>> Load(
      Store* store, const ImageRecord& image, const PolicyNeeds& needs,
      bool layers_indexed = true, PolicyCache* cache = nullptr);

  PolicySubject& subject() { return subject_; }

 private:
  LoadedSubject() = default;
  ImageRecord image_;
  MergedTree tree_;
  ImageInventory inventory_;
  bool tree_loaded_ = false, inventory_loaded_ = false;
  std::shared_ptr<const std::vector<ImagePackage>> packages_;
  PolicySubject subject_;
};

// Which image drift rules compare with.
struct PreviousOf {
  // The tag whose previous version to use ("" = the image's first current
  // tag).
  std::optional<TagRef> tag;
  // An explicit image instead (dci policy check --against).
  std::optional<ImageRecord> image;
};

// The image `tag` pointed at before it pointed at `image_id` (its latest
// move there), or nullopt when it never pointed elsewhere before.
absl::StatusOr<std::optional<ImageRecord>> PreviousVersionOfTag(
    Store& store, const TagRef& tag, int64_t image_id);

// `cache` (may be null): facts shared between evaluations; the result is
// the same with or without it.
absl::StatusOr<PolicyResult> EvaluateStoredImage(Store& store,
                                                 const Policy& policy,
                                                 const ImageRecord& image,
                                                 const PreviousOf& previous,
                                                 int64_t now_unix,
                                                 PolicyCache* cache = nullptr);

}  // namespace dci

#endif  // DCI_POLICY_SUBJECT_H_
