/**
 * The container's hostname: checked as an RFC 1123 host name that fits the kernel's 64-byte
 * `utsname.nodename`, or derived from the bundle id.
 *
 * @module bundle-builder/oci-config/hostname
 */
import { err, ErrorCode } from '../../errors.js';

/** Longest hostname sethostname(2) accepts: 64 bytes (`__NEW_UTS_LEN`). */
export const MAX_HOSTNAME_LENGTH = 64;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * Check a hostname given by the caller.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` unless it is 1-64 characters of dot-separated labels of
 *   letters, digits and inner hyphens.
 */
export function checkHostname(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_HOSTNAME_LENGTH || !HOSTNAME.test(name)) {
    throw err(
      ErrorCode.InvalidArgument,
      `hostname ${JSON.stringify(name)} is not valid: use 1-${MAX_HOSTNAME_LENGTH} letters, digits, hyphens and dots, such as web-1`,
      { hostname: name },
    );
  }
  return name;
}

/** A hostname from a bundle id (Docker uses the first 12 characters of the container id). */
export function hostnameFromId(id: string): string {
  const cleaned = id
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .slice(0, 63)
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/\.{2,}/g, '.');
  return HOSTNAME.test(cleaned) ? cleaned : 'magikrun';
}
