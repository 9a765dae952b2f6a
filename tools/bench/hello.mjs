#!/usr/bin/env node
// `pnpm bench`: the latency of running the same WASI hello module
//   - through magikrun cold (first compile: empty compiled-module cache) and warm (cached),
//   - beside node:wasi running the same module,
// measured two ways in one run: whole processes (CLI vs `node node-wasi.mjs`), and in-process
// (WasmtimeRuntime create→start→wait→delete vs node:wasi compile→instantiate→start).
// Prints a table of medians and p90s. Goals are reported, never asserted; no test runs this.
//   pnpm bench [-- --runs N]
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { WASI } from 'node:wasi';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const work = mkdtempSync(join(tmpdir(), 'magikrun-bench-'));
const cli = join(repo, 'packages/cli/dist/bin.js');

try {
  // The module and image, built by clang-16 and umoci (tools/images), as the tests build them.
  const wasm = join(work, 'hello.wasm');
  execFileSync(join(repo, 'tools/images/build-hello-wasm.sh'), [wasm], { stdio: 'inherit' });
  const layout = join(work, 'layout');
  execFileSync(join(repo, 'tools/images/build-hello-layout.sh'), [layout, 'latest'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ref = `oci:${layout}:latest`;
  const rootfs = join(work, 'rootfs');
  execFileSync('mkdir', ['-p', join(rootfs, 'share/hello')]);
  execFileSync('sh', ['-c', `printf '%s\\n' "this file was read from the image's own root filesystem" > ${rootfs}/share/hello/message.txt`]);

  const rows = [];
  // --- whole process ---
  const root = join(work, 'root');
  const proc = (args) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return ms;
  };
  proc([cli, '--root', root, 'pull', '-q', ref]); // blobs in the store; only compile is cold below
  rows.push(measure('process: node node:wasi', () => proc([join(repo, 'tools/bench/node-wasi.mjs'), wasm, rootfs, 'bench'])));
  rows.push(measure('process: magikrun run, cold (no compiled-module cache)', () => {
    rmSync(join(root, 'cache'), { recursive: true, force: true });
    return proc([cli, '--root', root, 'run', '-q', ref, 'bench']);
  }));
  proc([cli, '--root', root, 'run', '-q', ref, 'bench']);
  rows.push(measure('process: magikrun run, warm (cached compile)', () => proc([cli, '--root', root, 'run', '-q', ref, 'bench'])));

  // --- in process ---
  const { WasmtimeRuntime } = await import(join(repo, 'packages/runtime-wasmtime/dist/index.js'));
  const { sha256Digest } = await import(join(repo, 'packages/core/dist/index.js'));
  const bytes = readFileSync(wasm);
  const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
  const bundle = {
    kind: 'wasm', path: work, module: wasm, moduleDigest: sha256Digest(bytes),
    args: ['/hello.wasm', 'bench'], env: ['GREETING=hello from magikrun', 'HELLO_FILE=/share/hello/message.txt'],
    preopens: [{ hostPath: rootfs, guestPath: '/', readonly: true }],
  };
  const devNull = openSync('/dev/null', 'w');
  let n = 0;
  const lifecycle = async (rt) => {
    const id = `bench-${n++}`;
    const t = performance.now();
    await rt.create(id, bundle, { stdio: { stdout: sink(), stderr: sink() } });
    await rt.start(id);
    const status = await rt.wait(id);
    await rt.delete(id);
    const ms = performance.now() - t;
    if (status.code !== 0) throw new Error(`exit ${status.code}`);
    return ms;
  };
  rows.push(await measureAsync('in-process: node:wasi compile+instantiate+start', async () => {
    const t = performance.now();
    const wasi = new WASI({ version: 'preview1', args: bundle.args, env: { GREETING: 'hello from magikrun', HELLO_FILE: '/share/hello/message.txt' }, preopens: { '/': rootfs }, returnOnExit: true, stdout: devNull, stderr: devNull });
    const mod = await WebAssembly.compile(bytes);
    const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
    wasi.start(inst);
    return performance.now() - t;
  }));
  rows.push(await measureAsync('in-process: WasmtimeRuntime lifecycle, cold', async () => {
    const cacheDir = mkdtempSync(join(work, 'cache-'));
    const ms = await lifecycle(new WasmtimeRuntime({ cacheDir }));
    rmSync(cacheDir, { recursive: true, force: true });
    return ms;
  }));
  const warm = new WasmtimeRuntime({ cacheDir: join(work, 'warm-cache') });
  await lifecycle(warm);
  rows.push(await measureAsync('in-process: WasmtimeRuntime lifecycle, warm', () => lifecycle(warm)));

  const base = rows[0].median;
  const baseIn = rows[3].median;
  console.log(`\nhello module (${bytes.length} bytes), ${RUNS} runs each, ms (goal: report only)\n`);
  console.log('| scenario | median | p90 | vs node:wasi (same kind) |');
  console.log('|---|---:|---:|---:|');
  rows.forEach((r, i) => {
    const ref = i < 3 ? base : baseIn;
    console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${(r.median / ref).toFixed(2)}x |`);
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}

function stats(name, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { name, median: q(0.5), p90: q(0.9) };
}
function measure(name, fn) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(fn());
  return stats(name, samples);
}
async function measureAsync(name, fn) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await fn());
  return stats(name, samples);
}
