#!/usr/bin/env bash
# Policy figures: the 50-rule policy (bench/policies/fifty.yaml) against the
# Debian sample image (v2, drift against v1 through the tag), in dcid and
# in process (warm, first with an empty cache in a fresh store: cold, and
# without the cache); the Check RPC on the stored verdict; and the same policy over
# a fleet of image versions sharing a base layer (inventory_bench fleet),
# with and without the work shared.
#   bash bench/run_policy.sh [VERSIONS] [ROUNDS]     # DCI_BUILD_DIR=build
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-300}
S="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
B="${DCI_BUILD_DIR:-build}"
P=bench/policies/fifty.yaml
work=$(mktemp -d /tmp/dci-polbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$B/server/dcid" --db "$work/d.db" --listen 127.0.0.1:0 --port-file "$work/port" 2>>"$work/log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
export DCI_SERVER="127.0.0.1:$(cat "$work/port")"
"$B/clients/cli/dci" policy add fifty "$P" --images 'debian:*' >/dev/null
"$B/clients/cli/dci" index "oci:$S/layout:debian-v1" --tag debian:latest >/dev/null
"$B/clients/cli/dci" index "oci:$S/layout:debian-v2" --tag debian:latest >/dev/null

echo "== 50-rule policy, Debian v2 (drift against v1), dcid: dci policy check and Check"
"$B/bench/policy_bench" rpc "$DCI_SERVER" debian:latest "" "$P" "$rounds" | tee "$work/rpc"
echo "== the same in process (parse + evaluate), without and with the cache"
"$B/bench/policy_bench" local "$work/d.db" debian:latest "" "$P" "$rounds" | tee "$work/local"
echo "== the first evaluation with an empty cache in a freshly opened store (cold), best of 30"
"$B/bench/policy_bench" cold "$work/d.db" debian:latest "" "$P" 30 | tee "$work/cold"
kill $pid; wait $pid 2>/dev/null || true; pid=

echo "== fleet: $n image versions sharing a base layer"
"$B/bench/inventory_bench" fleet "$work/fleet.db" "$n"
"$B/bench/policy_bench" fleet "$work/fleet.db" "$P" 200 | tee "$work/fleet"

python3 - "$work" <<'PY'
import re, sys
w = sys.argv[1]
rpc, local, cold, fleet = (open(f"{w}/{f}").read() for f in ("rpc", "local", "cold", "fleet"))
def num(pat, text):
    return float(re.search(pat, text).group(1))
check_p50 = num(r"CheckPolicy RPC, warm\): best [\d.]+ ms, p50 ([\d.]+)", rpc)
check_best = num(r"CheckPolicy RPC, warm\): best ([\d.]+)", rpc)
admit_p99 = num(r"Check RPC \(stored verdict\): p50 [\d.]+ ms, p99 ([\d.]+)", rpc)
admit_p50 = num(r"Check RPC \(stored verdict\): p50 ([\d.]+)", rpc)
warm = num(r"warm best [\d.]+ ms, p50 ([\d.]+)", local)
plain = num(r"without cache: best [\d.]+ ms, p50 ([\d.]+)", local)
cold_best = num(r"\(cold\): best ([\d.]+)", cold)
cold_p50 = num(r"\(cold\): best [\d.]+ ms, p50 ([\d.]+)", cold)
total = num(r"total ([\d.]+) s shared", fleet)
per = num(r"s shared, ([\d.]+) ms per image", fleet)
alone = num(r"no cache\): p50 ([\d.]+) ms", fleet)
images = int(num(r"fleet: (\d+) images", fleet))
print()
print(f"| what | dci | goal |")
print(f"|---|---|---|")
print(f"| 50 rules, Debian v2, `dci policy check` (CheckPolicy RPC, warm) | p50 {check_p50:.2f} ms (best {check_best:.2f}) | <= 10 ms: {check_p50/10:.2f}x |")
print(f"| same, in process, parse + evaluate, warm / without cache | {warm:.2f} ms / {plain:.2f} ms | <= 10 ms |")
print(f"| same, first evaluation, empty cache, fresh store (cold) | best {cold_best:.2f} ms, p50 {cold_p50:.2f} ms | <= 10 ms: {cold_best/10:.2f}x |")
print(f"| Check RPC, evaluated digest | p50 {admit_p50:.2f} ms, p99 {admit_p99:.2f} ms | p99 <= 5 ms: {admit_p99/5:.2f}x |")
print(f"| 50 rules over {images:,} versions sharing a base | {total:.2f} s total, {per:.3f} ms per image | not {images:,} x single |")
print(f"| per image shared vs each alone / vs Debian single image | {per:.3f} ms vs {alone:.2f} ms ({per/alone:.3f}x) / vs {check_p50:.2f} ms ({per/check_p50:.3f}x) | < 1x |")
PY
