// Container names as docker takes them (a letter or digit first), and one name raced by runs of two data
// roots: the loser fails with ALREADY_EXISTS and leaves the winner's container alone (issue 9 follow-up:
// the loser's cleanup deleted the winner's container; a name starting with "." leaked its bundle).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
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
