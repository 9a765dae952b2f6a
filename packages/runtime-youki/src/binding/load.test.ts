import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectCode } from '@magikrun/core/testing';
import { BINDING_ENV, loadBinding, MONITOR_ENV, platformSuffix, resetBindingForTests } from './load.js';

const pkg = path.resolve(import.meta.dirname, '../..');

describe('loadBinding', () => {
  afterEach(() => resetBindingForTests());

  it('loads the local .node and finds the monitor beside it', () => {
    const { binding, monitorPath } = loadBinding({});
    expect(typeof binding.BindingRuntime).toBe('function');
    expect(monitorPath).toBe(path.join(pkg, `magikrun-youki-monitor.${platformSuffix()}`));
  });

  it(`${BINDING_ENV} pointing nowhere is UNAVAILABLE and names what was tried`, async () => {
    const e = await expectCode(() => loadBinding({ [BINDING_ENV]: '/nonexistent/magikrun-youki.node' }), 'UNAVAILABLE');
    expect(e.message).toContain('/nonexistent/magikrun-youki.node');
    expect(e.details['attempts']).toHaveLength(1);
  });

  it(`${MONITOR_ENV} pointing at a missing or non-executable file is UNAVAILABLE naming the monitor`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'magikrun-youki-load-'));
    try {
      const e = await expectCode(() => loadBinding({ [MONITOR_ENV]: path.join(dir, 'missing') }), 'UNAVAILABLE');
      expect(e.message).toMatch(/monitor .*missing .*from MAGIKRUN_YOUKI_MONITOR/);
      const plain = path.join(dir, 'plain');
      await writeFile(plain, '#!/bin/sh\n', { mode: 0o644 });
      await expectCode(() => loadBinding({ [MONITOR_ENV]: plain }), 'UNAVAILABLE');
      expect(loadBinding({ [MONITOR_ENV]: '/bin/true' }).monitorPath).toBe('/bin/true');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
