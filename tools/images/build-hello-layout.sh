#!/bin/sh
# Build the hello WASI image as an OCI image layout, with tools we did not write:
# clang-16 + wasi-libc compile tools/images/hello/hello.c, umoci packs it.
#
#   tools/images/build-hello-layout.sh OUTDIR [TAG]        (TAG defaults to "latest")
#
# The image: one gzip tar layer holding /hello.wasm and /share/hello/message.txt; config
# os=wasip1 architecture=wasm (Go's GOOS/GOARCH for WASI preview 1, as image-spec recommends),
# Entrypoint ["/hello.wasm"], Cmd ["world"], Env GREETING and HELLO_FILE (the message file, so a run
# shows the module reading its own image root), WorkingDir "/".
# OUTDIR may already be a layout: the tag is (re)written, other tags are kept.
# Run it: magikrun run oci:OUTDIR:TAG
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 OUTDIR [TAG]" >&2; exit 2; fi
out=$1
tag=${2:-latest}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v umoci >/dev/null 2>&1; then echo "$0: umoci not found: apt-get install umoci" >&2; exit 1; fi
rootless=
if [ "$(id -u)" != 0 ]; then rootless=--rootless; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/magikrun-hello-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

"$here/build-hello-wasm.sh" "$work/hello.wasm"

[ -e "$out/oci-layout" ] || umoci init --layout "$out"
umoci rm --image "$out:$tag" 2>/dev/null || true
umoci new --image "$out:$tag"
# umoci refuses to unpack a non-Linux image, so the files go in while the config still says linux;
# the platform is set afterwards. (umoci 0.4.7's `insert` writes a tar without its end blocks, so
# unpack + repack is used instead.)
umoci unpack $rootless --image "$out:$tag" "$work/bundle" >/dev/null
install -m 0755 "$work/hello.wasm" "$work/bundle/rootfs/hello.wasm"
mkdir -p "$work/bundle/rootfs/share/hello"
printf '%s\n' "this file was read from the image's own root filesystem" > "$work/bundle/rootfs/share/hello/message.txt"
umoci repack --image "$out:$tag" "$work/bundle"
umoci config --image "$out:$tag" --no-history \
  --os wasip1 --architecture wasm \
  --config.entrypoint /hello.wasm --config.cmd world \
  --config.env 'GREETING=hello from magikrun' \
  --config.env 'HELLO_FILE=/share/hello/message.txt' \
  --config.workingdir / \
  --config.label 'org.opencontainers.image.title=magikrun hello (WASI)'
umoci gc --layout "$out"
echo "oci:$out:$tag"
