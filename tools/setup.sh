#!/usr/bin/env bash
# Installs what magikrun's build and tests need on a fresh Debian 12 machine (run as root, or with sudo):
# Debian packages (registry, image tools, clang + wasi-libc), pnpm, the Rust toolchain from
# rust-toolchain.toml, the npm dependencies, then builds every package (the napi binding included).
# Each phase prints how long it took. Idempotent: a second run only re-checks.
set -euo pipefail
cd "$(dirname "$0")/.."

phase_start=0
phase() { phase_start=$(date +%s); echo "==> $1"; }
phase_end() { echo "==> $1 took $(( $(date +%s) - phase_start ))s"; }

APT_PACKAGES=(g++ make clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 docker-registry skopeo umoci busybox-static openssl apache2-utils ca-certificates zstd attr libseccomp-dev pkg-config runc iproute2 debootstrap)

phase "apt packages"
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
phase_end "apt packages"

phase "pnpm"
# zstd-napi (core's zstd decoder) builds with node-gyp where its prebuilt binary cannot be fetched;
# point node-gyp at the installed Node headers instead of a download.
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$(dirname "$(dirname "$(command -v node)")")/include/node/node.h" ]; then
  export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
fi
if ! command -v pnpm >/dev/null 2>&1; then npm install -g pnpm@10 >/dev/null; fi
pnpm --version
pnpm install --frozen-lockfile
phase_end "pnpm"

phase "rust toolchain"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install rustup (https://rustup.rs); rust-toolchain.toml pins the version" >&2; exit 1
fi
# The pinned toolchain (rust-toolchain.toml). Where rustup's download host is unreachable but the
# installed stable toolchain is that very version, link it under the pinned name instead of downloading.
pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^${pinned}-"; then
  if rustc +stable --version 2>/dev/null | grep -q " ${pinned} "; then
    # rustup refuses custom toolchains with official names, so link the directory as rustup would name it.
    host=$(rustc +stable -vV | sed -n 's/^host: //p')
    ln -sfn "$(rustc +stable --print sysroot)" "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/${pinned}-${host}"
  fi
fi
rustup show active-toolchain >/dev/null   # installs the pinned toolchain if it is still missing
cargo --version
phase_end "rust toolchain"

phase "build (napi binding + TypeScript)"
pnpm build
phase_end "build (napi binding + TypeScript)"
