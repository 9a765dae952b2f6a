/**
 * Basic auth (docker-registry with an htpasswd file made by Apache's htpasswd) and blob redirects
 * (docker-registry's "redirect" storage middleware, answering blob GETs with 307 to a static file
 * server on 127.0.0.1 — the shape of a registry behind a CDN). Credentials must reach the registry and
 * never the redirect target.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync, requireTools } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';
import { codeOf } from './support/outcome.js';

const images = testImages();
let dir: string;
let registry: { host: string; storageDir: string; stop(): Promise<void> };
let cdn: Server;
let cdnRequests: { path: string; authorization: string | undefined }[] = [];
let ref: string;

beforeAll(async () => {
  requireTools(['htpasswd']);
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-basic-auth-'));
  const htpasswd = path.join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-Bbc', htpasswd, 'alice', 'alice-secret'], { stdio: 'ignore' });
  let storageDir = '';
  cdn = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    cdnRequests.push({ path: url.pathname, authorization: req.headers.authorization });
    const file = path.resolve(storageDir, `.${decodeURIComponent(url.pathname)}`);
    if (!storageDir || !file.startsWith(storageDir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const st = await stat(file);
      res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  const cdnPort = (cdn.address() as { port: number }).port;
  registry = await startRegistry({ htpasswd, redirectBaseUrl: `http://127.0.0.1:${cdnPort}/` });
  storageDir = registry.storageDir;
  ref = await pushAsync(images.layout, 'latest', registry.host, 'team/hello:v1', ['--preserve-digests'], 'alice:alice-secret');
});

afterAll(async () => {
  await registry?.stop();
  cdn?.closeAllConnections();
  await new Promise((resolve) => cdn?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  cdnRequests = [];
});
afterEach(async () => {
  await cleanup();
});

describe('Basic auth and blob redirects', () => {
  it('pulls with credentials; blobs come from the redirect target without the credentials', async () => {
    const img = await pullImage(ref, store, { credentials: { username: 'alice', password: 'alice-secret' } });
    expect(img.digest).toBe(images.tags.latest!.digest);
    for (const d of images.tags.latest!.layers) expect(await store.has(d)).toBe(true);
    const blobPaths = cdnRequests.map((r) => r.path);
    expect(blobPaths.some((p) => p.includes(images.tags.latest!.layers[0]!.slice(7)))).toBe(true);
    expect(cdnRequests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('without credentials → UNAUTHORIZED, nothing stored', async () => {
    expect(await codeOf(pullImage(ref, store))).toBe('UNAUTHORIZED');
    expect(await filesUnder(root, 'blobs')).toEqual([]);
    expect(await filesUnder(root, 'images')).toEqual([]);
  });

  it('with a wrong password → UNAUTHORIZED', async () => {
    expect(await codeOf(pullImage(ref, store, { credentials: { username: 'alice', password: 'nope' } }))).toBe('UNAUTHORIZED');
    expect(cdnRequests).toEqual([]);
  });
});
