import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode } from '../testing/expect-error.js';
import { BlobStore } from './blob-store.js';
import { sha256Digest } from './digest.js';
import { isLeaseLive } from './leases.js';
import { processStartTime } from './process-lock.js';

const linux = process.platform === 'linux';
let dir: string;
let store: BlobStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-leases-'));
  store = new BlobStore({ root: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const d1 = sha256Digest(Buffer.from('one'));
const d2 = sha256Digest(Buffer.from('two'));

describe('leases', () => {
  it('create writes <root>/leases/<id>.json with this process as holder; add and release update it', async () => {
    const lease = await store.leases.create({ id: 'pull-1', labels: { ref: 'x' } });
    expect(lease.id).toBe('pull-1');
    await lease.add(d1);
    await Promise.all([lease.add(d2), lease.add(d1)]);
    const file = JSON.parse(await readFile(path.join(dir, 'leases', 'pull-1.json'), 'utf8'));
    expect(file.digests.sort()).toEqual([d1, d2].sort());
    expect(file.labels).toEqual({ ref: 'x' });
    const [rec] = await store.leases.list();
    expect(rec!.id).toBe('pull-1');
    if (linux) expect(rec!.holder).toEqual({ pid: process.pid, startTime: processStartTime(process.pid) });
    expect(await isLeaseLive(rec!)).toBe(true);
    await lease.release();
    expect(await store.leases.list()).toEqual([]);
    await expectCode(lease.add(d1), 'INVALID_STATE');
  });

  it('generates distinct ids, refuses a taken id, bad ids and bad digests', async () => {
    const a = await store.leases.create();
    const b = await store.leases.create();
    expect(a.id).not.toBe(b.id);
    await expectCode(store.leases.create({ id: a.id }), 'ALREADY_EXISTS');
    await expectCode(store.leases.create({ id: '../x' }), 'INVALID_ARGUMENT');
    await expectCode(store.leases.create({ expiresInMs: -1 }), 'INVALID_ARGUMENT');
    await expectCode(a.add('sha256:nothex'), 'INVALID_ARGUMENT');
    expect(await store.leases.delete(a.id)).toBe(true);
    expect(await store.leases.delete(a.id)).toBe(false);
  });

  it('an expired lease is dead', async () => {
    await store.leases.create({ id: 'short', expiresInMs: 1 });
    const [rec] = await store.leases.list();
    expect(await isLeaseLive(rec!, rec!.expiresAt! + 1)).toBe(false);
    expect(await isLeaseLive(rec!, rec!.createdAt)).toBe(true);
  });

  it.runIf(linux)('a lease whose holder exited, or whose pid was reused by another process, is dead', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    await store.leases.create({ id: 'mine' });
    const rec = (await store.leases.get('mine'))!;
    expect(await isLeaseLive({ ...rec, holder: { pid: deadPid, startTime: '1' } })).toBe(false);
    // This very pid, but another start time: the pid was reused.
    expect(await isLeaseLive({ ...rec, holder: { pid: process.pid, startTime: `${rec.holder!.startTime}0` } })).toBe(false);
  });

  it('ignores files in leases/ that are not lease records', async () => {
    await store.leases.create({ id: 'ok' });
    await writeFile(path.join(dir, 'leases', 'junk.json'), '{not json');
    await writeFile(path.join(dir, 'leases', 'other.json'), JSON.stringify({ id: 'different', createdAt: 1, digests: [] }));
    expect((await store.leases.list()).map((l) => l.id)).toEqual(['ok']);
  });
});
