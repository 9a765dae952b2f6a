/**
 * Internal: find and load the native binding and the monitor executable beside it.
 *
 * Order, as napi-rs projects do it: `$MAGIKRUN_YOUKI_BINDING` if set (then only that file); else the
 * `.node` file beside this package (a local `pnpm build:native`); else the platform package
 * `@magikrun/runtime-youki-binding-<platform>`. The monitor (`magikrun-youki-monitor.<platform>`) is
 * looked for beside whichever `.node` loaded, unless `$MAGIKRUN_YOUKI_MONITOR` names it. When nothing
 * loads, one `UNAVAILABLE` error lists every attempt and why it failed.
 *
 * @internal
 * @module binding/load
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ErrorCode } from '@magikrun/core';
import type { BindingModule } from './types.js';

/** Environment variable naming a binding `.node` file to load instead of the packaged one. */
export const BINDING_ENV = 'MAGIKRUN_YOUKI_BINDING';
/** Environment variable naming the monitor executable to use instead of the one beside the `.node` file. */
export const MONITOR_ENV = 'MAGIKRUN_YOUKI_MONITOR';
const PACKAGE_NAME = '@magikrun/runtime-youki';
const BINARY_NAME = 'magikrun-youki';
const MONITOR_NAME = 'magikrun-youki-monitor';
const PLATFORM_PACKAGE = '@magikrun/runtime-youki-binding';

const require = createRequire(import.meta.url);

/** The binding and the monitor, once found. @internal */
export interface LoadedBinding {
  binding: BindingModule;
  /** Absolute path of the monitor executable. */
  monitorPath: string;
}

let cached: LoadedBinding | undefined;

/** napi-rs's platform suffix: `linux-x64-gnu`, `linux-x64-musl`, `linux-arm64-gnu`… */
export function platformSuffix(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') {
    const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return `linux-${arch}-${report?.header?.glibcVersionRuntime !== undefined ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The directory of this package's `package.json`, found by walking up from this file. */
function packageRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function check(mod: unknown): BindingModule {
  if (typeof (mod as Partial<BindingModule> | null)?.BindingRuntime !== 'function') {
    throw new Error('it does not export BindingRuntime (a binary from another version?)');
  }
  return mod as BindingModule;
}

/** Throws unless `file` is an executable regular file. */
function checkExecutable(file: string): void {
  if (!statSync(file).isFile()) throw new Error('not a regular file');
  accessSync(file, constants.X_OK);
}

/**
 * Load the binding and locate the monitor (once per process).
 *
 * @param env where `MAGIKRUN_YOUKI_BINDING` and `MAGIKRUN_YOUKI_MONITOR` are read
 * @throws MagikrunError `UNAVAILABLE` with `details.attempts` listing each place tried and why it failed.
 */
export function loadBinding(env: NodeJS.ProcessEnv = process.env): LoadedBinding {
  if (cached) return cached;
  const attempts: string[] = [];
  const suffix = platformSuffix();
  const explicit = env[BINDING_ENV];
  const candidates: { label: string; dir: () => string; load: () => unknown }[] = [];
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(explicit);
    candidates.push({ label: `${file} (from ${BINDING_ENV})`, dir: () => path.dirname(file), load: () => require(file) });
  } else {
    const root = packageRoot();
    if (root) {
      const file = path.join(root, `${BINARY_NAME}.${suffix}.node`);
      candidates.push({ label: file, dir: () => root, load: () => require(file) });
    } else {
      attempts.push(`the local .node file: the ${PACKAGE_NAME} package directory was not found above ${fileURLToPath(import.meta.url)}`);
    }
    const pkg = `${PLATFORM_PACKAGE}-${suffix}`;
    candidates.push({ label: `package ${pkg}`, dir: () => path.dirname(require.resolve(`${pkg}/package.json`)), load: () => require(pkg) });
  }
  for (const c of candidates) {
    let binding: BindingModule;
    try {
      binding = check(c.load());
    } catch (e) {
      attempts.push(`${c.label}: ${(e as Error).message.split('\n')[0] ?? String(e)}`);
      continue;
    }
    const explicitMonitor = env[MONITOR_ENV];
    const monitorPath =
      explicitMonitor !== undefined && explicitMonitor !== '' ? path.resolve(explicitMonitor) : path.join(c.dir(), `${MONITOR_NAME}.${suffix}`);
    try {
      checkExecutable(monitorPath);
    } catch (e) {
      attempts.push(`monitor ${monitorPath}${explicitMonitor ? ` (from ${MONITOR_ENV})` : ` (beside ${c.label})`}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    cached = { binding, monitorPath };
    return cached;
  }
  throw err(
    ErrorCode.Unavailable,
    `the youki binding for ${suffix} could not be loaded; install ${PLATFORM_PACKAGE}-${suffix}, build it with ` +
      `"pnpm --filter ${PACKAGE_NAME} build", or point ${BINDING_ENV} (and ${MONITOR_ENV}) at the files. Tried:\n  - ${attempts.join('\n  - ')}`,
    { reason: 'binding not loadable', platform: suffix, attempts },
  );
}

/** Forget the loaded binding (tests of the loader only). @internal */
export function resetBindingForTests(): void {
  cached = undefined;
}
