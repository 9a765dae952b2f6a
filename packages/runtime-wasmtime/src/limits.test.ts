/**
 * Sandbox limits and bad modules: fuel, wall clock, traps, memory limit, module size cap, preview 2
 * components, non-wasm, digest mismatch, read-only preopens, limit validation.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_WASM_MEMORY_SIZE, type ResourceLimits, type WasmBundle } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WasmtimeCreateOptions } from './options.js';
import { WasmtimeRuntime } from './runtime.js';
import { bundleFor, programBundle, scratch, text, type Program } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let rt: WasmtimeRuntime;
let n = 0;
const id = (): string => `lim-${process.pid}-${++n}`;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('limits'));
  rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
});

afterAll(async () => {
  for (const s of await rt.list()) await rt.delete(s.id, { force: true });
  await cleanup();
});

async function run(program: Program, args: string[] = [], options: WasmtimeCreateOptions = {}, resources?: ResourceLimits) {
  const c = id();
  await rt.create(c, await programBundle(program, dir, { args, resources }), { ...options, stdio: { stdout: 'pipe', stderr: 'pipe' } });
  const out = text(rt.streams(c).stdout);
  const errText = text(rt.streams(c).stderr);
  await rt.start(c);
  const status = await rt.wait(c);
  return { status, stdout: await out, stderr: await errText };
}

describe('limits while running', () => {
  it('an infinite loop runs out of fuel: fuel-exhausted, 134', async () => {
    const { status } = await run('spin', [], {}, { fuel: 5_000_000 });
    expect(status).toMatchObject({ code: 134, reason: 'fuel-exhausted' });
    expect(status.message).toMatch(/fuel/);
  });

  it('the default fuel (1e9) also ends an infinite loop', async () => {
    expect((await run('spin')).status).toMatchObject({ code: 134, reason: 'fuel-exhausted' });
  });

  it('the wall-clock limit ends a sleeping module: timed-out, 124', async () => {
    const { status } = await run('sleep', [], {}, { wallClockMs: 300 });
    expect(status).toMatchObject({ code: 124, reason: 'timed-out' });
  });

  it('a trap is trapped, 134, with the trap message; output before it is kept', async () => {
    const { status, stdout } = await run('trap');
    expect(status).toMatchObject({ code: 134, reason: 'trapped' });
    expect(status.message).toMatch(/unreachable/);
    expect(stdout).toBe('about to trap\n');
  });

  it('open handles are capped per container (openFiles, default 1024): a module cannot exhaust the host process\'s file descriptors', async () => {
    const data = path.join(dir, 'open-many');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'f'), 'x');
    const preopens = [{ hostPath: data, guestPath: '/d', readonly: true }];
    const lastCount = (out: string): number => Math.max(...[...out.matchAll(/^opened (\d+)$/gm)].map((m) => Number(m[1])));
    for (const [limit, options] of [
      [1024, {}],
      [64, { sandbox: { openFiles: 64 } }],
    ] as const) {
      const c = id();
      await rt.create(c, await programBundle('open-many', dir, { args: ['/d/f'], preopens }), { ...options, stdio: { stdout: 'pipe' } });
      const out = text(rt.streams(c).stdout);
      await rt.start(c);
      const status = await rt.wait(c);
      expect(status).toMatchObject({ code: 134, reason: 'trapped' });
      expect(status.message).toMatch(new RegExp(`more than openFiles = ${limit} WASI handles`));
      const opened = lastCount(await out);
      expect(opened).toBeGreaterThanOrEqual(limit - 64);
      expect(opened).toBeLessThan(limit);
    }
  });

  it('a stack overflow is trapped, 134, with the trap message (once)', async () => {
    const { status } = await run('recurse');
    expect(status).toMatchObject({ code: 134, reason: 'trapped' });
    expect(status.message).toMatch(/^wasm trap: call stack exhausted/);
    expect(status.message).not.toMatch(/wasm trap:.*wasm trap:/);
  });

  it('the memory limit refuses growth: a module that handles it exits as it chooses', async () => {
    const { status, stdout } = await run('memhog', ['exit'], {}, { memoryBytes: 16 * 1024 * 1024 });
    expect(status).toEqual({ code: 12, reason: 'exited' });
    const mib = Number(/allocated (\d+) MiB/.exec(stdout)?.[1]);
    expect(mib).toBeGreaterThan(0);
    expect(mib).toBeLessThan(16);
  });

  it('a module that traps after a refused growth is oom, 137', async () => {
    const { status } = await run('memhog', ['abort'], {}, { memoryBytes: 16 * 1024 * 1024 });
    expect(status).toMatchObject({ code: 137, reason: 'oom' });
    expect(status.message).toMatch(/memory limit of 16777216 bytes/);
  });

  it('the default memory limit (256 MiB) holds', async () => {
    const { stdout } = await run('memhog', ['exit']);
    const mib = Number(/allocated (\d+) MiB/.exec(stdout)?.[1]);
    expect(mib).toBeGreaterThan(16);
    expect(mib).toBeLessThan(DEFAULT_WASM_MEMORY_SIZE / 1024 / 1024);
  });
});

describe('limits at create', () => {
  it('a module declaring more initial memory than memorySize is refused at create (LIMIT_EXCEEDED), never run', async () => {
    const c = id();
    const e = await expectCode(rt.create(c, await programBundle('bigmem', dir)), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/1073741824 bytes of initial linear memory.*memorySize.*268435456/);
    expect((await rt.list()).map((s) => s.id)).not.toContain(c);
    // Raised above the module's need, it runs.
    const c2 = id();
    await rt.create(c2, await programBundle('bigmem', dir, { resources: { memoryBytes: 2 * 1024 ** 3 } }), { allowAboveDefault: true });
    await rt.start(c2);
    expect(await rt.wait(c2)).toEqual({ code: 0, reason: 'exited' });
  });

  it('memory64 and threads (shared memory) are off: such modules are UNSUPPORTED, naming the feature', async () => {
    expect((await expectCode(rt.create(id(), await programBundle('memory64', dir)), 'UNSUPPORTED')).message).toMatch(/memory64/);
    expect((await expectCode(rt.create(id(), await programBundle('shared-memory', dir)), 'UNSUPPORTED')).message).toMatch(/threads/);
  });
});

describe('bad modules and bundles', () => {
  it('a module above maxModuleSize is LIMIT_EXCEEDED', async () => {
    const c = id();
    const e = await expectCode(rt.create(c, await programBundle('hello', dir), { sandbox: { maxModuleSize: 1000 } }), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/above the limit of 1000 bytes/);
    expect((await rt.list()).map((s) => s.id)).not.toContain(c); // nothing partial left behind
  });

  it('a WASI preview 2 component is UNSUPPORTED', async () => {
    const file = path.join(dir, 'component.wasm');
    // A component header (magic, version 0x0d, layer 1) followed by an empty custom section.
    await writeFile(file, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x78]));
    const e = await expectCode(rt.create(id(), await bundleFor(file, dir)), 'UNSUPPORTED');
    expect(e.message).toMatch(/component/);
  });

  it('a file that is not wasm is INVALID_ARGUMENT; so is a wasm module that is not a WASI command', async () => {
    const file = path.join(dir, 'script.sh');
    await writeFile(file, '#!/bin/sh\necho hi\n');
    await expectCode(rt.create(id(), await bundleFor(file, dir)), 'INVALID_ARGUMENT');
    const lib = path.join(dir, 'empty.wasm');
    await writeFile(lib, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    expect((await expectCode(rt.create(id(), await bundleFor(lib, dir)), 'INVALID_ARGUMENT')).message).toMatch(/_start/);
  });

  it('a module whose bytes do not match bundle.moduleDigest is DIGEST_MISMATCH', async () => {
    const bundle = await programBundle('hello', dir);
    const wrong = `sha256:${'0'.repeat(64)}`;
    const e = await expectCode(rt.create(id(), { ...bundle, moduleDigest: wrong }), 'DIGEST_MISMATCH');
    expect(e.message).toContain(wrong);
    await expectCode(rt.create(id(), { ...bundle, moduleDigest: 'sha256:abc' }), 'INVALID_ARGUMENT');
  });

  it('a missing module file is NOT_FOUND; a missing preopen directory is INVALID_ARGUMENT', async () => {
    const bundle = await programBundle('hello', dir);
    await expectCode(rt.create(id(), { ...bundle, module: path.join(dir, 'nope.wasm') }), 'NOT_FOUND');
    await expectCode(rt.create(id(), { ...bundle, preopens: [{ hostPath: path.join(dir, 'nope'), guestPath: '/x' }] }), 'INVALID_ARGUMENT');
  });

  it('a write to a read-only preopen fails inside the module; a read-write preopen takes it', async () => {
    const ro = path.join(dir, 'ro');
    const rw = path.join(dir, 'rw');
    await mkdir(ro, { recursive: true });
    await mkdir(rw, { recursive: true });
    const c = id();
    await rt.create(c, await programBundle('write-file', dir, { args: ['/ro/out.txt'], preopens: [{ hostPath: ro, guestPath: '/ro', readonly: true }] }), {
      stdio: { stdout: 'pipe' },
    });
    const out = text(rt.streams(c).stdout);
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 3, reason: 'exited' });
    expect(await out).toMatch(/^refused (EROFS|EACCES|EPERM|ENOTCAPABLE|EBADF) /);
    await expect(stat(path.join(ro, 'out.txt'))).rejects.toThrow(/ENOENT/);

    const c2 = id();
    await rt.create(c2, await programBundle('write-file', dir, { args: ['/rw/out.txt'], preopens: [{ hostPath: rw, guestPath: '/rw' }] }));
    await rt.start(c2);
    expect(await rt.wait(c2)).toEqual({ code: 0, reason: 'exited' });
    expect(await readFile(path.join(rw, 'out.txt'), 'utf8')).toBe('written\n');
  });
});

describe('limit options', () => {
  it('raising a limit above its default needs allowAboveDefault; hard ceilings hold regardless', async () => {
    const bundle = await programBundle('hello', dir);
    const limited = (resources: ResourceLimits): WasmBundle => ({ ...bundle, resources });
    await expectCode(rt.create(id(), limited({ memoryBytes: DEFAULT_WASM_MEMORY_SIZE * 2 })), 'INVALID_ARGUMENT');
    await expectCode(rt.create(id(), limited({ fuel: 2e9 })), 'INVALID_ARGUMENT');
    await expectCode(rt.create(id(), limited({ memoryBytes: 8 * 1024 ** 3 }), { allowAboveDefault: true }), 'INVALID_ARGUMENT');
    await expectCode(rt.create(id(), bundle, { sandbox: { tableElements: -1 } }), 'INVALID_ARGUMENT');
    // The bundle's limits are the only place for memory, fuel and wall clock: the engine options refuse them.
    await expectCode(rt.create(id(), bundle, { sandbox: { fuel: 5 } as never }), 'INVALID_ARGUMENT');
    // A limit this runtime cannot enforce is refused, never ignored.
    await expectCode(rt.create(id(), limited({ pids: 10 })), 'UNSUPPORTED');
    await expectCode(rt.create(id(), limited({ cpus: 1 })), 'UNSUPPORTED');
    const c = id();
    await rt.create(c, limited({ memoryBytes: DEFAULT_WASM_MEMORY_SIZE * 2 }), { allowAboveDefault: true });
    await rt.delete(c, { force: true });
    expect(() => new WasmtimeRuntime({ cache: false, maxWasmStack: 8 * 1024 * 1024 })).toThrow(/allowAboveDefault/);
  });

  it('a module with more tables than allowed is refused at create (LIMIT_EXCEEDED); raising the count lets it run', async () => {
    // A WASI command defining two tables: type () -> (), one function, two funcref tables, export _start.
    const file = path.join(dir, 'two-tables.wasm');
    await writeFile(
      file,
      Buffer.from([
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section
        0x03, 0x02, 0x01, 0x00, // function section
        0x04, 0x07, 0x02, 0x70, 0x00, 0x00, 0x70, 0x00, 0x00, // table section: 2 tables
        0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start"
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section
      ]),
    );
    const c = id();
    const e = await expectCode(rt.create(c, await bundleFor(file, dir)), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/2 tables.*tables.*1/);
    expect((await rt.list()).map((s) => s.id)).not.toContain(c);
    const c2 = id();
    await rt.create(c2, await bundleFor(file, dir), { sandbox: { tables: 2 }, allowAboveDefault: true });
    await rt.start(c2);
    expect(await rt.wait(c2)).toEqual({ code: 0, reason: 'exited' });
  });

  it('a table whose initial size is above tableElements is refused at create (LIMIT_EXCEEDED)', async () => {
    // A WASI command with one funcref table of 1000 initial elements.
    const file = path.join(dir, 'big-table.wasm');
    await writeFile(
      file,
      Buffer.from([
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x04, 0x05, 0x01, 0x70, 0x00, 0xe8, 0x07, // table section: funcref, min 1000
        0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
      ]),
    );
    const e = await expectCode(rt.create(id(), await bundleFor(file, dir), { sandbox: { tableElements: 100 } }), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/1000 elements.*tableElements.*100/);
    const c = id();
    await rt.create(c, await bundleFor(file, dir));
    await rt.start(c);
    expect(await rt.wait(c)).toEqual({ code: 0, reason: 'exited' });
  });
});
