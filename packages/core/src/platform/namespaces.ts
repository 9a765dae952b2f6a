/**
 * Namespace detection: which kinds exist (`/proc/self/ns/*`), whether this process may create them
 * (CAP_SYS_ADMIN in `CapEff`), and whether user namespaces are permitted
 * (`/proc/sys/user/max_user_namespaces`, Debian's `kernel.unprivileged_userns_clone`,
 * Ubuntu's `kernel.apparmor_restrict_unprivileged_userns`).
 *
 * @module platform/namespaces
 */
import { HostFs, statusField } from './host-fs.js';
import { NAMESPACE_KINDS, type NamespaceKind, type NamespacesStatus, type UserNamespacesStatus } from './types.js';

/** The kinds a Linux container needs. */
const CONTAINER_KINDS: readonly NamespaceKind[] = ['mnt', 'pid', 'net', 'ipc', 'uts'];
/** CAP_SYS_ADMIN's bit in the capability sets (linux/capability.h). */
const CAP_SYS_ADMIN = 21n;

/** True when the hex `CapEff` mask of `/proc/self/status` holds CAP_SYS_ADMIN. */
export function hasCapSysAdmin(capEff: string | undefined): boolean {
  if (capEff === undefined || !/^[0-9a-fA-F]+$/.test(capEff)) return false;
  return ((BigInt(`0x${capEff}`) >> CAP_SYS_ADMIN) & 1n) === 1n;
}

function readInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Detect user namespace support. `capSysAdmin` lifts the distribution switches for unprivileged use. */
export async function detectUserNamespaces(fs: HostFs, userKind: boolean, capSysAdmin: boolean): Promise<UserNamespacesStatus> {
  if (!userKind) {
    return { available: false, reason: 'the kernel has no user namespaces (/proc/self/ns/user is missing); use a kernel built with CONFIG_USER_NS' };
  }
  const max = readInt(await fs.readText('/proc/sys/user/max_user_namespaces'));
  const base = max === undefined ? {} : { maxUserNamespaces: max };
  if (max === 0) {
    return { ...base, available: false, reason: '/proc/sys/user/max_user_namespaces is 0; raise it (sysctl -w user.max_user_namespaces=15000)' };
  }
  if (!capSysAdmin) {
    const debian = readInt(await fs.readText('/proc/sys/kernel/unprivileged_userns_clone'));
    if (debian === 0) {
      return { ...base, available: false, reason: 'kernel.unprivileged_userns_clone is 0, so unprivileged processes may not create user namespaces; set it to 1 or run as root' };
    }
    const apparmor = readInt(await fs.readText('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'));
    if (apparmor === 1) {
      return { ...base, available: false, reason: 'kernel.apparmor_restrict_unprivileged_userns is 1, so AppArmor denies unprivileged user namespaces; set it to 0, add an AppArmor profile, or run as root' };
    }
  }
  const limit = max === undefined ? '' : ` (max_user_namespaces ${max})`;
  return { ...base, available: true, reason: `user namespaces are permitted${limit}${capSysAdmin ? ' and this process holds CAP_SYS_ADMIN' : ' for unprivileged processes'}` };
}

/** Detect namespaces and user namespaces together (they share the reads). */
export async function detectNamespaces(fs: HostFs, os: NodeJS.Platform): Promise<{ namespaces: NamespacesStatus; userNamespaces: UserNamespacesStatus }> {
  const kinds = Object.fromEntries(NAMESPACE_KINDS.map((k) => [k, false])) as Record<NamespaceKind, boolean>;
  if (os !== 'linux') {
    const reason = `namespaces are a Linux kernel feature; this host is ${os}`;
    return { namespaces: { available: false, reason, kinds, capSysAdmin: false }, userNamespaces: { available: false, reason } };
  }
  const entries = await fs.list('/proc/self/ns');
  if (entries === undefined) {
    const reason = 'cannot read /proc/self/ns (is /proc mounted?)';
    return { namespaces: { available: false, reason, kinds, capSysAdmin: false }, userNamespaces: { available: false, reason } };
  }
  for (const k of NAMESPACE_KINDS) kinds[k] = entries.includes(k);
  const capSysAdmin = hasCapSysAdmin(statusField(await fs.readText('/proc/self/status'), 'CapEff'));
  const userNamespaces = await detectUserNamespaces(fs, kinds.user, capSysAdmin);

  const missing = CONTAINER_KINDS.filter((k) => !kinds[k]);
  let namespaces: NamespacesStatus;
  if (missing.length > 0) {
    namespaces = { available: false, reason: `the kernel lacks the ${missing.join(', ')} namespace(s) (not in /proc/self/ns)`, kinds, capSysAdmin };
  } else if (capSysAdmin) {
    namespaces = { available: true, reason: `${CONTAINER_KINDS.join(', ')} namespaces are present and this process holds CAP_SYS_ADMIN, so it may unshare them`, kinds, capSysAdmin };
  } else if (userNamespaces.available) {
    namespaces = { available: true, reason: `${CONTAINER_KINDS.join(', ')} namespaces are present and may be created inside an unprivileged user namespace (rootless)`, kinds, capSysAdmin };
  } else {
    namespaces = { available: false, reason: `namespaces are present but this process lacks CAP_SYS_ADMIN and ${userNamespaces.reason}`, kinds, capSysAdmin };
  }
  return { namespaces, userNamespaces };
}
