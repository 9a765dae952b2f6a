/**
 * The default capability set of a container: Docker's 14 (moby `oci/caps/defaults.go`
 * `DefaultCapabilities`), which is also containerd's `defaultUnixCaps` (oci/spec.go).
 *
 * @module bundle-builder/oci-config/capabilities
 */
import type { SpecCapabilities } from './spec-types.js';

/** Docker's and containerd's default capabilities, in moby's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/**
 * `process.capabilities` for a process running as `uid`, as moby's `oci.SetCapabilities` does:
 * root gets the set as bounding, effective and permitted; any other uid only the bounding set, since
 * execve(2) would drop the effective and permitted sets of a non-root process anyway (no file
 * capabilities, no ambient set). Inheritable and ambient stay empty (CVE-2022-24769).
 */
export function capabilitiesFor(uid: number, caps: readonly string[] = DEFAULT_CAPABILITIES): SpecCapabilities {
  const list = [...caps];
  return uid === 0 ? { bounding: list, effective: [...list], permitted: [...list] } : { bounding: list };
}
