import { afterEach, describe, expect, it } from 'vitest';
import { isMagikrunError } from '../errors.js';
import { ALL_NS, makeFakeHost, removeFakeHost, ROOT_STATUS, USER_STATUS, type FakeHostFiles } from './fake-host.fixture.js';
import { Platform } from './platform.js';
import { Capability, type CommandRunner } from './types.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeFakeHost));
});

async function detectOn(files: FakeHostFiles, extra: Parameters<typeof Platform.detect>[0] = {}): Promise<Platform> {
  const hostRoot = await makeFakeHost(files);
  roots.push(hostRoot);
  return Platform.detect({ os: 'linux', arch: 'x64', uid: 0, ...extra, hostRoot });
}

const V1_CONTROLLERS: FakeHostFiles = Object.fromEntries(
  ['cpu', 'memory', 'pids', 'systemd'].map((c) => [`/sys/fs/cgroup/${c}/cgroup.procs`, '']),
);

describe('cgroups on a fake host', () => {
  it('reports hybrid: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified, no root cgroup.controllers', async () => {
    const p = await detectOn({ ...V1_CONTROLLERS, '/sys/fs/cgroup/unified/cgroup.controllers': '\n' });
    const c = p.capabilities.cgroups;
    expect(c).toMatchObject({ available: true, mode: 'hybrid', version: 1, unifiedPath: '/sys/fs/cgroup/unified' });
    expect(c.controllers).toEqual(['cpu', 'memory', 'pids']);
    expect(c.reason).toMatch(/hybrid/);
  });

  it('reports v2 when /sys/fs/cgroup has cgroup.controllers', async () => {
    const p = await detectOn({ '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n' });
    expect(p.capabilities.cgroups).toMatchObject({ available: true, mode: 'v2', version: 2, unifiedPath: '/sys/fs/cgroup' });
    expect(p.capabilities.cgroups.controllers).toEqual(['cpu', 'cpuset', 'io', 'memory', 'pids']);
  });

  it('reports v1 when only v1 controllers are mounted, splitting combined mounts', async () => {
    const p = await detectOn({ '/sys/fs/cgroup/cpu,cpuacct/cgroup.procs': '', '/sys/fs/cgroup/memory/cgroup.procs': '', '/sys/fs/cgroup/unified/': '' });
    expect(p.capabilities.cgroups).toMatchObject({ available: true, mode: 'v1', version: 1, controllers: ['cpu', 'cpuacct', 'memory'] });
  });

  it('ignores directories that are not cgroup roots and reports none when nothing is mounted', async () => {
    const p = await detectOn({ '/sys/fs/cgroup/memory/': '', '/sys/fs/cgroup/systemd/cgroup.procs': '' });
    expect(p.capabilities.cgroups).toMatchObject({ available: false, mode: 'none', controllers: [] });
    expect(p.hasCapability(Capability.Cgroups)).toBe(false);
    expect(p.capabilities.cgroups.reason).toMatch(/mount cgroup2/);
  });
});

describe('namespaces on a fake host', () => {
  it('are available to a process holding CAP_SYS_ADMIN', async () => {
    const p = await detectOn({ ...ALL_NS, '/proc/self/status': ROOT_STATUS, '/proc/sys/user/max_user_namespaces': '96364\n' });
    expect(p.capabilities.namespaces).toMatchObject({ available: true, capSysAdmin: true });
    expect(Object.values(p.capabilities.namespaces.kinds).every(Boolean)).toBe(true);
    expect(p.capabilities.userNamespaces).toMatchObject({ available: true, maxUserNamespaces: 96364 });
  });

  it('name the missing kinds', async () => {
    const { '/proc/self/ns/net': _net, '/proc/self/ns/pid': _pid, ...rest } = ALL_NS;
    const p = await detectOn({ ...rest, '/proc/self/status': ROOT_STATUS });
    expect(p.capabilities.namespaces.available).toBe(false);
    expect(p.capabilities.namespaces.kinds).toMatchObject({ net: false, pid: false, mnt: true });
    expect(p.capabilities.namespaces.reason).toMatch(/pid, net/);
  });

  it('without CAP_SYS_ADMIN depend on unprivileged user namespaces (Debian switch off → unavailable)', async () => {
    const p = await detectOn(
      { ...ALL_NS, '/proc/self/status': USER_STATUS, '/proc/sys/user/max_user_namespaces': '100', '/proc/sys/kernel/unprivileged_userns_clone': '0\n' },
      { uid: 1000 },
    );
    expect(p.root).toBe(false);
    expect(p.capabilities.userNamespaces.available).toBe(false);
    expect(p.capabilities.userNamespaces.reason).toMatch(/unprivileged_userns_clone/);
    expect(p.capabilities.namespaces).toMatchObject({ available: false, capSysAdmin: false });
  });

  it('without CAP_SYS_ADMIN are available rootless when user namespaces are permitted', async () => {
    const p = await detectOn({ ...ALL_NS, '/proc/self/status': USER_STATUS, '/proc/sys/user/max_user_namespaces': '100' }, { uid: 1000 });
    expect(p.capabilities.userNamespaces.available).toBe(true);
    expect(p.capabilities.namespaces.available).toBe(true);
    expect(p.capabilities.namespaces.reason).toMatch(/rootless/);
  });

  it('AppArmor restriction blocks unprivileged user namespaces', async () => {
    const p = await detectOn(
      { ...ALL_NS, '/proc/self/status': USER_STATUS, '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' },
      { uid: 1000 },
    );
    expect(p.capabilities.userNamespaces).toMatchObject({ available: false });
    expect(p.capabilities.userNamespaces.reason).toMatch(/AppArmor/);
  });

  it('max_user_namespaces 0 disables user namespaces even for root', async () => {
    const p = await detectOn({ ...ALL_NS, '/proc/self/status': ROOT_STATUS, '/proc/sys/user/max_user_namespaces': '0' });
    expect(p.capabilities.userNamespaces).toMatchObject({ available: false, maxUserNamespaces: 0 });
    expect(p.capabilities.namespaces.available).toBe(true);
  });

  it('without /proc are unavailable with a hint', async () => {
    const p = await detectOn({});
    expect(p.capabilities.namespaces.available).toBe(false);
    expect(p.capabilities.namespaces.reason).toMatch(/\/proc/);
  });
});

describe('seccomp on a fake host', () => {
  it('is available with a Seccomp field and filter actions', async () => {
    const p = await detectOn({ '/proc/self/status': ROOT_STATUS.replace('Seccomp:\t0', 'Seccomp:\t2'), '/proc/sys/kernel/seccomp/actions_avail': 'kill_process errno allow\n' });
    expect(p.capabilities.seccomp).toMatchObject({ available: true, mode: 2, actions: ['kill_process', 'errno', 'allow'] });
  });

  it('is unavailable without the Seccomp field (CONFIG_SECCOMP off)', async () => {
    const p = await detectOn({ '/proc/self/status': 'Name:\tnode\n', '/proc/sys/kernel/seccomp/actions_avail': 'allow' });
    expect(p.capabilities.seccomp.available).toBe(false);
    expect(p.capabilities.seccomp.reason).toMatch(/CONFIG_SECCOMP/);
  });

  it('is unavailable without filter actions, and in strict mode', async () => {
    const noFilter = await detectOn({ '/proc/self/status': ROOT_STATUS });
    expect(noFilter.capabilities.seccomp).toMatchObject({ available: false, mode: 0 });
    expect(noFilter.capabilities.seccomp.reason).toMatch(/SECCOMP_FILTER/);
    const strict = await detectOn({ '/proc/self/status': ROOT_STATUS.replace('Seccomp:\t0', 'Seccomp:\t1'), '/proc/sys/kernel/seccomp/actions_avail': 'allow' });
    expect(strict.capabilities.seccomp).toMatchObject({ available: false, mode: 1 });
  });
});

describe('kvm on a fake host', () => {
  it('is available when /dev/kvm opens read-write, and the reason says that is not proof', async () => {
    const p = await detectOn({ '/dev/kvm': '', '/proc/cpuinfo': 'processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n' });
    expect(p.capabilities.kvm).toMatchObject({ available: true, nested: true });
    expect(p.capabilities.kvm.reason).toMatch(/nested/);
  });

  it('says "not proof" on bare metal too', async () => {
    const p = await detectOn({ '/dev/kvm': '', '/proc/cpuinfo': 'flags\t\t: fpu vme vmx\n' });
    expect(p.capabilities.kvm).toMatchObject({ available: true, nested: false });
    expect(p.capabilities.kvm.reason).toMatch(/does not prove/);
  });

  it('is unavailable without /dev/kvm', async () => {
    const p = await detectOn({});
    expect(p.capabilities.kvm.available).toBe(false);
    expect(p.capabilities.kvm.reason).toMatch(/does not exist/);
  });
});

describe('macOS and Windows capabilities through a fake command runner', () => {
  const runner = (answers: Record<string, Awaited<ReturnType<CommandRunner>>>): CommandRunner & { calls: string[] } => {
    const calls: string[] = [];
    const fn: CommandRunner = async (file, args) => {
      calls.push([file, ...args].join(' '));
      const a = answers[file];
      if (!a) throw new Error(`unexpected command ${file}`);
      return a;
    };
    return Object.assign(fn, { calls });
  };

  it('Hypervisor.framework follows sysctl kern.hv_support', async () => {
    const yes = runner({ '/usr/sbin/sysctl': { code: 0, stdout: Buffer.from('1\n'), stderr: Buffer.alloc(0) } });
    const p = await Platform.detect({ os: 'darwin', arch: 'arm64', uid: 501, runCommand: yes, hostRoot: '/nonexistent-magikrun' });
    expect(yes.calls).toEqual(['/usr/sbin/sysctl -n kern.hv_support']);
    expect(p.capabilities.hypervisorFramework.available).toBe(true);
    expect(p.ociPlatform).toEqual({ os: 'darwin', architecture: 'arm64', variant: 'v8' });
    expect(p.hasCapability(Capability.Namespaces)).toBe(false);
    expect(p.capabilities.namespaces.reason).toMatch(/darwin/);

    const no = runner({ '/usr/sbin/sysctl': { code: 0, stdout: Buffer.from('0\n'), stderr: Buffer.alloc(0) } });
    const q = await Platform.detect({ os: 'darwin', arch: 'x64', runCommand: no, hostRoot: '/nonexistent-magikrun' });
    expect(q.capabilities.hypervisorFramework).toMatchObject({ available: false });
    expect(q.capabilities.hypervisorFramework.reason).toMatch(/is 0/);
  });

  it('WSL 2 follows wsl.exe --status, decoding UTF-16LE', async () => {
    const ok = runner({ 'wsl.exe': { code: 0, stdout: Buffer.from('\uFEFFDefault Distribution: Debian\r\nDefault Version: 2\r\n', 'utf16le'), stderr: Buffer.alloc(0) } });
    const p = await Platform.detect({ os: 'win32', arch: 'x64', runCommand: ok, hostRoot: '/nonexistent-magikrun' });
    expect(ok.calls).toEqual(['wsl.exe --status']);
    expect(p.capabilities.windows.available).toBe(true);
    expect(p.capabilities.wsl2).toEqual({ available: true, reason: 'wsl.exe --status answered: Default Distribution: Debian' });
    expect(p.ociPlatform).toEqual({ os: 'windows', architecture: 'amd64' });
    expect(p.root).toBe(false);

    const v1 = runner({ 'wsl.exe': { code: 0, stdout: Buffer.from('Default Version: 1\r\n', 'utf16le'), stderr: Buffer.alloc(0) } });
    expect((await Platform.detect({ os: 'win32', runCommand: v1, hostRoot: '/x' })).capabilities.wsl2.available).toBe(false);

    const missing = runner({ 'wsl.exe': { code: 1, stdout: Buffer.from('WSL is not installed.\r\n', 'utf16le'), stderr: Buffer.alloc(0) } });
    const m = await Platform.detect({ os: 'win32', runCommand: missing, hostRoot: '/x' });
    expect(m.capabilities.wsl2.available).toBe(false);
    expect(m.capabilities.wsl2.reason).toMatch(/exited with 1: WSL is not installed/);

    const hung = runner({ 'wsl.exe': { code: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error: new Error('timed out') } });
    const h = await Platform.detect({ os: 'win32', runCommand: hung, hostRoot: '/x', commandTimeoutMs: 123 });
    expect(h.capabilities.wsl2.reason).toMatch(/within 123 ms/);
  });

  it('runs no command on Linux and WebAssembly is always available', async () => {
    const none = runner({});
    const p = await detectOn({}, { runCommand: none });
    expect(none.calls).toEqual([]);
    expect(p.capabilities.hypervisorFramework.available).toBe(false);
    expect(p.capabilities.wsl2.available).toBe(false);
    expect(p.capabilities.windows.available).toBe(false);
    expect(p.hasCapability(Capability.WebAssembly)).toBe(true);
  });
});

describe('Platform object', () => {
  it('reads the kernel release from the fake root and reports root by uid', async () => {
    const p = await detectOn({ '/proc/sys/kernel/osrelease': '6.1.0-test\n' }, { uid: 0 });
    expect(p.kernel).toBe('6.1.0-test');
    expect(p.root).toBe(true);
    const json = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
    expect(json).toMatchObject({ os: 'linux', arch: 'x64', kernel: '6.1.0-test', root: true, ociPlatform: { os: 'linux', architecture: 'amd64' } });
    expect(Object.keys(json['capabilities'] as object).sort()).toEqual(Object.values(Capability).sort());
  });

  it('refuses an unknown capability name', async () => {
    const p = await detectOn({});
    let thrown: unknown;
    try {
      p.hasCapability('gpu' as Capability);
    } catch (e) {
      thrown = e;
    }
    expect(isMagikrunError(thrown, 'INVALID_ARGUMENT')).toBe(true);
  });
});
