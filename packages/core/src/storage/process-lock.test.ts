import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectCode } from '../testing/expect-error.js';
import { acquireProcessLock, currentHolder, isHolderAlive, processStartTime, readLockHolder } from './process-lock.js';

const linux = process.platform === 'linux';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that has exited (its number may be reused later, which the start time check covers). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('process lock', () => {
  it.runIf(linux)('reads the start time of a live process from /proc/<pid>/stat and none for a dead one', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(processStartTime(deadPid())).toBeUndefined();
  });

  it('a second acquire fails with LOCKED naming the holder and how long it held it; release frees it', async () => {
    const p = path.join(dir, 'lock');
    const lock = await acquireProcessLock(p, { what: 'blob x' });
    const e = await expectCode(acquireProcessLock(p, { what: 'blob x' }), ErrorCode.Locked);
    expect(e.message).toContain(`process ${process.pid}`);
    expect(e.message).toContain('blob x');
    expect(e.details['holder']).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(typeof (e.details['holder'] as { heldForMs: number }).heldForMs).toBe('number');
    await lock.release();
    const again = await acquireProcessLock(p);
    await again.release();
  });

  it('breaks the lock of a dead holder, whatever its age', async () => {
    const p = path.join(dir, 'lock');
    await writeFile(p, JSON.stringify({ pid: deadPid(), startTime: '1', acquiredAt: Date.now(), hostname: hostname() }));
    const lock = await acquireProcessLock(p);
    expect((await readLockHolder(p))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('an empty lock file (a holder that died between create and write) is broken once it is old', async () => {
    const { utimes } = await import('node:fs/promises');
    const p = path.join(dir, 'lock');
    await writeFile(p, '');
    await expectCode(acquireProcessLock(p), ErrorCode.Locked);
    const old = new Date(Date.now() - 60_000);
    await utimes(p, old, old);
    const lock = await acquireProcessLock(p);
    await lock.release();
  });

  it.runIf(linux)('a live pid with another start time (a reused pid) does not keep the lock', async () => {
    const p = path.join(dir, 'lock');
    const me = currentHolder();
    const stale = { pid: process.pid, startTime: String(Number(me.startTime) - 1), acquiredAt: Date.now() - 1000, hostname: hostname() };
    expect(isHolderAlive(stale)).toBe(false);
    expect(isHolderAlive({ ...stale, startTime: me.startTime })).toBe(true);
    await writeFile(p, JSON.stringify(stale));
    const lock = await acquireProcessLock(p);
    await lock.release();
  });

  it('a waiter gets the lock when the live holder releases it, and an abort stops the wait', async () => {
    const p = path.join(dir, 'lock');
    const first = await acquireProcessLock(p);
    const waiting = acquireProcessLock(p, { wait: true, pollMs: 10 });
    const ac = new AbortController();
    const aborted = acquireProcessLock(p, { wait: true, pollMs: 10, signal: ac.signal, onWait: () => ac.abort() });
    const e = await expectCode(aborted, ErrorCode.Aborted);
    expect(e.message).toContain(`held by process ${process.pid}`);
    await first.release();
    const second = await waiting;
    expect(JSON.parse(await readFile(p, 'utf8')).acquiredAt).toBe(second.holder.acquiredAt);
    await second.release();
  });

  it('a lock held by a live child process is LOCKED, and free once the child is SIGKILLed', async () => {
    const p = path.join(dir, 'lock');
    // The child writes a lock record naming itself (what acquireProcessLock writes), then sleeps.
    const child = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const st = fs.existsSync('/proc/self/stat') ? fs.readFileSync('/proc/self/stat','utf8') : '';
      const startTime = st ? st.slice(st.lastIndexOf(')') + 2).split(' ')[19] : '';
      fs.writeFileSync(${JSON.stringify(p)}, JSON.stringify({ pid: process.pid, startTime, acquiredAt: Date.now(), hostname: require('node:os').hostname() }));
      process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const e = await expectCode(acquireProcessLock(p), ErrorCode.Locked);
    expect((e.details['holder'] as { pid: number }).pid).toBe(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const lock = await acquireProcessLock(p);
    await lock.release();
  });
});
