/**
 * macOS Hypervisor.framework detection: `sysctl -n kern.hv_support` prints 1 when the CPU and the
 * kernel support it (Apple's documented check).
 *
 * @module platform/hypervisor-framework
 */
import { decodeOutput } from './command.js';
import type { CapabilityStatus, CommandRunner } from './types.js';

/** Detect Hypervisor.framework support. */
export async function detectHypervisorFramework(os: NodeJS.Platform, run: CommandRunner, timeoutMs: number): Promise<CapabilityStatus> {
  if (os !== 'darwin') return { available: false, reason: `Hypervisor.framework exists only on macOS; this host is ${os}` };
  const r = await run('/usr/sbin/sysctl', ['-n', 'kern.hv_support'], { timeoutMs });
  if (r.code !== 0) {
    const why = r.error?.message ?? (decodeOutput(r.stderr) || `exit code ${String(r.code)}`);
    return { available: false, reason: `sysctl kern.hv_support failed: ${why}` };
  }
  const value = decodeOutput(r.stdout);
  return value === '1'
    ? { available: true, reason: 'sysctl kern.hv_support is 1: Hypervisor.framework is supported' }
    : { available: false, reason: `sysctl kern.hv_support is ${value || '(empty)'}: this Mac or its virtualisation settings do not support Hypervisor.framework` };
}
