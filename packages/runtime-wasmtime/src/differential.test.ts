/**
 * Differential check: the same clang-built hello module under node:wasi (preview1) and under
 * WasmtimeRuntime gives the same stdout, stderr and exit code.
 */
import { closeSync, openSync } from 'node:fs';
import { devNull as DEV_NULL } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WASI } from 'node:wasi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, programPath, scratch, text } from './test-support/fixtures.js';

/** The WebAssembly JS API (a global in Node 20; @types/node 20 does not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let dir: string;
let cleanup: () => Promise<void>;
const fds: number[] = [];

/** A file descriptor of /dev/null, closed after the suite. */
function devNull(): number {
  const fd = openSync(DEV_NULL, 'w');
  fds.push(fd);
  return fd;
}

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('differential'));
});

afterAll(async () => {
  for (const fd of fds) closeSync(fd);
  await cleanup();
});

it('hello: same stdout, stderr and exit code as node:wasi', async () => {
  const data = path.join(dir, 'data');
  await mkdir(data, { recursive: true });
  await writeFile(path.join(data, 'input.txt'), 'shared input\n');
  const args = ['hello', '23', '/data/input.txt', 'ünïcødé arg'];
  const env = { GREETING: 'hallo welt' };

  // Reference: node:wasi with stdout/stderr into files.
  const outFile = path.join(dir, 'node-out.txt');
  const errFile = path.join(dir, 'node-err.txt');
  const outFd = openSync(outFile, 'w');
  const errFd = openSync(errFile, 'w');
  let nodeCode: number;
  try {
    const wasi = new WASI({ version: 'preview1', args, env, preopens: { '/data': data }, stdout: outFd, stderr: errFd, returnOnExit: true });
    const module = await wasmApi.compile(await readFile(programPath('hello')));
    const instance = await wasmApi.instantiate(module, wasi.getImportObject());
    nodeCode = wasi.start(instance);
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }

  const rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
  const bundle = await programBundle('hello', dir, {
    args: args.slice(1),
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    preopens: [{ hostPath: data, guestPath: '/data', readonly: true }],
  });
  await rt.create('diff', bundle, { stdio: { stdout: 'pipe', stderr: 'pipe' } });
  const out = text(rt.streams('diff').stdout);
  const errText = text(rt.streams('diff').stderr);
  await rt.start('diff');
  const status = await rt.wait('diff');
  await rt.delete('diff');

  expect(nodeCode).toBe(23);
  expect(status).toEqual({ code: nodeCode, reason: 'exited' });
  expect(await out).toBe(await readFile(outFile, 'utf8'));
  expect(await errText).toBe(await readFile(errFile, 'utf8'));
  expect(await out).toContain('argv[3]=ünïcødé arg\n');
});

it('proc_exit codes: the same exact code as node:wasi, also for 126 and above and for negative codes', async () => {
  const rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
  const module = await wasmApi.compile(await readFile(programPath('hello')));
  for (const code of [1, 125, 126, 127, 128, 137, 200, 255, 256, 70000, -1]) {
    const wasi = new WASI({ version: 'preview1', args: ['hello', String(code)], env: {}, stdout: devNull(), stderr: devNull(), returnOnExit: true });
    const nodeCode = wasi.start(await wasmApi.instantiate(module, wasi.getImportObject()));
    const id = `exit-${code}`;
    await rt.create(id, await programBundle('hello', dir, { args: [String(code)] }));
    await rt.start(id);
    const status = await rt.wait(id);
    await rt.delete(id);
    expect(nodeCode, `node:wasi, code ${code}`).toBe(code);
    expect(status, `code ${code}`).toEqual({ code: nodeCode, reason: 'exited' });
  }
});
