#!/bin/sh
# Build the differential-unpack test image: a debootstrap Debian bookworm minbase root split by umoci
# into several gzip layers that exercise everything a layer applier must get right, plus one layer
# written by GNU tar (umoci only ever emits per-file whiteouts, never the opaque marker .wh..wh..opq).
#
#   1 base       the whole minbase root, plus: a setuid and a setgid file, a sticky and a setgid
#                directory, a hardlink group of three, a FIFO, a device node, files owned by 1000:1000
#                and 65534:65534, mode 0000 and 0600 files, an xattr (user.*) and a file capability
#                (security.capability, as setcap writes it), a file with a long name, deep directories
#   2 changes    deletions of lower files and whole lower trees (umoci: .wh.NAME), modified contents,
#                modes and owners, file → symlink, symlink → file, file → directory, a directory
#                removed, a new hardlink to a lower file, a dropped setuid bit
#   3 recreate   a lower directory removed and recreated with new content (rm -rf + mkdir: umoci writes
#                .wh.NAME for each old child, not an opaque marker); a file where layer 2 removed a
#                directory
#   4 opaque     GNU tar (not umoci) layer with .wh..wh..opq markers, one before and one after the new
#                siblings it must not hide, added verbatim with `umoci raw add-layer`
#
# A second, tiny image TAG-dir-to-file holds what umoci writes when one layer replaces a directory by a
# file: the file entry followed by a whiteout *under* it (d, d/.wh.inner). umoci's unpack ignores that
# whiteout (so does magikrun); containerd's os.RemoveAll fails on it with ENOTDIR.
#
#   tools/images/build-debian-layers.sh OUTDIR [TAG]     prints oci:OUTDIR:TAG (TAG defaults to "debian")
#
# The debootstrap root and the finished layout are cached under $MAGIKRUN_TEST_CACHE (default
# ~/.cache/magikrun-test); a cached layout built by another version of this script is rebuilt. Needs root
# (debootstrap, device nodes, owners), debootstrap, umoci, GNU tar and setfattr (apt-get install debootstrap
# umoci attr), and the Debian mirror ($DEBIAN_MIRROR, default http://deb.debian.org/debian) on a cold cache.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 OUTDIR [TAG]" >&2; exit 2; fi
out=$1
tag=${2:-debian}
cache=${MAGIKRUN_TEST_CACHE:-$HOME/.cache/magikrun-test}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "$(id -u)" != 0 ]; then echo "$0: needs root (debootstrap, device nodes, file owners)" >&2; exit 1; fi
for t in debootstrap:debootstrap umoci:umoci setfattr:attr tar:tar; do
  command -v "${t%%:*}" >/dev/null 2>&1 || { echo "$0: ${t%%:*} not found: apt-get install ${t#*:}" >&2; exit 1; }
done
mkdir -p "$cache"
base=$cache/debian-minbase
layout=$cache/debian-layers-layout
version=$(sha256sum "$0" | cut -c1-16)

if [ ! -e "$base/.complete" ]; then
  rm -rf "$base"
  echo "debootstrap --variant=minbase bookworm into $base (from $mirror) ..." >&2
  debootstrap --variant=minbase bookworm "$base" "$mirror" >&2
  rm -rf "$base/var/cache/apt/archives/"*.deb "$base/var/lib/apt/lists/"*_Packages
  touch "$base/.complete"
fi

if [ "$(cat "$layout/.complete" 2>/dev/null)" != "$version" ]; then
  rm -rf "$layout"
  work=$(mktemp -d "${TMPDIR:-/tmp}/magikrun-debian-layers-XXXXXX")
  trap 'rm -rf "$work"' EXIT INT TERM
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
  r=$work/bundle/rootfs
  layer() {
    echo "layer: $1" >&2
    umoci repack --refresh-bundle --image "$layout:$tag" "$work/bundle" >/dev/null
  }

  # 1 base
  (cd "$base" && for e in * .[!.]*; do [ "$e" = .complete ] || [ ! -e "$e" ] && [ ! -L "$e" ] || cp -a "$e" "$r/"; done)
  t=$r/opt/magikrun-test
  mkdir -p "$t/hardlinks" "$t/deep/a/b/c/d/e/f/g/h/i/j" "$t/owned" "$t/sticky" "$t/setgid-dir" "$t/recreate/old-sub" "$t/opaque-first/sub" "$t/opaque-after"
  cp "$r/usr/bin/true" "$t/suid-true"; chmod 4755 "$t/suid-true"
  cp "$r/usr/bin/true" "$t/sgid-true"; chmod 2755 "$t/sgid-true"
  cp "$r/usr/bin/true" "$t/suid-dropped"; chmod 4711 "$t/suid-dropped"
  chmod 1777 "$t/sticky"; chmod 2775 "$t/setgid-dir"
  echo 'one content, three names' > "$t/hardlinks/a"
  ln "$t/hardlinks/a" "$t/hardlinks/b"; ln "$t/hardlinks/a" "$t/hardlinks/c"
  mkfifo -m 0640 "$t/fifo"
  mknod -m 0666 "$t/null-device" c 1 3
  mknod -m 0600 "$t/block-device" b 7 200
  echo app > "$t/owned/app"; chown 1000:1000 "$t/owned/app" "$t/owned"
  echo nobody > "$t/owned/nobody"; chown 65534:65534 "$t/owned/nobody"
  echo secret > "$t/mode-0600"; chmod 0600 "$t/mode-0600"
  echo none > "$t/mode-0000"; chmod 0000 "$t/mode-0000"
  echo x > "$t/xattr-user"; setfattr -n user.magikrun -v differential "$t/xattr-user"
  # cap_net_bind_service+ep, the bytes setcap writes (VFS_CAP_REVISION_2).
  cp "$r/usr/bin/true" "$t/cap-true"; setfattr -n security.capability -v 0x0100000200040000000000000000000000000000 "$t/cap-true"
  echo deep > "$t/deep/a/b/c/d/e/f/g/h/i/j/file"
  long=$(printf 'n%.0s' $(seq 1 200))
  echo long > "$t/$long"
  echo 'to be replaced by a link' > "$t/file-to-symlink"
  ln -s ../etc/hostname "$t/symlink-to-file"
  mkdir -p "$t/dir-to-file/inner"; echo inner > "$t/dir-to-file/inner/x"
  echo 'becomes a directory' > "$t/file-to-dir"
  echo 'modified later' > "$t/modified"; echo 'mode changes' > "$t/chmod"; echo 'owner changes' > "$t/chown"
  echo old > "$t/recreate/old"; echo old > "$t/recreate/old-sub/x"
  echo lower > "$t/opaque-first/lower"; echo lower > "$t/opaque-first/sub/lower"; echo lower > "$t/opaque-after/lower"
  ln -s /etc/os-release "$t/absolute-symlink"; ln -s nowhere "$t/dangling-symlink"
  layer 'base: debootstrap minbase + special files'

  # 2 changes
  rm -rf "$r/usr/share/locale" "$r/usr/share/doc/"*/changelog.Debian.gz "$r/etc/motd"
  rm -f "$t/hardlinks/c"
  echo 'appended by layer 2' >> "$t/modified"
  chmod 0751 "$t/chmod"; chown 1000:100 "$t/chown"
  rm "$t/file-to-symlink"; ln -s modified "$t/file-to-symlink"
  rm "$t/symlink-to-file"; echo 'was a symlink' > "$t/symlink-to-file"
  rm -rf "$t/dir-to-file"
  rm "$t/file-to-dir"; mkdir "$t/file-to-dir"; echo inside > "$t/file-to-dir/inside"
  ln "$r/usr/bin/true" "$t/hardlink-to-lower"
  chmod 0755 "$t/suid-dropped"
  layer 'changes: deletions, type and metadata changes'

  # 3 recreate
  rm -rf "$t/recreate"; mkdir "$t/recreate"; echo new > "$t/recreate/new"
  echo 'was a directory' > "$t/dir-to-file"
  rm -rf "$r/etc/apt/apt.conf.d"; mkdir "$r/etc/apt/apt.conf.d"; echo 'APT::Install-Recommends "false";' > "$r/etc/apt/apt.conf.d/99magikrun"
  layer 'recreate: rm -rf + mkdir'

  # 4 opaque (GNU tar): opaque-first lists the marker before its new child, opaque-after after it.
  o=$work/opaque
  mkdir -p "$o/opt/magikrun-test/opaque-first" "$o/opt/magikrun-test/opaque-after"
  echo upper > "$o/opt/magikrun-test/opaque-first/upper"
  echo upper > "$o/opt/magikrun-test/opaque-after/upper"
  : > "$o/opt/magikrun-test/opaque-first/.wh..wh..opq"
  : > "$o/opt/magikrun-test/opaque-after/.wh..wh..opq"
  (cd "$o" && tar --format=pax --numeric-owner --owner=0 --group=0 --no-recursion -cf "$work/opaque.tar" \
    opt/ opt/magikrun-test/ \
    opt/magikrun-test/opaque-first/ opt/magikrun-test/opaque-first/.wh..wh..opq opt/magikrun-test/opaque-first/upper \
    opt/magikrun-test/opaque-after/ opt/magikrun-test/opaque-after/upper opt/magikrun-test/opaque-after/.wh..wh..opq)
  echo 'layer: opaque (GNU tar)' >&2
  umoci raw add-layer --history.created_by "GNU tar (opaque markers)" --image "$layout:$tag" "$work/opaque.tar"

  umoci config --image "$layout:$tag" --no-history --config.cmd /bin/bash

  # TAG-dir-to-file: a directory replaced by a file within one layer.
  umoci new --image "$layout:$tag-dir-to-file"
  umoci unpack --image "$layout:$tag-dir-to-file" "$work/small" >/dev/null
  mkdir -p "$work/small/rootfs/d/inner"; echo x > "$work/small/rootfs/d/inner/x"; echo y > "$work/small/rootfs/d/y"
  umoci repack --refresh-bundle --image "$layout:$tag-dir-to-file" "$work/small" >/dev/null
  rm -rf "$work/small/rootfs/d"; echo 'now a file' > "$work/small/rootfs/d"
  umoci repack --refresh-bundle --image "$layout:$tag-dir-to-file" "$work/small" >/dev/null
  umoci gc --layout "$layout"
  echo "$version" > "$layout/.complete"
fi

# Copy the cached layout (the caller may change or delete OUTDIR).
mkdir -p "$out"
cp -a "$layout/." "$out/"
rm -f "$out/.complete"
echo "oci:$out:$tag"
