/**
 * WasmtimeRuntime end to end with clang-built WASI programs: exit codes, args/env/preopens, separate
 * stdout and stderr, stdin sources, lifecycle errors.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { expectCode } from '@magikrun/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch, text } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let rt: WasmtimeRuntime;
let n = 0;
const id = (): string => `rt-${process.pid}-${++n}`;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('runtime'));
  rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
});

afterAll(async () => {
  for (const s of await rt.list()) await rt.delete(s.id, { force: true });
  await cleanup();
});

describe('WasmtimeRuntime', () => {
  it('describes itself as a process-scoped wasm runtime', () => {
    expect(rt.name).toBe('wasmtime');
    expect(rt.capabilities).toMatchObject({ bundleKinds: ['wasm'], scope: 'process', limits: ['memoryBytes', 'wallClockMs', 'fuel'], stdin: true, detach: false });
  });

  it('runs hello: argv, env (none from the host), a file from a preopen, separate stderr, exact exit code', async () => {
    const data = path.join(dir, 'data');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'input.txt'), 'from the preopen\n');
    const bundle = await programBundle('hello', dir, {
      args: ['42', '/data/input.txt', 'x y'],
      env: ['GREETING=bonjour'],
      preopens: [{ hostPath: data, guestPath: '/data', readonly: true }],
    });
    const c = id();
    const state = await rt.create(c, bundle, { stdio: { stdout: 'pipe', stderr: 'pipe' } });
    expect(state).toEqual({ ociVersion: '1.2.0', id: c, status: 'created', bundle: bundle.path, created: expect.stringMatching(/Z$/), owner: expect.any(String) });
    const out = text(rt.streams(c).stdout);
    const errText = text(rt.streams(c).stderr);
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 42, reason: 'exited' });
    expect(await out).toBe(
      'argc=4\nargv[0]=hello\nargv[1]=42\nargv[2]=/data/input.txt\nargv[3]=x y\nGREETING=bonjour\nHOME=(unset)\nfile: from the preopen\n',
    );
    expect(await errText).toBe('hello to stderr\n');
    await rt.delete(c);
    await expectCode(rt.state(c), 'NOT_FOUND');
  });

  it("'pipe' output written before the exit stays readable after delete", async () => {
    const files = path.join(dir, 'emit-after-delete');
    await mkdir(files, { recursive: true });
    const payload = 'z'.repeat(60 * 1024); // fits the 64 KiB pipe: the module exits without a reader
    await writeFile(path.join(files, 'stdout'), payload);
    await writeFile(path.join(files, 'stderr'), 'err side\n');
    const c = id();
    await rt.create(c, await programBundle('emit', dir, { args: ['0'], preopens: [{ hostPath: files, guestPath: '/fixture', readonly: true }] }), {
      stdio: { stdout: 'pipe', stderr: 'pipe' },
    });
    const { stdout, stderr } = rt.streams(c);
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
    await rt.delete(c);
    expect(await text(stdout)).toBe(payload);
    expect(await text(stderr)).toBe('err side\n');
  });

  it('reports exit code 0 only for a clean exit', async () => {
    const c = id();
    await rt.create(c, await programBundle('hello', dir, { args: ['0'] }));
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
  });

  it("stdin 'pipe': what is written reaches the module, end() closes it", async () => {
    const c = id();
    await rt.create(c, await programBundle('read-stdin', dir), { stdio: { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' } });
    const s = rt.streams(c);
    const out = text(s.stdout);
    const errText = text(s.stderr);
    await rt.start(c);
    s.stdin?.write('line one\n');
    s.stdin?.end('line two\n');
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
    expect(await out).toBe('line one\nline two\n');
    expect(await errText).toBe('read 18 bytes\n');
  });

  it('stdin from a Readable (larger than the pipe: backpressure) and from a file; stdout into a Writable', async () => {
    const big = Buffer.alloc(300 * 1024, 'a');
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        setImmediate(cb); // a slow consumer
      },
    });
    const c = id();
    await rt.create(c, await programBundle('read-stdin', dir), { stdio: { stdin: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), stdout: sink } });
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    const file = path.join(dir, 'stdin.txt');
    await writeFile(file, 'from a file\n');
    const outFile = path.join(dir, 'stdout.txt');
    const c2 = id();
    await rt.create(c2, await programBundle('read-stdin', dir), { stdio: { stdin: { path: file }, stdout: { path: outFile } } });
    await rt.start(c2);
    expect(await rt.wait(c2)).toEqual({ code: 0, reason: 'exited' });
    expect(await readFile(outFile, 'utf8')).toBe('from a file\n');
  });

  it("stdin defaults to closed: the module reads end-of-file at once", async () => {
    const c = id();
    await rt.create(c, await programBundle('read-stdin', dir), { stdio: { stderr: 'pipe' } });
    const errText = text(rt.streams(c).stderr);
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
    expect(await errText).toBe('read 0 bytes\n');
  });

  it('start twice is INVALID_STATE; delete of a running container without force is INVALID_STATE', async () => {
    const c = id();
    await rt.create(c, await programBundle('sleep', dir));
    await rt.start(c);
    expect((await expectCode(rt.start(c), 'INVALID_STATE')).details['status']).toBe('running');
    expect((await expectCode(rt.delete(c), 'INVALID_STATE')).details['status']).toBe('running');
    await rt.delete(c, { force: true });
    await expectCode(rt.wait(c), 'NOT_FOUND');
  });

  it('an unknown id is NOT_FOUND; a non-wasm bundle kind is INVALID_ARGUMENT', async () => {
    await expectCode(rt.start('no-such-container'), 'NOT_FOUND');
    await expectCode(rt.kill('no-such-container', 'SIGKILL'), 'NOT_FOUND');
    await expectCode(() => rt.streams('no-such-container'), 'NOT_FOUND');
    await expectCode(rt.create(id(), { kind: 'oci', path: dir, rootfs: dir }), 'INVALID_ARGUMENT');
  });

  it('list returns only this runtime\'s containers, without pid', async () => {
    const other = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
    const c = id();
    const state = await rt.create(c, await programBundle('hello', dir));
    const listed = await rt.list();
    expect(listed.find((s) => s.id === c)).toEqual({ ociVersion: '1.2.0', id: c, status: 'created', bundle: expect.any(String), created: state.created, owner: state.owner });
    expect((await other.list()).map((s) => s.id)).not.toContain(c);
    await rt.delete(c, { force: true });
  });
});
