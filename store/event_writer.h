// Appends events to the log inside the caller's write transaction, so the
// log is the outbox of that transaction (PRODUCT.md principle 7): every
// change that reports an event (an index, a tag, a container snapshot, a
// verdict, a policy bound) writes it through here. Internal to dci_store.
#ifndef DCI_STORE_EVENT_WRITER_H_
#define DCI_STORE_EVENT_WRITER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/event.h"

namespace dci {

class EventWriter {
 public:
  // Prepares the insert once, for any number of events.
  static absl::StatusOr<EventWriter> Make(Database& db);

  // Writes `e` (kind, at_us, image_id and old_image_id, 0 for none, name
  // and tag) and sets e.seq. The digests are the caller's to fill.
  absl::Status Append(EventRecord& e);

 private:
  EventWriter(Database& db, Statement insert)
      : db_(&db), insert_(std::move(insert)) {}

  Database* db_;
  Statement insert_;
};

}  // namespace dci

#endif  // DCI_STORE_EVENT_WRITER_H_
