#!/bin/sh
# Makes the BerkeleyDB `Packages` fixtures beside this script with Berkeley
# DB's own db5.3_load (Debian package db5.3-util), so that rpm_test.cc checks
# dci's reader against files written by the real library, in layouts the
# shared testdata lacks:
#   bdb-be-16k/Packages       big-endian, 16 KiB pages: the two small headers
#                             sit in hash pages (H_KEYDATA), the two larger
#                             ones on overflow pages (H_OFFPAGE).
#   bdb-le-chksum-512/Packages little-endian, page checksums, 512-byte pages:
#                             long overflow chains.
# Both hold rpm's key-0 record (next header instance) and the first four
# headers (hnum 1-4) of ../shared/testdata/rpm-sqlite/chunkah-filesystem-setup.
# Debian's rpm (_db_backend bdb_ro) reads bdb-be-16k; it rejects databases
# with page checksums, which rpm never creates.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../../../shared/testdata/rpm-sqlite/chunkah-filesystem-setup/usr/lib/sysimage/rpm/rpmdb.sqlite}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$src" "$tmp" <<'PY'
import sqlite3, struct, sys
src, tmp = sys.argv[1], sys.argv[2]
db = sqlite3.connect('file:%s?immutable=1' % src, uri=True)
rows = db.execute('SELECT hnum, blob FROM Packages WHERE hnum <= 4 ORDER BY hnum').fetchall()
def esc(b):  # db_load -T: printable bytes as is, others as \xx
    return ''.join('\\%02x' % c if c < 0x20 or c > 0x7e or c == 0x5c else chr(c) for c in b)
for order, name in (('<', 'le'), ('>', 'be')):
    with open('%s/%s.txt' % (tmp, name), 'w') as f:
        f.write(esc(struct.pack(order + 'I', 0)) + '\n' + esc(struct.pack(order + 'I', 5)) + '\n')
        for hnum, blob in rows:
            f.write(esc(struct.pack(order + 'I', hnum)) + '\n' + esc(blob) + '\n')
PY
mkdir -p "$here/bdb-be-16k" "$here/bdb-le-chksum-512"
rm -f "$here/bdb-be-16k/Packages" "$here/bdb-le-chksum-512/Packages"
db5.3_load -T -t hash -c db_lorder=4321 -c db_pagesize=16384 \
  "$here/bdb-be-16k/Packages" < "$tmp/be.txt"
db5.3_load -T -t hash -c db_lorder=1234 -c db_pagesize=512 -c chksum=1 \
  "$here/bdb-le-chksum-512/Packages" < "$tmp/le.txt"
