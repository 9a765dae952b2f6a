/**
 * The per-container record a {@link WasmtimeRuntime} keeps in memory: these containers live inside
 * the process that created them, so this map is the whole truth about them.
 *
 * @module record
 */
import { err, ErrorCode } from '@magikrun/core/errors';
import { userName } from '@magikrun/core/platform';
import { type ContainerState, type ContainerStatus, type ContainerStreams, type ExitReason, type ExitStatus, OCI_RUNTIME_SPEC_VERSION, type Signal, validateContainerId, type WasmBundle } from '@magikrun/core/runtime';
import type { BindingEngine, BindingExitStatus } from './binding/types.js';
import type { StdioPlan } from './stdio/plan.js';

/** The user this process runs as (a module runs inside it): the state's `owner`; undefined off POSIX. */
const OWNER = typeof process.getuid === 'function' ? userName(process.getuid()) : undefined;

/** Everything known about one container. */
export interface ContainerRecord {
  id: string;
  bundle: WasmBundle;
  status: ContainerStatus;
  /** When create began: RFC 3339 UTC (the state's `created`). */
  created: string;
  /** The binding's handle, once `create` has finished. */
  handle?: number;
  /** Settles when `create` has finished (or failed). */
  creating?: Promise<void>;
  stdio: StdioPlan;
  streams: ContainerStreams;
  /** The exit status, once stopped. */
  exit?: ExitStatus;
  /** Resolves with the exit status when the module has ended. */
  exited: Promise<ExitStatus>;
  resolveExit: (status: ExitStatus) => void;
  /** Resolves when all output has reached `Writable` targets (after the exit). */
  outputDone: Promise<void>;
  /** Whether the binding's exit is being awaited already. */
  tracking: boolean;
  /** Resolves once the container has started or stopped: its pipes can then be read. */
  active: Promise<void>;
  activate: () => void;
}

/** The containers of one runtime, by id. */
export class Records {
  private readonly map = new Map<string, ContainerRecord>();

  /** Validate `id` and return its record. @throws MagikrunError `INVALID_ARGUMENT`, `NOT_FOUND` */
  get(id: string): ContainerRecord {
    validateContainerId(id);
    const r = this.map.get(id);
    if (!r) {
      throw err(ErrorCode.NotFound, `container "${id}" does not exist in this process (wasmtime containers live inside the process that created them)`, { id });
    }
    return r;
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  add(r: ContainerRecord): void {
    this.map.set(r.id, r);
  }

  remove(r: ContainerRecord): void {
    if (this.map.get(r.id) === r) this.map.delete(r.id);
  }

  all(): ContainerRecord[] {
    return [...this.map.values()];
  }
}

/** A new record in status `creating`. */
export function newRecord(id: string, bundle: WasmBundle, stdio: StdioPlan): ContainerRecord {
  let resolveExit!: (s: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((resolve) => {
    resolveExit = resolve;
  });
  let activate!: () => void;
  const active = new Promise<void>((resolve) => {
    activate = resolve;
  });
  return { id, bundle, status: 'creating', created: new Date().toISOString(), stdio, streams: {}, exited, resolveExit, outputDone: Promise.resolve(), tracking: false, active, activate };
}

/**
 * The state document (no `pid`: the module runs inside this process; no `rootfs`: a module has none),
 * with `created` and `owner` (this process's user) as `runc state` prints them.
 */
export function stateOf(r: ContainerRecord): ContainerState {
  const s: ContainerState = { ociVersion: OCI_RUNTIME_SPEC_VERSION, id: r.id, status: r.status, bundle: r.bundle.path, created: r.created };
  if (OWNER !== undefined) s.owner = OWNER;
  if (r.bundle.annotations && Object.keys(r.bundle.annotations).length > 0) s.annotations = { ...r.bundle.annotations };
  return s;
}

const REASONS: ReadonlySet<string> = new Set<ExitReason>(['exited', 'signaled', 'oom', 'fuel-exhausted', 'trapped', 'killed', 'timed-out']);

/** The binding's exit status as core's `ExitStatus` (no undefined keys). */
export function toExitStatus(b: BindingExitStatus): ExitStatus {
  const reason = REASONS.has(b.reason) ? (b.reason as ExitReason) : 'trapped';
  const s: ExitStatus = { code: b.code, reason };
  if (b.signal !== undefined && b.signal !== null) s.signal = b.signal as Signal;
  if (b.message !== undefined && b.message !== null) s.message = b.message;
  return s;
}

/** Mark the record stopped with `status` (once). */
export function markStopped(r: ContainerRecord, status: ExitStatus): void {
  if (r.exit) return;
  r.exit = status;
  r.status = 'stopped';
  r.resolveExit(status);
  r.activate();
}

/** Await the binding's exit for `r` (once), then mark it stopped. */
export function trackExit(engine: BindingEngine, r: ContainerRecord): void {
  if (r.tracking || r.handle === undefined) return;
  r.tracking = true;
  engine.wait(r.handle).then(
    (b) => markStopped(r, toExitStatus(b)),
    (e: unknown) => markStopped(r, { code: 134, reason: 'trapped', message: `the binding lost the container: ${(e as Error).message}` }),
  );
}
