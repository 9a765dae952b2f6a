#!/usr/bin/env node
// `pnpm bench`: runs the benchmarks, one file each, and prints a table per benchmark. Goals are
// reported, never asserted; no test and no CI job runs this.
//   pnpm bench [-- --only hello,pull] [--runs N]
//   startup  magikrun --version vs node -e '' (goal ≤ 1.5×)                    (startup.mjs; default 30 runs)
//   hello  WASI hello module: magikrun run (cold/warm) vs node:wasi (warm goal ≤ 1.5×) (hello.mjs; default 20 runs)
//   pull   ≥100 MB multi-layer Debian image from a local registry: magikrun pull vs skopeo copy,
//          plus magikrun's peak RSS                                              (pull.mjs; default 3 runs)
//   unpack the same Debian image's layers: magikrun unpackRootfs vs umoci raw unpack vs GNU tar -x,
//          and a second rootfs from the cached snapshots                         (unpack.mjs; default 5 runs)
//   lifecycle  busybox `true` create→start→wait→delete: magikrun's YoukiRuntime vs runc run vs youki
//          run, sequential and 4 at a time, plus state() latency        (lifecycle.mjs; default 100 runs)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hello from './hello.mjs';
import * as startup from './startup.mjs';
import * as pull from './pull.mjs';
import * as lifecycle from './lifecycle.mjs';
import * as unpack from './unpack.mjs';

const BENCHMARKS = [startup, hello, pull, unpack, lifecycle];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const only = arg('--only')?.split(',');
const runs = arg('--runs') === undefined ? undefined : Number(arg('--runs'));
const unknown = (only ?? []).filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

for (const bench of BENCHMARKS.filter((b) => !only || only.includes(b.name))) {
  console.log(`\n## ${bench.name}: ${bench.description}`);
  const work = mkdtempSync(join(tmpdir(), `magikrun-bench-${bench.name}-`));
  try {
    await bench.run({ repo, runs: runs ?? bench.defaultRuns ?? 20, work });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
