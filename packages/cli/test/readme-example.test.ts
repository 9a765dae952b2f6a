// The README's TypeScript example is this directory's readme-example.ts: run it for real, and check the
// README shows it verbatim so the documented code is the tested code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { canRun, Capability, Platform } from '@magikrun/core';
import { describe, expect, inject, it } from 'vitest';
import { runImage } from './readme-example.js';
import { tempDir } from './support.js';

const images = inject('images');
const linux = canRun(await Platform.detect(), [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);
const repo = join(import.meta.dirname, '..', '..', '..');

describe('README example', () => {
  it('is shown verbatim in README.md', async () => {
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    const example = await readFile(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    expect(readme).toContain('```ts\n' + example.trimEnd() + '\n```');
  });

  it('pulls, builds and runs the hello image, returning its exit status', async () => {
    const { dir, cleanup } = await tempDir('magikrun-readme-');
    try {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let errText = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      stderr.on('data', (c: Buffer) => (errText += c.toString()));
      const status = await runImage(images.refs.hello, ['from-the-readme'], { stdout, stderr, root: dir });
      expect(status).toEqual({ code: 0, reason: 'exited' });
      expect(out).toContain('argv[1]=from-the-readme');
      expect(errText).toContain('this line goes to stderr');
    } finally {
      await cleanup();
    }
  });

  it.runIf(linux)('runs the busybox Linux image through the same code (youki), returning its exit status', async () => {
    const { dir, cleanup } = await tempDir('magikrun-readme-linux-');
    try {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let errText = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      stderr.on('data', (c: Buffer) => (errText += c.toString()));
      const status = await runImage(images.refs.busybox, ['sh', '-c', 'echo "out $IMAGE_VAR in $PWD"; echo err >&2; exit 4'], { stdout, stderr, root: dir });
      expect(status).toEqual({ code: 4, reason: 'exited' });
      expect(out).toBe('out from-image in /home/app\n');
      expect(errText).toBe('err\n');
    } finally {
      await cleanup();
    }
  });
});
