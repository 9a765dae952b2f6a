/**
 * Internal: the shape of the native binding (`crates/youki-binding`), kept by hand in step with the
 * declarations napi-rs generates (`binding.d.cts` after `pnpm build:native`). Nothing here is public
 * API; {@link YoukiRuntime} is.
 *
 * @internal
 * @module binding/types
 */

/** How a container's init ended: the monitor's `exit.json`. @internal */
export interface BindingExit {
  /** Exit code, or 128 + signal number. */
  code: number;
  /** Signal number of a signal death. */
  signal?: number | null;
  reason: 'exited' | 'signaled' | 'killed' | 'oom';
  message?: string | null;
  oomKills: number;
  /** ms since the epoch */
  exitedAtMs: number;
}

/** One container as its state directory and the kernel describe it. @internal */
export interface BindingState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid?: number | null;
  bundle: string;
  annotations?: Record<string, string> | null;
  exit?: BindingExit | null;
  monitorPid: number;
  monitorAlive: boolean;
  /** ms since the epoch */
  createdAtMs: number;
  stopSignal?: string | null;
  stdoutLog?: string | null;
  stderrLog?: string | null;
  stateDir: string;
}

/** One wait for an exit record. @internal */
export interface BindingWaiter {
  wait(): Promise<BindingExit>;
  cancel(): void;
}

/** The containers of one state root. @internal */
export interface BindingRuntime {
  state(id: string): BindingState;
  list(): Promise<BindingState[]>;
  start(id: string): Promise<void>;
  kill(id: string, signal: number): Promise<void>;
  delete(id: string, force: boolean, timeoutMs: number): Promise<void>;
  waiter(id: string): BindingWaiter;
}

/** The loaded `.node` module. @internal */
export interface BindingModule {
  BindingRuntime: new (root: string) => BindingRuntime;
}

/** Where a container stdio stream goes, as the monitor takes it. @internal */
export type MonitorStdio =
  | { kind: 'inherit' }
  | { kind: 'null' }
  | { kind: 'file'; path: string; append?: boolean }
  | { kind: 'log' };

/** The monitor's one argument (JSON). @internal */
export interface MonitorConfig {
  id: string;
  stateRoot: string;
  bundle: string;
  rootfs: string;
  rootfsMounts: { type: string; source: string; options: string[] }[];
  stopSignal?: string;
  systemd: boolean;
  stdin: MonitorStdio;
  stdout: MonitorStdio;
  stderr: MonitorStdio;
}

/** The monitor's report line on fd 3. @internal */
export type MonitorReport = { ok: true; pid: number } | { ok: false; code: string; message: string };
