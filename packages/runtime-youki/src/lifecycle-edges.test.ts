/**
 * Lifecycle edge cases beyond the conformance suite (which covers start twice, kill of a stopped
 * container, delete of a created/running one without force, forced delete): the init waiting in
 * `created`, an init that dies, pid reuse, racing creates, failed/timed-out creates, a monitor that
 * dies, an aborted wait. Each checks that nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { newId } from './test-support/run.js';
import { cgroupDirsMentioning, mountsUnder, processesMentioning, sh, SLEEP_SCRIPT, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const startTimeOf = async (pid: number): Promise<number> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Until the shell that is `pid` has forked its first child (so its traps are installed). */
async function untilBusy(pid: number): Promise<void> {
  await eventually(async () => (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim() !== '', `pid ${pid} forked`);
}

/** Poll `check` until it is true (a wait for asynchronous process exits, not a timing assertion). */
async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`still not true after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(ready)('YoukiRuntime lifecycle edge cases', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let base: OciBundle;
  const sleepers: ChildProcess[] = [];

  beforeAll(async () => {
    ws = await workspace('edges');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    base = await ws.build({ args: ['true'] });
  });
  afterAll(async () => {
    for (const s of sleepers) s.kill('SIGKILL');
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  /** Nothing of container `id` with bundle `bundle` is left: state, cgroups, mounts, processes. */
  async function expectNothingLeft(id: string, bundle: OciBundle): Promise<void> {
    await rt.list();
    await expectCode(rt.state(id), 'NOT_FOUND');
    expect(await cgroupDirsMentioning(`:youki:${id}`)).toEqual([]);
    expect(await mountsUnder(bundle.path)).toEqual([]);
    await eventually(async () => (await processesMentioning(`"id":"${id}"`)).live.length === 0, `no process of ${id}`);
  }

  it('create leaves the init waiting: created, its pid alive, the user process not run until start', async () => {
    const id = newId('waiting');
    const bundle = await ws.clone(base, (c) => (c.process.args = sh('echo ran > /ran')));
    const ran = path.join(bundle.path, 'upper', 'ran');
    const st = await rt.create(id, bundle);
    expect(st.status).toBe('created');
    expect(alive(st.pid as number)).toBe(true);
    expect(await exists(ran)).toBe(false);
    expect((await rt.state(id)).status).toBe('created');
    await rt.start(id);
    expect(await rt.wait(id)).toEqual({ code: 0, reason: 'exited' });
    expect(await readFile(ran, 'utf8')).toBe('ran\n');
    await rt.delete(id);
    await expectNothingLeft(id, bundle);
  });

  it('an init that dies while created reports stopped; start is then INVALID_STATE', async () => {
    const id = newId('died-created');
    const st = await rt.create(id, await ws.clone(base, (c) => (c.process.args = ['true'])));
    process.kill(st.pid as number, 'SIGKILL');
    expect(await rt.wait(id)).toEqual({ code: 137, reason: 'signaled', signal: 'SIGKILL' });
    expect((await rt.state(id)).status).toBe('stopped');
    expect((await expectCode(rt.start(id), 'INVALID_STATE')).details['status']).toBe('stopped');
    await rt.delete(id);
  });

  it('pid reuse: with an exit record, a live process now holding the pid is never signalled', async () => {
    const id = newId('reuse-record');
    const bundle = await ws.clone(base, (c) => (c.process.args = ['true']));
    await rt.create(id, bundle);
    await rt.start(id);
    await rt.wait(id);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    const pid = sleeper.pid as number;
    // Make the records claim the sleeper is the (running) init, with its true start time.
    const { stateDir } = await rt.inspect(id);
    await writeFile(path.join(stateDir, 'init.json'), JSON.stringify({ pid, startTime: await startTimeOf(pid), rootfsMounted: 1 }));
    const lcState = path.join(stateDir, 'libcontainer', id, 'state.json');
    await writeFile(lcState, JSON.stringify({ ...JSON.parse(await readFile(lcState, 'utf8')), status: 'running', pid }));
    expect((await rt.state(id)).status).toBe('stopped');
    await expectCode(rt.kill(id, 'SIGKILL'), 'INVALID_STATE');
    expect(alive(pid)).toBe(true);
    await rt.delete(id);
    expect(alive(pid)).toBe(true);
  });

  it('pid reuse: without an exit record, a pid whose start time differs is not the init and is never signalled', async () => {
    const id = newId('reuse-norecord');
    const bundle = await ws.clone(base, (c) => (c.process.args = ['true']));
    await rt.create(id, bundle);
    await rt.start(id);
    await rt.wait(id);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    const pid = sleeper.pid as number;
    const { stateDir } = await rt.inspect(id);
    // As if the monitor had died before recording, and the init's pid had been reused.
    const init = JSON.parse(await readFile(path.join(stateDir, 'init.json'), 'utf8')) as { startTime: number };
    await writeFile(path.join(stateDir, 'init.json'), JSON.stringify({ ...init, pid }));
    await rm(path.join(stateDir, 'exit.json'));
    const lcState = path.join(stateDir, 'libcontainer', id, 'state.json');
    await writeFile(lcState, JSON.stringify({ ...JSON.parse(await readFile(lcState, 'utf8')), status: 'running', pid }));
    expect((await rt.state(id)).status).toBe('stopped');
    await expectCode(rt.kill(id, 'SIGKILL'), 'INVALID_STATE');
    await expectCode(rt.wait(id), 'INTERNAL');
    // Stale (monitor and init gone, no record): list removes it — and still signals nobody.
    expect((await rt.list()).map((s) => s.id)).not.toContain(id);
    await expectNothingLeft(id, bundle);
    expect(alive(pid)).toBe(true);
  });

  it('two creates racing for one id: exactly one wins, the other is ALREADY_EXISTS and leaves nothing', async () => {
    const id = newId('race');
    const [a, b] = [await ws.clone(base, (c) => (c.process.args = ['true'])), await ws.clone(base, (c) => (c.process.args = ['true']))];
    const results = await Promise.allSettled([rt.create(id, a), rt.create(id, b)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]?.reason as { code?: string }).code).toBe('ALREADY_EXISTS');
    const loser = results[0]?.status === 'rejected' ? a : b;
    expect(await mountsUnder(loser.path)).toEqual([]);
    expect((await rt.state(id)).bundle).toBe((results[0]?.status === 'fulfilled' ? a : b).path);
    await rt.delete(id, { force: true });
    await expectNothingLeft(id, a);
  });

  it('the same id under another state root (same default cgroup) is ALREADY_EXISTS, and the running one is untouched', async () => {
    const id = newId('two-roots');
    const bundle = await ws.clone(base, (c) => (c.process.args = sh(SLEEP_SCRIPT)));
    const st = await rt.create(id, bundle);
    await rt.start(id);
    const other = new YoukiRuntime({ stateRoot: path.join(ws.dir, 'other-root') });
    const second = await ws.clone(base, (c) => (c.process.args = ['true']));
    const e = await expectCode(other.create(id, second), 'ALREADY_EXISTS');
    expect(e.message).toMatch(/cgroup/);
    // Nothing of the refused one is left, and the first one still runs (a failed create, or a
    // delete, of a container sharing its cgroup would have SIGKILLed it).
    await expectCode(other.state(id), 'NOT_FOUND');
    expect(await mountsUnder(second.path)).toEqual([]);
    expect(await rt.state(id)).toMatchObject({ status: 'running', pid: st.pid });
    expect(alive(st.pid as number)).toBe(true);
    await rt.delete(id, { force: true });
    await expectNothingLeft(id, bundle);
  });

  it('a create that libcontainer refuses fails with a code and leaves no state, cgroup or mount', async () => {
    const id = newId('refused');
    const bundle = await ws.clone(base, (c) => (c.process.args = []));
    const e = await expectCode(rt.create(id, bundle), 'INVALID_ARGUMENT').catch(async () => expectCode(rt.create(id, bundle), 'INTERNAL'));
    expect(e.message).toMatch(/libcontainer|args/i);
    await expectNothingLeft(id, bundle);
  });

  it('a create cut short by its deadline is TIMEOUT and leaves nothing behind', async () => {
    const id = newId('deadline');
    const bundle = await ws.clone(base, (c) => (c.process.args = ['true']));
    await expectCode(rt.create(id, bundle, { timeoutMs: 1 }), 'TIMEOUT');
    await expectNothingLeft(id, bundle);
    // The id is free again.
    await rt.create(id, bundle);
    await rt.delete(id, { force: true });
  });

  it('a monitor that dies: the container is still killable, then stale and cleaned up by list', async () => {
    const id = newId('monitor-died');
    const bundle = await ws.clone(base, (c) => (c.process.args = sh(SLEEP_SCRIPT)));
    await rt.create(id, bundle);
    await rt.start(id);
    const info = await rt.inspect(id);
    process.kill(info.monitorPid, 'SIGKILL');
    await eventually(async () => !(await rt.inspect(id)).monitorAlive, 'the monitor is gone');
    // The orphaned init still runs and is reached through its pidfd.
    expect((await rt.state(id)).status).toBe('running');
    await rt.kill(id, 'SIGKILL');
    await eventually(async () => (await rt.state(id)).status === 'stopped', 'the init is gone');
    await expectCode(rt.wait(id), 'INTERNAL');
    expect((await rt.list()).map((s) => s.id)).not.toContain(id);
    await expectNothingLeft(id, bundle);
  });

  it('an aborted wait rejects with ABORTED and the container keeps running', async () => {
    const id = newId('abort-wait');
    const st = await rt.create(id, await ws.clone(base, (c) => (c.process.args = sh(SLEEP_SCRIPT))));
    await rt.start(id);
    await untilBusy(st.pid as number);
    const ac = new AbortController();
    const waiting = rt.wait(id, { signal: ac.signal });
    ac.abort();
    await expectCode(waiting, 'ABORTED');
    expect((await rt.state(id)).status).toBe('running');
    expect(await rt.stop(id, { timeoutMs: 10_000 })).toMatchObject({ code: 143 });
    await rt.delete(id);
  });

  it('stop uses the bundle stop signal recorded at create, from another runtime instance', async () => {
    const id = newId('stopsignal');
    // SIGUSR1 ends the shell through its handler with 42; SIGTERM would end it with 143.
    const bundle = { ...(await ws.clone(base, (c) => (c.process.args = sh('trap "exit 42" USR1; trap "exit 143" TERM; while :; do sleep 3600 & wait $!; done')))), stopSignal: 'SIGUSR1' as const };
    const st = await rt.create(id, bundle);
    await rt.start(id);
    await untilBusy(st.pid as number);
    const other = new YoukiRuntime({ stateRoot: ws.stateRoot });
    expect(await other.stop(id, { timeoutMs: 10_000 })).toEqual({ code: 42, reason: 'exited' });
    await other.delete(id);
  });
});
