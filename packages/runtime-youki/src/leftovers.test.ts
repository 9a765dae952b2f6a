/**
 * What a container leaves behind when things go wrong around it: the creating Node.js process killed
 * while create runs, processes the init leaves running when it exits (no pid namespace), and a
 * config.json whose root is not the bundle's rootfs. Each checks that nothing is left.
 */
import { spawn } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { cgroupPaths, newId, sink } from './test-support/run.js';
import { cgroupDirsMentioning, mountsUnder, processesMentioning, sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();
const here = path.dirname(fileURLToPath(import.meta.url));
const createOnly = path.join(here, '../test/child/create-only.mjs');
const dist = path.join(here, '../dist/index.js');

/** Poll `check` until it is true (a wait for asynchronous process exits, not a timing assertion). */
async function eventually(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`still not true after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(ready)('YoukiRuntime leaves nothing behind', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let base: OciBundle;

  beforeAll(async () => {
    await access(dist).catch(() => {
      throw new Error(`${dist} is missing: run "pnpm --filter @magikrun/runtime-youki build" first (the child process imports the built package)`);
    });
    ws = await workspace('leftovers');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    base = await ws.build({ args: ['true'] });
  });
  afterAll(async () => {
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  async function expectNothingLeft(id: string, bundle: OciBundle): Promise<void> {
    await expectCode(rt.state(id), 'NOT_FOUND');
    expect(await cgroupDirsMentioning(`:youki:${id}`)).toEqual([]);
    expect(await mountsUnder(bundle.path)).toEqual([]);
    expect((await processesMentioning(`"id":"${id}"`)).live).toEqual([]);
  }

  it('a Node.js process killed while its create runs leaves nothing: the monitor undoes the container it could not report', async () => {
    const id = newId('creator-killed');
    // The createRuntime hook (run by the monitor while the init waits) keeps create busy for 2 s.
    const bundle = await ws.clone(base, (c) => {
      c.process.args = ['true'];
      c['hooks'] = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '2'] }] };
    });
    const creator = spawn(process.execPath, [createOnly, ws.stateRoot, JSON.stringify(bundle), id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    creator.stdout.on('data', (b: Buffer) => (said += b.toString()));
    const exited = new Promise((r) => creator.once('exit', r));
    // The monitor has taken the id (the container is being created): kill the creator now.
    await eventually(async () => (await readdir(ws.stateRoot).catch(() => [] as string[])).includes(id), 'the monitor reserved the id');
    creator.kill('SIGKILL');
    await exited;
    expect(said).toBe('');
    // Nobody learned of the container: its monitor removes it once creation finishes.
    await eventually(async () => !(await readdir(ws.stateRoot).catch(() => [] as string[])).includes(id), 'the container was undone');
    await expectNothingLeft(id, bundle);
  });

  it('an aborted or timed-out create leaves no entry in the state root, not even a reservation (without a list() to sweep it)', async () => {
    const bundle = await ws.clone(base, (c) => (c.process.args = ['true']));
    const entries = async (): Promise<string[]> => readdir(ws.stateRoot).catch(() => [] as string[]);
    const before = await entries();
    for (let i = 0; i < 5; i++) {
      await expectCode(rt.create(newId('pre-aborted'), bundle, { signal: AbortSignal.abort() }), 'ABORTED');
      await expectCode(rt.create(newId('no-time'), bundle, { timeoutMs: 1 }), 'TIMEOUT');
    }
    expect(await entries()).toEqual(before);
    expect(await mountsUnder(bundle.path)).toEqual([]);
  });

  it('processes an init leaves running without a pid namespace are killed when it exits (as containerd does): wait resolves, the cgroup empties', { timeout: 30_000 }, async () => {
    const id = newId('survivors');
    const marker = `survivor-of-${id}`;
    const bundle = await ws.clone(base, (c) => {
      // The init starts a background shell (still holding stdout) and exits at once.
      c.process.args = sh(`(sh -c 'sleep 1000; :' ${marker} &); echo init-done`);
      c.linux['namespaces'] = (c.linux['namespaces'] as { type: string }[]).filter((n) => n.type !== 'pid');
    });
    const out = sink();
    const st = await rt.create(id, bundle, { stdio: { stdout: out } });
    const cgroups = await cgroupPaths(st.pid as number);
    expect(cgroups['pids']).toBeDefined();
    await rt.start(id);
    // The Writable target gets all output: this resolves only once the survivor closed stdout too.
    expect(await rt.wait(id)).toEqual({ code: 0, reason: 'exited' });
    expect(out.text()).toBe('init-done\n');
    expect((await processesMentioning(marker)).live).toEqual([]);
    expect((await readFile(path.join(cgroups['pids'] as string, 'cgroup.procs'), 'utf8')).trim()).toBe('');
    await rt.delete(id);
    await expectNothingLeft(id, bundle);
  });

  it("a config.json whose root.path is not the bundle's rootfs is refused before anything runs, and leaves nothing", async () => {
    const id = newId('root-elsewhere');
    // The overlay would be mounted at bundle.rootfs, but the container would run (and write) in base's rootfs.
    const bundle = await ws.clone(base, (c) => {
      c.process.args = sh('echo escaped > /escaped');
      c.root = { path: base.rootfs };
    });
    const e = await expectCode(rt.create(id, bundle), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/root\.path/);
    await expectNothingLeft(id, bundle);
    expect(await access(path.join(base.rootfs, 'escaped')).then(() => true, () => false)).toBe(false);
  });

  it('a config.json over 16 MiB is refused before the monitor (or libcontainer) parses it', async () => {
    const id = newId('huge-config');
    const bundle = await ws.clone(base, (c) => {
      c.process.args = ['true'];
      c['annotations'] = { padding: 'x'.repeat(17 * 1024 * 1024) };
    });
    const e = await expectCode(rt.create(id, bundle), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/16777216/);
    await expectNothingLeft(id, bundle);
  });
});
