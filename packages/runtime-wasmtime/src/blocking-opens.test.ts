/**
 * Files that block when opened (FIFOs) never stall the runtime: a module path that is a FIFO is refused
 * at once, and stdio FIFOs whose other end is not open yet hold up only their own create — not the
 * JavaScript thread, not other containers.
 */
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { expectCode } from '@magikrun/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmtimeRuntime } from './runtime.js';
import { bundleFor, programBundle, scratch, text } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let rt: WasmtimeRuntime;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('fifo'));
  rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
});

afterAll(async () => {
  for (const s of await rt.list()) await rt.delete(s.id, { force: true });
  await cleanup();
});

function mkfifo(name: string): string {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

describe('blocking opens', () => {
  it('a module path that is a FIFO is INVALID_ARGUMENT, not a create that hangs until its timeout', async () => {
    const fifo = mkfifo('module.fifo');
    const bundle = await bundleFor(fifo, dir, { digest: `sha256:${'0'.repeat(64)}` });
    const e = await expectCode(rt.create('fifo-module', bundle, { timeoutMs: 30_000 }), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/not a regular file/);
  });

  it('stdin FIFOs nobody opens for writing do not stall other containers', async () => {
    // More creates blocked in open(2) than the runtime has worker threads.
    const count = availableParallelism() + 2;
    const fifos = Array.from({ length: count }, (_, i) => mkfifo(`stdin-${i}.fifo`));
    const bundle = await programBundle('read-stdin', dir);
    const blocked = fifos.map((f, i) => rt.create(`fifo-stdin-${i}`, bundle, { stdio: { stdin: { path: f }, stdout: 'pipe' } }));

    // Meanwhile another container runs to its end.
    await rt.create('fifo-other', await programBundle('hello', dir, { args: ['7'] }), { stdio: { stdout: 'pipe' } });
    const out = text(rt.streams('fifo-other').stdout);
    await rt.start('fifo-other');
    expect(await rt.wait('fifo-other')).toEqual({ code: 7, reason: 'exited' });
    expect(await out).toMatch(/^argc=2\n/);

    // Opening the writing ends lets the blocked creates finish; each module reads what was written.
    const writers = await Promise.all(fifos.map((f) => open(f, 'w')));
    await Promise.all(blocked);
    for (let i = 0; i < count; i++) {
      const id = `fifo-stdin-${i}`;
      const o = text(rt.streams(id).stdout);
      await rt.start(id);
      await writers[i]?.write(`fifo ${i}\n`);
      await writers[i]?.close();
      expect(await rt.wait(id)).toEqual({ code: 0, reason: 'exited' });
      expect(await o).toBe(`fifo ${i}\n`);
    }
  });
});
