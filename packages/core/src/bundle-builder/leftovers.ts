/**
 * Finding and removing what a dead process left of a bundle id: staging directories
 * `<root>/bundles/.tmp-<id>-<12 hex>` (with the rootfs that was mounted in them while config.json was
 * prepared), the bundle `<root>/bundles/<id>` (with the rootfs mounts a dead container monitor left), the
 * active snapshot `<id>` of a snapshot-backed bundle, and the claim file itself (see bundle-claim.ts);
 * also the snapshotter's scratch directories of dead processes (layer builds, overlay probes).
 *
 * An id is left over when no live process holds its claim (its holder died, or it has none) and the
 * caller says no container uses it — this module cannot know the runtimes; `magikrun gc`, `rm` and
 * `run --name` ask each runtime whose containers outlive their creator (containerd's rule: a snapshot or
 * bundle is kept while a container references it).
 *
 * @module bundle-builder/leftovers
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, isMagikrunError } from '../errors.js';
import { validateContainerId } from '../runtime/container-id.js';
import { unmount } from '../snapshots/mount-tool.js';
import { readMountInfo } from '../snapshots/mountinfo.js';
import { removeTree } from '../snapshots/remove-tree.js';
import { removeAbandonedScratch } from '../snapshots/collect.js';
import { Snapshotter } from '../snapshots/snapshotter.js';
import { BlobStore } from '../storage/blob-store.js';
import { readLockHolder, isHolderAlive, type LockHolder } from '../storage/process-lock.js';
import { CLAIMS_DIR, claimBundle, claimPath } from './bundle-claim.js';
import { removeBundleFiles } from './remove-bundle.js';

/** A staging directory name: `.tmp-<id>-<12 hex>` (stage-dir.ts, wasm-bundle.ts). */
const STAGING = /^\.tmp-(.+)-[0-9a-f]{12}$/;

/** What {@link sweepBundleLeftovers} did (or, with `dryRun`, would do). */
export interface BundleSweepReport {
  dryRun: boolean;
  /** Ids whose leftovers were removed. */
  removed: string[];
  /** Ids kept because a live process holds their claim. */
  busy: { id: string; holder: Pick<LockHolder, 'pid' | 'hostname'> }[];
  /** Ids kept because a container uses them (`inUse` said so). */
  inUse: string[];
}

/** Options of {@link sweepBundleLeftovers}. */
export interface BundleSweepOptions {
  /**
   * Whether a container (of any runtime whose containers outlive their creator) still uses bundle id
   * `id`; such ids are never touched. Called before the claim is taken and again after.
   */
  inUse: (id: string) => Promise<boolean>;
  /** Only these ids (`magikrun rm ID`, `run --name ID`). @default every id with a claim file, a staging directory or a bundle */
  ids?: readonly string[];
  /** Report; remove nothing. @default false */
  dryRun?: boolean;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** What is on disk under a data root, by bundle id: claim files, staging directories, bundle directories. */
interface BundlesOnDisk {
  claims: Set<string>;
  staging: Set<string>;
  bundles: Set<string>;
}

async function scanBundles(root: string): Promise<BundlesOnDisk> {
  const found: BundlesOnDisk = { claims: new Set(), staging: new Set(), bundles: new Set() };
  for (const n of await names(path.join(root, CLAIMS_DIR))) if (n.endsWith('.lock')) found.claims.add(n.slice(0, -'.lock'.length));
  for (const n of await names(path.join(root, 'bundles'))) {
    const m = STAGING.exec(n);
    if (m) found.staging.add(m[1]!);
    else if (!n.startsWith('.')) found.bundles.add(n);
  }
  return found;
}

/** Ids that have a claim file, a staging directory or a bundle directory under `root`. */
export async function bundleIdsOnDisk(root: string): Promise<string[]> {
  return idsOf(await scanBundles(root));
}

function idsOf({ claims, staging, bundles }: BundlesOnDisk): string[] {
  return [...new Set([...claims, ...staging, ...bundles])].filter((id) => {
    try {
      validateContainerId(id);
      return true;
    } catch {
      return false;
    }
  }).sort();
}

/** Unmount everything mounted at or under `dir`, deepest first (lazily when a mount is busy). */
async function unmountUnder(dir: string): Promise<void> {
  const prefix = `${dir}/`;
  const points = (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix));
  for (const p of [...new Set(points)].sort((a, b) => b.length - a.length)) {
    await unmount(p).catch(() => unmount(p, true));
  }
}

/**
 * Remove everything of bundle id `id` under `root`; the caller holds its claim and checked that no
 * container uses it. Staging directories and the bundle directory are unmounted first; the active
 * snapshot `<id>` goes when `ownsSnapshot` (the id was claimed by a bundle build, which alone prepares
 * snapshots under its id) or the bundle names it.
 */
async function removeLeftovers(root: string, id: string, ownsSnapshot: boolean): Promise<void> {
  const bundles = path.join(root, 'bundles');
  for (const n of await names(bundles)) {
    if (STAGING.exec(n)?.[1] !== id) continue;
    const dir = path.join(bundles, n);
    await unmountUnder(dir);
    await removeTree(dir);
  }
  const dir = path.join(bundles, id);
  if ((await lstat(dir).catch(() => undefined))?.isDirectory()) await unmountUnder(dir);
  if (ownsSnapshot) {
    const snapshots = await Snapshotter.open({ store: new BlobStore({ root }), root, mode: 'copy' });
    await snapshots.remove(id);
  }
  // The bundle (and the snapshot its config.json names) as its owner would remove it.
  await removeBundleFiles(dir);
}

/**
 * Remove the leftovers of dead processes' bundle ids under data root `root` (see the module docs):
 * for each id (claim file, staging directory or bundle, or `options.ids`), unless a container uses it
 * or a live process holds its claim, its staging directories, bundle, active snapshot and claim file.
 *
 * @returns what was removed and what was kept (and why).
 * @throws MagikrunError as `removeTree`, `Snapshotter.remove` and `umount` throw (`INVALID_STATE` while a
 *   mount stays busy, `UNAVAILABLE` without umount); what went before the failure stays removed.
 */
export async function sweepBundleLeftovers(root: string, options: BundleSweepOptions): Promise<BundleSweepReport> {
  const abs = path.resolve(root);
  const report: BundleSweepReport = { dryRun: options.dryRun === true, removed: [], busy: [], inUse: [] };
  const onDisk = await scanBundles(abs);
  const ids = options.ids ? [...options.ids] : idsOf(onDisk);
  // Scratch directories of dead layer builds and overlay probes (with their mounts) go first.
  if (!report.dryRun && (await exists(path.join(abs, 'snapshots', 'locks')))) await removeAbandonedScratch(path.join(abs, 'snapshots'));
  for (const id of ids) {
    validateContainerId(id);
    const hadClaim = onDisk.claims.has(id);
    const hasStaging = onDisk.staging.has(id);
    if (!hadClaim && !hasStaging && !onDisk.bundles.has(id)) continue;
    if (await options.inUse(id)) {
      report.inUse.push(id);
      continue;
    }
    if (report.dryRun) {
      const holder = hadClaim ? await readLockHolder(claimPath(abs, id)) : undefined;
      if (holder && isHolderAlive(holder)) report.busy.push({ id, holder: { pid: holder.pid, hostname: holder.hostname } });
      else report.removed.push(id);
      continue;
    }
    let claim;
    let fresh;
    try {
      ({ claim, fresh } = await claimBundle(abs, id));
    } catch (e) {
      if (!isMagikrunError(e, ErrorCode.Locked)) throw e;
      const holder = (e.details as { holder?: LockHolder }).holder;
      report.busy.push({ id, holder: { pid: holder?.pid ?? 0, hostname: holder?.hostname ?? '' } });
      continue;
    }
    // The claim's previous holder may have created a container just before it died.
    if (await options.inUse(id)) {
      if (fresh) await claim.release();
      report.inUse.push(id);
      continue;
    }
    try {
      await removeLeftovers(abs, id, hadClaim || hasStaging);
    } finally {
      // A claim this process already held (`magikrun run --name ID` reserving its name) stays held.
      if (fresh) await claim.release();
    }
    report.removed.push(id);
  }
  return report;
}
