/**
 * User names for uids, as `runc list` prints a container's owner.
 *
 * @module platform/user-name
 */
import { readFileSync } from 'node:fs';

const names = new Map<number, string>();

/**
 * The name of user `uid` from `/etc/passwd` (the lookup Go's `os/user` does without cgo, which runc's
 * `list` uses for its OWNER column); `#<uid>` when no entry names it, as runc prints then. Cached per
 * process; a read error (no `/etc/passwd`) counts as no entry.
 *
 * @param uid a non-negative integer uid
 * @returns the user name, or `#<uid>`
 */
export function userName(uid: number, passwdPath = '/etc/passwd'): string {
  const cached = passwdPath === '/etc/passwd' ? names.get(uid) : undefined;
  if (cached !== undefined) return cached;
  let name = `#${uid}`;
  let text = '';
  try {
    text = readFileSync(passwdPath, 'utf8');
  } catch {
    // no passwd database: the uid alone
  }
  for (const line of text.split('\n')) {
    const [user, , id] = line.split(':');
    if (user && id !== undefined && /^\d+$/.test(id) && Number(id) === uid) {
      name = user;
      break;
    }
  }
  if (passwdPath === '/etc/passwd') names.set(uid, name);
  return name;
}
