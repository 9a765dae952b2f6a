/**
 * Parsing `/etc/passwd` and `/etc/group` (passwd(5), group(5)) as runc's libcontainer/user does,
 * except that a line whose id is not a decimal number in range is skipped instead of read as 0, so a
 * malformed line can never turn into root.
 *
 * @module bundle-builder/oci-config/passwd
 */

/** Largest `/etc/passwd` or `/etc/group` read, in bytes: 4 MiB (about 50 000 entries). */
export const MAX_ETC_FILE_SIZE = 4 * 1024 * 1024;

/** Largest uid or gid accepted: 2^31 − 1, runc's `user.maxID`. */
export const MAX_ID = 2 ** 31 - 1;

/** One `/etc/passwd` entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** One `/etc/group` entry. */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Member user names. */
  members: string[];
}

/** A decimal id in 0..{@link MAX_ID}, or undefined. */
export function parseId(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Entries of an `/etc/passwd` text (`name:password:uid:gid:gecos:home:shell`). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text)) {
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    if (!f[0] || uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

/** Entries of an `/etc/group` text (`name:password:gid:member,member`). */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text)) {
    const gid = parseId(f[2]);
    if (!f[0] || gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}
