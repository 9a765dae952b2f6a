/**
 * stdio beyond the conformance suite: stdin from a pipe, a file and a Readable; a large output
 * through a slow reader (backpressure, nothing lost); bundle checks; a per-create state root; log
 * following with an AbortSignal.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { newId, sink } from './test-support/run.js';
import { sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

async function text(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  let t = '';
  for await (const c of stream ?? []) t += String(c);
  return t;
}

describe.runIf(ready)('YoukiRuntime stdio and options', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let base: OciBundle;

  beforeAll(async () => {
    ws = await workspace('stdio');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    base = await ws.build({ args: ['true'] });
  });
  afterAll(async () => {
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  const cat = (): Promise<OciBundle> => ws.clone(base, (c) => (c.process.args = sh('tr a-z A-Z')));

  it("stdin 'pipe': what is written reaches the container, end() is its end-of-file", async () => {
    const id = newId('stdin-pipe');
    await rt.create(id, await cat(), { stdio: { stdin: 'pipe', stdout: 'pipe' } });
    const { stdin, stdout } = rt.streams(id);
    const out = text(stdout);
    await rt.start(id);
    stdin?.end('hello stdin\n');
    expect(await rt.wait(id)).toEqual({ code: 0, reason: 'exited' });
    expect(await out).toBe('HELLO STDIN\n');
    await rt.delete(id);
  });

  it('stdin from a file and from a Readable', async () => {
    const file = path.join(ws.dir, 'input.txt');
    await writeFile(file, 'from a file\n');
    const a = newId('stdin-file');
    const outA = sink();
    await rt.create(a, await cat(), { stdio: { stdin: { path: file }, stdout: outA } });
    await rt.start(a);
    await rt.wait(a);
    expect(outA.text()).toBe('FROM A FILE\n');
    const b = newId('stdin-readable');
    const outB = sink();
    await rt.create(b, await cat(), { stdio: { stdin: Readable.from(['from ', 'a readable\n']), stdout: outB } });
    await rt.start(b);
    await rt.wait(b);
    expect(outB.text()).toBe('FROM A READABLE\n');
    await rt.delete(a);
    await rt.delete(b);
  });

  it('8 MiB of output through a pipe read slowly arrives whole (the container waits on backpressure)', async () => {
    const id = newId('big');
    await rt.create(id, await ws.clone(base, (c) => (c.process.args = sh('head -c 8388608 /dev/zero | tr "\\0" x'))), { stdio: { stdout: 'pipe' } });
    const stdout = rt.streams(id).stdout;
    await rt.start(id);
    let bytes = 0;
    let onlyX = true;
    for await (const chunk of stdout ?? []) {
      const b = chunk as Buffer;
      bytes += b.length;
      if (onlyX && b.some((c) => c !== 0x78)) onlyX = false;
      await new Promise((r) => setImmediate(r));
    }
    expect(bytes).toBe(8 * 1024 * 1024);
    expect(onlyX).toBe(true);
    expect(await rt.wait(id)).toEqual({ code: 0, reason: 'exited' });
    await rt.delete(id);
  });

  it('refuses bundles of another kind, relative paths and a bundle without config.json', async () => {
    const id = newId('bad-bundle');
    await expectCode(rt.create(id, { kind: 'wasm', path: '/x', module: '/x/m.wasm', moduleDigest: 'sha256:' + '0'.repeat(64), args: [], env: [], preopens: [] }), 'INVALID_ARGUMENT');
    await expectCode(rt.create(id, { kind: 'oci', path: 'relative', rootfs: '/x' }), 'INVALID_ARGUMENT');
    const empty = path.join(ws.dir, 'empty-bundle');
    await mkdir(path.join(empty, 'rootfs'), { recursive: true });
    await expectCode(rt.create(id, { kind: 'oci', path: empty, rootfs: path.join(empty, 'rootfs') }), 'NOT_FOUND');
    await expectCode(rt.state(id), 'NOT_FOUND');
    // The id names a directory: core allows 1024 characters, a file name has at most 255 bytes.
    const long = 'x'.repeat(256);
    expect((await expectCode(rt.create(long, await ws.clone(base, () => undefined)), 'INVALID_ARGUMENT')).message).toMatch(/too long/);
    await expectCode(rt.state(long), 'INVALID_ARGUMENT');
    const max = 'y'.repeat(255);
    await rt.create(max, await ws.clone(base, (c) => (c.process.args = ['true'])));
    await rt.delete(max, { force: true });
  });

  it('CreateOptions.stateRoot puts one container elsewhere; this runtime still finds it, others under the default root do not', async () => {
    const id = newId('elsewhere');
    const elsewhere = path.join(ws.dir, 'other-root');
    await rt.create(id, await ws.clone(base, (c) => (c.process.args = ['true'])), { stateRoot: elsewhere });
    expect((await rt.inspect(id)).stateDir).toBe(path.join(elsewhere, id));
    expect((await rt.list()).map((s) => s.id)).toContain(id);
    await expectCode(new YoukiRuntime({ stateRoot: ws.stateRoot }).state(id), 'NOT_FOUND');
    expect((await new YoukiRuntime({ stateRoot: elsewhere }).state(id)).status).toBe('created');
    await rt.delete(id, { force: true });
  });

  it("streams() of a container created by another runtime instance is empty; logs() of one without 'log' output has no streams", async () => {
    const id = newId('foreign');
    await rt.create(id, await ws.clone(base, (c) => (c.process.args = ['true'])), { stdio: { stdout: 'pipe' } });
    const other = new YoukiRuntime({ stateRoot: ws.stateRoot });
    expect(other.streams(id)).toEqual({});
    expect(rt.logs(id)).toEqual({});
    await rt.delete(id, { force: true });
  });

  it('following the logs of a running container ends when the AbortSignal fires', async () => {
    const id = newId('follow-abort');
    await rt.create(id, await ws.clone(base, (c) => (c.process.args = sh('echo first; while :; do sleep 1; done'))), { detach: true });
    await rt.start(id);
    const ac = new AbortController();
    const stdout = rt.logs(id, { follow: true, signal: ac.signal }).stdout;
    let seen = '';
    for await (const c of stdout ?? []) {
      seen += String(c);
      if (seen.includes('first')) ac.abort();
    }
    expect(seen).toBe('first\n');
    expect((await rt.state(id)).status).toBe('running');
    await rt.delete(id, { force: true });
  });
});
