// `magikrun pull` with the registry flags, end to end: docker-registry on 127.0.0.1 over TLS (a CA
// the test makes with openssl) with htpasswd Basic auth; credentials by --creds or a Docker config.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { makeTestCa } from '../../../tools/registry/test-ca.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync, requireTools } from '../../../tools/images/test-images.mjs';
import { runCli, tempDir } from './support.js';

const images = inject('images');

describe('magikrun pull: TLS and credential flags', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let ca: { caFile: string; certFile: string; keyFile: string; remove(): void };
  let registry: { host: string; stop(): Promise<void> };
  let ref: string;

  beforeAll(async () => {
    requireTools(['openssl', 'htpasswd']);
    ({ dir, cleanup } = await tempDir('magikrun-cli-tls-'));
    ca = makeTestCa();
    const htpasswd = join(dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', htpasswd, 'dave', 'dave-secret'], { stdio: 'ignore' });
    registry = await startRegistry({ htpasswd, tls: { certificate: ca.certFile, key: ca.keyFile } });
    ref = await pushAsync(images.layout, 'latest', registry.host, 'tls/hello:v1', ['--preserve-digests'], 'dave:dave-secret');
  });
  afterAll(async () => {
    await registry?.stop();
    ca?.remove();
    await cleanup?.();
  });

  it('--no-plain-http --ca --creds pulls and prints the digest', async () => {
    const r = await runCli(['pull', '-q', '--no-plain-http', '--ca', ca.caFile, '--creds', 'dave:dave-secret', '--docker-config', join(dir, 'none'), ref], { root: join(dir, 'root1') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });

  it('credentials from a Docker config via $DOCKER_CONFIG; without --ca the certificate is refused', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('dave:dave-secret').toString('base64') } } }));
    const ok = await runCli(['pull', '-q', '--no-plain-http', '--ca', ca.caFile, ref], { root: join(dir, 'root2'), env: { DOCKER_CONFIG: dir } });
    expect(ok.code).toBe(0);
    const refused = await runCli(['pull', '-q', '--no-plain-http', ref], { root: join(dir, 'root3'), env: { DOCKER_CONFIG: dir } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate|UNABLE_TO_VERIFY|self.signed/i);
  });

  it('a bad --creds is an invalid-argument error before any request', async () => {
    const r = await runCli(['pull', '--creds', 'nopassword', ref], { root: join(dir, 'root4') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--creds: expected USER:PASSWORD');
  });
});
