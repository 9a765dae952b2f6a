/**
 * Two processes race to put the same 5 MiB blob into one store. The store module is built from the
 * current source with tsup's API (as the package build does) so the children run plain Node.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from './blob-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZE = 5 * 1024 * 1024;
let work: string;
let storeModule: string;

/** The same bytes the child generates. */
function expected(): Buffer {
  const out = Buffer.alloc(SIZE);
  let counter = 0;
  for (let off = 0; off < SIZE; off += 32) createHash('sha256').update(String(counter++)).digest().copy(out, off, 0, Math.min(32, SIZE - off));
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'magikrun-race-'));
  await build({
    entry: { store: path.join(here, 'index.ts') },
    outDir: path.join(work, 'dist'),
    format: ['esm'], platform: 'node', target: 'node20',
    dts: false, sourcemap: false, silent: true, config: false, clean: false,
  });
  storeModule = pathToFileURL(path.join(work, 'dist', 'store.js')).href;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Racer {
  /** Resolves when the child has streamed half of the blob and waits. */
  half: Promise<void>;
  finish(): void;
  done: Promise<{ code: number | null; out: string; err: string }>;
}

function racer(root: string, digest: string): Racer {
  const child = spawn(process.execPath, [path.join(here, 'race-child.fixture.mjs'), storeModule, root, digest, String(SIZE)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onHalf: () => void = () => {};
  const half = new Promise<void>((resolve) => (onHalf = resolve));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.startsWith('half\n')) onHalf();
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  // A child that dies before "half" must not leave the test waiting for it.
  void done.then(onHalf);
  return { half, finish: () => child.stdin.end('finish\n'), done };
}

describe('BlobStore across processes', () => {
  it('two processes held mid-write on the same 5 MiB blob end with one verified copy, exactly one created', async () => {
    const data = expected();
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const root = path.join(work, 'root');
    const store = new BlobStore({ root });
    const a = racer(root, digest);
    const b = racer(root, digest);
    // Both are mid-write (the blob is not committed) before either may finish: the commit itself races.
    await Promise.all([a.half, b.half]);
    expect(await store.has(digest)).toBe(false);
    a.finish();
    b.finish();
    const results = await Promise.all([a.done, b.done]);
    for (const r of results) expect(r.code, r.err || r.out).toBe(0);
    const parsed = results.map((r) => JSON.parse(r.out.replace(/^half\n/, '')) as { ok: boolean; result: { created: boolean; size: number; digest: string } });
    expect(parsed.map((p) => p.result.created).sort()).toEqual([false, true]);
    for (const p of parsed) expect(p.result).toMatchObject({ digest, size: SIZE });

    expect((await store.get(digest)).equals(data)).toBe(true);
    const listed: string[] = [];
    for await (const x of store.list()) listed.push(x.digest);
    expect(listed).toEqual([digest]);
    expect(await readdir(store.ingestDir)).toEqual([]);
  });
});
