/**
 * The caller's bind mounts (`--volume HOST:GUEST[:ro]`) as config.json mounts.
 *
 * @module bundle-builder/oci-config/bind-mounts
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../../errors.js';
import { checkGuestPath, type VolumeMount } from '../run-config.js';
import type { SpecMount } from './spec-types.js';

/**
 * One `bind` mount per volume, options `rbind`, `rprivate` and `ro` or `rw` (containerd CRI's).
 * Host paths are resolved (realpath) and may be directories or files.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a host path that does not exist, a guest path that is
 *   not absolute, contains `..`, is `/`, or is mapped twice.
 */
export async function bindMounts(volumes: readonly VolumeMount[] | undefined): Promise<SpecMount[]> {
  const out: SpecMount[] = [];
  const taken = new Set<string>();
  for (const v of volumes ?? []) {
    const guestPath = checkGuestPath(v?.guestPath, 'volume guest path');
    if (guestPath === '/') throw err(ErrorCode.InvalidArgument, 'volume guest path / is the image root; mount the directory somewhere below it, e.g. /data', { guestPath });
    if (taken.has(guestPath)) throw err(ErrorCode.InvalidArgument, `volume guest path ${guestPath} is mapped twice`, { guestPath });
    if (typeof v.hostPath !== 'string' || v.hostPath === '' || v.hostPath.includes('\0')) {
      throw err(ErrorCode.InvalidArgument, `volume host path ${JSON.stringify(v.hostPath)} is not valid`, { hostPath: v.hostPath });
    }
    let source: string;
    try {
      source = await realpath(path.resolve(v.hostPath));
      await stat(source);
    } catch (e) {
      throw err(ErrorCode.InvalidArgument, `volume host path ${v.hostPath} does not exist; create it first`, { hostPath: v.hostPath }, e);
    }
    taken.add(guestPath);
    out.push({ destination: guestPath, type: 'bind', source, options: ['rbind', 'rprivate', v.readonly === true ? 'ro' : 'rw'] });
  }
  return out;
}
