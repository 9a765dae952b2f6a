/**
 * `RuntimeRegistry`: finds the runtime packages the user installed and says why each other one is absent.
 *
 * Pattern from testcontainers-node's runtime strategies: try named candidates in order, record why
 * each did not apply, and fail with one error that lists them all.
 *
 * @module registry
 */
import { err, ErrorCode, hostLinuxPlatform, isMagikrunError, Platform, WASM_PLATFORM } from '@magikrun/core';
import type { BundleKind, OciPlatform, OciRuntime } from '@magikrun/core';
import { BUILTIN_CANDIDATES } from './candidates.js';
import { selectRuntime, type Selection, type SelectionRequest } from './select.js';
import type { PackageImporter, RuntimeCandidate, RuntimeConstructor } from './candidates.js';

/** Why a backend is not available. */
export interface UnavailableRuntime {
  name: string;
  packageName: string;
  /** The bundle kinds it would run. */
  bundleKinds: readonly BundleKind[];
  /** `not-installed` (package absent), `unsupported-host` (capability missing), `failed` (package present but would not load). */
  kind: 'not-installed' | 'unsupported-host' | 'failed';
  reason: string;
}

/** Options of {@link RuntimeRegistry.create}. */
export interface RuntimeRegistryOptions {
  /**
   * The data root every runtime keeps its derived data under (compiled-module caches and the like):
   * passed to each constructor as `root`. @default each runtime's own (`$MAGIKRUN_ROOT` or `~/.magikrun`)
   */
  root?: string;
  /** Options passed to each runtime's constructor, by runtime name, e.g. `{ wasmtime: { fuel: 1e8 } }`; they win over `root`. */
  runtimeOptions?: Record<string, Record<string, unknown>>;
  /** Candidates to try. @default BUILTIN_CANDIDATES */
  candidates?: readonly RuntimeCandidate[];
  /** How packages are imported. @default dynamic `import()` from this package's location */
  importer?: PackageImporter;
}

const defaultImporter: PackageImporter = (name) => import(name) as Promise<Record<string, unknown>>;

function isModuleNotFound(e: unknown, packageName: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : '';
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(packageName);
}

/**
 * The runtimes available on this host, built from a {@link Platform}.
 *
 * @example
 * const platform = await Platform.detect();
 * const registry = await RuntimeRegistry.create(platform);
 * registry.availableRuntimes(); // ['wasmtime']
 */
export class RuntimeRegistry {
  readonly platform: Platform;
  readonly #runtimes = new Map<string, OciRuntime>();
  readonly #unavailable: UnavailableRuntime[] = [];

  private constructor(platform: Platform) {
    this.platform = platform;
  }

  /**
   * Try every candidate in order: check the host's capabilities, import its package, construct it.
   * Never throws for a missing backend; see {@link unavailableRuntimes}.
   *
   * @param platform from `Platform.detect()`; detected when omitted.
   */
  static async create(platform?: Platform, options: RuntimeRegistryOptions = {}): Promise<RuntimeRegistry> {
    const registry = new RuntimeRegistry(platform ?? (await Platform.detect()));
    const importer = options.importer ?? defaultImporter;
    for (const candidate of options.candidates ?? BUILTIN_CANDIDATES) {
      const given = options.runtimeOptions?.[candidate.name];
      await registry.#try(candidate, importer, options.root !== undefined ? { root: options.root, ...given } : given);
    }
    return registry;
  }

  async #try(candidate: RuntimeCandidate, importer: PackageImporter, runtimeOptions?: Record<string, unknown>): Promise<void> {
    const { name, packageName, bundleKinds } = candidate;
    const missing = candidate.requires.filter((c) => !this.platform.hasCapability(c));
    const hostReason =
      missing.length > 0
        ? missing.map((c) => `${c}: ${this.platform.capabilities[c].reason}`).join('; ')
        : candidate.check?.(this.platform);
    if (hostReason !== undefined) {
      this.#unavailable.push({ name, packageName, bundleKinds, kind: 'unsupported-host', reason: hostReason });
      return;
    }
    let mod: Record<string, unknown>;
    try {
      mod = await importer(packageName);
    } catch (e) {
      if (isModuleNotFound(e, packageName)) {
        this.#unavailable.push({ name, packageName, bundleKinds, kind: 'not-installed', reason: `${packageName} is not installed (npm install ${packageName})` });
      } else {
        this.#unavailable.push({ name, packageName, bundleKinds, kind: 'failed', reason: `${packageName} failed to load: ${e instanceof Error ? e.message : String(e)}` });
      }
      return;
    }
    const ctor = mod[candidate.exportName];
    if (typeof ctor !== 'function') {
      this.#unavailable.push({ name, packageName, bundleKinds, kind: 'failed', reason: `${packageName} has no export ${candidate.exportName}` });
      return;
    }
    try {
      this.#runtimes.set(name, new (ctor as RuntimeConstructor)(runtimeOptions));
    } catch (e) {
      const reason = isMagikrunError(e) ? e.message : `constructor failed: ${e instanceof Error ? e.message : String(e)}`;
      this.#unavailable.push({ name, packageName, bundleKinds, kind: 'failed', reason });
    }
  }

  /** Add a runtime instance by hand (a custom backend, or one built with special options). Replaces one of the same name. */
  register(runtime: OciRuntime): this {
    this.#runtimes.set(runtime.name, runtime);
    const i = this.#unavailable.findIndex((u) => u.name === runtime.name);
    if (i >= 0) this.#unavailable.splice(i, 1);
    return this;
  }

  /** Names of the runtimes that loaded, in search order. */
  availableRuntimes(): string[] {
    return [...this.#runtimes.keys()];
  }

  /** The runtimes that did not load, each with why. */
  unavailableRuntimes(): readonly UnavailableRuntime[] {
    return this.#unavailable;
  }

  /** The runtime called `name`, or undefined. */
  get(name: string): OciRuntime | undefined {
    return this.#runtimes.get(name);
  }

  /**
   * The runtime called `name`.
   *
   * @throws MagikrunError `UNAVAILABLE` naming why it is missing (`details.reason`), or `NOT_FOUND` for a name no candidate has.
   */
  require(name: string): OciRuntime {
    const rt = this.#runtimes.get(name);
    if (rt) return rt;
    const u = this.#unavailable.find((x) => x.name === name);
    if (u) throw err(ErrorCode.Unavailable, `runtime "${name}" is not available: ${u.reason}`, { runtime: name, kind: u.kind, reason: u.reason });
    throw err(ErrorCode.NotFound, `no runtime called "${name}"; known: ${[...this.#runtimes.keys(), ...this.#unavailable.map((x) => x.name)].join(', ') || 'none'}`, { runtime: name });
  }

  /** Whether some available runtime runs bundles of `kind`. */
  supports(kind: BundleKind): boolean {
    return this.forBundle(kind) !== undefined;
  }

  /** The first available runtime that runs bundles of `kind`, or undefined. */
  forBundle(kind: BundleKind): OciRuntime | undefined {
    for (const rt of this.#runtimes.values()) if (rt.capabilities.bundleKinds.includes(kind)) return rt;
    return undefined;
  }

  /**
   * The image platforms the available runtimes run, most preferred first: the host's Linux platform when
   * a runtime for OCI bundles is available, then WASI preview 1 when one for wasm bundles is (pass to
   * `pullImage({ acceptPlatforms })`: an index offering both resolves to its wasm entry on a host with no
   * Linux container runtime).
   *
   * @param kinds only the platforms of these bundle kinds (a runtime chosen by name). @default all
   */
  platforms(kinds?: readonly BundleKind[]): OciPlatform[] {
    const out: OciPlatform[] = [];
    const wanted = (k: BundleKind): boolean => kinds === undefined || kinds.includes(k);
    if (this.supports('oci') && wanted('oci')) out.push(hostLinuxPlatform());
    if (this.supports('wasm') && wanted('wasm')) out.push({ ...WASM_PLATFORM });
    return out;
  }

  /** The available runtimes, in search order. */
  runtimes(): OciRuntime[] {
    return [...this.#runtimes.values()];
  }

  /**
   * The one selection step (see `selectRuntime`): the bundle kind and runtime for a workload, from the
   * runtimes' declared capabilities, with the reason each other candidate was refused.
   *
   * @example
   * const { runtime, kind } = registry.select({ kinds: ['oci', 'wasm'], needs: { limits: ['memoryBytes'], stdin: true } });
   * @throws MagikrunError `UNSUPPORTED`, `UNAVAILABLE`, `NOT_FOUND` as `selectRuntime` does.
   */
  select(request: SelectionRequest): Selection {
    return selectRuntime(this.runtimes(), this.#unavailable, request);
  }

  /**
   * The first available runtime for `kind`.
   *
   * @throws MagikrunError `UNAVAILABLE` listing every candidate for that kind and why it is absent.
   */
  requireForBundle(kind: BundleKind): OciRuntime {
    const rt = this.forBundle(kind);
    if (rt) return rt;
    const why = this.#unavailable.map((u) => `${u.name}: ${u.reason}`);
    throw err(ErrorCode.Unavailable, `no runtime for ${kind} bundles is available${why.length ? ` (${why.join('; ')})` : ''}`, { kind, unavailable: why });
  }
}
