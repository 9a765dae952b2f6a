/**
 * Real busybox workloads through YoukiRuntime with bundles from core's BundleBuilder: argv, env, cwd
 * and user; exit codes; separate output; cgroup limits (memory → OOM, pids → fork bomb contained,
 * CPU quota); network none and host.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YoukiRuntime } from './runtime.js';
import { cgroupPaths, newId, runToEnd } from './test-support/run.js';
import { sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

describe.runIf(ready)('YoukiRuntime workloads (busybox, BundleBuilder bundles)', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;

  beforeAll(async () => {
    ws = await workspace('workloads');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
  });
  afterAll(async () => {
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  it('echo sees the env (image and caller), the working directory and the user it was given', async () => {
    const bundle = await ws.build({
      args: sh('echo "$GREETING|$IMAGE_VAR|$(pwd)|$(id -u):$(id -g)|$(id -un)"'),
      env: { GREETING: 'hello from magikrun' },
      workdir: '/tmp',
      user: 'app',
    });
    const { status, stdout, stderr } = await runToEnd(rt, bundle);
    expect(status).toEqual({ code: 0, reason: 'exited' });
    expect(stdout).toBe('hello from magikrun|from-image|/tmp|1000:1000|app\n');
    expect(stderr).toBe('');
  });

  it('the image defaults apply when nothing overrides them (WorkingDir /home/app, root)', async () => {
    const { stdout } = await runToEnd(rt, await ws.build({ args: sh('echo "$(pwd) $(id -u)"') }));
    expect(stdout).toBe('/home/app 0\n');
  });

  it('exit codes 0, 3 and 137 (exit 137 is an exit, not a signal) are exact', async () => {
    for (const code of [0, 3, 137]) {
      const { status } = await runToEnd(rt, await ws.build({ args: sh(`exit ${code}`) }));
      expect(status).toEqual({ code, reason: 'exited' });
    }
  });

  it('SIGKILL from outside the API: 137, reason signaled, signal SIGKILL', async () => {
    const id = newId('sigkill');
    const st = await rt.create(id, await ws.build({ args: sh('while :; do sleep 1; done') }));
    await rt.start(id);
    process.kill(st.pid as number, 'SIGKILL');
    expect(await rt.wait(id)).toEqual({ code: 137, reason: 'signaled', signal: 'SIGKILL' });
    await rt.delete(id);
  });

  it('stdout and stderr stay separate, in order, in the log files of a detached container', async () => {
    const id = newId('logs');
    const bundle = await ws.build({ args: sh('for i in 1 2 3; do echo out$i; echo err$i >&2; done') });
    await rt.create(id, bundle, { detach: true });
    await rt.start(id);
    await rt.wait(id);
    const info = await rt.inspect(id);
    expect(await readFile(info.logFiles.stdout as string, 'utf8')).toBe('out1\nout2\nout3\n');
    expect(await readFile(info.logFiles.stderr as string, 'utf8')).toBe('err1\nerr2\nerr3\n');
    await rt.delete(id);
  });

  it('a memory limit that the init outgrows ends in an OOM kill reported as oom (137)', async () => {
    // `tail` of /dev/zero keeps one endless line in memory: the init itself grows until the kill.
    const id = newId('oom');
    const bundle = await ws.build({ args: sh('exec tail /dev/zero'), resources: { memoryBytes: 16 * 1024 * 1024 } });
    const st = await rt.create(id, bundle);
    const cg = await cgroupPaths(st.pid as number);
    expect(Number((await readFile(`${cg['memory']}/memory.limit_in_bytes`, 'utf8')).trim())).toBe(16 * 1024 * 1024);
    await rt.start(id);
    const status = await rt.wait(id);
    expect(status).toMatchObject({ code: 137, reason: 'oom', signal: 'SIGKILL' });
    expect(status.message).toMatch(/OOM/);
    await rt.delete(id);
  });

  it('a pids limit stops a fork bomb: forks fail at the limit and the container is contained', async () => {
    const id = newId('pids');
    // The shell's own fork of sleep can hit the limit too while the bomb holds every pid: it retries
    // (a busy loop forks nothing) until the bomb has burnt out, then reports that it survived.
    const script = 'bomb() { bomb | bomb & }; bomb; until sleep 2 2>/dev/null; do :; done; echo survived';
    const bundle = await ws.build({ args: sh(script), resources: { pids: 16 } });
    const st = await rt.create(id, bundle, { stdio: { stdout: 'pipe', stderr: 'ignore' } });
    const pids = (await cgroupPaths(st.pid as number))['pids'] as string;
    expect((await readFile(`${pids}/pids.max`, 'utf8')).trim()).toBe('16');
    const out = rt.streams(id).stdout;
    let text = '';
    out?.on('data', (c: Buffer) => (text += c.toString()));
    await rt.start(id);
    // Give the bomb time to hit the limit, then look: never more than 16 tasks, and refused forks counted.
    await new Promise((r) => setTimeout(r, 1000));
    expect(Number((await readFile(`${pids}/pids.current`, 'utf8')).trim())).toBeLessThanOrEqual(16);
    const events = await readFile(`${pids}/pids.events`, 'utf8');
    expect(Number(/max (\d+)/.exec(events)?.[1])).toBeGreaterThan(0);
    const status = await rt.wait(id);
    expect(status).toEqual({ code: 0, reason: 'exited' });
    expect(text).toBe('survived\n');
    await rt.delete(id);
  });

  it('a CPU limit becomes the CFS quota of the container cgroup', async () => {
    const id = newId('cpu');
    const st = await rt.create(id, await ws.build({ args: ['true'], resources: { cpus: 0.5 } }));
    const cpu = (await cgroupPaths(st.pid as number))['cpu'] as string;
    expect((await readFile(`${cpu}/cpu.cfs_quota_us`, 'utf8')).trim()).toBe('50000');
    expect((await readFile(`${cpu}/cpu.cfs_period_us`, 'utf8')).trim()).toBe('100000');
    await rt.delete(id, { force: true });
  });

  it('network none (the default) leaves only loopback; network host shares the host interfaces', async () => {
    const count = 'grep -c : /proc/net/dev';
    const none = await runToEnd(rt, await ws.build({ args: sh(count) }));
    expect(none.stdout.trim()).toBe('1');
    const host = await runToEnd(rt, await ws.build({ args: sh(count), network: 'host' }));
    const hostIfaces = (await readFile('/proc/net/dev', 'utf8')).split('\n').filter((l) => l.includes(':')).length;
    expect(Number(host.stdout.trim())).toBe(hostIfaces);
  });
});
