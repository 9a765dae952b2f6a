// `magikrun bundle` end to end: the busybox test image (Debian busybox-static built by umoci, pushed by
// skopeo to docker-registry on 127.0.0.1) written as an OCI bundle by the built CLI, then run unchanged
// by Debian's runc. The protections (seccomp profile, device rules) are shown to be what stops a call
// by running the same bundle again with that protection removed from config.json.
import { execFileSync } from 'node:child_process';
import { cp, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { editConfig, requireRunc, runcRun } from './bundle-support.js';

const images = inject('images');
const platform = await Platform.detect();
const canRunContainers = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

describe('magikrun bundle', () => {
  let root: string;
  let work: string;
  let state: string;
  let cleanup: () => Promise<void>;
  let n = 0;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-bundle-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    work = t.dir;
    state = join(t.dir, 'runc-state');
    await mkdir(state);
  });
  afterAll(() => cleanup());

  /** `magikrun bundle [flags] busybox DIR [args]`; returns DIR. */
  async function bundle(flags: string[], args: string[] = []): Promise<string> {
    const dir = join(work, `b${++n}`);
    const r = await runCli(['bundle', '-q', ...flags, images.refs.busybox, dir, ...args], { root });
    expect(r.stderr.replace(/magikrun: warning: .*\n/g, '')).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${dir}\n`);
    return dir;
  }

  it('writes DIR/rootfs and DIR/config.json, 0700, like umoci unpack', async () => {
    const dir = await bundle([]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'hostname', 'hosts', 'resolv.conf', 'rootfs']);
    expect((await lstat(join(dir, 'rootfs/bin/busybox'))).isFile()).toBe(true);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'], cwd: '/home/app', user: { uid: 0, gid: 0 } } });
    expect(config.annotations['org.opencontainers.image.stopSignal']).toBe('SIGTERM');
    expect(config.annotations['org.opencontainers.image.title']).toBe('magikrun busybox test image');
    expect(await readdir(work)).not.toContain(expect.stringMatching(/^\.tmp-/));
  });

  it('accepts an empty DIR; refuses a non-empty one (125, ALREADY_EXISTS) before pulling', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty);
    const ok = await runCli(['bundle', '-q', images.refs.busybox, empty], { root });
    expect(ok.code).toBe(0);
    const again = await runCli(['bundle', '-q', images.refs.busybox, empty], { root });
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/ALREADY_EXISTS/);
  });

  it('fails with 125 and leaves nothing for a user the image lacks or a bad option', async () => {
    for (const flags of [['--user', 'ghost'], ['--hostname', 'bad name'], ['--network', 'bridge'], ['--memory', 'lots']]) {
      const dir = join(work, `fail${++n}`);
      const r = await runCli(['bundle', '-q', ...flags, images.refs.busybox, dir], { root });
      expect(r.code, flags.join(' ')).toBe(125);
      expect(r.stderr).toMatch(flags[0] === '--user' ? /ghost.*NOT_FOUND/ : /INVALID_ARGUMENT/);
      await expect(lstat(dir)).rejects.toThrow();
    }
    expect((await readdir(work)).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });

  describe.runIf(canRunContainers)('the bundles run unchanged under Debian runc', () => {
    beforeAll(() => requireRunc());

    it("the image's Cmd, env, working directory and root user; a new network namespace with only lo up", async () => {
      const dir = await bundle([], ['sh', '-c', 'echo "args: $0 $1"; echo "IMAGE_VAR=$IMAGE_VAR"; echo "PATH=$PATH"; echo "HOME=$HOME"; pwd; id -u; id -g; ip -o link', 'zero', 'one']);
      const r = await runcRun(dir, state);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe('args: zero one');
      expect(lines).toContain('IMAGE_VAR=from-image');
      expect(lines).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
      expect(lines).toContain('HOME=/root');
      expect(lines).toContain('/home/app');
      expect(lines).toContain('0');
      expect(lines.filter((l) => /^\d+: /.test(l))).toEqual([expect.stringMatching(/^1: lo: <LOOPBACK,UP,LOWER_UP>/)]);
    });

    it('the image default command (Cmd sh) runs and exits with stdin closed', async () => {
      const r = await runcRun(await bundle([]), state);
      expect(r.code).toBe(0);
    });

    it('--entrypoint, --env, --workdir (created), --hostname', async () => {
      const dir = await bundle(['--entrypoint', '/bin/sh', '--env', 'FOO=from-flag', '--env', 'IMAGE_VAR=overridden', '--workdir', '/made/by/magikrun', '--hostname', 'web-1'], [
        '-c',
        'echo "$FOO $IMAGE_VAR"; pwd; hostname; cat /etc/hostname; grep web-1 /etc/hosts',
      ]);
      const r = await runcRun(dir, state);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('from-flag overridden\n/made/by/magikrun\nweb-1\nweb-1\n127.0.0.1\tweb-1\n');
    });

    it('--user app runs as 1000:1000 with its supplementary group (id -u/-g/-G), without capabilities', async () => {
      const dir = await bundle(['--user', 'app'], ['sh', '-c', 'id -u; id -g; id -G; grep CapEff /proc/self/status; echo "HOME=$HOME"']);
      const r = await runcRun(dir, state);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('1000\n1000\n1000 100\nCapEff:\t0000000000000000\nHOME=/home/app\n');
    });

    it('--user nobody and uid:gid forms', async () => {
      const a = await runcRun(await bundle(['--user', 'nobody'], ['id']), state);
      expect(a.stdout.trim()).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
      const b = await runcRun(await bundle(['--user', '4242:100'], ['sh', '-c', 'id -u; id -g']), state);
      expect(b.stdout).toBe('4242\n100\n');
    });

    it('the default seccomp profile blocks unshare(CLONE_NEWUSER), which needs no capability: EPERM, allowed once the profile is removed', async () => {
      const dir = await bundle(['--user', 'app'], ['sh', '-c', 'unshare -U true && echo unshared']);
      const blocked = await runcRun(dir, state);
      expect(blocked.stderr).toMatch(/unshare\(0x10000000\): Operation not permitted/);
      expect(blocked.code).not.toBe(0);
      await editConfig(dir, (c) => delete c.linux.seccomp);
      const allowed = await runcRun(dir, state);
      expect(allowed.stdout).toBe('unshared\n');
      expect(allowed.code).toBe(0);
    });

    it('the seccomp profile is in force in the container (Seccomp: 2), with no_new_privs', async () => {
      const r = await runcRun(await bundle([], ['grep', '-E', '^(Seccomp|NoNewPrivs):', '/proc/self/status']), state);
      expect(r.stdout).toBe('NoNewPrivs:\t1\nSeccomp:\t2\n');
    });

    it("the device rules: the image's /dev node is hidden; a node made with CAP_MKNOD cannot be opened (EPERM from the devices cgroup) until the rules are opened", async () => {
      const script = 'test -e /dev/image-null && echo "image node visible"; mknod /tmp/loop-control c 10 237 && echo made; cat /tmp/loop-control; echo "cat=$?"; cat /dev/null && echo "null ok"';
      const dir = await bundle([], ['sh', '-c', script]);
      const denied = await runcRun(dir, state);
      expect(denied.stdout).toBe('made\ncat=1\nnull ok\n');
      expect(denied.stderr).toMatch(/can't open '\/tmp\/loop-control': Operation not permitted/);
      await editConfig(dir, (c) => {
        c.linux.resources.devices = [{ allow: true, access: 'rwm' }];
      });
      const opened = await runcRun(dir, state);
      expect(opened.stderr).not.toMatch(/Operation not permitted/);
    });

    it('a device node the image carries outside /dev (c 10:237, mode 0666) cannot be opened: EPERM from the device rules', async () => {
      // A derived image made by umoci (not by magikrun): busybox plus /opt/image-loop-control.
      const layout = join(work, 'layout-dev');
      await cp(images.layout, layout, { recursive: true });
      const unpacked = join(work, 'umoci-dev');
      execFileSync('umoci', ['unpack', '--image', `${layout}:busybox`, unpacked], { stdio: 'ignore' });
      await mkdir(join(unpacked, 'rootfs/opt'), { recursive: true });
      execFileSync('mknod', ['-m', '0666', join(unpacked, 'rootfs/opt/image-loop-control'), 'c', '10', '237']);
      execFileSync('umoci', ['repack', '--image', `${layout}:busybox-dev`, unpacked], { stdio: 'ignore' });
      const dir = join(work, 'dev-bundle');
      const made = await runCli(['bundle', '-q', `oci:${layout}:busybox-dev`, dir, 'sh', '-c', 'ls -l /opt/image-loop-control; cat /opt/image-loop-control'], { root });
      expect(made.code).toBe(0);
      expect((await lstat(join(dir, 'rootfs/opt/image-loop-control'))).isCharacterDevice()).toBe(true);
      const denied = await runcRun(dir, state);
      expect(denied.stdout).toMatch(/^crw-rw-rw- .* 10, +237 .*\/opt\/image-loop-control\n$/);
      expect(denied.stderr).toMatch(/can't open '\/opt\/image-loop-control': Operation not permitted/);
      await editConfig(dir, (c) => {
        c.linux.resources.devices = [{ allow: true, access: 'rwm' }];
      });
      const opened = await runcRun(dir, state);
      expect(opened.stderr).not.toMatch(/Operation not permitted/);
    });

    it('--memory, --cpus and --pids-limit are visible in the container\'s cgroup', async () => {
      const v2 = platform.capabilities.cgroups.mode === 'v2';
      const files = v2 ? ['memory.max', 'cpu.max', 'pids.max'] : ['memory/memory.limit_in_bytes', 'cpu/cpu.cfs_quota_us', 'pids/pids.max'];
      const dir = await bundle(['--memory', '64mb', '--cpus', '0.5', '--pids-limit', '40'], ['cat', ...files.map((f) => `/sys/fs/cgroup/${f}`)]);
      const r = await runcRun(dir, state);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(v2 ? '67108864\n50000 100000\n40\n' : '67108864\n50000\n40\n');
    });

    it('a read-only bind mount (--volume) is visible and cannot be written', async () => {
      const data = join(work, 'data');
      await mkdir(data);
      await writeFile(join(data, 'note.txt'), 'from the host\n');
      const dir = await bundle(['--volume', `${data}:/data:ro`], ['sh', '-c', 'cat /data/note.txt; touch /data/new 2>&1 || true']);
      const r = await runcRun(dir, state);
      expect(r.stdout).toMatch(/^from the host\ntouch: \/data\/new: Read-only file system\n$/);
    });
  });
});
