/**
 * docker-registry on 127.0.0.1 over TLS with a certificate from a CA this test makes (openssl), and
 * htpasswd Basic auth. Trust: no CA → refused; the CA as a file or PEM text → pulled;
 * insecureSkipTlsVerify → pulled. Credentials: from a Docker config.json the test writes (through the
 * dockerConfig option and through $DOCKER_CONFIG) and from a `docker-credential-magikrun-test` helper
 * the test puts on PATH; explicit credentials win.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalImageIndex } from '../src/image/local-index.js';
import { pullImage } from '../src/image/pull.js';
import type { PullOptions } from '../src/image/types.js';
import type { BlobStore } from '../src/storage/blob-store.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync, requireTools } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';
import { makeTestCa, type TestCa } from './support/test-ca.js';
import { failure } from './support/outcome.js';

const images = testImages();
let ca: TestCa;
let dir: string;
let registry: { host: string; stop(): Promise<void> };
let ref: string;
const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');

beforeAll(async () => {
  requireTools(['openssl', 'htpasswd']);
  ca = makeTestCa();
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-tls-creds-'));
  const htpasswd = path.join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-Bbc', htpasswd, 'carol', 'carol-secret'], { stdio: 'ignore' });
  registry = await startRegistry({ htpasswd, tls: { certificate: ca.certFile, key: ca.keyFile } });
  ref = await pushAsync(images.layout, 'latest', registry.host, 'secure/hello:v1', ['--preserve-digests'], 'carol:carol-secret');
});

afterAll(async () => {
  await registry?.stop();
  ca?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

const tls = (o: PullOptions = {}): PullOptions => ({ plainHttp: false, dockerConfig: false, ...o });
const creds = { username: 'carol', password: 'carol-secret' };

describe('TLS with a test CA', () => {
  it('the registry speaks TLS only; the loopback default (plain HTTP) fails saying to use HTTPS', async () => {
    const e = await failure(pullImage(ref, store, { dockerConfig: false, credentials: creds, retry: { attempts: 1 } }));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toContain('it speaks HTTPS: pass plainHttp: false');
  });

  it('without the CA the certificate is refused: REGISTRY naming the verification failure, nothing stored', async () => {
    const e = await failure(pullImage(ref, store, tls({ credentials: creds })));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toMatch(/certificate|UNABLE_TO_VERIFY|self.signed/i);
    expect(e.message).toContain("give the registry's CA");
    expect(await filesUnder(root, 'blobs')).toEqual([]);
    expect(await new LocalImageIndex(root).list()).toEqual([]);
  });

  it('with the CA as a file path it pulls and verifies', async () => {
    const img = await pullImage(ref, store, tls({ credentials: creds, ca: ca.caFile }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('with the CA as PEM text it pulls', async () => {
    const img = await pullImage(ref, store, tls({ credentials: creds, ca: ca.caPem }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('insecureSkipTlsVerify accepts the unknown certificate', async () => {
    const img = await pullImage(ref, store, tls({ credentials: creds, insecureSkipTlsVerify: true }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('an unreadable CA option is INVALID_ARGUMENT', async () => {
    const e = await failure(pullImage(ref, store, tls({ credentials: creds, ca: path.join(dir, 'missing.pem') })));
    expect(e.code).toBe('INVALID_ARGUMENT');
  });

  it('Basic auth over TLS without credentials → UNAUTHORIZED', async () => {
    const e = await failure(pullImage(ref, store, tls({ ca: ca.caFile })));
    expect(e.code).toBe('UNAUTHORIZED');
  });
});

describe('credentials from Docker config.json and credential helpers', () => {
  let cfg: string;
  let bin: string;
  let savedPath: string | undefined;
  let savedDockerConfig: string | undefined;
  beforeEach(async () => {
    cfg = await mkdtemp(path.join(dir, 'docker-config-'));
    bin = path.join(cfg, 'bin');
    await mkdir(bin);
    savedPath = process.env.PATH;
    savedDockerConfig = process.env.DOCKER_CONFIG;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
  });
  const writeConfig = (doc: unknown) => writeFile(path.join(cfg, 'config.json'), JSON.stringify(doc));
  /** A helper that logs its argv and stdin to a file, then answers with `answer` and `exit`. */
  async function helper(answer: string, exit = 0): Promise<string> {
    const log = path.join(cfg, 'helper.log');
    const script = `#!/bin/sh\nprintf '%s\\n' "$*" > '${log}'\ncat >> '${log}'\nprintf '%s' '${answer}'\nexit ${exit}\n`;
    await writeFile(path.join(bin, 'docker-credential-magikrun-test'), script);
    await chmod(path.join(bin, 'docker-credential-magikrun-test'), 0o755);
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    return log;
  }

  it('auths.<host>.auth (base64 user:pass) through the dockerConfig option', async () => {
    await writeConfig({ auths: { [registry.host]: { auth: basic('carol', 'carol-secret') } } });
    const img = await pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('auths keyed by URL (https://host/v1/) through $DOCKER_CONFIG', async () => {
    await writeConfig({ auths: { [`https://${registry.host}/v1/`]: { auth: basic('carol', 'carol-secret') } } });
    process.env.DOCKER_CONFIG = cfg;
    const { dockerConfig: _ignored, ...o } = tls({ ca: ca.caFile });
    const img = await pullImage(ref, store, o);
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('credHelpers runs docker-credential-magikrun-test get with the server on stdin', async () => {
    await writeConfig({ credHelpers: { [registry.host]: 'magikrun-test' } });
    const log = await helper(JSON.stringify({ ServerURL: registry.host, Username: 'carol', Secret: 'carol-secret' }));
    const img = await pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg }));
    expect(img.digest).toBe(images.tags.latest!.digest);
    expect((await readFile(log, 'utf8')).split('\n')).toEqual(['get', registry.host]);
  });

  it('credsStore applies to every registry; "credentials not found" falls back to auths', async () => {
    await writeConfig({ credsStore: 'magikrun-test', auths: { [registry.host]: { auth: basic('carol', 'carol-secret') } } });
    await helper('credentials not found in native keychain', 1);
    const img = await pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('a failing helper → UNAUTHORIZED naming it; nothing stored', async () => {
    await writeConfig({ credHelpers: { [registry.host]: 'magikrun-test' } });
    await helper('keychain locked', 3);
    const e = await failure(pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg })));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('docker-credential-magikrun-test failed: keychain locked');
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });

  it('a helper missing from PATH → UNAUTHORIZED saying so', async () => {
    await writeConfig({ credHelpers: { [registry.host]: 'magikrun-absent' } });
    const e = await failure(pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg })));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('docker-credential-magikrun-absent is not on PATH');
  });

  it('explicit credentials win over the config', async () => {
    await writeConfig({ auths: { [registry.host]: { auth: basic('carol', 'wrong') } } });
    expect((await failure(pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg })))).code).toBe('UNAUTHORIZED');
    const img = await pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg, credentials: creds }));
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('a malformed config.json is INVALID_ARGUMENT, not a silent anonymous pull', async () => {
    await writeFile(path.join(cfg, 'config.json'), '{ not json');
    const e = await failure(pullImage(ref, store, tls({ ca: ca.caFile, dockerConfig: cfg })));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('config.json');
  });
});
