/**
 * Mounting and unmounting through util-linux's `mount` and `umount` (Node has no mount(2)), spawned
 * without a shell. Used for the temporary overlay mounts through which the snapshotter applies layers and
 * for the overlay probe; the runtime backend mounts the specifications it is given itself.
 *
 * @module snapshots/mount-tool
 */
import { execFile } from 'node:child_process';
import { err, ErrorCode } from '../errors.js';

/** How long one `mount`/`umount` may take, in ms. */
export const MOUNT_TOOL_TIMEOUT_MS = 30_000;

/**
 * Longest option string one mount(2) call carries, in bytes: the kernel copies one page (4096 bytes on
 * x86_64 and arm64) including the terminating NUL.
 */
export const MAX_MOUNT_OPTIONS_BYTES = 4095;

interface ToolResult {
  code: number | null;
  stderr: string;
  error?: Error;
}

function run(file: string, args: string[], cwd?: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: MOUNT_TOOL_TIMEOUT_MS, maxBuffer: 1024 * 1024, ...(cwd ? { cwd } : {}) }, (error, _stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null) : 0;
      resolve({ code, stderr: String(stderr).trim(), ...(error && code === null ? { error } : {}) });
    });
  });
}

function toolMissing(r: ToolResult): boolean {
  return (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * `mount -i -n -t overlay overlay -o OPTIONS TARGET`, run in `cwd` (so that relative lowerdirs, which
 * keep the option string short, resolve there).
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` when the options are longer than {@link MAX_MOUNT_OPTIONS_BYTES};
 *   `UNAVAILABLE` when `mount` is missing or the kernel refuses (the message carries mount's stderr).
 */
export async function mountOverlay(target: string, options: readonly string[], cwd?: string): Promise<void> {
  const data = options.join(',');
  if (Buffer.byteLength(data) > MAX_MOUNT_OPTIONS_BYTES) {
    throw err(ErrorCode.LimitExceeded, `overlay mount options are ${Buffer.byteLength(data)} bytes, more than the ${MAX_MOUNT_OPTIONS_BYTES} one mount(2) call carries`, {
      limit: 'mountOptions',
      max: MAX_MOUNT_OPTIONS_BYTES,
      value: Buffer.byteLength(data),
    });
  }
  const r = await run('mount', ['-i', '-n', '-t', 'overlay', 'overlay', '-o', data, target], cwd);
  if (r.code === 0) return;
  if (toolMissing(r)) throw err(ErrorCode.Unavailable, 'the mount command was not found; install util-linux (apt-get install mount)', { tool: 'mount' });
  throw err(ErrorCode.Unavailable, `mounting overlay at ${target} failed: ${r.stderr || r.error?.message || `exit ${r.code}`}`, { target, options: [...options], stderr: r.stderr });
}

/**
 * `umount TARGET`; with `lazy`, `umount -l` (detach now, clean up when no longer busy).
 *
 * @throws MagikrunError `UNAVAILABLE` when `umount` is missing or fails (busy, not mounted).
 */
export async function unmount(target: string, lazy = false): Promise<void> {
  const r = await run('umount', [...(lazy ? ['-l'] : []), target]);
  if (r.code === 0) return;
  if (toolMissing(r)) throw err(ErrorCode.Unavailable, 'the umount command was not found; install util-linux (apt-get install mount)', { tool: 'umount' });
  throw err(ErrorCode.Unavailable, `unmounting ${target} failed: ${r.stderr || r.error?.message || `exit ${r.code}`}`, { target, stderr: r.stderr });
}
