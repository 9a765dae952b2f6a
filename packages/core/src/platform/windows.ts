/**
 * Windows and WSL 2 detection: the host OS, and whether `wsl.exe --status` answers (exit code 0)
 * within the deadline. `wsl.exe` writes UTF-16LE; the first line of its answer goes into the reason.
 *
 * @module platform/windows
 */
import { decodeOutput } from './command.js';
import type { CapabilityStatus, CommandRunner } from './types.js';

/** Detect the Windows host. */
export function detectWindows(os: NodeJS.Platform): CapabilityStatus {
  return os === 'win32'
    ? { available: true, reason: 'the host is Windows' }
    : { available: false, reason: `the host is ${os}, not Windows` };
}

/** Detect WSL 2 through `wsl.exe --status`. */
export async function detectWsl2(os: NodeJS.Platform, run: CommandRunner, timeoutMs: number): Promise<CapabilityStatus> {
  if (os !== 'win32') return { available: false, reason: `WSL 2 exists only on Windows; this host is ${os}` };
  const r = await run('wsl.exe', ['--status'], { timeoutMs });
  const out = decodeOutput(r.stdout) || decodeOutput(r.stderr);
  const first = out.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  if (r.code === null) {
    return { available: false, reason: `wsl.exe --status did not answer within ${timeoutMs} ms or could not run (${r.error?.message ?? 'unknown error'}); install WSL with "wsl --install"` };
  }
  if (r.code !== 0) {
    return { available: false, reason: `wsl.exe --status exited with ${r.code}${first ? `: ${first}` : ''}; install or update WSL with "wsl --install" / "wsl --update"` };
  }
  if (/default version:\s*1\b/i.test(out)) {
    return { available: false, reason: `WSL answers but its default version is 1; run "wsl --set-default-version 2"` };
  }
  return { available: true, reason: `wsl.exe --status answered${first ? `: ${first}` : ''}` };
}
