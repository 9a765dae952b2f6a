/**
 * `describeOciRuntime`: the lifecycle conformance suite every backend runs against a real engine.
 *
 * It checks the OCI runtime spec's operations (runtime.md "Operations" and "Lifecycle"), the state JSON
 * (runtime.md "State", schema/state-schema.json), the one lifecycle table (`INVALID_STATE` with
 * `details.status`), `ExitStatus` codes (128 + signal for signals, 137 for SIGKILL, 143 for SIGTERM),
 * stdio separation, `wait`, `stop` (stop signal, then SIGKILL) and `list`.
 *
 * What the fixture's bundles must do:
 * - `exitBundle(code, { stdout, stderr })` writes exactly those strings to stdout and stderr, then exits
 *   with `code`.
 * - `sleepBundle()` blocks in a host call (a sleep) for an hour or more; SIGTERM must end it (with
 *   `posix` signals: a process that is pid 1 of its pid namespace ignores SIGTERM unless it has a
 *   handler, so give it one — e.g. a shell `trap 'exit 143' TERM` — or run it under an init);
 *   SIGWINCH must not end it.
 *
 * Contract points a reader might not expect, all from the OciRuntime docs:
 * - `wait` resolves only after all output reached file and `Writable` targets; `'pipe'` streams end.
 * - A file target without `append` is truncated; with `append: true` it is appended to.
 * - Every operation on an id that does not exist is `NOT_FOUND`; a malformed id is `INVALID_ARGUMENT`.
 *
 * @module testing/describe-oci-runtime
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../runtime/bundle.js';
import { isMagikrunError } from '../errors.js';
import type { ContainerState, ContainerStatus, CreateOptions, ExitStatus, OciRuntime } from '../runtime/types.js';
import { LIMIT_NAMES, type ResourceLimits } from '../runtime/limits.js';
import { isHostScoped, type HostScopedRuntime } from '../runtime/host-scoped.js';
import { expectCode } from './expect-error.js';
import type { ConformanceCapabilities, ConformanceFixture } from './types.js';

/** Options of {@link describeOciRuntime}. */
export interface OciConformanceOptions {
  /** Timeout of each test and hook, in ms. A kill that does not end a sleeping workload fails by this timeout. @default 60000 */
  timeoutMs?: number;
}

/** The keys a state document may have: runtime.md "State", plus what `runc state` also prints. */
const STATE_KEYS = ['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations', 'rootfs', 'created', 'owner'] as const;
/** RFC 3339 in UTC, as `Date.prototype.toISOString` writes it. */
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function collect(stream: Readable | undefined, what: string): Promise<string> {
  expect(stream, `${what} must be a readable stream for 'pipe' stdio`).toBeDefined();
  let text = '';
  for await (const chunk of stream as Readable) text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return text;
}

/** A Writable that keeps what it is given. */
function sink(): Writable & { text(): string } {
  const parts: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(Buffer.from(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(parts).toString('utf8') });
}

/**
 * Register the OciRuntime conformance suite.
 *
 * @param name shown in the suite title
 * @param factory called once before the suite: a fresh runtime (own state root) and bundle makers
 * @param capabilities what the backend supports: state `pid`, and `posix` or `terminate-only` signals
 */
export function describeOciRuntime(
  name: string,
  factory: () => Promise<ConformanceFixture>,
  capabilities: ConformanceCapabilities,
  options: OciConformanceOptions = {},
): void {
  const timeout = options.timeoutMs ?? 60_000;

  describe(`OciRuntime conformance: ${name}`, { timeout }, () => {
    let fx: ConformanceFixture;
    let rt: OciRuntime;
    let tmp: string;
    const tracked = new Set<string>();
    let counter = 0;

    beforeAll(async () => {
      fx = await factory();
      rt = fx.runtime;
      tmp = await mkdtemp(path.join(tmpdir(), 'magikrun-conformance-'));
    }, timeout);

    afterEach(async () => {
      for (const id of tracked) {
        try {
          await rt.delete(id, { force: true });
        } catch (e) {
          if (!isMagikrunError(e, 'NOT_FOUND')) throw e;
        }
      }
      tracked.clear();
    }, timeout);

    afterAll(async () => {
      await fx?.cleanup?.();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }, timeout);

    const newId = (): string => `conf-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

    async function create(bundle: Bundle, opts?: CreateOptions, id = newId()): Promise<{ id: string; state: ContainerState; bundle: Bundle }> {
      tracked.add(id);
      const state = await rt.create(id, bundle, opts);
      return { id, state, bundle };
    }

    async function started(bundle: Bundle, opts?: CreateOptions): Promise<string> {
      const { id } = await create(bundle, opts);
      await rt.start(id);
      return id;
    }

    /** The state serialises with only the OCI keys and runc's additions, and matches what we know. */
    function expectState(state: ContainerState, id: string, bundle: Bundle, status: ContainerStatus): void {
      const json = JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
      const keys = Object.keys(json);
      for (const k of keys) expect(STATE_KEYS as readonly string[], `unexpected key "${k}" in the state JSON`).toContain(k);
      for (const k of ['ociVersion', 'id', 'status', 'bundle']) expect(keys, `the state JSON lacks "${k}"`).toContain(k);
      expect(json['ociVersion']).toMatch(/^\d+\.\d+\.\d+/);
      expect(json['id']).toBe(id);
      expect(json['status']).toBe(status);
      expect(json['bundle']).toBe(bundle.path);
      expect(path.isAbsolute(String(json['bundle']))).toBe(true);
      if (capabilities.pid && (status === 'created' || status === 'running')) {
        expect(keys, `a ${status} container's state must carry its pid`).toContain('pid');
      }
      if (!capabilities.pid) expect(keys, 'a backend without pid capability must not report a pid').not.toContain('pid');
      if ('pid' in json) {
        expect(Number.isSafeInteger(json['pid']) && (json['pid'] as number) > 0, `pid ${String(json['pid'])}`).toBe(true);
      }
      if ('annotations' in json) {
        for (const v of Object.values(json['annotations'] as object)) expect(typeof v).toBe('string');
      }
      if (rt.capabilities.scope === 'host') {
        // A runc-compatible command prints these for every container it lists or is asked about.
        for (const k of ['created', 'owner']) expect(keys, `a host-scoped runtime's state lacks "${k}"`).toContain(k);
        if (bundle.kind === 'oci') expect(json['rootfs'], 'an OCI container state names its rootfs').toBe(bundle.rootfs);
      }
      if ('created' in json) {
        expect(String(json['created'])).toMatch(RFC3339_UTC);
        const ms = Date.parse(String(json['created']));
        expect(ms <= Date.now() && ms > Date.now() - 3_600_000, `created ${String(json['created'])} is not a recent time`).toBe(true);
      }
      if ('owner' in json) expect(String(json['owner'])).toMatch(/^(#\d+|[^\s:#][^\s:]*)$/);
      if ('rootfs' in json) expect(path.isAbsolute(String(json['rootfs']))).toBe(true);
    }

    function expectSignaledBy(status: ExitStatus, signal: 'SIGTERM'): void {
      expect(status.code).toBe(143);
      if (capabilities.signals === 'terminate-only') {
        expect(status).toMatchObject({ reason: 'signaled', signal });
      } else if (status.reason === 'signaled') {
        expect(status.signal).toBe(signal); // the default action ended the process
      } else {
        expect(status.reason, JSON.stringify(status)).toBe('exited'); // its handler exited with 143
      }
    }

    function expectKilled(status: ExitStatus): void {
      expect(status).toMatchObject({ code: 137, reason: 'killed', signal: 'SIGKILL' });
    }

    it('describes itself: name and capabilities (bundle kinds, scope, limits, stdin, detach, process, network)', async () => {
      expect(typeof rt.name).toBe('string');
      expect(rt.name.length).toBeGreaterThan(0);
      const caps = rt.capabilities;
      expect(['host', 'process']).toContain(caps.scope);
      const exit = await fx.exitBundle(0);
      const sleep = await fx.sleepBundle();
      expect(caps.bundleKinds).toContain(exit.kind);
      expect(caps.bundleKinds).toContain(sleep.kind);
      for (const l of caps.limits) expect(LIMIT_NAMES).toContain(l);
      expect(typeof caps.stdin).toBe('boolean');
      expect(typeof caps.detach).toBe('boolean');
      expect(caps.process).toEqual({ user: expect.any(Boolean) as boolean, hostname: expect.any(Boolean) as boolean });
      for (const m of caps.networkModes) expect(['none', 'host', 'path']).toContain(m);
      if (caps.detach) expect(caps.scope, 'a detached container must outlive its creator').toBe('host');
      if (caps.scope === 'host') {
        const host = rt as HostScopedRuntime;
        for (const m of ['inspect', 'containers', 'logs'] as const) expect(typeof host[m], `a host-scoped runtime has ${m}()`).toBe('function');
      }
    });

    describe('capabilities are enforced, never ignored', () => {
      const sample: Required<ResourceLimits> = { memoryBytes: 64 * 1024 * 1024, cpus: 1, pids: 64, wallClockMs: 60_000, fuel: 1_000_000 };
      for (const limit of LIMIT_NAMES) {
        it(`a bundle limiting ${limit}: UNSUPPORTED (nothing left) unless capabilities.limits declares it`, async () => {
          const bundle = { ...(await fx.exitBundle(0)), resources: { [limit]: sample[limit] } } as Bundle;
          const id = newId();
          if (!rt.capabilities.limits.includes(limit)) {
            const e = await expectCode(rt.create(id, bundle), 'UNSUPPORTED', `create with resources.${limit}`);
            expect(e.message).toContain(limit);
            await expectCode(rt.state(id), 'NOT_FOUND', 'state after the refused create');
            return;
          }
          // Declared: never refused as unsupported (a backend whose bundles carry limits elsewhere, such as
          // config.json, may refuse a bundle whose copy disagrees: that is INVALID_ARGUMENT). Each backend's
          // own tests hit the limit for real.
          const e = await rt.create(id, bundle).then(
            () => void tracked.add(id),
            (x: unknown) => x,
          );
          if (e !== undefined) {
            expect(isMagikrunError(e) ? e.code : String(e), `create with a declared limit ${limit}`).not.toBe('UNSUPPORTED');
          }
        });
      }

      it('stdin from a pipe needs capabilities.stdin; detach needs capabilities.detach', async () => {
        if (!rt.capabilities.stdin) {
          const id = newId();
          await expectCode(rt.create(id, await fx.exitBundle(0), { stdio: { stdin: 'pipe' } }), 'UNSUPPORTED', 'create with stdin');
          await expectCode(rt.state(id), 'NOT_FOUND', 'state after the refused create');
        }
        if (!rt.capabilities.detach) {
          const id = newId();
          await expectCode(rt.create(id, await fx.exitBundle(0), { detach: true }), 'UNSUPPORTED', 'create with detach');
          await expectCode(rt.state(id), 'NOT_FOUND', 'state after the refused create');
        }
        if (rt.capabilities.stdin && rt.capabilities.detach) {
          expect(rt.capabilities).toMatchObject({ stdin: true, detach: true }); // nothing to refuse
        }
      });
    });

    describe('host-scoped containers: inspect, containers, logs', () => {
      it('inspect matches state; containers lists it with a creation time; a stopped one carries its exit status', async () => {
        if (rt.capabilities.scope !== 'host') {
          expect(isHostScoped(rt)).toBe(false); // 'process' scope: list() and state() are all there is
          return;
        }
        const host = rt as HostScopedRuntime;
        const before = Date.now();
        const id = await started(await fx.exitBundle(4));
        await rt.wait(id);
        const d = await host.inspect(id);
        expect(d.state).toEqual(await rt.state(id));
        expect(d.createdAt).toBeInstanceOf(Date);
        expect(d.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(d.exit).toMatchObject({ code: 4, reason: 'exited' });
        expect(d.logFiles).toEqual({});
        const listed = (await host.containers()).find((c) => c.state.id === id);
        expect(listed?.state.status).toBe('stopped');
        expect(listed?.exit).toMatchObject({ code: 4 });
        expect(host.logs(id)).toEqual({});
        await expectCode(host.inspect(`${id}-absent`), 'NOT_FOUND', 'inspect of an unknown id');
      });

      it('detach: stdout and stderr go to logs that any process reads, followed to the end', async () => {
        if (!rt.capabilities.detach) return; // refused with UNSUPPORTED: see above
        const host = rt as HostScopedRuntime;
        const id = await started(await fx.exitBundle(0, { stdout: 'to the log\n', stderr: 'err log\n' }), { detach: true });
        const logs = host.logs(id, { follow: true });
        const [out, errText] = await Promise.all([collect(logs.stdout, 'logs stdout'), collect(logs.stderr, 'logs stderr')]);
        expect(out).toBe('to the log\n');
        expect(errText).toBe('err log\n');
        expect(await rt.wait(id)).toMatchObject({ code: 0, reason: 'exited' });
        const d = await host.inspect(id);
        expect(d.logFiles.stdout && path.isAbsolute(d.logFiles.stdout)).toBe(true);
      });
    });

    describe('create, start, state', () => {
      it('create resolves with status created, and state serialises with exactly the OCI keys', async () => {
        const bundle = await fx.exitBundle(0);
        const { id, state } = await create(bundle);
        expectState(state, id, bundle, 'created');
        expectState(await rt.state(id), id, bundle, 'created');
      });

      it('start moves a container to running', async () => {
        const bundle = await fx.sleepBundle();
        const id = await started(bundle);
        expectState(await rt.state(id), id, bundle, 'running');
      });

      it('a stopped container reports status stopped with the OCI keys', async () => {
        const bundle = await fx.exitBundle(0);
        const id = await started(bundle);
        await rt.wait(id);
        expectState(await rt.state(id), id, bundle, 'stopped');
      });
    });

    describe('exit status and output', () => {
      it('exit code 0 is exact', async () => {
        const id = await started(await fx.exitBundle(0));
        const status = await rt.wait(id);
        expect(status).toMatchObject({ code: 0, reason: 'exited' });
        expect(status.signal).toBeUndefined();
      });

      it('exit code 3 is exact', async () => {
        const id = await started(await fx.exitBundle(3));
        expect(await rt.wait(id)).toMatchObject({ code: 3, reason: 'exited' });
      });

      it('wait on a stopped container resolves again with the same status', async () => {
        const id = await started(await fx.exitBundle(3));
        const first = await rt.wait(id);
        expect(await rt.wait(id)).toEqual(first);
      });

      it('wait called before start resolves once the started container exits', async () => {
        const { id } = await create(await fx.exitBundle(3));
        const waiting = rt.wait(id);
        await rt.start(id);
        expect(await waiting).toMatchObject({ code: 3, reason: 'exited' });
      });

      it("'pipe' gives separate stdout and stderr streams that end when the container exits", async () => {
        const bundle = await fx.exitBundle(0, { stdout: 'to stdout\n', stderr: 'to stderr\n' });
        const { id } = await create(bundle, { stdio: { stdout: 'pipe', stderr: 'pipe' } });
        const streams = rt.streams(id);
        const out = collect(streams.stdout, 'stdout');
        const errText = collect(streams.stderr, 'stderr');
        await rt.start(id);
        expect(await rt.wait(id)).toMatchObject({ code: 0 });
        expect(await out).toBe('to stdout\n');
        expect(await errText).toBe('to stderr\n');
      });

      it('file targets receive stdout and stderr separately; append appends, otherwise truncates', async () => {
        const dir = await mkdtemp(path.join(tmp, 'files-'));
        const outFile = path.join(dir, 'out.log');
        const errFile = path.join(dir, 'err.log');
        await writeFile(outFile, 'previous\n');
        await writeFile(errFile, 'stale content that must be truncated away\n');
        const bundle = await fx.exitBundle(3, { stdout: 'file out\n', stderr: 'file err\n' });
        const id = await started(bundle, { stdio: { stdout: { path: outFile, append: true }, stderr: { path: errFile } } });
        expect(await rt.wait(id)).toMatchObject({ code: 3 });
        expect(await readFile(outFile, 'utf8')).toBe('previous\nfile out\n');
        expect(await readFile(errFile, 'utf8')).toBe('file err\n');
      });

      it('Writable targets receive all output by the time wait resolves, and are not ended', async () => {
        const out = sink();
        const errSink = sink();
        const id = await started(await fx.exitBundle(0, { stdout: 'w out', stderr: 'w err' }), { stdio: { stdout: out, stderr: errSink } });
        await rt.wait(id);
        expect(out.text()).toBe('w out');
        expect(errSink.text()).toBe('w err');
        expect(out.writableEnded).toBe(false);
      });

      it("output to 'ignore' (the default) does not block the workload", async () => {
        const id = await started(await fx.exitBundle(0, { stdout: 'x'.repeat(256 * 1024), stderr: 'y'.repeat(256 * 1024) }));
        expect(await rt.wait(id)).toMatchObject({ code: 0, reason: 'exited' });
      });
    });

    describe('lifecycle table', () => {
      it('start twice is INVALID_STATE carrying the status (running, then stopped)', async () => {
        const id = await started(await fx.sleepBundle());
        const e = await expectCode(rt.start(id), 'INVALID_STATE');
        expect(e.details['status']).toBe('running');
        await rt.kill(id, 'SIGKILL');
        await rt.wait(id);
        expect((await expectCode(rt.start(id), 'INVALID_STATE')).details['status']).toBe('stopped');
      });

      it('kill of a stopped container is INVALID_STATE', async () => {
        const id = await started(await fx.exitBundle(0));
        await rt.wait(id);
        const e = await expectCode(rt.kill(id, 'SIGKILL'), 'INVALID_STATE');
        expect(e.details['status']).toBe('stopped');
      });

      it('delete of a created container without force is INVALID_STATE, and it stays', async () => {
        const bundle = await fx.exitBundle(0);
        const { id } = await create(bundle);
        expect((await expectCode(rt.delete(id), 'INVALID_STATE')).details['status']).toBe('created');
        expectState(await rt.state(id), id, bundle, 'created');
      });

      it('delete of a running container without force is INVALID_STATE; with force it is gone', async () => {
        const bundle = await fx.sleepBundle();
        const id = await started(bundle);
        expect((await expectCode(rt.delete(id), 'INVALID_STATE')).details['status']).toBe('running');
        expectState(await rt.state(id), id, bundle, 'running');
        await rt.delete(id, { force: true });
        await expectCode(rt.state(id), 'NOT_FOUND');
        expect((await rt.list()).map((s) => s.id)).not.toContain(id);
      });

      it('delete of a stopped container frees its id for reuse', async () => {
        const bundle = await fx.exitBundle(0);
        const { id } = await create(bundle);
        await rt.start(id);
        await rt.wait(id);
        await rt.delete(id);
        await expectCode(rt.state(id), 'NOT_FOUND');
        const again = await create(await fx.exitBundle(3), undefined, id);
        expectState(again.state, id, again.bundle, 'created');
        await rt.start(id);
        expect(await rt.wait(id)).toMatchObject({ code: 3 });
      });

      it('an unknown id is NOT_FOUND for every operation', async () => {
        const id = newId();
        await expectCode(rt.start(id), 'NOT_FOUND', 'start');
        await expectCode(rt.state(id), 'NOT_FOUND', 'state');
        await expectCode(rt.kill(id, 'SIGKILL'), 'NOT_FOUND', 'kill');
        await expectCode(rt.delete(id), 'NOT_FOUND', 'delete');
        await expectCode(rt.delete(id, { force: true }), 'NOT_FOUND', 'delete --force');
        await expectCode(rt.wait(id), 'NOT_FOUND', 'wait');
        await expectCode(rt.stop(id, { timeoutMs: 1000 }), 'NOT_FOUND', 'stop');
        await expectCode(() => rt.streams(id), 'NOT_FOUND', 'streams');
      });

      it('create with an id in use is ALREADY_EXISTS and leaves the first container alone', async () => {
        const bundle = await fx.exitBundle(0);
        const { id } = await create(bundle);
        await expectCode(rt.create(id, await fx.exitBundle(3)), 'ALREADY_EXISTS');
        expectState(await rt.state(id), id, bundle, 'created');
        await rt.start(id);
        expect(await rt.wait(id)).toMatchObject({ code: 0 });
      });

      it('malformed ids are INVALID_ARGUMENT', async () => {
        const bundle = await fx.exitBundle(0);
        for (const bad of ['../x', '', '.', '..', 'a/b', 'x\0y']) {
          await expectCode(rt.create(bad, bundle), 'INVALID_ARGUMENT', `create(${JSON.stringify(bad)})`);
          await expectCode(rt.state(bad), 'INVALID_ARGUMENT', `state(${JSON.stringify(bad)})`);
          await expectCode(rt.delete(bad, { force: true }), 'INVALID_ARGUMENT', `delete(${JSON.stringify(bad)})`);
        }
      });
    });

    describe('signals, stop, list', () => {
      it('SIGKILL ends a workload blocked in a sleep: killed, 137', async () => {
        const id = await started(await fx.sleepBundle());
        await rt.kill(id, 'SIGKILL');
        expectKilled(await rt.wait(id));
        expect((await rt.state(id)).status).toBe('stopped');
      });

      it('SIGTERM ends a sleeping workload with 143', async () => {
        const id = await started(await fx.sleepBundle());
        await rt.kill(id, 'SIGTERM');
        expectSignaledBy(await rt.wait(id), 'SIGTERM');
      });

      it('kill without a signal sends SIGTERM', async () => {
        const id = await started(await fx.sleepBundle());
        await rt.kill(id);
        expectSignaledBy(await rt.wait(id), 'SIGTERM');
      });

      it('a signal whose default action is ignore (SIGWINCH) does not end it', async () => {
        const id = await started(await fx.sleepBundle());
        await rt.kill(id, 'SIGWINCH');
        expect((await rt.state(id)).status).toBe('running');
        await rt.kill(id, 'SIGKILL');
        expectKilled(await rt.wait(id));
      });

      it('kill of a created container is allowed and stops it', async () => {
        const { id } = await create(await fx.sleepBundle());
        await rt.kill(id, 'SIGKILL');
        expectKilled(await rt.wait(id));
        expect((await rt.state(id)).status).toBe('stopped');
      });

      it('stop of a sleeping workload sends SIGTERM and resolves with its exit status', async () => {
        const id = await started(await fx.sleepBundle());
        expectSignaledBy(await rt.stop(id, { timeoutMs: 30_000 }), 'SIGTERM');
        expect((await rt.state(id)).status).toBe('stopped');
      });

      it('stop escalates to SIGKILL when the stop signal is ignored', async () => {
        const id = await started(await fx.sleepBundle());
        expectKilled(await rt.stop(id, { signal: 'SIGWINCH', timeoutMs: 200 }));
      });

      it('stop with an AbortSignal is ABORTED: before it begins nothing is sent, in the grace period no SIGKILL follows', async () => {
        const id = await started(await fx.sleepBundle());
        await expectCode(rt.stop(id, { abortSignal: AbortSignal.abort() }), 'ABORTED');
        expect((await rt.state(id)).status).toBe('running');
        const ac = new AbortController();
        const stopping = rt.stop(id, { signal: 'SIGWINCH', timeoutMs: 60_000, abortSignal: ac.signal });
        setTimeout(() => ac.abort(), 200);
        await expectCode(stopping, 'ABORTED');
        await new Promise((r) => setTimeout(r, 300));
        expect((await rt.state(id)).status, 'an aborted stop must not escalate to SIGKILL').toBe('running');
      });

      it('stop of a stopped container returns its exit status', async () => {
        const id = await started(await fx.exitBundle(3));
        await rt.wait(id);
        expect(await rt.stop(id, { timeoutMs: 1000 })).toMatchObject({ code: 3, reason: 'exited' });
      });

      it('list includes created and running containers and not deleted ones', async () => {
        const a = await create(await fx.exitBundle(0));
        const bBundle = await fx.sleepBundle();
        const b = await started(bBundle);
        const c = await create(await fx.exitBundle(0));
        await rt.delete(c.id, { force: true });
        const listed = await rt.list();
        const byId = new Map(listed.map((s) => [s.id, s]));
        expect(byId.get(a.id)?.status).toBe('created');
        expect(byId.get(b)?.status).toBe('running');
        expect(byId.has(c.id)).toBe(false);
        expectState(byId.get(b) as ContainerState, b, bBundle, 'running');
      });
    });
  });
}
