/**
 * The interface of runtimes whose containers outlive the process that created them
 * (`capabilities.scope === 'host'`: youki today, microVMs and the runc-compatible mode next): any
 * process can list them, inspect them and read their logs. The CLI's `ps`, `logs`, `stop` and `rm` use
 * only this. How such a runtime keeps its containers (one monitor process each, the state directory,
 * the exit record, stdio, the start handshake) is written down in `docs/monitor-contract.md`.
 *
 * @module runtime/host-scoped
 */
import type { Readable } from 'node:stream';
import type { ContainerState, ExitStatus, OciRuntime } from './types.js';

/** One container as a host-scoped runtime knows it: its OCI state plus what `ps` shows. */
export interface ContainerDetails {
  state: ContainerState;
  /** When it was created. */
  createdAt: Date;
  /** How it ended, once stopped (absent while it runs, and when its monitor died without recording it). */
  exit?: ExitStatus;
  /** Files holding its stdout and stderr, for the streams that went to logs (`create({ detach: true })`). */
  logFiles: { stdout?: string; stderr?: string };
}

/** Options of {@link HostScopedRuntime.logs}. */
export interface LogsOptions {
  /** Keep reading until the container has stopped and everything is read (`docker logs -f`). @default false */
  follow?: boolean;
  /** Ends the streams early (they end without an error). */
  signal?: AbortSignal;
}

/** The log streams of a container; a stream that did not go to a log is absent. */
export interface ContainerLogs {
  stdout?: Readable;
  stderr?: Readable;
}

/** A runtime whose containers any process can see: `OciRuntime` plus inspect, containers and logs. */
export interface HostScopedRuntime extends OciRuntime {
  /**
   * The state root (absolute): one directory per container, as the monitor contract lays it out. Any
   * instance of this runtime constructed with `{ stateRoot }` sees the same containers.
   */
  readonly stateRoot: string;
  /**
   * {@link OciRuntime.state} plus creation time, exit status and log files.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  inspect(id: string): Promise<ContainerDetails>;
  /** {@link OciRuntime.list} with {@link inspect}'s details: every container of this runtime on this host, whoever created it. */
  containers(): Promise<ContainerDetails[]>;
  /**
   * The logged output of a container, from the start of each log, from any process.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  logs(id: string, options?: LogsOptions): ContainerLogs;
}

/** Whether `runtime`'s containers outlive their creator (and it offers inspect, containers and logs). */
export function isHostScoped(runtime: OciRuntime): runtime is HostScopedRuntime {
  return runtime.capabilities.scope === 'host';
}
