/**
 * Detection on the real host, checked against independent evidence: `/proc/self/mounts` for the cgroup
 * mode, util-linux `unshare` for namespaces, an open() of /dev/kvm, the process's euid.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCommand } from './command.js';
import { Platform } from './platform.js';
import { requireCapabilities } from './require.js';
import { Capability, CAPABILITIES } from './types.js';

const platform = await Platform.detect();
const linux = process.platform === 'linux';

/** The cgroup mode as the mount table says it (a different method than detection uses). */
function modeFromMounts(): string {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  const v2 = mounts.filter((m) => m[2] === 'cgroup2').map((m) => m[1]);
  const v1 = mounts.filter((m) => m[2] === 'cgroup' && !(m[3] ?? '').split(',').some((o) => o.startsWith('name=')));
  if (v2.includes('/sys/fs/cgroup')) return 'v2';
  if (v1.length > 0) return v2.length > 0 ? 'hybrid' : 'v1';
  return v2.length > 0 ? 'v2' : 'none';
}

describe('Platform.detect on this host', () => {
  it('gives every capability a boolean and a non-empty reason', () => {
    for (const c of CAPABILITIES) {
      const s = platform.capability(c);
      expect(typeof s.available, c).toBe('boolean');
      expect(s.reason.length, c).toBeGreaterThan(10);
    }
    expect(platform.hasCapability(Capability.WebAssembly)).toBe(true);
    expect(platform.os).toBe(process.platform);
    expect(platform.arch).toBe(process.arch);
  });

  it('reports root exactly when the euid is 0', () => {
    expect(platform.root).toBe(process.geteuid?.() === 0);
  });

  it('satisfies MAGIKRUN_REQUIRE', () => {
    expect(() => requireCapabilities(platform)).not.toThrow();
  });

  describe.runIf(linux)('on Linux', () => {
    it('finds the cgroup mode that /proc/self/mounts shows', () => {
      expect(platform.capabilities.cgroups.mode).toBe(modeFromMounts());
    });

    it('lists the namespace kinds of /proc/self/ns', () => {
      const present = readdirSync('/proc/self/ns');
      for (const [kind, has] of Object.entries(platform.capabilities.namespaces.kinds)) expect(has, kind).toBe(present.includes(kind));
    });

    it('says namespaces are available exactly when unshare of mnt,pid,net,ipc,uts succeeds', () => {
      const args = platform.capabilities.namespaces.capSysAdmin ? [] : ['--user', '--map-root-user'];
      const r = spawnSync('unshare', [...args, '--mount', '--pid', '--net', '--ipc', '--uts', '--fork', 'true'], { timeout: 20_000 });
      expect(r.error, 'util-linux unshare must be installed').toBeUndefined();
      expect(platform.hasCapability(Capability.Namespaces)).toBe(r.status === 0);
    });

    it('says user namespaces are available exactly when unshare --user succeeds', () => {
      const r = spawnSync('unshare', ['--user', 'true'], { timeout: 20_000 });
      expect(r.error).toBeUndefined();
      expect(platform.hasCapability(Capability.UserNamespaces)).toBe(r.status === 0);
    });

    it('reads the seccomp mode of this process', () => {
      const field = /^Seccomp:\s*(\d)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      expect(platform.capabilities.seccomp.mode).toBe(field === undefined ? undefined : Number(field));
    });

    it('says kvm is available exactly when /dev/kvm opens read-write', () => {
      let opened = false;
      try {
        closeSync(openSync('/dev/kvm', 'r+'));
        opened = true;
      } catch {
        opened = false;
      }
      expect(platform.hasCapability(Capability.Kvm)).toBe(opened);
      if (opened) expect(platform.capabilities.kvm.reason).toMatch(/not prove|nested/);
    });
  });
});

describe('runCommand', () => {
  it('reports exit codes and kills a command at its deadline', async () => {
    const ok = await runCommand(process.execPath, ['-e', 'process.stdout.write("hi"); process.exit(3)'], { timeoutMs: 20_000 });
    expect(ok.code).toBe(3);
    expect(ok.stdout.toString()).toBe('hi');
    const slow = await runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(slow.code).toBeNull();
    expect(slow.error).toBeDefined();
    const missing = await runCommand('/nonexistent/magikrun-command', [], { timeoutMs: 1000 });
    expect(missing.code).toBeNull();
  });
});
