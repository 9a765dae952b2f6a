// Unit tests of the search logic (order, reasons, errors) with a stub importer. The evidence that a
// real install finds a real backend is test/installed-package.test.ts.
import { describe, expect, it } from 'vitest';
import { ErrorCode, Platform } from '@magikrun/core';
import type { OciRuntime, RuntimeCapabilities } from '@magikrun/core';
import { RuntimeRegistry } from './registry.js';
import type { RuntimeCandidate } from './candidates.js';

class StubRuntime {
  readonly capabilities: RuntimeCapabilities = { bundleKinds: ['wasm'], scope: 'process', limits: [], stdin: false, detach: false, process: { user: false, hostname: false }, networkModes: [] };
  constructor(readonly options?: Record<string, unknown>) {}
  get name(): string {
    return 'stub';
  }
}

const candidate = (over: Partial<RuntimeCandidate>): RuntimeCandidate => ({
  name: 'stub',
  packageName: '@example/stub',
  exportName: 'StubRuntime',
  bundleKinds: ['wasm'],
  requires: [],
  ...over,
});

describe('RuntimeRegistry', async () => {
  const platform = await Platform.detect();

  it('loads an installed candidate, passes its options, and finds it by bundle kind', async () => {
    const registry = await RuntimeRegistry.create(platform, {
      candidates: [candidate({})],
      importer: async () => ({ StubRuntime }),
      runtimeOptions: { stub: { fuel: 5 } },
    });
    expect(registry.availableRuntimes()).toEqual(['stub']);
    expect((registry.get('stub') as unknown as StubRuntime).options).toEqual({ fuel: 5 });
    expect(registry.forBundle('wasm')).toBe(registry.get('stub'));
    expect(registry.forBundle('oci')).toBeUndefined();
  });

  it('says "not installed" for a package that cannot be resolved, and keeps going', async () => {
    const registry = await RuntimeRegistry.create(platform, {
      candidates: [candidate({ name: 'absent', packageName: '@example/absent' }), candidate({})],
      importer: async (name) => {
        if (name === '@example/absent') throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
        return { StubRuntime };
      },
    });
    expect(registry.availableRuntimes()).toEqual(['stub']);
    expect(registry.unavailableRuntimes()).toEqual([
      expect.objectContaining({ name: 'absent', kind: 'not-installed', reason: expect.stringContaining('npm install @example/absent') }),
    ]);
    expect(() => registry.require('absent')).toThrow(expect.objectContaining({ code: ErrorCode.Unavailable }));
    expect(() => registry.require('nonsense')).toThrow(expect.objectContaining({ code: ErrorCode.NotFound }));
  });

  it('does not load a package whose host capability is missing, and gives the capability reason', async () => {
    let imported = false;
    const fakePlatform = Object.create(platform) as Platform;
    Object.defineProperty(fakePlatform, 'hasCapability', { value: () => false });
    const registry = await RuntimeRegistry.create(fakePlatform, {
      candidates: [candidate({ requires: ['kvm'] })],
      importer: async () => {
        imported = true;
        return { StubRuntime };
      },
    });
    expect(imported).toBe(false);
    expect(registry.unavailableRuntimes()[0]).toMatchObject({ kind: 'unsupported-host', reason: expect.stringMatching(/^kvm: /) });
    expect(() => registry.requireForBundle('wasm')).toThrow(/no runtime for wasm bundles is available \(stub: kvm: /);
  });

  it('reports a package that loads but fails (broken binding) as failed, with its message', async () => {
    const registry = await RuntimeRegistry.create(platform, {
      candidates: [candidate({})],
      importer: async () => {
        throw new Error('binding load failed: tried ./x.node');
      },
    });
    expect(registry.unavailableRuntimes()[0]).toMatchObject({ kind: 'failed', reason: expect.stringContaining('binding load failed') });
  });

  it('register() adds a hand-made runtime and clears its unavailable entry', async () => {
    const registry = await RuntimeRegistry.create(platform, { candidates: [candidate({})], importer: async () => ({}) });
    expect(registry.unavailableRuntimes()).toHaveLength(1);
    registry.register(new StubRuntime() as unknown as OciRuntime);
    expect(registry.availableRuntimes()).toEqual(['stub']);
    expect(registry.unavailableRuntimes()).toHaveLength(0);
  });
});
