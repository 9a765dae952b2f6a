#!/bin/sh
# Build the pull benchmark's image: a debootstrap Debian bookworm root (minbase plus python3, perl,
# git and curl, a few hundred MB) split by umoci into four gzip layers (everything outside /usr,
# /usr/lib, /usr/share, the rest of /usr). The rootfs and the finished layout are cached, so only the
# first run downloads and compresses.
#
#   tools/bench/build-debian-image.sh [CACHE_DIR]      prints the layout path; tag "bench"
#   (CACHE_DIR defaults to $MAGIKRUN_BENCH_CACHE, else ~/.cache/magikrun-bench)
set -eu
cache=${1:-${MAGIKRUN_BENCH_CACHE:-$HOME/.cache/magikrun-bench}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$cache/debian-rootfs
layout=$cache/debian-layout
tag=bench
for t in debootstrap umoci; do
  command -v $t >/dev/null 2>&1 || { echo "$0: $t not found: apt-get install $t" >&2; exit 1; }
done
mkdir -p "$cache"
if [ -e "$layout/.complete" ]; then echo "$layout"; exit 0; fi

if [ ! -e "$rootfs/.complete" ]; then
  rm -rf "$rootfs"
  echo "debootstrap bookworm into $rootfs (from $mirror) ..." >&2
  debootstrap --variant=minbase --include=python3,perl,git,curl bookworm "$rootfs" "$mirror" >&2
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb
  touch "$rootfs/.complete"
fi

rm -rf "$layout"
work=$(mktemp -d "${TMPDIR:-/tmp}/magikrun-bench-image-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
dst=$work/bundle/rootfs
layer() {
  echo "layer: $1" >&2
  umoci repack --refresh-bundle --image "$layout:$tag" "$work/bundle" >/dev/null
}
# 1: everything outside /usr (the merged-/usr symlinks /bin, /lib… dangle until the /usr layers)
(cd "$rootfs" && for e in * .[!.]*; do [ "$e" = usr ] || [ "$e" = .complete ] || [ ! -e "$e" ] && [ ! -L "$e" ] || cp -a "$e" "$dst/"; done)
layer 'outside /usr'
mkdir -p "$dst/usr"
cp -a "$rootfs/usr/lib" "$dst/usr/lib"; layer /usr/lib
cp -a "$rootfs/usr/share" "$dst/usr/share"; layer /usr/share
(cd "$rootfs/usr" && for e in *; do [ "$e" = lib ] || [ "$e" = share ] || cp -a "$e" "$dst/usr/"; done)
layer 'rest of /usr'
umoci config --image "$layout:$tag" --no-history --config.cmd /bin/bash
umoci gc --layout "$layout"
touch "$layout/.complete"
echo "$layout"
