/**
 * Names inside `<root>/snapshots/`:
 *
 * ```
 * metadata.json  metadata.lock          which id holds what (snapshots/metadata.ts)
 * locks/<kind>-<hex>.lock               one builder per chain across processes
 * <id>/fs                               a snapshot's tree (overlay upper dir, or a whole rootfs)
 * <id>/work                             overlay workdir of an active snapshot
 * tmp-<pid>-<start>-<rand>/             a snapshot being built (renamed to <id>/ when committed)
 * probe-<pid>-<rand>/                   the overlay probe's scratch
 * trash-<rand>/                         a snapshot gc took out of use, being deleted
 * ```
 *
 * @module snapshots/snapshot-dirs
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { currentHolder, isHolderAlive } from '../storage/process-lock.js';
import type { SnapshotMetadata } from './metadata.js';

export const ID_NAME = /^[1-9][0-9]{0,15}$/;
const TMP_NAME = /^(?:tmp|probe)-([0-9]+)-(?:([0-9]*)-)?[0-9a-f]+$/;

/** `<dir>/<id>/fs` */
export function fsDir(dir: string, id: number): string {
  return path.join(dir, String(id), 'fs');
}

/** `<dir>/<id>/work` */
export function workDir(dir: string, id: number): string {
  return path.join(dir, String(id), 'work');
}

/** A fresh private (0700) build directory `<dir>/tmp-<pid>-<start time>-<rand>`. */
export async function makeTmpDir(dir: string): Promise<string> {
  const h = currentHolder();
  const p = path.join(dir, `tmp-${h.pid}-${h.startTime}-${randomBytes(6).toString('hex')}`);
  await mkdir(p, { mode: 0o700 });
  return p;
}

/**
 * A temp or probe directory whose creating process is gone (same host: pid and start time from its name).
 * Names that do not parse are not judged here.
 */
export function isAbandonedTmp(name: string): boolean {
  const m = TMP_NAME.exec(name);
  if (!m) return false;
  return !isHolderAlive({ pid: Number(m[1]), startTime: m[2] ?? '', hostname: currentHolder().hostname });
}

/**
 * The next free id: above every id in the metadata and every numeric directory (a directory left by a
 * crash between its rename and the metadata write must not be reused while it is still there).
 */
export async function allocateId(dir: string, md: SnapshotMetadata): Promise<number> {
  let max = 0;
  for (const s of Object.values(md.committed)) max = Math.max(max, s.id);
  for (const s of Object.values(md.active)) max = Math.max(max, s.id);
  for (const name of await readdir(dir)) if (ID_NAME.test(name)) max = Math.max(max, Number(name));
  return max + 1;
}
