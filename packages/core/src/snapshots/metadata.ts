/**
 * The snapshot metadata file `<root>/snapshots/metadata.json`: which numbered directory holds which
 * layer chain, and which active (per-container) snapshots exist. Short numeric directory names keep
 * overlay's lowerdir option short (containerd's overlay snapshotter does the same with `snapshots/<n>/fs`
 * and a bolt database).
 *
 * Read and written only under the metadata lock ({@link withMetadataLock}); written atomically (temp
 * file, fsync, rename, fsync of the directory). A file that does not parse is an error, never a reason
 * to start afresh over snapshots that may be mounted.
 *
 * @module snapshots/metadata
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { acquireProcessLock, type LockHolder } from '../storage/process-lock.js';
import { isDigest } from '../storage/digest.js';

/**
 * A committed (read-only) snapshot.
 * - `layer`: overlay mode; `<id>/fs` holds the changes of the top layer of the chain, as an overlay upper
 *   directory (whiteouts as 0:0 character devices, opaque directories as `trusted.overlay.opaque`).
 * - `full`: copy mode; `<id>/fs` holds the whole rootfs of the chain.
 */
export interface CommittedSnapshot {
  id: number;
  kind: 'layer' | 'full';
  /** Chain id of the layers it holds (image-spec config.md). */
  chainId: string;
  /** `layer` only: the chain id below it (absent for the bottom layer). */
  parent?: string;
  /** Uncompressed tar bytes it was built from (one layer for `layer`, all for `full`), for MAX_ROOTFS_SIZE. */
  size: number;
  /** ISO 8601. */
  createdAt: string;
}

/** A per-container (writable) snapshot. */
export interface ActiveSnapshot {
  id: number;
  key: string;
  mode: 'overlay' | 'copy';
  /** The chain ids it stands on, bottom first (overlay: every layer's; copy: the top chain only). */
  chain: string[];
  /** `preparing` while its layers are unpacked or its copy is made; `ready` once its mounts are returned. */
  state: 'preparing' | 'ready';
  /** The process preparing it (while `preparing`): gc removes it when that process is gone. */
  holder?: Pick<LockHolder, 'pid' | 'startTime' | 'hostname'>;
  createdAt: string;
}

/** The whole file. */
export interface SnapshotMetadata {
  version: 1;
  /** Committed snapshots by {@link committedKey}. */
  committed: Record<string, CommittedSnapshot>;
  /** Active snapshots by key. */
  active: Record<string, ActiveSnapshot>;
}

export const METADATA_FILE = 'metadata.json';
const LOCK_FILE = 'metadata.lock';

/** The key of a committed snapshot in {@link SnapshotMetadata.committed}. */
export function committedKey(kind: CommittedSnapshot['kind'], chainId: string): string {
  return `${kind}:${chainId}`;
}

export function emptyMetadata(): SnapshotMetadata {
  return { version: 1, committed: Object.create(null) as Record<string, CommittedSnapshot>, active: Object.create(null) as Record<string, ActiveSnapshot> };
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function damaged(file: string, what: string): Error {
  return err(
    ErrorCode.InvalidArgument,
    `the snapshot metadata ${file} is damaged (${what}); unmount and delete the containers that use snapshots, then remove ${path.dirname(file)} (snapshots are rebuilt from the blob store)`,
    { path: file },
  );
}

/** Check the parsed document; every id, digest and key is checked before it names a path. */
function validate(doc: unknown, file: string): SnapshotMetadata {
  if (!isRecord(doc) || doc.version !== 1 || !isRecord(doc.committed) || !isRecord(doc.active)) throw damaged(file, 'not a version 1 metadata document');
  const out = emptyMetadata();
  const ids = new Set<number>();
  const useId = (id: unknown, name: string) => {
    if (!isId(id) || ids.has(id)) throw damaged(file, `${name} has a missing or duplicate id`);
    ids.add(id);
  };
  for (const [k, v] of Object.entries(doc.committed)) {
    if (!isRecord(v) || (v.kind !== 'layer' && v.kind !== 'full') || !isDigest(v.chainId) || k !== committedKey(v.kind, v.chainId)) throw damaged(file, `committed entry ${JSON.stringify(k)}`);
    if (v.parent !== undefined && (v.kind !== 'layer' || !isDigest(v.parent))) throw damaged(file, `parent of ${k}`);
    if (!Number.isSafeInteger(v.size) || (v.size as number) < 0 || typeof v.createdAt !== 'string') throw damaged(file, `size or date of ${k}`);
    useId(v.id, k);
    out.committed[k] = { id: v.id as number, kind: v.kind, chainId: v.chainId, ...(v.parent !== undefined ? { parent: v.parent as string } : {}), size: v.size as number, createdAt: v.createdAt };
  }
  for (const [k, v] of Object.entries(doc.active)) {
    if (!isRecord(v) || v.key !== k || (v.mode !== 'overlay' && v.mode !== 'copy') || (v.state !== 'preparing' && v.state !== 'ready')) throw damaged(file, `active entry ${JSON.stringify(k)}`);
    if (!Array.isArray(v.chain) || !v.chain.every(isDigest) || typeof v.createdAt !== 'string') throw damaged(file, `chain of active entry ${JSON.stringify(k)}`);
    let holder: ActiveSnapshot['holder'];
    if (v.holder !== undefined) {
      const h = v.holder;
      if (!isRecord(h) || !Number.isSafeInteger(h.pid) || typeof h.startTime !== 'string' || typeof h.hostname !== 'string') throw damaged(file, `holder of ${JSON.stringify(k)}`);
      holder = { pid: h.pid as number, startTime: h.startTime, hostname: h.hostname };
    }
    useId(v.id, k);
    out.active[k] = { id: v.id as number, key: k, mode: v.mode, chain: [...(v.chain as string[])], state: v.state, ...(holder ? { holder } : {}), createdAt: v.createdAt };
  }
  return out;
}

/**
 * Read `<dir>/metadata.json`; a missing file is empty metadata.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when it does not parse or fails a check (the message says
 *   what to remove).
 */
export async function readMetadata(dir: string): Promise<SnapshotMetadata> {
  const file = path.join(dir, METADATA_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyMetadata();
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw damaged(file, 'not JSON');
  }
  return validate(doc, file);
}

/** Write `<dir>/metadata.json` atomically (temp file, fsync, rename, fsync of the directory). */
export async function writeMetadata(dir: string, md: SnapshotMetadata): Promise<void> {
  const file = path.join(dir, METADATA_FILE);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const h = await open(tmp, 'wx', 0o600);
  try {
    await h.writeFile(JSON.stringify(md));
    await h.sync();
  } catch (e) {
    await h.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await h.close();
  await rename(tmp, file);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Run `fn` holding the cross-process metadata lock of `dir` (waiting for another holder; a dead
 * holder's lock is broken). `fn` gets the current metadata and returns whether to write it back.
 *
 * @throws MagikrunError `ABORTED` when `signal` aborts the wait; what `fn` and {@link readMetadata} throw.
 */
export async function withMetadataLock<T>(dir: string, fn: (md: SnapshotMetadata) => Promise<{ write: boolean; value: T }>, signal?: AbortSignal): Promise<T> {
  const lock = await acquireProcessLock(path.join(dir, LOCK_FILE), { wait: true, what: 'the snapshot metadata', ...(signal ? { signal } : {}) });
  try {
    const md = await readMetadata(dir);
    const { write, value } = await fn(md);
    if (write) await writeMetadata(dir, md);
    return value;
  } finally {
    await lock.release();
  }
}
