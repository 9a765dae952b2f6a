// `-e KEY` / `--env KEY` of run and bundle, end to end with the built CLI: a KEY set in magikrun's own
// environment is passed with that value; one that is not set is left out, as docker run does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './support.js';

const images = inject('images');

describe('-e KEY without a value', () => {
  let root: string;
  let work: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-env-');
    cleanup = t.cleanup;
    work = t.dir;
    root = join(t.dir, 'root');
  });
  afterAll(() => cleanup());

  it("run: a KEY unset here is left out (the image's value stays); a KEY set here is passed", async () => {
    const unset = await runCli(['run', '-q', '-e', 'GREETING', images.refs.hello], { root, env: { GREETING: undefined } });
    expect(unset.stderr).not.toMatch(/^magikrun:/m);
    expect(unset.stdout).toContain('GREETING=hello from magikrun\n');
    expect(unset.code).toBe(0);
    const set = await runCli(['run', '-q', '--env', 'GREETING', images.refs.hello], { root, env: { GREETING: 'from the caller' } });
    expect(set.stdout).toContain('GREETING=from the caller\n');
    expect(set.code).toBe(0);
  });

  it('bundle: config.json gets the KEY set here and not the one unset here', async () => {
    const dir = join(work, 'bundle');
    const r = await runCli(['bundle', '-q', '-e', 'MAGIKRUN_TEST_UNSET', '-e', 'MAGIKRUN_TEST_SET', '-e', 'EXPLICIT=1', images.refs.busybox, dir], {
      root,
      env: { MAGIKRUN_TEST_UNSET: undefined, MAGIKRUN_TEST_SET: 'here' },
    });
    expect(r.stderr.replace(/magikrun: warning: .*\n/g, '')).toBe('');
    expect(r.code).toBe(0);
    const env = (JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: { env: string[] } }).process.env;
    expect(env).toContain('MAGIKRUN_TEST_SET=here');
    expect(env).toContain('EXPLICIT=1');
    expect(env.filter((e) => e.startsWith('MAGIKRUN_TEST_UNSET'))).toEqual([]);
  });
});
