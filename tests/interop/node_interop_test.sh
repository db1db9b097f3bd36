#!/usr/bin/env bash
# Interop: a Node.js client (tests/interop/subscribe.js) subscribes to a real
# dcid with a cursor and must see exactly the expected events.
#   node_interop_test.sh BUILD_DIR TESTDATA_DIR
set -euo pipefail
build=$1; testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/@grpc/grpc-js" ]; then
  echo "FAIL: run 'npm ci --prefix tests/interop' first (scripts/test.sh does)"; exit 1
fi
layout="$testdata/oci/gcr-layout-test_index/layout"
work=$(mktemp -d /tmp/dci-interop.XXXXXX)
"$build/server/dcid" --db "$work/db" --listen 127.0.0.1:0 --port-file "$work/port" 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
addr="127.0.0.1:$(cat "$work/port")"
dci() { "$build/clients/cli/dci" --server "$addr" "$@" >/dev/null; }
dci index "oci:$layout:1" --tag app:1    # 1 IMAGE_INDEXED, 2 TAG_CREATED
dci index "oci:$layout:2" --tag app:1    # 3 IMAGE_INDEXED, 4 TAG_MOVED
# Replay after cursor 2, then one live event.
( sleep 1; dci index "oci:$layout:1" --tag app:2 ) &   # 5 TAG_CREATED
got=$(node "$here/subscribe.js" "$addr" 2 3)
wait %2 2>/dev/null || true
want='{"seq":"3","kind":"IMAGE_INDEXED","name":"app","tag":"1","image":"sha256:32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720","old_image":"","files_added":0}
{"seq":"4","kind":"TAG_MOVED","name":"app","tag":"1","image":"sha256:32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720","old_image":"sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650","files_added":2}
{"seq":"5","kind":"TAG_CREATED","name":"app","tag":"2","image":"sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650","old_image":"","files_added":0}'
if [ "$got" != "$want" ]; then
  echo "FAIL: the Node.js client saw:"; echo "$got"; echo "want:"; echo "$want"; exit 1
fi
echo "1 passed, 0 failed"
