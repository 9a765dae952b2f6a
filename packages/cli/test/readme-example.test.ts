// The README's TypeScript example is this directory's readme-example.ts: run it for real, and check the
// README shows it verbatim so the documented code is the tested code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { canRun, Capability, Platform } from '@magikrun/core';
import { describe, expect, inject, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { runImage, runStepByStep } from './readme-example.js';
import { tempDir } from './support.js';

const images = inject('images');
const linux = canRun(await Platform.detect(), [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);
const repo = join(import.meta.dirname, '..', '..', '..');

/** Two streams for the example's stdio and the text each received. */
function capture(): { stdout: PassThrough; stderr: PassThrough; text: { stdout: string; stderr: string } } {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), text: { stdout: '', stderr: '' } };
  io.stdout.on('data', (c: Buffer) => (io.text.stdout += c.toString()));
  io.stderr.on('data', (c: Buffer) => (io.text.stderr += c.toString()));
  return io;
}

describe('README example', () => {
  it('is shown verbatim in README.md', async () => {
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    const example = await readFile(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    expect(readme).toContain('```ts\n' + example.trimEnd() + '\n```');
  });

  for (const [name, runIt] of [['run()', runImage], ['await using createContainer()', runStepByStep]] as const) {
    it(`${name}: pulls, builds and runs the hello image, returning its exit status; no bundle is left`, async () => {
      const { dir, cleanup } = await tempDir('magikrun-readme-');
      try {
        const io = capture();
        const status = await runIt(images.refs.hello, ['from-the-readme'], { ...io, root: dir });
        expect(status).toEqual({ code: 0, reason: 'exited' });
        expect(io.text.stdout).toContain('argv[1]=from-the-readme');
        expect(io.text.stderr).toContain('this line goes to stderr');
        expect(await readdir(join(dir, 'bundles'))).toEqual([]);
      } finally {
        await cleanup();
      }
    });

    it.runIf(linux)(`${name}: runs the busybox Linux image through the same code (youki), returning its exit status`, async () => {
      const { dir, cleanup } = await tempDir('magikrun-readme-linux-');
      try {
        const io = capture();
        const status = await runIt(images.refs.busybox, ['sh', '-c', 'echo "out $IMAGE_VAR in $PWD"; echo err >&2; exit 4'], { ...io, root: dir });
        expect(status).toEqual({ code: 4, reason: 'exited' });
        expect(io.text.stdout).toBe('out from-image in /home/app\n');
        expect(io.text.stderr).toBe('err\n');
        expect(await readdir(join(dir, 'bundles'))).toEqual([]);
        const metadata = JSON.parse(await readFile(join(dir, 'snapshots', 'metadata.json'), 'utf8')) as { active?: Record<string, unknown> };
        expect(Object.keys(metadata.active ?? {})).toEqual([]); // the container's writable snapshot is gone
      } finally {
        await cleanup();
      }
    });
  }
});
