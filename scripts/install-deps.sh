#!/usr/bin/env bash
# Installs the Debian 12 packages dci needs to build, test and make its
# sample images. Does nothing when they are all present.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build pkg-config g++ ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libarchive-dev libxxhash-dev libabsl-dev libspdlog-dev libsqlite3-dev
  libisal-dev libzstd-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libcurl4-openssl-dev
  # policies: YAML policy files, RE2 regexes
  libyaml-cpp-dev libre2-dev
  # sample images and references
  mmdebstrap umoci skopeo libarchive-tools zstd xxhash jq ca-certificates
  # second opinions for the package readers: rpm (and rpmbuild), gpg,
  # openssl (a password hash), sqlite3 (rpmdb.sqlite edits)
  rpm gpg openssl sqlite3
  # registry client tests: a real registry on 127.0.0.1, htpasswd
  docker-registry apache2-utils
  # container drift: dpkg-deb builds the test package (dpkg is essential);
  # aide is bench/run_drift.sh's reference, attr gives setfattr/getfattr
  aide attr
)

# Node.js and npm for the gRPC interop test, when the machine has none.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
  PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The docker-registry package enables a service with its default config,
# which listens on all interfaces (:5000). dci's tests start their own
# registry on 127.0.0.1 with their own config: keep the packaged one off.
if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/docker-registry ]; then
    /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
  fi
fi
