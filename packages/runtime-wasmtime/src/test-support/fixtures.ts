/**
 * Test helpers: wasm bundles made from the C programs that test/global-setup.ts compiles.
 * Not part of the package build (tsup bundles from src/index.ts only).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Preopen, ResourceLimits, WasmBundle } from '@magikrun/core';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of the compiled test programs (test/global-setup.ts). */
    wasmFixtures: string;
  }
}

/** The names of the compiled test programs. */
export type Program =
  | 'hello'
  | 'emit'
  | 'sleep'
  | 'spin'
  | 'read-stdin'
  | 'write-forever'
  | 'write-file'
  | 'trap'
  | 'memhog'
  | 'fsops'
  | 'sockets'
  | 'environ'
  | 'recurse'
  | 'bigmem'
  | 'memory64'
  | 'shared-memory'
  | 'host-loop'
  | 'open-many';

/** Absolute path of a compiled program. */
export function programPath(name: Program): string {
  return path.join(inject('wasmFixtures'), `${name}.wasm`);
}

export async function sha256File(file: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;
}

/** A scratch directory, removed by the returned cleanup. */
export async function scratch(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `magikrun-wasmtime-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A wasm bundle for a module file (any file: the digest is computed from it). */
export async function bundleFor(
  module: string,
  root: string,
  opts: { args?: string[]; env?: string[]; preopens?: Preopen[]; digest?: string; resources?: ResourceLimits } = {},
): Promise<WasmBundle> {
  const dir = await mkdtemp(path.join(root, 'bundle-'));
  await mkdir(dir, { recursive: true });
  return {
    kind: 'wasm',
    path: dir,
    module,
    moduleDigest: opts.digest ?? (await sha256File(module)),
    args: opts.args ?? [path.basename(module, '.wasm')],
    env: opts.env ?? [],
    preopens: opts.preopens ?? [],
    ...(opts.resources ? { resources: opts.resources } : {}),
  };
}

/** A bundle of one of the test programs. */
export async function programBundle(
  name: Program,
  root: string,
  opts: { args?: string[]; env?: string[]; preopens?: Preopen[]; resources?: ResourceLimits } = {},
): Promise<WasmBundle> {
  return bundleFor(programPath(name), root, { ...opts, args: [name, ...(opts.args ?? [])] });
}

/** Read a stream to its end as UTF-8. */
export async function text(stream: Readable | undefined): Promise<string> {
  if (!stream) throw new Error('no stream');
  let s = '';
  for await (const chunk of stream) s += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return s;
}

/** Resolve after the first chunk arrives on `stream` (the module is running and has written). */
export function firstChunk(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) throw new Error('no stream');
  return new Promise((resolve, reject) => {
    stream.once('data', (c: Buffer) => {
      stream.pause();
      resolve(c);
    });
    stream.once('error', reject);
  });
}
