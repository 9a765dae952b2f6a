/**
 * Options of `YoukiRuntime` and of its `create`, and where state lives by default.
 *
 * @module options
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CreateOptions, InputSource, OutputTarget } from '@magikrun/core/runtime';

/**
 * Where stdout or stderr goes: core's targets, plus `'log'` — the file `stdout.log` / `stderr.log`
 * in the container's state directory, which outlives this process (see `YoukiRuntime.logs`).
 */
export type YoukiOutputTarget = OutputTarget | 'log';

/** stdio of a youki container. */
export interface YoukiStdioOptions {
  /** @default 'ignore' */
  stdin?: InputSource;
  /** @default 'ignore', or `'log'` with `detach` */
  stdout?: YoukiOutputTarget;
  /** @default 'ignore', or `'log'` with `detach` */
  stderr?: YoukiOutputTarget;
}

/** Options of `YoukiRuntime.create`. */
export interface YoukiCreateOptions extends Omit<CreateOptions, 'stdio'> {
  /**
   * With `detach` (core's `CreateOptions.detach`, what a CLI's `-d` does) stdout and stderr default to
   * `'log'` instead of `'ignore'`. Streams to this process (`'pipe'`, a `Writable`, a `Readable`) still
   * work, but end (and the container sees EPIPE) when this process exits.
   */
  stdio?: YoukiStdioOptions;
}

/** Options of the `YoukiRuntime` constructor. */
export interface YoukiRuntimeOptions {
  /**
   * The state root: one directory per container under it. Any process that uses the same root sees
   * (lists, signals, waits for, deletes) the same containers.
   * @default `/run/magikrun/youki` as root, else `$XDG_RUNTIME_DIR/magikrun/youki`
   */
  stateRoot?: string;
  /**
   * Use the systemd cgroup manager (libcgroups' systemd driver) instead of cgroupfs.
   * @default true only when PID 1 is systemd
   */
  systemdCgroup?: boolean;
  /** How long `delete` waits for a killed container's monitor to record the exit, in ms. @default 30000 */
  deleteTimeoutMs?: number;
}

/** The default state root (see {@link YoukiRuntimeOptions.stateRoot}). */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.geteuid?.()): string {
  if (uid === 0) return '/run/magikrun/youki';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'magikrun', 'youki');
  return path.join(tmpdir(), `magikrun-${uid ?? 'user'}`, 'youki');
}

/** True when PID 1 is systemd (then libcontainer's systemd cgroup driver is the right one). */
export function systemdIsInit(): boolean {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}
