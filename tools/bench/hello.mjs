// The hello benchmark: the latency of running the same WASI hello module
//   - through magikrun cold (first compile: empty compiled-module cache) and warm (cached),
//   - beside node:wasi running the same module,
// measured two ways in one run: whole processes (CLI vs `node node-wasi.mjs`), and in-process
// (WasmtimeRuntime create→start→wait→delete vs node:wasi compile→instantiate→start).
// Prints a table of medians and p90s. Goals are reported, never asserted; no test runs this.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { measure, measureAsync, nodeProcess as proc } from './stats.mjs';

export const name = 'hello';
export const description = 'WASI hello module: magikrun run (cold/warm) vs node:wasi, whole process and in-process';

/** @param {{ repo: string, runs: number, work: string }} ctx */
export async function run({ repo, runs: RUNS, work }) {
  const cli = join(repo, 'packages/cli/dist/bin.js');
  const { WASI } = await import('node:wasi'); // loaded here: it warns (experimental) on import
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
  proc([cli, '--root', root, 'pull', '-q', ref]); // blobs in the store; only compile is cold below
  rows.push(measure(RUNS, 'process: node node:wasi', () => proc([join(repo, 'tools/bench/node-wasi.mjs'), wasm, rootfs, 'bench'])));
  rows.push(measure(RUNS, 'process: magikrun run, cold (no compiled-module cache)', () => {
    rmSync(join(root, 'cache'), { recursive: true, force: true });
    return proc([cli, '--root', root, 'run', '-q', ref, 'bench']);
  }));
  proc([cli, '--root', root, 'run', '-q', ref, 'bench']);
  rows.push(measure(RUNS, 'process: magikrun run, warm (cached compile)', () => proc([cli, '--root', root, 'run', '-q', ref, 'bench'])));

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
  rows.push(await measureAsync(RUNS, 'in-process: node:wasi compile+instantiate+start', async () => {
    const t = performance.now();
    const wasi = new WASI({ version: 'preview1', args: bundle.args, env: { GREETING: 'hello from magikrun', HELLO_FILE: '/share/hello/message.txt' }, preopens: { '/': rootfs }, returnOnExit: true, stdout: devNull, stderr: devNull });
    const mod = await WebAssembly.compile(bytes);
    const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
    wasi.start(inst);
    return performance.now() - t;
  }));
  rows.push(await measureAsync(RUNS, 'in-process: WasmtimeRuntime lifecycle, cold', async () => {
    const cacheDir = mkdtempSync(join(work, 'cache-'));
    const ms = await lifecycle(new WasmtimeRuntime({ cacheDir }));
    rmSync(cacheDir, { recursive: true, force: true });
    return ms;
  }));
  const warm = new WasmtimeRuntime({ cacheDir: join(work, 'warm-cache') });
  await lifecycle(warm);
  rows.push(await measureAsync(RUNS, 'in-process: WasmtimeRuntime lifecycle, warm', () => lifecycle(warm)));

  const base = rows[0].median;
  const baseIn = rows[3].median;
  console.log(`\nhello module (${bytes.length} bytes), ${RUNS} runs each, ms (goal: the warm magikrun run process ≤ 1.5× the node:wasi process)\n`);
  console.log('| scenario | median | p90 | vs node:wasi (same kind) |');
  console.log('|---|---:|---:|---:|');
  rows.forEach((r, i) => {
    const ref = i < 3 ? base : baseIn;
    console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${(r.median / ref).toFixed(2)}x |`);
  });
}
