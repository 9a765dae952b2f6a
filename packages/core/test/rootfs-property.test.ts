/**
 * Property: any sequence of layers built from a small alphabet of hostile names, types and link targets
 * either unpacks or fails with a MagikrunError — never another error — and never changes anything
 * outside the rootfs (a canary tree beside it stays byte-for-byte the same, and nothing new appears
 * beside it). A rootfs that unpacks holds no whiteout markers.
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackRootfs } from '../src/rootfs/unpack-rootfs.js';
import { isMagikrunError } from '../src/errors.js';
import { BlobStore } from '../src/storage/blob-store.js';
import { makeCanary, storeLayer, tarOf, treeState, type E } from './support/layers.js';

let parent: string;
let canary: string;
let store: BlobStore;
let baseline: string[];
let n = 0;

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-property-'));
  canary = path.join(parent, 'canary');
  await makeCanary(canary);
  store = await BlobStore.open({ root: path.join(parent, 'store') });
  baseline = await treeState(canary);
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const NAMES = ['a', 'b', 'c', 'a/b', 'a/c', 'b/a', 'c/d/e', '.wh.a', 'a/.wh.b', 'b/.wh.a', 'a/.wh..wh..opq', '.wh..wh..opq', '/a/b', './c', 'CANARY/secret'];
/** Names that must be refused; rarer, so that most sequences get past them. */
const BAD_NAMES = ['..', '../x', 'a/../b', '.wh...', 'a/.wh.'];
const LINK_TARGETS = ['a', 'b', 'c', 'a/b', 'b/a', 'c/d/e', 'CANARY/secret', '/a/b'];
const SYMLINK_TARGETS = ['a', 'b', '/a', '..', '../..', '../../../../../..', 'a/b', 'CANARY', 'CANARY/secret', 'RELCANARY', '/proc/self/root', 'c/d', 'missing'];

type Kind = 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
const entryArb = fc.record({
  name: fc.oneof({ arbitrary: fc.constantFrom(...NAMES), weight: 20 }, { arbitrary: fc.constantFrom(...BAD_NAMES), weight: 1 }),
  type: fc.oneof(
    { arbitrary: fc.constant<Kind>('file'), weight: 4 },
    { arbitrary: fc.constant<Kind>('directory'), weight: 3 },
    { arbitrary: fc.constant<Kind>('symlink'), weight: 3 },
    { arbitrary: fc.constant<Kind>('link'), weight: 1 },
    { arbitrary: fc.constant<Kind>('fifo'), weight: 1 },
  ),
  symlinkTarget: fc.constantFrom(...SYMLINK_TARGETS),
  linkTarget: fc.constantFrom(...LINK_TARGETS),
  mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o1777, 0o000),
});
const layersArb = fc.array(fc.array(entryArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 });

function materialise(e: { name: string; type: Kind; symlinkTarget: string; linkTarget: string; mode: number }): E {
  const sub = (s: string) => s.replace('RELCANARY', `${'../'.repeat(10)}${canary.slice(1)}`).replace('CANARY', canary);
  const name = sub(e.name);
  switch (e.type) {
    case 'file':
      return { name, content: `content of ${name}`, mode: e.mode };
    case 'directory':
      return { name, type: 'directory', mode: e.mode | 0o700 };
    case 'symlink':
      return { name, type: 'symlink', linkname: sub(e.symlinkTarget) };
    case 'link':
      return { name, type: 'link', linkname: sub(e.linkTarget) };
    default:
      return { name, type: 'fifo', mode: 0o644 };
  }
}

async function walk(dir: string, out: string[] = [], rel = ''): Promise<string[]> {
  for (const c of await readdir(path.join(dir, rel))) {
    const r = rel ? `${rel}/${c}` : c;
    out.push(r);
    if ((await lstat(path.join(dir, r))).isDirectory()) await walk(dir, out, r);
  }
  return out;
}

describe('rootfs property: containment', () => {
  it('random entry sequences end in a rootfs or a MagikrunError, and never touch anything outside', async () => {
    await fc.assert(
      fc.asyncProperty(layersArb, async (layers) => {
        const bundle = path.join(parent, 'bundles', String(++n));
        const dest = path.join(bundle, 'rootfs');
        const stored = [];
        for (const l of layers) stored.push(await storeLayer(store, await tarOf(l.map(materialise)), 'none'));
        let ok = true;
        try {
          await unpackRootfs({ store, layers: stored.map((s) => s.descriptor), diffIds: stored.map((s) => s.diffId), dest });
        } catch (e) {
          if (!isMagikrunError(e)) throw e;
          ok = false;
        }
        expect(await treeState(canary)).toEqual(baseline);
        expect((await readdir(parent)).sort()).toEqual(['bundles', 'canary', 'store']);
        if (ok) {
          expect(await readdir(bundle)).toEqual(['rootfs']);
          const names = await walk(dest);
          expect(names.filter((p) => path.basename(p).startsWith('.wh.'))).toEqual([]);
          await rm(bundle, { recursive: true, force: true });
        } else {
          expect(await readdir(bundle).catch(() => [])).toEqual([]);
        }
      }),
      // fast-check prints the seed and path of a failing run; replay it with { seed, path }.
      { numRuns: 120 },
    );
  });
});
