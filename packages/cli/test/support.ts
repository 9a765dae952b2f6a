/** Run the built CLI (`dist/bin.js`) as a user would, in a child process with its own data root. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun extends Promise<CliResult> {
  /** The child process's pid, to signal it. */
  pid: number;
  /** Resolves when `text` appears on the child's stdout. */
  stdoutContains(text: string): Promise<void>;
}

export function runCli(args: string[], options: { root: string; cwd?: string; env?: NodeJS.ProcessEnv; closeStdoutAfter?: number }): CliRun {
  const child = spawn(process.execPath, [CLI, '--root', options.root, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    // Like `| head -n N`: close our end of the pipe after N lines.
    if (options.closeStdoutAfter !== undefined && stdout.split('\n').length > options.closeStdoutAfter) child.stdout.destroy();
    for (const w of waiters.splice(0)) (stdout.includes(w.text) ? w.resolve() : waiters.push(w));
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  }) as CliRun;
  done.pid = child.pid!;
  done.stdoutContains = (text) =>
    new Promise<void>((resolve) => (stdout.includes(text) ? resolve() : waiters.push({ text, resolve })));
  return done;
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
