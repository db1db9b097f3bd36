#!/usr/bin/env bash
# Makes a small RPM-based image with rpm itself, for the inventory tests:
#
#   make-rpm-image.sh OUT
#
# Three packages are built with rpmbuild (dci-conf with a %config file, in
# versions 1.0 and 2.0; dci-epoch with an epoch; dci-gone) and installed
# with `rpm --root ROOT --dbpath /var/lib/rpm` (rpm 4.18: rpmdb.sqlite):
#
#   OUT/roots/v1  dci-conf 1.0, dci-epoch, dci-gone installed
#   OUT/roots/v2  v1, then dci-conf upgraded to 2.0 and dci-gone erased
#   OUT/roots/v3  v2 with etc/dci-test.conf edited by hand, and accounts
#                 (etc/passwd, etc/shadow with a real password hash)
#   OUT/layout    an OCI layout (umoci) with tags rpm-v1, rpm-v2, rpm-v3,
#                 one layer per step
#   OUT/expected/rpm-vN.qa.tsv  `rpm -qa` of each root: name, epoch, version,
#                 release, arch (epoch and arch "(none)" printed as "")
#
# OUT is made afresh when this script changes (a stamp holds its sha256).
# Needs rpm, rpmbuild (package rpm), umoci and openssl; run as root (umoci keeps file
# owners only then).
set -euo pipefail

OUT="${1:?usage: make-rpm-image.sh OUT}"
SCRIPT_SHA="$(sha256sum "$0" | cut -d' ' -f1)"
if [[ -f $OUT/.stamp && "$(cat "$OUT/.stamp")" == "$SCRIPT_SHA" ]]; then
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"/{roots,expected,work/specs}
W="$OUT/work"
cd "$W"

cat >specs/conf.spec <<'EOF'
Name: dci-conf
Version: %{ver}
Release: 1
Summary: dci test package with a config file
License: MIT
Packager: DCI Tests <tests@example.invalid>
BuildArch: noarch
%global debug_package %{nil}
%description
Test package.
%install
mkdir -p %{buildroot}/etc %{buildroot}/usr/share/dci-conf
printf 'version=%{ver}\n' > %{buildroot}/etc/dci-test.conf
printf 'data %{ver}\n' > %{buildroot}/usr/share/dci-conf/data.txt
%files
%config(noreplace) /etc/dci-test.conf
/usr/share/dci-conf
EOF
cat >specs/epoch.spec <<'EOF'
Name: dci-epoch
Epoch: 3
Version: 1.5
Release: 2.el9
Summary: dci test package with an epoch
License: GPL-2.0-or-later
Vendor: DCI Vendor
%global debug_package %{nil}
%description
Test package.
%install
mkdir -p %{buildroot}/opt/dci
printf 'x' > %{buildroot}/opt/dci/one
printf 'y' > %{buildroot}/opt/dci/two
%files
/opt/dci
EOF
cat >specs/gone.spec <<'EOF'
Name: dci-gone
Version: 0.1
Release: 1
Summary: dci test package that is erased
License: MIT
BuildArch: noarch
%description
Test package.
%install
mkdir -p %{buildroot}/etc
printf 'gone\n' > %{buildroot}/etc/dci-gone.conf
%files
%config /etc/dci-gone.conf
EOF

build() { rpmbuild -bb --define "_topdir $W/top" "$@" >/dev/null 2>&1; }
build --define 'ver 1.0' specs/conf.spec
build --define 'ver 2.0' specs/conf.spec
build specs/epoch.spec
build specs/gone.spec
R="$W/top/RPMS"

rpm_in() {  # rpm_in ROOT ARGS...
  local root="$1"; shift
  rpm --root "$root" --dbpath /var/lib/rpm --nodeps --force-debian "$@"
}
qa() {  # qa ROOT: sorted rpm -qa as the expected files hold it
  rpm --root "$1" --dbpath /var/lib/rpm -qa \
    --qf '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n' |
    sed 's/(none)//g' | LC_ALL=C sort
}

V1="$OUT/roots/v1" V2="$OUT/roots/v2" V3="$OUT/roots/v3"
mkdir -p "$V1"
rpm --root "$V1" --dbpath /var/lib/rpm --initdb
rpm_in "$V1" -i "$R"/noarch/dci-conf-1.0-1.noarch.rpm
rpm_in "$V1" -i "$R"/*/dci-epoch-1.5-2.el9.*.rpm
rpm_in "$V1" -i "$R"/noarch/dci-gone-0.1-1.noarch.rpm
cp -a "$V1" "$V2"
rpm_in "$V2" -U "$R"/noarch/dci-conf-2.0-1.noarch.rpm
rpm_in "$V2" -e dci-gone
cp -a "$V2" "$V3"
printf 'version=2.0\nlocal=edited\n' >"$V3/etc/dci-test.conf"
# Accounts: a real SHA-512 crypt hash (openssl passwd -6), a locked one, a
# disabled one, one without a shadow entry. dci must keep only the states.
HASH="$(openssl passwd -6 -salt dcisalt12345678 dci-secret)"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'alice:x:1000:1000::/home/alice:/bin/sh' \
  'bob:x:1001:1001::/home/bob:/bin/sh' 'svc:x:999:999::/:/sbin/nologin' \
  'ghost:x:1002:1002::/:/bin/sh' >"$V3/etc/passwd"
printf '%s\n' 'root:*:19000:0:99999:7:::' "alice:$HASH:19000:0:99999:7:::" \
  'bob:!$6$old$x:19000:0:99999:7:::' 'svc:!:19000::::::' >"$V3/etc/shadow"
chmod 0640 "$V3/etc/shadow"
echo "$HASH" >"$OUT/expected/alice.hash"
for v in 1 2 3; do qa "$OUT/roots/v$v" >"$OUT/expected/rpm-v$v.qa.tsv"; done

# One layer per step: each tag is unpacked, replaced by the next root, and
# repacked, so umoci records only what changed.
L="$OUT/layout"
umoci init --layout "$L"
umoci new --image "$L:rpm-v1"
prev=rpm-v1
for v in 1 2 3; do
  b="$W/bundle-$v"
  umoci unpack --image "$L:$prev" "$b" >/dev/null
  rm -rf "$b/rootfs"
  cp -a "$OUT/roots/v$v" "$b/rootfs"
  umoci repack --image "$L:rpm-v$v" --history.created_by "dci rpm sample v$v" "$b"
  umoci config --image "$L:rpm-v$v" --config.label "dci.sample=rpm-v$v" \
    --config.label "org.opencontainers.image.version=$v" >/dev/null
  prev="rpm-v$v"
done
chmod -R a+rX "$OUT"
rm -rf "$W"
echo "$SCRIPT_SHA" >"$OUT/.stamp"
