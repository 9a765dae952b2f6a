/**
 * The defaults every magikrun config.json starts from: `runc spec`'s Linux template plus what
 * containerd adds (oci/spec.go `populateDefaultUnixSpec`, oci/mounts.go `defaultMounts`).
 *
 * @module bundle-builder/oci-config/default-linux
 */
import type { SpecDeviceCgroup, SpecMount, SpecNamespace, SpecRlimit } from './spec-types.js';

/** New pid, ipc, uts, mount and network namespaces (runc spec, containerd `defaultUnixNamespaces`). */
export function defaultNamespaces(): SpecNamespace[] {
  return [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }];
}

/**
 * proc, a tmpfs /dev, devpts, /dev/shm, mqueue, read-only sysfs and the read-only cgroup mount,
 * with runc spec's options (`runc spec` 1.1.5 also writes the cgroup mount; Docker and containerd's
 * CRI add it too). The tmpfs at /dev also hides any device nodes the image carries under /dev.
 */
export function defaultMounts(): SpecMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** Paths masked (bind of /dev/null or an empty read-only tmpfs): runc spec's list plus containerd's powercap. */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/proc/scsi',
]);

/** Paths remounted read-only (runc spec, containerd). */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);

/**
 * The device cgroup rules: deny everything, then allow the standard devices read/write/mknod, as
 * runc's `specconv.AllowedDevices` does for every container (runc applies them itself; writing them
 * here makes the document say so for any runtime):
 * null (1:3), zero (1:5), full (1:7), tty (5:0), random (1:8), urandom (1:9), console (5:1),
 * ptmx (5:2), pts/* (136:*), plus mknod of any char or block device (`c *:* m`, `b *:* m`) so that
 * CAP_MKNOD works as in Docker — creating a node is allowed, opening one that is not listed is not.
 */
export function defaultDeviceRules(): SpecDeviceCgroup[] {
  const dev = (major: number, minor: number | undefined): SpecDeviceCgroup => ({ allow: true, type: 'c', major, ...(minor === undefined ? {} : { minor }), access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    dev(1, 3),
    dev(1, 5),
    dev(1, 7),
    dev(5, 0),
    dev(1, 8),
    dev(1, 9),
    dev(5, 1),
    dev(5, 2),
    dev(136, undefined),
  ];
}

/** RLIMIT_NOFILE 1024:1024 (runc spec and containerd's default). */
export function defaultRlimits(): SpecRlimit[] {
  return [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }];
}
