#!/bin/sh
# Push an image from an OCI layout to a registry on 127.0.0.1 with skopeo, over plain HTTP.
#
#   tools/images/push.sh oci:DIR:TAG 127.0.0.1:PORT/NAME:TAG [SKOPEO_COPY_FLAGS…]
#
# Useful flags: --format v2s2 (convert to Docker schema 2), --all (an index and all its images),
# --preserve-digests (fail rather than change a digest).
set -eu
if [ $# -lt 2 ]; then echo "usage: $0 oci:DIR:TAG HOST:PORT/NAME:TAG [skopeo copy flags]" >&2; exit 2; fi
src=$1; dest=$2; shift 2
case "$dest" in
  127.0.0.1:*|localhost:*) ;;
  *) echo "$0: refusing to push to $dest: only 127.0.0.1 registries" >&2; exit 2 ;;
esac
if ! command -v skopeo >/dev/null 2>&1; then echo "$0: skopeo not found: apt-get install skopeo" >&2; exit 1; fi
exec skopeo --insecure-policy copy --quiet --dest-tls-verify=false "$@" "$src" "docker://$dest"
