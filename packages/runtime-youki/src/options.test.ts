import { describe, expect, it } from 'vitest';
import { expectCode } from '@magikrun/core/testing';
import { exitStatusOf, containerStateOf } from './exit-status.js';
import { defaultStateRoot } from './options.js';
import { YoukiRuntime } from './runtime.js';
import { planStdio } from './stdio/plan.js';

describe('options', () => {
  it('the default state root: /run/magikrun/youki for root, else under $XDG_RUNTIME_DIR, else a per-user temp dir', () => {
    expect(defaultStateRoot({}, 0)).toBe('/run/magikrun/youki');
    expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/magikrun/youki');
    expect(defaultStateRoot({ XDG_RUNTIME_DIR: 'relative' }, 1000)).toMatch(/magikrun-1000\/youki$/);
  });

  it('the constructor refuses a bad deleteTimeoutMs or stateRoot', async () => {
    await expectCode(() => new YoukiRuntime({ deleteTimeoutMs: 0 }), 'INVALID_ARGUMENT');
    await expectCode(() => new YoukiRuntime({ stateRoot: '' }), 'INVALID_ARGUMENT');
    expect(new YoukiRuntime({ stateRoot: 'relative/root' }).stateRoot).toBe(`${process.cwd()}/relative/root`);
  });
});

describe('stdio plan', () => {
  it("defaults to /dev/null, and to the log files with detach; 'pipe' and streams inherit a pipe", () => {
    expect(planStdio().monitor).toEqual({ stdin: { kind: 'null' }, stdout: { kind: 'null' }, stderr: { kind: 'null' } });
    expect(planStdio({}, true).monitor).toEqual({ stdin: { kind: 'null' }, stdout: { kind: 'log' }, stderr: { kind: 'log' } });
    const p = planStdio({ stdin: 'pipe', stdout: { path: 'out.txt', append: true }, stderr: 'pipe' });
    expect(p.monitor).toEqual({ stdin: { kind: 'inherit' }, stdout: { kind: 'file', path: `${process.cwd()}/out.txt`, append: true }, stderr: { kind: 'inherit' } });
    expect(p.spawn).toEqual(['pipe', 'ignore', 'pipe', 'pipe']);
  });

  it('refuses targets of another shape', async () => {
    await expectCode(() => planStdio({ stdout: 'nowhere' as never }), 'INVALID_ARGUMENT');
    await expectCode(() => planStdio({ stdin: 'log' as never }), 'INVALID_ARGUMENT');
    await expectCode(() => planStdio({ stderr: { path: '' } }), 'INVALID_ARGUMENT');
  });
});

describe('exit statuses and state documents', () => {
  it('maps the exit record: signal numbers to names, reasons as recorded', () => {
    expect(exitStatusOf({ code: 137, signal: 9, reason: 'killed', oomKills: 0, exitedAtMs: 1 })).toEqual({ code: 137, signal: 'SIGKILL', reason: 'killed' });
    expect(exitStatusOf({ code: 3, reason: 'exited', oomKills: 0, exitedAtMs: 1 })).toEqual({ code: 3, reason: 'exited' });
    expect(exitStatusOf({ code: 137, signal: 9, reason: 'oom', message: 'OOM', oomKills: 1, exitedAtMs: 1 })).toEqual({ code: 137, signal: 'SIGKILL', reason: 'oom', message: 'OOM' });
  });

  it("the state carries a pid only while created or running, no empty annotations, and runc's rootfs, created and owner", () => {
    const b = { ociVersion: '1.2.0', id: 'x', bundle: '/b', rootfs: '/b/rootfs', ownerUid: 0, monitorPid: 1, monitorAlive: true, createdAtMs: 0, stateDir: '/s', pid: 42 };
    const runc = { rootfs: '/b/rootfs', created: '1970-01-01T00:00:00.000Z', owner: 'root' };
    expect(containerStateOf({ ...b, status: 'running', annotations: {} })).toEqual({ ociVersion: '1.2.0', id: 'x', status: 'running', bundle: '/b', pid: 42, ...runc });
    expect(containerStateOf({ ...b, status: 'stopped', annotations: { a: 'b' } })).toEqual({ ociVersion: '1.2.0', id: 'x', status: 'stopped', bundle: '/b', annotations: { a: 'b' }, ...runc });
    const { owner: _, ...unowned } = runc;
    expect(containerStateOf({ ...b, ownerUid: undefined, status: 'stopped' })).toEqual({ ociVersion: '1.2.0', id: 'x', status: 'stopped', bundle: '/b', ...unowned });
  });
});
