/**
 * A finished container does not keep the process alive: a Node process that leaves finished, killed and
 * never-started containers behind (not deleted, pipes unread, a stdin source that never ends — its own
 * stdin, a pipe that stays open — included) exits on its own. Runs the built package (`dist/`) in a
 * child process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { scratch } from './test-support/fixtures.js';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distIndex = path.join(pkg, 'dist', 'index.js');

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('process-exit'));
});

afterAll(async () => {
  await cleanup();
});

it('a process whose containers have finished (or never started) exits on its own', async () => {
  expect(existsSync(distIndex), `${distIndex} is missing: run "pnpm --filter @magikrun/runtime-wasmtime build" first`).toBe(true);
  const child = spawn(process.execPath, [path.join(pkg, 'test', 'child', 'leave-containers.mjs'), distIndex, inject('wasmFixtures'), path.join(dir, 'cache')], {
    // stdin: a pipe this test holds open and never writes to, as `producer | node …` while the producer runs.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // Generous: a process that is kept alive never exits; one that is not exits at once.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  child.stdin.destroy();
  expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(JSON.parse(stdout)).toEqual({
    finished: { code: 4, reason: 'exited' },
    read: { code: 5, reason: 'exited' },
    stdin: { code: 6, reason: 'exited' },
    listening: { endless: 0, stdin: 0 },
    killed: { code: 137, reason: 'killed', signal: 'SIGKILL', message: 'killed by SIGKILL' },
    states: ['stopped', 'stopped', 'stopped', 'stopped', 'created'],
  });
});
