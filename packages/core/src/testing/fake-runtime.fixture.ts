/**
 * An in-memory OciRuntime used ONLY to unit-test the logic of describeOciRuntime itself. It is not
 * evidence that any real backend conforms, and it is not exported from the package.
 *
 * Workloads are simulated: an "exit" bundle writes its output and exits on the next tick; a "sleep"
 * bundle runs until a signal ends it. `defects` switch on deliberate bugs so that a test can show the
 * suite catches them.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { PassThrough, type Writable } from 'node:stream';
import type { Bundle, WasmBundle } from '../runtime/bundle.js';
import { err, ErrorCode } from '../errors.js';
import { validateContainerId } from '../runtime/container-id.js';
import { assertLimitsSupported, type RuntimeCapabilities } from '../runtime/capabilities.js';
import { assertTransition } from '../runtime/lifecycle.js';
import { defaultAction, signalNumber, type Signal } from '../runtime/signal.js';
import { stopWithGrace, type StopSteps } from '../runtime/stop.js';
import {
  OCI_RUNTIME_SPEC_VERSION,
  type ContainerState, type ContainerStatus, type ContainerStreams, type CreateOptions, type DeleteOptions,
  type ExitStatus, type OciRuntime, type OutputTarget, type StopOptions,
} from '../runtime/types.js';
import type { ConformanceFixture } from './types.js';

/** Deliberate bugs, each of which the conformance suite must catch. */
export type FakeDefect = 'start-twice-allowed' | 'sigkill-exit-0' | 'extra-state-key' | 'unknown-id-internal' | 'sigwinch-kills' | 'stop-never-escalates' | 'ignores-limits';

interface Fake {
  id: string;
  bundle: WasmBundle;
  status: ContainerStatus;
  stdio: NonNullable<CreateOptions['stdio']>;
  pipes: ContainerStreams;
  exit?: ExitStatus;
  exited: Promise<ExitStatus>;
  resolveExit: (s: ExitStatus) => void;
  writing?: Promise<void>;
}

export class FakeRuntime implements OciRuntime {
  readonly name = 'fake';
  readonly capabilities: RuntimeCapabilities = {
    bundleKinds: ['wasm'],
    scope: 'process',
    limits: ['wallClockMs'],
    stdin: false,
    detach: false,
    process: { user: false, hostname: false },
    networkModes: [],
  };
  readonly #containers = new Map<string, Fake>();

  constructor(private readonly defects: ReadonlySet<FakeDefect> = new Set()) {}

  #get(id: string): Fake {
    validateContainerId(id);
    const c = this.#containers.get(id);
    if (!c) {
      if (this.defects.has('unknown-id-internal')) throw err(ErrorCode.Internal, 'oops');
      throw err(ErrorCode.NotFound, `container "${id}" does not exist`, { id });
    }
    return c;
  }

  #state(c: Fake): ContainerState {
    const s: ContainerState = { ociVersion: OCI_RUNTIME_SPEC_VERSION, id: c.id, status: c.status, bundle: c.bundle.path };
    if (this.defects.has('extra-state-key')) (s as unknown as Record<string, unknown>)['startedAt'] = 'now';
    return s;
  }

  async create(id: string, bundle: Bundle, options: CreateOptions = {}): Promise<ContainerState> {
    validateContainerId(id);
    if (this.#containers.has(id)) throw err(ErrorCode.AlreadyExists, `container "${id}" exists`, { id });
    if (bundle.kind !== 'wasm') throw err(ErrorCode.InvalidArgument, `the fake runs wasm bundles, not ${bundle.kind}`);
    if (!this.defects.has('ignores-limits')) assertLimitsSupported(this, bundle.resources);
    if (options.detach) throw err(ErrorCode.Unsupported, 'the fake cannot detach', { id });
    if (options.stdio?.stdin !== undefined && options.stdio.stdin !== 'ignore') throw err(ErrorCode.Unsupported, 'the fake has no stdin', { id });
    const stdio = options.stdio ?? {};
    const pipes: ContainerStreams = {};
    if (stdio.stdout === 'pipe') pipes.stdout = new PassThrough();
    if (stdio.stderr === 'pipe') pipes.stderr = new PassThrough();
    let resolveExit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
    const c: Fake = { id, bundle, status: 'created', stdio, pipes, exited, resolveExit };
    this.#containers.set(id, c);
    return this.#state(c);
  }

  async start(id: string): Promise<void> {
    const c = this.#get(id);
    if (!this.defects.has('start-twice-allowed') || c.status === 'stopped') assertTransition('start', c.status, id);
    c.status = 'running';
    const code = c.bundle.annotations?.['fake.exit'];
    if (code !== undefined) {
      c.writing = (async () => {
        await new Promise((r) => setImmediate(r));
        await this.#write(c, c.stdio.stdout, c.pipes.stdout as PassThrough | undefined, c.bundle.annotations?.['fake.stdout'] ?? '');
        await this.#write(c, c.stdio.stderr, c.pipes.stderr as PassThrough | undefined, c.bundle.annotations?.['fake.stderr'] ?? '');
      })();
      void c.writing.then(() => this.#finish(c, { code: Number(code), reason: 'exited' }));
    }
  }

  async #write(_c: Fake, target: OutputTarget | undefined, pipe: PassThrough | undefined, text: string): Promise<void> {
    if (text === '' || target === undefined || target === 'ignore') return;
    if (target === 'pipe') {
      pipe?.write(text);
    } else if ('path' in target && typeof target.path === 'string') {
      await (target.append ? appendFile(target.path, text) : writeFile(target.path, text));
    } else {
      const w = target as Writable;
      if (!w.write(text)) await new Promise((r) => w.once('drain', r));
    }
  }

  #finish(c: Fake, status: ExitStatus): void {
    if (c.status === 'stopped') return;
    c.status = 'stopped';
    c.exit = status;
    (c.pipes.stdout as PassThrough | undefined)?.end();
    (c.pipes.stderr as PassThrough | undefined)?.end();
    c.resolveExit(status);
  }

  async state(id: string): Promise<ContainerState> {
    return this.#state(this.#get(id));
  }

  async kill(id: string, signal: Signal = 'SIGTERM'): Promise<void> {
    const c = this.#get(id);
    assertTransition('kill', c.status, id);
    if (defaultAction(signal) !== 'terminate' && !(signal === 'SIGWINCH' && this.defects.has('sigwinch-kills'))) return;
    if (signal === 'SIGKILL') {
      this.#finish(c, this.defects.has('sigkill-exit-0') ? { code: 0, reason: 'exited' } : { code: 137, signal, reason: 'killed' });
    } else {
      this.#finish(c, { code: 128 + signalNumber(signal), signal, reason: 'signaled' });
    }
  }

  async delete(id: string, options: DeleteOptions = {}): Promise<void> {
    const c = this.#get(id);
    assertTransition(options.force ? 'forceDelete' : 'delete', c.status, id);
    if (c.status !== 'stopped') this.#finish(c, { code: 137, signal: 'SIGKILL', reason: 'killed' });
    this.#containers.delete(id);
  }

  async wait(id: string): Promise<ExitStatus> {
    return this.#get(id).exited;
  }

  async stop(id: string, options: StopOptions = {}): Promise<ExitStatus> {
    const c = this.#get(id);
    assertTransition('stop', c.status, id);
    if (c.exit) return c.exit;
    const steps: StopSteps = {
      kill: async (signal) => {
        if (c.status === 'stopped' || (signal === 'SIGKILL' && this.defects.has('stop-never-escalates'))) return;
        await this.kill(id, signal);
      },
      wait: (o) => abortable(c.exited, o?.signal, `stop "${id}"`),
    };
    const plan = { signal: options.signal ?? c.bundle.stopSignal ?? 'SIGTERM', timeoutMs: options.timeoutMs ?? 10_000, what: `stop "${id}"` };
    return stopWithGrace(steps, options.abortSignal ? { ...plan, abortSignal: options.abortSignal } : plan);
  }

  async list(): Promise<ContainerState[]> {
    return [...this.#containers.values()].map((c) => this.#state(c));
  }

  streams(id: string): ContainerStreams {
    return this.#get(id).pipes;
  }
}

/** `p`, or `ABORTED` once `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(err(ErrorCode.Aborted, `${what} was aborted`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(err(ErrorCode.Aborted, `${what} was aborted`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A fixture over {@link FakeRuntime}: bundles carry their behaviour in annotations. */
export function fakeFixture(defects: readonly FakeDefect[] = []): ConformanceFixture {
  const bundle = (annotations: Record<string, string>): WasmBundle => ({
    kind: 'wasm', path: '/nonexistent/fake-bundle', module: '/nonexistent/fake-bundle/app.wasm',
    moduleDigest: `sha256:${'0'.repeat(64)}`, args: ['app'], env: [], preopens: [], annotations,
  });
  return {
    runtime: new FakeRuntime(new Set(defects)),
    exitBundle: async (code, output = {}) => bundle({ 'fake.exit': String(code), 'fake.stdout': output.stdout ?? '', 'fake.stderr': output.stderr ?? '' }),
    sleepBundle: async () => bundle({ 'fake.sleep': '1' }),
  };
}
