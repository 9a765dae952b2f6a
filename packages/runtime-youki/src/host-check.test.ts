import { describe, expect, it } from 'vitest';
import { Platform } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { assertYoukiHost, missingForYouki } from './host-check.js';

describe('host check', async () => {
  const host = (await Platform.detect()).toJSON();
  const fake = (over: { uid?: number; os?: NodeJS.Platform; ns?: boolean; cgroups?: boolean }): Platform =>
    new Platform({
      ...host,
      os: over.os ?? 'linux',
      uid: over.uid ?? 0,
      capabilities: {
        ...host.capabilities,
        namespaces: { ...host.capabilities.namespaces, available: over.ns ?? true, reason: 'namespaces: cannot unshare (test)' },
        cgroups: { ...host.capabilities.cgroups, available: over.cgroups ?? true, reason: 'no cgroup hierarchy mounted (test)' },
      },
    });

  it('a root Linux host with namespaces and cgroups lacks nothing', () => {
    expect(missingForYouki(fake({}))).toEqual([]);
    expect(() => assertYoukiHost(fake({}))).not.toThrow();
  });

  it('UNAVAILABLE names each missing piece: root, namespaces, cgroups', async () => {
    const e = await expectCode(() => assertYoukiHost(fake({ uid: 1000, ns: false, cgroups: false })), 'UNAVAILABLE');
    expect(e.message).toMatch(/root \(the effective uid is 1000/);
    expect(e.message).toMatch(/namespaces \(namespaces: cannot unshare \(test\)\)/);
    expect(e.message).toMatch(/cgroups \(no cgroup hierarchy mounted \(test\)\)/);
    expect(e.details['missing']).toHaveLength(3);
  });

  it('a host that is not Linux lacks Linux', () => {
    expect(missingForYouki(fake({ os: 'darwin' }))).toEqual(['Linux (this host runs darwin)']);
  });
});
