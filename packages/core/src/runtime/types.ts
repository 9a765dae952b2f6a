/**
 * The runtime contract every backend implements: the OCI Runtime Spec lifecycle
 * (https://github.com/opencontainers/runtime-spec/blob/main/runtime.md) plus `wait` and `stop`.
 *
 * @module runtime/types
 */
import type { Readable, Writable } from 'node:stream';
import type { Bundle } from './bundle.js';
import type { RuntimeCapabilities } from './capabilities.js';
import type { Signal } from './signal.js';

/** The OCI runtime spec's status values (runtime.md, "State"). */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped';

/**
 * The state of a container, serialised exactly as the OCI runtime-spec state JSON
 * (runtime.md "State"; schema/state-schema.json): `JSON.stringify(state)` is what `runc state` prints.
 */
export interface ContainerState {
  /** The OCI runtime spec version the state complies with, e.g. `"1.2.0"`. */
  ociVersion: string;
  /** The container id, unique on this host for this runtime. */
  id: string;
  status: ContainerStatus;
  /** The container process's pid as seen from the host. Present for Linux processes when created or running; absent for in-process backends (wasm). */
  pid?: number;
  /** Absolute path of the bundle directory. */
  bundle: string;
  /** Annotations from the bundle's config. */
  annotations?: Record<string, string>;
  /**
   * Beyond the runtime spec, as `runc state` also prints it: the container's root filesystem on the
   * host (absolute path). Absent where the backend has none (a WebAssembly module).
   */
  rootfs?: string;
  /**
   * Beyond the runtime spec, as `runc state` also prints it: when the container was created, an
   * RFC 3339 UTC timestamp (`2026-12-02T15:04:05.123Z`). Host-scoped runtimes must report it.
   */
  created?: string;
  /**
   * Beyond the runtime spec, as `runc list` prints it: the user that owns the container — the name of
   * its state's owner, `#<uid>` when no name is known. Host-scoped runtimes must report it.
   */
  owner?: string;
}

/** The OCI runtime spec version magikrun's state documents declare. */
export const OCI_RUNTIME_SPEC_VERSION = '1.2.0';

/** Why a container's process ended. */
export type ExitReason =
  /** The process exited on its own (`exit`, `proc_exit`, return from `_start`/`main`). */
  | 'exited'
  /** A signal ended it (`signal` says which); the code is 128 + its number. */
  | 'signaled'
  /** The kernel's (cgroup) OOM killer, or the wasm memory limit refused a growth that the module needed. */
  | 'oom'
  /** A wasm module ran out of fuel. */
  | 'fuel-exhausted'
  /** A wasm trap (unreachable, out-of-bounds access, stack overflow…); `message` says which. */
  | 'trapped'
  /** SIGKILL from `kill`, `stop` or a forced `delete`. */
  | 'killed'
  /** A wall-clock limit ended it. */
  | 'timed-out';

/**
 * How a container's process ended.
 *
 * `code` follows shell conventions so that a CLI can exit with it: the exit code for `exited`,
 * 128 + signal number for `signaled`/`killed` (137 for SIGKILL, 143 for SIGTERM),
 * 134 (128 + SIGABRT, as the wasmtime CLI) for `trapped` and `fuel-exhausted`, 137 for `oom`,
 * 124 for `timed-out` (as coreutils `timeout`). Never 0 unless the process exited with 0.
 */
export interface ExitStatus {
  code: number;
  /** The signal that ended the process, for `signaled` and `killed`. */
  signal?: Signal;
  reason: ExitReason;
  /** A human-readable explanation (the trap message, the limit that was hit). */
  message?: string;
}

/** Where a container's stdout or stderr goes. */
export type OutputTarget =
  /** Discard it. */
  | 'ignore'
  /** Make it readable through {@link OciRuntime.streams}. Not read → the process blocks when the buffer is full. */
  | 'pipe'
  /** Append to (or truncate) a file on the host. */
  | { path: string; append?: boolean }
  /** Write into this stream, honouring its backpressure. It is not ended when the container exits. */
  | Writable;

/** Where a container's stdin comes from. */
export type InputSource =
  /** Closed: the process reads end-of-file at once. */
  | 'ignore'
  /** Writable through {@link OciRuntime.streams}. */
  | 'pipe'
  /** Read from a file on the host. */
  | { path: string }
  /** Read from this stream. */
  | Readable;

/** stdio of a container. Each defaults to `'ignore'`. */
export interface StdioOptions {
  stdin?: InputSource;
  stdout?: OutputTarget;
  stderr?: OutputTarget;
}

/** Streams of a container created with `'pipe'` stdio. */
export interface ContainerStreams {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
}

/** Options of {@link OciRuntime.create}: stdio plus the runtime-only concerns. */
export interface CreateOptions {
  /** @default all `'ignore'` */
  stdio?: StdioOptions;
  /** Directory for runtime state, overriding the backend's default (`/run/magikrun/<runtime>` as root). */
  stateRoot?: string;
  /** Deadline for create to finish, in ms. @default CONTAINER_START_TIMEOUT */
  timeoutMs?: number;
  /** Cancels create; the partial container is removed. */
  signal?: AbortSignal;
  /**
   * Permit bundle `resources` above this runtime's defaults (never above its hard ceilings): the
   * caller's opt-in, not the bundle's. @default false
   */
  allowAboveDefault?: boolean;
  /**
   * Run detached (needs `capabilities.detach`): stdout and stderr go to log files that
   * `HostScopedRuntime.logs` reads, stdin is closed, and the container keeps running after this
   * process exits. @default false
   */
  detach?: boolean;
}

/** Options of {@link OciRuntime.delete}. */
export interface DeleteOptions {
  /** Delete a container that is not stopped: SIGKILL it, wait, then remove it (runc `delete --force`). @default false */
  force?: boolean;
}

/** Options of {@link OciRuntime.stop}. */
export interface StopOptions {
  /** Grace period after the stop signal before SIGKILL, in ms. @default DEFAULT_STOP_TIMEOUT */
  timeoutMs?: number;
  /** Signal to send first. @default the bundle's StopSignal, else SIGTERM */
  signal?: Signal;
  /**
   * Give up stopping: rejects with `ABORTED`. Aborted before the call, nothing is sent; during the grace
   * period, the workload keeps the signal it got and no SIGKILL follows; after SIGKILL, the wait ends.
   */
  abortSignal?: AbortSignal;
}

/** Options of {@link OciRuntime.wait}. */
export interface WaitOptions {
  /** Stop waiting (the container keeps running); rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * One isolation backend. Every method checks the container's status through the one lifecycle table
 * ({@link assertTransition}) and throws `INVALID_STATE` with `details.status` on a violation.
 *
 * Errors: `NOT_FOUND` (unknown id), `ALREADY_EXISTS` (create with a used id), `INVALID_ARGUMENT`
 * (bad id, wrong bundle kind), `INVALID_STATE`, `UNAVAILABLE` (backend cannot work on this host),
 * `UNSUPPORTED` (a bundle kind, limit, stdin or detach outside its `capabilities`), `LIMIT_EXCEEDED`,
 * `TIMEOUT`, `ABORTED`.
 */
export interface OciRuntime {
  /** Backend name as the registry and CLI know it, e.g. `'wasmtime'`. */
  readonly name: string;
  /** What it supports — bundle kinds, scope, limits, stdin, detach, process settings, network modes — as data. */
  readonly capabilities: RuntimeCapabilities;

  /** OCI `create`: prepare the container; its user process does not run yet. Resolves with status `created`. */
  create(id: string, bundle: Bundle, options?: CreateOptions): Promise<ContainerState>;
  /** OCI `start`: run the user process. Allowed only in `created`. */
  start(id: string): Promise<void>;
  /** OCI `state`. */
  state(id: string): Promise<ContainerState>;
  /** OCI `kill`: deliver a signal. Allowed in `created` and `running`. @default signal SIGTERM */
  kill(id: string, signal?: Signal): Promise<void>;
  /** OCI `delete`: free everything. Allowed in `stopped`, or any status with `force`. */
  delete(id: string, options?: DeleteOptions): Promise<void>;
  /** Resolve with the exit status once the container is stopped (at once if it already is). */
  wait(id: string, options?: WaitOptions): Promise<ExitStatus>;
  /** Send the stop signal, wait up to `timeoutMs`, then SIGKILL; resolves with the exit status. */
  stop(id: string, options?: StopOptions): Promise<ExitStatus>;
  /** The containers this runtime can see (for `'process'` scope: those of this process only). */
  list(): Promise<ContainerState[]>;
  /** The `'pipe'` streams of a container. */
  streams(id: string): ContainerStreams;
}
