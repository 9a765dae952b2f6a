/**
 * Leases (containerd's `leases.Manager`): records under `<root>/leases/<id>.json` naming blobs that an
 * in-flight pull or import has written, or is about to reference, so that garbage collection keeps them
 * until an image index entry references them. A lease is live while it has not expired and its holder
 * process (pid plus start time from `/proc/<pid>/stat`, so a reused pid does not count; checked as
 * `storage/process-lock` checks lock holders) still runs.
 *
 * Shapes are in `storage/lease-types.ts`.
 *
 * @module storage/leases
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { parseDigest } from './digest.js';
import { isHolderAlive, processStartTime } from './process-lock.js';
import type { Lease, LeaseOptions, LeaseRecord } from './lease-types.js';
import { ensureStoreDir } from './root.js';

const LEASE_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Largest lease file read, in bytes: 4 MiB (about 50 000 digests). */
const MAX_LEASE_FILE = 4 * 1024 * 1024;

/** True when `holder` is still the process it was: same pid and same start time (see process-lock). */
export function holderAlive(holder: { pid: number; startTime: string }): boolean {
  return isHolderAlive({ ...holder, hostname: hostname() });
}

/**
 * Whether a lease protects its blobs: not past `expiresAt` and, when it names a holder, that process
 * still runs. @param now ms since the epoch
 */
export async function isLeaseLive(record: LeaseRecord, now: number = Date.now()): Promise<boolean> {
  if (record.expiresAt !== undefined && record.expiresAt <= now) return false;
  if (record.holder !== undefined) return holderAlive(record.holder);
  return true;
}

function isRecord(v: unknown): v is LeaseRecord {
  const r = v as Partial<LeaseRecord> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.id === 'string' && LEASE_ID.test(r.id) &&
    typeof r.createdAt === 'number' && (r.expiresAt === undefined || typeof r.expiresAt === 'number') &&
    (r.holder === undefined || (typeof r.holder === 'object' && r.holder !== null && typeof r.holder.pid === 'number' && typeof r.holder.startTime === 'string')) &&
    Array.isArray(r.digests) && r.digests.every((d) => typeof d === 'string')
  );
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !LEASE_ID.test(id)) {
    throw err(ErrorCode.InvalidArgument, `invalid lease id ${JSON.stringify(id)}: use 1 to 128 letters, digits, ".", "_" or "-"`, { id });
  }
}

/** Create, list and delete leases of one store root. Reached as `BlobStore.leases`. */
export class LeaseManager {
  /** `<root>/leases` */
  readonly dir: string;

  /**
   * @param root the store root
   * @param ready checks and creates the root (the BlobStore's `ready`)
   */
  constructor(root: string, private readonly ready: () => Promise<void>) {
    this.dir = path.join(root, 'leases');
  }

  /** Write the record atomically: replace the lease file, or with `create` link it into place (EEXIST if taken). */
  async #write(record: LeaseRecord, create = false): Promise<void> {
    const target = path.join(this.dir, `${record.id}.json`);
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(record) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      if (create) {
        await link(tmp, target);
        await unlink(tmp);
      } else {
        await rename(tmp, target);
      }
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Take a lease held by this process. It is written before this resolves, so blobs added to it are
   * protected from any garbage collection that starts afterwards.
   *
   * @param options.id @default a random id `lease-<16 hex>`
   * @param options.expiresInMs lifetime in ms @default none (until released or this process exits)
   * @throws MagikrunError `INVALID_ARGUMENT` (id, expiry), `ALREADY_EXISTS` (a lease with that id)
   */
  async create(options: LeaseOptions = {}): Promise<Lease> {
    const id = options.id ?? `lease-${randomBytes(8).toString('hex')}`;
    checkId(id);
    if (options.expiresInMs !== undefined && (!Number.isSafeInteger(options.expiresInMs) || options.expiresInMs <= 0)) {
      throw err(ErrorCode.InvalidArgument, `expiresInMs must be a positive integer number of ms, got ${String(options.expiresInMs)}`, { expiresInMs: options.expiresInMs });
    }
    await this.ready();
    await ensureStoreDir(this.dir);
    const startTime = processStartTime(process.pid);
    const now = Date.now();
    const record: LeaseRecord = {
      id,
      createdAt: now,
      ...(options.expiresInMs !== undefined ? { expiresAt: now + options.expiresInMs } : {}),
      ...(startTime !== undefined ? { holder: { pid: process.pid, startTime } } : {}),
      digests: [],
      ...(options.labels ? { labels: { ...options.labels } } : {}),
    };
    try {
      // link() claims the id and publishes the complete record in one step: no half-written lease.
      await this.#write(record, true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw err(ErrorCode.AlreadyExists, `lease ${id} exists already; choose another id`, { id });
      throw e;
    }
    return this.#handle(record);
  }

  #handle(record: LeaseRecord): Lease {
    const digests = new Set<string>();
    let chain: Promise<void> = Promise.resolve();
    let queued: Promise<void> | undefined;
    let released = false;
    const manager = this;
    return {
      id: record.id,
      add(digest: string): Promise<void> {
        let d: string;
        try {
          d = parseDigest(digest).digest;
        } catch (e) {
          return Promise.reject(e);
        }
        if (released) return Promise.reject(err(ErrorCode.InvalidState, `lease ${record.id} was released; take a new one`, { id: record.id }));
        if (digests.has(d)) return chain;
        digests.add(d);
        // Adds made while a write is queued join it: one write (and fsync) for a burst of adds.
        if (queued === undefined) {
          queued = chain.then(() => {
            queued = undefined;
            return manager.#write({ ...record, digests: [...digests] });
          });
          chain = queued;
        }
        return queued;
      },
      async release(): Promise<void> {
        released = true;
        await chain.catch(() => undefined);
        await manager.delete(record.id);
      },
    };
  }

  /** One lease record, or undefined. Malformed files count as absent. */
  async get(id: string): Promise<LeaseRecord | undefined> {
    checkId(id);
    let text: string;
    try {
      const fh = await open(path.join(this.dir, `${id}.json`), 'r');
      try {
        if ((await fh.stat()).size > MAX_LEASE_FILE) return undefined;
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const v: unknown = JSON.parse(text);
      return isRecord(v) && v.id === id ? v : undefined;
    } catch {
      return undefined; // not written by this module: not a lease
    }
  }

  /**
   * Every lease record, live or dead, sorted by id. A file that is not a valid record (a claim still
   * being written, garbage) is left out.
   */
  async list(): Promise<LeaseRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: LeaseRecord[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || !LEASE_ID.test(name.slice(0, -5))) continue;
      const r = await this.get(name.slice(0, -5));
      if (r) out.push(r);
    }
    return out;
  }

  /** Remove a lease. @returns false when there was none. @throws MagikrunError `INVALID_ARGUMENT` */
  async delete(id: string): Promise<boolean> {
    checkId(id);
    try {
      await unlink(path.join(this.dir, `${id}.json`));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }
}
