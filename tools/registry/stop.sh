#!/bin/sh
# Stop the registry started by tools/registry/start.sh and delete its storage.
set -eu
exec node "$(dirname "$0")/registry.mjs" stop "$@"
