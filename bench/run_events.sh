#!/usr/bin/env bash
# Event stream figures: fan-out to many subscribers (commit -> delivery
# latency, memory per idle subscriber) and replay rate of a long log.
#   bash bench/run_events.sh [SUBSCRIBERS] [REPLAY_EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
subs=${1:-1000}
n=${2:-100000}
layout="$(cd .. && pwd)/shared/testdata/oci/gcr-layout-test_index/layout"
B=build/bench/event_bench
work=$(mktemp -d /tmp/dci-evbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
start_dcid() {
  rm -f "$work/port"
  build/server/dcid --db "$1" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/log" &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  addr="127.0.0.1:$(cat "$work/port")"
}
echo "== fan-out: $subs subscribers, 20 tag moves (goal: p99 <= 100 ms)"
start_dcid "$work/fanout.db"
$B fanout "$addr" "$subs" 20 "$layout" "$pid"
kill $pid; wait $pid 2>/dev/null || true; pid=

echo "== replay: $n logged events to a new subscriber"
$B fill "$work/replay.db" "$n"
start_dcid "$work/replay.db"
$B replay "$addr" "$n"
