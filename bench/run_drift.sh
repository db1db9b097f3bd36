#!/usr/bin/env bash
# Container drift figures: `dci drift dir:` of the unpacked Debian sample
# root against its indexed image, next to
#   - `aide --init` over the same root with the same attributes (type,
#     permissions, owner, group, size, link target) and a content hash
#     (md5, AIDE's fastest cryptographic one, and sha256), the same paths
#     ignored;
#   - `diff -r --no-dereference` of the root against a second unpacked copy
#     of the image (what comparing with an unpacked image costs).
# Warm page cache (every tool runs once first); the best of 3 runs each.
# Needs root (umoci unpack), a build and the sample images.
#
#   bash bench/run_drift.sh          # DCI_BUILD_DIR=build by default
set -euo pipefail
cd "$(dirname "$0")/.."
S="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
B="${DCI_BUILD_DIR:-build}"
DCI="$B/clients/cli/dci"
work=$(mktemp -d /tmp/dci-bench-drift.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
best3() {  # best3 CMD...: the fastest of three runs, in seconds
  local best=
  for _ in 1 2 3; do
    local t0 t1
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    best=$(python3 -c "import sys; a=float(sys.argv[2])-float(sys.argv[1]); b=sys.argv[3]; print('%.3f' % (a if b=='' else min(a, float(b))))" "$t0" "$t1" "$best")
  done
  echo "$best"
}
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

umoci unpack --image "$S/layout:debian-v1" "$work/a" >/dev/null 2>&1
umoci unpack --image "$S/layout:debian-v1" "$work/b" >/dev/null 2>&1
root="$work/a/rootfs"
echo "== root: $(find "$root" | wc -l) entries, $(du -sh "$root" | cut -f1)"

rm -f "$work/port"
"$B/server/dcid" --db "$work/d.db" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/dcid.log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
export DCI_SERVER="127.0.0.1:$(cat "$work/port")"
"$DCI" index "oci:$S/layout:debian-v1" --tag debian:v1 >/dev/null

aide_conf() {  # aide_conf HASH
  cat > "$work/aide-$1.conf" <<CONF
database_out=file:$work/aide-$1.db
gzip_dbout=no
root_prefix=$root
report_url=stdout
DCI = ftype+p+u+g+s+l+$1
/ DCI
!/proc
!/sys
!/dev
!/run
!/tmp
!/var/tmp
!/etc/hostname\$
!/etc/hosts\$
!/etc/resolv.conf\$
!/\.dockerenv\$
CONF
}
aide_conf md5
aide_conf sha256

# Warm-up: every tool reads the whole root once.
"$DCI" drift "dir:$root" --image debian:v1 >/dev/null
aide --init -c "$work/aide-md5.conf" >/dev/null 2>&1 || true
diff -r --no-dereference "$root" "$work/b/rootfs" >/dev/null 2>&1 || true

dci_s=$(best3 "$DCI" drift "dir:$root" --image debian:v1)
server_ms=$("$DCI" drift "dir:$root" --image debian:v1 --output json |
  python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['serverMillis'])")
aide_md5_s=$(best3 aide --init -c "$work/aide-md5.conf")
aide_sha_s=$(best3 aide --init -c "$work/aide-sha256.conf")
diff_s=$(best3 diff -r --no-dereference "$root" "$work/b/rootfs")

printf '%-44s %8s\n' "what" "seconds"
printf '%-44s %8s\n' "dci drift dir: (CLI, gRPC, whole root)" "$dci_s"
printf '%-44s %8s\n' "  of which dcid (server_millis / 1000)" "$(python3 -c "print('%.3f' % ($server_ms/1000))")"
printf '%-44s %8s  ratio %s\n' "aide --init, md5" "$aide_md5_s" "$(ratio "$dci_s" "$aide_md5_s")"
printf '%-44s %8s  ratio %s\n' "aide --init, sha256" "$aide_sha_s" "$(ratio "$dci_s" "$aide_sha_s")"
printf '%-44s %8s  ratio %s\n' "diff -r --no-dereference vs unpacked image" "$diff_s" "$(ratio "$dci_s" "$diff_s")"
