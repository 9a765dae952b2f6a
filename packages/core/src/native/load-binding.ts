/**
 * Find and load a backend package's napi-rs native binding, trying each place in napi-rs's order and
 * failing with one error that lists every attempt.
 *
 * @module native/load-binding
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ErrorCode } from '../errors.js';
import { packageRoot } from './package-root.js';
import { platformSuffix } from './platform-suffix.js';

/** A binding that loaded and passed `check`, and where it came from. */
export interface LoadedNativeBinding<T> {
  /** What `check` returned for the loaded module. */
  binding: T;
  /**
   * Absolute directory the `.node` file came from: the directory of the `envVar` file, the backend
   * package's root, or the platform package's root. Files shipped beside the binding (youki's monitor
   * executable) are looked for here.
   */
  dir: string;
  /** How the attempt is named in the error: the file path, `<file> (from <envVar>)` or `package <name>`. */
  label: string;
  /** napi-rs's platform suffix the binding was looked for under, e.g. `linux-x64-gnu`. */
  platform: string;
}

/** What to load and how to tell whether it is the right binary. */
export interface NativeBindingOptions<T, R> {
  /**
   * The caller's `import.meta.url`. The backend package's root (for the local `.node`) is found by
   * walking up from it to the `package.json` named `packageName`.
   */
  from: string;
  /**
   * A `require` made in the caller's module (`createRequire(import.meta.url)`), so the `.node` file and
   * the platform package resolve from the backend package, not from `@magikrun/core`.
   */
  require: NodeJS.Require;
  /** The backend package's npm name, e.g. `@magikrun/runtime-wasmtime`. */
  packageName: string;
  /** napi `binaryName`: the local file is `<binaryName>.<platform>.node`, e.g. `magikrun-wasmtime`. */
  binaryName: string;
  /** napi `packageName`: the platform package is `<platformPackage>-<platform>`. */
  platformPackage: string;
  /** Environment variable that names a `.node` file to load instead (then only that file is tried). */
  envVar: string;
  /** Where `envVar` is read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** What the error calls the binding, e.g. `the wasmtime binding`. */
  title: string;
  /**
   * What the error tells the user to point at, after "or point ". @default `<envVar> at a .node file`
   */
  override?: string;
  /**
   * Validates the loaded module (e.g. "exports `BindingEngine` as a function") and returns it typed.
   * Throw an `Error` to reject it: its first message line is recorded as `<label>: <message>` and the
   * next place is tried.
   */
  check: (mod: unknown) => T;
  /**
   * Optional last step for a binding that passed `check`, such as finding a helper executable in
   * `loaded.dir`. Its result is what {@link loadNativeBinding} returns. Throw an `Error` to reject this
   * place and try the next one: its first message line is recorded as the whole attempt, so it should
   * name what it looked at.
   * @default returns `loaded` itself
   */
  accept?: (loaded: LoadedNativeBinding<T>) => R;
}

/** The first line of a thrown value's message (what an attempt line records). */
function firstLine(e: unknown): string {
  return e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
}

/**
 * The root of an installed platform package: where its `package.json` resolves, or, when its
 * `exports` hide that file, the directory of its main file (the `.node` file napi-rs packages name).
 */
function platformPackageDir(require: NodeJS.Require, pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return path.dirname(require.resolve(pkg));
  }
}

/**
 * Load a napi-rs binding, in the order of the loader napi-rs generates (`@napi-rs/cli`'s `index.js`):
 *
 * 1. `env[envVar]` when set and not empty: only that file (resolved against the working directory);
 * 2. otherwise `<binaryName>.<platform>.node` in the backend package's root (a local `napi build`);
 * 3. then the platform package `<platformPackage>-<platform>` through `require`.
 *
 * Each module loaded goes through `check`, then `accept`; the first place both pass is returned.
 * Nothing is cached: the caller keeps the result (once per process).
 *
 * @returns what `accept` returns; without `accept`, the {@link LoadedNativeBinding}.
 * @throws MagikrunError `UNAVAILABLE` when no place works. Its message is
 *   `<title> for <platform> could not be loaded; install <platformPackage>-<platform>, build it with
 *   "pnpm --filter <packageName> build", or point <override>. Tried:` followed by one `  - ` line per
 *   attempt, and `details` is `{ reason: 'binding not loadable', platform, attempts: string[] }`.
 */
export function loadNativeBinding<T, R = LoadedNativeBinding<T>>(options: NativeBindingOptions<T, R>): R {
  const { require, envVar, packageName, platformPackage } = options;
  const env = options.env ?? process.env;
  const accept = options.accept ?? ((loaded: LoadedNativeBinding<T>) => loaded as unknown as R);
  const platform = platformSuffix();
  const attempts: string[] = [];
  const candidates: { label: string; dir: () => string; load: () => unknown }[] = [];
  const explicit = env[envVar];
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(explicit);
    candidates.push({ label: `${file} (from ${envVar})`, dir: () => path.dirname(file), load: () => require(file) });
  } else {
    const root = packageRoot(options.from, packageName);
    if (root !== undefined) {
      const file = path.join(root, `${options.binaryName}.${platform}.node`);
      candidates.push({ label: file, dir: () => root, load: () => require(file) });
    } else {
      attempts.push(`the local .node file: the ${packageName} package directory was not found above ${fileURLToPath(options.from)}`);
    }
    const pkg = `${platformPackage}-${platform}`;
    candidates.push({ label: `package ${pkg}`, dir: () => platformPackageDir(require, pkg), load: () => require(pkg) });
  }
  for (const c of candidates) {
    let binding: T;
    try {
      binding = options.check(c.load());
    } catch (e) {
      attempts.push(`${c.label}: ${firstLine(e)}`);
      continue;
    }
    let dir: string;
    try {
      dir = c.dir();
    } catch (e) {
      attempts.push(`${c.label}: its directory was not found: ${firstLine(e)}`);
      continue;
    }
    try {
      return accept({ binding, dir, label: c.label, platform });
    } catch (e) {
      attempts.push(firstLine(e));
    }
  }
  throw err(
    ErrorCode.Unavailable,
    `${options.title} for ${platform} could not be loaded; install ${platformPackage}-${platform}, build it with ` +
      `"pnpm --filter ${packageName} build", or point ${options.override ?? `${envVar} at a .node file`}. Tried:\n  - ${attempts.join('\n  - ')}`,
    { reason: 'binding not loadable', platform, attempts },
  );
}
