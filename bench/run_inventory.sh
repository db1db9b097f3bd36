#!/usr/bin/env bash
# Inventory figures: what package/config extraction adds to reading the
# Debian base layer, the database size per image version of a 10,000-version
# fleet, and who-has / find-file latency over gRPC on that fleet.
#   bash bench/run_inventory.sh [VERSIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-300}
S="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
B=build/bench/inventory_bench
work=$(mktemp -d /tmp/dci-invbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# The base layer of debian-v1 (its only layer).
manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="debian-v1") | .digest' "$S/layout/index.json")
blob=$(jq -r '.layers[0].digest' "$S/layout/blobs/sha256/${manifest#sha256:}")
echo "== inventory overhead on the Debian base layer (goal <= 10 %)"
$B overhead "$S/layout/blobs/sha256/${blob#sha256:}"

echo "== fleet: $n image versions sharing a base, one dpkg status each (goal <= 100 KB per version)"
$B fleet "$work/fleet.db" "$n"

echo "== queries over the fleet, $rounds rounds each (goal p99 <= 5 ms)"
build/server/dcid --db "$work/fleet.db" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
$B query "127.0.0.1:$(cat "$work/port")" "$rounds"
