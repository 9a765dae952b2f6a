/**
 * `YoukiRuntime`: Linux containers on youki's libcontainer behind the OCI runtime lifecycle.
 *
 * @module runtime
 */
import path from 'node:path';
import { err, ErrorCode } from '@magikrun/core/errors';
import { Platform } from '@magikrun/core/platform';
import { assertTransition, type Bundle, type ContainerDetails, type ContainerLogs, type ContainerState, type ContainerStreams, type DeleteOptions, type ExitStatus, type HostScopedRuntime, type LogsOptions, parseSignal, type Signal, type StopOptions, validateContainerId, type WaitOptions } from '@magikrun/core/runtime';
import { loadBinding } from './binding/load.js';
import type { BindingState } from './binding/types.js';
import { containerStateOf, exitStatusOf } from './exit-status.js';
import { assertYoukiHost } from './host-check.js';
import { stateOf, type RuntimeContext } from './lifecycle/context.js';
import { create } from './lifecycle/create.js';
import { deleteContainer } from './lifecycle/delete.js';
import { kill } from './lifecycle/kill.js';
import { listStates } from './lifecycle/list.js';
import { start } from './lifecycle/start.js';
import { stop } from './lifecycle/stop.js';
import { wait } from './lifecycle/wait.js';
import { logStream } from './logs/follow.js';
import { YOUKI_CAPABILITIES } from './capabilities.js';
import { defaultStateRoot, systemdIsInit, type YoukiCreateOptions, type YoukiRuntimeOptions } from './options.js';

/** Everything known about one container: core's `ContainerDetails` plus its monitor, state directory and stop signal. */
export interface YoukiContainerInfo extends ContainerDetails {
  /** The container's monitor process and whether it still runs. */
  monitorPid: number;
  monitorAlive: boolean;
  /** The container's state directory. */
  stateDir: string;
  /** The signal `stop` sends first. */
  stopSignal: Signal;
}

function infoOf(s: BindingState): YoukiContainerInfo {
  const info: YoukiContainerInfo = {
    state: containerStateOf(s),
    createdAt: new Date(s.createdAtMs),
    monitorPid: s.monitorPid,
    monitorAlive: s.monitorAlive,
    stateDir: s.stateDir,
    logFiles: {},
    stopSignal: s.stopSignal ? parseSignal(s.stopSignal) : 'SIGTERM',
  };
  if (s.exit) info.exit = exitStatusOf(s.exit);
  if (s.stdoutLog) info.logFiles.stdout = s.stdoutLog;
  if (s.stderrLog) info.logFiles.stderr = s.stderrLog;
  return info;
}

/**
 * Runs OCI bundles as Linux containers through youki's `libcontainer` and `libcgroups` (0.7).
 *
 * **Scope `'host'`:** each container has a monitor process (`magikrun-youki-monitor`, shipped beside
 * the native addon) that creates it through libcontainer, stays its parent, holds its stdio and
 * records its exit status. Containers outlive the Node.js process that created them; any process
 * using the same state root lists, signals, waits for, stops and deletes them. This process never
 * forks and never reaps what it did not spawn.
 *
 * Needs root, namespaces and cgroups (else `UNAVAILABLE` naming what is missing, at create).
 * Resources (memory, CPU, pids), namespaces, user, cwd, env, seccomp and capabilities come from the
 * bundle's config.json; cgroups v1 (and hybrid hosts) use the cgroupfs manager, systemd's only when
 * PID 1 is systemd. `OciBundle.rootfsMounts` are mounted at create and removed at delete.
 *
 * Exit statuses: `exited` with the code; `signaled` with 128 + N; `killed` (137) when a SIGKILL came
 * through this API (`kill`, `stop`, forced `delete`); `oom` (137) when the init died of SIGKILL and
 * the memory cgroup counted OOM kills.
 *
 * @example
 * const rt = new YoukiRuntime();
 * await rt.create('web', bundle, { stdio: { stdout: 'pipe' } });
 * rt.streams('web').stdout?.pipe(process.stdout);
 * await rt.start('web');
 * const { code } = await rt.wait('web');
 * await rt.delete('web');
 */
export class YoukiRuntime implements HostScopedRuntime {
  /** `'youki'`. */
  readonly name = 'youki';
  /** `oci` bundles, `'host'` scope (containers outlive this process; see the class documentation), memory, CPU and pids limits, stdin, detach. */
  readonly capabilities = YOUKI_CAPABILITIES;
  /** The state root (absolute). */
  readonly stateRoot: string;
  readonly #ctx: RuntimeContext;

  /**
   * @throws MagikrunError `UNAVAILABLE` when the native binding or the monitor cannot be found (the
   *   message lists every place tried); `INVALID_ARGUMENT` for a bad option.
   */
  constructor(options: YoukiRuntimeOptions = {}) {
    const deleteTimeoutMs = options.deleteTimeoutMs ?? 30_000;
    if (!Number.isSafeInteger(deleteTimeoutMs) || deleteTimeoutMs <= 0 || deleteTimeoutMs > 2 ** 31 - 1) {
      throw err(ErrorCode.InvalidArgument, `deleteTimeoutMs must be a positive whole number of ms, not ${String(options.deleteTimeoutMs)}`, {});
    }
    if (options.stateRoot !== undefined && (typeof options.stateRoot !== 'string' || options.stateRoot === '' || options.stateRoot.includes('\0'))) {
      throw err(ErrorCode.InvalidArgument, `stateRoot must be a directory path, not ${JSON.stringify(options.stateRoot)}`, {});
    }
    this.stateRoot = path.resolve(options.stateRoot ?? defaultStateRoot());
    const { binding, monitorPath } = loadBinding();
    let host: Promise<void> | undefined;
    this.#ctx = {
      binding,
      monitorPath,
      stateRoot: this.stateRoot,
      systemdCgroup: options.systemdCgroup ?? systemdIsInit(),
      deleteTimeoutMs,
      local: new Map(),
      roots: new Map(),
      hostReady: () => (host ??= Platform.detect().then(assertYoukiHost)),
    };
  }

  /** The monitor executable this runtime spawns. */
  get monitorPath(): string {
    return this.#ctx.monitorPath;
  }

  /**
   * OCI `create`: spawn the container's monitor, which reserves the id atomically, mounts
   * `bundle.rootfsMounts`, creates the container with libcontainer (namespaces, cgroups, rootfs; the
   * init waits for `start`) and reports. Resolves with status `created` and the init's pid.
   *
   * stdio: `'ignore'` (default; `'log'` with `detach`), `'pipe'` (see {@link streams}), a file
   * `{ path, append? }`, `'log'` (see {@link logs}), or a `Writable`/`Readable`.
   *
   * @throws MagikrunError `INVALID_ARGUMENT` (bad id; not an OCI bundle; bad stdio; libcontainer
   *   refused the config), `NOT_FOUND` (no config.json), `ALREADY_EXISTS`, `UNAVAILABLE` (not root,
   *   no namespaces or cgroups; monitor missing), `TIMEOUT` (`timeoutMs`, default
   *   CONTAINER_START_TIMEOUT), `ABORTED`; on those last two nothing is left behind.
   */
  create(id: string, bundle: Bundle, options?: YoukiCreateOptions): Promise<ContainerState> {
    return create(this.#ctx, id, bundle, options);
  }

  /**
   * OCI `start`: the init execs the user process. Allowed only in `created`.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`, `INVALID_ARGUMENT`
   */
  start(id: string): Promise<void> {
    return start(this.#ctx, id);
  }

  /**
   * OCI `state` (runtime.md "State"): `pid` while created or running. A container whose init died
   * is `stopped`. Synchronous work underneath (a few small file reads, well under 1 ms).
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  async state(id: string): Promise<ContainerState> {
    const s = stateOf(this.#ctx, id, 'state');
    assertTransition('state', s.status, id);
    return containerStateOf(s);
  }

  /**
   * {@link state} plus the exit status, creation time, monitor and log files (what `ps` shows).
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  async inspect(id: string): Promise<YoukiContainerInfo> {
    return infoOf(stateOf(this.#ctx, id, 'inspect'));
  }

  /**
   * OCI `kill`: through a pidfd, after checking that the exit record does not exist and the pid
   * still belongs to the init — a reused pid is never signalled.
   * @default signal `'SIGTERM'`
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE` (not created or running), `INVALID_ARGUMENT`
   */
  kill(id: string, signal?: Signal): Promise<void> {
    return kill(this.#ctx, id, signal);
  }

  /**
   * OCI `delete`: remove the cgroups (libcontainer), unmount the rootfs mounts and remove the state
   * (log files included). Allowed in `stopped`; with `force` in any status (SIGKILL, wait for the
   * exit record first).
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`, `INVALID_ARGUMENT`, `TIMEOUT`
   */
  delete(id: string, options?: DeleteOptions): Promise<void> {
    return deleteContainer(this.#ctx, id, options);
  }

  /**
   * Resolve with the exit status once the container has stopped (at once if it has), from any
   * process. For containers this runtime created with `Writable` targets, all output has reached
   * them by then; `'pipe'` streams end on their own.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`, `ABORTED` (the container keeps running),
   *   `INTERNAL` (the monitor died without recording the status)
   */
  wait(id: string, options?: WaitOptions): Promise<ExitStatus> {
    return wait(this.#ctx, id, options);
  }

  /**
   * The stop signal (`options.signal`, else the bundle's StopSignal, else SIGTERM), then SIGKILL
   * after `timeoutMs` (default DEFAULT_STOP_TIMEOUT); resolves with the exit status.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE` (creating), `INVALID_ARGUMENT`
   */
  stop(id: string, options?: StopOptions): Promise<ExitStatus> {
    return stop(this.#ctx, id, options);
  }

  /** Every container under the state root, whoever created it. Stale entries are cleaned up. */
  async list(): Promise<ContainerState[]> {
    return (await listStates(this.#ctx)).map(containerStateOf);
  }

  /** {@link list} with {@link inspect}'s details. */
  async containers(): Promise<YoukiContainerInfo[]> {
    return (await listStates(this.#ctx)).map(infoOf);
  }

  /**
   * The `'pipe'` streams of a container this runtime created (others: none). stdout/stderr end when
   * the container's processes have exited.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  streams(id: string): ContainerStreams {
    validateContainerId(id);
    stateOf(this.#ctx, id, 'streams');
    return this.#ctx.local.get(id)?.streams ?? {};
  }

  /**
   * The `'log'` output of a container (created with `detach` or `stdio: 'log'`), from any process:
   * Readables from the start of each file; with `follow`, they end once the container has stopped
   * and everything is read. Streams that did not go to a log are absent.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`
   */
  logs(id: string, options: LogsOptions = {}): ContainerLogs {
    const s = stateOf(this.#ctx, id, 'logs');
    const stopped = (): boolean => {
      try {
        return stateOf(this.#ctx, id, 'logs').status === 'stopped';
      } catch {
        return true; // deleted
      }
    };
    const out: ContainerLogs = {};
    if (s.stdoutLog) out.stdout = logStream(s.stdoutLog, options.follow === true, stopped, options.signal);
    if (s.stderrLog) out.stderr = logStream(s.stderrLog, options.follow === true, stopped, options.signal);
    return out;
  }
}
