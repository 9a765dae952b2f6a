// A container whose monitor died (killed, or the machine rebooted and /run was cleared): everything it
// owns is found from what is on disk and removed by `stop`, `rm`, `gc` and `run --name` (issue 9). Before,
// listing removed its runtime state but its bundle and snapshot stayed: `rm` said NOT_FOUND, `gc` ignored
// them, `run --name` failed with "a snapshot with key … already exists", `stop` said INTERNAL.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers, YOUKI_STATE_ROOT } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

/** Whether `pid` runs (a zombie waiting for a parent that is not ours to reap it does not). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.runIf(linux)('a container whose monitor died', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  const made: string[] = [];
  const name = (): string => {
    const id = `mk-deadmon-${process.pid}-${++n}`;
    made.push(id);
    return id;
  };

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-deadmon-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    expect((await runCli(['pull', '-q', images.refs.busybox], { root })).code).toBe(0);
  });
  afterAll(async () => {
    await runCli(['rm', '-f', ...made], { root });
    await cleanup();
  });

  /** `run -d` a sleeping container; its monitor's and init's pids. */
  async function detached(id: string): Promise<{ monitor: number; init: number }> {
    const r = await runCli(['run', '-d', '--name', id, images.refs.busybox, 'sleep', '600'], { root });
    expect(r.code, r.stderr).toBe(0);
    const monitor = (JSON.parse(await readFile(join(YOUKI_STATE_ROOT, id, 'monitor.json'), 'utf8')) as { monitorPid: number }).monitorPid;
    const init = (JSON.parse(await readFile(join(YOUKI_STATE_ROOT, id, 'init.json'), 'utf8')) as { pid: number }).pid;
    return { monitor, init };
  }

  async function killAndWait(pid: number): Promise<void> {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 500 && alive(pid); i++) await sleep(10);
  }

  it('monitor killed, init still running: stop stops it (exit 0, the lost status named), rm removes everything', async () => {
    const id = name();
    const { monitor, init } = await detached(id);
    await killAndWait(monitor);
    const stop = await runCli(['stop', '-t', '1', id], { root });
    expect(stop.stdout).toBe(`${id}\n`);
    expect(stop.stderr).toMatch(/exit status was lost \(its monitor had died\)/);
    expect(stop.code).toBe(0);
    expect(alive(init)).toBe(false);
    const removed = await runCli(['rm', id], { root });
    expect({ code: removed.code, stdout: removed.stdout, stderr: removed.stderr }).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('monitor and init killed, then listed (state cleaned up): rm removes its bundle and snapshot', async () => {
    const id = name();
    const { monitor, init } = await detached(id);
    await killAndWait(monitor);
    await killAndWait(init);
    expect((await runCli(['ps', '-a'], { root })).stdout).not.toContain(id);
    expect(await leftovers(id, root)).toEqual(expect.arrayContaining([`bundle ${join(root, 'bundles', id)}`, `snapshot ${id}`]));
    const removed = await runCli(['rm', id], { root });
    expect({ code: removed.code, stdout: removed.stdout, stderr: removed.stderr }).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
    expect(await leftovers(id, root)).toEqual([]);
    expect((await runCli(['rm', id], { root })).stderr).toMatch(/no such container.*\[NOT_FOUND\]/);
  });

  it('monitor killed and the workload then ended, with nothing listed in between: run --name takes the name at once', async () => {
    const id = name();
    const { monitor, init } = await detached(id);
    await killAndWait(monitor);
    await killAndWait(init);
    const reused = await runCli(['run', '-q', '--name', id, images.refs.busybox, 'echo', 'reused'], { root });
    expect({ code: reused.code, stdout: reused.stdout, stderr: reused.stderr }).toEqual({ code: 0, stdout: 'reused\n', stderr: '' });
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('monitor and init gone and the runtime state cleaned up (as after a reboot): run --name reuses the name, gc sweeps the rest', async () => {
    const a = name();
    const b = name();
    for (const id of [a, b]) {
      const { monitor, init } = await detached(id);
      await killAndWait(monitor);
      await killAndWait(init);
    }
    // list() cleans up the runtime state (cgroups, mounts, state directory), as a reboot clears /run.
    await runCli(['ps', '-a'], { root });
    for (const id of [a, b]) expect(await leftovers(id, root)).toEqual(expect.arrayContaining([`bundle ${join(root, 'bundles', id)}`, `snapshot ${id}`]));
    const reused = await runCli(['run', '-q', '--name', a, images.refs.busybox, 'echo', 'reused'], { root });
    expect({ code: reused.code, stdout: reused.stdout, stderr: reused.stderr }).toEqual({ code: 0, stdout: 'reused\n', stderr: '' });
    expect(await leftovers(a, root)).toEqual([]);
    const gc = await runCli(['gc'], { root });
    expect(gc.code).toBe(0);
    expect(gc.stdout).toMatch(new RegExp(`removed what \\d+ ended container\\(s\\) left: .*\\b${b}\\b`));
    expect(await leftovers(b, root)).toEqual([]);
  });

  it('gc keeps a running container\'s bundle and snapshot', async () => {
    const id = name();
    await detached(id);
    const gc = await runCli(['gc'], { root });
    expect(gc.stdout).not.toContain(id);
    const ps = await runCli(['ps'], { root });
    expect(ps.stderr).toBe('');
    expect(ps.stdout).toMatch(new RegExp(`^${id}\\s.*running`, 'm'));
    const exec = await runCli(['logs', id], { root });
    expect(exec.code).toBe(0);
    expect((await runCli(['rm', '-f', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });
});
