// One entry of the event log (PRODUCT.md principle 7): what happened, with
// its sequence number. Written in the transaction of the change it reports,
// so an event exists if and only if its change committed (the outbox).
#ifndef DCI_STORE_EVENT_H_
#define DCI_STORE_EVENT_H_

#include <cstdint>
#include <string>

namespace dci {

// Kinds as stored; append only.
inline constexpr char kEventImageIndexed[] = "IMAGE_INDEXED";
inline constexpr char kEventTagCreated[] = "TAG_CREATED";
inline constexpr char kEventTagMoved[] = "TAG_MOVED";
inline constexpr char kEventTagRemoved[] = "TAG_REMOVED";
// A container drift snapshot was stored (dci drift --name): name is the
// container's, image_id its image (store/store.h ContainerSnapshot).
inline constexpr char kEventContainerDrift[] = "CONTAINER_DRIFT";
// A bound policy gave an image a warn or deny verdict: image_id is the
// image, name/tag the tag it was evaluated for (store/store.h
// PolicyVerdictRecord has the policy and the violations).
inline constexpr char kEventPolicyViolation[] = "POLICY_VIOLATION";
// A policy was bound (dci policy add, or a new text for its name): name is
// the policy's, there is no image. The policy enforcer then judges the
// images already indexed that the policy applies to.
inline constexpr char kEventPolicyBound[] = "POLICY_BOUND";

struct EventRecord {
  int64_t seq = 0;
  std::string kind;
  int64_t at_us = 0;  // commit time, unix microseconds
  int64_t image_id = 0;
  std::string image_digest;  // manifest digest
  // Tag events: the tag. IMAGE_INDEXED: the first tag given with it, if any.
  std::string name;
  std::string tag;
  // TAG_MOVED: where the tag pointed before. 0 / "" otherwise.
  int64_t old_image_id = 0;
  std::string old_image_digest;
};

}  // namespace dci

#endif  // DCI_STORE_EVENT_H_
