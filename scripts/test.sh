#!/usr/bin/env bash
# The test command: installs what is missing, builds, makes (or reuses) the
# real sample images, and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export DCI_SAMPLES_DIR="${DCI_SAMPLES_DIR:-/var/cache/dci/samples}"
bash scripts/make-sample-images.sh "$DCI_SAMPLES_DIR"
# The RPM sample: packages built, installed, upgraded and erased by rpm.
bash scripts/make-rpm-image.sh "$DCI_SAMPLES_DIR/rpm"
# The Node.js interop client's packages (@grpc/grpc-js, @grpc/proto-loader).
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
cd build
ctest --output-on-failure --timeout 900 -j2
