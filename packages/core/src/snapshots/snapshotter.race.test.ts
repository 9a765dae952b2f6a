/**
 * Two processes prepare containers of the same image at the same moment: each layer is unpacked by
 * exactly one of them (per-chain lock files), both get complete snapshots built on the same committed
 * layers, and the metadata holds both. The core module is built from the current source with tsup's
 * API so the children run plain Node.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootfsMount } from '../runtime/bundle.js';
import { Platform } from '../platform/platform.js';
import { canRun } from '../platform/require.js';
import { Capability } from '../platform/types.js';
import { BlobStore } from '../storage/blob-store.js';
import { Snapshotter, type SnapshotMode } from './snapshotter.js';
import { storeImage } from './test-layers.fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const platform = await Platform.detect();
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;
let work: string;
let dist: string;
let coreModule: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'magikrun-snap-race-'));
  // Built inside the package (node_modules/.cache) so that the children resolve its dependencies.
  const cache = path.join(here, '..', '..', 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  dist = await mkdtemp(path.join(cache, 'magikrun-snap-race-'));
  await build({
    entry: { core: path.join(here, '..', 'index.ts') },
    outDir: dist,
    format: ['esm'], platform: 'node', target: 'node20',
    dts: false, sourcemap: false, silent: true, config: false, clean: false,
    external: [/^[^./]/],
  });
  coreModule = pathToFileURL(path.join(dist, 'core.js')).href;
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(dist, { recursive: true, force: true });
});

interface Outcome {
  unpacked: number[];
  mounts: RootfsMount[];
}

function racer(root: string, mode: SnapshotMode, key: string, image: unknown): { ready: Promise<void>; go(): void; done: Promise<Outcome> } {
  const child = spawn(process.execPath, [path.join(here, 'race-child.fixture.mjs'), coreModule, root, mode, key, JSON.stringify(image)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let errText = '';
  let onReady: () => void;
  let onFail: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) {
        const e = new Error(`racer ${key} exited ${code}: ${errText}`);
        onFail(e);
        return reject(e);
      }
      resolve(JSON.parse(out.split('\n').filter(Boolean).pop()!) as Outcome);
    });
  });
  return { ready, go: () => child.stdin.write('go\n'), done };
}

const modes: SnapshotMode[] = privileged ? ['overlay', 'copy'] : ['copy'];
describe.each(modes)('two processes prepare the same image at once (%s mode)', (mode) => {
  it('each layer is unpacked once, and both containers get the same committed layers', async () => {
    const root = path.join(work, `root-${mode}`);
    const store = await BlobStore.open({ root });
    // Layers big enough (incompressible, 8 MiB each) that the racers overlap.
    const big = (n: number) => [{ name: `data/${n}`, content: randomBytes(4 * 1024 * 1024).toString('hex') }];
    const image = await storeImage(store, [big(0), big(1), big(2)]);
    const a = racer(root, mode, 'a', image);
    const b = racer(root, mode, 'b', image);
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([...ra.unpacked, ...rb.unpacked].sort()).toEqual([0, 1, 2]);
    const s = await Snapshotter.open({ store, mode });
    const list = await s.list();
    expect(list.active.map((x) => x.key).sort()).toEqual(['a', 'b']);
    expect(list.active.every((x) => x.state === 'ready')).toBe(true);
    if (mode === 'overlay') {
      const lower = (m: RootfsMount[]) => m[0]!.options.find((o) => o.startsWith('lowerdir='));
      expect(lower(ra.mounts)).toBe(lower(rb.mounts));
      expect(list.committed).toHaveLength(3);
    } else {
      expect(list.committed).toHaveLength(1);
      for (const r of [ra, rb]) expect((await readFile(path.join(r.mounts[0]!.source, 'data/2'))).length).toBe(8 * 1024 * 1024);
    }
    await s.remove('a');
    await s.remove('b');
  }, 120_000);
});
