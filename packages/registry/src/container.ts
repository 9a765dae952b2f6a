/**
 * The high-level API: an image (or a bundle) to a container handle that cleans up after itself
 * (`await using`), and {@link run}: an image to its exit status in one call.
 *
 * One lifecycle for every backend: the image gives the bundle kinds it can run as (a Linux image as a
 * Linux container, or — runwasi's rule — as WebAssembly when its entrypoint is a module), the options
 * give what the run needs, and the registry's selection step picks the kind and the runtime from their
 * declared capabilities. The CLI's `run` is this lifecycle plus its flags and terminal handling.
 *
 * @module container
 */
import { randomBytes } from 'node:crypto';
import {
  BlobStore,
  BundleBuilder,
  err,
  ErrorCode,
  imageBundleKind,
  isMagikrunError,
  limitsGiven,
  loadImage,
  parseNetworkMode,
  pullImage,
  removeBundle,
  type Bundle,
  type BundleKind,
  type ContainerState,
  type ContainerStreams,
  type ExitStatus,
  type NetworkModeKind,
  type OciBuildOptions,
  type OciRuntime,
  type PullOptions,
  type PulledImage,
  type ResourceLimits,
  type Signal,
  type StdioOptions,
  type StopOptions,
  isHostScoped,
} from '@magikrun/core';
import { bindToCreator, type OwnerBinding } from './owner/bind.js';
import { RuntimeRegistry } from './registry.js';
import type { RefusedRuntime, RuntimeNeeds } from './select.js';

/** How a bundle kind is named to users (messages of the registry and the CLI). */
export const KIND_NOUNS: Readonly<Record<BundleKind, string>> = { oci: 'Linux', wasm: 'WebAssembly', microvm: 'microVM' };

/** Options of {@link createContainer}: what to run, how, and where. */
export interface ContainerOptions extends Omit<OciBuildOptions, 'id'> {
  /** Container (and bundle) id. @default `magikrun-` and 12 random hex digits */
  id?: string;
  /** Limits of the workload (memory bytes, CPUs, pids, wall clock ms, fuel); a runtime that cannot enforce one is not chosen. */
  resources?: ResourceLimits;
  /** @default all `'ignore'` */
  stdio?: StdioOptions;
  /** Data root (blobs, images, bundles, snapshots, caches). @default `$MAGIKRUN_ROOT` or `~/.magikrun` */
  root?: string;
  /** The store to pull into. @default a `BlobStore` at `root` */
  store?: BlobStore;
  /** The runtimes to choose from. @default `await RuntimeRegistry.create(undefined, { root })` */
  registry?: RuntimeRegistry;
  /** Run on the runtime of this name only. */
  runtime?: string;
  /** Needs beyond those the options imply (e.g. `outlive: true` for a container kept after it stops). */
  needs?: RuntimeNeeds;
  /** Run detached: output to log files, the container outlives this process (needs a runtime that detaches). @default false */
  detach?: boolean;
  /**
   * Bind a container whose runtime keeps it beyond this process (`scope: 'host'`) to this process: when
   * it dies, even by SIGKILL, the container is killed and deleted and its bundle, snapshot and staging
   * directories removed (a watchdog process does it; see owner/bind). {@link Container.unbind} keeps it
   * after all. Containers of `'process'` scope end with this process anyway. @default true — for a
   * `detach`ed container until `start()` has resolved (a creator that dies before leaves nothing)
   */
  boundToCreator?: boolean;
  /**
   * A binding the caller made earlier with `bindToCreator()` (e.g. before it reserved the name and
   * pulled): used instead of a new one, and released with the container. Implies `boundToCreator`.
   */
  binding?: OwnerBinding;
  /** Permit `resources` above the chosen runtime's defaults (never above its hard ceilings). @default false */
  allowAboveDefault?: boolean;
  /** For a reference: `missing` uses the local copy when there is one, `always` pulls. OCI layouts (`oci:`) are always read again. @default 'missing' */
  pull?: 'missing' | 'always';
  /** Options of the pull (platform, credentials, progress, timeout). */
  pullOptions?: Omit<PullOptions, 'signal'>;
  /** Receives warnings of the bundle build (entries not materialised, an unsendable stop signal). */
  onWarning?: (message: string) => void;
  /** Aborts the pull, the build and the create (`ABORTED`); nothing is left behind. */
  signal?: AbortSignal;
}

/** Options of {@link run}. */
export interface RunOptions extends ContainerOptions {
  /**
   * Wall-clock limit from start, in ms, for every backend: the workload is killed with SIGKILL when it
   * runs longer, and the status is `{ code: 124, reason: 'timed-out' }` (coreutils `timeout`).
   */
  timeoutMs?: number;
  /** Also aborts the wait: the workload is killed, everything removed, and `run` rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * A container made by {@link createContainer}: the runtime's lifecycle for one id, and disposal —
 * `await using c = await createContainer(…)` kills it if it still runs, deletes it and removes the
 * bundle (and snapshot) it was built with when the scope ends, however it ends.
 */
export class Container implements AsyncDisposable {
  readonly #built: boolean;
  readonly #binding: OwnerBinding | undefined;
  readonly #unbindOnStart: boolean;
  #created = true;

  /** @internal use {@link createContainer} */
  constructor(
    /** The container id. */
    readonly id: string,
    /** The runtime the selection step chose. */
    readonly runtime: OciRuntime,
    /** The bundle it runs. */
    readonly bundle: Bundle,
    built: boolean,
    /** Why each other runtime was not chosen. */
    readonly refused: readonly RefusedRuntime[],
    binding?: OwnerBinding,
    unbindOnStart = false,
  ) {
    this.#built = built;
    this.#binding = binding;
    this.#unbindOnStart = unbindOnStart;
  }

  /** OCI `state`. */
  state(): Promise<ContainerState> {
    return this.runtime.state(this.id);
  }
  /** OCI `start`. A detached container is no longer bound to this process once it has started. */
  async start(): Promise<void> {
    await this.runtime.start(this.id);
    if (this.#unbindOnStart) await this.unbind();
  }
  /** The exit status once it has stopped; `signal` stops waiting (`ABORTED`), not the workload. */
  wait(options: { signal?: AbortSignal } = {}): Promise<ExitStatus> {
    return this.runtime.wait(this.id, options);
  }
  /** OCI `kill`. @default SIGTERM */
  kill(signal?: Signal): Promise<void> {
    return this.runtime.kill(this.id, signal);
  }
  /** The stop signal, then SIGKILL after `timeoutMs`; resolves with the exit status. */
  stop(options?: StopOptions): Promise<ExitStatus> {
    return this.runtime.stop(this.id, options);
  }
  /** Its `'pipe'` streams. */
  get streams(): ContainerStreams {
    return this.runtime.streams(this.id);
  }

  /**
   * Kill it if it still runs, delete it, and remove the bundle {@link createContainer} built for it
   * (a bundle passed in is the caller's and stays). Safe to call more than once.
   */
  async dispose(): Promise<void> {
    if (this.#created) {
      await this.runtime.delete(this.id, { force: true }).catch((e: unknown) => {
        if (!isMagikrunError(e, ErrorCode.NotFound)) throw e;
      });
      this.#created = false;
    }
    if (this.#built) await removeBundle(this.bundle);
    await this.#binding?.release();
  }

  /**
   * Keep the container after this process after all (`magikrun run --no-rm` keeps a stopped one): it is
   * no longer taken down when this process dies; `dispose()` still removes it.
   */
  async unbind(): Promise<void> {
    await this.#binding?.release();
  }

  /** @internal after a failed create: remove only the bundle that was built for it. */
  async abandon(): Promise<void> {
    this.#created = false;
    await this.dispose();
  }

  /** `await using`: {@link dispose}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

function isBundle(source: unknown): source is Bundle {
  return typeof source === 'object' && source !== null && 'kind' in source && 'path' in source && !('manifest' in source);
}

function networkKind(network: string): NetworkModeKind {
  const parsed = parseNetworkMode(network);
  return parsed.kind === 'netns' ? 'path' : parsed.kind;
}

/** What the options ask of a runtime. */
export function needsOf(options: ContainerOptions): RuntimeNeeds {
  const stdin = options.stdio?.stdin;
  return {
    ...options.needs,
    limits: [...new Set([...(options.needs?.limits ?? []), ...limitsGiven(options.resources)])],
    ...(stdin !== undefined && stdin !== 'ignore' ? { stdin: true } : {}),
    ...(options.detach ? { detach: true } : {}),
    ...(options.user !== undefined ? { user: true } : {}),
    ...(options.hostname !== undefined ? { hostname: true } : {}),
    ...(options.network !== undefined ? { network: networkKind(options.network) } : {}),
  };
}

async function resolve(source: string | PulledImage, store: BlobStore, registry: RuntimeRegistry, options: ContainerOptions): Promise<PulledImage> {
  if (typeof source !== 'string') return source;
  const kinds = options.runtime !== undefined ? registry.require(options.runtime).capabilities.bundleKinds : undefined;
  if ((options.pull ?? 'missing') === 'missing' && !source.startsWith('oci:')) {
    const local = await loadImage(source, store);
    if (local) return local;
  }
  return pullImage(source, store, { acceptPlatforms: registry.platforms(kinds), ...options.pullOptions, ...(options.signal ? { signal: options.signal } : {}) });
}

/**
 * Pull the image (or take the pulled image or bundle given), choose the bundle kind and runtime through
 * the registry's selection step, build the bundle under `<root>/bundles/<id>` (`oci`: snapshot-backed)
 * and create the container. Start it with `start()`; dispose of it with `await using` or `dispose()`.
 *
 * @example
 * await using c = await createContainer('127.0.0.1:5000/hello:latest', { args: ['x'], stdio: { stdout: process.stdout } });
 * await c.start();
 * const { code } = await c.wait();
 * @throws MagikrunError everything `pullImage`, `RuntimeRegistry.select` (`UNSUPPORTED` / `UNAVAILABLE`
 *   with `details.refused`), `BundleBuilder.build` and the runtime's `create` throw; `UNAVAILABLE` with
 *   `details.refused` and `details.wasmModule` `'absent'` for a Linux image no Linux runtime can run
 *   that holds no WebAssembly module either. Nothing is left behind on failure.
 */
export async function createContainer(source: string | PulledImage | Bundle, options: ContainerOptions = {}): Promise<Container> {
  const registry = options.registry ?? (await RuntimeRegistry.create(undefined, { ...(options.root !== undefined ? { root: options.root } : {}) }));
  const id = options.id ?? `magikrun-${randomBytes(6).toString('hex')}`;
  const needs = needsOf(options);
  let bundle: Bundle;
  let built = false;
  let selected: { runtime: OciRuntime; kind: BundleKind; refused: RefusedRuntime[] };
  // Bound before anything is built: a creator that dies at any moment from here on leaves nothing of
  // this id behind (and never touches another process's container of the same id). A detached container
  // is bound until it has started.
  const bound = options.boundToCreator ?? true;
  let binding: OwnerBinding | undefined = options.binding;
  const ownBinding = binding === undefined;
  let root: string | undefined;
  const bind = (runtime: OciRuntime, dataRoot: string | undefined): void => {
    root = dataRoot;
    if (!isHostScoped(runtime)) return; // its containers end with this process; a given binding still sweeps the bundle
    if (!binding && !bound) return;
    binding ??= bindToCreator();
    binding.watch({ ...(root !== undefined ? { root } : {}), id });
  };
  if (isBundle(source)) {
    selected = registry.select({ kinds: [source.kind], needs, ...(options.runtime !== undefined ? { runtime: options.runtime } : {}) });
    bundle = source;
    bind(selected.runtime, undefined);
  } else {
    const store = options.store ?? new BlobStore({ ...(options.root !== undefined ? { root: options.root } : {}) });
    const image = await resolve(source, store, registry, options);
    const imageKind = imageBundleKind(image);
    // A Linux image may also run as WebAssembly when its entrypoint is a module (runwasi's rule).
    const kinds: BundleKind[] = imageKind === 'oci' ? ['oci', 'wasm'] : [imageKind];
    selected = registry.select({ kinds, needs, ...(options.runtime !== undefined ? { runtime: options.runtime } : {}) });
    bind(selected.runtime, store.root);
    bundle = await build(image, store, id, selected.kind, options).catch(async (e: unknown) => {
      if (ownBinding) await binding?.release();
      if (selected.kind !== imageKind && isMagikrunError(e, ErrorCode.InvalidArgument) && (e.details as { wasmModule?: unknown }).wasmModule === 'absent') {
        throw noLinuxRuntime(image, selected, e);
      }
      throw e;
    });
    built = true;
  }
  const runtime = selected.runtime;
  const c = new Container(id, runtime, bundle, built, selected.refused, binding, options.detach === true && options.boundToCreator === undefined);
  if (binding && isHostScoped(runtime)) {
    // From now on a container of this id that names this bundle and was created since is this process's.
    binding.watch({ ...(root !== undefined ? { root } : {}), id, runtime: runtime.name, stateRoot: runtime.stateRoot, bundle: bundle.path, since: Date.now() });
  }
  try {
    await runtime.create(id, bundle, {
      ...(options.stdio ? { stdio: options.stdio } : {}),
      ...(options.detach ? { detach: true } : {}),
      ...(options.allowAboveDefault ? { allowAboveDefault: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    // Not ours to delete: a create refused with ALREADY_EXISTS names another container.
    await c.abandon();
    throw e;
  }
  return c;
}

function build(image: PulledImage, store: BlobStore, id: string, kind: BundleKind, options: ContainerOptions): Promise<Bundle> {
  const { args, entrypoint, env, volumes, workdir, user, hostname, network, resources, annotations } = options;
  const builder = new BundleBuilder({ ...(options.root !== undefined ? { root: options.root } : {}), ...(options.onWarning ? { onWarning: options.onWarning } : {}) }).image(image).storage(store);
  const common = { id, args, entrypoint, env, volumes, workdir, resources, annotations };
  if (kind === 'oci') return builder.build({ ...common, user, hostname, network, kind: 'oci', rootfs: 'snapshot', ...(options.signal ? { signal: options.signal } : {}) });
  return builder.build({ ...common, kind } as Parameters<BundleBuilder['build']>[0]);
}

function noLinuxRuntime(image: PulledImage, selected: { runtime: OciRuntime; refused: RefusedRuntime[] }, cause: unknown): Error {
  const p = image.platform;
  const refused = selected.refused.filter((r) => r.kind === 'oci');
  const details = { reference: image.reference, platform: p, refused, wasmModule: 'absent', runtime: selected.runtime.name };
  if (refused.length === 0) {
    // Only a runtime chosen by name that runs no Linux containers was considered.
    const kinds = selected.runtime.capabilities.bundleKinds.map((k) => KIND_NOUNS[k]).join(' and ');
    return err(
      ErrorCode.InvalidArgument,
      `${image.reference} is a ${KIND_NOUNS.oci} image (${p.os}/${p.architecture}) with no WebAssembly module, and runtime ${selected.runtime.name} runs only ${kinds} images; choose no runtime to run it as a ${KIND_NOUNS.oci} container`,
      details,
      cause,
    );
  }
  return err(
    refused.some((r) => r.why === 'needs') ? ErrorCode.Unsupported : ErrorCode.Unavailable,
    `${image.reference} is a ${p.os}/${p.architecture} image with no WebAssembly module, and no runtime for ${KIND_NOUNS.oci} containers can run it here: ${refused.map((r) => r.reason).join('; ')}`,
    details,
    cause,
  );
}

/**
 * Run an image (or a bundle) to completion: {@link createContainer}, start, wait, and dispose —
 * however it ends (an error, `timeoutMs`, `signal`), nothing is left: no container, bundle or snapshot.
 *
 * @example
 * const status = await run('127.0.0.1:5000/hello:latest', { args: ['x'], stdio: { stdout: process.stdout } });
 * @returns the exit status (`{ code: 124, reason: 'timed-out' }` after `timeoutMs`).
 * @throws MagikrunError as {@link createContainer}; `ABORTED` when `signal` aborts (the workload is killed first).
 */
export async function run(source: string | PulledImage | Bundle, options: RunOptions = {}): Promise<ExitStatus> {
  const { timeoutMs, ...rest } = options;
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1)) {
    throw err(ErrorCode.InvalidArgument, `timeoutMs must be a whole number of ms from 1 to ${2 ** 31 - 1}, not ${String(timeoutMs)}`, { timeoutMs });
  }
  await using c = await createContainer(source, rest);
  const signal = options.signal;
  signal?.throwIfAborted();
  let timedOut = false;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    c.kill('SIGKILL').catch(() => undefined);
  }, timeoutMs);
  const onAbort = (): void => void c.kill('SIGKILL').catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await c.start();
    const status = await c.wait();
    if (signal?.aborted) throw err(ErrorCode.Aborted, `run of ${c.id} was aborted; the workload was killed`, { id: c.id, status });
    return timedOut && status.reason === 'killed' ? { code: 124, reason: 'timed-out', message: `ran longer than timeoutMs ${timeoutMs} ms` } : status;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
