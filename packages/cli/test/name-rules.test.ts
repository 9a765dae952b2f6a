// Container names as docker takes them (a letter or digit first), and one name raced by runs of two data
// roots: the loser fails with ALREADY_EXISTS and leaves the winner's container alone (issue 9 follow-up:
// the loser's cleanup deleted the winner's container; a name starting with "." leaked its bundle).
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const HOLD_NAME = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-name.mjs');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

describe('container names', () => {
  let work: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: work, cleanup } = await tempDir('magikrun-cli-names-'));
  });
  afterAll(() => cleanup());

  it.each(['.hidden', '.tmp-x-0123456789ab', '-x', '_x'])('run --name %j is refused in one line (125) before anything is pulled', async (n) => {
    const root = join(work, 'root-refused');
    const r = await runCli(['run', '-q', `--name=${n}`, images.refs.hello], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^magikrun: container name .* must start with a letter or digit.*\[INVALID_ARGUMENT\]\n$/);
  });

  it('a name another magikrun process is releasing (a watchdog removing a killed run) is taken once it lets go; one held on is refused after the wait', async () => {
    const root = join(work, 'root-releasing');
    expect((await runCli(['pull', '-q', images.refs.hello], { root })).code).toBe(0);
    const hold = (id: string, ms: number) => {
      const child = spawn(process.execPath, [HOLD_NAME, root, id, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const closed = new Promise((resolve) => child.on('close', resolve));
      const held = new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => String(c).includes('held') && resolve()));
      return { held, closed, child };
    };
    const soon = hold('mk-releasing', 1500);
    await soon.held;
    const r = await runCli(['run', '-q', '--name', 'mk-releasing', images.refs.hello, 'x', '--exit=5'], { root });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 5, stderr: 'hello-wasi: this line goes to stderr\n' });
    await soon.closed;
    const late = hold('mk-held', 60_000);
    await late.held;
    const refused = await runCli(['run', '-q', '--name', 'mk-held', images.refs.hello], { root });
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/container name "mk-held" is in use by the magikrun process \d+, which is starting, running or removing it \[ALREADY_EXISTS\]/);
    const rm = await runCli(['rm', 'mk-held'], { root });
    expect(rm.code).toBe(125);
    expect(rm.stderr).toMatch(/is being created or removed by the magikrun process \d+/);
    late.child.kill('SIGKILL');
    await late.closed;
  }, 60_000);

  it.runIf(linux)('two data roots racing for one name: one container runs to its end, the other run is ALREADY_EXISTS', async () => {
    const [a, b] = [join(work, 'race-a'), join(work, 'race-b')];
    for (const root of [a, b]) {
      await mkdir(root, { recursive: true });
      expect((await runCli(['pull', '-q', images.refs.busybox], { root })).code).toBe(0);
    }
    const id = `mk-race-${process.pid}`;
    for (let trial = 0; trial < 3; trial++) {
      const runs = await Promise.all([a, b].map((root) => runCli(['run', '-q', '--name', id, images.refs.busybox, 'sh', '-c', 'sleep 1; echo done; exit 3'], { root })));
      const won = runs.filter((r) => r.code === 3);
      const lost = runs.filter((r) => r.code !== 3);
      // The one that created the container runs it to its end, whatever the other did meanwhile.
      expect(won, JSON.stringify(runs)).toHaveLength(1);
      expect(won[0]!.stdout).toBe('done\n');
      expect(lost[0]!.code).toBe(125);
      expect(lost[0]!.stderr).toMatch(/already (exists|in use).*\[ALREADY_EXISTS\]/);
      for (const root of [a, b]) expect(await leftovers(id, root)).toEqual([]);
    }
  });
});
