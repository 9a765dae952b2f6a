import type { Writable } from 'node:stream';
import type { ExitStatus } from '@magikrun/core';
import { createContainer, run } from '@magikrun/registry';

interface Io {
  stdout: Writable;
  stderr: Writable;
  root?: string; // data root: ~/.magikrun unless this or MAGIKRUN_ROOT says otherwise
}

/** Pull `reference` and run it to completion on the first installed backend that fits; nothing is left behind. */
export function runImage(reference: string, args: string[], io: Io): Promise<ExitStatus> {
  return run(reference, { args, root: io.root, stdio: { stdout: io.stdout, stderr: io.stderr }, timeoutMs: 60_000 });
}

/** The same, step by step: when `c` goes out of scope, however the block ends, it is killed if need be and deleted, and its bundle removed. */
export async function runStepByStep(reference: string, args: string[], io: Io): Promise<ExitStatus> {
  await using c = await createContainer(reference, {
    args,
    root: io.root,
    stdio: { stdout: io.stdout, stderr: io.stderr },
    resources: { memoryBytes: 64 * 1024 * 1024 }, // a runtime that cannot enforce a limit is never chosen
  });
  console.log(`${c.id} runs on ${c.runtime.name} (${c.bundle.kind} bundle)`); // wasmtime for wasm images, youki for Linux ones
  await c.start();
  return await c.wait(); // { code: 0, reason: 'exited' } — awaited here, before `c` is disposed
}
