/**
 * `WasmtimeRuntime`: the OCI lifecycle for WASI preview 1 command modules on wasmtime 48.
 *
 * @module runtime
 */
import path from 'node:path';
import { assertTransition, type Bundle, type ContainerState, type ContainerStreams, type DeleteOptions, type ExitStatus, type OciRuntime, type Signal, type StopOptions, type WaitOptions } from '@magikrun/core/runtime';
import { resolveStoreRoot } from '@magikrun/core/storage';
import { fromBindingError } from './binding/errors.js';
import { WASMTIME_CAPABILITIES } from './capabilities.js';
import { loadBinding } from './binding/load.js';
import type { BindingEngine } from './binding/types.js';
import { create } from './lifecycle/create.js';
import type { RuntimeContext } from './lifecycle/context.js';
import { deleteContainer } from './lifecycle/delete.js';
import { kill } from './lifecycle/kill.js';
import { start } from './lifecycle/start.js';
import { stop } from './lifecycle/stop.js';
import { wait } from './lifecycle/wait.js';
import { resolveLimits, resolveStackSize, type WasmtimeCreateOptions, type WasmtimeRuntimeOptions } from './options.js';
import { Records, stateOf } from './record.js';

/** Each runtime's context, for {@link contextOf}. */
const contexts = new WeakMap<WasmtimeRuntime, RuntimeContext>();

/**
 * The internals of a runtime (its binding engine and records), for this package's tests. Not exported
 * from the package.
 * @internal
 */
export function contextOf(rt: WasmtimeRuntime): RuntimeContext {
  const ctx = contexts.get(rt);
  if (!ctx) throw new Error('not a WasmtimeRuntime');
  return ctx;
}

/** The default compiled-module cache directory: `<$MAGIKRUN_ROOT or ~/.magikrun>/cache/wasmtime`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(resolveStoreRoot(undefined, env), 'cache', 'wasmtime');
}

/**
 * Runs WebAssembly (WASI preview 1 command modules) with wasmtime, behind the OCI runtime lifecycle.
 *
 * **Scope `'process'`:** a container lives inside the Node.js process that created it — its module runs
 * on a thread of this process and ends when the process ends. `list()` returns the containers of this
 * runtime instance only; no other process can see, signal or delete them.
 *
 * Sandbox (each limit configurable, see {@link WasmtimeRuntimeOptions}): fuel `DEFAULT_WASM_FUEL`,
 * optional wall-clock limit, linear memory 256 MiB (at most 4 GiB), table/instance/memory counts, wasm
 * stack 512 KiB; memory64 and threads off; only WASI preview 1 is linked (no sockets); stdin closed
 * unless given; no host environment inherited; only the bundle's preopens are visible.
 *
 * Exit statuses: `exited` with the exact `proc_exit` code; `fuel-exhausted` (134); `trapped` (134, with
 * the trap message); `oom` (137) when a trap follows a memory growth the limit refused; `killed` (137)
 * for SIGKILL; `signaled` (128 + N) for other terminating signals; `timed-out` (124).
 *
 * @example
 * const rt = new WasmtimeRuntime({ wallClockMs: 10_000 });
 * await rt.create('hello', bundle, { stdio: { stdout: 'pipe' } });
 * rt.streams('hello').stdout?.pipe(process.stdout);
 * await rt.start('hello');
 * const { code } = await rt.wait('hello');
 * await rt.delete('hello');
 */
export class WasmtimeRuntime implements OciRuntime {
  /** `'wasmtime'`. */
  readonly name = 'wasmtime';
  /** `wasm` bundles, `'process'` scope (containers live inside this process; see the class documentation); memory, fuel and wall-clock limits. */
  readonly capabilities = WASMTIME_CAPABILITIES;
  /** The compiled-module cache directory, or undefined when the cache is off. */
  readonly cacheDir: string | undefined;
  readonly #ctx: RuntimeContext;

  /**
   * @throws MagikrunError `UNAVAILABLE` when the native binding cannot be loaded (the message lists
   *   every place tried); `INVALID_ARGUMENT` for a bad limit or an unsafe cache directory.
   */
  constructor(options: WasmtimeRuntimeOptions = {}) {
    resolveLimits(options); // fail at construction on a bad default, not at the first create
    const maxWasmStack = resolveStackSize(options);
    this.cacheDir = options.cache === false ? undefined : path.resolve(options.cacheDir ?? (options.root !== undefined ? path.join(options.root, 'cache', 'wasmtime') : defaultCacheDir()));
    const binding = loadBinding();
    let engine: BindingEngine;
    try {
      engine = new binding.BindingEngine({ maxWasmStack, ...(this.cacheDir !== undefined ? { cacheDir: this.cacheDir } : {}) });
    } catch (e) {
      throw fromBindingError(e, 'WasmtimeRuntime');
    }
    const { cacheDir: _c, cache: _k, maxWasmStack: _s, ...limits } = options;
    this.#ctx = { engine, records: new Records(), limits };
    contexts.set(this, this.#ctx);
  }

  /**
   * OCI `create`: read the module (at most `maxModuleSize` bytes), verify its sha256 against
   * `bundle.moduleDigest`, refuse components and non-wasm, compile it (or load the verified cached
   * compilation) off the JavaScript thread, link WASI preview 1 and prepare the store. Resolves with
   * status `created`.
   *
   * @throws MagikrunError `INVALID_ARGUMENT` (bad id, not a wasm bundle, not wasm, not a WASI command,
   *   unknown imports, bad limits or stdio, unopenable preopen, a module path that is not a regular
   *   file), `ALREADY_EXISTS`, `NOT_FOUND` (module file missing), `DIGEST_MISMATCH`, `LIMIT_EXCEEDED`
   *   (module too large; more initial memory, more tables/memories or larger tables than the limits
   *   allow), `UNSUPPORTED` (a WASI preview 2 component; a proposal that is off, e.g. memory64,
   *   threads), `TIMEOUT` (`options.timeoutMs`), `ABORTED` (`options.signal`).
   */
  create(id: string, bundle: Bundle, options?: WasmtimeCreateOptions): Promise<ContainerState> {
    return create(this.#ctx, id, bundle, options);
  }

  /**
   * OCI `start`: run `_start` on a worker thread. Allowed only in `created`.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`
   */
  async start(id: string): Promise<void> {
    return start(this.#ctx, id);
  }

  /** OCI `state` (no `pid`: the module runs inside this process). @throws MagikrunError `NOT_FOUND` */
  async state(id: string): Promise<ContainerState> {
    const r = this.#ctx.records.get(id);
    assertTransition('state', r.status, id);
    return stateOf(r);
  }

  /**
   * OCI `kill`. A signal whose default action is terminate ends the module at once, even while it is
   * blocked in a host call (SIGKILL → `killed`, others → `signaled` with 128 + N); ignore-by-default
   * signals (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) do nothing. Resolves when the signal is delivered.
   *
   * @default signal `'SIGTERM'`
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE` (not created or running), `INVALID_ARGUMENT`
   *   (unknown signal), `UNSUPPORTED` (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: wasm cannot be paused)
   */
  async kill(id: string, signal?: Signal): Promise<void> {
    return kill(this.#ctx, id, signal);
  }

  /**
   * OCI `delete`: free the store, instance, memory and stdin. Allowed in `stopped`; with `force`, in
   * any status (SIGKILL and wait first). `'pipe'` output Readables stay readable to their end (the last
   * ≤ 64 KiB the module wrote), so a delete never cuts a reader's output short.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`
   */
  async delete(id: string, options?: DeleteOptions): Promise<void> {
    return deleteContainer(this.#ctx, id, options);
  }

  /**
   * Resolve with the exit status once the module has ended and its output has reached file and
   * `Writable` targets. @throws MagikrunError `NOT_FOUND`, `ABORTED`
   */
  async wait(id: string, options?: WaitOptions): Promise<ExitStatus> {
    return wait(this.#ctx, id, options);
  }

  /**
   * The stop signal (`options.signal`, else the bundle's `stopSignal`, else SIGTERM), then SIGKILL after
   * `timeoutMs` (default `DEFAULT_STOP_TIMEOUT`) if the module is still running.
   * @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`
   */
  async stop(id: string, options?: StopOptions): Promise<ExitStatus> {
    return stop(this.#ctx, id, options);
  }

  /** The containers of this runtime instance in this process (scope `'process'`). */
  async list(): Promise<ContainerState[]> {
    return this.#ctx.records.all().map(stateOf);
  }

  /**
   * The `'pipe'` streams given at create: `stdout`/`stderr` Readables that end when the module has
   * ended, a `stdin` Writable whose `end()` closes the module's stdin. Unread pipes buffer 64 KiB, then
   * the module blocks (and stays killable).
   * @throws MagikrunError `NOT_FOUND`
   */
  streams(id: string): ContainerStreams {
    return this.#ctx.records.get(id).streams;
  }
}
