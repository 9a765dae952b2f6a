/**
 * The compiled-module cache under attack. Deserializing an entry runs its machine code unchecked, so an
 * entry must never be loaded unless it is the compilation of exactly this module for exactly this
 * engine, read from the cache directory this runtime checked:
 * - an entry of another module (valid in itself) under this module's name is refused;
 * - a cache directory swapped for another after the runtime opened it is not used;
 * - an entry that is a symlink, a FIFO or group/world-writable is refused (and replaced);
 * - a cache directory that is a symlink, or owned by another user, is refused;
 * - concurrent writers of one entry leave one valid entry and no temp files.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, copyFile, lstat, mkdir, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expectCode } from '@magikrun/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextOf, WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch, text, type Program } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('cache-attacks'));
});

afterAll(async () => {
  await cleanup();
});

/** Run `program` once on `rt`; its exit status and stdout. */
async function run(rt: WasmtimeRuntime, program: Program, args: string[] = []) {
  const id = `ca-${++n}`;
  await rt.create(id, await programBundle(program, dir, { args }), { stdio: { stdout: 'pipe' }, timeoutMs: 30_000 });
  const out = text(rt.streams(id).stdout);
  await rt.start(id);
  const status = await rt.wait(id);
  await rt.delete(id);
  return { status, stdout: await out };
}

/** The cache entry path of `program` for `rt`. */
async function entryOf(rt: WasmtimeRuntime, program: Program): Promise<string> {
  const p = contextOf(rt).engine.cacheEntryPath((await programBundle(program, dir)).moduleDigest);
  if (p === null) throw new Error('no cache');
  return p;
}

const HELLO = { status: { code: 0, reason: 'exited' }, stdout: expect.stringMatching(/^argc=1\nargv\[0\]=hello\n/) };

describe('cache entries', () => {
  it("another module's entry (valid in itself) under this module's name is not loaded", async () => {
    const cacheDir = path.join(dir, 'renamed');
    const rt = new WasmtimeRuntime({ cacheDir });
    await run(rt, 'trap');
    await copyFile(await entryOf(rt, 'trap'), await entryOf(rt, 'hello'));
    expect(await run(new WasmtimeRuntime({ cacheDir }), 'hello')).toEqual(HELLO);
  });

  it('a cache directory swapped after the runtime opened it is not used', async () => {
    const cacheDir = path.join(dir, 'swapped');
    const rt = new WasmtimeRuntime({ cacheDir });
    // Someone moves the directory away and puts another in its place, holding a planted entry for hello.
    const planter = new WasmtimeRuntime({ cacheDir: path.join(dir, 'planter') });
    await run(planter, 'trap');
    await rename(cacheDir, `${cacheDir}.moved`);
    await mkdir(cacheDir, { mode: 0o700 });
    const planted = path.join(cacheDir, path.basename(await entryOf(rt, 'hello')));
    await copyFile(await entryOf(planter, 'trap'), planted);
    expect(await run(rt, 'hello')).toEqual(HELLO);
    // The runtime wrote into the directory it opened.
    expect((await readdir(`${cacheDir}.moved`)).filter((f) => f.endsWith('.cwasm'))).toHaveLength(1);
  });

  it('an entry that is a symlink is not followed; it is replaced by a regular file', async () => {
    const cacheDir = path.join(dir, 'symlinked-entry');
    const rt = new WasmtimeRuntime({ cacheDir });
    const other = new WasmtimeRuntime({ cacheDir: path.join(dir, 'elsewhere') });
    await run(other, 'trap');
    await symlink(await entryOf(other, 'trap'), await entryOf(rt, 'hello'));
    expect(await run(rt, 'hello')).toEqual(HELLO);
    expect((await lstat(await entryOf(rt, 'hello'))).isFile()).toBe(true);
  });

  it('an entry that is a FIFO does not hang create; it is replaced', async () => {
    const cacheDir = path.join(dir, 'fifo-entry');
    const rt = new WasmtimeRuntime({ cacheDir });
    execFileSync('mkfifo', [await entryOf(rt, 'hello')]);
    expect(await run(rt, 'hello')).toEqual(HELLO);
    expect((await lstat(await entryOf(rt, 'hello'))).isFile()).toBe(true);
  });

  it('a group- or world-writable entry is not loaded; it is replaced by a 0600 one', async () => {
    const cacheDir = path.join(dir, 'writable-entry');
    const rt = new WasmtimeRuntime({ cacheDir });
    await run(rt, 'trap');
    const entry = await entryOf(rt, 'hello');
    await copyFile(await entryOf(rt, 'trap'), entry); // (refused anyway: another module)
    await chmod(entry, 0o666);
    expect(await run(rt, 'hello')).toEqual(HELLO);
    expect((await lstat(entry)).mode & 0o777).toBe(0o600);
    await chmod(entry, 0o646); // now a valid entry of hello, but world-writable
    expect(await run(new WasmtimeRuntime({ cacheDir }), 'hello')).toEqual(HELLO);
    expect((await lstat(entry)).mode & 0o777).toBe(0o600); // rewritten (nothing else chmods it), not loaded
  });

  it('concurrent writers of one entry (two runtimes, eight creates) leave one valid entry and no temp files', async () => {
    const cacheDir = path.join(dir, 'concurrent');
    const a = new WasmtimeRuntime({ cacheDir });
    const b = new WasmtimeRuntime({ cacheDir });
    const results = await Promise.all([a, b, a, b, a, b, a, b].map((rt) => run(rt, 'hello')));
    for (const r of results) expect(r).toEqual(HELLO);
    expect(await readdir(cacheDir)).toEqual([path.basename(await entryOf(a, 'hello'))]);
    expect(await run(new WasmtimeRuntime({ cacheDir }), 'hello')).toEqual(HELLO);
  });

  it('concurrent cold creates in one runtime compile the module once', async () => {
    const rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'single-flight') });
    const bundle = await programBundle('hello', dir);
    const engine = contextOf(rt).engine;
    const created = await Promise.all(
      Array.from({ length: 6 }, () =>
        engine.create({
          modulePath: bundle.module,
          moduleDigest: bundle.moduleDigest,
          maxModuleSize: 1 << 20,
          args: ['hello'],
          env: [],
          preopens: [],
          stdin: { kind: 'ignore' },
          stdout: { kind: 'ignore' },
          stderr: { kind: 'ignore' },
          memorySize: 1 << 24,
          tableElements: 1000,
          instances: 1,
          tables: 1,
          memories: 1,
          openFiles: 1024,
        }),
      ),
    );
    expect(created.map((c) => c.cache).sort()).toEqual(['hit', 'hit', 'hit', 'hit', 'hit', 'miss']);
    for (const c of created) engine.delete(c.handle);
  });
});

describe('cache directories', () => {
  it('temp files of writers that died mid-write are removed on open; those of live processes are kept', async () => {
    const cacheDir = path.join(dir, 'orphans');
    await mkdir(cacheDir, { mode: 0o700 });
    // Linux pids are at most 4194304 (2^22): this writer cannot be alive.
    await writeFile(path.join(cacheDir, '.tmp-4194305-0.cwasm'), 'half an entry');
    await writeFile(path.join(cacheDir, `.tmp-${process.pid}-99.cwasm`), 'a write in progress');
    new WasmtimeRuntime({ cacheDir });
    expect(await readdir(cacheDir)).toEqual([`.tmp-${process.pid}-99.cwasm`]);
  });

  it('a cache directory that is a symlink is refused', async () => {
    const real = path.join(dir, 'real-cache');
    await mkdir(real, { mode: 0o700 });
    const link = path.join(dir, 'link-cache');
    await symlink(real, link);
    const e = await expectCode(() => new WasmtimeRuntime({ cacheDir: link }), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/symlink/);
    expect(e.message).toContain(real); // says what to use instead
  });

  it.runIf(process.getuid?.() === 0)('a cache directory owned by another user is refused (needs root to set up)', async () => {
    const foreign = path.join(dir, 'foreign-cache');
    await mkdir(foreign, { mode: 0o700 });
    await chown(foreign, 65534, 65534);
    const e = await expectCode(() => new WasmtimeRuntime({ cacheDir: foreign }), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/owned by uid 65534/);
  });
});
