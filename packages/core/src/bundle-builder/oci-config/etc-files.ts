/**
 * The contents of `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` written into the bundle
 * directory and bind-mounted read-only over the image's (as containerd's CRI and podman do), so the
 * image's own files are never edited — not even through a symlink.
 *
 * @module bundle-builder/oci-config/etc-files
 */

/** Docker's default `/etc/hosts` entries (libnetwork etchosts `defaultContent`). */
const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** `/etc/hosts` for a container with its own network namespace: the loopback names and its hostname on 127.0.0.1. */
export function hostsFile(hostname: string): string {
  return [...LOCALHOST_LINES, `127.0.0.1\t${hostname}`, ''].join('\n');
}

/** `/etc/hostname`: the name and a newline. */
export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/** `/etc/resolv.conf` for network `none`: no servers (none would be reachable). */
export function resolvConfNone(): string {
  return '# magikrun: network none; only the loopback interface exists, so no name servers are configured\n';
}

/**
 * `/etc/resolv.conf` for a joined network namespace: the host's, without loopback name servers
 * (127.0.0.0/8, ::1), which answer in the host's namespace, not the container's — as Docker filters
 * it for non-host networks (libnetwork resolvconf `FilterResolvDNS`), but without adding public servers.
 */
export function resolvConfForNetns(hostResolvConf: string | undefined): string {
  const kept = (hostResolvConf ?? '').split('\n').filter((line) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) return true;
    const addr = m[1]!;
    return !(addr.startsWith('127.') || addr === '::1' || addr.startsWith('[::1]'));
  });
  const text = kept.join('\n').trimEnd();
  return `# magikrun: the host's resolv.conf without loopback name servers\n${text === '' ? '' : `${text}\n`}`;
}
