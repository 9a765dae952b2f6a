/**
 * kill ends a module promptly wherever it is: sleeping in poll_oneoff, reading a stdin pipe nobody
 * writes, writing to a stdout pipe nobody reads, spinning in wasm without fuel limit. The suite's
 * timeout is the failure mode of a kill that does not work.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { expectCode } from '@magikrun/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceLimits } from '@magikrun/core';
import type { WasmtimeCreateOptions } from './options.js';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch, type Program } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let rt: WasmtimeRuntime;
let n = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('kill'));
  rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
});

afterAll(async () => {
  for (const s of await rt.list()) await rt.delete(s.id, { force: true });
  await cleanup();
});

/** Start `program` and let it reach its blocking point; it must still be running. */
async function running(program: Program, options?: WasmtimeCreateOptions, args: string[] = [], resources?: ResourceLimits): Promise<string> {
  const id = `kill-${process.pid}-${++n}`;
  await rt.create(id, await programBundle(program, dir, { args, resources }), options);
  await rt.start(id);
  await delay(300); // give it time to block; not an assertion
  expect((await rt.state(id)).status).toBe('running');
  return id;
}

describe('kill', () => {
  it('ends a module sleeping in poll_oneoff (SIGKILL → killed, 137)', async () => {
    const id = await running('sleep');
    await rt.kill(id, 'SIGKILL');
    expect(await rt.wait(id)).toMatchObject({ code: 137, reason: 'killed', signal: 'SIGKILL' });
  });

  it("ends a module blocked reading a 'pipe' stdin that is never written (SIGTERM → signaled, 143)", async () => {
    const id = await running('read-stdin', { stdio: { stdin: 'pipe' } });
    await rt.kill(id, 'SIGTERM');
    expect(await rt.wait(id)).toMatchObject({ code: 143, reason: 'signaled', signal: 'SIGTERM' });
  });

  it('ends a module blocked writing to a full stdout pipe that nobody reads', async () => {
    const id = await running('write-forever', { stdio: { stdout: 'pipe' } });
    await rt.kill(id, 'SIGKILL');
    expect(await rt.wait(id)).toMatchObject({ code: 137, reason: 'killed' });
    // The pipe still yields what was buffered (at most its 64 KiB capacity), then ends.
    let bytes = 0;
    for await (const chunk of rt.streams(id).stdout!) bytes += (chunk as Buffer).length;
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(64 * 1024 + 4096);
  });

  it('ends a module spinning in wasm with fuel disabled', async () => {
    const id = await running('spin', {}, [], { fuel: false });
    await rt.kill(id, 'SIGINT');
    expect(await rt.wait(id)).toMatchObject({ code: 130, reason: 'signaled', signal: 'SIGINT' });
  });

  // Each host call does much work for little fuel, so fuel yields alone come minutes apart: the kill
  // must be seen at the next host call boundary.
  for (const mode of ['random', 'write'] as const) {
    it(`ends a module looping over costly host calls (${mode === 'random' ? 'random_get' : 'fd_write to a discarded stdout'}), fuel disabled`, async () => {
      const id = await running('host-loop', {}, [mode], { fuel: false });
      await rt.kill(id, 'SIGKILL');
      expect(await rt.wait(id)).toMatchObject({ code: 137, reason: 'killed' });
    }, 30_000);
  }

  it('the wall-clock limit also ends a module looping over costly host calls', async () => {
    const id = `kill-${process.pid}-${++n}`;
    await rt.create(id, await programBundle('host-loop', dir, { args: ['random'], resources: { fuel: false, wallClockMs: 500 } }));
    await rt.start(id);
    expect(await rt.wait(id)).toMatchObject({ code: 124, reason: 'timed-out' });
  }, 30_000);

  it('ignores SIGWINCH/SIGCHLD, refuses SIGSTOP as UNSUPPORTED, and stop() ends it', async () => {
    const id = await running('sleep');
    await rt.kill(id, 'SIGCHLD');
    await rt.kill(id, 'SIGWINCH');
    await expectCode(rt.kill(id, 'SIGSTOP'), 'UNSUPPORTED');
    expect((await rt.state(id)).status).toBe('running');
    expect(await rt.stop(id, { timeoutMs: 10_000 })).toMatchObject({ code: 143, reason: 'signaled' });
  });

  it('delete with force frees a running module', async () => {
    const id = await running('write-forever', { stdio: { stdout: 'pipe' } });
    await rt.delete(id, { force: true });
    await expectCode(rt.state(id), 'NOT_FOUND');
  });
});
