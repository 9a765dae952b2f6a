import { describe, expect, it } from 'vitest';
import { isMagikrunError, type MagikrunError } from '../errors.js';
import { Platform } from './platform.js';
import { canRun, requireCapabilities, requiredCapabilities } from './require.js';
import { Capability } from './types.js';

function catchError(fn: () => unknown): MagikrunError {
  try {
    fn();
  } catch (e) {
    if (isMagikrunError(e)) return e;
    throw e;
  }
  throw new Error('expected a MagikrunError');
}

// A non-Linux platform description: only webassembly (and windows) are available.
const windows = await Platform.detect({ os: 'win32', arch: 'x64', hostRoot: '/nonexistent-magikrun', runCommand: async () => ({ code: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }) });

describe('requiredCapabilities', () => {
  it('parses a comma list, ignoring blanks and duplicates', () => {
    expect(requiredCapabilities(' namespaces, cgroups,,namespaces ')).toEqual(['namespaces', 'cgroups']);
    expect(requiredCapabilities('')).toEqual([]);
    expect(requiredCapabilities(undefined)).toEqual(requiredCapabilities(process.env['MAGIKRUN_REQUIRE'] ?? ''));
  });

  it('refuses unknown names so a typo does not require nothing', () => {
    const e = catchError(() => requiredCapabilities('namespace,kvm'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details['unknown']).toEqual(['namespace']);
  });
});

describe('requireCapabilities', () => {
  it('passes when everything required is there', () => {
    expect(() => requireCapabilities(windows, 'webassembly,windows')).not.toThrow();
    expect(() => requireCapabilities(windows, [])).not.toThrow();
  });

  it('throws UNAVAILABLE naming each missing capability and its reason', () => {
    const e = catchError(() => requireCapabilities(windows, 'webassembly,namespaces,kvm'));
    expect(e.code).toBe('UNAVAILABLE');
    expect(Object.keys(e.details['missing'] as object)).toEqual(['namespaces', 'kvm']);
    expect(e.message).toMatch(/namespaces \(namespaces are a Linux kernel feature; this host is win32\)/);
  });
});

describe('canRun', () => {
  it('is true when all needed are present, false when one is missing and not required', () => {
    expect(canRun(windows, [Capability.WebAssembly], '')).toBe(true);
    expect(canRun(windows, [Capability.WebAssembly, Capability.Kvm], '')).toBe(false);
    expect(canRun(windows, [Capability.Kvm], 'namespaces')).toBe(false);
  });

  it('throws instead of skipping when a missing one is required', () => {
    expect(catchError(() => canRun(windows, [Capability.Kvm], 'kvm,webassembly')).code).toBe('UNAVAILABLE');
  });
});
