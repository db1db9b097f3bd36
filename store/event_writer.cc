#include "store/event_writer.h"

#include <utility>

#include "base/status_macros.h"

namespace dci {

absl::StatusOr<EventWriter> EventWriter::Make(Database& db) {
  DCI_ASSIGN_OR_RETURN(
      Statement insert,
      db.Prepare("INSERT INTO events(kind, at, at_us, image_id, name, tag, "
                 "old_image_id) VALUES (?,?,?,?,?,?,?)"));
  return EventWriter(db, std::move(insert));
}

absl::Status EventWriter::Append(EventRecord& e) {
  insert_.Reset();
  insert_.BindText(1, e.kind);
  insert_.BindInt(2, e.at_us / 1000000);
  insert_.BindInt(3, e.at_us);
  if (e.image_id != 0) {
    insert_.BindInt(4, e.image_id);
  } else {
    insert_.BindNull(4);
  }
  insert_.BindText(5, e.name);
  insert_.BindText(6, e.tag);
  if (e.old_image_id != 0) {
    insert_.BindInt(7, e.old_image_id);
  } else {
    insert_.BindNull(7);
  }
  DCI_RETURN_IF_ERROR(insert_.Run());
  e.seq = db_->LastInsertRowId();
  return absl::OkStatus();
}

}  // namespace dci
