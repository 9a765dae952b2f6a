// Child process of process-exit.test.ts: leaves finished, killed and never-started containers behind
// (no delete), with pipes unread, then returns. The process must exit on its own.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';

const [distIndex, fixtures, cacheDir] = process.argv.slice(2);
const { WasmtimeRuntime } = await import(distIndex);

function bundle(name, args = []) {
  const module = `${fixtures}/${name}.wasm`;
  const digest = `sha256:${createHash('sha256').update(readFileSync(module)).digest('hex')}`;
  return { kind: 'wasm', path: fixtures, module, moduleDigest: digest, args: [name, ...args], env: [], preopens: [] };
}

const rt = new WasmtimeRuntime({ cacheDir });
// Ran to its end; its pipes never read.
await rt.create('finished', bundle('hello', ['4']), { stdio: { stdout: 'pipe', stderr: 'pipe', stdin: 'pipe' } });
await rt.start('finished');
const a = await rt.wait('finished');
// Ran to its end with its stdout read, stdin fed by a Readable that never ends.
const endless = new PassThrough();
await rt.create('read', bundle('hello', ['5']), { stdio: { stdout: 'pipe', stdin: endless } });
const chunks = [];
rt.streams('read').stdout.on('data', (c) => chunks.push(c));
await rt.start('read');
const b = await rt.wait('read');
// Ran to its end with stdin from this process's own stdin: a pipe the parent keeps open and never
// writes (`producer | node …`), whose handle keeps a process alive while anything listens to it.
await rt.create('stdin', bundle('hello', ['6']), { stdio: { stdin: process.stdin } });
await rt.start('stdin');
const d = await rt.wait('stdin');
await new Promise((resolve) => setImmediate(resolve));
// Killed while sleeping.
await rt.create('killed', bundle('sleep'), { stdio: { stdout: 'pipe' } });
await rt.start('killed');
await rt.kill('killed', 'SIGKILL');
const c = await rt.wait('killed');
// Created, never started.
await rt.create('idle', bundle('sleep'), { stdio: { stdout: 'pipe', stderr: 'pipe' } });
rt.streams('idle').stdout.on('data', () => undefined); // a reader waiting for a start that never comes
console.log(
  JSON.stringify({
    finished: a,
    read: b,
    stdin: d,
    listening: { endless: endless.listenerCount('data'), stdin: process.stdin.listenerCount('data') },
    killed: c,
    states: (await rt.list()).map((s) => s.status),
  }),
);
