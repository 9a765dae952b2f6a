// The youki candidate's host check: Linux and root, beyond the namespaces and cgroups capabilities.
import { describe, expect, it } from 'vitest';
import { Platform } from '@magikrun/core';
import { BUILTIN_CANDIDATES } from './candidates.js';

describe('the youki candidate', async () => {
  const host = await Platform.detect();
  const youki = BUILTIN_CANDIDATES.find((c) => c.name === 'youki');
  const as = (over: { uid?: number; os?: NodeJS.Platform }): Platform =>
    new Platform({ ...host.toJSON(), ...over });

  it('runs OCI bundles from @magikrun/runtime-youki and needs namespaces and cgroups', () => {
    expect(youki).toMatchObject({ packageName: '@magikrun/runtime-youki', exportName: 'YoukiRuntime', bundleKinds: ['oci'] });
    expect(youki?.requires).toEqual(['namespaces', 'cgroups']);
  });

  it('accepts root on Linux, and names root or Linux when they are missing', () => {
    expect(youki?.check?.(as({ uid: 0, os: 'linux' }))).toBeUndefined();
    expect(youki?.check?.(as({ uid: 1000, os: 'linux' }))).toMatch(/need root .*uid is 1000/);
    expect(youki?.check?.(as({ uid: 0, os: 'darwin' }))).toMatch(/need Linux/);
  });
});
