#!/usr/bin/env bash
# make-sample-images.sh - build real container images for dci's tests and benchmarks.
#
# Usage: scripts/make-sample-images.sh [CACHE_DIR]
#   CACHE_DIR defaults to ${DCI_SAMPLES_DIR:-/var/cache/dci/samples}.
#
# Needs root (mmdebstrap --mode=root, chroot, umoci unpack of device nodes) and
# access to a Debian bookworm mirror (taken from apt's sources; override with
# DCI_SAMPLES_MIRROR=http://...). No Docker engine is used.
#
# The cache is complete when CACHE_DIR/.stamp holds the sha256 of this script
# and every expected output exists; then the script does nothing. Otherwise it
# builds everything in a temporary directory next to CACHE_DIR and renames it
# into place at the end, so an interrupted run leaves the previous cache (if
# any) untouched and the next run starts over cleanly.
#
# What each image contains, and what the tests may rely on, is documented in
# scripts/README-samples.md. Environment knobs:
#   DCI_SAMPLES_MIRROR   Debian mirror URL (default: from /etc/apt/sources*)
#   DCI_SAMPLES_FORCE=1  rebuild even when the stamp matches
#   DCI_SAMPLES_KEEP_WORK=1  keep the temporary directory after a failure
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_NAME="$(basename "$SCRIPT_PATH")"
OUT_ARG="${1:-${DCI_SAMPLES_DIR:-/var/cache/dci/samples}}"
START_TS=$(date +%s)

# Fixed timestamps: the image configs and history are the same on every run.
# (Layer tars still carry real file mtimes, so blob digests differ per run.)
export SOURCE_DATE_EPOCH=1747699200            # 2025-05-20T00:00:00Z
T_V1="2025-05-20T00:00:00Z"
T_V2="2025-05-21T00:00:00Z"
T_V3="2025-05-22T00:00:00Z"
AUTHOR="dci sample builder <dci-samples@example.invalid>"
BASE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SUITE=bookworm
V2_PACKAGES=(less procps)
BIG_PACKAGES="python3,python3-pip,git,vim,iso-codes,manpages-dev"

log()  { printf '[samples %s +%3ds] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - START_TS ))" "$*" >&2; }
die()  { printf '[samples] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- preflight
[[ $(id -u) -eq 0 ]] || die "must run as root (mmdebstrap --mode=root, chroot, mknod)"

need() {  # need COMMAND APT_PACKAGE
  command -v "$1" >/dev/null 2>&1 ||
    die "'$1' not found; install it with: apt-get install -y --no-install-recommends $2"
}
need mmdebstrap mmdebstrap
need umoci      umoci
need skopeo     skopeo
need jq         jq
need tar        tar
need gzip       gzip
need zstd       zstd
need bsdtar     libarchive-tools
need sha256sum  coreutils
need unshare    util-linux
need flock      util-linux
need findmnt    util-linux
need chroot     coreutils
need awk        mawk

detect_mirror() {
  if [[ -n ${DCI_SAMPLES_MIRROR:-} ]]; then printf '%s\n' "$DCI_SAMPLES_MIRROR"; return; fi
  local m=""
  # deb822 *.sources: first enabled "Types: deb" stanza whose Suites has exactly $SUITE
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    m=$(awk -v suite="$SUITE" '
      function flush() {
        if (uris != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled !~ /^[Nn]o/) {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { line = $0; key = tolower(line); sub(/:.*/, "", key); val = line; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = val }
      END { if (!found) flush() }' "$f")
    [[ -n $m ]] && break
  done
  if [[ -z $m ]]; then
    # one-line format: deb [opts] URI SUITE COMPONENTS...
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk -v suite="$SUITE" '$1 == "deb" {
          i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i+1) == suite) { print $i; exit } }')
  fi
  [[ -n $m ]] || die "no '$SUITE' mirror found in /etc/apt/sources.list{,.d/*}; set DCI_SAMPLES_MIRROR=http://..."
  printf '%s\n' "${m%/}"
}

# ----------------------------------------------------------- cache handling
mkdir -p "$(dirname "$OUT_ARG")"
OUT="$(readlink -m "$OUT_ARG")"
PARENT="$(dirname "$OUT")"
BASE="$(basename "$OUT")"
[[ $OUT != *:* ]] || die "cache path must not contain ':' (skopeo/umoci image references): $OUT"
SCRIPT_SHA="$(sha256sum "$SCRIPT_PATH" | cut -d' ' -f1)"

REQUIRED=(
  layout/index.json layout/oci-layout layout-zstd/index.json
  archives/debian-v1.oci-archive.tar archives/debian-v2.oci-archive.tar archives/debian-v3.oci-archive.tar
  archives/debian-v1.docker-archive.tar archives/debian-v2.docker-archive.tar
  refs/debian-v1/rootfs/etc/os-release refs/debian-v2/rootfs/usr/bin/less refs/debian-v3/rootfs/etc/apt/apt.conf.d/99dci-sample
  expected/debian-v2.top-layer.txt expected/debian-v3.top-layer.txt
  expected/debian-v1-to-v2.diff.txt expected/debian-v2-to-v3.diff.txt
  samples.env summary.txt
)
cache_complete() {
  [[ -f $OUT/.stamp ]] || return 1
  [[ "$(cut -d' ' -f1 "$OUT/.stamp")" == "$SCRIPT_SHA" ]] || return 1
  local p; for p in "${REQUIRED[@]}"; do [[ -e $OUT/$p ]] || return 1; done
}

# Serialise concurrent runs; the lock file lives next to the cache directory.
exec 9>"$PARENT/.$BASE.lock"
if ! flock -n 9; then log "another run holds $PARENT/.$BASE.lock; waiting"; flock 9; fi

if [[ ${DCI_SAMPLES_FORCE:-0} != 1 ]] && cache_complete; then
  log "cache $OUT is complete (stamp $SCRIPT_SHA); nothing to do"
  cat "$OUT/summary.txt"
  exit 0
fi

# Refuse to delete anything that has a mount below it (never the case with the
# private mount namespaces used below, but rm -rf through a bind mount of /dev
# would be a disaster).
safe_rm() {
  local d
  for d in "$@"; do
    [[ -e $d ]] || continue
    if findmnt -rn -o TARGET | awk -v p="$d/" 'index($0 "/", p) == 1 { found = 1 } END { exit !found }'; then
      die "refusing to delete $d: something is mounted below it (umount it first)"
    fi
    rm -rf --one-file-system -- "$d"
  done
}

# Leftovers of interrupted runs (we hold the lock, so none of them is live).
for stale in "$PARENT/.$BASE.tmp."* "$PARENT/.$BASE.old."*; do
  [[ -e $stale ]] || continue
  log "removing leftover $stale"
  safe_rm "$stale"
done

WORK="$(mktemp -d "$PARENT/.$BASE.tmp.XXXXXX")"
cleanup() {
  local rc=$?
  if [[ $rc -ne 0 && ${DCI_SAMPLES_KEEP_WORK:-0} == 1 ]]; then
    printf '[samples] keeping %s for inspection (DCI_SAMPLES_KEEP_WORK=1)\n' "$WORK" >&2
  elif [[ -n ${WORK:-} && -d $WORK ]]; then safe_rm "$WORK" || true; fi
  if [[ $rc -ne 0 ]]; then printf '[samples] FAILED (exit %d); previous cache, if any, left untouched\n' "$rc" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

N="$WORK/out"          # what becomes $OUT
S="$WORK/scratch"      # bundles, sources; deleted before the rename
mkdir -p "$N"/{archives,refs,expected} "$S"
L="$N/layout"
LZ="$N/layout-zstd"

MIRROR="$(detect_mirror)"
log "output $OUT (building in $WORK)"
log "mirror $MIRROR, suite $SUITE"

# ------------------------------------------------------------------ helpers
# bootstrap BUNDLE_ROOTFS [extra mmdebstrap args...]
bootstrap() {
  local dest="$1"; shift
  # mmdebstrap --mode=root mounts /proc, /sys and /dev into the target while it
  # works; a private mount namespace makes those mounts die with it if killed.
  unshare --mount --propagation private -- \
  mmdebstrap --variant=minbase --mode=root --format=directory --quiet \
    --customize-hook='rm -f "$1/etc/resolv.conf"' \
    --customize-hook='echo dci-sample > "$1/etc/hostname"' \
    "$@" "$SUITE" "$dest" "$MIRROR" </dev/null
}

# in_chroot ROOTFS COMMAND...: run COMMAND in ROOTFS inside private mount and
# PID namespaces (/proc and /dev/pts mounts vanish with the namespace, even if
# this script is killed), with the host's resolv.conf copied in for the duration
# and a policy-rc.d that stops maintainer scripts from starting services.
in_chroot() {
  local root="$1"; shift
  [[ ! -e $root/etc/resolv.conf && ! -e $root/usr/sbin/policy-rc.d ]] ||
    die "$root already has etc/resolv.conf or usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  local rc=0
  unshare --mount --propagation private --pid --fork -- /bin/sh -c '
      root="$1"; shift
      mount -t proc proc "$root/proc"
      mount --bind /dev/pts "$root/dev/pts" 2>/dev/null || true
      exec chroot "$root" /usr/bin/env -i PATH='"$BASE_PATH"' HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
        ${http_proxy:+http_proxy=$http_proxy} ${https_proxy:+https_proxy=$https_proxy} "$@"
    ' sh "$root" "$@" </dev/null || rc=$?
  rm -f "$root/etc/resolv.conf" "$root/usr/sbin/policy-rc.d"
  return "$rc"
}

# apply_v2_changes ROOTFS: the v1 -> v2 filesystem changes (see README-samples.md).
apply_v2_changes() {
  local r="$1"
  local apt_opts=(-o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false -o APT::Install-Suggests=false)
  if [[ $MIRROR == https:* ]]; then
    # minbase has no ca-certificates: lend apt the host's bundle for the duration.
    cp /etc/ssl/certs/ca-certificates.crt "$r/tmp/.dci-ca.crt"
    apt_opts+=(-o Acquire::https::CAInfo=/tmp/.dci-ca.crt)
  fi
  in_chroot "$r" /bin/sh -ec '
      apt-get "$@" -qq update
      apt-get "$@" -y -q install '"${V2_PACKAGES[*]}"'
      apt-get "$@" clean
    ' sh "${apt_opts[@]}" >"$S/apt-$(basename "$(dirname "$r")").log" 2>&1 ||
    { tail -n 40 "$S/apt-$(basename "$(dirname "$r")").log" >&2; die "apt-get install ${V2_PACKAGES[*]} failed in $r"; }
  # Same cleanup as mmdebstrap's (v1 has none of these): package lists, logs, caches.
  rm -f "$r/tmp/.dci-ca.crt"
  find "$r/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name lock ! -name partial -exec rm -rf {} +
  rm -f "$r/var/log/dpkg.log" "$r/var/log/alternatives.log" "$r/var/log/apt/history.log" \
        "$r/var/log/apt/term.log" "$r/var/log/apt/eipp.log.xz" "$r/var/cache/ldconfig/aux-cache" \
        "$r/var/cache/apt/pkgcache.bin" "$r/var/cache/apt/srcpkgcache.bin"

  # modified conffile (content)
  printf '\n# dci-sample v2: added line\nEXTRA_GROUPS="users"\n' >>"$r/etc/adduser.conf"
  # modified metadata only (mode 0644 -> 0640, same content)
  chmod 0640 "$r/etc/motd"
  # removed file (parent directory stays)
  rm -f "$r/usr/share/doc/gzip/TODO"
  # removed directory, recursively
  rm -rf "$r/usr/share/doc/hostname"
  # added files: regular, empty, hard link, relative and absolute symlinks, a directory
  printf 'DCI_SAMPLE_VERSION=2\n' >"$r/etc/dci-sample-release"
  mkdir -p "$r/opt/dci-sample"
  printf 'dci sample data, version 2\n' >"$r/opt/dci-sample/data.txt"
  : >"$r/opt/dci-sample/empty"
  ln "$r/opt/dci-sample/data.txt" "$r/opt/dci-sample/data.hardlink"
  ln -s data.txt "$r/opt/dci-sample/data.symlink"
  ln -s /usr/bin/less "$r/opt/dci-sample/pager"
  printf '#!/bin/sh\necho "dci sample $APP_MODE"\n' >"$r/opt/dci-sample/run.sh"
  chmod 0755 "$r/opt/dci-sample/run.sh"
  chmod 0644 "$r/etc/dci-sample-release" "$r/opt/dci-sample/data.txt" "$r/opt/dci-sample/empty"
  touch -h -d "@$SOURCE_DATE_EPOCH" "$r/etc/dci-sample-release" "$r/opt/dci-sample"/* "$r/opt/dci-sample"
}

# config_v1 IMAGE TITLE: v1 metadata
config_v1() {
  umoci config --image "$1" --created "$T_V1" --author "$AUTHOR" \
    --history.created "$T_V1" --history.author "$AUTHOR" \
    --history.created_by 'LABEL/ENV/ENTRYPOINT/CMD/USER/WORKDIR/EXPOSE (dci sample v1 config)' \
    --clear=config.labels --clear=config.env --clear=config.entrypoint --clear=config.cmd \
    --config.label "org.opencontainers.image.title=$2" \
    --config.label org.opencontainers.image.version=1 \
    --config.label "maintainer=$AUTHOR" \
    --config.label dci.sample.removed-in=v2 \
    --config.env "PATH=$BASE_PATH" --config.env APP_MODE=v1 --config.env LANG=C.UTF-8 \
    --config.entrypoint /bin/sh --config.entrypoint -c \
    --config.cmd 'echo "dci sample $APP_MODE"' \
    --config.user 65534:65534 --config.workingdir /srv \
    --config.exposedports 8080/tcp --config.stopsignal SIGTERM
}
# config_vN IMAGE TITLE N CREATED: metadata of v2 / v3
config_vn() {
  local img="$1" title="$2" n="$3" created="$4"
  umoci config --image "$img" --created "$created" --author "$AUTHOR" \
    --history.created "$created" --history.author "$AUTHOR" \
    --history.created_by "LABEL/ENV (dci sample v$n config)" \
    --clear=config.labels --clear=config.env \
    --config.label "org.opencontainers.image.title=$title" \
    --config.label "org.opencontainers.image.version=$n" \
    --config.label "maintainer=$AUTHOR" \
    --config.label dci.sample.added-in=v2 \
    --config.env "PATH=$BASE_PATH" --config.env "APP_MODE=v$n" --config.env LANG=C.UTF-8
}

# tree_listing ROOTFS > FILE: "path<TAB>type<TAB>mode<TAB>uid<TAB>gid<TAB>size<TAB>link<TAB>sha256"
# (no mtimes), sorted by path; regular files carry their sha256.
tree_listing() {
  local root="$1"
  LC_ALL=C join -t $'\t' -a 1 -e - -o '1.1,1.2,1.3,1.4,1.5,1.6,1.7,2.2' \
    <(cd "$root" && find . -mindepth 1 -printf '%P\t%y\t%#m\t%U\t%G\t%s\t%l\n' | LC_ALL=C sort -t $'\t' -k1,1) \
    <(cd "$root" && find . -mindepth 1 -type f -print0 | xargs -0 -r sha256sum |
        sed -E 's/^([0-9a-f]{64})  \.\/(.*)$/\2\t\1/' | LC_ALL=C sort -t $'\t' -k1,1) |
    awk -F'\t' -v OFS='\t' '{ if ($2 == "d") $6 = "-"; if ($7 == "") $7 = "-"; print }'
}
# tree_diff OLD_LISTING NEW_LISTING: "A path", "D path", "M path fields..." (directories:
# size and mtime ignored; a path whose type changed is reported as D + A).
tree_diff() {
  LC_ALL=C awk -F'\t' '
    NR == FNR { old[$1] = $0; next }
    { seen[$1] = 1
      if (!($1 in old)) { print "A\t" $1 "\t" $2; next }
      split(old[$1], o, "\t"); n = split($0, c, "\t")
      if (o[2] != c[2]) { print "D\t" $1 "\t" o[2]; print "A\t" $1 "\t" c[2]; next }
      what = ""
      if (o[3] != c[3]) what = what " mode:" o[3] "->" c[3]
      if (o[4] != c[4] || o[5] != c[5]) what = what " owner:" o[4] ":" o[5] "->" c[4] ":" c[5]
      if (o[7] != c[7]) what = what " link:" o[7] "->" c[7]
      if (o[8] != c[8] || o[6] != c[6]) what = what " content"
      if (what != "") print "M\t" $1 "\t" c[2] "\t" substr(what, 2) }
    END { for (p in old) if (!(p in seen)) { split(old[p], o, "\t"); print "D\t" p "\t" o[2] } }
  ' "$1" "$2" | LC_ALL=C sort -t $'\t' -k2,2 -k1,1
}

# top_layer_blob LAYOUT TAG: path of the last layer blob of TAG
top_layer_blob() {
  local mdig; mdig=$(manifest_digest "$1" "$2")
  local ldig; ldig=$(jq -r '.layers[-1].digest' "$1/blobs/sha256/${mdig#sha256:}")
  printf '%s/blobs/sha256/%s\n' "$1" "${ldig#sha256:}"
}
manifest_digest() {
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}
# layer_listing BLOB: verbose listing; tolerates umoci insert's missing end blocks.
layer_listing() {
  gzip -dc "$1" | tar --numeric-owner -tvf - 2>&1 | sed -E 's/^tar: /#tar: /' || true
}

# ------------------------------------------------------------------ debian:v1
log "debian-v1: mmdebstrap minbase $SUITE"
umoci init --layout "$L"
umoci new --image "$L:debian-v1"
umoci unpack --image "$L:debian-v1" "$S/b-v1" >/dev/null
bootstrap "$S/b-v1/rootfs"
log "debian-v1: umoci repack ($(du -sm "$S/b-v1/rootfs" | cut -f1) MB rootfs)"
umoci repack --image "$L:debian-v1" \
  --history.created "$T_V1" --history.author "$AUTHOR" \
  --history.created_by "mmdebstrap --variant=minbase --mode=root --format=directory $SUITE ROOTFS $MIRROR" \
  --history.comment "Debian $SUITE minbase root filesystem" "$S/b-v1"
config_v1 "$L:debian-v1" dci-sample
safe_rm "$S/b-v1"

# ------------------------------------------------------------------ debian:v2
log "debian-v2: unpack v1, apt-get install ${V2_PACKAGES[*]}, edit/delete/add files"
umoci unpack --image "$L:debian-v1" "$S/b-v2" >/dev/null
apply_v2_changes "$S/b-v2/rootfs"
umoci repack --image "$L:debian-v2" \
  --history.created "$T_V2" --history.author "$AUTHOR" \
  --history.created_by "apt-get install ${V2_PACKAGES[*]}; edit etc/adduser.conf; chmod 0640 etc/motd; rm usr/share/doc/gzip/TODO; rm -r usr/share/doc/hostname; add etc/dci-sample-release opt/dci-sample/" \
  --history.comment "dci sample v2 changes" "$S/b-v2"
config_vn "$L:debian-v2" dci-sample 2 "$T_V2"
safe_rm "$S/b-v2"

# ------------------------------------------------------------------ debian:v3
log "debian-v3: umoci insert --opaque etc/apt/apt.conf.d"
mkdir -p "$S/v3-src"
printf '// dci-sample v3: this directory replaces the whole lower etc/apt/apt.conf.d\nAPT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
  >"$S/v3-src/99dci-sample"
chown -R 0:0 "$S/v3-src"; chmod 0755 "$S/v3-src"; chmod 0644 "$S/v3-src/99dci-sample"
touch -d "@$SOURCE_DATE_EPOCH" "$S/v3-src/99dci-sample" "$S/v3-src"
umoci insert --image "$L:debian-v2" --tag debian-v3 --opaque \
  --history.created "$T_V3" --history.author "$AUTHOR" \
  --history.created_by "umoci insert --opaque SRC /etc/apt/apt.conf.d" \
  --history.comment "opaque whiteout: replace etc/apt/apt.conf.d" \
  "$S/v3-src" /etc/apt/apt.conf.d
config_vn "$L:debian-v3" dci-sample 3 "$T_V3"

V3_LAYER="$(top_layer_blob "$L" debian-v3)"
layer_listing "$V3_LAYER" >"$N/expected/debian-v3.top-layer.txt"
grep -q 'etc/apt/apt.conf.d/\.wh\.\.wh\.\.opq$' "$N/expected/debian-v3.top-layer.txt" ||
  die "v3 top layer has no etc/apt/apt.conf.d/.wh..wh..opq entry (see expected/debian-v3.top-layer.txt)"
grep -q 'etc/apt/apt.conf.d/99dci-sample$' "$N/expected/debian-v3.top-layer.txt" ||
  die "v3 top layer lacks etc/apt/apt.conf.d/99dci-sample"
V2_LAYER="$(top_layer_blob "$L" debian-v2)"
layer_listing "$V2_LAYER" >"$N/expected/debian-v2.top-layer.txt"
for wh in usr/share/doc/gzip/.wh.TODO usr/share/doc/.wh.hostname; do
  grep -q " $wh\$" "$N/expected/debian-v2.top-layer.txt" || die "v2 top layer lacks whiteout $wh"
done

# ------------------------------------------------------------------ big:v1 / big:v2
log "big-v1: mmdebstrap minbase + $BIG_PACKAGES"
umoci new --image "$L:big-v1"
umoci unpack --image "$L:big-v1" "$S/b-big1" >/dev/null
bootstrap "$S/b-big1/rootfs" --include="$BIG_PACKAGES"
log "big-v1: umoci repack ($(du -sm "$S/b-big1/rootfs" | cut -f1) MB rootfs)"
umoci repack --image "$L:big-v1" \
  --history.created "$T_V1" --history.author "$AUTHOR" \
  --history.created_by "mmdebstrap --variant=minbase --mode=root --format=directory --include=$BIG_PACKAGES $SUITE ROOTFS $MIRROR" \
  --history.comment "Debian $SUITE minbase + $BIG_PACKAGES" "$S/b-big1"
config_v1 "$L:big-v1" dci-sample-big
safe_rm "$S/b-big1"
log "big-v2: v2-style changes on big-v1"
umoci unpack --image "$L:big-v1" "$S/b-big2" >/dev/null
apply_v2_changes "$S/b-big2/rootfs"
umoci repack --image "$L:big-v2" \
  --history.created "$T_V2" --history.author "$AUTHOR" \
  --history.created_by "same changes as debian-v2" --history.comment "dci sample big v2 changes" "$S/b-big2"
config_vn "$L:big-v2" dci-sample-big 2 "$T_V2"
safe_rm "$S/b-big2"

# umoci writes blobs and index.json with mode 0600; let non-root tests read them.
chmod -R a+rX "$L"

# ------------------------------------------------------------------ reference unpacks
for v in 1 2 3; do
  log "refs/debian-v$v: umoci unpack"
  umoci unpack --image "$L:debian-v$v" "$N/refs/debian-v$v" >/dev/null
  tree_listing "$N/refs/debian-v$v/rootfs" >"$N/expected/debian-v$v.tree.tsv"
done
tree_diff "$N/expected/debian-v1.tree.tsv" "$N/expected/debian-v2.tree.tsv" >"$N/expected/debian-v1-to-v2.diff.txt"
tree_diff "$N/expected/debian-v2.tree.tsv" "$N/expected/debian-v3.tree.tsv" >"$N/expected/debian-v2-to-v3.diff.txt"

# ------------------------------------------------------------------ skopeo copies
SK=(skopeo --insecure-policy)
for v in 1 2 3; do
  log "archives/debian-v$v.oci-archive.tar"
  "${SK[@]}" copy -q "oci:$L:debian-v$v" "oci-archive:$N/archives/debian-v$v.oci-archive.tar:dci/debian:v$v" </dev/null
done
for v in 1 2; do
  log "archives/debian-v$v.docker-archive.tar"
  "${SK[@]}" copy -q "oci:$L:debian-v$v" "docker-archive:$N/archives/debian-v$v.docker-archive.tar:dci/debian:v$v" </dev/null
  log "layout-zstd:debian-v$v"
  "${SK[@]}" copy -q --dest-compress --dest-compress-format zstd \
    "oci:$L:debian-v$v" "oci:$LZ:debian-v$v" </dev/null
done
chmod -R a+rX "$N/archives" "$LZ"
for v in 1 2; do
  mt=$(jq -r '[.layers[].mediaType] | unique | join(",")' "$LZ/blobs/sha256/$(manifest_digest "$LZ" "debian-v$v" | cut -d: -f2)")
  [[ $mt == application/vnd.oci.image.layer.v1.tar+zstd ]] || die "layout-zstd:debian-v$v has layer media types $mt"
done
# zstd layers must decompress to the config's diff_ids
for v in 1 2; do
  md=$(manifest_digest "$LZ" "debian-v$v")
  cfg=$(jq -r .config.digest "$LZ/blobs/sha256/${md#sha256:}")
  mapfile -t zl < <(jq -r '.layers[].digest' "$LZ/blobs/sha256/${md#sha256:}")
  mapfile -t dids < <(jq -r '.rootfs.diff_ids[]' "$LZ/blobs/sha256/${cfg#sha256:}")
  [[ ${#zl[@]} -eq ${#dids[@]} ]] || die "layout-zstd:debian-v$v: layer count != diff_id count"
  for i in "${!zl[@]}"; do
    got="sha256:$(zstd -dcq "$LZ/blobs/sha256/${zl[$i]#sha256:}" | sha256sum | cut -d' ' -f1)"
    [[ $got == "${dids[$i]}" ]] || die "layout-zstd:debian-v$v layer $i decompresses to $got, config says ${dids[$i]}"
  done
done
tar -xOf "$N/archives/debian-v2.docker-archive.tar" manifest.json | jq -e '.[0].RepoTags == ["docker.io/dci/debian:v2"]' >/dev/null ||
  die "docker-archive of v2 lacks RepoTags docker.io/dci/debian:v2"

# ------------------------------------------------------------------ summary
log "writing summary"
{
  echo "# dci sample images; generated by $SCRIPT_NAME (sha256 $SCRIPT_SHA)"
  echo "DCI_SAMPLES_MIRROR=$MIRROR"
  for t in debian-v1 debian-v2 debian-v3 big-v1 big-v2; do
    k=$(echo "$t" | tr 'a-z-' 'A-Z_')
    md=$(manifest_digest "$L" "$t")
    mf="$L/blobs/sha256/${md#sha256:}"
    echo "${k}_MANIFEST=$md"
    echo "${k}_CONFIG=$(jq -r .config.digest "$mf")"
    echo "${k}_LAYERS=$(jq -r '[.layers[].digest] | join(",")' "$mf")"
    echo "${k}_TOP_LAYER=$(jq -r '.layers[-1].digest' "$mf")"
  done
  for t in debian-v1 debian-v2; do
    k=$(echo "$t" | tr 'a-z-' 'A-Z_')
    echo "${k}_ZSTD_MANIFEST=$(manifest_digest "$LZ" "$t")"
  done
} >"$N/samples.env"

declare -A TAR_SIZE=()
human() { numfmt --to=iec-i --suffix=B "$1"; }
{
  echo "dci sample images in $OUT  (script sha256 $SCRIPT_SHA)"
  echo "mirror: $MIRROR   built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "OCI layout layout/ (gzip layers):"
  for t in debian-v1 debian-v2 debian-v3 big-v1 big-v2; do
    md=$(manifest_digest "$L" "$t"); mf="$L/blobs/sha256/${md#sha256:}"
    printf '  %-10s manifest %s\n' "$t" "$md"
    while read -r d s; do
      if [[ -z ${TAR_SIZE[$d]:-} ]]; then
        TAR_SIZE[$d]=$( (gzip -dc "$L/blobs/sha256/${d#sha256:}" 2>/dev/null || true) | wc -c)
      fi
      u=${TAR_SIZE[$d]}
      printf '             layer %s  %9s gz  %9s tar\n' "$d" "$(human "$s")" "$(human "$u")"
    done < <(jq -r '.layers[] | "\(.digest) \(.size)"' "$mf")
  done
  echo
  echo "OCI layout layout-zstd/ (zstd layers):"
  for t in debian-v1 debian-v2; do
    printf '  %-10s manifest %s\n' "$t" "$(manifest_digest "$LZ" "$t")"
  done
  echo
  echo "archives/ (manifest digest per skopeo inspect --raw):"
  for f in "$N"/archives/*.tar; do
    b=$(basename "$f")
    case $b in
      *.oci-archive.tar) ref="oci-archive:$f" ;;
      *) ref="docker-archive:$f" ;;
    esac
    printf '  %-32s %8s  %s\n' "$b" "$(human "$(stat -c %s "$f")")" \
      "sha256:$("${SK[@]}" inspect --raw "$ref" | sha256sum | cut -d' ' -f1)"
  done
  echo
  echo "refs/ (umoci unpack bundles):"
  for v in 1 2 3; do
    printf '  refs/debian-v%s/rootfs  %s entries\n' "$v" "$(wc -l <"$N/expected/debian-v$v.tree.tsv")"
  done
  echo
  echo "expected/: v1->v2 diff $(wc -l <"$N/expected/debian-v1-to-v2.diff.txt") lines, v2->v3 diff $(wc -l <"$N/expected/debian-v2-to-v3.diff.txt") lines"
  echo "total size: $(du -sh --apparent-size "$N" | cut -f1)"
} >"$N/summary.txt"

# ------------------------------------------------------------------ publish
safe_rm "$S"
printf '%s  %s\n' "$SCRIPT_SHA" "$SCRIPT_NAME" >"$N/.stamp"
if [[ -e $OUT ]]; then
  OLD="$(mktemp -d "$PARENT/.$BASE.old.XXXXXX")"
  mv -T "$OUT" "$OLD/prev"
  mv -T "$N" "$OUT"
  log "published $OUT; removing the previous cache"
  safe_rm "$OLD"
else
  mv -T "$N" "$OUT"
  log "published $OUT"
fi
cat "$OUT/summary.txt"
log "done in $(( $(date +%s) - START_TS ))s"
