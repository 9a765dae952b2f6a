import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@magikrun/core';
import { networkFromFlag, resourcesFromFlags } from './resource-flags.js';
import { reportExit } from './report-exit.js';
import { statusText } from './commands/ps.js';
import { stopTimeoutMs } from './commands/stop.js';

const code = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  return 'no error';
};

describe('Linux run flags', () => {
  it('parses --memory, --cpus and --pids-limit into bytes, a decimal and a count', () => {
    expect(resourcesFromFlags({ memory: '64mb', cpus: '0.5', pidsLimit: '20' })).toEqual({ memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pids: 20 });
    expect(resourcesFromFlags({})).toBeUndefined();
  });

  it('refuses malformed values with INVALID_ARGUMENT', () => {
    for (const flags of [{ memory: 'lots' }, { memory: '-1mb' }, { cpus: 'half' }, { cpus: '-1' }, { pidsLimit: '0' }, { pidsLimit: '1.5' }]) {
      expect(code(() => resourcesFromFlags(flags)), JSON.stringify(flags)).toBe(ErrorCode.InvalidArgument);
    }
  });

  it('takes --network none, host or an absolute namespace path, nothing else', () => {
    expect(networkFromFlag(undefined)).toBeUndefined();
    expect(['none', 'host', '/run/netns/x'].map(networkFromFlag)).toEqual(['none', 'host', '/run/netns/x']);
    for (const bad of ['bridge', 'run/netns/x', '']) expect(code(() => networkFromFlag(bad)), bad).toBe(ErrorCode.InvalidArgument);
  });

  it('stop -t takes whole seconds (default 10 s)', () => {
    expect([undefined, '0', '3'].map(stopTimeoutMs)).toEqual([10_000, 0, 3000]);
    for (const bad of ['1.5', '-1', 'soon']) expect(code(() => stopTimeoutMs(bad)), bad).toBe(ErrorCode.InvalidArgument);
  });
});

describe('how a run ends', () => {
  const sink = () => {
    let text = '';
    return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };

  it('names the OOM killer and exits 137; says nothing for a plain exit', () => {
    const oom = sink();
    expect(reportExit('c1', { code: 137, reason: 'oom', signal: 'SIGKILL' }, oom.stream)).toBe(137);
    expect(oom.text()).toMatch(/c1: killed by the out-of-memory killer \(exit 137\)/);
    const plain = sink();
    expect(reportExit('c2', { code: 3, reason: 'exited' }, plain.stream)).toBe(3);
    expect(plain.text()).toBe('');
  });

  it('ps shows how a stopped container ended', () => {
    expect(statusText({ status: 'running' })).toBe('running');
    expect(statusText({ status: 'stopped', exit: { code: 3, reason: 'exited' } })).toBe('exited (3)');
    expect(statusText({ status: 'stopped', exit: { code: 137, reason: 'oom' } })).toBe('oom-killed (137)');
    expect(statusText({ status: 'stopped' })).toBe('stopped');
  });
});
