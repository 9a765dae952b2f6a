/**
 * Building committed snapshots: each is built in a private temp directory beside the others, then
 * renamed to its numeric id and recorded in the metadata under the metadata lock — a crash leaves a temp
 * directory (removed by gc), never a half-built snapshot that looks committed. A per-chain lock file makes
 * one process build a chain while others wait for it and then reuse it.
 *
 * - overlay mode, one `layer` snapshot per chain: the bottom layer is applied to the new directory; layer
 *   N is applied through an overlay mounted with lowerdirs = chains N-1..0 and upperdir = the new
 *   directory, so the kernel records deletions as overlay whiteouts and opaque directories.
 * - copy mode, one `full` snapshot per chain top: every layer applied to one directory.
 *
 * @module snapshots/build-snapshots
 */
import { chmod, chown, lstat, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { LayerLimitOverrides, LayerLimits } from '../rootfs/limits.js';
import type { WarningSink } from '../rootfs/warnings.js';
import { err, ErrorCode } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { acquireProcessLock } from '../storage/process-lock.js';
import { applyLayerTo } from './apply-layer.js';
import { committedKey, readMetadata, withMetadataLock, type CommittedSnapshot, type SnapshotMetadata } from './metadata.js';
import { mountOverlay, unmount } from './mount-tool.js';
import { checkAborted } from './abort.js';
import { removeTree } from './remove-tree.js';
import { allocateId, fsDir, makeTmpDir } from './snapshot-dirs.js';

/** What the builders need. */
export interface BuildContext {
  /** `<root>/snapshots` */
  dir: string;
  store: BlobStore;
  /** The caller's limit overrides, passed to the applier as given. */
  limitOverrides: LayerLimitOverrides;
  /** The same, resolved (for the rootfs budget). */
  limits: LayerLimits;
  /** Options every overlay mount gets (`index=off`). */
  overlayOptions: readonly string[];
  signal?: AbortSignal;
  /** Called when a layer is really unpacked (not reused). */
  onUnpack?: (info: { index: number; layer: string; chainId: string }) => void;
  /** The applier's warnings (device nodes or xattrs not created…). */
  onWarning?: WarningSink;
}

/** An image's layers with their diff_ids and chain ids (all the same length). */
export interface ChainInput {
  layers: readonly Descriptor[];
  diffIds: readonly string[];
  chain: readonly string[];
}

function applyOptions(ctx: BuildContext, diffId: string, budget: { remaining: number; readonly total: number }) {
  return {
    diffId,
    limits: ctx.limitOverrides,
    budget,
    ...(ctx.onWarning ? { onWarning: ctx.onWarning } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

function chainLock(ctx: BuildContext, kind: CommittedSnapshot['kind'], chainId: string) {
  return acquireProcessLock(path.join(ctx.dir, 'locks', `${kind}-${chainId.slice('sha256:'.length)}.lock`), {
    wait: true,
    what: `the snapshot of layer chain ${chainId}`,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

function missingLower(chainId: string): Error {
  return err(ErrorCode.NotFound, `the snapshot of layer chain ${chainId} disappeared while a layer above it was being unpacked (removed by hand?); prepare again`, { chainId });
}

/** Rename `tmp` to a fresh id and record `entry` (without its id) in the metadata. */
async function commit(ctx: BuildContext, tmp: string, entry: Omit<CommittedSnapshot, 'id' | 'createdAt'>): Promise<CommittedSnapshot> {
  return withMetadataLock(ctx.dir, async (md) => {
    const id = await allocateId(ctx.dir, md);
    await rename(tmp, path.join(ctx.dir, String(id)));
    const c: CommittedSnapshot = { ...entry, id, createdAt: new Date().toISOString() };
    md.committed[committedKey(entry.kind, entry.chainId)] = c;
    return { write: true, value: c };
  });
}

/** Remove a failed build directory (unmounting its scratch mount point first if still mounted). */
async function discard(tmp: string, mnt?: string): Promise<void> {
  if (mnt) await unmount(mnt).catch(() => unmount(mnt, true).catch(() => undefined));
  await removeTree(tmp).catch(() => undefined);
}

/**
 * Give `fs` (a new upper directory) the mode and owner of the merged root below it, so the root of the
 * merged view looks as the lower layers left it until a layer changes it.
 */
async function inheritRoot(fs: string, lowerFs: string): Promise<void> {
  const st = await lstat(lowerFs);
  await chown(fs, st.uid, st.gid);
  await chmod(fs, st.mode & 0o7777);
}

/**
 * Make sure every chain of the image has its `layer` snapshot, building the missing ones bottom up.
 *
 * @returns the committed snapshots, bottom first.
 * @throws MagikrunError from the applier (`DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `PATH_ESCAPE`,
 *   `INVALID_ARGUMENT`, `UNSUPPORTED`), `UNAVAILABLE` (mount failed), `ABORTED`, `NOT_FOUND`.
 */
export async function ensureLayerSnapshots(ctx: BuildContext, input: ChainInput): Promise<CommittedSnapshot[]> {
  const out: CommittedSnapshot[] = [];
  let md: SnapshotMetadata = await readMetadata(ctx.dir);
  for (const [i, chainId] of input.chain.entries()) {
    checkAborted(ctx.signal);
    const key = committedKey('layer', chainId);
    let c = md.committed[key];
    if (!c) {
      const lock = await chainLock(ctx, 'layer', chainId);
      try {
        md = await readMetadata(ctx.dir);
        c = md.committed[key] ?? (await buildLayer(ctx, input, i, md));
      } finally {
        await lock.release();
      }
    }
    out.push(c);
  }
  return out;
}

async function buildLayer(ctx: BuildContext, input: ChainInput, i: number, md: SnapshotMetadata): Promise<CommittedSnapshot> {
  const lowers = input.chain.slice(0, i).map((c) => md.committed[committedKey('layer', c)] ?? (() => { throw missingLower(c); })());
  const used = lowers.reduce((n, l) => n + l.size, 0);
  const budget = { remaining: ctx.limits.maxRootfsSize - used, total: ctx.limits.maxRootfsSize };
  const tmp = await makeTmpDir(ctx.dir);
  const fs = path.join(tmp, 'fs');
  let mnt: string | undefined;
  let size: number;
  try {
    await mkdir(fs, { mode: 0o755 });
    await chmod(fs, 0o755); // whatever the umask
    ctx.onUnpack?.({ index: i, layer: input.layers[i]!.digest, chainId: input.chain[i]! });
    if (lowers.length === 0) {
      size = await applyLayerTo(ctx.store, input.layers[i]!, fs, applyOptions(ctx, input.diffIds[i]!, budget));
    } else {
      await inheritRoot(fs, fsDir(ctx.dir, lowers[lowers.length - 1]!.id));
      const work = path.join(tmp, 'work');
      await mkdir(work, { mode: 0o700 });
      await mkdir(path.join(tmp, 'mnt'), { mode: 0o700 });
      const rel = path.basename(tmp);
      // Relative paths (mount runs in ctx.dir) keep the options short whatever the root path is.
      const lowerdir = [...lowers].reverse().map((l) => `${l.id}/fs`).join(':');
      await mountOverlay(path.join(tmp, 'mnt'), [...ctx.overlayOptions, `lowerdir=${lowerdir}`, `upperdir=${rel}/fs`, `workdir=${rel}/work`], ctx.dir);
      mnt = path.join(tmp, 'mnt');
      size = await applyLayerTo(ctx.store, input.layers[i]!, mnt, applyOptions(ctx, input.diffIds[i]!, budget));
      await unmount(mnt);
      mnt = undefined;
      await removeTree(work);
      await removeTree(path.join(tmp, 'mnt'));
    }
    checkAborted(ctx.signal);
  } catch (e) {
    await discard(tmp, mnt);
    throw e;
  }
  try {
    return await commit(ctx, tmp, { kind: 'layer', chainId: input.chain[i]!, ...(i > 0 ? { parent: input.chain[i - 1]! } : {}), size });
  } catch (e) {
    await discard(tmp);
    throw e;
  }
}

/**
 * Make sure the `full` snapshot of the image's top chain exists (copy mode), unpacking every layer into
 * it when missing.
 *
 * @throws as {@link ensureLayerSnapshots}.
 */
export async function ensureFullSnapshot(ctx: BuildContext, input: ChainInput): Promise<CommittedSnapshot> {
  const top = input.chain[input.chain.length - 1]!;
  const key = committedKey('full', top);
  const found = (await readMetadata(ctx.dir)).committed[key];
  if (found) return found;
  const lock = await chainLock(ctx, 'full', top);
  try {
    const again = (await readMetadata(ctx.dir)).committed[key];
    if (again) return again;
    const budget = { remaining: ctx.limits.maxRootfsSize, total: ctx.limits.maxRootfsSize };
    const tmp = await makeTmpDir(ctx.dir);
    const fs = path.join(tmp, 'fs');
    let size = 0;
    try {
      await mkdir(fs, { mode: 0o755 });
      await chmod(fs, 0o755);
      for (const [i, layer] of input.layers.entries()) {
        checkAborted(ctx.signal);
        ctx.onUnpack?.({ index: i, layer: layer.digest, chainId: input.chain[i]! });
        size += await applyLayerTo(ctx.store, layer, fs, applyOptions(ctx, input.diffIds[i]!, budget));
      }
    } catch (e) {
      await discard(tmp);
      throw e;
    }
    try {
      return await commit(ctx, tmp, { kind: 'full', chainId: top, size });
    } catch (e) {
      await discard(tmp);
      throw e;
    }
  } finally {
    await lock.release();
  }
}
