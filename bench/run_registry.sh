#!/usr/bin/env bash
# Registry figures: index the Debian sample v2 straight from a loopback
# docker-registry, against `skopeo copy` of the same image to an OCI
# layout (which only downloads and writes it), and the bytes fetched for v2
# when v1 is already indexed. Best of 3 runs each.
#   bash bench/run_registry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
S="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
D=build/clients/cli/dci
work=$(mktemp -d /tmp/dci-regbench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

free_port() {  # a loopback port nothing listens on
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-60000 -n 1)
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  return 1
}
port=$(free_port)
cat >"$work/registry.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/storage}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
R="127.0.0.1:$port/dci/debian"
for v in 1 2; do
  skopeo copy -q --dest-tls-verify=false "oci:$S/layout:debian-v$v" "docker://$R:v$v"
done

start_dcid() {  # start_dcid DB: sets DCI_SERVER
  rm -f "$work/port"
  build/server/dcid --db "$1" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/dcid.log" &
  pids+=($!)
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  export DCI_SERVER="127.0.0.1:$(cat "$work/port")"
}
now() { date +%s.%N; }
best() { sort -g | head -1; }

dci_times=() skopeo_times=()
for round in 1 2 3; do
  start_dcid "$work/fresh$round.db"
  t0=$(now); $D index "docker://$R:v2" >/dev/null; t1=$(now)
  dci_times+=("$(echo "$t1 - $t0" | bc)")
  rm -rf "$work/copy"
  t0=$(now); skopeo copy -q --src-tls-verify=false "docker://$R:v2" "oci:$work/copy:v2"; t1=$(now)
  skopeo_times+=("$(echo "$t1 - $t0" | bc)")
done
dci_best=$(printf '%s\n' "${dci_times[@]}" | best)
skopeo_best=$(printf '%s\n' "${skopeo_times[@]}" | best)
printf '%-52s %8.3f s\n' "dci index docker://…:v2 (fresh database, 2 layers)" "$dci_best"
printf '%-52s %8.3f s\n' "skopeo copy docker://…:v2 oci:DIR (download only)" "$skopeo_best"
printf '%-52s %8.2fx (goal < 1.0x)\n' "ratio dci / skopeo" "$(echo "$dci_best / $skopeo_best" | bc -l)"

start_dcid "$work/v1first.db"
$D index "docker://$R:v1" >/dev/null
fetched=$($D index "docker://$R:v2" --output json | jq -r '.bytesFetched')
manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="debian-v2") | .digest' "$S/layout/index.json")
mf="$S/layout/blobs/sha256/${manifest#sha256:}"
top=$(jq -r '.layers[-1].size' "$mf")
cfg=$(jq -r '.config.size' "$mf")
msize=$(stat -c %s "$mf")
printf '%-52s %8d bytes\n' "v2 after v1: bytes fetched" "$fetched"
printf '%-52s %8d bytes (top layer %d + config %d + manifest %d)\n' \
  "  expected: only the new layer" "$((top + cfg + msize))" "$top" "$cfg" "$msize"

# The usual case in a fleet: a new version on a known base. dci fetches and
# reads only the new layer; skopeo copying into a layout that already holds
# v1 reuses the blobs it has.
inc_dci=() inc_skopeo=()
for round in 1 2 3; do
  start_dcid "$work/inc$round.db"
  $D index "docker://$R:v1" >/dev/null
  t0=$(now); $D index "docker://$R:v2" >/dev/null; t1=$(now)
  inc_dci+=("$(echo "$t1 - $t0" | bc)")
  rm -rf "$work/inc"
  skopeo copy -q --src-tls-verify=false "docker://$R:v1" "oci:$work/inc:v1"
  t0=$(now); skopeo copy -q --src-tls-verify=false "docker://$R:v2" "oci:$work/inc:v2"; t1=$(now)
  inc_skopeo+=("$(echo "$t1 - $t0" | bc)")
done
inc_dci_best=$(printf '%s\n' "${inc_dci[@]}" | best)
inc_skopeo_best=$(printf '%s\n' "${inc_skopeo[@]}" | best)
printf '%-52s %8.3f s\n' "dci index docker://…:v2, v1 indexed" "$inc_dci_best"
printf '%-52s %8.3f s\n' "skopeo copy docker://…:v2 into a layout with v1" "$inc_skopeo_best"
printf '%-52s %8.2fx\n' "ratio dci / skopeo" "$(echo "$inc_dci_best / $inc_skopeo_best" | bc -l)"
