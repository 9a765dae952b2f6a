// Images whose Cmd or Entrypoint is [""] (umoci config --config.cmd '' / --config.entrypoint ''), from
// the busybox test layout: `bundle` and `run` refuse an empty program name with one line and 125,
// writing nothing; an Entrypoint of [""] counts as none (docker resets it), so the Cmd alone runs.
import { execFileSync } from 'node:child_process';
import { cp, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

describe('an image whose Cmd or Entrypoint is [""]', () => {
  let root: string;
  let work: string;
  let layout: string;
  let cleanup: () => Promise<void>;
  const tag = (t: string) => `oci:${layout}:${t}`;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-empty-cmd-');
    cleanup = t.cleanup;
    work = t.dir;
    root = join(t.dir, 'root');
    layout = join(t.dir, 'layout');
    await cp(images.layout, layout, { recursive: true });
    const derive = (name: string, args: string[]) => execFileSync('umoci', ['config', '--image', `${layout}:busybox`, '--tag', name, '--no-history', ...args]);
    derive('cmd-empty', ['--config.cmd', '']);
    derive('ep-empty', ['--config.entrypoint', '', '--config.cmd', 'echo', '--config.cmd', 'from the image Cmd']);
  });
  afterAll(() => cleanup());

  const refusal = (ref: string) => new RegExp(`^magikrun: image ${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*empty.*give the command to run.* \\[INVALID_ARGUMENT\\]\\n$`);

  it('bundle refuses Cmd [""] with one line and 125, and writes no DIR', async () => {
    const dir = join(work, 'refused');
    const r = await runCli(['bundle', '-q', tag('cmd-empty'), dir], { root });
    expect(r.stderr).toMatch(refusal(tag('cmd-empty')));
    expect(r.code).toBe(125);
    await expect(lstat(dir)).rejects.toThrow();
  });

  it('run refuses Cmd [""] with one line and 125, leaving nothing', async () => {
    const r = await runCli(['run', '-q', '--name', `mk-empty-cmd-${process.pid}`, tag('cmd-empty')], { root });
    expect(r.stderr).toMatch(refusal(tag('cmd-empty')));
    expect(r.stdout).toBe('');
    expect(r.code).toBe(125);
    if (linux) expect(await leftovers(`mk-empty-cmd-${process.pid}`, root)).toEqual([]);
  });

  it('bundle treats Entrypoint [""] as no Entrypoint: process.args is the Cmd', async () => {
    const dir = join(work, 'ep-empty');
    const r = await runCli(['bundle', '-q', tag('ep-empty'), dir], { root });
    expect(r.code).toBe(0);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: { args: string[] } };
    expect(config.process.args).toEqual(['echo', 'from the image Cmd']);
  });

  it.runIf(linux)('run treats Entrypoint [""] as no Entrypoint (the Cmd runs); arguments replace a Cmd of [""]', async () => {
    const byCmd = await runCli(['run', '-q', tag('ep-empty')], { root });
    expect(byCmd.stdout).toBe('from the image Cmd\n');
    expect(byCmd.code).toBe(0);
    const byArgs = await runCli(['run', '-q', tag('cmd-empty'), 'echo', 'given'], { root });
    expect(byArgs.stdout).toBe('given\n');
    expect(byArgs.code).toBe(0);
  });
});
