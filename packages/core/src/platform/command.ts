/**
 * Running a detection command (`sysctl`, `wsl.exe`) asynchronously with a deadline.
 *
 * @module platform/command
 */
import { execFile } from 'node:child_process';
import type { CommandRunner } from './types.js';

/**
 * The default {@link CommandRunner}: `execFile` without a shell, killed after `timeoutMs`.
 * Resolves with `code: null` and `error` when the command cannot be started or times out.
 */
export const runCommand: CommandRunner = (file, args, { timeoutMs }) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { encoding: 'buffer', timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null) : 0;
        resolve({ code, stdout, stderr, ...(error && code === null ? { error } : {}) });
      },
    );
  });

/**
 * Decode command output that may be UTF-16LE (as `wsl.exe` writes it) or UTF-8, and drop NULs.
 */
export function decodeOutput(buf: Buffer): string {
  const looksUtf16 = buf.length >= 2 && buf.subarray(0, Math.min(buf.length, 64)).some((b, i) => i % 2 === 1 && b === 0);
  const text = looksUtf16 ? buf.toString('utf16le') : buf.toString('utf8');
  return text.replace(/^\uFEFF/, '').replace(/\0/g, '').trim();
}
