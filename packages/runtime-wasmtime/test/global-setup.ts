/**
 * vitest globalSetup of @magikrun/runtime-wasmtime: compiles the C programs in test/fixtures with
 * clang-16 and wasi-libc (Debian: clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32) into a temp
 * directory, provided to the tests as `inject('wasmFixtures')`. A missing compiler fails the run.
 *
 * A fixture whose first line is `// clang: FLAGS` is compiled with FLAGS instead of the default
 * `--target=wasm32-wasi --sysroot=/usr -O2` (for modules that need linker options or another target).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const CC = process.env['WASI_CC'] ?? 'clang-16';
const DEFAULT_FLAGS = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2'];

/** The flags of a fixture: its `// clang: FLAGS` first line, else the defaults. */
function flagsOf(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^\/\/ clang: (.+)$/.exec(first);
  return m ? (m[1] as string).trim().split(/\s+/) : DEFAULT_FLAGS;
}

export default function setup(project: TestProject): () => void {
  try {
    execFileSync(CC, ['--version'], { stdio: 'ignore' });
  } catch (e) {
    throw new Error(
      `${CC} is needed to build the WASI test programs: apt-get install clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 (${(e as Error).message})`,
    );
  }
  const src = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
  const out = mkdtempSync(join(tmpdir(), 'magikrun-wasmtime-fixtures-'));
  for (const file of readdirSync(src).filter((f) => f.endsWith('.c'))) {
    execFileSync(CC, [...flagsOf(join(src, file)), join(src, file), '-o', join(out, `${basename(file, '.c')}.wasm`)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  // `wasmFixtures` is declared in src/test-support/fixtures.ts (ProvidedContext).
  project.provide('wasmFixtures', out);
  return () => rmSync(out, { recursive: true, force: true });
}
