#!/usr/bin/env bash
# The README's first command: set up a fresh machine (tools/setup.sh), build the embedded default image —
# a WASI program compiled from C by clang, packed by umoci into an OCI image layout, no registry or
# network needed — and run it with magikrun on wasmtime. Extra arguments go to the program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh >&2
layout=packages/cli/examples/hello
if [ ! -e "$layout/index.json" ]; then
  tools/images/build-hello-layout.sh "$layout" latest >/dev/null
fi
echo "==> magikrun run oci:$layout:latest ${*:-from the quick start}" >&2
exec node packages/cli/dist/bin.js run "oci:$layout:latest" "${@:-from the quick start}"
