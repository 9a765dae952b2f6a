/**
 * Bearer token auth: docker-registry in `auth.token` mode trusting a token issuer that this test runs
 * on 127.0.0.1 (certificate from openssl). skopeo pushes with credentials; pullImage pulls anonymously
 * (public repository) and with credentials (private repository).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMagikrunError } from '../src/errors.js';
import { LocalImageIndex } from '../src/image/local-index.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync, requireTools } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';

const images = testImages();
let issuer: TokenIssuer;
let registry: { host: string; stop(): Promise<void> };
let publicRef: string;
let privateRef: string;

beforeAll(async () => {
  requireTools(['openssl']);
  issuer = await startTokenIssuer({
    users: { pusher: 'push-secret', reader: 'read-secret' },
    grant(account, repository, requested) {
      if (account === 'pusher') return requested;
      if (repository.startsWith('public/')) return requested.filter((a) => a === 'pull');
      if (account === 'reader') return requested.filter((a) => a === 'pull');
      return [];
    },
  });
  registry = await startRegistry({ token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: issuer.certFile } });
  publicRef = await pushAsync(images.layout, 'latest', registry.host, 'public/hello:v1', ['--preserve-digests'], 'pusher:push-secret');
  privateRef = await pushAsync(images.layout, 'wasm', registry.host, 'private/hello:v1', ['--preserve-digests'], 'pusher:push-secret');
});

afterAll(async () => {
  await registry?.stop();
  await issuer?.stop();
});

let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  issuer.requests.length = 0;
});
afterEach(async () => {
  await cleanup();
});

describe('Bearer token auth against docker-registry auth.token', () => {
  it('the registry really demands a token', async () => {
    const res = await fetch(`http://${registry.host}/v2/public/hello/manifests/v1`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('pulls a public repository anonymously through a token with the pull scope', async () => {
    const img = await pullImage(publicRef, store);
    expect(img.digest).toBe(images.tags.latest!.digest);
    expect(issuer.requests.length).toBeGreaterThan(0);
    expect(issuer.requests.every((r) => r.account === undefined && r.service === issuer.service)).toBe(true);
    expect(issuer.requests.flatMap((r) => r.scopes)).toContain('repository:public/hello:pull');
  });

  it('pulls a private repository with credentials', async () => {
    const img = await pullImage(privateRef, store, { credentials: { username: 'reader', password: 'read-secret' } });
    expect(img.manifest.layers[0]!.digest).toBe(images.helloModuleDigest);
    expect(issuer.requests.some((r) => r.authenticated && r.account === 'reader')).toBe(true);
  });

  it('an anonymous pull of a private repository → UNAUTHORIZED after one retry, nothing recorded', async () => {
    let caught: unknown;
    try {
      await pullImage(privateRef, store);
    } catch (e) {
      caught = e;
    }
    expect(isMagikrunError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('UNAUTHORIZED');
    expect((caught as Error).message).toContain(registry.host);
    // One token up front, one more after the registry's 401 — and then it gives up.
    expect(issuer.requests.length).toBe(2);
    expect(await new LocalImageIndex(root).list()).toEqual([]);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });

  it('wrong credentials → UNAUTHORIZED from the issuer', async () => {
    let caught: unknown;
    try {
      await pullImage(privateRef, store, { credentials: { username: 'reader', password: 'wrong' } });
    } catch (e) {
      caught = e;
    }
    expect((caught as { code: string }).code).toBe('UNAUTHORIZED');
    expect((caught as Error).message).toMatch(/token issuer .* refused/);
  });
});
