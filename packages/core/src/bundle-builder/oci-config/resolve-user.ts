/**
 * The container's user from an image's `User` (or the caller's override): `name`, `uid`,
 * `name:group`, `uid:gid` and the mixed forms, resolved against the rootfs's own `/etc/passwd` and
 * `/etc/group` — never the host's (the files are read with `readFileInRoot`, which resolves symlinks
 * inside the root, refuses anything but a regular file and caps the size at {@link MAX_ETC_FILE_SIZE}).
 *
 * Rules (runc's libcontainer/user `GetExecUser` and containerd's `WithUser`/`WithAdditionalGIDs`):
 * - empty → uid 0, gid 0;
 * - a number is a uid; its gid is that uid's passwd gid, else 0 (a uid missing from passwd is fine);
 * - a name must be in passwd (else `NOT_FOUND`), giving uid and gid;
 * - after `:`, a number is the gid as it is; a name must be in `/etc/group` (else `NOT_FOUND`);
 * - `additionalGids` = the primary gid, then every group that lists the user's name as a member
 *   (except a group with the user's own name), as containerd does since CVE-2023-25173;
 * - `home` from passwd, else `/` (for `HOME`).
 *
 * @module bundle-builder/oci-config/resolve-user
 */
import { err, ErrorCode } from '../../errors.js';
import { readFileInRoot } from '../../rootfs/in-root.js';
import { MAX_ETC_FILE_SIZE, MAX_ID, parseGroup, parseId, parsePasswd, type GroupEntry, type PasswdEntry } from './passwd.js';

/** A resolved user. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, the primary gid first. */
  additionalGids: number[];
  /** Home directory from passwd, else `/`. */
  home: string;
}

function checkIdForm(part: string, what: string, user: string): number | undefined {
  if (/^\d+$/.test(part)) {
    const id = parseId(part);
    if (id === undefined) throw err(ErrorCode.InvalidArgument, `user ${JSON.stringify(user)}: ${what} ${part} is out of range (0-${MAX_ID})`, { user });
    return id;
  }
  if (/^-\d+$/.test(part)) throw err(ErrorCode.InvalidArgument, `user ${JSON.stringify(user)}: ${what} ${part} is negative`, { user });
  return undefined;
}

/**
 * Resolve `user` against parsed passwd and group entries (undefined: the image has no such file).
 *
 * @throws MagikrunError `NOT_FOUND` for a user or group name the image does not define;
 *   `INVALID_ARGUMENT` for a malformed string or an id out of range.
 */
export function resolveUserFrom(user: string | undefined, passwd: readonly PasswdEntry[] | undefined, group: readonly GroupEntry[] | undefined): ResolvedUser {
  const spec = user ?? '';
  if (spec.includes('\0') || spec !== spec.trim() || spec.split(':').length > 2) {
    throw err(ErrorCode.InvalidArgument, `user ${JSON.stringify(spec)} is malformed; write NAME, UID, NAME:GROUP or UID:GID`, { user: spec });
  }
  const [userPart = '', groupPart] = spec.split(':') as [string, string | undefined];
  if (userPart === '' && groupPart !== undefined) {
    throw err(ErrorCode.InvalidArgument, `user ${JSON.stringify(spec)} names a group but no user; write UID:GID or NAME:GROUP`, { user: spec });
  }
  if (groupPart === '') throw err(ErrorCode.InvalidArgument, `user ${JSON.stringify(spec)} has an empty group after ":"`, { user: spec });

  let entry: PasswdEntry | undefined;
  let uid: number;
  const numericUid = userPart === '' ? 0 : checkIdForm(userPart, 'uid', spec);
  if (numericUid !== undefined) {
    uid = numericUid;
    entry = passwd?.find((p) => p.uid === uid);
  } else {
    entry = passwd?.find((p) => p.name === userPart);
    if (!entry) {
      throw err(
        ErrorCode.NotFound,
        passwd === undefined
          ? `user ${userPart} cannot be resolved: the image has no /etc/passwd; give a numeric uid instead`
          : `user ${userPart} is not in the image's /etc/passwd; give a user the image defines or a numeric uid`,
        { user: spec },
      );
    }
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    const numericGid = checkIdForm(groupPart, 'gid', spec);
    if (numericGid !== undefined) gid = numericGid;
    else {
      const g = group?.find((x) => x.name === groupPart);
      if (!g) {
        throw err(
          ErrorCode.NotFound,
          group === undefined
            ? `group ${groupPart} cannot be resolved: the image has no /etc/group; give a numeric gid instead`
            : `group ${groupPart} is not in the image's /etc/group; give a group the image defines or a numeric gid`,
          { user: spec },
        );
      }
      gid = g.gid;
    }
  }

  const additionalGids = [gid];
  const name = entry?.name;
  if (name !== undefined) {
    for (const g of group ?? []) {
      if (g.name !== name && g.members.includes(name) && !additionalGids.includes(g.gid)) additionalGids.push(g.gid);
    }
  }
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}

/**
 * Resolve `user` against the image's own `/etc/passwd` and `/etc/group` in `rootfs`.
 *
 * @throws MagikrunError as {@link resolveUserFrom}; `LIMIT_EXCEEDED` (a file above
 *   {@link MAX_ETC_FILE_SIZE}) or `INVALID_ARGUMENT` (not a regular file, a symlink loop).
 */
export async function resolveUser(rootfs: string, user: string | undefined): Promise<ResolvedUser> {
  const passwdText = (await readFileInRoot(rootfs, '/etc/passwd', { maxSize: MAX_ETC_FILE_SIZE }))?.toString('utf8');
  const groupText = (await readFileInRoot(rootfs, '/etc/group', { maxSize: MAX_ETC_FILE_SIZE }))?.toString('utf8');
  return resolveUserFrom(user, passwdText === undefined ? undefined : parsePasswd(passwdText), groupText === undefined ? undefined : parseGroup(groupText));
}
