/**
 * Internal: the shape of the native binding (`crates/wasmtime-binding`), kept by hand in step with
 * the declarations napi-rs generates (`binding.d.cts` after `pnpm build:native`). Nothing here is
 * public API; {@link WasmtimeRuntime} is.
 *
 * @internal
 * @module binding/types
 */

/** @internal */
export interface BindingEngineOptions {
  /** Largest wasm stack, in bytes. */
  maxWasmStack: number;
  /** Compiled-module cache directory; absent → no cache. */
  cacheDir?: string;
}

/** @internal */
export interface BindingPreopen {
  hostPath: string;
  guestPath: string;
  readonly: boolean;
}

/** @internal */
export interface BindingOutput {
  kind: 'ignore' | 'pipe' | 'file';
  path?: string;
  append?: boolean;
}

/** @internal */
export interface BindingInput {
  kind: 'ignore' | 'pipe' | 'file';
  path?: string;
}

/** @internal */
export interface BindingCreateOptions {
  modulePath: string;
  moduleDigest: string;
  /** bytes */
  maxModuleSize: number;
  args: string[];
  env: string[];
  preopens: BindingPreopen[];
  cwd?: string;
  stdin: BindingInput;
  stdout: BindingOutput;
  stderr: BindingOutput;
  /** fuel units; absent → unlimited */
  fuel?: number;
  /** ms; absent → none */
  wallClockMs?: number;
  /** bytes */
  memorySize: number;
  tableElements: number;
  instances: number;
  tables: number;
  memories: number;
  openFiles: number;
}

/** @internal */
export interface BindingCreated {
  handle: number;
  cache: 'hit' | 'miss' | 'rejected' | 'disabled';
}

/** @internal */
export interface BindingExitStatus {
  reason: string;
  code: number;
  signal?: string;
  message?: string;
}

/** @internal What an engine holds right now. */
export interface BindingStats {
  containers: number;
  pipes: number;
  stores: number;
}

/** @internal */
export interface BindingEngine {
  engineHash(): string;
  stats(): BindingStats;
  cacheEntryPath(moduleDigest: string): string | null;
  create(o: BindingCreateOptions): Promise<BindingCreated>;
  /** Synchronous: once it returns, the run is under way (a kill cancels it). */
  start(handle: number): void;
  wait(handle: number): Promise<BindingExitStatus>;
  kill(handle: number, status: BindingExitStatus): void;
  delete(handle: number): void;
  /** Works after `delete` until the pipe's buffered bytes are read; null at the end. */
  read(handle: number, stream: 'stdout' | 'stderr'): Promise<Buffer | null>;
  /** Free an output pipe and what it still buffers. */
  releasePipe(handle: number, stream: 'stdout' | 'stderr'): void;
  writeStdin(handle: number, chunk: Buffer): Promise<boolean>;
  closeStdin(handle: number): Promise<void>;
}

/** @internal What the `.node` file exports. */
export interface BindingModule {
  BindingEngine: new (options: BindingEngineOptions) => BindingEngine;
}
