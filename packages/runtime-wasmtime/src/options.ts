/**
 * Options of {@link WasmtimeRuntime} and of its `create`, with their defaults and how they resolve.
 *
 * Every sandbox limit is a default that a caller may lower; raising one above its default needs
 * `allowAboveDefault: true` (core's `checkLimit`), and some have a hard ceiling no option lifts.
 *
 * @module options
 */
import { checkLimit, DEFAULT_WASM_FUEL, DEFAULT_WASM_MEMORY_SIZE, MAX_WASM_MEMORY_PAGES, MAX_WASM_MODULE_SIZE, WASM_PAGE_SIZE } from '@magikrun/core/constants';
import { err, ErrorCode } from '@magikrun/core/errors';
import type { CreateOptions, ResourceLimits } from '@magikrun/core/runtime';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Hard ceiling of linear memory, in bytes: `MAX_WASM_MEMORY_PAGES` × 64 KiB = 4 GiB. */
export const MAX_WASM_MEMORY_SIZE = MAX_WASM_MEMORY_PAGES * WASM_PAGE_SIZE;
/** Default most elements of one table: 100 000 (a table element costs 8 bytes of host memory). */
export const DEFAULT_WASM_TABLE_ELEMENTS = 100_000;
/** Default most instances per container: 1 (a WASI command is one instance). */
export const DEFAULT_WASM_INSTANCES = 1;
/** Default most tables per container: 1. */
export const DEFAULT_WASM_TABLES = 1;
/** Default most linear memories per container: 1. */
export const DEFAULT_WASM_MEMORIES = 1;
/**
 * Default most WASI handles a container holds at once (open files and directories, stdio streams, poll
 * subscriptions): 1024, the usual per-process file limit. Each open file is a host file descriptor of
 * this process, so without a cap one module could exhaust them for every other container and the host.
 */
export const DEFAULT_WASM_OPEN_FILES = 1024;
/** Hard ceiling of {@link WasmSandboxLimits.openFiles}: 1 000 000 (wasmtime's own table limit). */
export const MAX_WASM_OPEN_FILES = 1_000_000;
/** Default largest wasm stack, in bytes: 512 KiB (wasmtime's default). */
export const DEFAULT_WASM_STACK_SIZE = 512 * KiB;
/** Hard ceiling of the wasm stack, in bytes: 64 MiB. */
export const MAX_WASM_STACK_SIZE = 64 * MiB;

/** Limits of one container's sandbox. Each may be set on the runtime and overridden per `create`. */
export interface WasmSandboxLimits {
  /**
   * Fuel: roughly the number of wasm instructions the module may execute; out of fuel ends it with
   * reason `fuel-exhausted`. `false` disables the limit (the module still yields so that kill works).
   * A host call costs little fuel however much work it does: bound time with `wallClockMs`.
   * @default DEFAULT_WASM_FUEL (1e9)
   */
  fuel?: number | false;
  /** Wall-clock limit of a run, in ms from `start`; reaching it ends the module with reason `timed-out`. @default none */
  wallClockMs?: number;
  /** Largest linear memory, in bytes (a growth beyond it fails; at most 4 GiB). @default DEFAULT_WASM_MEMORY_SIZE (256 MiB) */
  memorySize?: number;
  /** Most elements of one table. @default DEFAULT_WASM_TABLE_ELEMENTS (100 000) */
  tableElements?: number;
  /** Most instances. @default DEFAULT_WASM_INSTANCES (1) */
  instances?: number;
  /** Most tables. @default DEFAULT_WASM_TABLES (1) */
  tables?: number;
  /** Most linear memories. @default DEFAULT_WASM_MEMORIES (1) */
  memories?: number;
  /**
   * Most WASI handles held at once (open files and directories, stdio streams, poll subscriptions);
   * one more ends the module as `trapped` (134) with a message naming this limit (wasmtime traps rather
   * than returning an errno). At most {@link MAX_WASM_OPEN_FILES}.
   * @default DEFAULT_WASM_OPEN_FILES (1024)
   */
  openFiles?: number;
  /** Largest module file, in bytes; a larger one is `LIMIT_EXCEEDED`. @default MAX_WASM_MODULE_SIZE (256 MiB) */
  maxModuleSize?: number;
  /** Allow values above the defaults (never above the hard ceilings). @default false */
  allowAboveDefault?: boolean;
}

/** Options of the {@link WasmtimeRuntime} constructor: engine settings plus default sandbox limits. */
export interface WasmtimeRuntimeOptions extends WasmSandboxLimits {
  /** The magikrun data root (what `RuntimeRegistry.create({ root })` passes): the cache defaults to `<root>/cache/wasmtime`. */
  root?: string;
  /**
   * Directory of the compiled-module cache (created 0700; refused when it is a symlink, group/world-writable
   * or owned by another user). Entries are keyed by module digest and engine compatibility hash, both
   * recorded inside each entry too, and verified on every load.
   * @default `<root>/cache/wasmtime`, `root` defaulting to `$MAGIKRUN_ROOT` or `~/.magikrun`
   */
  cacheDir?: string;
  /** Use the compiled-module cache. @default true */
  cache?: boolean;
  /** Largest wasm stack, in bytes (deep recursion beyond it traps). At most 64 MiB. @default DEFAULT_WASM_STACK_SIZE (512 KiB) */
  maxWasmStack?: number;
}

/**
 * The engine's own limits, beyond core's `ResourceLimits` (memory, fuel and wall clock come from the
 * bundle's `resources`; the opt-in above the defaults is `CreateOptions.allowAboveDefault`).
 */
export type WasmEngineLimits = Omit<WasmSandboxLimits, 'fuel' | 'wallClockMs' | 'memorySize' | 'allowAboveDefault'>;

/** Options of {@link WasmtimeRuntime.create}: core's `CreateOptions` plus this container's engine limits. */
export interface WasmtimeCreateOptions extends CreateOptions {
  /** Override the runtime's engine limits (tables, instances, memories, open files, module size) for this container. */
  sandbox?: WasmEngineLimits;
}

/**
 * The per-container layer of {@link resolveLimits}: the bundle's `resources` (memory, fuel, wall clock)
 * and the create options' engine limits and opt-in.
 */
export function containerLimits(resources: ResourceLimits | undefined, options: WasmtimeCreateOptions): WasmSandboxLimits {
  const out: WasmSandboxLimits = { ...options.sandbox };
  for (const k of ['fuel', 'wallClockMs', 'memorySize', 'allowAboveDefault'] as const) {
    if (k in out) throw err(ErrorCode.InvalidArgument, `sandbox.${k} is not an engine limit: ${k === 'allowAboveDefault' ? 'pass allowAboveDefault to create' : "give it in the bundle's resources (BundleBuilder.build({ resources }))"}`, { limit: k });
  }
  if (resources?.memoryBytes !== undefined) out.memorySize = resources.memoryBytes;
  if (resources?.fuel !== undefined) out.fuel = resources.fuel;
  if (resources?.wallClockMs !== undefined) out.wallClockMs = resources.wallClockMs;
  if (options.allowAboveDefault !== undefined) out.allowAboveDefault = options.allowAboveDefault;
  return out;
}

/** Sandbox limits with every value resolved. `fuel` undefined = unlimited; `wallClockMs` undefined = none. */
export interface ResolvedLimits {
  fuel: number | undefined;
  wallClockMs: number | undefined;
  memorySize: number;
  tableElements: number;
  instances: number;
  tables: number;
  memories: number;
  openFiles: number;
  maxModuleSize: number;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw err(ErrorCode.InvalidArgument, `limit ${name} must be a positive integer, got ${String(value)}`, { limit: name, value });
  }
  return value;
}

function ceiling(name: string, value: number, max: number): number {
  if (value > max) {
    throw err(ErrorCode.InvalidArgument, `limit ${name}=${value} is above its hard ceiling ${max}, which no option lifts`, { limit: name, value, max });
  }
  return value;
}

/**
 * Resolve limits: `perCreate` over `runtime` over the defaults. Each value is checked against its
 * default with core's `checkLimit` (raising needs `allowAboveDefault` from either layer).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a value that is not a positive integer, above its default
 *   without `allowAboveDefault`, or above a hard ceiling.
 */
export function resolveLimits(runtime: WasmSandboxLimits = {}, perCreate: WasmSandboxLimits = {}): ResolvedLimits {
  const allow = perCreate.allowAboveDefault ?? runtime.allowAboveDefault ?? false;
  const pick = <K extends keyof WasmSandboxLimits>(k: K): WasmSandboxLimits[K] => (perCreate[k] !== undefined ? perCreate[k] : runtime[k]);
  const lim = (name: keyof WasmSandboxLimits, def: number): number => {
    const v = pick(name);
    return v === undefined ? def : checkLimit(name, positiveInt(name, v), def, allow);
  };
  const fuel = pick('fuel');
  const wall = pick('wallClockMs');
  return {
    fuel: fuel === false ? undefined : fuel === undefined ? DEFAULT_WASM_FUEL : checkLimit('fuel', positiveInt('fuel', fuel), DEFAULT_WASM_FUEL, allow),
    wallClockMs: wall === undefined ? undefined : ceiling('wallClockMs', positiveInt('wallClockMs', wall), 2 ** 31 - 1),
    memorySize: ceiling('memorySize', lim('memorySize', DEFAULT_WASM_MEMORY_SIZE), MAX_WASM_MEMORY_SIZE),
    tableElements: ceiling('tableElements', lim('tableElements', DEFAULT_WASM_TABLE_ELEMENTS), 2 ** 32 - 1),
    instances: ceiling('instances', lim('instances', DEFAULT_WASM_INSTANCES), 10_000),
    tables: ceiling('tables', lim('tables', DEFAULT_WASM_TABLES), 10_000),
    memories: ceiling('memories', lim('memories', DEFAULT_WASM_MEMORIES), 10_000),
    openFiles: ceiling('openFiles', lim('openFiles', DEFAULT_WASM_OPEN_FILES), MAX_WASM_OPEN_FILES),
    maxModuleSize: lim('maxModuleSize', MAX_WASM_MODULE_SIZE),
  };
}

/** Resolve the engine's stack size, in bytes. @throws MagikrunError `INVALID_ARGUMENT` */
export function resolveStackSize(options: WasmtimeRuntimeOptions): number {
  if (options.maxWasmStack === undefined) return DEFAULT_WASM_STACK_SIZE;
  const v = checkLimit('maxWasmStack', positiveInt('maxWasmStack', options.maxWasmStack), DEFAULT_WASM_STACK_SIZE, options.allowAboveDefault ?? false);
  return ceiling('maxWasmStack', v, MAX_WASM_STACK_SIZE);
}
