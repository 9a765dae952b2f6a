/**
 * Network modes of an OCI container and the `/etc` files that go with each:
 *
 * - `none` (default): a new network namespace; runc and libcontainer bring its loopback interface up,
 *   nothing else exists. `/etc/hosts` maps localhost and the hostname to loopback; `/etc/resolv.conf`
 *   has no servers.
 * - `host`: no network namespace (the host's interfaces); the host's `/etc/resolv.conf` and
 *   `/etc/hosts` are bind-mounted read-only as they are. The container keeps its own UTS namespace;
 *   its hostname defaults to the host's (Docker's `--network host`).
 * - an absolute path to a network namespace (`/run/netns/NAME`, `/proc/PID/ns/net`): joined;
 *   `/etc/resolv.conf` is the host's without loopback servers.
 *
 * `/etc/hostname` always holds the container's hostname.
 *
 * @module bundle-builder/oci-config/network
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { err, ErrorCode } from '../../errors.js';
import { hostnameFile, hostsFile, resolvConfForNetns, resolvConfNone } from './etc-files.js';
import type { SpecNamespace } from './spec-types.js';

/** `none`, `host`, or the absolute path of a network namespace to join. @default 'none' */
export type NetworkMode = 'none' | 'host' | (string & {});

/** A parsed {@link NetworkMode}. */
export type ParsedNetwork = { kind: 'none' } | { kind: 'host' } | { kind: 'netns'; path: string };

/** nsfs's `f_type` (`NSFS_MAGIC` in linux/magic.h). */
const NSFS_MAGIC = 0x6e736673;
/** Largest host `/etc/resolv.conf` read, in bytes: 64 KiB. */
const MAX_HOST_RESOLV_CONF = 64 * 1024;

/** Parse a network mode. @throws MagikrunError `INVALID_ARGUMENT` for anything else. */
export function parseNetworkMode(mode: unknown): ParsedNetwork {
  if (mode === undefined || mode === 'none') return { kind: 'none' };
  if (mode === 'host') return { kind: 'host' };
  if (typeof mode === 'string' && mode.startsWith('/') && !mode.includes('\0')) return { kind: 'netns', path: mode };
  throw err(ErrorCode.InvalidArgument, `network ${JSON.stringify(mode)} is not valid: use none, host or the absolute path of a network namespace such as /run/netns/NAME`, { network: mode });
}

/** One file the container sees at `guestPath`: either written into the bundle, or a host file bound as it is. */
export type EtcFile = { guestPath: string; bundleName: string; content: string } | { guestPath: string; hostPath: string };

/** What a network mode needs. */
export interface NetworkPlan {
  /** The network namespace entry, or undefined to share the host's. */
  namespace: SpecNamespace | undefined;
  /** The hostname when the caller gave none. */
  defaultHostname: string | undefined;
  /** `/etc/resolv.conf`, `/etc/hosts`, `/etc/hostname`. */
  files(hostname: string): Promise<EtcFile[]>;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readHostResolvConf(): Promise<string | undefined> {
  try {
    const st = await stat('/etc/resolv.conf');
    if (!st.isFile() || st.size > MAX_HOST_RESOLV_CONF) return undefined;
    return await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Check the mode (a namespace path must exist and be a namespace file) and plan it.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed mode or a path that is not a namespace;
 *   `NOT_FOUND` for a namespace path that does not exist.
 */
export async function planNetwork(mode: NetworkMode | undefined): Promise<NetworkPlan> {
  const net = parseNetworkMode(mode);
  const hostsAndName = (hostname: string): EtcFile[] => [
    { guestPath: '/etc/hosts', bundleName: 'hosts', content: hostsFile(hostname) },
    { guestPath: '/etc/hostname', bundleName: 'hostname', content: hostnameFile(hostname) },
  ];
  switch (net.kind) {
    case 'none':
      return {
        namespace: { type: 'network' },
        defaultHostname: undefined,
        files: async (hostname) => [{ guestPath: '/etc/resolv.conf', bundleName: 'resolv.conf', content: resolvConfNone() }, ...hostsAndName(hostname)],
      };
    case 'host':
      return {
        namespace: undefined,
        defaultHostname: osHostname(),
        files: async (hostname) => {
          const out: EtcFile[] = [];
          out.push(
            (await exists('/etc/resolv.conf'))
              ? { guestPath: '/etc/resolv.conf', hostPath: '/etc/resolv.conf' }
              : { guestPath: '/etc/resolv.conf', bundleName: 'resolv.conf', content: resolvConfNone() },
          );
          out.push((await exists('/etc/hosts')) ? { guestPath: '/etc/hosts', hostPath: '/etc/hosts' } : hostsAndName(hostname)[0]!);
          out.push({ guestPath: '/etc/hostname', bundleName: 'hostname', content: hostnameFile(hostname) });
          return out;
        },
      };
    case 'netns': {
      let fsType: number;
      try {
        if ((await stat(net.path)).isDirectory()) throw err(ErrorCode.InvalidArgument, `network namespace ${net.path} is a directory, not a namespace file`, { network: net.path });
        fsType = Number((await statfs(net.path)).type);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw err(ErrorCode.NotFound, `network namespace ${net.path} does not exist; create it first (ip netns add NAME makes /run/netns/NAME)`, { network: net.path }, e);
        }
        throw e;
      }
      if (fsType !== NSFS_MAGIC) {
        throw err(ErrorCode.InvalidArgument, `${net.path} is not a network namespace (not on nsfs); give /run/netns/NAME or /proc/PID/ns/net`, { network: net.path });
      }
      return {
        namespace: { type: 'network', path: net.path },
        defaultHostname: undefined,
        files: async (hostname) => [
          { guestPath: '/etc/resolv.conf', bundleName: 'resolv.conf', content: resolvConfForNetns(await readHostResolvConf()) },
          ...hostsAndName(hostname),
        ],
      };
    }
  }
}
