/**
 * Running a host tool for what Node's fs API lacks (mknod, setxattr): no shell, a fixed argv, the C
 * locale so its messages can be classified, a timeout. Only rare entries (device nodes, FIFOs,
 * extended attributes) take this path.
 *
 * @module rootfs/run-tool
 */
import { execFile } from 'node:child_process';

/** How a tool run ended. */
export type ToolResult =
  | { ok: true }
  /** `missing`: the tool is not installed; `denied`: EPERM/EACCES; `unsupported`: ENOTSUP; `failed`: anything else. */
  | { ok: false; reason: 'missing' | 'denied' | 'unsupported' | 'failed'; message: string };

/** Run `file` with `args`; never throws. */
export function runTool(file: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, LC_ALL: 'C' }, timeout: 30_000, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const message = (String(stderr).trim() || error.message).slice(0, 500);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ ok: false, reason: 'missing', message: `${file} is not installed` });
      if (/Operation not permitted|Permission denied/i.test(message)) return resolve({ ok: false, reason: 'denied', message });
      if (/not supported/i.test(message)) return resolve({ ok: false, reason: 'unsupported', message });
      resolve({ ok: false, reason: 'failed', message });
    });
  });
}
