/**
 * A fresh BlobStore in a temporary root per test, removed afterwards.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobStore } from '../../src/storage/blob-store.js';

export async function tempStore(): Promise<{ store: BlobStore; root: string; cleanup(): Promise<void> }> {
  const parent = await mkdtemp(path.join(tmpdir(), 'magikrun-core-test-'));
  const root = path.join(parent, 'root');
  const store = await BlobStore.open({ root });
  return { store, root, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** Every file under `<root>/<sub>` (relative paths), recursively; [] when absent. */
export async function filesUnder(root: string, sub: string): Promise<string[]> {
  const base = path.join(root, sub);
  try {
    const entries = await readdir(base, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(base, path.join(e.parentPath, e.name))).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
