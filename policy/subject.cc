#include "policy/subject.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "diff/diff.h"
#include "diff/inventory.h"

namespace dci {

absl::StatusOr<std::unique_ptr<LoadedSubject>> LoadedSubject::Load(
    Store* store, const ImageRecord& image, const PolicyNeeds& needs,
    bool layers_indexed, PolicyCache* cache) {
  std::unique_ptr<LoadedSubject> s(new LoadedSubject());
  s->image_ = image;
  PolicySubject& sub = s->subject_;
  sub.image = &s->image_;
  DCI_ASSIGN_OR_RETURN(sub.config, ParseImageConfig(image.config_json));
  sub.layer_sizes_known = layers_indexed;
  if (!layers_indexed || store == nullptr) return s;
  if (cache != nullptr) {
    LoadedSubject* self = s.get();
    std::vector<int64_t> chain;
    for (const ImageLayer& l : image.layers) chain.push_back(l.layer_id);
    sub.files = [store, cache, chain](const FileQuery& q) {
      return cache->Files(*store, chain, q);
    };
    sub.packages = [self, store, cache]()
        -> absl::StatusOr<const std::vector<ImagePackage>*> {
      if (self->packages_ == nullptr) {
        DCI_ASSIGN_OR_RETURN(self->packages_, cache->Packages(*store, self->image_));
      }
      return self->packages_.get();
    };
    sub.load_tree = [self, store]() -> absl::StatusOr<const MergedTree*> {
      if (!self->tree_loaded_) {
        DCI_ASSIGN_OR_RETURN(self->tree_, LoadMergedTree(*store, self->image_));
        self->tree_loaded_ = true;
      }
      return &self->tree_;
    };
    sub.load_inventory = [self, store]() -> absl::StatusOr<const ImageInventory*> {
      if (!self->inventory_loaded_) {
        DCI_ASSIGN_OR_RETURN(const MergedTree* tree, self->subject_.load_tree());
        DCI_ASSIGN_OR_RETURN(self->inventory_,
                             LoadInventory(*store, self->image_, *tree, false));
        self->inventory_loaded_ = true;
      }
      return &self->inventory_;
    };
    if (needs.configs) {
      sub.content = [store](const ContentHash& h) { return store->Content(h); };
    }
    return s;
  }
  const bool tree = needs.files || needs.configs || needs.packages || needs.drift;
  if (tree) {
    DCI_ASSIGN_OR_RETURN(s->tree_, LoadMergedTree(*store, s->image_));
    sub.tree = &s->tree_;
  }
  if (needs.packages || needs.configs || needs.drift) {
    DCI_ASSIGN_OR_RETURN(s->inventory_,
                         LoadInventory(*store, s->image_, s->tree_, false));
    sub.inventory = &s->inventory_;
  }
  if (needs.configs) {
    sub.content = [store](const ContentHash& h) { return store->Content(h); };
  }
  return s;
}

absl::StatusOr<std::optional<ImageRecord>> PreviousVersionOfTag(
    Store& store, const TagRef& tag, int64_t image_id) {
  absl::StatusOr<std::vector<TagHistoryEntry>> h = store.TagHistory(tag);
  if (absl::IsNotFound(h.status())) return std::optional<ImageRecord>();
  if (!h.ok()) return h.status();
  // The latest time the tag came to point here; the entry before it.
  for (size_t i = h->size(); i-- > 1;) {
    if ((*h)[i].image_id != image_id) continue;
    for (size_t j = i; j-- > 0;) {
      if ((*h)[j].image_id == image_id) continue;
      DCI_ASSIGN_OR_RETURN(ImageRecord r, store.GetImage((*h)[j].image_id));
      return std::optional<ImageRecord>(std::move(r));
    }
    break;
  }
  return std::optional<ImageRecord>();
}

absl::StatusOr<PolicyResult> EvaluateStoredImage(Store& store,
                                                 const Policy& policy,
                                                 const ImageRecord& image,
                                                 const PreviousOf& previous,
                                                 int64_t now_unix,
                                                 PolicyCache* cache) {
  DCI_ASSIGN_OR_RETURN(std::unique_ptr<LoadedSubject> s,
                       LoadedSubject::Load(&store, image, policy.needs, true, cache));
  std::unique_ptr<LoadedSubject> prev;
  if (policy.needs.drift) {
    std::optional<ImageRecord> before = previous.image;
    std::string ref;
    if (before) {
      ref = before->tags.empty()
                ? before->manifest_digest
                : absl::StrCat(before->tags[0].ToString(), "@",
                               before->manifest_digest);
    } else {
      std::optional<TagRef> tag = previous.tag;
      if (!tag && !image.tags.empty()) tag = image.tags[0];
      if (tag) {
        DCI_ASSIGN_OR_RETURN(before, PreviousVersionOfTag(store, *tag, image.id));
        if (before) ref = absl::StrCat(tag->ToString(), "@", before->manifest_digest);
        else {
          s->subject().no_previous_reason = absl::StrCat(
              "no previous version of ", tag->ToString(), " to compare with");
        }
      } else {
        s->subject().no_previous_reason =
            "the image has no tag, so no previous version to compare with";
      }
    }
    if (before) {
      PolicyNeeds n = policy.needs;
      n.drift = false;
      n.files = true;
      n.packages = true;
      DCI_ASSIGN_OR_RETURN(prev, LoadedSubject::Load(&store, *before, n, true, cache));
      s->subject().previous = &prev->subject();
      s->subject().previous_ref = ref;
    }
  }
  DCI_ASSIGN_OR_RETURN(PolicyResult r,
                       EvaluatePolicy(policy, s->subject(), now_unix));
  r.compared_with = s->subject().previous_ref;
  return r;
}

}  // namespace dci
