/**
 * Internal: find and load the native binding and the monitor executable beside it.
 *
 * Order, as napi-rs projects do it: `$MAGIKRUN_YOUKI_BINDING` if set (then only that file); else the
 * `.node` file beside this package (a local `pnpm build:native`); else the platform package
 * `@magikrun/runtime-youki-binding-<platform>`. The monitor (`magikrun-youki-monitor.<platform>`) is
 * looked for beside whichever `.node` loaded, unless `$MAGIKRUN_YOUKI_MONITOR` names it. When nothing
 * loads, one `UNAVAILABLE` error lists every attempt and why it failed. The search itself is
 * `@magikrun/core/native`'s `loadNativeBinding`; the monitor check is this module's.
 *
 * @internal
 * @module binding/load
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadNativeBinding, type LoadedNativeBinding } from '@magikrun/core/native';
import type { BindingModule } from './types.js';

export { platformSuffix } from '@magikrun/core/native';

/** Environment variable naming a binding `.node` file to load instead of the packaged one. */
export const BINDING_ENV = 'MAGIKRUN_YOUKI_BINDING';
/** Environment variable naming the monitor executable to use instead of the one beside the `.node` file. */
export const MONITOR_ENV = 'MAGIKRUN_YOUKI_MONITOR';
const MONITOR_NAME = 'magikrun-youki-monitor';

const require = createRequire(import.meta.url);

/** The binding and the monitor, once found. @internal */
export interface LoadedBinding {
  binding: BindingModule;
  /** Absolute path of the monitor executable. */
  monitorPath: string;
}

let cached: LoadedBinding | undefined;

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

/** The monitor for a loaded binding: `$MAGIKRUN_YOUKI_MONITOR`, else the one beside the `.node` file. */
function withMonitor(env: NodeJS.ProcessEnv, loaded: LoadedNativeBinding<BindingModule>): LoadedBinding {
  const explicit = env[MONITOR_ENV];
  const monitorPath = explicit !== undefined && explicit !== '' ? path.resolve(explicit) : path.join(loaded.dir, `${MONITOR_NAME}.${loaded.platform}`);
  try {
    checkExecutable(monitorPath);
  } catch (e) {
    throw new Error(`monitor ${monitorPath}${explicit ? ` (from ${MONITOR_ENV})` : ` (beside ${loaded.label})`}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { binding: loaded.binding, monitorPath };
}

/**
 * Load the binding and locate the monitor (once per process).
 *
 * @param env where `MAGIKRUN_YOUKI_BINDING` and `MAGIKRUN_YOUKI_MONITOR` are read
 * @throws MagikrunError `UNAVAILABLE` with `details.attempts` listing each place tried and why it failed.
 */
export function loadBinding(env: NodeJS.ProcessEnv = process.env): LoadedBinding {
  cached ??= loadNativeBinding({
    from: import.meta.url,
    require,
    packageName: '@magikrun/runtime-youki',
    binaryName: 'magikrun-youki',
    platformPackage: '@magikrun/runtime-youki-binding',
    envVar: BINDING_ENV,
    env,
    title: 'the youki binding',
    override: `${BINDING_ENV} (and ${MONITOR_ENV}) at the files`,
    check,
    accept: (loaded) => withMonitor(env, loaded),
  });
  return cached;
}

/** Forget the loaded binding (tests of the loader only). @internal */
export function resetBindingForTests(): void {
  cached = undefined;
}
