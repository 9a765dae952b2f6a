/**
 * The compiled-module cache: entries keyed by module digest and engine hash, verified on every load;
 * a tampered or corrupt entry is never deserialized — it is discarded, the module recompiled and the
 * entry rewritten.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch, text } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('cache'));
});

afterAll(async () => {
  await cleanup();
});

async function runHello(rt: WasmtimeRuntime): Promise<{ code: number; stdout: string }> {
  const id = `cache-${++n}`;
  await rt.create(id, await programBundle('hello', dir, { args: ['5'], env: ['GREETING=cached'] }), { stdio: { stdout: 'pipe' } });
  const out = text(rt.streams(id).stdout);
  await rt.start(id);
  const { code } = await rt.wait(id);
  await rt.delete(id);
  return { code, stdout: await out };
}

/** The entry format: `MKCWASM2` ‖ module sha256 ‖ engine hash ‖ sha256(payload) ‖ payload. */
function entryIsValid(bytes: Buffer): boolean {
  return (
    bytes.subarray(0, 8).toString('latin1') === 'MKCWASM2' &&
    createHash('sha256').update(bytes.subarray(104)).digest().equals(bytes.subarray(72, 104))
  );
}

describe('compiled-module cache', () => {
  it('stores a verified entry named by module digest and engine hash, in a 0700 directory', async () => {
    const cacheDir = path.join(dir, 'c1', 'nested');
    const rt = new WasmtimeRuntime({ cacheDir });
    expect(rt.cacheDir).toBe(cacheDir);
    expect(await runHello(rt)).toEqual({ code: 5, stdout: expect.stringContaining('GREETING=cached\n') });
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    const bundle = await programBundle('hello', dir);
    const files = (await readdir(cacheDir)).filter((f) => f.endsWith('.cwasm'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${bundle.moduleDigest.slice(7)}-[0-9a-f]{32}\\.cwasm$`));
    expect(entryIsValid(await readFile(path.join(cacheDir, files[0] as string)))).toBe(true);
    expect((await stat(path.join(cacheDir, files[0] as string))).mode & 0o777).toBe(0o600);
  });

  for (const [what, offset] of [
    ['a byte of the compiled code', (len: number) => Math.floor(len / 2)],
    ['a byte of the recorded payload digest', () => 80],
    ['a byte of the recorded module digest', () => 20],
    ['a byte of the recorded engine hash', () => 50],
    ['the magic', () => 0],
  ] as const) {
    it(`a tampered entry (${what} flipped) is discarded, the module recompiled, the entry rewritten`, async () => {
      const cacheDir = path.join(dir, `tamper-${n}`);
      const first = await runHello(new WasmtimeRuntime({ cacheDir }));
      const [name] = (await readdir(cacheDir)).filter((f) => f.endsWith('.cwasm'));
      const file = path.join(cacheDir, name as string);
      const original = await readFile(file);
      const tampered = Buffer.from(original);
      const at = offset(tampered.length);
      tampered[at] = (tampered[at] as number) ^ 0xff;
      await writeFile(file, tampered);

      // A fresh runtime (no in-memory module) must not load the tampered entry.
      const second = await runHello(new WasmtimeRuntime({ cacheDir }));
      expect(second).toEqual(first);
      const rewritten = await readFile(file);
      expect(rewritten.equals(tampered)).toBe(false);
      expect(entryIsValid(rewritten)).toBe(true);
    });
  }

  it('a truncated entry is replaced too', async () => {
    const cacheDir = path.join(dir, 'truncated');
    const first = await runHello(new WasmtimeRuntime({ cacheDir }));
    const [name] = (await readdir(cacheDir)).filter((f) => f.endsWith('.cwasm'));
    const file = path.join(cacheDir, name as string);
    await writeFile(file, (await readFile(file)).subarray(0, 100));
    expect(await runHello(new WasmtimeRuntime({ cacheDir }))).toEqual(first);
    expect(entryIsValid(await readFile(file))).toBe(true);
  });

  it('refuses a group- or world-writable cache directory', async () => {
    const cacheDir = path.join(dir, 'open');
    await mkdir(cacheDir, { recursive: true });
    await chmod(cacheDir, 0o777);
    expect(() => new WasmtimeRuntime({ cacheDir })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/chmod 700/) }));
  });

  it('cache: false compiles every time and writes nothing', async () => {
    const rt = new WasmtimeRuntime({ cache: false });
    expect(rt.cacheDir).toBeUndefined();
    expect((await runHello(rt)).code).toBe(5);
  });

  it('defaults to <MAGIKRUN_ROOT>/cache/wasmtime', async () => {
    const { defaultCacheDir } = await import('./runtime.js');
    expect(defaultCacheDir({ MAGIKRUN_ROOT: '/srv/mk' })).toBe('/srv/mk/cache/wasmtime');
  });
});
