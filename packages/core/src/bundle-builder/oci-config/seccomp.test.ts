import { describe, expect, it } from 'vitest';
import { isMagikrunError } from '../../errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DOCKER_DEFAULT_PROFILE } from './seccomp-profile.js';
import { hostGoArch, resolveSeccompProfile } from './seccomp.js';
import type { SpecSeccomp } from './spec-types.js';

const allowed = (s: SpecSeccomp) => new Set(s.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
const rulesFor = (s: SpecSeccomp, name: string) => s.syscalls.filter((r) => r.names.includes(name));

describe('Docker default seccomp profile, resolved as moby does', () => {
  const amd64 = resolveSeccompProfile({ arch: 'amd64', capabilities: DEFAULT_CAPABILITIES, kernel: '6.1.0-18-amd64' });

  it('denies by default with EPERM, for the native ABI and its compat ABIs', () => {
    expect(amd64.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(amd64.defaultErrnoRet).toBe(1);
    expect(amd64.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(resolveSeccompProfile({ arch: 'arm64', capabilities: [], kernel: '6.1' }).architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows the ordinary calls and chroot (CAP_SYS_CHROOT is a default capability)', () => {
    const a = allowed(amd64);
    for (const n of ['read', 'write', 'openat', 'execve', 'futex_waitv', 'arch_prctl', 'modify_ldt', 'chroot', 'ptrace']) expect(a.has(n), n).toBe(true);
  });

  it('blocks what needs CAP_SYS_ADMIN and friends, and keyctl/userfaultfd entirely', () => {
    const a = allowed(amd64);
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'bpf', 'perf_event_open', 'reboot', 'init_module', 'kexec_load', 'keyctl', 'add_key', 'userfaultfd', 'clock_settime', 'syslog', 'open_by_handle_at']) {
      expect(rulesFor(amd64, n).filter((r) => r.action === 'SCMP_ACT_ALLOW'), n).toEqual([]);
    }
    expect(a.has('clone')).toBe(false);
  });

  it('clone only without namespace flags; clone3 fails with ENOSYS so libc falls back', () => {
    expect(rulesFor(amd64, 'clone')).toEqual([{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    expect(rulesFor(amd64, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  it('socket except AF_VSOCK, personality only for the listed personas', () => {
    expect(rulesFor(amd64, 'socket')[0]?.args).toEqual([{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
    expect(rulesFor(amd64, 'personality').map((r) => r.args?.[0]?.value)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('with CAP_SYS_ADMIN, mount and unrestricted clone are allowed and clone3 is not refused', () => {
    const admin = resolveSeccompProfile({ arch: 'amd64', capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], kernel: '6.1' });
    const a = allowed(admin);
    expect(a.has('mount') && a.has('clone') && a.has('clone3') && a.has('unshare')).toBe(true);
    expect(rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO')).toBe(false);
  });

  it('without CAP_SYS_CHROOT there is no chroot; on kernels before 4.8 no ptrace', () => {
    const old = resolveSeccompProfile({ arch: 'amd64', capabilities: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), kernel: '4.4.0' });
    expect(allowed(old).has('chroot')).toBe(false);
    expect(allowed(old).has('ptrace')).toBe(false);
  });

  it('arm64 gets the arm calls and not the x86 ones', () => {
    const a = allowed(resolveSeccompProfile({ arch: 'arm64', capabilities: DEFAULT_CAPABILITIES, kernel: '6.1' }));
    expect(a.has('set_tls') && a.has('cacheflush')).toBe(true);
    expect(a.has('arch_prctl') || a.has('modify_ldt')).toBe(false);
  });

  it('an architecture without a profile is UNSUPPORTED; the host arch maps from Node names', () => {
    let code = 'resolved';
    try {
      resolveSeccompProfile({ arch: 'riscv64', capabilities: [] });
    } catch (e) {
      code = isMagikrunError(e) ? e.code : 'other';
    }
    expect(code).toBe('UNSUPPORTED');
    expect(hostGoArch('x64')).toBe('amd64');
    expect(hostGoArch('arm64')).toBe('arm64');
  });

  it('keeps the profile data intact (no rule without names, no duplicate in the base allow list)', () => {
    for (const r of DOCKER_DEFAULT_PROFILE.syscalls) expect(r.names.length).toBeGreaterThan(0);
    const base = DOCKER_DEFAULT_PROFILE.syscalls[0]!.names;
    expect(new Set(base).size).toBe(base.length);
    expect(base.length).toBe(349);
  });
});
