// Container drift reports and snapshots: model <-> wire helpers shared by
// the ContainerDrift RPCs (service_drift.cc) and the event stream
// (CONTAINER_DRIFT events carry their snapshot's summary).
#ifndef DCI_SERVER_DRIFT_SNAPSHOT_H_
#define DCI_SERVER_DRIFT_SNAPSHOT_H_

#include "diff/container_drift.h"
#include "diff/diff.h"
#include "store/store.h"

namespace dci {

// The snapshot row a container drift report is stored as.
ContainerSnapshot SnapshotOf(const ContainerDrift& drift,
                             const std::string& name, int64_t image_id,
                             const std::string& source);

// The summary a stored snapshot carries (as Summarize gives it).
DriftSummary SummaryOf(const ContainerSnapshot& s);

}  // namespace dci

#endif  // DCI_SERVER_DRIFT_SNAPSHOT_H_
