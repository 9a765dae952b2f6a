#!/bin/sh
# Install the `youki` command line (the 0.7 line, the same libcontainer magikrun's youki binding
# uses) for the lifecycle benchmark, from crates.io with cargo, into a cache outside the checkout:
#
#   cargo install youki --version '~0.7' --locked --features v1,v2,systemd,seccomp \
#         --root ~/.cache/magikrun-bench/youki
#
#   tools/bench/install-youki.sh            prints the path of the youki binary
#   (the cache directory is $MAGIKRUN_BENCH_CACHE, else ~/.cache/magikrun-bench)
#
# Only `pnpm bench` (tools/bench/lifecycle.mjs) calls this, never CI or a test. A second run finds
# the installed binary and returns at once. Needs libseccomp-dev and pkg-config (tools/setup.sh
# installs them). The 0.7 line's features (checked with `cargo info youki@0.7`): v1, v2, systemd,
# seccomp (libcontainer's libseccomp), cgroupsv2_devices, and the wasm handlers, which the
# benchmark does not need. The build uses its own target directory inside the cache, so it never
# touches the workspace's target/ (and a `cargo clean` there does not throw it away).
set -eu
cache=${MAGIKRUN_BENCH_CACHE:-$HOME/.cache/magikrun-bench}
root=$cache/youki
bin=$root/bin/youki
want='~0.7'

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -Eq 'version:? 0\.7\.'; then
  echo "$bin"
  exit 0
fi
command -v cargo >/dev/null 2>&1 || { echo "$0: cargo not found: install rustup (https://rustup.rs)" >&2; exit 1; }
command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libseccomp || {
  echo "$0: libseccomp development files not found: apt-get install libseccomp-dev pkg-config" >&2
  exit 1
}
# Two cores are shared: say so when another Rust build is running rather than silently competing.
if pgrep -x cargo >/dev/null 2>&1 || pgrep -x rustc >/dev/null 2>&1; then
  echo "$0: note: another cargo/rustc is running; this build will share the CPUs with it" >&2
fi
mkdir -p "$cache"
echo "$0: cargo install youki $want into $root (a few minutes on first run) ..." >&2
start=$(date +%s)
# Build from outside the checkout so that its rust-toolchain.toml does not apply; --locked uses the
# versions youki 0.7 was released with.
cd "$cache"
CARGO_TARGET_DIR=$cache/youki-target cargo install youki --version "$want" --locked \
  --no-default-features --features v1,v2,systemd,seccomp --root "$root" >&2
echo "$0: installed in $(( $(date +%s) - start ))s" >&2
"$bin" --version >&2
echo "$bin"
