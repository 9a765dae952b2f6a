// Crash safety of Linux containers (issues 9 and 10): at random moments, SIGKILL the `magikrun run`
// that builds, creates or waits for a container, a container's monitor, or a container's init; afterwards
// `magikrun rm` / `gc` / the next `run --name` must leave no container, monitor, mount, snapshot, bundle,
// staging directory, claim or state directory, and the name must be usable again. And SIGKILL the creator
// of an owner-bound container (an attached `magikrun run`, a Node program using the library): then,
// with no command typed, its watchdog must leave nothing, and the name must be usable again. 200 trials
// in all, on the busybox image through youki; the random moments come from a seeded generator whose seed
// is printed (MAGIKRUN_CRASH_SEED replays a run).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { CLI, runCli, tempDir } from './support.js';
import { leftovers, YOUKI_STATE_ROOT } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

const seed = Number(process.env.MAGIKRUN_CRASH_SEED ?? Date.now() % 2 ** 31);
/** mulberry32: a small seeded generator, so that a failing sequence of moments can be replayed. */
let state = seed;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Whether `pid` runs (a zombie nobody here may reap does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** How the trial cleans up after the kill: the ways a user would, or nothing (owner-bound containers clean up after a dead creator). */
type Cleanup = 'rm' | 'gc' | 'reuse' | 'none';
const CLEANUPS: readonly Cleanup[] = ['rm', 'gc', 'reuse'];

describe.runIf(linux)(`crash safety: SIGKILL at random moments (seed ${seed})`, () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const busybox = () => images.refs.busybox;
  const log: string[] = [];

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-crash-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    expect((await runCli(['pull', '-q', busybox()], { root })).code).toBe(0);
  });
  afterAll(async () => {
    await cleanup();
  });

  /** On failure, print the last steps (what was killed when, what each cleanup command said). */
  const showSteps = () => onTestFailed(() => console.error(`crash-safety steps (seed ${seed}):\n${log.slice(-12).join('\n')}`));

  /** Whether `ps -a` lists `id`. */
  const listed = async (id: string): Promise<boolean> => (await runCli(['ps', '-a'], { root })).stdout.split('\n').some((l) => l.split(/\s+/)[0] === id);

  /** Clean up the way `how` says, then check nothing is left and the name runs a container again. */
  async function cleanUpAndCheck(id: string, how: Cleanup, what: string): Promise<void> {
    const step = (s: string) => log.push(`${what}: ${s}`);
    if (how === 'rm') {
      const r = await runCli(['rm', '-f', id], { root });
      step(`rm -f → ${r.code} ${r.stderr.trim()}`);
      // Nothing at all left of it is NOT_FOUND; anything else must have been removed.
      if (r.code !== 0) expect(r.stderr, what).toMatch(/\[NOT_FOUND\]/);
    } else if (how === 'gc') {
      const r = await runCli(['gc'], { root });
      step(`gc → ${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`);
      expect(r.code, `${what}: gc: ${r.stderr}`).toBe(0);
      // A container that was created still exists (stopped or running): gc keeps containers, rm removes them.
      if (await listed(id)) expect((await runCli(['rm', '-f', id], { root })).code, what).toBe(0);
    } else if (how === 'none') {
      // The dead creator's watchdog takes its container down: wait for it, typing nothing.
      const deadline = Date.now() + 30_000;
      let left = await leftovers(id, root);
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(100);
        left = await leftovers(id, root);
      }
      step(`nothing typed → ${left.length === 0 ? 'all gone' : left.join(', ')}`);
    } else {
      const r = await runCli(['run', '-q', '--name', id, busybox(), 'true'], { root });
      step(`run --name → ${r.code} ${r.stderr.trim()}`);
      if (r.code !== 0) {
        // Only a container that still exists may hold the name.
        expect(r.stderr, what).toMatch(/is already in use \(magikrun rm/);
        expect((await runCli(['rm', '-f', id], { root })).code, what).toBe(0);
      }
    }
    expect(await leftovers(id, root), `${what} (cleanup: ${how})`).toEqual([]);
    const again = await runCli(['run', '-q', '--name', id, busybox(), 'sh', '-c', 'echo again'], { root });
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }, `${what}: the name is usable again`).toEqual({ code: 0, stdout: 'again\n', stderr: '' });
    expect(await leftovers(id, root), `${what}: after the second run`).toEqual([]);
  }

  /** The pid recorded in `<state>/<id>/<file>` (monitor.json's monitorPid, init.json's pid) once it exists. */
  async function recordedPid(id: string, file: 'monitor.json' | 'init.json', deadline: number): Promise<number | undefined> {
    while (Date.now() < deadline) {
      const text = await readFile(join(YOUKI_STATE_ROOT, id, file), 'utf8').catch(() => undefined);
      if (text) {
        try {
          const doc = JSON.parse(text) as { monitorPid?: number; pid?: number };
          const pid = file === 'monitor.json' ? doc.monitorPid : doc.pid;
          if (pid) return pid;
        } catch {
          // being written
        }
      }
      await sleep(5);
    }
    return undefined;
  }

  it('SIGKILL of `magikrun run` while it resolves, builds, creates, starts or waits: 40 trials', { timeout: 600_000 }, async () => {
    showSteps();
    for (let i = 0; i < 40; i++) {
      const id = `mk-crash-cli-${process.pid}-${i}`;
      const delay = Math.floor(random() * 1200);
      const how = CLEANUPS[i % CLEANUPS.length]!;
      const what = `trial ${i}: run killed after ${delay} ms (seed ${seed})`;
      const child = spawn(process.execPath, [CLI, '--root', root, 'run', '-q', '--name', id, busybox(), 'sh', '-c', 'sleep 1'], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      await cleanUpAndCheck(id, how, what);
    }
  });

  it('SIGKILL of `magikrun run` (attached: bound to it) at random moments: 50 trials, nothing left with no command typed', { timeout: 600_000 }, async () => {
    showSteps();
    for (let i = 0; i < 50; i++) {
      const id = `mk-bound-cli-${process.pid}-${i}`;
      const delay = Math.floor(random() * 1500);
      const what = `trial ${i}: attached run killed after ${delay} ms (seed ${seed})`;
      const child = spawn(process.execPath, [CLI, '--root', root, 'run', '-q', '--name', id, busybox(), 'sleep', '60'], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      await cleanUpAndCheck(id, 'none', what);
    }
  });

  it('SIGKILL of a Node process holding an owner-bound container (the library default) at random moments: 50 trials, nothing left', { timeout: 600_000 }, async () => {
    showSteps();
    const holder = join(import.meta.dirname, 'fixtures', 'hold-container.mjs');
    for (let i = 0; i < 50; i++) {
      const id = `mk-bound-lib-${process.pid}-${i}`;
      const delay = Math.floor(random() * 1500);
      const what = `trial ${i}: holder killed after ${delay} ms (seed ${seed})`;
      const child = spawn(process.execPath, [holder, busybox(), root, id], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      await cleanUpAndCheck(id, 'none', what);
    }
  });

  it('SIGKILL of `magikrun run -d` at random moments: 30 trials; its container is running or nothing is left, never a container that never starts', { timeout: 600_000 }, async () => {
    showSteps();
    for (let i = 0; i < 30; i++) {
      const id = `mk-bound-det-${process.pid}-${i}`;
      const delay = Math.floor(random() * 1500);
      const what = `trial ${i}: run -d killed after ${delay} ms (seed ${seed})`;
      const child = spawn(process.execPath, [CLI, '--root', root, 'run', '-d', '-q', '--name', id, busybox(), 'sleep', '60'], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve)); // it may end on its own before the kill
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      // A detached container is bound to the run until it has started: give the watchdog time to act.
      let status: string | undefined;
      for (let t = 0; t < 50; t++) {
        const st = await runCli(['ps', '-a', '--json'], { root });
        status = (JSON.parse(st.stdout || '[]') as { id: string; status: string }[]).find((c) => c.id === id)?.status;
        if (status !== 'created' && status !== 'creating') break;
        await sleep(100);
      }
      log.push(`${what}: status ${status ?? 'gone'}`);
      expect(status === undefined || status === 'running', `${what}: status ${status}`).toBe(true);
      await cleanUpAndCheck(id, status === 'running' ? 'rm' : 'none', what);
    }
  });

  /**
   * 30 trials: `run -d` a container, SIGKILL the process recorded in `file` (the monitor, or the init) at
   * a random moment after it appears, let the workload end, then clean up and check.
   */
  async function killRecordedProcessTrials(which: 'monitor' | 'init'): Promise<void> {
    const file = which === 'monitor' ? 'monitor.json' : 'init.json';
    for (let i = 0; i < 30; i++) {
      const id = `mk-crash-${which}-${process.pid}-${i}`;
      const delay = Math.floor(random() * 400);
      const how = CLEANUPS[i % CLEANUPS.length]!;
      const what = `trial ${i}: ${which} killed ${delay} ms after it appeared (seed ${seed})`;
      const run = runCli(['run', '-d', '--name', id, busybox(), 'sh', '-c', 'sleep 1'], { root });
      const pid = await recordedPid(id, file, Date.now() + 10_000);
      if (pid !== undefined) {
        await sleep(delay);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const r = await run;
      log.push(`${what}: run -d → ${r.code} ${r.stderr.trim()}`);
      // Let the workload end on its own (sleep 1): after a killed monitor, a container whose init then
      // exited has no exit record, and `ps`/`gc` clean up its runtime state — the bundle and snapshot
      // must not be stranded by that.
      const init = await recordedPid(id, 'init.json', Date.now() + 50);
      if (init !== undefined) for (let t = 0; t < 300 && running(init); t++) await sleep(10);
      await cleanUpAndCheck(id, how, what);
    }
  }

  it('SIGKILL of a container\'s monitor at random moments, from create on: 30 trials', { timeout: 600_000 }, async () => {
    showSteps();
    await killRecordedProcessTrials('monitor');
  });

  it('SIGKILL of a container\'s init at random moments: 30 trials', { timeout: 600_000 }, async () => {
    showSteps();
    await killRecordedProcessTrials('init');
  });
});
