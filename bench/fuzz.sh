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

# Layers: the sample's small gzip blobs, docker-save layer tars, and small
# tars with what layers carry (hardlinks, symlinks, whiteouts, an opaque
# marker, a long name, a device), plain, gzip and zstd.
mkdir -p "$W/layer_reader_fuzzer/seeds" "$W/tars"
while read -r blob; do
  [[ $(head -c 2 "$blob" | od -An -tx1 | tr -d ' ') == 1f8b ]] && seed layer_reader_fuzzer "$blob"
done < <(find "$SAMPLES"/layout/blobs -type f -size -900k 2>/dev/null)
for a in "$TESTDATA"/oci/*/*.tar; do
  [[ -f $a ]] || continue
  for l in $(tar tf "$a" | grep 'layer.tar$'); do
    tar xOf "$a" "$l" >"$W/layer_reader_fuzzer/seeds/$(basename "$(dirname "$l")")"
  done
done
t="$W/tars/root"
mkdir -p "$t/etc/app" "$t/usr/bin" "$t/var/lib" "$t/dir"
echo 'PermitRootLogin no' >"$t/etc/app/sshd_config"
echo x >"$t/usr/bin/tool"
ln -f "$t/usr/bin/tool" "$t/usr/bin/tool2"
ln -sf ../../etc/app/sshd_config "$t/var/lib/link"
: >"$t/etc/.wh.removed" ; : >"$t/dir/.wh..wh..opq"
: >"$t/var/lib/$(printf 'n%.0s' $(seq 1 150))"
mknod "$t/dev-null" c 1 3 2>/dev/null || true
tar -C "$t" --format=pax -cf "$W/tars/pax.tar" .
tar -C "$t" --format=gnu -cf "$W/tars/gnu.tar" .
gzip -kc "$W/tars/pax.tar" >"$W/tars/pax.tar.gz"
zstd -qc "$W/tars/gnu.tar" >"$W/tars/gnu.tar.zst"
seed layer_reader_fuzzer "$W"/tars/*.tar "$W"/tars/*.gz "$W"/tars/*.zst
# Image documents: an index.json, manifest and config of the sample layout,
# and docker-save manifests, with digests as the fuzzer's "@N" placeholders.
mkdir -p "$W/manifest_fuzzer/seeds"
L="$SAMPLES/layout"
if [[ -f $L/index.json ]]; then
  n=0
  for m in $(jq -r '.manifests[].digest' "$L/index.json" | head -3); do
    mf="$L/blobs/sha256/${m#sha256:}"
    c=$(jq -r '.config.digest' "$mf")
    { printf '\x00'; jq -c --arg m "$m" '.manifests |= map(select(.digest == $m) | .digest = "@1")' "$L/index.json"
      printf '\n#---#\n'; sed "s/$c/@2/" "$mf"
      printf '\n#---#\n'; cat "$L/blobs/sha256/${c#sha256:}"
    } >"$W/manifest_fuzzer/seeds/oci-$((n++))"
  done
fi
for a in "$TESTDATA"/oci/*/*.tar; do
  [[ -f $a ]] || continue
  cfg=$(tar xOf "$a" manifest.json 2>/dev/null | jq -r '.[0].Config' 2>/dev/null) || continue
  { printf '\x01'; tar xOf "$a" manifest.json | jq -c '.[0].Config = "config.json"'
    printf '\n#---#\n\n#---#\n'; tar xOf "$a" "$cfg"
  } >"$W/manifest_fuzzer/seeds/docker-$(basename "$a")"
done
seed policy_fuzzer examples/policies/*.yaml bench/policies/*.yaml
mkdir -p "$W/auth_challenge_fuzzer/seeds"
printf '%s' 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull"' >"$W/auth_challenge_fuzzer/seeds/bearer"
printf '%s' 'Basic realm="registry", Bearer realm="http://127.0.0.1:5001/token",service="r"' >"$W/auth_challenge_fuzzer/seeds/both"
printf '%s' '</v2/team/app/tags/list?n=100&last=v9>; rel="next"' >"$W/auth_challenge_fuzzer/seeds/link"

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
