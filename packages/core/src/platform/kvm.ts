/**
 * KVM detection: `/dev/kvm` opened read-write and closed again.
 *
 * Opening it proves the device exists and this user may use it — not that Linux guests run well:
 * nested KVM (this host itself a VM) may create VMs that crawl or die with an emulation failure.
 *
 * @module platform/kvm
 */
import { open } from 'node:fs/promises';
import type { HostFs } from './host-fs.js';
import type { KvmStatus } from './types.js';

/** Detect whether `/dev/kvm` opens read-write. */
export async function detectKvm(fs: HostFs, os: NodeJS.Platform): Promise<KvmStatus> {
  if (os !== 'linux') return { available: false, reason: `KVM is a Linux kernel feature; this host is ${os}` };
  const cpuinfo = await fs.readText('/proc/cpuinfo');
  const nested = cpuinfo === undefined ? undefined : /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo);
  const extra = nested === undefined ? {} : { nested };
  try {
    const handle = await open(fs.resolve('/dev/kvm'), 'r+');
    await handle.close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? '/dev/kvm does not exist (no KVM module loaded, or virtualisation is disabled or not passed through)'
      : code === 'EACCES' || code === 'EPERM' ? '/dev/kvm exists but this user may not open it read-write; add the user to the kvm group'
      : `/dev/kvm could not be opened read-write (${code ?? String(e)})`;
    return { ...extra, available: false, reason: why };
  }
  const caveat = nested
    ? 'this host is itself a virtual machine, so KVM is nested and may be unfit to run Linux guests (slow, or emulation failures)'
    : 'opening it does not prove that Linux guests run well on it';
  return { ...extra, available: true, reason: `/dev/kvm opens read-write; ${caveat}` };
}
