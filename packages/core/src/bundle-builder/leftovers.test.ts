/**
 * Bundle claims and the leftovers sweep: what a live process claims is never touched; what a process
 * that was SIGKILLed left (claim, bundle, staging directory) is removed — unless a container uses it.
 * The other process is a real child Node process running the built package (`dist/`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimBundle, claimPath, heldBundleClaim } from './bundle-claim.js';
import { sweepBundleLeftovers } from './leftovers.js';
import { removeBundle } from './remove-bundle.js';

const distIndex = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');

/** A child process that claims `id` under `root`, writes a bundle and a staging directory, and stays. */
async function claimingChild(root: string, id: string): Promise<ChildProcess> {
  expect(existsSync(distIndex), `${distIndex} is missing: build @magikrun/core first`).toBe(true);
  const code = `
    import { mkdir } from 'node:fs/promises';
    const { claimBundle } = await import(${JSON.stringify(distIndex)});
    const [root, id] = process.argv.slice(1);
    await claimBundle(root, id);
    await mkdir(root + '/bundles/' + id + '/rootfs', { recursive: true });
    await mkdir(root + '/bundles/.tmp-' + id + '-0123456789ab', { recursive: true });
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, root, id], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => (c.toString().includes('ready') ? resolve() : undefined));
    child.on('exit', (c) => reject(new Error(`the child exited with ${c}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const gone = async (p: string): Promise<boolean> => stat(p).then(() => false, () => true);

describe('bundle claims and the leftovers sweep', () => {
  let root: string;
  let children: ChildProcess[] = [];
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'magikrun-leftovers-'));
    await mkdir(path.join(root, 'bundles'), { mode: 0o700 });
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) await kill(c);
    children = [];
    await rm(root, { recursive: true, force: true });
  });

  it('a live process\'s claim is busy: nothing of it is removed; once it is SIGKILLed, everything goes', async () => {
    const child = await claimingChild(root, 'c1');
    children.push(child);
    const live = await sweepBundleLeftovers(root, { inUse: async () => false });
    expect(live.busy).toEqual([{ id: 'c1', holder: expect.objectContaining({ pid: child.pid }) }]);
    expect(live.removed).toEqual([]);
    expect(await readdir(path.join(root, 'bundles'))).toEqual(expect.arrayContaining(['c1', '.tmp-c1-0123456789ab']));
    // Another process cannot take the id, remove the bundle or build into it meanwhile.
    await expect(claimBundle(root, 'c1')).rejects.toMatchObject({ code: 'LOCKED', details: { holder: expect.objectContaining({ pid: child.pid }) } });
    await expect(removeBundle({ path: path.join(root, 'bundles', 'c1') })).rejects.toMatchObject({ code: 'LOCKED' });

    await kill(child);
    const dry = await sweepBundleLeftovers(root, { inUse: async () => false, dryRun: true });
    expect(dry.removed).toEqual(['c1']);
    expect(await gone(path.join(root, 'bundles', 'c1'))).toBe(false);
    const swept = await sweepBundleLeftovers(root, { inUse: async () => false });
    expect(swept).toEqual({ dryRun: false, removed: ['c1'], busy: [], inUse: [] });
    expect(await readdir(path.join(root, 'bundles'))).toEqual([]);
    expect(await gone(claimPath(root, 'c1'))).toBe(true);
    expect(heldBundleClaim(root, 'c1')).toBeUndefined();
  });

  it('a dead process\'s bundle that a container still uses is kept, claim file and all', async () => {
    const child = await claimingChild(root, 'c2');
    await kill(child);
    const report = await sweepBundleLeftovers(root, { inUse: async (id) => id === 'c2' });
    expect(report).toEqual({ dryRun: false, removed: [], busy: [], inUse: ['c2'] });
    expect(await gone(path.join(root, 'bundles', 'c2'))).toBe(false);
    expect(await gone(claimPath(root, 'c2'))).toBe(false);
    expect(heldBundleClaim(root, 'c2')).toBeUndefined();
  });

  it('ids: only the ids named are looked at; a bundle directory without a claim (nobody owns it) goes too', async () => {
    await mkdir(path.join(root, 'bundles', 'orphan', 'rootfs'), { recursive: true });
    await writeFile(path.join(root, 'bundles', 'orphan', 'config.json'), '{}');
    await mkdir(path.join(root, 'bundles', 'other'));
    const report = await sweepBundleLeftovers(root, { ids: ['orphan', 'absent'], inUse: async () => false });
    expect(report.removed).toEqual(['orphan']);
    expect(await readdir(path.join(root, 'bundles'))).toEqual(['other']);
  });

  it('claims are re-entrant in one process, and a sweep keeps a claim this process held before it', async () => {
    const a = await claimBundle(root, 'mine');
    const b = await claimBundle(root, 'mine');
    expect(a.fresh).toBe(true);
    expect(b).toEqual({ claim: a.claim, fresh: false });
    await mkdir(path.join(root, 'bundles', '.tmp-mine-aaaaaaaaaaaa'));
    // `magikrun run --name mine` sweeps what a dead run left under its name while it holds the name.
    expect((await sweepBundleLeftovers(root, { ids: ['mine'], inUse: async () => false })).removed).toEqual(['mine']);
    expect(heldBundleClaim(root, 'mine')).toBe(a.claim);
    expect(await gone(claimPath(root, 'mine'))).toBe(false);
    await a.claim.release();
    expect(await gone(claimPath(root, 'mine'))).toBe(true);
  });
});
