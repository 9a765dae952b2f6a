/**
 * Lifecycle races and resource release: kill racing a natural exit, delete --force racing start, many
 * containers at once, containers never started — each ends with a definite exit status, and afterwards
 * the binding holds nothing (no container, no store, no pipe).
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextOf, WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('races'));
});

afterAll(async () => {
  await cleanup();
});

/** A runtime of its own, so that its binding's stats concern this test only. */
function runtime(): WasmtimeRuntime {
  return new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
}

function stats(rt: WasmtimeRuntime) {
  return contextOf(rt).engine.stats();
}

const NOTHING = { containers: 0, pipes: 0, stores: 0 };

describe('races', () => {
  it('kill racing a natural exit: the status is either the exit or the kill, never stuck or 0 for a kill', async () => {
    const rt = runtime();
    const bundle = await programBundle('hello', dir, { args: ['3'] });
    for (let i = 0; i < 30; i++) {
      const id = `kill-race-${i}`;
      await rt.create(id, bundle);
      await rt.start(id);
      if (i % 3 === 1) await delay(1);
      try {
        await rt.kill(id, 'SIGKILL');
      } catch (e) {
        expect((e as { code?: string }).code).toBe('INVALID_STATE'); // it was already stopped
      }
      const status = await rt.wait(id);
      expect([{ code: 3, reason: 'exited' }, { code: 137, reason: 'killed', signal: 'SIGKILL', message: 'killed by SIGKILL' }]).toContainEqual(status);
      expect((await rt.state(id)).status).toBe('stopped');
      await rt.delete(id);
    }
    expect(stats(rt)).toEqual(NOTHING);
  });

  it('delete --force right after start (not awaited) ends the run and frees it', async () => {
    const rt = runtime();
    const bundle = await programBundle('sleep', dir);
    for (let i = 0; i < 30; i++) {
      const id = `start-delete-${i}`;
      await rt.create(id, bundle);
      const started = rt.start(id);
      const deleted = rt.delete(id, { force: true });
      await Promise.allSettled([started, deleted]);
      await deleted;
      expect((await rt.list()).map((s) => s.id)).not.toContain(id);
    }
    expect(stats(rt)).toEqual(NOTHING);
  });

  it('delete --force during create waits for it and frees the container', async () => {
    const rt = runtime();
    const bundle = await programBundle('sleep', dir);
    const created = rt.create('during-create', bundle);
    await rt.delete('during-create', { force: true });
    await created.catch(() => undefined);
    expect(await rt.list()).toEqual([]);
    expect(stats(rt)).toEqual(NOTHING);
  });

  it('20 containers at once, killed while blocked, then deleted: everything is freed', async () => {
    const rt = runtime();
    const bundle = await programBundle('sleep', dir);
    const ids = Array.from({ length: 20 }, (_, i) => `many-${i}`);
    await Promise.all(ids.map((id) => rt.create(id, bundle, { stdio: { stdout: 'pipe', stderr: 'pipe' } })));
    await Promise.all(ids.map((id) => rt.start(id)));
    expect(stats(rt)).toMatchObject({ containers: 20, stores: 20 });
    await Promise.all(ids.map((id) => rt.kill(id, 'SIGKILL')));
    const statuses = await Promise.all(ids.map((id) => rt.wait(id)));
    for (const s of statuses) expect(s).toMatchObject({ code: 137, reason: 'killed' });
    // Reading the pipes to their end frees them too.
    for (const id of ids) {
      const { stdout, stderr } = rt.streams(id);
      for await (const _ of stdout!) void _;
      for await (const _ of stderr!) void _;
    }
    await Promise.all(ids.map((id) => rt.delete(id)));
    expect(stats(rt)).toEqual(NOTHING);
  });

  it('a container that is never started: delete --force frees it; kill stops it as killed', async () => {
    const rt = runtime();
    const bundle = await programBundle('sleep', dir);
    await rt.create('never-a', bundle);
    await rt.create('never-b', bundle);
    expect(stats(rt)).toMatchObject({ containers: 2, stores: 2 });
    await rt.delete('never-a', { force: true });
    await rt.kill('never-b', 'SIGKILL');
    expect(await rt.wait('never-b')).toMatchObject({ code: 137, reason: 'killed' });
    expect(stats(rt)).toMatchObject({ containers: 1, stores: 0 });
    await rt.delete('never-b');
    expect(stats(rt)).toEqual(NOTHING);
  });
});

describe('abandoned creates', () => {
  it('a create abandoned (aborted, timed out) leaves nothing behind once the binding finishes (container, store, pipes)', async () => {
    const rt = runtime();
    const bundle = await programBundle('hello', dir);
    // Keep hold of the binding's own create, to know when it has finished.
    const engine = contextOf(rt).engine;
    const original = engine.create.bind(engine);
    let request: Promise<unknown> | undefined;
    engine.create = (o) => {
      const p = original(o);
      request = p;
      return p;
    };
    // Aborted at once: the runtime gives up while the binding's create is still in flight.
    const signal = AbortSignal.abort();
    const e = await rt.create('late', bundle, { signal, stdio: { stdout: 'pipe', stderr: 'pipe', stdin: 'pipe' } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ABORTED' });
    expect(await rt.list()).toEqual([]);
    await request;
    await delay(10); // let the runtime's cleanup (a `then` on the same promise) run
    expect(stats(rt)).toEqual(NOTHING);
  });
});

describe('binding errors', () => {
  it('a binding failure inside kill reaches the caller as a MagikrunError, not a raw napi error', async () => {
    const rt = runtime();
    await rt.create('lost', await programBundle('sleep', dir));
    const { engine, records } = contextOf(rt);
    engine.delete(records.get('lost').handle as number); // the binding forgets it behind the runtime's back
    const e = await rt.kill('lost', 'SIGKILL').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'MagikrunError', code: 'NOT_FOUND' });
    expect((e as Error).message).toMatch(/^kill "lost": /);
  });
});
