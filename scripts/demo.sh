#!/usr/bin/env bash
# The main job, end to end: install, build, start dcid on its own
# database, index two versions of a real Debian image and print their drift.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export DCI_SAMPLES_DIR="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
bash scripts/make-sample-images.sh "$DCI_SAMPLES_DIR"

work=$(mktemp -d /tmp/dci-demo.XXXXXX)
build/server/dcid --db "$work/dci.db" --listen 127.0.0.1:0 \
  --port-file "$work/port" 2>"$work/dcid.log" &
dcid_pid=$!
trap 'kill $dcid_pid 2>/dev/null; wait $dcid_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "dcid did not start:"; cat "$work/dcid.log"; exit 1; }
export DCI_SERVER="127.0.0.1:$(cat "$work/port")"
echo "dcid listening on $DCI_SERVER (database $work/dci.db)"

layout="$DCI_SAMPLES_DIR/layout"
build/clients/cli/dci index "oci:$layout:debian-v1" --tag dci/debian:v1
build/clients/cli/dci index "oci:$layout:debian-v2" --tag dci/debian:v2
build/clients/cli/dci images
build/clients/cli/dci diff dci/debian:v1 dci/debian:v2
