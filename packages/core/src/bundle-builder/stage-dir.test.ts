import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../test/support/outcome.js';
import { canRun } from '../platform/require.js';
import { Capability } from '../platform/types.js';
import { Platform } from '../platform/platform.js';
import { checkDestination, stageDirectory } from './stage-dir.js';

const platform = await Platform.detect();
// Mounting needs CAP_SYS_ADMIN, which the namespaces capability checks.
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-stage-'));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

describe('stageDirectory', () => {
  it('renames a built directory into place, over an empty one, and removes it when the build fails', async () => {
    const dest = path.join(parent, 'b');
    await mkdir(dest);
    await stageDirectory(dest, 'absent-or-empty', (tmp) => writeFile(path.join(tmp, 'f'), 'x'));
    expect(await readdir(dest)).toEqual(['f']);
    expect(await codeOf(stageDirectory(dest, 'absent-or-empty', async () => undefined))).toBe('ALREADY_EXISTS');
    const other = path.join(parent, 'c');
    await expect(stageDirectory(other, 'absent', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await readdir(parent)).sort()).toEqual(['b']);
  });

  describe.runIf(privileged)('an empty mount point as the destination', () => {
    it('is INVALID_ARGUMENT before anything is built (a rename cannot replace a mount point)', async () => {
      const dest = path.join(parent, 'mnt');
      await mkdir(dest);
      expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', dest]).status).toBe(0);
      try {
        let built = false;
        expect(await codeOf(checkDestination(dest, 'absent-or-empty'))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(stageDirectory(dest, 'absent-or-empty', async () => void (built = true)))).toBe('INVALID_ARGUMENT');
        expect(built).toBe(false);
        expect((await readdir(parent)).sort()).toEqual(['mnt']);
      } finally {
        spawnSync('umount', [dest]);
      }
    });
    it('a bind mount of a directory of the same filesystem is INVALID_ARGUMENT at the rename, and the staged tree is removed', async () => {
      const dest = path.join(parent, 'mnt');
      const src = path.join(parent, 'src');
      await mkdir(dest);
      await mkdir(src);
      expect(spawnSync('mount', ['--bind', src, dest]).status).toBe(0);
      try {
        expect(await codeOf(stageDirectory(dest, 'absent-or-empty', (tmp) => writeFile(path.join(tmp, 'f'), 'x')))).toBe('INVALID_ARGUMENT');
        expect((await readdir(parent)).sort()).toEqual(['mnt', 'src']);
        expect(await readdir(src)).toEqual([]);
      } finally {
        spawnSync('umount', [dest]);
      }
    });
  });
});
