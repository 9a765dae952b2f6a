// Linux containers outlive the `magikrun run -d` that created them: every step below is a new CLI
// process (run -d exits at once; ps, logs, stop and rm find the container from elsewhere). Busybox
// test image from the local registry, youki runtime; skips only where the platform cannot run Linux
// containers (MAGIKRUN_REQUIRE turns that into a failure).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

interface PsEntry {
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  runtime: string;
  created?: string;
  exit?: { code: number; reason: string };
}

describe.runIf(linux)('magikrun run -d, ps, logs, stop, rm (from other processes)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const made: string[] = [];
  let n = 0;
  const name = () => {
    const id = `mk-cli-d-${process.pid}-${++n}`;
    made.push(id);
    return id;
  };
  const busybox = () => images.refs.busybox;
  const ps = async (all: boolean): Promise<PsEntry[]> => {
    const r = await runCli(['ps', ...(all ? ['-a'] : []), '--json'], { root });
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as PsEntry[];
  };

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-detach-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    await mkdir(root);
    expect((await runCli(['pull', '-q', busybox()], { root })).code).toBe(0);
  });
  afterAll(async () => {
    // A failed test must not leave its containers running.
    if (made.length > 0) await runCli(['rm', '-f', ...made], { root });
    await cleanup();
  });

  it('run -d prints the id and exits 0; ps, logs, stop and rm then work from new processes; nothing is left', async () => {
    const id = name();
    const started = await runCli(['run', '-q', '-d', '--name', id, busybox(), 'sh', '-c', 'echo to-stdout; echo to-stderr >&2; exec sleep 3600'], { root });
    expect(started.stderr).toBe('');
    expect(started.stdout).toBe(`${id}\n`);
    expect(started.code).toBe(0);

    const running = (await ps(false)).find((c) => c.id === id);
    expect(running).toMatchObject({ id, status: 'running', runtime: 'youki', bundle: join(root, 'bundles', id) });
    expect(running?.pid).toBeGreaterThan(1);
    expect(Date.parse(running?.created ?? '')).not.toBeNaN();
    const table = await runCli(['ps'], { root });
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+${busybox().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+running\\s+${running?.pid}\\s`, 'm'));

    // logs: the container's stdout to ours, its stderr to ours.
    let logs = await runCli(['logs', id], { root });
    for (let i = 0; i < 50 && (logs.stdout === '' || logs.stderr === ''); i++) logs = await runCli(['logs', id], { root });
    expect(logs.stdout).toBe('to-stdout\n');
    expect(logs.stderr).toBe('to-stderr\n');
    expect(logs.code).toBe(0);

    // sleep as init ignores SIGTERM (no handler in a pid namespace's init): stop escalates to SIGKILL.
    const stopped = await runCli(['stop', '-t', '1', id], { root });
    expect(stopped.stdout).toBe(`${id}\n`);
    expect(stopped.code).toBe(0);
    expect((await ps(false)).map((c) => c.id)).not.toContain(id);
    const after = (await ps(true)).find((c) => c.id === id);
    expect(after).toMatchObject({ status: 'stopped', exit: { code: 137 } });
    expect((await runCli(['ps', '-a'], { root })).stdout).toMatch(new RegExp(`^${id}\\s.*\\skilled \\(137\\)`, 'm'));

    const removed = await runCli(['rm', id], { root });
    expect(removed.stdout).toBe(`${id}\n`);
    expect(removed.code).toBe(0);
    expect((await ps(true)).map((c) => c.id)).not.toContain(id);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('rm refuses a running container without -f (125, INVALID_STATE); rm -f kills and removes it', async () => {
    const id = name();
    expect((await runCli(['run', '-q', '-d', '--name', id, busybox(), 'sleep', '3600'], { root })).code).toBe(0);
    const refused = await runCli(['rm', id], { root });
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/is running.*INVALID_STATE/);
    expect((await ps(false)).map((c) => c.id)).toContain(id);
    const forced = await runCli(['rm', '-f', id], { root });
    expect(forced.stdout).toBe(`${id}\n`);
    expect(forced.code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('logs -f streams output as it comes and returns once the container has stopped', async () => {
    const id = name();
    expect((await runCli(['run', '-q', '-d', '--name', id, busybox(), 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo done >&2; exit 4'], { root })).code).toBe(0);
    const follow = await runCli(['logs', '-f', id], { root });
    expect(follow.stdout).toBe('line1\nline2\nline3\n');
    expect(follow.stderr).toBe('done\n');
    expect(follow.code).toBe(0);
    expect((await ps(true)).find((c) => c.id === id)).toMatchObject({ status: 'stopped', exit: { code: 4, reason: 'exited' } });
    expect((await runCli(['rm', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('logs -f ends quietly (0) on Ctrl-C, SIGTERM or SIGHUP and leaves the container running', async () => {
    const id = name();
    expect((await runCli(['run', '-q', '-d', '--name', id, busybox(), 'sh', '-c', 'echo ready; exec sleep 3600'], { root })).code).toBe(0);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const follow = runCli(['logs', '-f', id], { root });
      await follow.stdoutContains('ready');
      process.kill(follow.pid, signal);
      const r = await follow;
      expect(r, signal).toMatchObject({ code: 0, signal: null, stdout: 'ready\n', stderr: '' });
    }
    expect((await ps(false)).find((c) => c.id === id)).toMatchObject({ status: 'running' });
    expect((await runCli(['rm', '-f', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('--no-rm keeps the stopped container of an attached run for ps -a and rm', async () => {
    const id = name();
    const r = await runCli(['run', '-q', '--no-rm', '--name', id, busybox(), 'sh', '-c', 'exit 3'], { root });
    expect(r.code).toBe(3);
    expect((await ps(true)).find((c) => c.id === id)).toMatchObject({ status: 'stopped', exit: { code: 3, reason: 'exited' } });
    const again = await runCli(['run', '-q', '--name', id, busybox(), 'true'], { root });
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/ALREADY_EXISTS/);
    expect((await runCli(['rm', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('stop, rm and logs of an unknown id fail with 125 and NOT_FOUND; -d --rm is refused', async () => {
    for (const cmd of [['stop'], ['rm'], ['logs']]) {
      const r = await runCli([...cmd, 'no-such-container'], { root });
      expect(r.code, cmd.join(' ')).toBe(125);
      expect(r.stderr).toMatch(/no such container: no-such-container.*NOT_FOUND/);
    }
    const r = await runCli(['run', '-q', '-d', '--rm', busybox(), 'true'], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/UNSUPPORTED/);
  });

  it('four detached containers at once, each listed, stopped and removed by other processes', async () => {
    const ids = [name(), name(), name(), name()];
    const runs = await Promise.all(ids.map((id) => runCli(['run', '-q', '-d', '--name', id, busybox(), 'sleep', '3600'], { root })));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const listed = (await ps(false)).map((c) => c.id);
    for (const id of ids) expect(listed).toContain(id);
    const stop = await runCli(['stop', '-t', '0', ...ids], { root });
    expect(stop.stdout).toBe(ids.map((id) => `${id}\n`).join(''));
    expect((await runCli(['rm', ...ids], { root })).code).toBe(0);
    for (const id of ids) expect(await leftovers(id, root)).toEqual([]);
  });
});
