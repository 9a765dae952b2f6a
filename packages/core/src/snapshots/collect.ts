/**
 * Garbage collection of `<root>/snapshots/` (containerd's snapshot GC: a snapshot is kept while an
 * image or a container references it).
 *
 * Under the metadata lock: active snapshots whose preparing process died are dropped; committed
 * snapshots whose chain is neither in `keep` nor under any active snapshot are dropped (a kept `layer`
 * snapshot keeps its parents); numbered directories the metadata does not know (a crash between rename
 * and metadata write), temp and probe directories of dead processes (their scratch mounts unmounted
 * first) are taken out. Every directory to delete is first renamed to `trash-*` under the lock, so ids
 * are never reused while their directory exists, and deleted after the lock is released. A snapshot
 * that is still mounted is never removed: it is reported as busy.
 *
 * @module snapshots/collect
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { isHolderAlive } from '../storage/process-lock.js';
import { committedKey, withMetadataLock, type CommittedSnapshot } from './metadata.js';
import { mountsUsing, readMountInfo, type MountInfo } from './mountinfo.js';
import { unmount } from './mount-tool.js';
import { removeTree } from './remove-tree.js';
import { fsDir, ID_NAME, isAbandonedTmp } from './snapshot-dirs.js';

/** Options of {@link collectSnapshots}. */
export interface SnapshotGcOptions {
  /** Chain ids to keep besides those under active snapshots (the image gc passes every local image's). */
  keep?: Iterable<string>;
  /** Report what would be removed; remove nothing. @default false */
  dryRun?: boolean;
}

/** What {@link collectSnapshots} did (or would do). */
export interface SnapshotGcReport {
  dryRun: boolean;
  /** Committed snapshots removed. */
  removed: CommittedSnapshot[];
  /** Keys of active snapshots removed because the process preparing them is gone. */
  abandoned: string[];
  /** Directories removed that no metadata entry owned (crash leftovers), by name. */
  leftovers: string[];
  /** Unreferenced committed snapshots kept because something still mounts them. */
  busy: CommittedSnapshot[];
  /** Committed snapshots kept. */
  kept: number;
}

/**
 * Collect garbage in the snapshot directory `dir` (`<root>/snapshots`).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (damaged metadata: nothing is removed).
 */
export async function collectSnapshots(dir: string, options: SnapshotGcOptions = {}): Promise<SnapshotGcReport> {
  const dryRun = options.dryRun === true;
  const report: SnapshotGcReport = { dryRun, removed: [], abandoned: [], leftovers: [], busy: [], kept: 0 };
  const trash: string[] = [];
  const toTrash = async (name: string) => {
    if (dryRun) return;
    const t = path.join(dir, `trash-${randomBytes(6).toString('hex')}`);
    await rename(path.join(dir, name), t);
    trash.push(t);
  };

  const abandonedIds = new Set<number>();
  await withMetadataLock(dir, async (md) => {
    const mounts = await readMountInfo();
    // 1. Active snapshots of dead preparers.
    for (const a of Object.values(md.active)) {
      if (a.state === 'preparing' && a.holder && !isHolderAlive(a.holder)) {
        if ((await mountsUsing(path.join(dir, String(a.id)), mounts)).length > 0) continue;
        report.abandoned.push(a.key);
        abandonedIds.add(a.id);
        delete md.active[a.key];
        await toTrash(String(a.id)).catch(ignoreMissing);
      }
    }
    // 2. Mark.
    const keep = new Set<string>(options.keep ?? []);
    for (const a of Object.values(md.active)) for (const c of a.chain) keep.add(c);
    const marked = new Set<string>();
    const markLayer = (chainId: string | undefined) => {
      for (let c = chainId; c !== undefined; ) {
        const k = committedKey('layer', c);
        if (marked.has(k) || !md.committed[k]) break;
        marked.add(k);
        c = md.committed[k]!.parent;
      }
    };
    for (const c of keep) {
      markLayer(c);
      if (md.committed[committedKey('full', c)]) marked.add(committedKey('full', c));
    }
    // 3. Sweep committed.
    for (const [k, s] of Object.entries(md.committed)) {
      if (marked.has(k)) {
        report.kept++;
        continue;
      }
      if ((await mountsUsing(fsDir(dir, s.id), mounts)).length > 0) {
        report.busy.push(s);
        report.kept++;
        continue;
      }
      report.removed.push(s);
      delete md.committed[k];
      await toTrash(String(s.id)).catch(ignoreMissing);
    }
    // 4. Leftovers.
    // (In a dry run the removed and abandoned snapshots' directories are still there under their ids.)
    const known = new Set<number>([...Object.values(md.committed), ...Object.values(md.active), ...report.removed].map((s) => s.id));
    for (const name of await readdir(dir)) {
      if (ID_NAME.test(name)) {
        if (known.has(Number(name)) || (dryRun && abandonedIds.has(Number(name)))) continue;
        if ((await mountsUsing(path.join(dir, name), mounts)).length > 0) continue;
      } else if (isAbandonedTmp(name)) {
        if (!dryRun) await unmountScratch(path.join(dir, name), mounts);
      } else if (name.startsWith('trash-')) {
        // Left by a gc that crashed (or is deleting it right now: removal tolerates that).
        if (!dryRun) trash.push(path.join(dir, name));
        report.leftovers.push(name);
        continue;
      } else {
        continue;
      }
      report.leftovers.push(name);
      await toTrash(name).catch(ignoreMissing);
    }
    return { write: !dryRun, value: undefined };
  });

  for (const t of trash) await removeTree(t).catch(ignoreMissing);
  return report;
}

/** A crashed build or probe may have left its scratch overlay mounted: take it down (ours, never a container's). */
async function unmountScratch(scratch: string, mounts: MountInfo[]): Promise<void> {
  for (const m of (await mountsUsing(scratch, mounts)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)) {
    await unmount(m.mountPoint).catch(() => unmount(m.mountPoint, true));
  }
}

/**
 * Unmount and remove the scratch directories of processes that died (`tmp-*` layer builds, `probe-*`
 * overlay probes) in the snapshot directory `dir` — the part of {@link collectSnapshots} that needs no
 * list of images to keep, for `magikrun rm` and `run --name` after a crash. Under the metadata lock.
 *
 * @returns the names removed.
 */
export async function removeAbandonedScratch(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const trash: string[] = [];
  await withMetadataLock(dir, async () => {
    const mounts = await readMountInfo();
    for (const name of await readdir(dir)) {
      if (!isAbandonedTmp(name)) continue;
      await unmountScratch(path.join(dir, name), mounts);
      const t = path.join(dir, `trash-${randomBytes(6).toString('hex')}`);
      await rename(path.join(dir, name), t).then(() => trash.push(t), ignoreMissing);
      removed.push(name);
    }
    return { write: false, value: undefined };
  });
  for (const t of trash) await removeTree(t).catch(ignoreMissing);
  return removed;
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}
