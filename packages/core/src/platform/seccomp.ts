/**
 * seccomp detection: the kernel supports seccomp when `/proc/self/status` has a `Seccomp:` field
 * (CONFIG_SECCOMP), and filters when `/proc/sys/kernel/seccomp/actions_avail` lists actions
 * (CONFIG_SECCOMP_FILTER; proc(5), seccomp(2)).
 *
 * @module platform/seccomp
 */
import { statusField, type HostFs } from './host-fs.js';
import type { SeccompStatus } from './types.js';

const MODES = ['disabled', 'strict', 'filter'] as const;

/** Detect seccomp filter support. */
export async function detectSeccomp(fs: HostFs, os: NodeJS.Platform): Promise<SeccompStatus> {
  if (os !== 'linux') return { available: false, actions: [], reason: `seccomp is a Linux kernel feature; this host is ${os}` };
  const field = statusField(await fs.readText('/proc/self/status'), 'Seccomp');
  const actions = ((await fs.readText('/proc/sys/kernel/seccomp/actions_avail')) ?? '').split(/\s+/).filter(Boolean);
  if (field === undefined) {
    return { available: false, actions, reason: 'the kernel has no seccomp support (/proc/self/status has no Seccomp field; CONFIG_SECCOMP is off)' };
  }
  const n = Number(field);
  const mode = n === 0 || n === 1 || n === 2 ? (n as 0 | 1 | 2) : undefined;
  const base: Pick<SeccompStatus, 'mode' | 'actions'> = mode === undefined ? { actions } : { mode, actions };
  if (mode === 1) {
    return { ...base, available: false, reason: 'this process runs in seccomp strict mode, which allows no further filters' };
  }
  if (actions.length === 0) {
    return { ...base, available: false, reason: 'the kernel has no seccomp filter support (/proc/sys/kernel/seccomp/actions_avail is missing or empty; CONFIG_SECCOMP_FILTER is off)' };
  }
  const current = mode === undefined ? `Seccomp: ${field}` : `this process's mode is ${MODES[mode]}`;
  return { ...base, available: true, reason: `seccomp filters are supported (actions: ${actions.join(' ')}); ${current}` };
}
