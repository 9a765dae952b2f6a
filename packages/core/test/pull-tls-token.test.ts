/**
 * Token auth entirely over TLS: docker-registry (`http.tls`) and the test's token issuer both serve
 * certificates from a CA this test makes; the realm is https://127.0.0.1. The custom CA must reach
 * the token request as well as the registry requests.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync, requireTools } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';
import { makeTestCa, type TestCa } from './support/test-ca.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';

const images = testImages();
let ca: TestCa;
let issuer: TokenIssuer;
let registry: { host: string; stop(): Promise<void> };
let ref: string;

beforeAll(async () => {
  requireTools(['openssl']);
  ca = makeTestCa();
  issuer = await startTokenIssuer({
    users: { pusher: 'push-secret', reader: 'read-secret' },
    tls: { certFile: ca.certFile, keyFile: ca.keyFile },
    grant: (account, _repository, requested) => (account === 'pusher' ? requested : account === 'reader' ? requested.filter((a) => a === 'pull') : []),
  });
  registry = await startRegistry({
    tls: { certificate: ca.certFile, key: ca.keyFile },
    token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: issuer.certFile },
  });
  // skopeo is told not to verify (push.sh), so it does not need the CA
  ref = await pushAsync(images.layout, 'latest', registry.host, 'tls-token/hello:v1', ['--preserve-digests'], 'pusher:push-secret');
});
afterAll(async () => {
  await registry?.stop();
  await issuer?.stop();
  ca?.remove();
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

describe('Bearer tokens from an HTTPS realm with a custom CA', () => {
  it('pulls with credentials; the token came from https://127.0.0.1', async () => {
    expect(issuer.realm).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/token$/);
    const img = await pullImage(ref, store, { plainHttp: false, ca: ca.caFile, dockerConfig: false, credentials: { username: 'reader', password: 'read-secret' } });
    expect(img.digest).toBe(images.tags.latest!.digest);
    expect(issuer.requests.some((r) => r.authenticated && r.account === 'reader')).toBe(true);
  });

  it('without the CA, nothing is sent to the issuer and nothing is stored', async () => {
    let caught: { code?: string } | undefined;
    try {
      await pullImage(ref, store, { plainHttp: false, dockerConfig: false, credentials: { username: 'reader', password: 'read-secret' }, retry: { attempts: 1 } });
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe('REGISTRY');
    expect(issuer.requests).toEqual([]);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });
});
