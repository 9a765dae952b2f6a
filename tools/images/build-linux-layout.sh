#!/bin/sh
# Build a small linux image (host architecture) with umoci: one gzip tar layer holding a shell script
# /bin/hello.sh and /etc/image-variant. It is not WebAssembly: tests use it as the Linux entry of a
# multi-platform index and as "an image whose layer is not wasm".
#
#   tools/images/build-linux-layout.sh OUTDIR [TAG]        (TAG defaults to "linux")
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 OUTDIR [TAG]" >&2; exit 2; fi
out=$1
tag=${2:-linux}
if ! command -v umoci >/dev/null 2>&1; then echo "$0: umoci not found: apt-get install umoci" >&2; exit 1; fi
rootless=
if [ "$(id -u)" != 0 ]; then rootless=--rootless; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/magikrun-linux-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

[ -e "$out/oci-layout" ] || umoci init --layout "$out"
umoci rm --image "$out:$tag" 2>/dev/null || true
umoci new --image "$out:$tag"
umoci unpack $rootless --image "$out:$tag" "$work/bundle" >/dev/null
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/etc"
printf '#!/bin/sh\necho "hello from the linux variant"\n' > "$work/bundle/rootfs/bin/hello.sh"
chmod 0755 "$work/bundle/rootfs/bin/hello.sh"
echo linux > "$work/bundle/rootfs/etc/image-variant"
umoci repack --image "$out:$tag" "$work/bundle"
umoci config --image "$out:$tag" --no-history --config.entrypoint /bin/hello.sh --config.env 'VARIANT=linux'
umoci gc --layout "$out"
echo "oci:$out:$tag"
