/**
 * Bundle claims: which process owns the bundle id `<id>` of a data root — its bundle `<root>/bundles/<id>`,
 * the staging directories `<root>/bundles/.tmp-<id>-*` it is built in, and the active snapshot `<id>` of a
 * snapshot-backed bundle.
 *
 * A claim is a process lock file `<root>/claims/<id>.lock` (see `storage/process-lock`: pid, start time and
 * host, so a reused pid does not count). `BundleBuilder.build` takes it before it writes anything and
 * keeps it for the bundle's lifetime in this process; `removeBundle` releases it once the bundle is gone.
 * When its process dies (SIGKILL, a crash, a reboot) the claim stays on disk with a dead holder, and what
 * it owns is left over — unless a container of a runtime whose containers outlive their creator (youki)
 * still uses the bundle. `sweepBundleLeftovers` (bundle-builder/leftovers.ts) removes such leftovers.
 *
 * Claims are re-entrant within a process: claiming an id this process already holds returns the same
 * claim (so `magikrun run` can hold its container name across build, create and removal).
 *
 * @module bundle-builder/bundle-claim
 */
import path from 'node:path';
import { validateContainerId } from '../runtime/container-id.js';
import { acquireProcessLock } from '../storage/process-lock.js';
import { ensureStoreDir } from '../storage/root.js';

/** Directory of the claim files under a data root. */
export const CLAIMS_DIR = 'claims';

/** A claim held by this process. */
export interface BundleClaim {
  /** The data root (absolute). */
  readonly root: string;
  readonly id: string;
  /** The claim file. */
  readonly path: string;
  /** Give the id up: remove the claim file (only while it is still this claim). Idempotent. */
  release(): Promise<void>;
}

/** Claims this process holds, by claim file path. */
const held = new Map<string, BundleClaim>();

/** `<root>/claims/<id>.lock` */
export function claimPath(root: string, id: string): string {
  return path.join(path.resolve(root), CLAIMS_DIR, `${id}.lock`);
}

/** The claim this process holds on `id`, if any. */
export function heldBundleClaim(root: string, id: string): BundleClaim | undefined {
  return held.get(claimPath(root, id));
}

/**
 * Claim bundle id `id` of data root `root` for this process (re-entrant: an id already held by this
 * process returns that claim). A claim whose holder died is taken over.
 *
 * @param options.waitTimeoutMs wait up to this many ms for a live holder to release it (default: fail at once)
 * @returns the claim, and whether this call took it (`fresh`) or it was already held here.
 * @throws MagikrunError `LOCKED` when another live process holds it (after `waitTimeoutMs`, if given;
 *   `details.holder`: pid, start time, host, `heldForMs`); `ABORTED` (`options.signal`);
 *   `INVALID_ARGUMENT` for a malformed id.
 */
export async function claimBundle(root: string, id: string, options: { waitTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ claim: BundleClaim; fresh: boolean }> {
  validateContainerId(id);
  const file = claimPath(root, id);
  const existing = held.get(file);
  if (existing) return { claim: existing, fresh: false };
  await ensureStoreDir(path.dirname(file));
  const lock = await acquireProcessLock(file, {
    what: `bundle id ${JSON.stringify(id)} (its bundle, staging directories and snapshot)`,
    ...(options.waitTimeoutMs !== undefined ? { wait: true, waitTimeoutMs: options.waitTimeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const claim: BundleClaim = {
    root: path.resolve(root),
    id,
    path: file,
    async release() {
      if (held.get(file) === claim) held.delete(file);
      await lock.release();
    },
  };
  held.set(file, claim);
  return { claim, fresh: true };
}
