import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMagikrunError } from '../../errors.js';
import { parseGroup, parsePasswd } from './passwd.js';
import { resolveUser, resolveUserFrom } from './resolve-user.js';

const PASSWD = parsePasswd(`root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`);
const GROUP = parseGroup(`root:x:0:
app:x:1000:app
users:x:100:app,other
audio:x:29:other
nogroup:x:65534:
`);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isMagikrunError(e)) return e.code;
    throw e;
  }
  return 'resolved';
}

describe('resolveUserFrom (docker/containerd rules)', () => {
  it('empty or missing → root, with root\'s groups', () => {
    expect(resolveUserFrom(undefined, PASSWD, GROUP)).toEqual({ uid: 0, gid: 0, additionalGids: [0], home: '/root' });
    expect(resolveUserFrom('', PASSWD, GROUP)).toEqual({ uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  });

  it('a name gives uid, gid, home, and the groups listing it (not the group named like the user)', () => {
    expect(resolveUserFrom('app', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 100], home: '/home/app' });
  });

  it('a numeric uid takes its passwd gid and groups', () => {
    expect(resolveUserFrom('1000', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 100], home: '/home/app' });
  });

  it('a numeric uid missing from passwd is fine: gid 0, home /, no groups', () => {
    expect(resolveUserFrom('4242', PASSWD, GROUP)).toEqual({ uid: 4242, gid: 0, additionalGids: [0], home: '/' });
    expect(resolveUserFrom('4242:77', undefined, undefined)).toEqual({ uid: 4242, gid: 77, additionalGids: [77], home: '/' });
  });

  it('name:group and uid:gid forms; the explicit group is the primary one', () => {
    expect(resolveUserFrom('app:audio', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 29, additionalGids: [29, 100], home: '/home/app' });
    expect(resolveUserFrom('app:users', PASSWD, GROUP).additionalGids).toEqual([100]);
    expect(resolveUserFrom('1000:5000', PASSWD, GROUP)).toMatchObject({ uid: 1000, gid: 5000, additionalGids: [5000, 100] });
    expect(resolveUserFrom('nobody:nogroup', PASSWD, GROUP)).toMatchObject({ uid: 65534, gid: 65534, additionalGids: [65534] });
  });

  it('a missing user or group name is NOT_FOUND, also without the files', () => {
    expect(codeOf(() => resolveUserFrom('ghost', PASSWD, GROUP))).toBe('NOT_FOUND');
    expect(codeOf(() => resolveUserFrom('app:ghosts', PASSWD, GROUP))).toBe('NOT_FOUND');
    expect(codeOf(() => resolveUserFrom('app', undefined, GROUP))).toBe('NOT_FOUND');
    expect(codeOf(() => resolveUserFrom('1000:users', PASSWD, undefined))).toBe('NOT_FOUND');
  });

  it('malformed strings and out-of-range ids are INVALID_ARGUMENT', () => {
    for (const bad of ['a:b:c', ':1000', 'app:', '-1', '1000:-5', '2147483648', '99999999999', ' app', 'app\0']) {
      expect(codeOf(() => resolveUserFrom(bad, PASSWD, GROUP)), bad).toBe('INVALID_ARGUMENT');
    }
    expect(resolveUserFrom('2147483647', PASSWD, GROUP).uid).toBe(2147483647);
  });

  it('passwd lines with a non-numeric id are skipped, never read as root', () => {
    const passwd = parsePasswd('evil:x:abc:0::/:/bin/sh\nevil2:x:0x10:1::/:\n# comment\n\nok:x:5:6::/h:\n');
    expect(passwd.map((p) => p.name)).toEqual(['ok']);
    expect(codeOf(() => resolveUserFrom('evil', passwd, []))).toBe('NOT_FOUND');
  });
});

describe('resolveUser reads the rootfs\'s own files, inside the root', () => {
  let dir: string;
  let rootfs: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'magikrun-user-'));
    rootfs = path.join(dir, 'rootfs');
    await mkdir(path.join(rootfs, 'etc'), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('resolves from rootfs/etc/passwd and rootfs/etc/group', async () => {
    await writeFile(path.join(rootfs, 'etc/passwd'), 'svc:x:321:654::/srv:/bin/sh\n');
    await writeFile(path.join(rootfs, 'etc/group'), 'svc:x:654:\nextra:x:777:svc\n');
    expect(await resolveUser(rootfs, 'svc')).toEqual({ uid: 321, gid: 654, additionalGids: [654, 777], home: '/srv' });
  });

  it('an /etc/passwd symlink to the host\'s /etc/passwd is resolved inside the root', async () => {
    // Relative escape: on the host this reaches <dir>/outside/passwd; inside the root it is clamped.
    await mkdir(path.join(dir, 'outside'));
    await writeFile(path.join(dir, 'outside/passwd'), 'hostonly:x:0:0::/:/bin/sh\n');
    await mkdir(path.join(rootfs, 'outside'));
    await writeFile(path.join(rootfs, 'outside/passwd'), 'inside:x:1234:1234::/in:/bin/sh\n');
    await symlink('../../../../../../../outside/passwd', path.join(rootfs, 'etc/passwd'));
    await expect(resolveUser(rootfs, 'hostonly')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await resolveUser(rootfs, 'inside')).toMatchObject({ uid: 1234, home: '/in' });

    // Absolute target naming the host file by its host path: inside the root that path does not exist.
    await rm(path.join(rootfs, 'etc/passwd'));
    await symlink(path.join(dir, 'outside/passwd'), path.join(rootfs, 'etc/passwd'));
    await expect(resolveUser(rootfs, 'hostonly')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await resolveUser(rootfs, '0')).toEqual({ uid: 0, gid: 0, additionalGids: [0], home: '/' });

    // The image's /etc/passwd pointing at the host's real one (which has root) reads the image's own path.
    await rm(path.join(rootfs, 'etc/passwd'));
    await mkdir(path.join(rootfs, 'host/etc'), { recursive: true });
    await writeFile(path.join(rootfs, 'host/etc/passwd'), 'imageroot:x:0:0::/r:/bin/sh\n');
    await symlink('../../../../../../../../../host/etc/passwd', path.join(rootfs, 'etc/passwd'));
    expect(await resolveUser(rootfs, 'imageroot')).toMatchObject({ uid: 0, home: '/r' });
    await expect(resolveUser(rootfs, 'root')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('no /etc/passwd: numeric users work, names are NOT_FOUND', async () => {
    expect(await resolveUser(rootfs, '1000:1000')).toMatchObject({ uid: 1000, gid: 1000 });
    await expect(resolveUser(rootfs, 'app')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a FIFO or a directory as /etc/passwd is refused without blocking', async () => {
    execFileSync('mkfifo', [path.join(rootfs, 'etc/passwd')]);
    await expect(resolveUser(rootfs, 'app')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await rm(path.join(rootfs, 'etc/passwd'));
    await mkdir(path.join(rootfs, 'etc/passwd'));
    await expect(resolveUser(rootfs, 'app')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an oversized /etc/group is LIMIT_EXCEEDED', async () => {
    await writeFile(path.join(rootfs, 'etc/passwd'), 'app:x:1:1::/:\n');
    await writeFile(path.join(rootfs, 'etc/group'), Buffer.alloc(4 * 1024 * 1024 + 1, 0x41));
    await expect(resolveUser(rootfs, 'app')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('a symlink loop is INVALID_ARGUMENT', async () => {
    await symlink('/etc/passwd', path.join(rootfs, 'etc/passwd'));
    await expect(resolveUser(rootfs, 'app')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
