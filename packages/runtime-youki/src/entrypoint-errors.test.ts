/**
 * An entrypoint libcontainer cannot exec — missing ("executable '…' not found in $PATH") or without an
 * execute bit ("… does not have correct permissions"), found by libcontainer's default executor while
 * it validates the spec inside the init — is the caller's to fix: `create` rejects with NOT_FOUND or
 * INVALID_ARGUMENT and `details.entrypoint` (argv[0]), not INTERNAL, and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { newId } from './test-support/run.js';
import { cgroupDirsMentioning, mountsUnder, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

describe.runIf(ready)('YoukiRuntime: an entrypoint that cannot be executed', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let base: OciBundle;

  beforeAll(async () => {
    ws = await workspace('entrypoint');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    base = await ws.build({ args: ['true'] });
  });
  afterAll(async () => {
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  async function expectNothingLeft(id: string, bundle: OciBundle): Promise<void> {
    await expectCode(rt.state(id), 'NOT_FOUND');
    expect(await cgroupDirsMentioning(`:youki:${id}`)).toEqual([]);
    expect(await mountsUnder(bundle.path)).toEqual([]);
  }

  it('a program missing from PATH is NOT_FOUND with details.entrypoint', async () => {
    const id = newId('no-exe');
    const bundle = await ws.clone(base, (c) => (c.process.args = ['no-such-program', '-x']));
    const e = await expectCode(rt.create(id, bundle), 'NOT_FOUND');
    expect(e.details).toMatchObject({ id, entrypoint: 'no-such-program' });
    expect(e.message).toContain('no-such-program');
    await expectNothingLeft(id, bundle);
  });

  it('an absolute path that does not exist is NOT_FOUND with details.entrypoint', async () => {
    const id = newId('no-path');
    const bundle = await ws.clone(base, (c) => (c.process.args = ['/no/such/file']));
    const e = await expectCode(rt.create(id, bundle), 'NOT_FOUND');
    expect(e.details).toMatchObject({ entrypoint: '/no/such/file' });
    await expectNothingLeft(id, bundle);
  });

  it('a file without an execute bit is INVALID_ARGUMENT with details.entrypoint', async () => {
    const id = newId('no-x');
    // Written into the clone's overlay upper layer as a plain 0644 file.
    const bundle = await ws.clone(base, (c) => (c.process.args = ['/script.sh']), { 'script.sh': '#!/bin/sh\necho hi\n' });
    const e = await expectCode(rt.create(id, bundle), 'INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ id, entrypoint: '/script.sh' });
    expect(e.message).toMatch(/permission/);
    await expectNothingLeft(id, bundle);
  });
});
