// `producer | magikrun run -i IMAGE`: the CLI exits when the workload ends, even while the producer keeps
// the pipe open (as `docker run -i` does). It used to wait for the pipe's end-of-file on the wasm path.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { CLI, runCli, tempDir } from './support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

/** Run the CLI with a stdin pipe this test writes `input` into and then keeps open; killed after 20 s. */
async function runWithOpenStdin(args: string[], root: string, input: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, '--root', root, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.write(input);
  // Generous: a CLI held by its stdin never exits; one that is not exits as soon as the workload ends.
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(guard);
  child.stdin.destroy();
  return { code, signal, stdout, stderr };
}

describe('run -i with a stdin that stays open', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-stdin-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    expect((await runCli(['pull', '-q', images.refs.hello], { root })).code).toBe(0);
    if (linux) expect((await runCli(['pull', '-q', images.refs.busybox], { root })).code).toBe(0);
  });
  afterAll(() => cleanup());

  it('a WebAssembly module that ends: the CLI exits with its code at once', async () => {
    const r = await runWithOpenStdin(['run', '-q', '-i', images.refs.hello, 'x', '--exit=3'], root, 'some input\n');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
  });

  it.runIf(linux)('a Linux container that ends: the CLI exits with its code at once', async () => {
    const r = await runWithOpenStdin(['run', '-q', '-i', images.refs.busybox, 'sh', '-c', 'read line; echo "got $line"; exit 4'], root, 'some input\n');
    expect(r.signal).toBeNull();
    expect(r.stdout).toBe('got some input\n');
    expect(r.code).toBe(4);
  });
});
