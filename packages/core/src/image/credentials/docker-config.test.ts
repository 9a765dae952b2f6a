import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authKeyHostname, findAuthEntry, findHelper, helperServerUrl, readDockerConfig } from './docker-config.js';
import { credentialsFromAuthEntry, dockerConfigCredentials } from './resolve-credentials.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-docker-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const write = (doc: unknown) => writeFile(path.join(dir, 'config.json'), JSON.stringify(doc));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Docker config.json', () => {
  it('hostnames of auth keys as docker/cli ConvertToHostname', () => {
    expect(authKeyHostname('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(authKeyHostname('http://reg.example:5000/v2/')).toBe('reg.example:5000');
    expect(authKeyHostname('ghcr.io')).toBe('ghcr.io');
    expect(helperServerUrl('docker.io')).toBe('https://index.docker.io/v1/');
    expect(helperServerUrl('ghcr.io')).toBe('ghcr.io');
  });

  it('finds Docker Hub under https://index.docker.io/v1/ and others by exact key or hostname', async () => {
    await write({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
        'https://ghcr.io/v1/': { auth: b64('octo:pat:with:colons') },
        'quay.io': { username: 'q', password: 'p' },
        'harbor.example': { identitytoken: 'refresh-me' },
      },
      credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
      credsStore: 'desktop',
    });
    const c = (await readDockerConfig(dir))!;
    expect(credentialsFromAuthEntry(findAuthEntry(c, 'docker.io')!, 'x')).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(credentialsFromAuthEntry(findAuthEntry(c, 'ghcr.io')!, 'x')).toEqual({ username: 'octo', password: 'pat:with:colons' });
    expect(credentialsFromAuthEntry(findAuthEntry(c, 'quay.io')!, 'x')).toEqual({ username: 'q', password: 'p' });
    expect(credentialsFromAuthEntry(findAuthEntry(c, 'harbor.example')!, 'x')).toEqual({ username: '', password: '', identityToken: 'refresh-me' });
    expect(findAuthEntry(c, 'other.example')).toBeUndefined();
    expect(findHelper(c, '123.dkr.ecr.us-east-1.amazonaws.com')).toBe('ecr-login');
    expect(findHelper(c, 'ghcr.io')).toBe('desktop');
  });

  it('no config → anonymous; an auth that is not user:pass → INVALID_ARGUMENT', async () => {
    expect(await dockerConfigCredentials('ghcr.io', dir)).toBeUndefined();
    await write({ auths: { 'ghcr.io': { auth: b64('nocolon') } } });
    await expect(dockerConfigCredentials('ghcr.io', dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an invalid helper name is refused before anything runs', async () => {
    await write({ credHelpers: { 'ghcr.io': '../../bin/sh' } });
    await expect(dockerConfigCredentials('ghcr.io', dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('the auth file search (skopeo order)', () => {
  const VARS = ['HOME', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'REGISTRY_AUTH_FILE', 'DOCKER_CONFIG'];
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const v of VARS) saved[v] = process.env[v];
    process.env.HOME = dir;
    for (const v of VARS.slice(1)) delete process.env[v];
  });
  afterEach(() => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });
  const put = async (file: string, user: string) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ auths: { 'r.example': { auth: b64(`${user}:pw`) } } }));
  };

  it('podman’s auth.json comes before Docker’s config.json; REGISTRY_AUTH_FILE before both', async () => {
    await put(path.join(dir, '.docker', 'config.json'), 'docker');
    expect((await dockerConfigCredentials('r.example'))?.username).toBe('docker');
    await put(path.join(dir, '.config', 'containers', 'auth.json'), 'podman');
    expect((await dockerConfigCredentials('r.example'))?.username).toBe('podman');
    process.env.XDG_RUNTIME_DIR = path.join(dir, 'run');
    await put(path.join(dir, 'run', 'containers', 'auth.json'), 'runtime');
    expect((await dockerConfigCredentials('r.example'))?.username).toBe('runtime');
    process.env.REGISTRY_AUTH_FILE = path.join(dir, 'explicit.json');
    await put(path.join(dir, 'explicit.json'), 'explicit');
    expect((await dockerConfigCredentials('r.example'))?.username).toBe('explicit');
    // a file that does not name the registry does not stop the search
    expect(await dockerConfigCredentials('other.example')).toBeUndefined();
  });

  it('an explicit directory reads only its config.json', async () => {
    await put(path.join(dir, '.config', 'containers', 'auth.json'), 'podman');
    await put(path.join(dir, 'only', 'config.json'), 'only');
    expect((await dockerConfigCredentials('r.example', path.join(dir, 'only')))?.username).toBe('only');
    expect(await dockerConfigCredentials('r.example', path.join(dir, 'empty'))).toBeUndefined();
  });
});
