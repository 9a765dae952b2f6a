import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeBlobStore } from '../testing/describe-blob-store.js';
import { BlobStore } from './blob-store.js';

describeBlobStore('BlobStore', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'magikrun-blobs-'));
  return { store: new BlobStore({ root: path.join(dir, 'root') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
