/**
 * Scope 'host': a container created (detached, output to log files) by a Node.js process that then
 * exits keeps running, and another process lists it, reads its logs, stops it and removes it.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerState } from '@magikrun/core';
import { YoukiRuntime } from './runtime.js';
import { newId } from './test-support/run.js';
import { cgroupDirsMentioning, mountsUnder, processesMentioning, sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, '../test/child/create-detached.mjs');
const dist = path.join(here, '../dist/index.js');

async function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  let text = '';
  for await (const chunk of stream ?? []) text += String(chunk);
  return text;
}

describe.runIf(ready)('YoukiRuntime containers outlive the creating process', () => {
  let ws: Workspace;

  beforeAll(async () => {
    await access(dist).catch(() => {
      throw new Error(`${dist} is missing: run "pnpm --filter @magikrun/runtime-youki build" first (the child process imports the built package)`);
    });
    ws = await workspace('detached');
  });
  afterAll(async () => {
    const rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  it('is created by a process that exits, then listed, logged, stopped and removed by this one', async () => {
    const id = newId('detached');
    const base = await ws.build({ args: ['true'] });
    const bundle = await ws.clone(base, (c) => (c.process.args = sh('trap "echo bye; exit 143" TERM; echo hello; echo warn >&2; while :; do sleep 3600 & wait $!; done')));
    const { stdout } = await promisify(execFile)(process.execPath, [child, ws.stateRoot, JSON.stringify(bundle), id]);
    const created = JSON.parse(stdout) as ContainerState;
    expect(created).toMatchObject({ id, status: 'running', bundle: bundle.path });

    // The creator has exited; the container and its monitor have not.
    const rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    const info = await rt.inspect(id);
    expect(info.state).toMatchObject({ status: 'running', pid: created.pid });
    expect(info.monitorAlive).toBe(true);
    const listed = (await rt.list()).find((s) => s.id === id);
    expect(listed).toMatchObject({ status: 'running', pid: created.pid });

    // Its output is in the log files; `hello` is written after the trap is set.
    expect(info.logFiles).toEqual({ stdout: path.join(info.stateDir, 'stdout.log'), stderr: path.join(info.stateDir, 'stderr.log') });
    while (!(await readFile(info.logFiles.stdout as string, 'utf8')).includes('hello')) await new Promise((r) => setTimeout(r, 20));
    expect(await collect(rt.logs(id).stderr)).toBe('warn\n');

    const following = rt.logs(id, { follow: true }).stdout;
    const followed = collect(following);
    expect(await rt.stop(id, { timeoutMs: 10_000 })).toEqual({ code: 143, reason: 'exited' });
    expect(await followed).toBe('hello\nbye\n');

    await rt.delete(id);
    expect((await rt.list()).map((s) => s.id)).not.toContain(id);
    expect(await cgroupDirsMentioning(`:youki:${id}`)).toEqual([]);
    expect(await mountsUnder(bundle.path)).toEqual([]);
    expect((await processesMentioning(`"id":"${id}"`)).live).toEqual([]);
  });
});
