#!/bin/sh
# Compile tools/images/hello/hello.c to a WASI preview 1 command module with clang-16 and Debian's
# wasi-libc (packages: clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32).
#
#   tools/images/build-hello-wasm.sh OUT.wasm
set -eu
if [ $# -ne 1 ]; then echo "usage: $0 OUT.wasm" >&2; exit 2; fi
CLANG=${CLANG:-clang-16}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "$0: $CLANG not found: apt-get install clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
"$CLANG" --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all "$here/hello/hello.c" -o "$1"
