// The library's high-level API (@magikrun/registry run() and createContainer()) on real backends:
// timeouts, AbortSignal and refusals end with nothing left behind.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { createContainer, run, RuntimeRegistry } from '@magikrun/registry';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

const discard = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('run() and createContainer()', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let registry: RuntimeRegistry;
  let n = 0;
  const id = (): string => `mk-lib-${process.pid}-${++n}`;

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('magikrun-library-'));
    registry = await RuntimeRegistry.create(platform, { root });
  });
  afterAll(async () => cleanup());

  it('a limit no runtime of the image kind enforces is UNSUPPORTED with each refusal, before anything is built', async () => {
    const e = await expectCode(run(images.refs.hello, { root, registry, id: id(), resources: { pids: 5 } }), 'UNSUPPORTED');
    expect(e.message).toMatch(/cannot enforce pids/);
    expect((e.details as { refused: { why: string }[] }).refused.map((r) => r.why)).toEqual(['needs']);
    expect(await readdir(join(root, 'bundles')).catch(() => [])).toEqual([]);
  });

  it('timeoutMs ends a WebAssembly module that runs too long: 124 timed-out, nothing left', async () => {
    const status = await run(images.refs.hello, { root, registry, id: id(), args: ['--sleep=60'], stdio: { stdout: discard() }, timeoutMs: 300 });
    expect(status).toMatchObject({ code: 124, reason: 'timed-out' });
    expect(await readdir(join(root, 'bundles'))).toEqual([]);
  });

  describe.runIf(linux)('Linux containers', () => {
    it('timeoutMs: a sleeping container is killed, the status is 124 timed-out, and nothing is left', async () => {
      const c = id();
      const status = await run(images.refs.busybox, { root, registry, id: c, args: ['sleep', '60'], timeoutMs: 500 });
      expect(status).toMatchObject({ code: 124, reason: 'timed-out' });
      expect(await leftovers(c, root)).toEqual([]);
    });

    it('an AbortSignal kills the workload and removes everything; run rejects with ABORTED', async () => {
      const c = id();
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 800);
      await expectCode(run(images.refs.busybox, { root, registry, id: c, args: ['sleep', '60'], signal: abort.signal }), 'ABORTED');
      expect(await leftovers(c, root)).toEqual([]);
    });

    it('await using: leaving the scope by a throw kills and deletes a running container and removes its bundle and snapshot', async () => {
      const c = id();
      await expect(
        (async () => {
          await using container = await createContainer(images.refs.busybox, { root, registry, id: c, args: ['sleep', '60'] });
          await container.start();
          expect((await container.state()).status).toBe('running');
          throw new Error('the caller gave up');
        })(),
      ).rejects.toThrow('the caller gave up');
      expect(await leftovers(c, root)).toEqual([]);
    });

    it('a need a Linux runtime lacks (fuel) falls to WebAssembly; busybox holds no module: UNSUPPORTED naming both, nothing left', async () => {
      const c = id();
      const e = await expectCode(createContainer(images.refs.busybox, { root, registry, id: c, resources: { fuel: 1000 } }), 'UNSUPPORTED');
      expect(e.message).toMatch(/no WebAssembly module.*cannot enforce fuel/);
      expect(await leftovers(c, root)).toEqual([]);
    });
  });
});

describe.runIf(linux)('owner binding never takes down another process\'s container', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let registry: RuntimeRegistry;

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('magikrun-library-race-'));
    registry = await RuntimeRegistry.create(platform, { root: join(root, 'a') });
  });
  afterAll(async () => cleanup());

  it('a creator that loses the race for an existing id and is SIGKILLed at any moment leaves the holder running, and nothing of its own', { timeout: 120_000 }, async () => {
    const id = `mk-lib-race-${process.pid}`;
    await using holder = await createContainer(images.refs.busybox, { root: join(root, 'a'), registry, id, args: ['sleep', '120'] });
    await holder.start();
    const script = join(import.meta.dirname, 'fixtures', 'hold-container.mjs');
    for (const delay of [100, 300, 500, 700, 900, 1200, 1600]) {
      const other = join(root, `b-${delay}`);
      const child = spawn(process.execPath, [script, images.refs.busybox, other, id], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve)); // it may fail and end before the kill
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      await sleep(2500); // time for its watchdog to act, were it to
      expect((await holder.state()).status, `killed after ${delay} ms`).toBe('running');
      expect(await readdir(join(other, 'bundles')).catch(() => []), `killed after ${delay} ms`).toEqual([]);
    }
  });
});

describe.runIf(linux)('containers a library program keeps', () => {
  it('a detached container outlives the program that started it; one `magikrun rm -f` removes it and everything made for it', { timeout: 60_000 }, async () => {
    const { dir: root, cleanup } = await tempDir('magikrun-library-kept-');
    try {
      const id = `mk-lib-kept-${process.pid}`;
      const script = join(import.meta.dirname, 'fixtures', 'hold-container.mjs');
      const child = spawn(process.execPath, [script, images.refs.busybox, root, id, 'detach'], { stdio: 'ignore' });
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
      await sleep(1500); // its watchdog was released at start: nothing may take the container down
      const ps = await runCli(['ps'], { root });
      expect(ps.stdout).toContain(id);
      const rm = await runCli(['rm', '-f', id], { root });
      expect({ code: rm.code, stderr: rm.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await leftovers(id, root)).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});
