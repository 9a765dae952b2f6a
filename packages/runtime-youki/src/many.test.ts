/**
 * 50 containers, 4 at a time, with output to pipes, Writables, log files and nowhere — and nothing
 * left afterwards: no processes, no zombies, no cgroups, no mounts, no state directories.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { YoukiRuntime } from './runtime.js';
import { cgroupPaths, sink } from './test-support/run.js';
import { access } from 'node:fs/promises';
import { cgroupDirsMentioning, mountsUnder, processesMentioning, sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();
const COUNT = 50;
const PARALLEL = 4;

describe.runIf(ready)('YoukiRuntime at volume', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let base: OciBundle;

  beforeAll(async () => {
    ws = await workspace('many');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    base = await ws.build({ args: ['true'] });
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(`runs ${COUNT} containers ${PARALLEL} at a time and leaves nothing behind`, { timeout: 300_000 }, async () => {
    const prefix = `many-${process.pid}`;
    const results: { i: number; code: number; out: string }[] = [];
    const cgroups: string[] = [];
    async function one(i: number): Promise<void> {
      const id = `${prefix}-${i}`;
      const bundle = await ws.clone(base, (c) => (c.process.args = sh('echo "container $1"; exit $(($1 % 4))', String(i))));
      const mode = i % 4;
      const out = sink();
      const st = await rt.create(id, bundle, {
        stdio: mode === 0 ? { stdout: 'pipe' } : mode === 1 ? { stdout: out } : mode === 2 ? { stdout: 'log' } : {},
      });
      cgroups.push(...Object.values(await cgroupPaths(st.pid as number)));
      const piped = mode === 0 ? (async () => {
        let t = '';
        for await (const c of rt.streams(id).stdout ?? []) t += String(c);
        return t;
      })() : Promise.resolve('');
      let logged = '';
      await rt.start(id);
      const status = await rt.wait(id);
      if (mode === 2) for await (const c of rt.logs(id).stdout ?? []) logged += String(c);
      await rt.delete(id);
      results.push({ i, code: status.code, out: mode === 0 ? await piped : mode === 1 ? out.text() : logged });
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < COUNT) await one(next++);
      }),
    );

    expect(results).toHaveLength(COUNT);
    for (const r of results) {
      expect(r.code).toBe(r.i % 4);
      expect(r.out).toBe(r.i % 4 === 3 ? '' : `container ${r.i}\n`);
    }
    expect(await rt.list()).toEqual([]);
    expect(await readdir(ws.stateRoot)).toEqual([]);
    // Every cgroup the containers were in (seen at create) is gone, and nothing else carries their ids.
    expect(cgroups.length).toBeGreaterThanOrEqual(COUNT);
    const remaining = (await Promise.all(cgroups.map(async (c) => ((await access(c).then(() => true, () => false)) ? c : undefined)))).filter(Boolean);
    expect(remaining).toEqual([]);
    expect(await cgroupDirsMentioning(prefix)).toEqual([]);
    expect(await mountsUnder(ws.dir)).toEqual([]);
    const procs = await processesMentioning(`"id":"${prefix}-`);
    expect(procs.live).toEqual([]);
    expect(procs.zombies).toEqual([]);
  });
});
