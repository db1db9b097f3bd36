#!/usr/bin/env bash
# dci benchmarks: figures side by side with their references, as ratios from
# one run (these machines are shared and noisy). Needs a build (scripts/
# build.sh) and the sample images (scripts/make-sample-images.sh).
#
#   bash bench/run.sh            # all figures
#   DCI_BENCH_BIG_LAYER=0 bash bench/run.sh   # skip the 1 GB memory run
set -euo pipefail
cd "$(dirname "$0")/.."
S="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
DCI=build/clients/cli/dci
source "$S/samples.env"
work=$(mktemp -d /tmp/dci-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

start_dcid() {  # start_dcid DB
  rm -f "$work/port"
  build/server/dcid --db "$1" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/dcid.log" &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  export DCI_SERVER="127.0.0.1:$(cat "$work/port")"
}
stop_dcid() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

blob="$S/layout/blobs/sha256/${DEBIAN_V1_TOP_LAYER#sha256:}"
echo "== Debian base layer: $(du -h "$blob" | cut -f1) gzip"

# 1. Index time vs bsdtar -tzf (libarchive + zlib listing), digests verified.
t0=$(now); bsdtar -tzf "$blob" >/dev/null; t1=$(now)
bsdtar_s=$(secs "$t0" "$t1")
start_dcid "$work/a.db"
v1_s=$($DCI index "oci:$S/layout:debian-v1" --tag b/debian:v1 --output json | json_field "['seconds']")
printf 'index v1 (server)          %8.3f s   bsdtar -tzf %8.3f s   ratio %s  (goal <= 1.0)\n' \
  "$v1_s" "$bsdtar_s" "$(ratio "$v1_s" "$bsdtar_s")"

# 2. v2 after v1, and a fully known image.
v2_s=$($DCI index "oci:$S/layout:debian-v2" --tag b/debian:v2 --output json | json_field "['seconds']")
printf 'index v2 after v1          %8.3f s   v1 %8.3f s            ratio %s  (goal <= 0.15)\n' \
  "$v2_s" "$v1_s" "$(ratio "$v2_s" "$v1_s")"
re_s=$($DCI index "oci:$S/layout:debian-v2" --tag b/debian:v2 --output json | json_field "['seconds']")
printf 're-index known image       %8.1f ms  (goal <= 50 ms)\n' "$(python3 -c "print($re_s*1000)")"

# 3. Diff v1 <-> v2, and the same change over a base twice as large.
d_ms=$($DCI diff b/debian:v1 b/debian:v2 --output json | json_field "['summary']['serverMillis']")
$DCI index "oci:$S/layout:big-v1" --tag b/big:v1 >/dev/null
$DCI index "oci:$S/layout:big-v2" --tag b/big:v2 >/dev/null
bd_ms=$($DCI diff b/big:v1 b/big:v2 --output json | json_field "['summary']['serverMillis']")
printf 'diff v1<->v2 (server)      %8.2f ms  (goal <= 20 ms)\n' "$d_ms"
printf 'diff, base twice as large  %8.2f ms  ratio to normal base %s (flat: ~1)\n' \
  "$bd_ms" "$(ratio "$bd_ms" "$d_ms")"
stop_dcid

# 4. vs umoci unpack of the same image.
t0=$(now); umoci unpack --image "$S/layout:debian-v1" "$work/unpack" >/dev/null 2>&1; t1=$(now)
umoci_s=$(secs "$t0" "$t1")
rm -rf "$work/unpack"
printf 'umoci unpack v1            %8.3f s   dci index %8.3f s     dci is %sx faster (goal >= 7)\n' \
  "$umoci_s" "$v1_s" "$(ratio "$umoci_s" "$v1_s")"

# 5. zstd copy: same layer, other compression (fresh database).
start_dcid "$work/z.db"
z_s=$($DCI index "oci:$S/layout-zstd:debian-v1" --output json | json_field "['seconds']")
t0=$(now); zstd -dc "$S/layout-zstd/blobs/sha256/$(jq -r '.layers[0].digest' "$S/layout-zstd/blobs/sha256/${DEBIAN_V1_ZSTD_MANIFEST#sha256:}" | cut -d: -f2)" | bsdtar -tf - >/dev/null; t1=$(now)
printf 'index v1 zstd (server)     %8.3f s   zstd -dc | bsdtar -tf %8.3f s  ratio %s\n' \
  "$z_s" "$(secs "$t0" "$t1")" "$(ratio "$z_s" "$(secs "$t0" "$t1")")"
stop_dcid

# 6. Memory while indexing: VmHWM above idle RSS, base layer and a 1 GB
# layer (a fresh dcid for each).
mem_run() {  # mem_run REF
  start_dcid "$work/m$RANDOM.db"
  local idle; idle=$(rss_kb "$pid")
  $DCI index "$1" >/dev/null
  local peak; peak=$(hwm_kb "$pid")
  stop_dcid
  echo $(( (peak - idle) / 1024 ))
}
printf 'dcid memory, base layer    %5d MB above idle (goal <= 64)\n' "$(mem_run "oci:$S/layout:debian-v1")"
if [ "${DCI_BENCH_BIG_LAYER:-1}" != 0 ]; then
  bash bench/make-big-layer.sh "$work/big" 1024 >/dev/null
  printf 'dcid memory, 1 GB layer    %5d MB above idle (goal <= 64, flat)\n' "$(mem_run "oci:$work/big:big")"
fi
