#!/usr/bin/env node
// Copy the monitor executable that `napi build` compiled (crates/youki-monitor, built in the same cargo
// invocation as the addon so that both resolve one feature set)
// beside the .node file: magikrun-youki-monitor.<platform suffix>, as the loader expects.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.dirname(here);
const manifest = path.join(pkg, '../../crates/youki-monitor/Cargo.toml');
const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest], { encoding: 'utf8' }));
const triples = { x64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' };
const triple = triples[process.arch];
const candidates = [triple && path.join(meta.target_directory, triple, 'release'), path.join(meta.target_directory, 'release')]
  .filter(Boolean)
  .map((d) => path.join(d, 'magikrun-youki-monitor'))
  .filter((f) => existsSync(f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
if (candidates.length === 0) {
  console.error(`copy-monitor: magikrun-youki-monitor was not built under ${meta.target_directory}; run "pnpm build:native"`);
  process.exit(1);
}
const glibc = process.report?.getReport?.()?.header?.glibcVersionRuntime !== undefined;
const dest = path.join(pkg, `magikrun-youki-monitor.linux-${process.arch}-${glibc ? 'gnu' : 'musl'}`);
// Copied beside it and renamed over it: a running container's monitor keeps the old file busy (ETXTBSY).
const tmp = `${dest}.tmp-${process.pid}`;
copyFileSync(candidates[0], tmp);
chmodSync(tmp, 0o755);
renameSync(tmp, dest);
console.log(`copy-monitor: ${candidates[0]} -> ${path.relative(pkg, dest)}`);
