/**
 * BundleBuilder kinds `oci` and `microvm` on the busybox test image (Debian busybox-static built by
 * umoci, pushed by skopeo to docker-registry): layout on disk, atomicity (nothing partial, no temp
 * left), removeBundle, limits; and, where the host can run containers, network modes and resource
 * limits under Debian runc.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MicroVmBundle, OciBundle } from '../src/runtime/bundle.js';
import { BundleBuilder } from '../src/bundle-builder/bundle-builder.js';
import { writeOciBundle } from '../src/bundle-builder/oci-bundle.js';
import { validateOciConfig } from '../src/bundle-builder/oci-config/validate-config.js';
import { removeBundle } from '../src/bundle-builder/remove-bundle.js';
import { resolveLimits } from '../src/constants.js';
import type { PulledImage } from '../src/image/types.js';
import { pullImage } from '../src/image/pull.js';
import { Platform } from '../src/platform/platform.js';
import { canRun } from '../src/platform/require.js';
import { Capability } from '../src/platform/types.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { testImages } from './support/images.js';
import { failure } from './support/outcome.js';
import { tempStore } from './support/store.js';

const images = testImages();
const platform = await Platform.detect();
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let image: PulledImage;

beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  image = await pullImage(images.refs.busybox, store);
});
afterEach(() => cleanup());

const builder = () => new BundleBuilder().image(image).storage(store);
const bundlesDir = () => path.join(root, 'bundles');

describe('BundleBuilder kind oci', () => {
  it('writes <root>/bundles/<id>/ (0700) with rootfs/ and a valid config.json; removeBundle removes it', async () => {
    const b: OciBundle = await builder().build({ kind: 'oci', id: 'bb', user: 'app', args: ['id'] });
    expect(b).toMatchObject({ kind: 'oci', path: path.join(bundlesDir(), 'bb'), rootfs: path.join(bundlesDir(), 'bb', 'rootfs'), stopSignal: 'SIGTERM' });
    expect(b.rootfsMounts).toBeUndefined();
    expect((await stat(b.path)).mode & 0o777).toBe(0o700);
    expect((await lstat(path.join(b.rootfs, 'bin/busybox'))).isFile()).toBe(true);
    const config = validateOciConfig(JSON.parse(await readFile(path.join(b.path, 'config.json'), 'utf8')));
    expect(config.process).toMatchObject({ args: ['id'], cwd: '/home/app', user: { uid: 1000, gid: 1000, additionalGids: [1000, 100] } });
    expect(config.hostname).toBe('bb');
    expect(config.annotations).toMatchObject({ 'io.magikrun.image.digest': image.digest, 'org.opencontainers.image.stopSignal': 'SIGTERM' });
    expect(b.annotations).toEqual(config.annotations);
    for (const m of config.mounts.filter((x) => x.destination.startsWith('/etc/'))) expect(path.dirname(m.source)).toBe(b.path);
    await removeBundle(b);
    await expect(lstat(b.path)).rejects.toThrow();
  });

  it('an id that is taken is ALREADY_EXISTS; a malformed id INVALID_ARGUMENT', async () => {
    await builder().build({ kind: 'oci', id: 'same' });
    expect((await failure(builder().build({ kind: 'oci', id: 'same' }))).code).toBe('ALREADY_EXISTS');
    expect((await failure(builder().build({ kind: 'oci', id: '../up' }))).code).toBe('INVALID_ARGUMENT');
    expect(await readdir(bundlesDir())).toEqual(['same']);
  });

  it('a failure after unpacking (a user the image lacks) leaves no bundle and no temporary directory', async () => {
    const r = await failure(builder().build({ kind: 'oci', id: 'nouser', user: 'ghost' }));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toContain('ghost');
    expect(await readdir(bundlesDir())).toEqual([]);
  });

  it('a WebAssembly image cannot become an OCI bundle (INVALID_ARGUMENT)', async () => {
    const wasm = await pullImage(images.refs.wasm, store);
    expect((await failure(new BundleBuilder().image(wasm).storage(store).build({ kind: 'oci' }))).code).toBe('INVALID_ARGUMENT');
    expect(await readdir(bundlesDir())).toEqual([]);
  });

  it('writeOciBundle: a new or empty directory is fine; a non-empty one, a symlink or a missing parent is refused', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'magikrun-oci-dest-'));
    try {
      const ctx = { image, store, limits: resolveLimits() };
      await mkdir(path.join(scratch, 'empty'));
      const b = await writeOciBundle(ctx, path.join(scratch, 'empty'));
      expect((await stat(b.path)).mode & 0o777).toBe(0o700);
      expect((await failure(writeOciBundle(ctx, path.join(scratch, 'empty')))).code).toBe('ALREADY_EXISTS');
      await symlink(path.join(scratch, 'elsewhere'), path.join(scratch, 'link'));
      expect((await failure(writeOciBundle(ctx, path.join(scratch, 'link')))).code).toBe('INVALID_ARGUMENT');
      expect((await failure(writeOciBundle(ctx, path.join(scratch, 'no/parent')))).code).toBe('NOT_FOUND');
      await writeFile(path.join(scratch, 'file'), '');
      expect((await failure(writeOciBundle(ctx, path.join(scratch, 'file')))).code).toBe('ALREADY_EXISTS');
      expect((await readdir(scratch)).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('BundleBuilder kind microvm', () => {
  it('writes rootfs/ and microvm.json with the command, env, workdir and VM size', async () => {
    const b: MicroVmBundle = await builder().build({ kind: 'microvm', id: 'vm', args: ['echo', 'hi'], env: ['A=b'], vcpus: 2, memoryMiB: 256 });
    expect(b).toMatchObject({ kind: 'microvm', args: ['echo', 'hi'], cwd: '/home/app', vcpus: 2, memoryMiB: 256, stopSignal: 'SIGTERM' });
    expect(b.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'IMAGE_VAR=from-image', 'A=b']);
    expect(JSON.parse(await readFile(path.join(b.path, 'microvm.json'), 'utf8'))).toEqual(b);
    expect((await lstat(path.join(b.rootfs, 'bin/busybox'))).isFile()).toBe(true);
    const d = await builder().build({ kind: 'microvm', id: 'vm-default' });
    expect(d).toMatchObject({ vcpus: 1, memoryMiB: 512, args: ['sh'] });
  });

  it('vcpus above MAX_VCPUS or memory above MAX_VM_MEMORY_MIB is LIMIT_EXCEEDED; users and volumes UNSUPPORTED; nothing left', async () => {
    expect((await failure(builder().build({ kind: 'microvm', vcpus: 9 }))).code).toBe('LIMIT_EXCEEDED');
    expect((await failure(builder().build({ kind: 'microvm', memoryMiB: 4097 }))).code).toBe('LIMIT_EXCEEDED');
    expect((await failure(builder().build({ kind: 'microvm', vcpus: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(builder().build({ kind: 'microvm', memoryMiB: 16 }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(builder().build({ kind: 'microvm', user: 'app' }))).code).toBe('UNSUPPORTED');
    expect((await failure(builder().build({ kind: 'microvm', volumes: [{ hostPath: root, guestPath: '/data' }] }))).code).toBe('UNSUPPORTED');
    expect(await readdir(bundlesDir())).toEqual([]);
  });
});

/** `runc run` of a bundle with stdin closed; the container is deleted afterwards. */
async function runc(bundle: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const state = path.join(root, 'runc-state');
  await mkdir(state, { recursive: true });
  const id = `mkc-${randomBytes(5).toString('hex')}`;
  const child = spawn('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  spawnSync('runc', ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
  return { code, stdout, stderr };
}

describe.runIf(canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]))('OCI bundles under Debian runc', () => {
  beforeEach(() => {
    if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('runc not found: apt-get install runc');
  });

  it('network none: only lo, and it is up', async () => {
    const b = await builder().build({ kind: 'oci', args: ['ip', '-o', 'link'] });
    const r = await runc(b.path);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^1: lo: <LOOPBACK,UP,LOWER_UP>/)]);
  });

  it('network host: the host\'s interfaces and /etc/hosts; hostname defaults to the host\'s', async () => {
    const b = await builder().build({ kind: 'oci', network: 'host', args: ['sh', '-c', 'ip -o link | cut -d: -f2 | tr -d " "; echo ---; hostname; cat /etc/hosts'] });
    const r = await runc(b.path);
    expect(r.code).toBe(0);
    const [links, rest] = r.stdout.split('---\n') as [string, string];
    const hostLinks = execFileSync('ip', ['-o', 'link']).toString().trim().split('\n').map((l) => l.split(':')[1]!.trim().split('@')[0]);
    expect(links.trim().split('\n').map((l) => l.split('@')[0])).toEqual(hostLinks);
    expect(rest).toBe(`${execFileSync('hostname').toString().trim()}\n${await readFile('/etc/hosts', 'utf8')}`);
  });

  it('a network namespace path is joined (its loopback, given an unusual MTU there, is the one the container sees)', async () => {
    const name = `mk${randomBytes(4).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', name]);
    try {
      execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'mtu', '12345']);
      const b = await builder().build({ kind: 'oci', network: `/run/netns/${name}`, args: ['ip', '-o', 'link'] });
      const r = await runc(b.path);
      expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^1: lo: .* mtu 12345 /)]);
    } finally {
      execFileSync('ip', ['netns', 'delete', name]);
    }
  });

  it('resources: the memory limit and pids limit are in the container\'s cgroup', async () => {
    const v2 = platform.capabilities.cgroups.mode === 'v2';
    const files = v2 ? ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max'] : ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max'];
    const b = await builder().build({ kind: 'oci', resources: { memoryBytes: 32 * 1024 * 1024, pids: 16 }, args: ['cat', ...files] });
    const r = await runc(b.path);
    expect(r.stdout).toBe('33554432\n16\n');
  });
});
