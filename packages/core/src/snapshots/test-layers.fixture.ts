/**
 * Small layered images for the snapshotter tests: tar-stream layers stored gzip-compressed in a
 * BlobStore, with their diff_ids. Layer contents exercise whiteouts, an opaque directory, type changes,
 * hard links and symlinks, so an overlay view and a plain unpack can be compared.
 */
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import type { Descriptor } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import type { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import type { SnapshotImage } from './snapshotter.js';

export type LayerEntry = Partial<Header> & { name: string; content?: string };

export async function tarOf(entries: LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { content, ...h } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(1_700_000_000_000), ...h }, content ?? '', (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Store each layer (gzip) and return the image's layers and diff_ids. */
export async function storeImage(store: BlobStore, layers: LayerEntry[][]): Promise<SnapshotImage> {
  const descriptors: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const entries of layers) {
    const t = await tarOf(entries);
    const gz = gzipSync(t);
    const digest = sha256Digest(gz);
    await store.put(digest, gz);
    descriptors.push({ mediaType: MediaType.OciLayerTarGzip, digest, size: gz.length });
    diffIds.push(sha256Digest(t));
  }
  return { layers: descriptors, diffIds };
}

/** Three layers: a base, then deletions/opaque/type changes, then more changes on top. */
export const THREE_LAYERS: LayerEntry[][] = [
  [
    { name: './', type: 'directory', mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/a', content: 'a from layer 0' },
    { name: 'etc/b', content: 'b from layer 0' },
    { name: 'etc/link', type: 'symlink', linkname: '/etc/b' },
    { name: 'etc/hard', type: 'link', linkname: 'etc/b' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/old1', content: 'old' },
    { name: 'opaque/sub/', type: 'directory' },
    { name: 'opaque/sub/old2', content: 'old' },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/suid', content: '#!/bin/true\n', mode: 0o4755 },
    { name: 'dir-to-file/', type: 'directory' },
    { name: 'dir-to-file/x', content: 'x' },
    { name: 'owned', content: 'owned', uid: 1000, gid: 1000 },
  ],
  [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.a', content: '' },
    { name: 'etc/b', content: 'b from layer 1' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/.wh..wh..opq', content: '' },
    { name: 'opaque/new', content: 'new in layer 1' },
    { name: 'dir-to-file', content: 'now a file' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
  ],
  [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/c', content: 'c from layer 2' },
    { name: 'etc/.wh.link', content: '' },
    { name: 'etc/link', type: 'symlink', linkname: 'c' },
    { name: 'opaque/newer', content: 'newer in layer 2' },
    { name: 'bin/.wh.suid', content: '' },
  ],
];
