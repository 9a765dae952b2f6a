#!/bin/sh
# Build the busybox test image with umoci from Debian's busybox-static: /bin/busybox plus a symlink per
# applet, /etc/passwd and /etc/group with root, nobody and an unprivileged user "app" (1000:1000),
# /tmp (1777), /home/app, and a device node /dev/image-null (char 1:3) that the image carries (a
# container's /dev is a fresh tmpfs, so it must not show up there; the device-rule tests derive an image
# with a node the rules deny). One gzip tar layer. Config: Cmd
# ["sh"], Env PATH and IMAGE_VAR=from-image, WorkingDir /home/app, StopSignal SIGTERM.
#
#   tools/images/build-busybox-layout.sh OUTDIR [TAG]        (TAG defaults to "busybox")
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 OUTDIR [TAG]" >&2; exit 2; fi
out=$1
tag=${2:-busybox}
for t in umoci busybox; do
  command -v $t >/dev/null 2>&1 || { echo "$0: $t not found: apt-get install umoci busybox-static" >&2; exit 1; }
done
bb=/bin/busybox
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' && ! ldd "$bb" 2>&1 | grep -q 'not a dynamic'; then
  echo "$0: $bb is not statically linked: apt-get install busybox-static" >&2; exit 1
fi
rootless=
if [ "$(id -u)" != 0 ]; then rootless=--rootless; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/magikrun-busybox-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

[ -e "$out/oci-layout" ] || umoci init --layout "$out"
umoci rm --image "$out:$tag" 2>/dev/null || true
umoci new --image "$out:$tag"
umoci unpack $rootless --image "$out:$tag" "$work/bundle" >/dev/null
r=$work/bundle/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/home/app" "$r/root" "$r/dev" "$r/proc" "$r/sys"
cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
done
chmod 1777 "$r/tmp"
chmod 0700 "$r/root"
cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$r/etc/group" <<'G'
root:x:0:
app:x:1000:
users:x:100:app
nogroup:x:65534:
G
[ -n "$rootless" ] || chown 1000:1000 "$r/home/app"
# A device node the image carries (root only: mknod needs CAP_MKNOD).
[ -n "$rootless" ] || mknod -m 0666 "$r/dev/image-null" c 1 3
umoci repack --image "$out:$tag" "$work/bundle"
umoci config --image "$out:$tag" --no-history \
  --config.cmd sh \
  --config.env 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --config.env 'IMAGE_VAR=from-image' \
  --config.workingdir /home/app \
  --config.stopsignal SIGTERM \
  --config.label 'org.opencontainers.image.title=magikrun busybox test image'
umoci gc --layout "$out"
echo "oci:$out:$tag"
