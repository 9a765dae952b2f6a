import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageRunConfig } from '../../image/image-config.js';
import { prepareOciSpec, type OciSpecOptions, type SpecContext } from './prepare-spec.js';
import { validateOciConfig } from './validate-config.js';
import { OCI_VERSION } from './oci-version.js';

let dir: string;
let rootfs: string;
let staging: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-spec-'));
  rootfs = path.join(dir, 'rootfs');
  await mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\nusers:x:100:app\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function ctx(config: ImageRunConfig, extra: Partial<SpecContext> = {}): SpecContext {
  return {
    image: {
      reference: 'example.test/app:1',
      digest: 'sha256:' + 'a'.repeat(64),
      platform: { os: 'linux', architecture: 'amd64' },
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', platform: { os: 'linux', architecture: 'amd64' }, config, diffIds: [], raw: { created: '2024-01-01T00:00:00Z' } },
    },
    rootfs,
    stagingDir: '',
    finalDir: path.join(dir, 'final'),
    id: 'abc_123',
    arch: 'amd64',
    ...extra,
  };
}

/** Each call stages into a fresh directory (the /etc files are created exclusively); `staging` is the last one. */
async function prepare(config: ImageRunConfig, options: OciSpecOptions = {}, extra: Partial<SpecContext> = {}) {
  staging = await mkdtemp(path.join(dir, 'stage-'));
  return prepareOciSpec({ ...ctx(config, extra), stagingDir: staging }, options);
}

describe('process from the image config and the options (docker run rules)', () => {
  it('args = Entrypoint + Cmd; user args replace Cmd; --entrypoint replaces both', async () => {
    const config = { Entrypoint: ['/bin/ep', '-x'], Cmd: ['default'] };
    expect((await prepare(config)).process.args).toEqual(['/bin/ep', '-x', 'default']);
    expect((await prepare(config, { args: ['a', 'b'] })).process.args).toEqual(['/bin/ep', '-x', 'a', 'b']);
  });

  it('--entrypoint clears the image Cmd; only the user args follow it', async () => {
    expect((await prepare({ Entrypoint: ['/bin/ep'], Cmd: ['c'] }, { entrypoint: ['/bin/other'] })).process.args).toEqual(['/bin/other']);
  });

  it('nothing to run is INVALID_ARGUMENT', async () => {
    await expect(prepare({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('env: default PATH first, the image overrides it, the user overrides the image; HOME from passwd', async () => {
    const s = await prepare({ Cmd: ['x'], Env: ['A=image', 'B=image'] }, { env: ['B=user', 'C=user'] });
    expect(s.process.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=image', 'B=user', 'C=user', 'HOME=/root']);
  });

  it('the image PATH replaces the default in place; a user HOME is kept', async () => {
    const s = await prepare({ Cmd: ['x'], Env: ['PATH=/only'], User: 'app' }, { env: { HOME: '/custom' } });
    expect(s.process.env).toEqual(['PATH=/only', 'HOME=/custom']);
  });

  it('user from the image, overridden by the option; capabilities only bounding for non-root', async () => {
    const s = await prepare({ Cmd: ['x'], User: 'app' });
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 100] });
    expect(s.process.capabilities).toEqual({ bounding: expect.arrayContaining(['CAP_CHOWN', 'CAP_KILL']) });
    expect(s.process.env).toContain('HOME=/home/app');
    const r = await prepare({ Cmd: ['x'], User: 'app' }, { user: '0:0' });
    expect(r.process.user.uid).toBe(0);
    expect(r.process.capabilities?.effective).toHaveLength(14);
  });

  it('a missing user is NOT_FOUND', async () => {
    await expect(prepare({ Cmd: ['x'], User: 'ghost' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('WorkingDir is created inside the rootfs, through symlinks resolved in the root', async () => {
    await symlink('/../../../../outside-target', path.join(rootfs, 'work'));
    const s = await prepare({ Cmd: ['x'], WorkingDir: '/work/sub' });
    expect(s.process.cwd).toBe('/work/sub');
    expect((await stat(path.join(rootfs, 'outside-target/sub'))).isDirectory()).toBe(true);
    await expect(stat(path.join(dir, 'outside-target'))).rejects.toThrow();
  });

  it('a WorkingDir that is a file in the image is INVALID_ARGUMENT', async () => {
    await writeFile(path.join(rootfs, 'file'), '');
    await expect(prepare({ Cmd: ['x'] }, { workdir: '/file/sub' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('Linux defaults and annotations', () => {
  it('namespaces, mounts, devices, masked paths, rlimits, noNewPrivileges, ociVersion', async () => {
    const s = await prepare({ Cmd: ['x'] });
    expect(s.ociVersion).toBe(OCI_VERSION);
    expect(s.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(s.mounts.slice(0, 7).map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(s.linux.resources.devices?.[0]).toEqual({ allow: false, access: 'rwm' });
    expect(s.linux.resources.devices?.filter((d) => d.allow && d.access === 'rwm').map((d) => `${d.major}:${d.minor ?? '*'}`)).toEqual(['1:3', '1:5', '1:7', '5:0', '1:8', '1:9', '5:1', '5:2', '136:*']);
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }]);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.hostname).toBe('abc-123');
  });

  it('labels and StopSignal become annotations; the caller\'s win', async () => {
    const s = await prepare({ Cmd: ['x'], Labels: { a: '1', b: '2' }, StopSignal: 'SIGQUIT' }, { annotations: { b: 'user' } });
    expect(s.annotations).toMatchObject({
      a: '1',
      b: 'user',
      'org.opencontainers.image.stopSignal': 'SIGQUIT',
      'org.opencontainers.image.os': 'linux',
      'org.opencontainers.image.architecture': 'amd64',
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
      'io.magikrun.image.reference': 'example.test/app:1',
    });
  });

  it('resources: memory bytes, cpus as quota/period, pids', async () => {
    const s = await prepare({ Cmd: ['x'] }, { resources: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pids: 20 } });
    expect(s.linux.resources).toMatchObject({ memory: { limit: 67108864 }, cpu: { quota: 50000, period: 100000 }, pids: { limit: 20 } });
  });

  it('bad resources, hostname, annotations are INVALID_ARGUMENT', async () => {
    for (const options of [
      { resources: { memoryBytes: 1024 } },
      { resources: { cpus: 0 } },
      { resources: { cpus: 10_000 } },
      { resources: { pids: 1.5 } },
      { hostname: '-bad' },
      { hostname: 'a'.repeat(65) },
      { hostname: 'has space' },
      { annotations: { '': 'x' } },
    ] as OciSpecOptions[]) {
      await expect(prepare({ Cmd: ['x'] }, options), JSON.stringify(options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('network modes and their /etc files', () => {
  it('none: own netns; hosts, hostname, resolv.conf written in the bundle and bound read-only by their final path', async () => {
    const s = await prepare({ Cmd: ['x'] }, { hostname: 'web-1' });
    expect(s.linux.namespaces).toContainEqual({ type: 'network' });
    const etc = s.mounts.filter((m) => m.destination.startsWith('/etc/'));
    expect(etc).toEqual(
      ['resolv.conf', 'hosts', 'hostname'].map((n) => ({ destination: `/etc/${n}`, type: 'bind', source: path.join(dir, 'final', n), options: ['rbind', 'rprivate', 'ro'] })),
    );
    expect(await readFile(path.join(staging, 'hostname'), 'utf8')).toBe('web-1\n');
    expect(await readFile(path.join(staging, 'hosts'), 'utf8')).toContain('127.0.0.1\tweb-1');
    expect(await readFile(path.join(staging, 'resolv.conf'), 'utf8')).not.toContain('nameserver');
  });

  it('host: no network namespace, the host\'s resolv.conf and hosts bound as they are', async () => {
    const s = await prepare({ Cmd: ['x'] }, { network: 'host' });
    expect(s.linux.namespaces.some((n) => n.type === 'network')).toBe(false);
    expect(s.linux.namespaces.some((n) => n.type === 'uts')).toBe(true);
    const sources = Object.fromEntries(s.mounts.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
    expect(sources['/etc/hostname']).toBe(path.join(dir, 'final', 'hostname'));
    for (const f of ['/etc/resolv.conf', '/etc/hosts']) {
      const hostHas = await stat(f).then(() => true, () => false);
      expect(sources[f]).toBe(hostHas ? f : path.join(dir, 'final', path.basename(f)));
    }
  });

  it('a namespace path is joined; a missing one is NOT_FOUND, a plain file INVALID_ARGUMENT', async () => {
    const s = await prepare({ Cmd: ['x'] }, { network: '/proc/self/ns/net' });
    expect(s.linux.namespaces).toContainEqual({ type: 'network', path: '/proc/self/ns/net' });
    await expect(prepare({ Cmd: ['x'] }, { network: path.join(dir, 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await writeFile(path.join(dir, 'plain'), '');
    await expect(prepare({ Cmd: ['x'] }, { network: path.join(dir, 'plain') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(prepare({ Cmd: ['x'] }, { network: 'bridge' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a user volume at /etc/resolv.conf replaces ours; volumes are rbind with ro/rw', async () => {
    await writeFile(path.join(dir, 'my-resolv'), 'nameserver 10.0.0.1\n');
    const s = await prepare({ Cmd: ['x'] }, { volumes: [{ hostPath: path.join(dir, 'my-resolv'), guestPath: '/etc/resolv.conf', readonly: true }, { hostPath: dir, guestPath: '/data' }] });
    const resolv = s.mounts.filter((m) => m.destination === '/etc/resolv.conf');
    expect(resolv).toEqual([{ destination: '/etc/resolv.conf', type: 'bind', source: path.join(dir, 'my-resolv'), options: ['rbind', 'rprivate', 'ro'] }]);
    expect(s.mounts.at(-1)).toEqual({ destination: '/data', type: 'bind', source: dir, options: ['rbind', 'rprivate', 'rw'] });
  });

  it('volumes with a missing host path, guest /, .., or twice are INVALID_ARGUMENT', async () => {
    for (const volumes of [
      [{ hostPath: path.join(dir, 'missing'), guestPath: '/x' }],
      [{ hostPath: dir, guestPath: '/' }],
      [{ hostPath: dir, guestPath: '/a/../b' }],
      [{ hostPath: dir, guestPath: 'rel' }],
      [{ hostPath: dir, guestPath: '/x' }, { hostPath: dir, guestPath: '/x/' }],
    ]) {
      await expect(prepare({ Cmd: ['x'] }, { volumes }), JSON.stringify(volumes)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('validateOciConfig', () => {
  it('names the JSON pointer of the first bad value', async () => {
    const good = await prepare({ Cmd: ['x'] });
    expect(validateOciConfig(good)).toBe(good);
    const bad = structuredClone(good) as unknown as { process: { user: { uid: unknown } } };
    bad.process.user.uid = -1;
    expect(() => validateOciConfig(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ pointer: '/process/user/uid' }) }));
    const typo = { ...structuredClone(good), proccess: {} };
    expect(() => validateOciConfig(typo)).toThrow(/proccess/);
    const noArgs = structuredClone(good);
    noArgs.process.args = [];
    expect(() => validateOciConfig(noArgs)).toThrow(expect.objectContaining({ details: expect.objectContaining({ pointer: '/process/args' }) }));
    const relMount = structuredClone(good);
    relMount.mounts[0]!.destination = 'proc';
    expect(() => validateOciConfig(relMount)).toThrow(expect.objectContaining({ details: expect.objectContaining({ pointer: '/mounts/0/destination' }) }));
    const v2 = { ...structuredClone(good), ociVersion: '2.0.0' };
    expect(() => validateOciConfig(v2)).toThrow(expect.objectContaining({ details: expect.objectContaining({ pointer: '/ociVersion' }) }));
  });
});
