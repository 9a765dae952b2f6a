/**
 * The workload's argv, environment, working directory and volumes from the image config and the
 * user's options, with `docker run` semantics.
 *
 * - argv = Entrypoint + Cmd; arguments the user gives replace Cmd; `entrypoint` replaces Entrypoint
 *   and clears Cmd (so only the user's arguments follow it); an empty `entrypoint` (`''`, `['']`, `[]`)
 *   resets it, so the user's arguments alone are argv (`docker run --entrypoint "" IMAGE ARGS`); an
 *   image Entrypoint of `[""]` counts as none, as docker's daemon resets it. An empty argv, or one whose
 *   program name (argv[0]) is empty, is refused.
 * - env = the image's Env, then the user's (same key: the user wins, in the image's position); the
 *   host's environment is never passed.
 * - workdir = the user's, else the image's WorkingDir, else `/`.
 *
 * @module bundle-builder/run-config
 */
import { stat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import type { Preopen } from '../runtime/bundle.js';
import type { ImageRunConfig } from '../image/image-config.js';

/** A directory of the host mapped into the workload. */
export interface VolumeMount {
  /** A directory on the host; must exist. Relative paths are resolved against the working directory. */
  hostPath: string;
  /** Absolute path the workload sees, e.g. `/data`. */
  guestPath: string;
  /** @default false */
  readonly?: boolean;
}

/** User options that shape how the image's program runs. */
export interface RunOptions {
  /** Arguments; they replace the image's Cmd (docker run IMAGE ARGS…). */
  args?: readonly string[];
  /** Replaces the image's Entrypoint and clears its Cmd (docker run --entrypoint). A string is one argv element; empty (`''`) resets it (the arguments alone run). */
  entrypoint?: string | readonly string[];
  /** `KEY=VALUE` strings or a record; added to the image's Env, winning on the same key. */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /** Host directories to map. */
  volumes?: readonly VolumeMount[];
  /** Working directory inside the workload (absolute). */
  workdir?: string;
}

function checkString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.includes('\0')) throw err(ErrorCode.InvalidArgument, `${what} must be a string without NUL bytes`, { what });
  return v;
}

/**
 * argv from image config and options (`docker run` rules). An image Entrypoint of `[""]` counts as
 * none, as docker's daemon resets it (so the Cmd, or the arguments, alone run).
 *
 * @param fallbackArgv0 argv when there is nothing to run (a wasm image whose layer is the module).
 * @param image the image as messages name it (its reference), e.g. `docker.io/library/alpine:latest`.
 * @throws MagikrunError `INVALID_ARGUMENT` when there is nothing to run (no Entrypoint, Cmd or
 *   arguments) unless `fallbackArgv0` is given, when the program name (argv[0]) is empty (an image
 *   Cmd of `[""]`, an empty first argument), for an empty entrypoint without arguments, or for
 *   non-string arguments; the messages name `image` and ask for the command to run.
 */
export function resolveArgv(config: ImageRunConfig, options: RunOptions, fallbackArgv0?: string, image?: string): string[] {
  const userArgs = (options.args ?? []).map((a, i) => checkString(a, `argument ${i}`));
  const named = image !== undefined ? `image ${image}` : 'the image';
  let entrypoint: string[];
  let cmd: string[];
  if (options.entrypoint !== undefined) {
    entrypoint = (typeof options.entrypoint === 'string' ? [options.entrypoint] : [...options.entrypoint]).map((a) => checkString(a, 'entrypoint'));
    // docker run --entrypoint "": the image's Entrypoint (and Cmd) are reset and the arguments alone run.
    const reset = entrypoint.length === 0 || (entrypoint.length === 1 && entrypoint[0] === '');
    if (reset) entrypoint = [];
    if ((reset && userArgs.length === 0) || entrypoint[0] === '') {
      throw err(ErrorCode.InvalidArgument, 'the entrypoint given is empty; with an empty entrypoint, pass the program to run as arguments', {});
    }
    cmd = userArgs;
  } else {
    // moby's mergeAndVerifyConfig: "Reset the Entrypoint if it is [""]" (containerd's CRI does the same).
    const own = config.Entrypoint ?? [];
    entrypoint = own.length === 1 && own[0] === '' ? [] : [...own];
    cmd = userArgs.length > 0 ? userArgs : [...(config.Cmd ?? [])];
  }
  const argv = [...entrypoint, ...cmd];
  const details = image !== undefined ? { reference: image } : {};
  if (argv.length === 0) {
    if (fallbackArgv0 !== undefined) return [fallbackArgv0];
    throw err(
      ErrorCode.InvalidArgument,
      `${named} has no command (no Entrypoint or Cmd; an Entrypoint of [""] counts as none) and none was given; give the command to run as arguments after the image`,
      details,
    );
  }
  if (argv[0] === '') {
    const why =
      entrypoint.length > 0
        ? `${named} has an empty program name: its Entrypoint is ${JSON.stringify(config.Entrypoint)}; give the command to run with --entrypoint and the arguments after the image`
        : userArgs.length > 0
          ? `the command given for ${named} has an empty program name (its first argument is ""); give the command to run as arguments after the image`
          : `${named} has an empty program name: its Cmd is ${JSON.stringify(config.Cmd)}; give the command to run as arguments after the image`;
    throw err(ErrorCode.InvalidArgument, why, details);
  }
  return argv;
}

const ENV_KEY = /^[^=\0]+$/;

/**
 * Environment from image config and options.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an entry without `=` (magikrun never copies a host
 *   variable, which is what docker's `-e KEY` does), an empty key, or a NUL byte.
 */
export function resolveEnv(imageEnv: readonly string[] | undefined, user: RunOptions['env']): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  const add = (entry: string, from: string) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (eq < 0) {
      throw err(
        ErrorCode.InvalidArgument,
        `${from} environment entry ${JSON.stringify(entry)} has no value; write KEY=VALUE (magikrun never passes the host's environment)`,
        { entry },
      );
    }
    if (!ENV_KEY.test(key) || entry.includes('\0')) throw err(ErrorCode.InvalidArgument, `${from} environment entry ${JSON.stringify(entry)} is malformed`, { entry });
    if (!values.has(key)) order.push(key);
    values.set(key, entry.slice(eq + 1));
  };
  for (const e of imageEnv ?? []) add(e, 'the image\'s');
  if (Array.isArray(user)) for (const e of user as readonly string[]) add(checkString(e, 'environment entry'), 'the');
  else if (user) for (const [k, v] of Object.entries(user)) add(`${k}=${checkString(v, `environment value of ${k}`)}`, 'the');
  return order.map((k) => `${k}=${values.get(k)}`);
}

/** Check an absolute guest path and return it normalised. @throws MagikrunError `INVALID_ARGUMENT` */
export function checkGuestPath(p: unknown, what: string): string {
  if (typeof p !== 'string' || p.includes('\0') || !p.startsWith('/')) {
    throw err(ErrorCode.InvalidArgument, `${what} ${JSON.stringify(p)} must be an absolute path such as /data`, { path: p });
  }
  if (p.split('/').includes('..')) throw err(ErrorCode.InvalidArgument, `${what} ${JSON.stringify(p)} must not contain ".."`, { path: p });
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** The working directory. @throws MagikrunError `INVALID_ARGUMENT` when not absolute. */
export function resolveWorkdir(config: ImageRunConfig, options: RunOptions): string {
  const w = options.workdir ?? (config.WorkingDir || '/');
  return checkGuestPath(w, 'the working directory');
}

/**
 * User volumes as preopens: host paths resolved (realpath) and checked to be directories.
 *
 * @param reserved guest paths already taken (e.g. `/` by the image root).
 * @throws MagikrunError `INVALID_ARGUMENT` for a host path that does not exist or is not a directory,
 *   a guest path that is not absolute, contains `..`, or is mapped twice.
 */
export async function resolveVolumes(volumes: readonly VolumeMount[] | undefined, reserved: readonly string[] = []): Promise<Preopen[]> {
  const out: Preopen[] = [];
  const taken = new Set(reserved);
  for (const v of volumes ?? []) {
    const guestPath = checkGuestPath(v?.guestPath, 'volume guest path');
    if (taken.has(guestPath)) {
      throw err(
        ErrorCode.InvalidArgument,
        guestPath === '/' && reserved.includes('/')
          ? 'volume guest path / is the image root here; map the directory somewhere below it, e.g. /data'
          : `volume guest path ${guestPath} is mapped twice`,
        { guestPath },
      );
    }
    const hostPath = checkString(v.hostPath, 'volume host path');
    let real: string;
    try {
      real = await realpath(path.resolve(hostPath));
    } catch {
      throw err(ErrorCode.InvalidArgument, `volume host path ${hostPath} does not exist; create the directory first`, { hostPath });
    }
    if (!(await stat(real)).isDirectory()) {
      throw err(ErrorCode.InvalidArgument, `volume host path ${hostPath} is not a directory; map a directory`, { hostPath });
    }
    taken.add(guestPath);
    out.push({ hostPath: real, guestPath, readonly: v.readonly === true });
  }
  return out;
}
