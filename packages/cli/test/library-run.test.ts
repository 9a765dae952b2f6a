// The library's high-level API (@magikrun/registry run() and createContainer()) on real backends:
// timeouts, AbortSignal and refusals end with nothing left behind.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { createContainer, run, RuntimeRegistry } from '@magikrun/registry';
import { tempDir } from './support.js';
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
