/**
 * A lock file that works across processes and is recovered when its holder died.
 *
 * The lock is a file created with `O_EXCL` holding `{ pid, startTime, acquiredAt, hostname }`. A holder
 * is alive when its pid exists AND that process's start time (field 22 of `/proc/<pid>/stat`, in clock
 * ticks since boot) is the recorded one, so a pid reused by an unrelated process does not keep a dead
 * holder's lock. Age alone never breaks a lock: a slow live writer keeps it. Where `/proc` is missing
 * (not Linux), a holder is alive while its pid exists.
 *
 * Breaking a dead holder's lock renames the file away and checks that the renamed file is the one that
 * was judged dead (same inode); a fresh lock renamed by mistake is linked back.
 *
 * @module storage/process-lock
 */
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { err, ErrorCode } from '../errors.js';
import { sleep } from './sleep.js';

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  /** Start time of `pid` (field 22 of /proc/<pid>/stat, clock ticks since boot); '' where unknown. */
  startTime: string;
  /** When the lock was taken, ms since the epoch. */
  acquiredAt: number;
  hostname: string;
}

/** A lock held by this process. */
export interface ProcessLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Remove the lock file (only if it is still ours). Idempotent. */
  release(): Promise<void>;
}

/** Options of {@link acquireProcessLock}. */
export interface AcquireLockOptions {
  /**
   * Wait for a live holder to release it instead of failing with `LOCKED`, polling every `pollMs`.
   * @default false
   */
  wait?: boolean;
  /** Give up waiting after this many ms (`LOCKED`). @default no limit (until `signal` aborts) */
  waitTimeoutMs?: number;
  /** Poll interval while waiting, in ms. @default 50 (growing to 500) */
  pollMs?: number;
  /** Stop waiting (`ABORTED`). */
  signal?: AbortSignal;
  /** Words for messages: what the lock guards. @default the lock path */
  what?: string;
  /** Called once when the lock is found held by a live process and this call starts to wait. */
  onWait?: (holder: LockHolder) => void;
}

/**
 * The start time of process `pid`: field 22 of `/proc/<pid>/stat` (clock ticks after boot).
 * @returns the field as a string, `undefined` when the process does not exist, `''` when /proc is not available.
 */
export function processStartTime(pid: number): string | undefined {
  if (!hasProc()) return pidExists(pid) ? '' : undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) is in parentheses and may contain spaces and ')'; fields after the last ')' start at 3.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return rest[22 - 3] ?? '';
}

let procAvailable: boolean | undefined;
function hasProc(): boolean {
  if (procAvailable === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procAvailable = true;
    } catch {
      procAvailable = false;
    }
  }
  return procAvailable;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let self: LockHolder | undefined;
/** This process as a lock holder (pid, start time, host). */
export function currentHolder(): Omit<LockHolder, 'acquiredAt'> {
  self ??= { pid: process.pid, startTime: processStartTime(process.pid) ?? '', acquiredAt: 0, hostname: hostname() };
  return { pid: self.pid, startTime: self.startTime, hostname: self.hostname };
}

/**
 * True when `holder` is a live process: same host, its pid exists and has the recorded start time.
 * A holder on another host (a shared filesystem) is assumed alive.
 */
export function isHolderAlive(holder: Pick<LockHolder, 'pid' | 'startTime' | 'hostname'>): boolean {
  if (holder.hostname !== hostname()) return true;
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  const start = processStartTime(holder.pid);
  if (start === undefined) return false;
  return start === '' || holder.startTime === '' || start === holder.startTime;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.startTime === 'string' && typeof h.acquiredAt === 'number' && typeof h.hostname === 'string') return h as LockHolder;
  } catch {
    // torn or foreign content
  }
  return undefined;
}

/** The holder recorded in a lock file, or `undefined` when there is no (readable) lock. */
export async function readLockHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    return parseHolder(await readFile(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function lockedError(lockPath: string, what: string, holder: LockHolder): Error {
  const age = Math.max(0, Date.now() - holder.acquiredAt);
  return err(
    ErrorCode.Locked,
    `${what} is locked by process ${holder.pid} on ${holder.hostname} for ${Math.round(age / 1000)} s (${lockPath}); wait for it to finish, or stop that process`,
    { path: lockPath, holder: { pid: holder.pid, startTime: holder.startTime, hostname: holder.hostname, acquiredAt: holder.acquiredAt, heldForMs: age } },
  );
}

async function tryCreate(lockPath: string, holder: LockHolder): Promise<boolean> {
  let h;
  try {
    h = await open(lockPath, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await h.writeFile(JSON.stringify(holder));
    await h.sync();
  } finally {
    await h.close();
  }
  return true;
}

/** A lock file that is empty or unparsable for this long is treated as abandoned (a crash between create and write). */
const TORN_LOCK_GRACE_MS = 5_000;

/** Remove the lock at `lockPath` if it is still the dead one whose inode is `ino`. */
async function breakLock(lockPath: string, ino: number): Promise<void> {
  const aside = `${lockPath}.broken-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved && moved.ino !== ino) {
    // Another process broke the dead lock and took a fresh one in between: put theirs back.
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Take the lock file `lockPath` (its directory must exist).
 *
 * @throws MagikrunError `LOCKED` (a live process holds it; `details.holder` = pid, start time, host,
 *   `heldForMs`) unless `wait`; `ABORTED` when `signal` aborts the wait.
 */
export async function acquireProcessLock(lockPath: string, options: AcquireLockOptions = {}): Promise<ProcessLock> {
  const what = options.what ?? lockPath;
  const started = Date.now();
  let poll = options.pollMs ?? 50;
  let waitedFor: LockHolder | undefined;
  for (;;) {
    if (options.signal?.aborted) {
      const by = waitedFor ? ` (held by process ${waitedFor.pid} on ${waitedFor.hostname} for ${Math.round((Date.now() - waitedFor.acquiredAt) / 1000)} s)` : '';
      throw err(ErrorCode.Aborted, `waiting for the lock of ${what}${by} was aborted`, { path: lockPath, ...(waitedFor ? { holder: waitedFor } : {}) }, options.signal.reason);
    }
    const holder: LockHolder = { ...currentHolder(), acquiredAt: Date.now() };
    if (await tryCreate(lockPath, holder)) return ownLock(lockPath, holder);
    // Someone has it: judge the holder.
    let st;
    try {
      st = await stat(lockPath);
    } catch {
      continue; // released in between
    }
    const current = await readLockHolder(lockPath);
    const dead = current ? !isHolderAlive(current) : Date.now() - st.mtimeMs > TORN_LOCK_GRACE_MS;
    if (dead) {
      await breakLock(lockPath, st.ino);
      continue;
    }
    const shown = current ?? { pid: 0, startTime: '', hostname: 'unknown', acquiredAt: st.mtimeMs };
    if (!options.wait) throw lockedError(lockPath, what, shown);
    if (!waitedFor) options.onWait?.(shown);
    waitedFor = shown;
    if (options.waitTimeoutMs !== undefined && Date.now() - started >= options.waitTimeoutMs) throw lockedError(lockPath, what, shown);
    await sleep(poll, options.signal);
    poll = Math.min(poll * 2, 500);
  }
}

function ownLock(lockPath: string, holder: LockHolder): ProcessLock {
  let released = false;
  return {
    path: lockPath,
    holder,
    async release() {
      if (released) return;
      released = true;
      const now = await readLockHolder(lockPath);
      if (now && now.pid === holder.pid && now.startTime === holder.startTime && now.acquiredAt === holder.acquiredAt) {
        await unlink(lockPath).catch(() => undefined);
      }
    },
  };
}

