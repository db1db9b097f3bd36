#!/usr/bin/env bash
# A short fuzz run of every parser of image content (fuzz/*_fuzzer.cc): builds
# them with clang, libFuzzer, AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer into build-fuzz/, seeds each with real inputs
# (../shared/testdata, the RPM sample's rpmdb.sqlite headers, this host's
# files), and runs each for DCI_FUZZ_SECONDS (default 30). Any crash, leak,
# timeout (> 10 s for one input) or RSS above 2 GiB fails the run; the
# offending input is left in build-fuzz/findings/.
#
#   bash bench/fuzz.sh            # all fuzzers, 30 s each
#   DCI_FUZZ_SECONDS=300 bash bench/fuzz.sh rpm_bdb_fuzzer
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${DCI_FUZZ_SECONDS:-30}"
TESTDATA="${DCI_TESTDATA_DIR:-$(pwd)/../shared/testdata}"
SAMPLES="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"

command -v clang++ >/dev/null || {
  echo "fuzz: clang++ is missing (apt-get install clang)" >&2; exit 1; }
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDCI_FUZZ=ON -DDCI_BUILD_TESTS=OFF >/dev/null
mapfile -t ALL < <(ls fuzz/*_fuzzer.cc | xargs -n1 basename | sed 's/\.cc$//')
TARGETS=("${@:-${ALL[@]}}")
ninja -C build-fuzz "${TARGETS[@]}" >/dev/null

W=build-fuzz/work
rm -rf "$W"
mkdir -p "$W" build-fuzz/findings

seed() {  # seed FUZZER FILE...: copies the readable files into its corpus
  local dir="$W/$1/seeds"; shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do [[ -f $f && -r $f ]] && cp "$f" "$dir/$(echo "$f" | sha1sum | cut -c1-12)"; done
  return 0
}
seed dpkg_status_fuzzer "$TESTDATA"/dpkg/*/var/lib/dpkg/status "$TESTDATA"/dpkg/*/var/lib/dpkg/status.d/*
seed apk_installed_fuzzer "$TESTDATA"/apk/*/lib/apk/db/installed
seed rpm_bdb_fuzzer "$TESTDATA"/rpm-bdb/*/var/lib/rpm/Packages
seed rpm_ndb_fuzzer "$TESTDATA"/rpm-ndb/*/var/lib/rpm/Packages.db
seed os_release_fuzzer /etc/os-release /usr/lib/os-release "$SAMPLES"/refs/debian-v1/rootfs/usr/lib/os-release
seed passwd_fuzzer /etc/passwd /etc/group "$SAMPLES"/refs/debian-v1/rootfs/etc/passwd "$SAMPLES"/refs/debian-v1/rootfs/etc/group
seed unified_diff_fuzzer /etc/os-release /etc/passwd
# Header blobs from a real rpmdb.sqlite.
mkdir -p "$W/rpm_header_fuzzer/seeds"
for db in "$SAMPLES"/rpm/roots/v1/var/lib/rpm/rpmdb.sqlite "$TESTDATA"/rpm-sqlite/*/usr/lib/sysimage/rpm/rpmdb.sqlite; do
  [[ -f $db ]] || continue
  for id in $(sqlite3 "file:$db?immutable=1" 'SELECT hnum FROM Packages' 2>/dev/null); do
    sqlite3 "file:$db?immutable=1" "SELECT writefile('$W/rpm_header_fuzzer/seeds/$(basename "$(dirname "$(dirname "$db")")")-$id', blob) FROM Packages WHERE hnum = $id" >/dev/null 2>&1 || true
  done
done

printf '%-24s %8s %10s %8s %s\n' fuzzer seconds execs corpus result
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$W/$t/corpus" "$W/$t/seeds"
  log="$W/$t.log"
  if "build-fuzz/fuzz/$t" "$W/$t/corpus" "$W/$t/seeds" -max_total_time="$SECONDS_EACH" \
       -timeout=10 -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/findings/$t-" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log)"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  printf '%-24s %8s %10s %8s %s\n' "$t" "$SECONDS_EACH" "$execs" \
    "$(ls "$W/$t/corpus" | wc -l)" "$result"
done
exit $status
