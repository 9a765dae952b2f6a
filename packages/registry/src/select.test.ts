// Unit tests of the selection logic with stub runtimes that declare capabilities. The evidence with
// real backends is the CLI's run tests (packages/cli/test), which select through this step.
import { describe, expect, it } from 'vitest';
import type { OciRuntime, RuntimeCapabilities } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { missingCapabilities, selectRuntime, type UnavailableCandidate } from './select.js';

function stub(name: string, over: Partial<RuntimeCapabilities>): OciRuntime {
  const capabilities: RuntimeCapabilities = { bundleKinds: ['wasm'], scope: 'process', limits: [], stdin: false, detach: false, process: { user: false, hostname: false }, networkModes: [], ...over };
  return { name, capabilities } as unknown as OciRuntime;
}

const inProcess = stub('inproc', { bundleKinds: ['wasm'], limits: ['memoryBytes', 'fuel', 'wallClockMs'], stdin: true });
const host = stub('hostrt', { bundleKinds: ['oci'], scope: 'host', limits: ['memoryBytes', 'cpus', 'pids'], stdin: true, detach: true, process: { user: true, hostname: true }, networkModes: ['none', 'host', 'path'] });
const vmMissing: UnavailableCandidate = { name: 'vm', bundleKinds: ['oci', 'microvm'], reason: 'no KVM' };

describe('selectRuntime', () => {
  it('takes the first kind a runtime runs, in order, and the first runtime with every need', () => {
    expect(selectRuntime([inProcess, host], [], { kinds: ['oci', 'wasm'] })).toMatchObject({ runtime: host, kind: 'oci', refused: [] });
    expect(selectRuntime([inProcess, host], [], { kinds: ['wasm'] })).toMatchObject({ runtime: inProcess, kind: 'wasm' });
  });

  it('falls back to the next kind, recording why each candidate of the first was refused', () => {
    const s = selectRuntime([inProcess], [vmMissing], { kinds: ['oci', 'wasm'] });
    expect(s).toMatchObject({ runtime: inProcess, kind: 'wasm' });
    expect(s.refused).toEqual([{ name: 'vm', kind: 'oci', why: 'unavailable', reason: 'vm: no KVM' }]);
  });

  it('a need no runtime of the kind has is UNSUPPORTED naming it; none installed is UNAVAILABLE', async () => {
    const e = await expectCode(() => selectRuntime([inProcess, host], [], { kinds: ['wasm'], needs: { limits: ['pids'] } }), 'UNSUPPORTED');
    expect(e.message).toContain('inproc cannot enforce pids');
    expect((e.details as { refused: unknown[] }).refused).toEqual([{ name: 'inproc', kind: 'wasm', why: 'needs', missing: [{ need: 'limits', limit: 'pids', phrase: 'cannot enforce pids' }], reason: 'inproc cannot enforce pids' }]);
    const u = await expectCode(() => selectRuntime([inProcess], [vmMissing], { kinds: ['oci'] }), 'UNAVAILABLE');
    expect(u.message).toContain('vm: no KVM');
  });

  it('needs: detach, outlive, stdin, user, hostname, network', () => {
    expect(missingCapabilities(inProcess, { detach: true, outlive: true, user: true, hostname: true, network: 'host' }).map((m) => m.phrase)).toEqual([
      'cannot detach',
      'keeps its containers inside the creating process',
      'cannot choose a user',
      'cannot set a hostname',
      'offers no network mode host',
    ]);
    expect(missingCapabilities(host, { detach: true, outlive: true, stdin: true, user: true, hostname: true, network: 'path', limits: ['memoryBytes'] })).toEqual([]);
    expect(missingCapabilities(host, { limits: ['fuel', 'wallClockMs'] })).toEqual([
      { need: 'limits', limit: 'fuel', phrase: 'cannot enforce fuel' },
      { need: 'limits', limit: 'wallClockMs', phrase: 'cannot enforce wallClockMs' },
    ]);
  });

  it('a named runtime: only it is considered; a kind it does not run is UNSUPPORTED; an unknown name NOT_FOUND; a missing one UNAVAILABLE', async () => {
    expect(selectRuntime([inProcess, host], [], { kinds: ['oci', 'wasm'], runtime: 'inproc' })).toMatchObject({ runtime: inProcess, kind: 'wasm' });
    const e = await expectCode(() => selectRuntime([inProcess, host], [], { kinds: ['oci'], runtime: 'inproc' }), 'UNSUPPORTED');
    expect(e.message).toContain('runtime inproc runs wasm bundles');
    await expectCode(() => selectRuntime([inProcess], [], { kinds: ['wasm'], runtime: 'nope' }), 'NOT_FOUND');
    await expectCode(() => selectRuntime([inProcess], [vmMissing], { kinds: ['oci'], runtime: 'vm' }), 'UNAVAILABLE');
  });
});
