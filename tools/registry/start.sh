#!/bin/sh
# Start Debian's docker-registry on 127.0.0.1 on a free port, storage in a temporary directory.
# Prints 127.0.0.1:PORT on stdout; the pid, address and storage path go to $STATE/registry.json
# (STATE: --state DIR, else $MAGIKRUN_REGISTRY_STATE, else ${TMPDIR:-/tmp}/magikrun-registry).
# Stop it with tools/registry/stop.sh (same --state).
set -eu
exec node "$(dirname "$0")/registry.mjs" start "$@"
