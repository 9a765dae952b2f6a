/**
 * Token auth (docker-registry `auth.token` + the test's token issuer on 127.0.0.1) with credentials
 * from Docker's config.json: `auths.<host>.identitytoken` is exchanged by an OAuth2 POST
 * (`grant_type=refresh_token`, as containerd does), `auths.<host>.auth` by the distribution GET with
 * Basic, and a credential helper answering `<token>` as user gives an identity token too.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { tempStore } from './support/store.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';

const images = testImages();
let issuer: TokenIssuer;
let registry: { host: string; stop(): Promise<void> };
let privateRef: string;
let dir: string;

beforeAll(async () => {
  requireTools(['openssl']);
  issuer = await startTokenIssuer({
    users: { pusher: 'push-secret', reader: 'read-secret' },
    refreshTokens: { 'reader-refresh-token': 'reader' },
    grant: (account, _repository, requested) => (account === 'pusher' ? requested : account === 'reader' ? requested.filter((a) => a === 'pull') : []),
  });
  registry = await startRegistry({ token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: issuer.certFile } });
  privateRef = await pushAsync(images.layout, 'latest', registry.host, 'private/creds:v1', ['--preserve-digests'], 'pusher:push-secret');
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-token-creds-'));
});
afterAll(async () => {
  await registry?.stop();
  await issuer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let store: BlobStore;
let cleanup: () => Promise<void>;
let cfg: string;
let savedPath: string | undefined;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  issuer.requests.length = 0;
  cfg = await mkdtemp(path.join(dir, 'cfg-'));
  savedPath = process.env.PATH;
});
afterEach(async () => {
  process.env.PATH = savedPath;
  await cleanup();
});
const writeConfig = (doc: unknown) => writeFile(path.join(cfg, 'config.json'), JSON.stringify(doc));

describe('token auth with credentials from Docker config', () => {
  it('identitytoken → POST grant_type=refresh_token to the realm, then the pull succeeds', async () => {
    await writeConfig({ auths: { [registry.host]: { identitytoken: 'reader-refresh-token' } } });
    const img = await pullImage(privateRef, store, { dockerConfig: cfg });
    expect(img.digest).toBe(images.tags.latest!.digest);
    expect(issuer.requests.length).toBeGreaterThan(0);
    expect(issuer.requests.every((r) => r.method === 'POST' && r.account === 'reader' && r.service === issuer.service)).toBe(true);
    expect(issuer.requests[0]!.scopes).toContain('repository:private/creds:pull');
  });

  it('auth (user:pass) → GET with Basic', async () => {
    await writeConfig({ auths: { [registry.host]: { auth: Buffer.from('reader:read-secret').toString('base64') } } });
    await pullImage(privateRef, store, { dockerConfig: cfg });
    expect(issuer.requests.every((r) => r.method === 'GET' && r.authenticated && r.account === 'reader')).toBe(true);
  });

  it('a helper answering Username "<token>" gives an identity token', async () => {
    const bin = path.join(cfg, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'docker-credential-magikrun-test'), `#!/bin/sh\ncat >/dev/null\nprintf '%s' '{"ServerURL":"x","Username":"<token>","Secret":"reader-refresh-token"}'\n`);
    await chmod(path.join(bin, 'docker-credential-magikrun-test'), 0o755);
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    await writeConfig({ credsStore: 'magikrun-test' });
    await pullImage(privateRef, store, { dockerConfig: cfg });
    expect(issuer.requests.some((r) => r.method === 'POST' && r.account === 'reader')).toBe(true);
  });

  it('an unknown identity token → UNAUTHORIZED saying to log in again', async () => {
    await writeConfig({ auths: { [registry.host]: { identitytoken: 'stale' } } });
    let caught: { code?: string; message?: string } | undefined;
    try {
      await pullImage(privateRef, store, { dockerConfig: cfg });
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe('UNAUTHORIZED');
    expect(caught?.message).toMatch(/invalid_grant.*docker login/);
  });
});
