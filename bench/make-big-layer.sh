#!/usr/bin/env bash
# make-big-layer.sh DIR MIB: an OCI layout at DIR, tag "big", with one
# gzip layer of about MIB MiB of tar data (64 files of incompressible
# bytes), for the memory benchmark.
set -euo pipefail
dir=$1; mib=$2
rm -rf "$dir"; mkdir -p "$dir/blobs/sha256" "$dir/src/data"
per=$(( mib / 64 ))
for i in $(seq 1 64); do
  head -c $(( per * 1024 * 1024 )) /dev/urandom >"$dir/src/data/f$i"
done
tar -C "$dir/src" -cf "$dir/layer.tar" data
diff_id=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
gzip -1 -c "$dir/layer.tar" >"$dir/layer.tar.gz"
blob=$(sha256sum "$dir/layer.tar.gz" | cut -d' ' -f1)
size=$(stat -c %s "$dir/layer.tar.gz")
mv "$dir/layer.tar.gz" "$dir/blobs/sha256/$blob"
rm -rf "$dir/src" "$dir/layer.tar"
config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]}}"
printf '%s' "$config" >"$dir/config.json"
cdig=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
mv "$dir/config.json" "$dir/blobs/sha256/$cdig"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cdig\",\"size\":${#config}},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$blob\",\"size\":$size}]}"
printf '%s' "$manifest" >"$dir/manifest.json"
mdig=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$dir/manifest.json")
mv "$dir/manifest.json" "$dir/blobs/sha256/$mdig"
echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$mdig\",\"size\":$msize,\"annotations\":{\"org.opencontainers.image.ref.name\":\"big\"}}]}" >"$dir/index.json"
echo "$dir"
